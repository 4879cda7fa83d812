"""The rules' documentation, one text for ``imgfix rules`` and the language server's hover.

Each transform's module docstring (What it does, Why is this bad?, Example, Use instead, Fix
safety, References) and its ``CODES`` table are the source; nothing here is written twice.
"""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass

SAFETY_LEGEND = "Codes (fix: safe = applied by default, unsafe = only with --unsafe-fixes, none = left to a person):"


@dataclass(frozen=True)
class Rule:
    code: str  # "USR001"
    severity: str
    title: str
    fix: str  # its safety: safe | unsafe | none
    transform: str  # the transform's name: "nonroot"


def _tables():
    from . import all_transforms

    for transform in all_transforms():
        yield transform, sys.modules[type(transform).__module__]


def _code_lines(module) -> list[str]:
    return [f"  {name}  {severity:<7}  fix: {fix:<6}  {title}" for name, (severity, title, fix) in module.CODES.items()]


def listing() -> str:
    """``imgfix rules``: every transform with its codes."""
    out = []
    for transform, module in _tables():
        out.append(f"{transform.code}  {transform.name}: {transform.summary}")
        out += _code_lines(module)
    return "\n".join(out) + "\n"


def explain(code: str) -> str | None:
    """``imgfix rules CODE``: the documentation of the transform a code, prefix or transform
    name belongs to, and its codes; None when nothing matches."""
    for transform, module in _tables():
        if code.upper().startswith(transform.code) or code.lower() == transform.name:
            doc = inspect.cleandoc(module.__doc__ or transform.summary)
            return f"{doc}\n\n{SAFETY_LEGEND}\n" + "\n".join(_code_lines(module)) + "\n"
    return None


def rule(code: str) -> Rule | None:
    """One code's entry in its transform's table."""
    for transform, module in _tables():
        if code.startswith(transform.code) and code in module.CODES:
            severity, title, fix = module.CODES[code]
            return Rule(code, severity, title, fix, transform.name)
    return None
