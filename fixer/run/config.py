"""Configuration in the repository: ``[tool.imgfix]`` in pyproject.toml, or ``.imgfix.toml``.

For each Dockerfile the nearest configuration is used, found by walking up from its folder:
in each folder ``.imgfix.toml`` first, then a ``pyproject.toml`` that has a ``[tool.imgfix]``
table (one without is passed over). ``--config FILE`` names one file for every Dockerfile.

Keys are the fields of ``fixer.options.Options`` (``-`` or ``_``), so every option a transform
adds is configurable with the same validation as on the command line. Relative paths are
relative to the configuration file's folder. Per-path settings::

    [[tool.imgfix.overrides]]
    paths = ["legacy/**", "tools/Dockerfile.*"]
    ignore = ["USR"]

Patterns are matched against the Dockerfile's path relative to the configuration's folder
(fnmatch: ``*`` also crosses ``/``; ``dir/`` matches everything under ``dir``). Matching
overrides apply in order. Precedence: defaults < configuration < overrides < command line.
Unknown keys and bad values are errors that name the key and the file.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

from ..transforms.options import OptionError, Options

_NOT_KEYS = {"extra"}  # Options fields that are not settings


class ConfigError(ValueError):
    pass


def _fields() -> dict[str, object]:
    hints = typing.get_type_hints(Options)
    return {f.name: hints[f.name] for f in dataclasses.fields(Options) if f.init and f.name not in _NOT_KEYS}


def _convert(value, hint, where: str, base: Path):
    """The TOML value as the type the Options field declares; ConfigError otherwise."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            raise ConfigError(f"{where}: no value")
        inner = [a for a in args if a is not type(None)]
        errors = []
        for a in inner:
            try:
                return _convert(value, a, where, base)
            except ConfigError as err:
                errors.append(str(err))
        raise ConfigError(errors[0])
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if hint is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(f"{where}: expected a whole number, got {value!r}")
        return value
    if hint is float:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    if hint is Path:
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where}: expected a path (a string), got {value!r}")
        p = Path(value).expanduser()
        return p if p.is_absolute() else (base / p)
    if origin is tuple or hint is tuple:
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        item = args[0] if args else str
        return tuple(_convert(v, item, f"{where}[{i}]", base) for i, v in enumerate(value))
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a table, got {value!r}")
        kt, vt = args if len(args) == 2 else (str, str)
        return {_convert(k, kt, where, base): _convert(v, vt, f"{where}.{k}", base) for k, v in value.items()}
    if origin is typing.Literal:
        if value not in args:
            raise ConfigError(f"{where}: expected one of {', '.join(map(repr, args))}, got {value!r}")
        return value
    if isinstance(hint, type) and isinstance(value, hint):
        return value
    raise ConfigError(f"{where}: unsupported value {value!r}")


def _settings(table: dict, source: str, base: Path, section: str) -> dict:
    fields = _fields()
    out = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in fields:
            known = ", ".join(sorted(k.replace("_", "-") for k in fields))
            raise ConfigError(f"{source}: unknown key {section + '.' if section else ''}{key} (known keys: {known}, overrides)")
        where = f"{source}: {section + '.' if section else ''}{key}"
        converted = _convert(value, fields[name], where, base)
        if name in ("select", "ignore"):
            converted = tuple(c.strip().upper() for c in converted)
        try:  # the checks the command line gets, for this one value
            Options(**{name: converted})
        except OptionError as err:
            raise ConfigError(f"{where}: {err}") from None
        except TypeError as err:
            raise ConfigError(f"{where}: {err}") from None
        out[name] = converted
    return out


@dataclass(frozen=True)
class Override:
    patterns: tuple[str, ...]
    settings: dict

    def matches(self, rel: str) -> bool:
        for p in self.patterns:
            if p.endswith("/") and (rel + "/").startswith(p):
                return True
            if fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(rel, p.replace("**/", "")):
                return True
        return False


@dataclass(frozen=True)
class Config:
    path: Path | None  # None: no configuration file
    settings: dict = field(default_factory=dict)
    overrides: tuple[Override, ...] = ()

    @property
    def root(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def settings_for(self, dockerfile: Path) -> dict:
        merged = dict(self.settings)
        if not self.overrides:
            return merged
        try:
            rel = dockerfile.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return merged
        for o in self.overrides:
            if o.matches(rel):
                merged.update(o.settings)
        return merged


def load(path: Path) -> Config:
    """The configuration in ``path`` (.imgfix.toml, or pyproject.toml's [tool.imgfix])."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"{path}: cannot be read ({err.strerror or err})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML ({err})") from None
    if path.name == "pyproject.toml":
        table, section = data.get("tool", {}).get("imgfix"), "tool.imgfix"
        if table is None:
            raise ConfigError(f"{path}: has no [tool.imgfix] table")
    else:
        table, section = data, ""
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{section}] must be a table")
    prefix = f"{section}." if section else ""
    table = dict(table)
    raw_overrides = table.pop("overrides", [])
    base = path.parent
    settings = _settings(table, str(path), base, section)
    if not isinstance(raw_overrides, list) or not all(isinstance(o, dict) for o in raw_overrides):
        raise ConfigError(f"{path}: {prefix}overrides must be an array of tables ([[{prefix}overrides]])")
    overrides = []
    for i, raw in enumerate(raw_overrides):
        raw = dict(raw)
        patterns = raw.pop("paths", None)
        if not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) and p for p in patterns):
            raise ConfigError(f"{path}: {prefix}overrides[{i}].paths must be a non-empty list of path patterns")
        overrides.append(Override(tuple(patterns), _settings(raw, str(path), base, f"{prefix}overrides[{i}]")))
    return Config(path, settings, tuple(overrides))


def _has_table(pyproject: Path) -> bool:
    try:
        return "imgfix" in tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False


def find(start: Path) -> Path | None:
    """The nearest configuration file in ``start`` or a folder above it."""
    found = _nearest(os.path.realpath(start), {})
    return Path(found) if found else None


def _nearest(folder: str, seen: dict[str, str | None]) -> str | None:
    """``find`` for a resolved folder; ``seen`` remembers the answer for every folder on the
    way (Dockerfiles in sibling folders share their parents). Plain strings: it runs for
    every Dockerfile, in the parent process."""
    walked: list[str] = []
    found: str | None = None
    d = folder
    while True:
        if d in seen:
            found = seen[d]
            break
        walked.append(d)
        if os.path.isfile(candidate := os.path.join(d, ".imgfix.toml")):
            found = candidate
            break
        if os.path.isfile(candidate := os.path.join(d, "pyproject.toml")) and _has_table(Path(candidate)):
            found = candidate
            break
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    for d in walked:
        seen[d] = found
    return found


_REMEMBERED_FOLDERS = 4096


class Resolver:
    """Options for each Dockerfile: its configuration, then the command line's explicit values."""

    def __init__(self, cli: dict, config_file: Path | None = None) -> None:
        self.cli = dict(cli)
        self.fixed = load(config_file) if config_file is not None else None
        self._by_folder: dict[str, Config] = {}
        self._found: dict[str, str | None] = {}  # folder -> its nearest configuration file
        self._loaded: dict[str | None, Config] = {}
        Options(**self.cli)  # the command line alone must be valid

    def config_for(self, dockerfile: Path) -> Config:
        if self.fixed is not None:
            return self.fixed
        folder = os.path.dirname(os.path.realpath(dockerfile))
        if folder not in self._by_folder:
            if len(self._by_folder) >= _REMEMBERED_FOLDERS:  # bounded: memory stays flat
                self._by_folder.clear()
                self._found.clear()
            found = _nearest(folder, self._found)
            if found not in self._loaded:
                self._loaded[found] = load(Path(found)) if found else Config(None)
            self._by_folder[folder] = self._loaded[found]
        return self._by_folder[folder]

    def __call__(self, dockerfile: Path) -> Options:
        config = self.config_for(dockerfile)
        merged = config.settings_for(dockerfile) | self.cli
        try:
            return Options(**merged)
        except OptionError as err:
            raise ConfigError(f"{config.path or 'command line'}: {err}") from None
