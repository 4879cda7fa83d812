"""The jinja2 templates: where the built-in ones are, and rendering them (multistage, init).

They live in the repository's top-level ``templates/`` folder; pyproject ships that folder
inside the package as ``fixer/templates``. An installed imgfix finds them there; ``fixer``
imported from a checkout (``python -m fixer``, tests run from the repository root, an
editable install) finds the top-level folder beside ``fixer/``. Both are the same files.
"""

from __future__ import annotations

from functools import cache
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


def render(template: str, variables: dict, templates_dir: Path | None = None) -> str:
    """Render ``templates/<template>`` (or the organisation's own copy) with StrictUndefined."""
    return _environment(templates_dir).get_template(template).render(**variables)


@cache
def _environment(templates_dir: Path | None):
    """One jinja2 environment per templates folder: it compiles each template once (and
    reloads it when the file changes)."""
    import jinja2

    loaders = []
    if templates_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(templates_dir)))
    loaders.append(jinja2.FileSystemLoader(str(folder())))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
