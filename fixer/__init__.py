"""imgfix: repairs Dockerfiles instead of only complaining about them."""

__version__ = "0.1.0"
