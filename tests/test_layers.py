"""The package's shape (docs/architecture.md): layers that import only downwards, small modules,
no import cycle. Read from the source with ast, so a lazy import inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "fixer"
# lowest first; a module may import its own layer and the layers below it
LAYERS = ("document", "analysis", "transforms", "run", "integrations")
MAX_LINES = 600
MAX_TOP_LEVEL_MODULES = 15


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, list[tuple[str, int, str]]]:
    """{module: [(imported module, line, source line)]} for every import of a fixer module."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, list[tuple[str, int, str]]] = {}
    for name, path in modules.items():
        source = path.read_text()
        lines = source.splitlines()
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        found = []
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    found.append((sub if sub in modules else target, node.lineno, lines[node.lineno - 1]))
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("fixer"):
                found.append((node.module, node.lineno, lines[node.lineno - 1]))
            elif isinstance(node, ast.Import):
                found += [(a.name, node.lineno, lines[node.lineno - 1]) for a in node.names if a.name.startswith("fixer.")]
        graph[name] = found
    return graph


def _layer(module: str) -> int:
    """-1 for the package itself (its version) and its data, len(LAYERS) for ``python -m fixer``."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] == "data":
        return -1
    if parts[1] == "__main__":
        return len(LAYERS)
    return LAYERS.index(parts[1])


def test_every_module_lives_in_a_layer():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py"]
    assert len(top) <= MAX_TOP_LEVEL_MODULES
    folders = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__")
    assert folders == sorted((*LAYERS, "data"))


def test_layers_import_only_downwards():
    upward = []
    for module, imports in _imports().items():
        for target, line, text in imports:
            if _layer(target) > _layer(module):
                upward.append(f"{module}:{line}: {text.strip()}")
    # at most one, and it says why on its line
    assert len(upward) <= 1, "\n".join(upward)
    assert all("#" in u for u in upward), upward


def test_no_import_cycle():
    graph = {m: {t for t, _, _ in imports if t != m} for m, imports in _imports().items()}
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            # a package's __init__ imported by its own submodule is its namespace, not a cycle
            if module.startswith(target + "."):
                continue
            if state.get(target) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(target):] + [target]))
            if target in graph and not state.get(target):
                visit(target, path + [target])
        state[module] = 2

    for module in sorted(graph):
        if not state.get(module):
            visit(module, [module])


def test_no_module_over_the_size_limit():
    sizes = {str(p.relative_to(PACKAGE)): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    assert {p: n for p, n in sizes.items() if n > MAX_LINES} == {}


def test_every_package_is_installed():
    """pyproject.toml lists the packages setuptools installs: a new subpackage missing there
    works from a checkout and fails when installed (CI installs with pip install .)."""
    import tomllib

    listed = set(tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {_module_name(p) for p in PACKAGE.rglob("__init__.py")}
    assert found <= listed, sorted(found - listed)
