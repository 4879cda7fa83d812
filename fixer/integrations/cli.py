"""The ``imgfix`` command line.

``imgfix [PATH...]`` fixes Dockerfiles (a diff by default, ``--write``, ``--check``);
``imgfix rules`` lists the transforms and their codes. ``--version`` answers before typer is
imported, so start-up stays fast.
"""


import os
import sys
from pathlib import Path
from typing import Annotated, Optional

SUBCOMMANDS = ("fix", "rules", "verify", "init", "github")


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-V"]):
        from .. import __version__

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

    # rich_markup_mode=None: help texts are plain text, never rich markup ("HOST[/PREFIX]" in an
    # option's help is not a closing tag); rich still lays the help out in panels
    app = typer.Typer(
        add_completion=False,
        no_args_is_help=False,
        rich_markup_mode=None,
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
        user: Annotated[Optional[str], typer.Option("--user", help="Name of the user to create (default: app).")] = None,
        uid: Annotated[Optional[int], typer.Option("--uid", help="Its user id (default: 10001).")] = None,
        gid: Annotated[Optional[int], typer.Option("--gid", help="Its group id (default: 10001).")] = None,
        chown: Annotated[Optional[bool], typer.Option("--chown/--no-chown", help="COPY/ADD files owned by the new user.")] = None,
        unsafe_fixes: Annotated[Optional[bool], typer.Option("--unsafe-fixes/--no-unsafe-fixes", help="Also apply fixes that change the container's interface (ports, how it is built).")] = None,
        context: Annotated[Optional[Path], typer.Option("--context", help="Build context folder (default: the Dockerfile's folder).")] = None,
        color: Annotated[Optional[bool], typer.Option("--color/--no-color", help="Colour the diff (default: on a terminal).")] = None,
        jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes (0: one per CPU); results keep their order.")] = 1,
        fmt: Annotated[str, typer.Option("--format", help="Report format: diff, json, sarif or github (Markdown).")] = "diff",
        output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the report to this file instead of standard output.")] = None,
        changed_since: Annotated[Optional[str], typer.Option("--changed-since", help="Only Dockerfiles changed since this git ref (from its merge base with HEAD).")] = None,
        config: Annotated[Optional[Path], typer.Option("--config", help="Configuration file (default: the nearest .imgfix.toml, or pyproject.toml with [tool.imgfix]).")] = None,
        registry: Annotated[Optional[str], typer.Option("--registry", help="Pull docker.io base images through this registry: HOST[/PREFIX].")] = None,
        registry_map: Annotated[Optional[list[str]], typer.Option("--registry-map", help="SOURCE=HOST[/PREFIX]: mirror another registry (repeatable).")] = None,
        pin_digests: Annotated[Optional[bool], typer.Option("--pin-digests", help="Pin base images to the digest of their tag (contacts registries).")] = None,
        offline: Annotated[Optional[bool], typer.Option("--offline", help="With --pin-digests: use only the lock file, contact nothing.")] = None,
        lock_file: Annotated[Optional[Path], typer.Option("--lock-file", help="Lock file of resolved digests (default: imgfix.lock beside the Dockerfile).")] = None,
        allow_distro_switch: Annotated[Optional[bool], typer.Option("--allow-distro-switch", help="Let slim move to Alpine/minimal variants (another libc or package manager).")] = None,
        templates: Annotated[Optional[Path], typer.Option("--templates", help="A folder of templates that override the built-in ones (multistage).")] = None,
    ) -> None:
        from ..run.config import ConfigError, Resolver
        from ..run.formats import FORMATS
        from ..run.report import Mode
        from ..run.runner import run
        from ..transforms.options import OptionError

        if write and check:
            raise typer.BadParameter("--write and --check exclude each other")
        mode = Mode.WRITE if write else Mode.CHECK if check else Mode.DIFF
        if fmt not in FORMATS:
            raise typer.BadParameter(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        # only what the command line gives: it wins over the configuration files (fixer.config)
        given = {
            "user": user, "uid": uid, "gid": gid, "chown": chown, "context": context, "unsafe_fixes": unsafe_fixes,
            "targets": tuple(target) if target else None,
            "select": _split_codes(select) if select else None,
            "ignore": _split_codes(ignore) if ignore else None,
            "registry": registry, "pin_digests": pin_digests, "offline": offline, "lock_file": lock_file,
            "allow_distro_switch": allow_distro_switch, "templates": templates,
            "registry_map": tuple(tuple(m.split("=", 1)) for m in registry_map) if registry_map else None,
        }
        try:
            options = Resolver({k: v for k, v in given.items() if v is not None}, config)
        except (OptionError, ConfigError) as err:
            typer.echo(f"imgfix: {err}", err=True)
            raise typer.Exit(2) from None
        show_diff = (mode is Mode.DIFF or diff) and not quiet
        colour = sys.stdout.isatty() if color is None else color
        if jobs < 0:
            raise typer.BadParameter("--jobs must be 0 (one per CPU) or more")
        code = run(
            paths or [Path(".")], options, mode, show_diff=show_diff, quiet=quiet, colour=colour, jobs=jobs,
            fmt=fmt, output=output, changed_since=changed_since,
        )
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
        from .verify import (
            VerifyError,
            VerifyOptions,
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
        import inspect

        from ..transforms import all_transforms

        for transform in all_transforms():
            module = sys.modules[type(transform).__module__]
            codes = [f"  {name}  {severity:<7}  fix: {fix:<6}  {title}" for name, (severity, title, fix) in module.CODES.items()]
            if code is None:
                typer.echo(f"{transform.code}  {transform.name}: {transform.summary}")
                typer.echo("\n".join(codes))
            elif code.upper().startswith(transform.code) or code.lower() == transform.name:
                typer.echo(inspect.cleandoc(module.__doc__ or transform.summary))
                typer.echo("\nCodes (fix: safe = applied by default, unsafe = only with --unsafe-fixes, none = left to a person):")
                typer.echo("\n".join(codes))
                return
        if code is not None:
            typer.echo(f"imgfix: no transform has the code {code!r} (imgfix rules lists them)", err=True)
            raise typer.Exit(2)

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
        from .bot import fix_pull_request, write_summary

        ctx, client = context_and_client(repo, None, sha, event, api_url)
        options = resolver(config, select, ignore, unsafe_fixes, templates)
        vopts = None
        if verify:
            from .verify import VerifyError, VerifyOptions

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
