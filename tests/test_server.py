"""``imgfix server`` end to end: a real LSP client (pytest-lsp) talks to ``python -m fixer server``
over standard input/output, as an editor would."""

from __future__ import annotations

import ast
import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import pytest_lsp
from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

ROOT_APP = textwrap.dedent("""\
    FROM python:3.12-slim
    WORKDIR /app
    COPY . .
    RUN pip install --no-cache-dir flask
    CMD ["flask", "run"]
""")
DIGNORE = "# nothing to leak here\n.git\n"
TIMEOUT = 20  # seconds a check may take on a busy machine

def capabilities(resource_operations: bool = True) -> lsp.ClientCapabilities:
    caps = client_capabilities("visual_studio_code")
    if not resource_operations:
        caps.workspace.workspace_edit.resource_operations = []
    return caps


def make_client() -> LanguageClient:
    """pytest-lsp's client, which also accepts the server's file watchers (as editors do)."""
    from pygls.protocol import default_converter
    from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

    def publish(client_: LanguageClient, params: lsp.PublishDiagnosticsParams) -> None:
        client_.versions[params.uri] = params.version  # uri -> the version the diagnostics are for
        client_.diagnostics[params.uri] = params.diagnostics

    def register(client_: LanguageClient, params: lsp.RegistrationParams) -> None:
        client_.registrations += params.registrations

    client = LanguageClient(converter_factory=default_converter)
    client.registrations, client.versions = [], {}
    register_lsp_features(client, {**DEFAULT_CLIENT_FEATURES, lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: publish,
                                   lsp.CLIENT_REGISTER_CAPABILITY: register})
    return client


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "fixer", "server"], client_factory=make_client))
async def client(lsp_client: LanguageClient):
    yield
    if lsp_client.capabilities is not None and lsp_client._server and lsp_client._server.returncode is None:
        await lsp_client.shutdown_session()


async def start(client: LanguageClient, root: Path, init: dict | None = None, resource_operations: bool = True):
    return await client.initialize_session(lsp.InitializeParams(
        capabilities=capabilities(resource_operations), root_uri=from_fs_path(str(root)),
        workspace_folders=[lsp.WorkspaceFolder(uri=from_fs_path(str(root)), name="project")],
        initialization_options=init,
    ))


def project(tmp_path: Path, text: str = ROOT_APP, dockerignore: str | None = DIGNORE, name: str = "Dockerfile") -> Path:
    (tmp_path / "app.py").write_text("print('hi')\n")
    (tmp_path / "requirements.txt").write_text("flask\n")
    if dockerignore is not None:
        (tmp_path / ".dockerignore").write_text(dockerignore)
    path = tmp_path / name
    path.write_text(text)
    return path


class Doc:
    """An open document on the client's side: its text and version, changed as an editor does."""

    def __init__(self, client: LanguageClient, path: Path, text: str | None = None) -> None:
        self.client, self.path, self.uri = client, path, from_fs_path(str(path))
        self.text = path.read_text() if text is None else text
        self.version = 1
        client.diagnostics.pop(self.uri, None)
        client.text_document_did_open(lsp.DidOpenTextDocumentParams(
            lsp.TextDocumentItem(uri=self.uri, language_id="dockerfile", version=1, text=self.text)))

    def replace_all(self, text: str) -> None:
        self.client.diagnostics.pop(self.uri, None)
        self.version += 1
        self.text = text
        self.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
            [lsp.TextDocumentContentChangeWholeDocument(text=text)]))

    def apply(self, edits: list[lsp.TextEdit]) -> None:
        """The edits as incremental changes, last first (as an editor applies them)."""
        self.client.diagnostics.pop(self.uri, None)
        self.version += 1
        changes = []
        for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
            self.text = splice(self.text, e)
            changes.append(lsp.TextDocumentContentChangePartial(range=e.range, text=e.new_text))
        self.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version), changes))

    async def diagnostics(self, until=lambda diags: True) -> list[lsp.Diagnostic]:
        """The diagnostics of the current version, once ``until`` holds for them (a check
        started before a change of settings or files may still answer first)."""
        async def wait():
            while not (self.uri in self.client.diagnostics and self.client.versions.get(self.uri) == self.version
                       and until(list(self.client.diagnostics[self.uri]))):
                await self.client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            return list(self.client.diagnostics[self.uri])

        return await asyncio.wait_for(wait(), TIMEOUT)

    async def actions(self, rng: lsp.Range | None = None, only: list[str] | None = None,
                      diagnostics: list[lsp.Diagnostic] | None = None) -> list[lsp.CodeAction]:
        rng = rng or lsp.Range(lsp.Position(0, 0), lsp.Position(len(self.text.splitlines()), 0))
        result = await self.client.text_document_code_action_async(lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=self.uri), range=rng,
            context=lsp.CodeActionContext(diagnostics=diagnostics or [], only=only)))
        return list(result or [])


def offset(text: str, pos: lsp.Position) -> int:
    lines = text.splitlines(keepends=True)
    return sum(len(line) for line in lines[:pos.line]) + pos.character


def splice(text: str, edit: lsp.TextEdit) -> str:
    return text[:offset(text, edit.range.start)] + edit.new_text + text[offset(text, edit.range.end):]


def codes(diags: list[lsp.Diagnostic]) -> list[str]:
    return sorted(str(d.code) for d in diags if d.code)


def apply_workspace_edit(edit: lsp.WorkspaceEdit, docs: dict[str, Doc]) -> list[Path]:
    """Apply a WorkspaceEdit as an editor does: open documents through didChange, other files on
    disk. Returns the files it created."""
    created: list[Path] = []
    for change in edit.document_changes or []:
        if isinstance(change, lsp.CreateFile):
            path = Path(change.uri.removeprefix("file://"))
            assert not path.exists()
            path.write_text("")
            created.append(path)
        elif isinstance(change, lsp.TextDocumentEdit):
            uri = change.text_document.uri
            if uri in docs:
                assert change.text_document.version == docs[uri].version
                docs[uri].apply(list(change.edits))
            else:
                path = Path(uri.removeprefix("file://"))
                text = path.read_text()
                for e in sorted(change.edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
                    text = splice(text, e)
                path.write_text(text)
        else:
            raise AssertionError(f"unexpected change {change!r}")
    return created


# -------------------------------------------------------------------------------------- tests


@pytest.mark.asyncio
async def test_initialize_advertises_the_features(client: LanguageClient, tmp_path):
    result = await start(client, tmp_path)
    caps = result.capabilities
    assert result.server_info.name == "imgfix"
    assert set(caps.code_action_provider.code_action_kinds) == {"quickfix", "source.fixAll.imgfix"}
    assert caps.hover_provider and "imgfix.writeSideFiles" in caps.execute_command_provider.commands
    assert caps.text_document_sync.change == lsp.TextDocumentSyncKind.Incremental

    async def watched():  # the server asks the editor to watch the configuration files
        while not client.registrations:
            await asyncio.sleep(0.05)
        return client.registrations

    [registration] = await asyncio.wait_for(watched(), TIMEOUT)
    assert registration.method == lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES
    assert [w["globPattern"] for w in registration.register_options["watchers"]] == [
        "**/.imgfix.toml", "**/pyproject.toml", "**/.dockerignore"]


@pytest.mark.asyncio
async def test_diagnostics_on_open_and_on_change(client: LanguageClient, tmp_path):
    await start(client, tmp_path)
    doc = Doc(client, project(tmp_path))
    diags = await doc.diagnostics()
    assert "USR001" in codes(diags)
    usr = next(d for d in diags if d.code == "USR001")
    assert usr.severity == lsp.DiagnosticSeverity.Warning and usr.source == "imgfix"
    assert usr.message.startswith("The stage runs as root\nfix: ")
    assert usr.code_description.href.endswith("#usr001")
    # the range of its instruction: the final stage's FROM line, whole
    assert usr.range == lsp.Range(lsp.Position(0, 0), lsp.Position(0, len("FROM python:3.12-slim")))

    # the change: the stage now runs as a user; the check runs again after the pause
    doc.replace_all(ROOT_APP.replace("CMD", "USER 10001:10001\nCMD"))
    assert "USR001" not in codes(await doc.diagnostics())


@pytest.mark.asyncio
async def test_diagnostics_on_save_read_the_build_context_again(client: LanguageClient, tmp_path):
    await start(client, tmp_path)
    doc = Doc(client, project(tmp_path, dockerignore=None))
    assert "DIG001" in codes(await doc.diagnostics())
    (tmp_path / ".dockerignore").write_text(DIGNORE)  # written by hand, no file watcher
    client.diagnostics.pop(doc.uri)
    client.text_document_did_save(lsp.DidSaveTextDocumentParams(lsp.TextDocumentIdentifier(uri=doc.uri)))
    assert "DIG001" not in codes(await doc.diagnostics(until=lambda diags: "DIG001" not in codes(diags)))


@pytest.mark.asyncio
async def test_a_quick_fix_is_minimal_and_clears_its_finding(client: LanguageClient, tmp_path):
    await start(client, tmp_path)
    doc = Doc(client, project(tmp_path))
    usr = next(d for d in await doc.diagnostics() if d.code == "USR001")
    actions = await doc.actions(usr.range, only=[lsp.CodeActionKind.QuickFix], diagnostics=[usr])
    fix = next(a for a in actions if a.diagnostics and a.diagnostics[0].code == "USR001")
    assert fix.kind == lsp.CodeActionKind.QuickFix and fix.title == "imgfix: fix USR001 (The stage runs as root)"
    assert fix.is_preferred
    [change] = fix.edit.document_changes
    edits = list(change.edits)
    # lines inserted before CMD: nothing of the document is replaced, so cursor and undo stay
    assert edits and all(e.range.start == e.range.end for e in edits)
    apply_workspace_edit(fix.edit, {doc.uri: doc})
    assert "USER 10001:10001" in doc.text and doc.text.startswith(ROOT_APP.split("CMD")[0])
    assert "USR001" not in codes(await doc.diagnostics())


@pytest.mark.asyncio
async def test_fix_all_creates_the_dockerignore_in_the_same_edit(client: LanguageClient, tmp_path):
    await start(client, tmp_path)
    path = project(tmp_path, dockerignore=None)
    doc = Doc(client, path)
    before = codes(await doc.diagnostics())
    assert {"DIG001", "USR001"} <= set(before)
    [action] = await doc.actions(only=["source.fixAll.imgfix"])
    assert action.kind == "source.fixAll.imgfix" and action.title == "imgfix: fix all"
    kinds = [type(c).__name__ for c in action.edit.document_changes]
    assert kinds == ["TextDocumentEdit", "CreateFile", "TextDocumentEdit"]
    assert action.edit.document_changes[1].uri == from_fs_path(str(tmp_path / ".dockerignore"))
    created = apply_workspace_edit(action.edit, {doc.uri: doc})
    assert created == [tmp_path / ".dockerignore"] and ".git" in created[0].read_text().splitlines()
    # the editor's file watcher tells the server that .dockerignore appeared
    client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
        [lsp.FileEvent(uri=from_fs_path(str(created[0])), type=lsp.FileChangeType.Created)]))
    after = await doc.diagnostics(until=lambda diags: "DIG001" not in codes(diags))
    assert not [d for d in after if d.message.split("\n")[1].startswith("fix")], codes(after)
    assert not any(d.severity == lsp.DiagnosticSeverity.Warning for d in after if d.code in ("USR001", "DIG001"))


@pytest.mark.asyncio
async def test_without_resource_operations_the_side_file_is_a_separate_action(client: LanguageClient, tmp_path):
    await start(client, tmp_path, resource_operations=False)
    doc = Doc(client, project(tmp_path, dockerignore=None))
    await doc.diagnostics()
    actions = await doc.actions(only=["source.fixAll.imgfix"])
    assert [a.title for a in actions] == ["imgfix: fix all", "imgfix: create .dockerignore"]
    assert all(not isinstance(c, lsp.CreateFile) for c in actions[0].edit.document_changes)
    # lsprotocol's client reads a CodeAction that carries a command as a Command, with the
    # command object turned into its repr (the union is resolved by field names): read it back
    command = actions[1].command
    if isinstance(actions[1], lsp.Command):
        command = ast.literal_eval(command)
        command = lsp.Command(title=command["title"], command=command["command"], arguments=command["arguments"])
    assert command.command == "imgfix.writeSideFiles"
    await client.workspace_execute_command_async(lsp.ExecuteCommandParams(command=command.command, arguments=command.arguments))
    assert ".git" in (tmp_path / ".dockerignore").read_text().splitlines()
    # written only while the file is as the fix found it
    with pytest.raises(JsonRpcException, match="writes none"):
        await client.workspace_execute_command_async(lsp.ExecuteCommandParams(command=command.command, arguments=command.arguments))


@pytest.mark.asyncio
async def test_configuration_from_files_settings_and_changes(client: LanguageClient, tmp_path):
    (tmp_path / ".imgfix.toml").write_text('ignore = ["LYR"]\n')
    await start(client, tmp_path, init={"select": ["USR", "LYR", "MSB"]})
    text = ROOT_APP.replace("--no-cache-dir ", "")
    doc = Doc(client, project(tmp_path, text))
    first = codes(await doc.diagnostics())
    assert "USR001" in first and not [c for c in first if c.startswith(("LYR", "DIG"))]  # file ignores, init selects

    client.diagnostics.pop(doc.uri, None)
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings={"imgfix": {"ignore": ["USR"]}}))
    second = codes(await doc.diagnostics(until=lambda diags: "USR001" not in codes(diags)))
    assert "USR001" not in second and "DIG001" not in second  # the client's ignore wins; the file's select is all

    # the configuration file changes: read again
    (tmp_path / ".imgfix.toml").write_text('ignore = ["LYR"]\nselect = ["LYR"]\n')
    client.diagnostics.pop(doc.uri, None)
    client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
        [lsp.FileEvent(uri=from_fs_path(str(tmp_path / ".imgfix.toml")), type=lsp.FileChangeType.Changed)]))
    assert codes(await doc.diagnostics(until=lambda diags: "MSB002" not in codes(diags))) == ["LYR004"]  # the client's ignore replaces the file's, as --ignore does

    # a configuration that is not valid: one diagnostic that says so
    (tmp_path / ".imgfix.toml").write_text('uid = "ten"\n')
    client.diagnostics.pop(doc.uri, None)
    client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
        [lsp.FileEvent(uri=from_fs_path(str(tmp_path / ".imgfix.toml")), type=lsp.FileChangeType.Changed)]))
    [bad] = await doc.diagnostics(until=lambda diags: len(diags) == 1)
    assert bad.severity == lsp.DiagnosticSeverity.Error and "uid" in bad.message and ".imgfix.toml" in bad.message


@pytest.mark.asyncio
async def test_unsafe_fixes_only_when_the_settings_say_so(client: LanguageClient, tmp_path):
    await start(client, tmp_path, init={"select": ["LYR"]})
    text = ROOT_APP.replace("RUN pip install --no-cache-dir flask", "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*")
    doc = Doc(client, project(tmp_path, text))
    [held] = [d for d in await doc.diagnostics() if d.code == "LYR008"]
    assert "unsafe fix is held back" in held.message
    assert not await doc.actions(held.range, only=["quickfix"], diagnostics=[held])
    assert not await doc.actions(only=["source.fixAll.imgfix"])

    client.diagnostics.pop(doc.uri, None)
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings={"unsafeFixes": True, "select": ["LYR"]}))
    diags = await doc.diagnostics(until=lambda diags: any("held back" not in d.message for d in diags if d.code == "LYR008"))
    [now] = [d for d in diags if d.code == "LYR008"]
    [action] = await doc.actions(now.range, only=["quickfix"], diagnostics=[now])
    assert action.title.endswith("(unsafe fix)")
    apply_workspace_edit(action.edit, {doc.uri: doc})
    assert "--no-install-recommends" in doc.text


@pytest.mark.asyncio
async def test_a_file_that_does_not_parse_gets_one_diagnostic(client: LanguageClient, tmp_path):
    await start(client, tmp_path)
    doc = Doc(client, project(tmp_path, "FROM alpine:3.20\nFROBNICATE now\n"))
    [d] = await doc.diagnostics()
    assert d.severity == lsp.DiagnosticSeverity.Error and "unknown instruction: FROBNICATE" in d.message
    assert d.range.start.line == 1
    assert await doc.actions() == []
    # the server goes on: fixed, the file is checked again
    doc.replace_all("FROM alpine:3.20\nUSER 10001:10001\n")
    assert all(x.severity != lsp.DiagnosticSeverity.Error for x in await doc.diagnostics())


@pytest.mark.asyncio
async def test_a_file_over_the_limits_is_refused_as_the_cli_refuses_it(client: LanguageClient, tmp_path):
    await start(client, tmp_path)
    doc = Doc(client, project(tmp_path, "FROM alpine:3.20\nRUN echo " + "x" * (1 << 20) + "\n"))
    [d] = await doc.diagnostics()
    assert "over imgfix's limit" in d.message and d.range.start.line == 1
    cli = subprocess.run([sys.executable, "-m", "fixer", "fix", str(doc.path)], capture_output=True, text=True)
    assert cli.returncode == 2 and d.message.split(": ", 1)[1] in cli.stderr


@pytest.mark.asyncio
async def test_hover_shows_the_rule(client: LanguageClient, tmp_path):
    await start(client, tmp_path)
    doc = Doc(client, project(tmp_path, ROOT_APP + "# imgfix: ignore[LYR004]\n"))
    usr = next(d for d in await doc.diagnostics() if d.code == "USR001")
    hover = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=doc.uri), position=usr.range.start))
    value = hover.contents.value
    assert "**USR001** (warning, fix: safe): The stage runs as root" in value  # (and DIG002, on the same line)
    assert "## What it does" in value and "## Fix safety" in value and "USR005  warning  fix: none" in value
    # a code written in a comment
    line = len(ROOT_APP.splitlines())
    hover = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=doc.uri), position=lsp.Position(line, 20)))
    assert hover.contents.value.startswith("**LYR004**")


@pytest.mark.asyncio
async def test_an_unknown_document_is_an_error_and_the_server_goes_on(client: LanguageClient, tmp_path):
    await start(client, tmp_path)
    unknown = from_fs_path(str(tmp_path / "Dockerfile.never-opened"))
    with pytest.raises(JsonRpcException, match="unknown document"):
        await client.text_document_code_action_async(lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=unknown), range=lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)),
            context=lsp.CodeActionContext(diagnostics=[])))
    doc = Doc(client, project(tmp_path))
    assert "USR001" in codes(await doc.diagnostics())


@pytest.mark.asyncio
async def test_other_files_get_no_diagnostics(client: LanguageClient, tmp_path):
    await start(client, tmp_path)
    notes = Doc(client, project(tmp_path, name="notes.txt"))
    doc = Doc(client, project(tmp_path, name="api.Dockerfile"))
    assert "USR001" in codes(await doc.diagnostics())
    assert notes.uri not in client.diagnostics and await notes.actions() == []


@pytest.mark.asyncio
async def test_shutdown_and_exit(client: LanguageClient, tmp_path):
    await start(client, tmp_path)
    doc = Doc(client, project(tmp_path))
    await doc.diagnostics()
    assert await client.shutdown_async(None) is None
    client.exit(None)
    assert await asyncio.wait_for(client._server.wait(), TIMEOUT) == 0


def test_the_cli_does_not_load_the_server(tmp_path):
    """pygls and lsprotocol load for ``imgfix server`` only: other commands start as fast as before."""
    path = project(tmp_path)
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "fixer", "fix", "--check", "--select", "USR", str(path)],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    loaded = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if "|" in line}
    assert "fixer" in loaded and not loaded & {"pygls", "lsprotocol", "cattrs", "attrs"}


def test_positions_count_the_clients_units():
    from fixer.integrations.editor import Positions

    text = "LABEL x=\"😀\"\r\nFROM a\rUSER b\n"
    utf16 = Positions(text, lambda s: len(s.encode("utf-16-le")) // 2)
    assert utf16.position(text.index("\r\n")) == lsp.Position(0, 12)
    assert utf16.position(text.index("FROM")) == lsp.Position(1, 0)
    assert utf16.position(text.index("USER") + 2) == lsp.Position(2, 2)  # a lone \r ends a line too
    assert Positions(text, len).position(text.index("\r\n")) == lsp.Position(0, 11)


def test_settings_are_read_leniently():
    from fixer.integrations.editor import Settings

    settings, problems = Settings.parse({"imgfix": {"select": "usr, lyr", "unsafe-fixes": True, "ignore": 3, "colour": 1}}, None)
    assert settings.select == ("USR", "LYR") and settings.unsafe_fixes is True and settings.ignore is None
    assert len(problems) == 2 and "ignore" in problems[0] and "colour" in problems[1]
    assert Settings.parse({"settings": {"unsafeFixes": False}}, None)[0].unsafe_fixes is False


def test_refused_as_the_cli_reads_files():
    from fixer.run.files import MAX_SIZE
    from fixer.integrations.editor import refused

    assert refused("FROM a\n") is None
    assert refused("FROM a\0") == "is a binary file (it contains NUL bytes)"
    assert refused("é" * (MAX_SIZE // 2 + 1)) == "larger than 64 MiB; not a Dockerfile"


def test_each_finding_gets_only_its_own_changes(tmp_path):
    """Changes on neighbouring lines belong to the findings on those lines, and a change within
    a line is only what differs (an insertion stays an insertion)."""
    from fixer.integrations.editor import Settings, lint

    text = ("FROM python:3.12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"
            "RUN pip install flask\nUSER 1000:1000\n")
    path = project(tmp_path, text)
    result = lint(path, text, Settings())
    fixes = {f.code: result.fix_for(f) for f in result.findings if f.fixed}
    [apt] = fixes["LYR001"].hunks
    [pip] = fixes["LYR004"].hunks
    assert (apt.start_line, apt.original, apt.replacement) == (2, "", " && rm -rf /var/lib/apt/lists/*")
    assert (pip.start_line, pip.original, pip.replacement) == (3, "", "--no-cache-dir ")


def test_a_finding_on_what_an_earlier_fix_makes_has_a_quick_fix_too(tmp_path):
    """USR001 on the runtime stage the multi-stage fix adds: its quick fix includes that fix."""
    from fixer.integrations.editor import Settings, _apply, _parses, lint

    text = textwrap.dedent("""\
        FROM python:3.12
        WORKDIR /app
        COPY requirements.txt .
        RUN pip install --no-cache-dir -r requirements.txt
        COPY . .
        CMD ["python", "app.py"]
    """)
    path = project(tmp_path, text)
    result = lint(path, text, Settings())
    fixed = [f for f in result.findings if f.fixed]
    assert {"MSB001", "USR001"} <= {f.code for f in fixed}
    for f in fixed:
        quick = result.fix_for(f)
        assert quick is not None and _parses(_apply(text, quick.hunks)), f.code
    usr = result.fix_for(next(f for f in fixed if f.code == "USR001"))
    assert usr.title.endswith("with the fixes it needs first") and "AS builder" in _apply(text, usr.hunks)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", " ", "\n", "\r\n", "\r", "é", "😀"]), max_size=30).map("".join),
       st.lists(st.sampled_from(["a", "b", " ", "\n", "\r\n", "\r", "é", "😀"]), max_size=30).map("".join))
def test_minimal_changes_rebuild_the_fixed_text(original, fixed):
    from fixer.integrations.editor import _apply, minimal_changes

    found = minimal_changes(original, fixed)
    assert _apply(original, found) == fixed
    for h in found:  # never between \r and \n (no LSP position)
        for at in (h.start, h.end):
            assert not (0 < at < len(original) and original[at - 1] == "\r" and original[at] == "\n")


def test_diagnostics_link_where_the_sarif_does():
    from fixer.integrations.editor import DOCS_URL
    from fixer.run.formats import help_uri

    assert DOCS_URL.replace("{code}", "usr001") == help_uri("USR001")
