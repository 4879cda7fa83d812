"""Runs the pipeline over files: read, fix, report, and write when asked.

``fix_file`` is pure (reads one file, returns a ``FileResult``, writes nothing), so it can run
in worker processes; writing and reporting happen in ``run``. Each file gets its own Options
(its configuration, resolved here in the main process, then sent to the worker with the path).
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from ..document.context import forget, start_sharing, stop_sharing
from ..transforms.options import Options
from .files import FileError, read_text, walk, write_all, write_atomic
from .pipeline import FixError, fix
from .report import FileResult, Mode, Report, colourise, display_path, printable


def fix_file(path: Path, options: Options) -> FileResult:
    result = FileResult(path=path)
    try:
        text = read_text(path)
    except FileError as err:
        result.error = f"{path}:0: {err.message}"
        return result
    result.original = result.fixed = text
    context = options.context or path.parent
    try:
        with _no_gc():
            outcome = fix(text, options, context, path)
    except FixError as err:
        result.error = f"{path}:{err.line}: {err.message}"
        return result
    result.fixed, result.findings, result.files = outcome.fixed, outcome.findings, outcome.files
    result.suppressed = outcome.suppressed
    return result


@contextlib.contextmanager
def _no_gc():
    """The cyclic garbage collector off while one file is fixed: the pipeline makes many
    objects that live until the file is done and few cycles, and each full collection walks
    them all (a third of the time on a 50,000-line file, growing faster than the file).
    Collection resumes after the file, so a run over many files does not hold garbage."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class GitError(Exception):
    pass


GIT_TIMEOUT = 30  # seconds, per git call
# Read-only git: no optional locks, no fsmonitor hook, no external diff or textconv programs.
_GIT = ("git", "--no-optional-locks", "-c", "core.fsmonitor=false", "-c", "diff.external=")


def _git(args: list[str], cwd: Path) -> str:
    import subprocess

    env = dict(os.environ, GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0")
    try:
        proc = subprocess.run(
            [*_GIT, *args], cwd=cwd, capture_output=True, text=True, timeout=GIT_TIMEOUT, env=env, stdin=subprocess.DEVNULL
        )
    except FileNotFoundError:
        raise GitError("--changed-since needs git, and git is not installed") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} took longer than {GIT_TIMEOUT} s") from None
    if proc.returncode != 0:
        raise GitError(f"git {args[0]} failed: {proc.stderr.strip() or proc.returncode}")
    return proc.stdout


def changed_files(ref: str, cwd: Path) -> set[Path]:
    """Files changed since ``ref`` (from its merge base with HEAD), staged, unstaged or untracked.

    Paths are absolute and resolved. Only read-only git commands run.
    """
    if not ref or ref.startswith("-") or any(c.isspace() or ord(c) < 32 for c in ref):
        raise GitError(f"--changed-since {ref!r} is not a git revision")
    top = Path(_git(["rev-parse", "--show-toplevel"], cwd).strip())
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], top)
    except GitError:
        raise GitError(f"--changed-since {ref}: no such commit in {top}") from None
    base = _git(["merge-base", ref, "HEAD"], top).strip() or ref
    names = _git(["diff", "--name-only", "--no-renames", "--diff-filter=d", "-z", "--no-ext-diff", base, "--"], top)
    names += _git(["ls-files", "--others", "--exclude-standard", "-z"], top)
    return {(top / n).resolve() for n in names.split("\0") if n}


def _fix_pair(pair: tuple[Path, Options | str]) -> FileResult:
    path, options = pair
    if isinstance(options, str):  # the file's configuration could not be loaded
        return FileResult(path=path, error=f"{path}:0: {options}")
    return fix_file(path, options)


def fix_files(files: Iterable[Path | FileError], options: Options | Callable[[Path], Options], jobs: int = 1):
    """``fix_file`` over the files (a list, or a stream such as ``walk``'s, whose errors come
    back as failed results in their place), in their order; ``jobs`` > 1 (0: one per CPU)
    uses worker processes, in chunks so that memory stays flat however many files there are.

    ``options`` is one Options for every file, or a function giving each file's (its
    configuration); a configuration error fails that file only."""
    from itertools import chain, islice

    options_for = options if callable(options) else (lambda _path: options)

    def pairs(items):
        for item in items:
            if isinstance(item, FileError):
                yield item.path, item.message
                continue
            try:
                yield item, options_for(item)
            except ValueError as err:  # ConfigError, OptionError
                yield item, str(err)

    if jobs == 0:
        jobs = os.cpu_count() or 1
    if jobs <= 1:
        for pair in pairs(files):
            yield _fix_pair(pair)
        return
    items = iter(files)
    head = list(islice(items, 64 * jobs * 4))  # enough to size the chunks
    if len(head) < 2:
        for pair in pairs(head):
            yield _fix_pair(pair)
        return
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    size = max(1, min(64, len(head) // (jobs * 4)))
    work = pairs(chain(head, items))
    # a few chunks in flight, not all of them (Executor.map would resolve every file's options
    # and queue every chunk up front): the parent's share is spread over the run and memory
    # stays flat. A worker's listings may predate a side file the parent wrote since: the
    # parent redoes every result that touches a side file written meanwhile (see run).
    with ProcessPoolExecutor(max_workers=jobs, initializer=start_sharing) as pool:
        in_flight: deque = deque()

        def submit() -> None:
            chunk = list(islice(work, size))
            if chunk:
                in_flight.append(pool.submit(_fix_chunk, chunk))

        for _ in range(jobs * 2):
            submit()
        while in_flight:
            results = in_flight.popleft().result()
            submit()
            yield from results


def _fix_chunk(chunk: list[tuple[Path, Options | str]]) -> list[FileResult]:
    return [_fix_pair(pair) for pair in chunk]


def run(
    paths: list[Path],
    options: Options | Callable[[Path], Options],
    mode: Mode,
    *,
    show_diff: bool,
    quiet: bool,
    colour: bool,
    jobs: int = 1,
    fmt: str = "diff",
    output: Path | None = None,
    changed_since: str | None = None,
) -> int:
    machine = fmt != "diff"
    streaming = not machine and output is None  # each file is shown as soon as it is done
    report = Report(mode, keep=not streaming)  # streamed: each result is shown, counted, dropped

    def done(result: FileResult) -> None:
        report.add(result)
        if streaming:
            if show_diff and result.changed:
                diff = result.diff()
                sys.stdout.write(colourise(diff) if colour else diff)
            if not quiet:
                sys.stderr.write(result.findings_text())

    changed: set[Path] | None = None
    if changed_since is not None:
        try:
            changed = changed_files(changed_since, _git_folder(paths))
        except GitError as err:
            sys.stderr.write(f"imgfix: {err}\n")
            return 2

    empty: list[Path] = []  # folders given with no Dockerfile under them

    def inputs():
        """The Dockerfiles as they are found (never all of them in memory), and the errors."""
        for item in walk(paths, empty):
            if changed is None or isinstance(item, FileError) or item.resolve() in changed:
                yield item

    written: set[str] = set()  # side files (.dockerignore, lock file) this run has written
    start_sharing()  # each build context is listed once (forgotten after each write)
    try:
        for result in fix_files(inputs(), options, jobs):
            path = result.path
            if mode is Mode.WRITE and any(c.path in written for c in result.files):
                # another Dockerfile wrote the same side file after this one was read: redo it
                result = _fix_pair((path, options(path) if callable(options) else options))
            if mode is Mode.WRITE and result.changed:
                _write_result(result, written)
            done(result)
    finally:
        stop_sharing()
    if machine or output is not None:
        from .formats import render

        text = render(report, fmt)
        if output is not None:
            try:
                write_atomic(output, text)
            except OSError as err:
                sys.stderr.write(f"imgfix: {output}: not written ({err.strerror or err})\n")
                return 2
        else:
            sys.stdout.write(text)
    if not quiet:
        if not machine and not streaming:  # the diff went to a file: findings here
            sys.stderr.write(report.findings_text())
        for folder in empty:  # not an error (exit 0, as ruff does), but not silent either
            sys.stderr.write(f"no Dockerfile found under {printable(str(folder))}\n")
        sys.stderr.write(report.summary())
    else:
        for r in report.failed:
            sys.stderr.write(printable(r.error) + "\n")
    return report.exit_code()


def _write_result(result: FileResult, written: set[str]) -> None:
    """Write a result's files all or nothing (``files.write_all``): side files first, the
    Dockerfile last. On failure every file keeps its old content, the result fails with
    the file that could not be written, and none of its findings counts as fixed."""
    changes = [(Path(c.path), c.new) for c in result.files if c.old != c.new]
    if result.fixed != result.original:
        changes.append((result.path, result.fixed))
    if len(changes) > 1 or changes and changes[0][0] != result.path:
        forget()  # the build context changes: listings made before are stale
    try:
        write_all(changes)
    except OSError as err:
        path = result.path
        failed = getattr(err, "path", path)
        reason = err.strerror or str(err)
        if len(changes) == 1:
            which = "" if str(failed) == str(path) else f": {display_path(str(failed))}"
            result.error = f"{path}:0: not written ({reason}{which}); the file is unchanged"
        else:
            names = ", ".join(display_path(str(p)) for p, _ in changes)
            result.error = (
                f"{path}:0: not written ({reason}: {display_path(str(failed))}); "
                f"none of its {len(changes)} files was changed ({names})"
            )
        result.findings = [replace(f, fixed=False) if f.fixed else f for f in result.findings]
        result.write_failed = True
        return
    written.update(c.path for c in result.files if c.old != c.new)


def _git_folder(paths: list[Path]) -> Path:
    first = paths[0] if paths else Path(".")
    return first if first.is_dir() else (first.parent if str(first.parent) else Path("."))
