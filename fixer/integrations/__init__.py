"""Layer 5, integrations: what a person or a service talks to.

The command line, ``imgfix verify`` (real builds), ``imgfix init``, and the GitHub bot and its
REST client. Each is imported only by the command that needs it.
"""
