"""Runs the pipeline over files: read, fix, report, and write when asked."""

from __future__ import annotations

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


def run(paths: list[Path], options: Options, mode: Mode, *, show_diff: bool, quiet: bool, colour: bool) -> int:
    files, errors = discover(paths)
    report = Report(mode)
    for err in errors:
        report.results.append(FileResult(path=err.path, error=f"{err.path}:0: {err.message}"))
    for path in files:
        result = fix_file(path, options)
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
