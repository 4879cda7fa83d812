"""Runs the pipeline over files: read, fix, report, and write when asked."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .files import FileError, discover, read_text, write_atomic
from .options import Options
from .pipeline import FixError, fix
from .report import FileResult, Mode, Report, colourise


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
        outcome = fix(text, options, context, path)
    except FixError as err:
        result.error = f"{path}:{err.line}: {err.message}"
        return result
    result.fixed, result.findings, result.files = outcome.fixed, outcome.findings, outcome.files
    return result


def fix_files(files: list[Path], options: Options, jobs: int = 1):
    """``fix_file`` over the files, in their order; ``jobs`` > 1 (0: one per CPU) uses worker
    processes, in chunks so that memory stays flat however many files there are."""
    if jobs == 0:
        jobs = os.cpu_count() or 1
    if jobs <= 1 or len(files) < 2:
        for path in files:
            yield fix_file(path, options)
        return
    from concurrent.futures import ProcessPoolExecutor
    from functools import partial

    chunk = max(1, min(64, len(files) // (jobs * 4)))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(partial(fix_file, options=options), files, chunksize=chunk)


def run(paths: list[Path], options: Options, mode: Mode, *, show_diff: bool, quiet: bool, colour: bool, jobs: int = 1) -> int:
    files, errors = discover(paths)
    report = Report(mode)
    for err in errors:
        report.results.append(FileResult(path=err.path, error=f"{err.path}:0: {err.message}"))
    for result in fix_files(files, options, jobs):
        path = result.path
        if mode is Mode.WRITE and result.changed:
            try:
                if result.fixed != result.original:
                    write_atomic(path, result.fixed)
                for change in result.files:
                    if change.old != change.new:
                        write_atomic(Path(change.path), change.new)
            except OSError as err:
                result.error = f"{path}:0: not written ({err.strerror or err}); the file is unchanged"
        report.results.append(result)
        if show_diff and result.changed:
            diff = result.diff()
            sys.stdout.write(colourise(diff) if colour else diff)
    if not quiet:
        sys.stderr.write(report.findings_text())
        sys.stderr.write(report.summary())
    else:
        for r in report.failed:
            sys.stderr.write(r.error + "\n")
    return report.exit_code()
