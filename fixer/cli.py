"""The ``imgfix`` command line.

``imgfix [PATH...]`` fixes Dockerfiles (a diff by default, ``--write``, ``--check``);
``imgfix rules`` lists the transforms and their codes. ``--version`` answers before typer is
imported, so start-up stays fast.
"""


import sys
from pathlib import Path
from typing import Annotated, Optional

SUBCOMMANDS = ("fix", "rules", "verify")


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-V"]):
        from . import __version__

        print(f"imgfix {__version__}")
        raise SystemExit(0)
    if not args or args[0] not in SUBCOMMANDS + ("--help", "-h"):
        args.insert(0, "fix")
    app = _build_app()
    app(args=args, prog_name="imgfix")


def _split_codes(values: list[str] | None) -> tuple[str, ...]:
    out: list[str] = []
    for value in values or []:
        out += [v.strip().upper() for v in value.split(",") if v.strip()]
    return tuple(out)


def _build_app():
    import typer

    app = typer.Typer(
        add_completion=False,
        no_args_is_help=False,
        help="Repair Dockerfiles: non-root user, multi-stage builds, slim bases, .dockerignore, registries, digests.",
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.command("fix", help="Fix Dockerfiles (files, or folders searched for them). Prints a diff unless --write or --check.")
    def fix_command(
        paths: Annotated[Optional[list[Path]], typer.Argument(help="Dockerfiles or folders (default: .)")] = None,
        write: Annotated[bool, typer.Option("--write", help="Apply the changes in place.")] = False,
        check: Annotated[bool, typer.Option("--check", help="Change nothing; exit 1 if any file would change.")] = False,
        diff: Annotated[bool, typer.Option("--diff", help="Print the diff (the default unless --write/--check).")] = False,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
        select: Annotated[Optional[list[str]], typer.Option("--select", help="Codes or prefixes to run (comma-separated).")] = None,
        ignore: Annotated[Optional[list[str]], typer.Option("--ignore", help="Codes or prefixes to skip.")] = None,
        target: Annotated[Optional[list[str]], typer.Option("--target", help="Also harden this stage (repeatable).")] = None,
        user: Annotated[str, typer.Option("--user", help="Name of the user to create.")] = "app",
        uid: Annotated[int, typer.Option("--uid", help="Its user id.")] = 10001,
        gid: Annotated[int, typer.Option("--gid", help="Its group id.")] = 10001,
        chown: Annotated[bool, typer.Option("--chown", help="COPY/ADD files owned by the new user.")] = False,
        context: Annotated[Optional[Path], typer.Option("--context", help="Build context folder (default: the Dockerfile's folder).")] = None,
        color: Annotated[Optional[bool], typer.Option("--color/--no-color", help="Colour the diff (default: on a terminal).")] = None,
        jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes (0: one per CPU); results keep their order.")] = 1,
    ) -> None:
        from .options import OptionError, Options
        from .report import Mode
        from .runner import run

        if write and check:
            raise typer.BadParameter("--write and --check exclude each other")
        mode = Mode.WRITE if write else Mode.CHECK if check else Mode.DIFF
        try:
            options = Options(
                user=user,
                uid=uid,
                gid=gid,
                targets=tuple(target or ()),
                chown=chown,
                select=_split_codes(select),
                ignore=_split_codes(ignore),
                context=context,
            )
        except OptionError as err:
            typer.echo(f"imgfix: {err}", err=True)
            raise typer.Exit(2) from None
        show_diff = (mode is Mode.DIFF or diff) and not quiet
        colour = sys.stdout.isatty() if color is None else color
        if jobs < 0:
            raise typer.BadParameter("--jobs must be 0 (one per CPU) or more")
        code = run(paths or [Path(".")], options, mode, show_diff=show_diff, quiet=quiet, colour=colour, jobs=jobs)
        raise typer.Exit(code)

    @app.command("verify", help="Build and run the original and the rewritten Dockerfile; exit 1 if the rewrite regresses.")
    def verify_command(
        paths: Annotated[Optional[list[Path]], typer.Argument(help="Dockerfiles or folders (default: .)")] = None,
        engine: Annotated[Optional[str], typer.Option("--engine", help="podman, docker or buildah (default: the first that works).")] = None,
        build_arg: Annotated[Optional[list[str]], typer.Option("--build-arg", help="NAME=value passed to both builds (repeatable).")] = None,
        target: Annotated[Optional[str], typer.Option("--target", help="Stage to build (also hardened by the fix).")] = None,
        context: Annotated[Optional[Path], typer.Option("--context", help="Build context folder (default: the Dockerfile's folder).")] = None,
        pull: Annotated[str, typer.Option("--pull", help="Base images: never (local only) or missing.")] = "missing",
        probe: Annotated[bool, typer.Option("--probe", help="HTTP-probe the app even if it EXPOSEs nothing (with --port).")] = False,
        port: Annotated[Optional[int], typer.Option("--port", help="Container port to probe (default: the first EXPOSEd one).")] = None,
        wait: Annotated[float, typer.Option("--wait", help="Seconds the app gets to start and answer.")] = 5.0,
        build_timeout: Annotated[float, typer.Option("--build-timeout", help="Seconds one build may take.")] = 900.0,
        output_format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
        select: Annotated[Optional[list[str]], typer.Option("--select", help="Codes or prefixes to run (comma-separated).")] = None,
        ignore: Annotated[Optional[list[str]], typer.Option("--ignore", help="Codes or prefixes to skip.")] = None,
        user: Annotated[str, typer.Option("--user", help="Name of the user to create.")] = "app",
        uid: Annotated[int, typer.Option("--uid", help="Its user id.")] = 10001,
        gid: Annotated[int, typer.Option("--gid", help="Its group id.")] = 10001,
        chown: Annotated[bool, typer.Option("--chown", help="COPY/ADD files owned by the new user.")] = False,
    ) -> None:
        from .options import OptionError, Options
        from .verify import VerifyError, VerifyOptions, exit_code, render_json, render_table, verify

        if output_format not in ("table", "json"):
            typer.echo("imgfix: --format must be table or json", err=True)
            raise typer.Exit(2)
        try:
            options = Options(
                user=user, uid=uid, gid=gid, targets=(target,) if target else (), chown=chown,
                select=_split_codes(select), ignore=_split_codes(ignore), context=context,
            )
            vopts = VerifyOptions(
                engine=engine, build_args=tuple(build_arg or ()), target=target, context=context, pull=pull,
                probe=probe or port is not None, port=port, wait=wait, build_timeout=build_timeout,
            )
            verdicts = verify(paths or [Path(".")], options, vopts)
        except (OptionError, VerifyError) as err:
            typer.echo(f"imgfix: {err}", err=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            typer.echo("imgfix: interrupted; every image and container it created was removed", err=True)
            raise typer.Exit(130) from None
        typer.echo(render_json(verdicts) if output_format == "json" else render_table(verdicts), nl=False)
        raise typer.Exit(exit_code(verdicts))

    @app.command("rules", help="List every transform with its codes.")
    def rules_command() -> None:
        from .transforms import all_transforms

        for transform in all_transforms():
            module = sys.modules[type(transform).__module__]
            typer.echo(f"{transform.code}  {transform.name}: {transform.summary}")
            for code, (severity, title) in module.CODES.items():
                typer.echo(f"  {code}  {severity:<7}  {title}")

    return app
