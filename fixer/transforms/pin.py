"""PIN: pin every base image to the digest its tag names today (``--pin-digests``).

## What it does
Resolves the tag of every FROM (and of FROMs built from ARGs, through the ARG's default) and
of every image a ``COPY --from=<image>`` copies from to its manifest digest with the OCI
Distribution API and writes ``name:tag@sha256:…``: the tag
stays for people and update bots (Renovate, Dependabot) to read, the digest is what the
build uses. What was resolved goes into a lock file (default ``imgfix.lock`` beside the
Dockerfile): a tag found there is pinned to the recorded digest without asking the
registry, and ``--offline`` uses nothing else. References already pinned by digest, earlier
stages and ``scratch`` are left alone. Nothing is contacted unless pinning is asked for.

## Why is this bad?
A tag moves: ``python:3.11-slim`` is rebuilt every few weeks, so the same Dockerfile builds
different images on different days, and a compromised or broken push reaches every build.
A digest names exactly one image.

## Example
    FROM python:3.11-slim

## Use instead
    FROM python:3.11-slim@sha256:afa804b32a5659800b5b5ee2ac12faa02de2dcdf45a7ba38ab2cb76f633397c4

## Fix safety
The digest is the one the registry serves for the tag (the image index for multi-platform
images, so every platform keeps working). When a tag cannot be resolved (network failure,
unknown tag, refused login, an entry missing from the lock file with ``--offline``), each
image gets a message, the Dockerfile is left unchanged and imgfix exits with status 2.

## References
hadolint DL3006/DL3007; Docker's "Pin base image versions" best practice; OpenSSF Scorecard
Pinned-Dependencies.
"""

from __future__ import annotations

from pathlib import Path

from ..analysis.stages import Analysis
from ..document.imageref import (
    RESERVED,
    ImageRef,
    InvalidReference,
    copy_from_images,
    is_sha256_digest,
    join_reference,
    locate,
    split_reference,
)
from ..document.lockfile import LockError, LockFile
from ..document.model import Document
from . import FileChange, FixError, Result
from .options import Options

# code: (severity, title, fix safety: safe | unsafe | none; see transforms.FIX_SAFETY)
CODES = {
    "PIN001": ("info", "A base image is referenced by a tag that can move", "safe"),
    "PIN002": ("warning", "A base image cannot be pinned", "none"),
}
LOCK_NAME = "imgfix.lock"


class Resolver:
    """Tag -> digest through the lock file first, then (unless offline) the registry client."""

    def __init__(self, lock: LockFile, client=None, offline: bool = False) -> None:
        self.lock, self.client, self.offline = lock, client, offline

    def resolve(self, ref: ImageRef) -> str:
        from ..analysis.oci import RegistryError

        key = ref.with_tag(ref.tag or "latest").key
        digest = self.lock.get(key)
        if digest:
            return digest
        if self.offline:
            raise RegistryError("not-found", f"{ref.familiar}:{ref.tag or 'latest'} is not in the lock file {_shown(self.lock.path)} (--offline)")
        if self.client is None:
            from ..analysis.oci import OciClient

            self.client = OciClient()
        digest = self.client.resolve(ref)
        if not is_sha256_digest(digest):
            raise RegistryError("protocol", f"{ref.familiar}: the registry returned {digest!r}, not a sha256 digest")
        self.lock.set(key, digest)
        return digest


def _shown(path: Path) -> str:
    """A path as people read it: relative to the working folder when it lies inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _lock_path(analysis: Analysis, options: Options) -> Path:
    if options.lock_file is not None:
        return Path(options.lock_file)
    if analysis.path is not None:
        return Path(analysis.path).parent / LOCK_NAME
    return Path(analysis.context or ".") / LOCK_NAME


_RESOLVERS: dict[Path, Resolver] = {}


def resolver_for(analysis: Analysis, options: Options) -> Resolver:
    """The resolver of one lock file, kept for the run so that several Dockerfiles sharing a
    lock file add to one lock (reloaded when the file on disk changed since it was read);
    ``options.extra["oci_client"]`` injects the registry client (tests)."""
    path = _lock_path(analysis, options).resolve()
    cached = _RESOLVERS.get(path)
    try:
        on_disk = path.read_text(encoding="utf-8")
    except OSError:
        on_disk = None
    if cached is None or cached.lock.text != on_disk:
        cached = _RESOLVERS[path] = Resolver(LockFile.load(path))
    cached.offline = options.offline
    client = options.extra.get("oci_client")
    if client is not None:
        cached.client = client
    return cached


class Pin:
    code = "PIN"
    name = "pin"
    summary = "Pin base images to the digest of their tag (--pin-digests), recorded in a lock file."
    edits_dockerfile = True

    def apply(self, doc: Document, analysis: Analysis, options: Options) -> Result:
        result = Result()
        if not options.pin_digests:
            return result
        from ..analysis.oci import RegistryError

        try:
            resolver = resolver_for(analysis, options)
        except LockError as err:
            raise FixError(str(err)) from None
        errors: list[tuple[int, str]] = []
        claimed: dict[tuple[int, int, int], str] = {}
        for stage in analysis.stages:
            line = stage.from_instr.start_line
            if stage.parent is not None:
                continue
            if stage.base is None:
                result.add(CODES, "PIN002", line, f"{stage.base_text}: built from ARG {', '.join(stage.base_args)}, which has no default; not pinned")
                continue
            if stage.image is None or stage.image.familiar in RESERVED:
                continue
            if stage.image.digest:
                continue
            site, why = locate(stage, analysis)
            if site is None:
                result.add(CODES, "PIN002", line, f"{stage.base} not pinned: {why}")
                continue
            name, tag, _ = split_reference(site.reference)
            try:
                ref = ImageRef.parse(site.reference)
            except InvalidReference as err:
                result.add(CODES, "PIN002", line, f"{stage.base} not pinned: {err}")
                continue
            try:
                digest = resolver.resolve(ref)
            except RegistryError as err:
                errors.append((line, err.message))
                continue
            edit, how = site.edit(doc, join_reference(name, tag or "latest", digest), claimed)
            if edit is None:
                if how:
                    result.add(CODES, "PIN002", line, f"{stage.base} not pinned: {how}")
                continue
            result.edits.append(edit)
            via = f" (the default of ARG {site.arg})" if how == "arg" else ""
            result.add(CODES, "PIN001", line, f"{stage.base} pinned to {digest}{via}", fixed=True)
        self._copy_from_images(doc, analysis, resolver, result, errors)
        if errors:
            detail = "; ".join(f"line {n}: {m}" for n, m in errors)
            raise FixError(f"cannot pin {len(errors)} base image{'s' * (len(errors) != 1)}, the file is left unchanged: {detail}", errors[0][0])
        lock = resolver.lock
        if lock.changed:
            result.files.append(FileChange(str(lock.path), lock.text, lock.render()))
        return result

    @staticmethod
    def _copy_from_images(doc: Document, analysis: Analysis, resolver: Resolver, result: Result, errors: list) -> None:
        """``COPY --from=<image>``: an image pulled like a base image, pinned the same way."""
        from ..analysis.oci import RegistryError

        for copy in copy_from_images(analysis):
            line = copy.instr.start_line
            if copy.image is None:
                result.add(CODES, "PIN002", line, f"COPY --from={copy.value}: built from a build argument; not pinned")
                continue
            if copy.image.digest or copy.image.familiar in RESERVED:
                continue
            try:
                digest = resolver.resolve(copy.image)
            except RegistryError as err:
                errors.append((line, err.message))
                continue
            name, tag, _ = split_reference(copy.value)
            edit = doc.replace_span(copy.instr, *copy.span, join_reference(name, tag or "latest", digest)) if copy.span else None
            if edit is None:
                result.add(CODES, "PIN002", line, f"COPY --from={copy.value} not pinned: the flag is split over several lines or quoted")
                continue
            result.edits.append(edit)
            result.add(CODES, "PIN001", line, f"COPY --from={copy.value} pinned to {digest}", fixed=True)


TRANSFORM = Pin()
