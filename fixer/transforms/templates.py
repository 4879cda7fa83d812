"""Where the built-in jinja2 templates are, for every caller (multistage, init, tests).

They live in the repository's top-level ``templates/`` folder; pyproject ships that folder
inside the package as ``fixer/templates``. An installed imgfix finds them there; ``fixer``
imported from a checkout (``python -m fixer``, tests run from the repository root, an
editable install) finds the top-level folder beside ``fixer/``. Both are the same files.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # fixer/


def folder() -> Path:
    """The built-in templates folder."""
    for candidate in (_PACKAGE / "templates", _PACKAGE.parent / "templates"):
        # one of our files, not just a folder of that name (site-packages may hold another)
        if (candidate / "python.Dockerfile.j2").is_file():
            return candidate
    raise FileNotFoundError(
        f"the built-in templates are missing: neither {_PACKAGE / 'templates'} nor {_PACKAGE.parent / 'templates'} has them"
    )
