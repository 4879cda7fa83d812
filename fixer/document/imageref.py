"""Image references as Docker reads them: ``[registry[:port]/]path[:tag][@digest]``."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .parser import is_number

DEFAULT_REGISTRY = "docker.io"
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_PATH = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")
_HOST = re.compile(r"^(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$")


class InvalidReference(ValueError):
    pass


@dataclass(frozen=True)
class ImageRef:
    registry: str  # "docker.io" when none is written
    path: str  # "library/python", "nginxinc/nginx-unprivileged"
    tag: str | None = None
    digest: str | None = None
    explicit_registry: bool = False

    @classmethod
    def parse(cls, text: str) -> ImageRef:
        rest, digest = text, None
        if "@" in rest:
            rest, digest = rest.split("@", 1)
            if not _DIGEST.fullmatch(digest):
                raise InvalidReference(f"invalid digest in {text!r}")
        registry, explicit = DEFAULT_REGISTRY, False
        first, sep, remainder = rest.partition("/")
        if sep and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
            if not _HOST.fullmatch(first):
                raise InvalidReference(f"invalid registry in {text!r}")
            registry, rest, explicit = first, remainder, True
        tag = None
        last_slash = rest.rfind("/")
        colon = rest.rfind(":")
        if colon > last_slash:
            rest, tag = rest[:colon], rest[colon + 1 :]
            if not _TAG.fullmatch(tag):
                raise InvalidReference(f"invalid tag in {text!r}")
        if not _PATH.fullmatch(rest):
            raise InvalidReference(f"invalid repository name in {text!r}")
        if registry in ("docker.io", "index.docker.io", "registry-1.docker.io"):
            registry = DEFAULT_REGISTRY
            if "/" not in rest:
                rest = f"library/{rest}"
        return cls(registry, rest, tag, digest, explicit)

    @property
    def familiar(self) -> str:
        """The short name people write: ``python``, ``gcr.io/distroless/static``."""
        if self.registry == DEFAULT_REGISTRY:
            return self.path.removeprefix("library/")
        return f"{self.registry}/{self.path}"

    @property
    def repository(self) -> str:
        return f"{self.registry}/{self.path}"

    def with_tag(self, tag: str | None) -> ImageRef:
        return replace(self, tag=tag)

    def unmirrored(self, mirrors: dict[str, str] | None = None) -> ImageRef:
        """The image a mirror reference stands for. ``mirrors`` maps source registry to
        HOST[/PREFIX] (``Options.mirrors()``): a configured prefix is replaced by its source
        registry; an unconfigured one that holds a ``library/`` folder is read as a Docker
        Hub official image. Otherwise ``self``."""
        full = f"{self.registry}/{self.path}"
        by_prefix = {target.rstrip("/"): source for source, target in (mirrors or {}).items()}
        for prefix, source in sorted(by_prefix.items(), key=lambda kv: -len(kv[0])):
            if full.startswith(prefix + "/"):
                rest = full[len(prefix) + 1 :]
                if source == DEFAULT_REGISTRY and "/" not in rest:
                    rest = f"library/{rest}"
                return ImageRef(source, rest, self.tag, self.digest, source != DEFAULT_REGISTRY)
        if self.registry != DEFAULT_REGISTRY and "/library/" in f"/{self.path}":
            rest = self.path[self.path.rindex("library/") :]
            return ImageRef(DEFAULT_REGISTRY, rest, self.tag, self.digest, False)
        return self

    @property
    def key(self) -> str:
        """``registry/path:tag``, normalised: the lock file's key for a tag."""
        return f"{self.repository}:{self.tag}" if self.tag else self.repository

    def __str__(self) -> str:
        name = self.familiar if not self.explicit_registry else f"{self.registry}/{self.path}"
        if self.tag:
            name += f":{self.tag}"
        if self.digest:
            name += f"@{self.digest}"
        return name


# ---------------------------------------------------------------------------------- spelling
# Rewrites keep the reference as the author spelled it (``docker.io/python`` stays that way):
# they edit the text, split into its name, tag and digest, never re-render a normalised form.

_SHA256 = re.compile(r"^sha256:[0-9a-f]{64}$")
RESERVED = {"scratch"}  # ``FROM scratch`` names no image


def split_reference(text: str) -> tuple[str, str | None, str | None]:
    """``name[:tag][@digest]`` as written -> (name, tag, digest), without normalising."""
    rest, _, digest = text.partition("@")
    last_slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > last_slash:
        return rest[:colon], rest[colon + 1 :], digest or None
    return rest, None, digest or None


def join_reference(name: str, tag: str | None, digest: str | None) -> str:
    return name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


def valid_registry_host(text: str) -> bool:
    return bool(_HOST.fullmatch(text)) and ("." in text or ":" in text or text == "localhost")


def valid_mirror(text: str) -> bool:
    """``HOST[:PORT][/PREFIX]``: a registry host and an optional repository path prefix."""
    host, _, prefix = text.partition("/")
    return valid_registry_host(host) and (not prefix or bool(_PATH.fullmatch(prefix)))


def is_sha256_digest(value: str) -> bool:
    return bool(_SHA256.fullmatch(value))






# ---------------------------------------------------------------------------------- where a FROM's image is written
_ONE_VAR = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
_ARG_VALUE = r"(?:(?<=\s)|^){name}=(\"[^\"]*\"|'[^']*'|[^\s\"']*)"


@dataclass(frozen=True)
class RefSite:
    """Where the text of one stage's base image lives, and how to rewrite it.

    ``kind`` is ``from`` (the reference is written in the FROM line) or ``arg`` (the FROM is
    built from one global ARG whose default supplies part or all of the reference). ``prefix``
    and ``suffix`` are the literal text around the ``$VAR`` in the FROM.
    """

    kind: str
    from_instr: object
    reference: str  # the full reference with ARG defaults substituted
    from_span: tuple[int, int]  # logical span of the image word in the FROM line
    arg: str | None = None
    arg_instr: object | None = None
    arg_span: tuple[int, int] | None = None  # logical span of the ARG value, quotes excluded
    prefix: str = ""
    suffix: str = ""
    var_text: str = ""  # ``${V}`` / ``$V`` as written

    def rewrite(self, new_reference: str) -> tuple[str, object, tuple[int, int], str] | None:
        """(where, instruction, logical span, new text) that make the FROM read ``new_reference``.

        None when the change cannot be written in one place (it would touch both the ARG
        value and the literal text around it).
        """
        if self.kind == "from":
            return ("from", self.from_instr, self.from_span, new_reference)
        value = self.reference[len(self.prefix) : len(self.reference) - len(self.suffix)]
        if new_reference.startswith(self.prefix) and new_reference.endswith(self.suffix):
            middle = new_reference[len(self.prefix) : len(new_reference) - len(self.suffix)]
            if len(self.prefix) + len(self.suffix) <= len(new_reference):
                return ("arg", self.arg_instr, self.arg_span, middle)
        # the ARG value stays; the literal text around it changes
        at = new_reference.find(value) if value else -1
        if at >= 0 and value:
            new_prefix, new_suffix = new_reference[:at], new_reference[at + len(value) :]
            if new_prefix + value + new_suffix == new_reference:
                return ("from", self.from_instr, self.from_span, new_prefix + self.var_text + new_suffix)
        return None

    def edit(self, doc, new_reference: str, claimed: dict) -> tuple[object | None, str]:
        """(the edit of ``doc`` that makes the FROM read ``new_reference``, ``from`` or ``arg``:
        where it is made), or (None, why not). Why is "" when an earlier stage's edit made this
        very change (several FROMs built from one ARG); ``claimed`` records the edits made."""
        plan = self.rewrite(new_reference)
        if plan is None:
            return None, f"the FROM is built from ARG {self.arg} in a way one edit cannot express"
        where, instr, (start, end), text = plan
        key = (instr.start, start, end)
        if key in claimed:
            same = claimed[key] == text
            return None, "" if same else f"the default of ARG {self.arg} feeds other FROMs that need another change"
        edit = doc.replace_span(instr, start, end, text)
        if edit is None:
            return None, "the reference is split over several lines"
        claimed[key] = text
        return edit, where


def locate(stage, analysis) -> tuple[RefSite | None, str]:
    """The ``RefSite`` of a stage that names an image, or None and why it cannot be edited."""
    instr = stage.from_instr
    text = stage.base_text
    if not text:
        return None, "the FROM names no image"
    span = _word_span(instr.text, text, _after_flags(instr))
    if span is None:
        return None, "the image name could not be found in the FROM line"
    if stage.base is None:
        names = ", ".join(stage.base_args) or "?"
        return None, f"the FROM is built from ARG {names}, which has no default"
    if "$" not in text:
        return RefSite("from", instr, text, span), ""
    variables = list(_ONE_VAR.finditer(text))
    if len(variables) != 1 or "${" in _ONE_VAR.sub("", text) or text.count("$") != 1:
        return None, f"the FROM is built from several ARGs or ARG modifiers ({text})"
    var = variables[0]
    name = var.group(1) or var.group(2)
    arg_instr, arg_span = _global_arg(analysis, name)
    if arg_instr is None:
        return None, f"ARG {name} has no default before the first FROM"
    for other in analysis.stages:
        if any(w.split("=", 1)[0] == name for i in other.of("ARG") for w in i.value or []):
            return None, f"ARG {name} is also used inside stage {other.name or other.index}; its default is left alone"
    value = arg_instr.text[arg_span[0] : arg_span[1]]
    if "$" in value:
        return None, f"the default of ARG {name} is built from other variables"
    prefix, suffix = text[: var.start()], text[var.end() :]
    return (
        RefSite("arg", instr, prefix + value + suffix, span, name, arg_instr, arg_span, prefix, suffix, var.group(0)),
        "",
    )


@dataclass(frozen=True)
class CopyFromImage:
    """An image that a ``COPY --from=<image>`` takes files from."""

    instr: object
    value: str  # the flag's value as parsed
    image: ImageRef | None  # None: the value is built from a build argument
    span: tuple[int, int] | None  # logical span of the value; None: not written as parsed (quoted)


def copy_from_images(analysis) -> list[CopyFromImage]:
    """The images the ``COPY --from`` flags name: not an earlier stage (by name or index), not
    a reference Docker would reject."""
    stage_names = {s.name.lower() for s in analysis.stages if s.name}
    found = []
    for instr in analysis.doc.instructions:
        if instr.cmd != "COPY":
            continue
        for flag in instr.flags or []:
            if not flag.startswith("--from="):
                continue
            value = flag.split("=", 1)[1]
            if value.lower() in stage_names or is_number(value):
                continue
            if "$" in value:
                found.append(CopyFromImage(instr, value, None, None))
                continue
            try:
                image = ImageRef.parse(value)
            except InvalidReference:
                continue
            at = instr.text.find(flag)
            span = (at + len("--from="), at + len(flag)) if at >= 0 else None
            found.append(CopyFromImage(instr, value, image, span))
    return found


def _after_flags(instr) -> int:
    """Logical offset just past the keyword and the ``--flag``s of a FROM line."""
    pos = len(instr.text) - len(instr.text.lstrip()) + len(instr.keyword)
    for flag in instr.flags or []:
        at = instr.text.find(flag, pos)
        if at >= 0:
            pos = at + len(flag)
    return pos


def _word_span(text: str, word: str, after: int) -> tuple[int, int] | None:
    pos = after
    while True:
        pos = text.find(word, pos)
        if pos < 0:
            return None
        end = pos + len(word)
        if (pos == 0 or text[pos - 1] in " \t") and (end == len(text) or text[end] in " \t\r\n"):
            return pos, end
        pos += 1


def _global_arg(analysis, name: str):
    """The last ARG before the first FROM that gives ``name`` a default, and the value's span."""
    found = (None, None)
    pattern = re.compile(_ARG_VALUE.format(name=re.escape(name)))
    for instr in analysis.doc.instructions:
        if instr.cmd == "FROM":
            break
        if instr.cmd != "ARG":
            continue
        for m in pattern.finditer(instr.text):
            start, end = m.span(1)
            if m.group(1)[:1] in "\"'" and m.group(1):
                start, end = start + 1, end - 1
            found = (instr, (start, end))
    return found
