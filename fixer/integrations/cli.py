"""The ``imgfix`` command line.

``imgfix [PATH...]`` fixes Dockerfiles (a diff by default, ``--write``, ``--check``);
``imgfix rules`` lists the transforms and their codes. typer builds every command, its help and
its errors. The fix command's options are data (``FIX_OPTIONS``): typer's command is made from
them, and a plain invocation (known options, valid values) is read from them without importing
typer and click, which cost a third of a one-file run; anything else (``--help``, an unknown
option, a bad value) goes through typer. ``--version`` answers before typer or the pipeline is
imported.
"""


import inspect
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Optional

SUBCOMMANDS = ("fix", "rules", "verify", "init", "github", "server")


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-V"]):
        from .. import __version__

        print(f"imgfix {__version__}")
        raise SystemExit(0)
    if not args or args[0] not in SUBCOMMANDS + ("--help", "-h"):
        args.insert(0, "fix")
    if args[0] == "fix":
        values = _read_fix_options(args[1:])
        if values is not None:
            try:
                raise SystemExit(_fix(values))
            except _UsageError:
                pass  # typer reads the command line again and reports it with its usage
    app = _build_app()
    app(args=args, prog_name="imgfix")


def _split_codes(values: list[str] | None) -> tuple[str, ...]:
    out: list[str] = []
    for value in values or []:
        out += [v.strip().upper() for v in value.split(",") if v.strip()]
    return tuple(out)


# ------------------------------------------------------------------------------ fix


class _UsageError(ValueError):
    """A combination of options the fix command refuses (typer reports it as a usage error)."""


@dataclass(frozen=True)
class Opt:
    dest: str
    names: tuple[str, ...]  # ("--write",), ("--quiet", "-q"), ("--chown/--no-chown",); () for the PATHS argument
    kind: type  # bool, int, str or Path
    default: object = None
    help: str = ""
    many: bool = False  # repeatable: a list of values


FIX_HELP = "Fix Dockerfiles (files, or folders searched for them). Prints a diff unless --write or --check."
FIX_OPTIONS = (
    Opt("paths", (), Path, None, "Dockerfiles or folders (default: .)", many=True),
    Opt("write", ("--write",), bool, False, "Apply the changes in place."),
    Opt("check", ("--check",), bool, False, "Change nothing; exit 1 if any file would change."),
    Opt("diff", ("--diff",), bool, False, "Print the diff (the default unless --write/--check)."),
    Opt("quiet", ("--quiet", "-q"), bool, False, "Print only errors."),
    Opt("select", ("--select",), str, None, "Codes or prefixes to run (comma-separated).", many=True),
    Opt("ignore", ("--ignore",), str, None, "Codes or prefixes to skip.", many=True),
    Opt("target", ("--target",), str, None, "Also harden this stage (repeatable).", many=True),
    Opt("user", ("--user",), str, None, "Name of the user to create (default: app)."),
    Opt("uid", ("--uid",), int, None, "Its user id (default: 10001)."),
    Opt("gid", ("--gid",), int, None, "Its group id (default: 10001)."),
    Opt("chown", ("--chown/--no-chown",), bool, None, "COPY/ADD files owned by the new user."),
    Opt("unsafe_fixes", ("--unsafe-fixes/--no-unsafe-fixes",), bool, None,
        "Also apply fixes that change the container's interface (ports, how it is built)."),
    Opt("context", ("--context",), Path, None, "Build context folder (default: the Dockerfile's folder)."),
    Opt("color", ("--color/--no-color",), bool, None, "Colour the diff (default: on a terminal)."),
    Opt("jobs", ("--jobs", "-j"), int, 1, "Worker processes (0: one per CPU); results keep their order."),
    Opt("fmt", ("--format",), str, "diff", "Report format: diff, json, sarif or github (Markdown)."),
    Opt("output", ("--output", "-o"), Path, None, "Write the report to this file instead of standard output."),
    Opt("changed_since", ("--changed-since",), str, None, "Only Dockerfiles changed since this git ref (from its merge base with HEAD)."),
    Opt("config", ("--config",), Path, None,
        "Configuration file (default: the nearest .imgfix.toml, or pyproject.toml with [tool.imgfix])."),
    Opt("registry", ("--registry",), str, None, "Pull docker.io base images through this registry: HOST[/PREFIX]."),
    Opt("registry_map", ("--registry-map",), str, None, "SOURCE=HOST[/PREFIX]: mirror another registry (repeatable).", many=True),
    Opt("pin_digests", ("--pin-digests",), bool, None, "Pin base images to the digest of their tag (contacts registries)."),
    Opt("offline", ("--offline",), bool, None, "With --pin-digests: use only the lock file, contact nothing."),
    Opt("lock_file", ("--lock-file",), Path, None, "Lock file of resolved digests (default: imgfix.lock beside the Dockerfile)."),
    Opt("allow_distro_switch", ("--allow-distro-switch",), bool, None,
        "Let slim move to Alpine/minimal variants (another libc or package manager)."),
    Opt("templates", ("--templates",), Path, None, "A folder of templates that override the built-in ones (multistage)."),
)


def _read_fix_options(args: list[str]) -> dict | None:
    """The fix command's values from a plain command line, as typer would read them; None for
    anything it would treat otherwise (help, an unknown option, a value that does not convert)."""
    flags: dict[str, tuple[Opt, bool]] = {}
    for opt in FIX_OPTIONS:
        for name in opt.names:
            on, _, off = name.partition("/")
            flags[on] = (opt, True)
            if off:
                flags[off] = (opt, False)
    values: dict[str, object] = {opt.dest: opt.default for opt in FIX_OPTIONS}
    paths: list[Path] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            paths += map(Path, args[i + 1 :])
            break
        if not arg.startswith("-") or arg == "-":
            paths.append(Path(arg))
        else:
            name, eq, text = arg.partition("=")
            if name not in flags:
                return None
            opt, on = flags[name]
            if opt.kind is bool:
                if eq:
                    return None
                values[opt.dest] = on
            else:
                if not eq:
                    if i + 1 >= len(args):
                        return None
                    i += 1
                    text = args[i]
                try:
                    value = opt.kind(text)
                except ValueError:
                    return None
                values[opt.dest] = [*values[opt.dest], value] if opt.many and values[opt.dest] else [value] if opt.many else value
        i += 1
    values["paths"] = paths or None
    return values


def _fix(values: dict) -> int:
    """Run the fix command; its exit code. Raises _UsageError for options that exclude each other."""
    from ..run.config import ConfigError, Resolver
    from ..run.report import FORMATS, Mode
    from ..run.runner import run
    from ..transforms.options import OptionError

    v = SimpleNamespace(**values)
    if v.write and v.check:
        raise _UsageError("--write and --check exclude each other")
    if v.fmt not in FORMATS:
        raise _UsageError(f"--format must be one of {', '.join(FORMATS)}, not {v.fmt!r}")
    if v.jobs < 0:
        raise _UsageError("--jobs must be 0 (one per CPU) or more")
    mode = Mode.WRITE if v.write else Mode.CHECK if v.check else Mode.DIFF
    # only what the command line gives: it wins over the configuration files (fixer.run.config)
    given = {
        "user": v.user, "uid": v.uid, "gid": v.gid, "chown": v.chown, "context": v.context, "unsafe_fixes": v.unsafe_fixes,
        "targets": tuple(v.target) if v.target else None,
        "select": _split_codes(v.select) if v.select else None,
        "ignore": _split_codes(v.ignore) if v.ignore else None,
        "registry": v.registry, "pin_digests": v.pin_digests, "offline": v.offline, "lock_file": v.lock_file,
        "allow_distro_switch": v.allow_distro_switch, "templates": v.templates,
        "registry_map": tuple(tuple(m.split("=", 1)) for m in v.registry_map) if v.registry_map else None,
    }
    try:
        options = Resolver({k: value for k, value in given.items() if value is not None}, v.config)
    except (OptionError, ConfigError) as err:
        print(f"imgfix: {err}", file=sys.stderr)
        return 2
    show_diff = (mode is Mode.DIFF or v.diff) and not v.quiet
    colour = sys.stdout.isatty() if v.color is None else v.color
    return run(
        v.paths or [Path(".")], options, mode, show_diff=show_diff, quiet=v.quiet, colour=colour, jobs=v.jobs,
        fmt=v.fmt, output=v.output, changed_since=v.changed_since,
    )


def _typer_fix_command(typer):
    """The fix command for typer: a function whose signature typer reads, made from FIX_OPTIONS."""

    def fix_command(**values) -> None:
        try:
            code = _fix(values)
        except _UsageError as err:
            raise typer.BadParameter(str(err)) from None
        raise typer.Exit(code)

    parameters = []
    for opt in FIX_OPTIONS:
        kind = list[opt.kind] if opt.many else opt.kind
        info = typer.Option(*opt.names, help=opt.help) if opt.names else typer.Argument(help=opt.help)
        annotation = Annotated[Optional[kind] if opt.default is None else kind, info]
        parameters.append(inspect.Parameter(opt.dest, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=opt.default, annotation=annotation))
    fix_command.__signature__ = inspect.Signature(parameters)
    fix_command.__annotations__ = {p.name: p.annotation for p in parameters}
    return fix_command


# ------------------------------------------------------------------------------ the typer app


def _build_app():
    import typer

    # rich_markup_mode=None: help texts are plain text, never rich markup ("HOST[/PREFIX]" in an
    # option's help is not a closing tag); rich still lays the help out in panels
    app = typer.Typer(
        add_completion=False,
        no_args_is_help=False,
        rich_markup_mode=None,
        help="Repair Dockerfiles: non-root user, multi-stage builds, slim bases, .dockerignore, registries, digests.",
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    app.command("fix", help=FIX_HELP)(_typer_fix_command(typer))

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
        path: Annotated[str, typer.Option("--path", help="URL path the HTTP probe asks for (default: /).")] = "/",
        wait: Annotated[float, typer.Option("--wait", help="Seconds the app gets to start and answer.")] = 5.0,
        build_timeout: Annotated[float, typer.Option("--build-timeout", help="Seconds one build may take.")] = 900.0,
        output_format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
        select: Annotated[Optional[list[str]], typer.Option("--select", help="Codes or prefixes to run (comma-separated).")] = None,
        ignore: Annotated[Optional[list[str]], typer.Option("--ignore", help="Codes or prefixes to skip.")] = None,
        user: Annotated[str, typer.Option("--user", help="Name of the user to create.")] = "app",
        uid: Annotated[int, typer.Option("--uid", help="Its user id.")] = 10001,
        gid: Annotated[int, typer.Option("--gid", help="Its group id.")] = 10001,
        chown: Annotated[bool, typer.Option("--chown", help="COPY/ADD files owned by the new user.")] = False,
        unsafe_fixes: Annotated[bool, typer.Option("--unsafe-fixes", help="Also apply (and so verify) fixes that change the container's interface.")] = False,
    ) -> None:
        from ..transforms.options import OptionError, Options
        from .engines import VerifyError, VerifyOptions
        from .verify import (
            exit_code,
            render_json,
            render_table,
            verify,
        )

        if output_format not in ("table", "json"):
            typer.echo("imgfix: --format must be table or json", err=True)
            raise typer.Exit(2)
        try:
            options = Options(
                user=user, uid=uid, gid=gid, targets=(target,) if target else (), chown=chown, unsafe_fixes=unsafe_fixes,
                select=_split_codes(select), ignore=_split_codes(ignore), context=context,
            )
            vopts = VerifyOptions(
                engine=engine, build_args=tuple(build_arg or ()), target=target, context=context, pull=pull,
                probe=probe or port is not None, port=port, path=path, wait=wait, build_timeout=build_timeout,
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

    @app.command("init", help="Write a multi-stage, non-root Dockerfile and a .dockerignore for the project in DIR.")
    def init_command(
        directory: Annotated[Path, typer.Argument(help="The project folder (default: .)")] = Path("."),
        lang: Annotated[str, typer.Option("--lang", help="auto, python, node, go, java or rust.")] = "auto",
        force: Annotated[bool, typer.Option("--force", help="Overwrite an existing Dockerfile/.dockerignore.")] = False,
        templates: Annotated[Optional[Path], typer.Option("--templates", help="A folder of templates that override the built-in ones.")] = None,
    ) -> None:
        from .init import InitError, init

        try:
            result = init(directory, lang=lang, force=force, templates=templates)
        except InitError as err:
            typer.echo(f"imgfix init: {err}", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"detected {result.project.lang} ({', '.join(result.project.evidence) or 'from --lang'})")
        for note in result.notes:
            typer.echo(f"  note: {note}")
        for path in result.written:
            typer.echo(f"wrote {path}")

    @app.command("rules", help="List every transform with its codes.")
    def rules_command(
        code: Annotated[Optional[str], typer.Argument(help="A code, prefix or transform name: print its documentation.")] = None,
    ) -> None:
        from ..transforms.ruledocs import explain, listing

        if code is None:
            typer.echo(listing(), nl=False)
            return
        text = explain(code)
        if text is None:
            typer.echo(f"imgfix: no transform has the code {code!r} (imgfix rules lists them)", err=True)
            raise typer.Exit(2)
        typer.echo(text, nl=False)

    @app.command("server", help="Run the language server (LSP over standard input/output) for editors: diagnostics and fixes as you type.")
    def server_command(
        stdio: Annotated[bool, typer.Option("--stdio", help="Talk over standard input/output (the default and only transport).")] = True,
    ) -> None:
        from .server import (
            serve,  # pygls and lsprotocol load here only, never for the other commands
        )

        serve()

    _add_github(app)
    return app


def _add_github(app) -> None:
    """``imgfix github review|pull-request``: the pull-request bot (fixer.bot, docs/github.md)."""
    import typer

    github = typer.Typer(help="Post imgfix's changes to GitHub: a pull-request review, or a fix pull request.",
                         no_args_is_help=True, rich_markup_mode=None)
    app.add_typer(github, name="github")

    def context_and_client(repo, pr, sha, event, api_url):
        from .bot import BotError, Context
        from .github import GitHub, GitHubError

        try:
            ctx = Context.resolve(repo, pr, sha, event)
            client = GitHub.from_env(dict(os.environ, **({"GITHUB_API_URL": api_url} if api_url else {})))
        except (BotError, GitHubError) as err:
            typer.echo(f"imgfix github: {getattr(err, 'message', err)}", err=True)
            raise typer.Exit(2) from None
        return ctx, client

    def resolver(config, select, ignore, unsafe_fixes, templates):
        from ..run.config import ConfigError, Resolver
        from ..transforms.options import OptionError

        given = {"select": _split_codes(select) if select else None, "ignore": _split_codes(ignore) if ignore else None,
                 "unsafe_fixes": unsafe_fixes, "templates": templates}
        try:
            return Resolver({k: v for k, v in given.items() if v is not None}, config)
        except (OptionError, ConfigError) as err:
            typer.echo(f"imgfix: {err}", err=True)
            raise typer.Exit(2) from None

    def finish(work):
        from ..run.config import ConfigError
        from .bot import BotError
        from .github import GitHubError

        try:
            outcome = work()
        except (BotError, GitHubError, ConfigError) as err:
            typer.echo(f"imgfix github: {getattr(err, 'message', err)}", err=True)
            raise typer.Exit(2) from None
        typer.echo(f"imgfix github: {outcome.message}", err=True)
        raise typer.Exit(outcome.code)

    Repo = Annotated[Optional[str], typer.Option("--repo", help="OWNER/NAME (default: GITHUB_REPOSITORY).")]
    Sha = Annotated[Optional[str], typer.Option("--sha", help="The commit the workspace holds (default: from the event, or GITHUB_SHA).")]
    Event = Annotated[Optional[str], typer.Option("--event", help="The event JSON file (default: GITHUB_EVENT_PATH).")]
    ApiUrl = Annotated[Optional[str], typer.Option("--api-url", help="REST API URL (default: GITHUB_API_URL, else https://api.github.com).")]
    Workspace = Annotated[Optional[Path], typer.Option("--workspace", help="The checked-out repository (default: GITHUB_WORKSPACE, else .).")]
    Config = Annotated[Optional[Path], typer.Option("--config", help="Configuration file (default: the nearest one, as imgfix).")]
    Select = Annotated[Optional[list[str]], typer.Option("--select", help="Codes or prefixes to run (comma-separated).")]
    Ignore = Annotated[Optional[list[str]], typer.Option("--ignore", help="Codes or prefixes to skip.")]
    Unsafe = Annotated[Optional[bool], typer.Option("--unsafe-fixes/--no-unsafe-fixes", help="Offer fixes that change the container's interface.")]
    Templates = Annotated[Optional[Path], typer.Option("--templates", help="The organisation's templates (multistage).")]
    Summary = Annotated[Optional[Path], typer.Option("--summary", help="Markdown job summary to append to (default: GITHUB_STEP_SUMMARY).")]

    def workspace_of(workspace):
        return workspace or Path(os.environ.get("GITHUB_WORKSPACE") or ".")

    @github.command("review", help="Post a pull-request review: one-click suggestions on the diff, the rest in the review body.")
    def review_command(
        repo: Repo = None,
        pr: Annotated[Optional[int], typer.Option("--pr", help="Pull request number (default: from the event).")] = None,
        sha: Sha = None, event: Event = None, api_url: ApiUrl = None, workspace: Workspace = None,
        config: Config = None, select: Select = None, ignore: Ignore = None, unsafe_fixes: Unsafe = None,
        templates: Templates = None, summary: Summary = None,
        login: Annotated[Optional[str], typer.Option("--login", help="The bot's account (github-actions[bot] with the workflow's token): marked reviews and comments by anyone else are ignored.")] = None,
    ) -> None:
        from .bot import UntrustedOptions, review

        ctx, client = context_and_client(repo, pr, sha, event, api_url)
        options = UntrustedOptions(resolver(config, select, ignore, unsafe_fixes, templates))
        summary = summary or (Path(os.environ["GITHUB_STEP_SUMMARY"]) if os.environ.get("GITHUB_STEP_SUMMARY") else None)
        finish(lambda: review(client, ctx, workspace_of(workspace), options, summary, login or None))

    @github.command("pull-request", help="Write the fixes, commit them on one branch and open, update or close its pull request.")
    def pull_request_command(
        paths: Annotated[Optional[list[Path]], typer.Argument(help="Dockerfiles or folders (default: the workspace)")] = None,
        repo: Repo = None, sha: Sha = None, event: Event = None, api_url: ApiUrl = None, workspace: Workspace = None,
        base: Annotated[Optional[str], typer.Option("--base", help="Branch the pull request targets (default: the repository's default branch).")] = None,
        branch: Annotated[str, typer.Option("--branch", help="Branch that carries the fixes.")] = "imgfix/harden",
        verify: Annotated[bool, typer.Option("--verify", help="Build and run each changed Dockerfile before and after (imgfix verify), results in the body.")] = False,
        engine: Annotated[Optional[str], typer.Option("--engine", help="With --verify: podman, docker or buildah.")] = None,
        config: Config = None, select: Select = None, ignore: Ignore = None, unsafe_fixes: Unsafe = None,
        templates: Templates = None, summary: Summary = None,
    ) -> None:
        from .bot import write_summary
        from .pullrequest import fix_pull_request

        ctx, client = context_and_client(repo, None, sha, event, api_url)
        options = resolver(config, select, ignore, unsafe_fixes, templates)
        vopts = None
        if verify:
            from .engines import VerifyError, VerifyOptions

            try:
                vopts = VerifyOptions(engine=engine)
            except VerifyError as err:
                typer.echo(f"imgfix: {err}", err=True)
                raise typer.Exit(2) from None
        where = workspace_of(workspace)
        summary = summary or (Path(os.environ["GITHUB_STEP_SUMMARY"]) if os.environ.get("GITHUB_STEP_SUMMARY") else None)

        def work():
            outcome = fix_pull_request(client, ctx, where, paths or [where], options, base=base, branch=branch, verify_options=vopts)
            write_summary(f"imgfix pull request: {outcome.message}", summary)
            return outcome

        finish(work)
