"""The accounts a stage's RUN lines create, and version tags compared (for the nonroot
transform)."""

from __future__ import annotations

import re

from ..analysis import catalogue
from ..analysis.stages import Stage
from ..document.parser import is_number


def created_user(stage: Stage) -> catalogue.UserSpec | None:
    """The last user the stage's RUN lines create with a numeric uid and a group whose id
    is known (``useradd --uid 1000 --gid node node`` after ``groupadd --gid 1000 node``):
    the account the Dockerfile meant to run as. None when any id is unknown."""
    groups: dict[str, int] = {}
    found = None
    for words in stage.run_commands:
        tool = catalogue.account_tool(words[0].rsplit("/", 1)[-1]) if words else None
        if tool is None:
            continue
        ids, names = account_args(words[1:], tool)
        if not names:
            continue
        group = ids.get("gid")
        if "uid" not in tool:
            if group is not None and is_number(group):
                groups[names[-1]] = int(group)
            continue
        uid = ids.get("uid")
        gid = int(group) if group is not None and is_number(group) else groups.get(group or names[-1])
        if uid is not None and is_number(uid) and int(uid) != 0 and gid is not None:
            found = catalogue.UserSpec(names[-1], int(uid), gid)
    return found


def account_args(args: list[str], tool: dict) -> tuple[dict[str, str], list[str]]:
    """({"uid": ..., "gid": ...}, the other words that are not options) of a user tool's
    arguments; ``--opt=value`` and ``--opt value`` alike."""
    ids: dict[str, str] = {}
    names: list[str] = []
    takes = {opt: key for key in ("uid", "gid") for opt in tool.get(key, [])}
    words = iter(args)
    for word in words:
        opt, eq, value = word.partition("=") if word.startswith("--") else (word, "", "")
        if opt in takes:
            ids[takes[opt]] = value if eq else next(words, "")
        elif opt in tool["values"]:
            if not eq:
                next(words, None)
        elif not word.startswith("-"):
            names.append(word)
    return ids, names


def older(tag: str | None, since: str | None) -> bool:
    """Whether a version tag (``1.13-alpine``) is older than ``since``; False for names
    (``alpine``, ``stable``) and unknown tags."""
    version = re.match(r"^(\d+(?:\.\d+)*)", tag or "")
    if version is None or since is None:
        return False
    have = [int(p) for p in version.group(1).split(".")]
    want = [int(p) for p in since.split(".")]
    return have < want[: len(have)] if len(have) < len(want) else have < want
