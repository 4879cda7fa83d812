"""Facts about base images and distros, read from ``data/catalogue.toml``.

Transforms ask the catalogue, never hard-code image names: ``lookup(ref)`` merges the image's
entry, its tag rules and the generic tag rules into one ``ImageFacts``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from ..data import load
from ..document.imageref import ImageRef


@dataclass(frozen=True)
class UserSpec:
    name: str
    uid: int
    gid: int


@dataclass(frozen=True)
class Family:
    name: str
    user_tool: str  # shadow | busybox | none | windows
    package_managers: tuple[str, ...] = ()
    nonroot_uid: int | None = None
    user_tool_install: str | None = None  # where the family's images may lack the tool
    lint_ignore: str | None = None  # hadolint rule that install line cannot satisfy
    home: str | None = None  # a writable $HOME on images without user tools (None: none known)
    home_in_passwd: bool = False  # the image's /etc/passwd already gives the user that home


@dataclass(frozen=True)
class ImageFacts:
    """What the catalogue knows about one image reference; ``known`` is False for strangers."""

    known: bool
    family: Family | None = None
    user: UserSpec | None = None
    runs_as: str | None = None
    low_port: int | None = None
    unprivileged: str | None = None
    unprivileged_port: int | None = None
    unprivileged_since: str | None = None
    drops_privileges: bool = False
    entry: dict = field(default_factory=dict, compare=False, repr=False)


@cache
def _data() -> dict:
    return load("catalogue.toml")


@cache
def families() -> dict[str, Family]:
    return {
        name: Family(
            name,
            f["user_tool"],
            tuple(f.get("package_managers", ())),
            f.get("nonroot_uid"),
            f.get("user_tool_install", {}).get("command"),
            f.get("user_tool_install", {}).get("lint_ignore"),
            f.get("home"),
            f.get("home_in_passwd", False),
        )
        for name, f in _data()["families"].items()
    }


def family(name: str) -> Family:
    return families()[name]


def users() -> dict:
    """Facts about users and privileges: privilege-drop commands, system paths, Windows."""
    return _data()["users"]


def user_home(user: str) -> str:
    """The $HOME of a user imgfix creates (``[users] home``)."""
    return users()["home"].format(user=user)


def user_creation(tool: str) -> list[str]:
    """The command templates that create a system group and user with this tool."""
    return list(_data()["user_tools"][tool]["create"])


def account_tool(command: str) -> dict | None:
    """How ``groupadd``/``addgroup``/``useradd``/``adduser`` name the account's ids (None for
    any other command)."""
    return _data().get("account_tools", {}).get(command)


def family_for_package_manager(command: str) -> Family | None:
    for fam in families().values():
        if command in fam.package_managers:
            return fam
    return None


def image_entry(name: str) -> dict | None:
    """The catalogue entry for a familiar name: exact first, then the longest ``*`` pattern."""
    return match(_data()["images"], name)


def match(images: dict[str, dict], name: str) -> dict | None:
    """The entry of a table keyed by familiar image names (a trailing ``*`` matches any rest
    of the name) for ``name``: exact first, then the longest pattern; None when none fits."""
    if name in images:
        return images[name]
    best = max((p for p in images if p.endswith("*") and name.startswith(p[:-1])), key=len, default=None)
    return images[best] if best else None


def _tag_family(tag: str | None, rules: list[dict]) -> dict:
    for rule in rules:
        if tag and re.search(rule["match"], tag):
            return rule
    return {}


def lookup(ref: ImageRef, mirrors: dict[str, str] | None = None) -> ImageFacts:
    """Facts about an image; ``mirrors`` (source registry -> HOST[/PREFIX]) lets a mirrored
    reference be known by the image it mirrors."""
    entry = image_entry(ref.familiar)
    source = ref.unmirrored(mirrors)
    if entry is None and source != ref:  # a mirror of an image the catalogue knows
        ref = source
        entry = image_entry(ref.familiar)
    generic = _tag_family(ref.tag, _data()["tag_families"])
    if entry is None:
        if not generic:
            return ImageFacts(known=False)
        return ImageFacts(known=True, family=family(generic["family"]))
    merged = dict(entry)
    merged.pop("tags", None)
    specific = _tag_family(ref.tag, entry.get("tags", []))
    if generic.get("family"):
        merged["family"] = generic["family"]
    merged.update({k: v for k, v in specific.items() if k != "match"})
    user = merged.get("user")
    return ImageFacts(
        known=True,
        family=family(merged["family"]),
        user=UserSpec(user["name"], user["uid"], user["gid"]) if user else None,
        runs_as=merged.get("runs_as"),
        low_port=merged.get("low_port"),
        unprivileged=merged.get("unprivileged"),
        unprivileged_port=merged.get("unprivileged_port"),
        unprivileged_since=merged.get("unprivileged_since"),
        drops_privileges=merged.get("drops_privileges", False),
        entry=merged,
    )


# ------------------------------------------------------------------ slim variants, EOL, roles


def slim_needs() -> dict[str, dict]:
    """``[slim.needs]``: what full images have that slim ones lack, keyed by need."""
    return _data()["slim"]["needs"]


def compiling_packages(manager: str) -> dict[str, list[str]]:
    """Packages of ``pip``/``npm``/``gem`` that compile on install, and the -dev headers they need."""
    return _data()["slim"]["compiles"].get(manager, {})


def rewrite_tag(rules: list[dict], tag: str | None) -> tuple[str, dict] | None:
    """The tag the first matching ``{match, tag}`` rule makes of ``tag``, with the rule."""
    if not tag:
        return None
    for rule in rules:
        m = re.fullmatch(rule["match"], tag)
        if m:
            return m.expand(rule["tag"]), rule
    return None


def is_eol(facts: ImageFacts, tag: str | None) -> bool:
    return bool(tag) and any(re.search(p, tag) for p in facts.entry.get("eol", []))
