"""``imgfix server``: a language server (LSP over standard input/output) for editors.

The editor gets what the command line prints, as it types: one diagnostic per finding, a quick
fix per finding that has a fix, ``source.fixAll.imgfix`` for all of them, and the rule's
documentation on hover. Everything goes through the same pipeline as ``imgfix fix``
(``fixer.integrations.editor`` runs ``fixer.run.pipeline.fix``), with the configuration the
command line would use for the file (``.imgfix.toml`` / ``pyproject.toml``, ``fixer.run.config``)
and the client's settings in place of the command line's options (they win over the files, as
options do).

- Documents: the names the CLI recognises (``fixer.run.files.is_dockerfile_name``), as ``file:``
  URIs; the build context is the file's folder or the configured one, read from disk as the CLI
  reads it. Nothing from the workspace is executed, and no registry is contacted: with
  ``pin-digests`` the server pins from the lock file only (``offline``).
- Diagnostics on open and save at once, on change after a pause (``DEBOUNCE``); the range is the
  finding's instruction. A file that cannot be processed (parse error, too large, a bad
  configuration) gets one diagnostic that says why.
- Edits are the changed lines (``fixer.run.formats.hunks``), never the whole document, so the
  editor keeps the cursor and undo history. Side files (``.dockerignore``) go into the same
  WorkspaceEdit (``CreateFile`` + ``TextDocumentEdit``) when the client supports it, otherwise
  into a separate action that the server carries out (``imgfix.writeSideFiles``).
- Settings (``initializationOptions``, ``workspace/didChangeConfiguration``, or
  ``workspace/configuration`` section ``imgfix``): ``select``, ``ignore``, ``unsafeFixes``,
  ``config`` (one configuration file for every Dockerfile, as ``--config``).

pygls and lsprotocol are imported by this module and ``fixer.integrations.editor`` only, which
only ``imgfix server`` imports (tests/test_server.py checks the CLI's start-up).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcContentModified, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from .. import __version__
from ..run.files import is_dockerfile_name, write_all
from ..transforms import FileChange, Finding
from .editor import (
    NAME,
    Fix,
    Lint,
    Positions,
    Settings,
    diagnostics,
    hover_text,
    lint,
    minimal_changes,
    text_edits,
)

DEBOUNCE = 0.3  # seconds without a change before a changed document is checked again
FIX_ALL = "source.fixAll.imgfix"
WRITE_SIDE_FILES = "imgfix.writeSideFiles"
CONFIG_FILES = ("**/.imgfix.toml", "**/pyproject.toml", "**/.dockerignore")
_CODE = re.compile(r"\b[A-Z]{3}\d{3}\b")

log = logging.getLogger("imgfix.server")


# -------------------------------------------------------------------------------------- server


@dataclass
class Open:
    """A document the client opened, and its last check."""

    uri: str
    path: Path | None  # None: not a Dockerfile the CLI would take (no diagnostics)
    lint: Lint | None = None
    lint_key: tuple | None = None  # (text, generation) the lint is for
    published: list[tuple[lsp.Diagnostic, Finding | None]] = field(default_factory=list)
    pending: asyncio.Task | None = None


class ImgfixServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(NAME, __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.settings = Settings()
        self.init_settings: Any = None
        self.generation = 0  # bumped when settings or watched files change: every check is stale
        self.open: dict[str, Open] = {}
        # one thread: checks run one at a time, off the event loop, so requests are answered
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="imgfix-lint")

    # ------------------------------------------------------------------ state

    def root(self) -> Path | None:
        try:
            root = self.workspace.root_path
        except RuntimeError:
            return None
        return Path(root) if root else None

    def set_settings(self, raw: Any) -> None:
        self.settings, problems = Settings.parse(raw, self.root())
        for problem in problems:
            self.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Warning, message=f"imgfix: {problem}"))
        self.generation += 1

    def document(self, uri: str) -> Open:
        """An open document; an error answer for any other."""
        doc = self.open.get(uri)
        if doc is None:
            raise JsonRpcInvalidParams(f"unknown document {uri}: it is not open (textDocument/didOpen first)")
        return doc

    def positions(self, text: str) -> Positions:
        return Positions(text, self.workspace.position_codec.client_num_units)

    async def check(self, doc: Open) -> Lint | None:
        """The document's lint for its current text, computed when stale."""
        if doc.path is None:
            return None
        text = self.workspace.get_text_document(doc.uri).source
        key = (text, self.generation)
        if doc.lint is not None and doc.lint_key == key:
            return doc.lint
        result = await asyncio.get_running_loop().run_in_executor(self.executor, lint, doc.path, text, self.settings)
        doc.lint, doc.lint_key = result, key
        return result  # (for this text, even if a newer check has replaced doc.lint meanwhile)

    async def publish(self, doc: Open) -> None:
        if doc.path is None:
            return
        td = self.workspace.get_text_document(doc.uri)
        version = td.version
        result = await self.check(doc)
        if result is None or self.open.get(doc.uri) is not doc or td.version != version:
            return  # closed or changed meanwhile: the next check publishes
        doc.published = diagnostics(result, self.positions(result.text), self.settings)
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=doc.uri, diagnostics=[d for d, _ in doc.published], version=version)
        )

    def schedule(self, doc: Open, delay: float) -> None:
        if doc.pending is not None:
            doc.pending.cancel()

        async def later() -> None:
            if delay:
                await asyncio.sleep(delay)
            try:
                await self.publish(doc)
            except Exception:  # noqa: BLE001
                log.exception("checking %s failed", doc.uri)

        doc.pending = asyncio.ensure_future(later())

    def recheck_all(self) -> None:
        self.generation += 1
        for doc in list(self.open.values()):
            self.schedule(doc, 0)

    # ------------------------------------------------------------------ edits

    def supports(self) -> tuple[bool, bool]:
        """(documentChanges, CreateFile) in WorkspaceEdits, as the client says."""
        ws = self.client_capabilities.workspace
        edit = ws.workspace_edit if ws else None
        changes = bool(edit and edit.document_changes)
        create = bool(changes and lsp.ResourceOperationKind.Create in (edit.resource_operations or ()))
        return changes, create

    def workspace_edit(self, doc: Open, result: Lint, the_fix: Fix
                       ) -> tuple[lsp.WorkspaceEdit | None, list[FileChange]]:
        """The fix as one WorkspaceEdit, and the side files it could not hold (left to a
        separate action: the client cannot create files, or has the file open with changes)."""
        document_changes, create = self.supports()
        version = self.workspace.get_text_document(doc.uri).version
        edits = text_edits(self.positions(result.text), the_fix.hunks)
        changes: dict[str, list[lsp.TextEdit]] = {doc.uri: edits} if edits else {}
        ops: list = [_document_edit(doc.uri, version, edits)] if edits else []
        left: list[FileChange] = []
        for change in the_fix.files:
            uri = from_fs_path(change.path)
            side_version = None
            if uri in self.open:
                side = self.workspace.get_text_document(uri)
                if side.source != (change.old or ""):
                    left.append(change)  # unsaved changes in the editor: not edited under them
                    continue
                side_version = side.version
            if change.old is None:
                if not create:
                    left.append(change)
                    continue
                ops.append(lsp.CreateFile(uri=uri))
                start = lsp.Position(line=0, character=0)
                ops.append(_document_edit(uri, None, [lsp.TextEdit(lsp.Range(start=start, end=start), change.new)]))
                continue
            side_edits = text_edits(self.positions(change.old), minimal_changes(change.old, change.new))
            changes[uri] = side_edits
            ops.append(_document_edit(uri, side_version, side_edits))
        if not ops:
            return None, left
        if document_changes:
            return lsp.WorkspaceEdit(document_changes=ops), left
        return lsp.WorkspaceEdit(changes=changes), left

    def actions(self, doc: Open, result: Lint, the_fix: Fix, kind: str,
                diags: list[lsp.Diagnostic] | None) -> list[lsp.CodeAction]:
        edit, left = self.workspace_edit(doc, result, the_fix)
        out = []
        if edit is not None:
            out.append(lsp.CodeAction(title=the_fix.title, kind=kind, diagnostics=diags, edit=edit,
                                      is_preferred=True if kind == lsp.CodeActionKind.QuickFix else None))
        if left:
            names = ", ".join(sorted(os.path.basename(c.path) for c in left))
            verb = "create" if all(c.old is None for c in left) else "write"
            out.append(lsp.CodeAction(
                title=f"imgfix: {verb} {names}", kind=kind, diagnostics=diags,
                command=lsp.Command(title=f"imgfix: {verb} {names}", command=WRITE_SIDE_FILES,
                                    arguments=[doc.uri, sorted(c.path for c in left)]),
            ))
        return out


def _document_edit(uri: str, version: int | None, edits: list[lsp.TextEdit]) -> lsp.TextDocumentEdit:
    return lsp.TextDocumentEdit(text_document=lsp.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
                                edits=edits)


def _quick_fix(result: Lint, finding: Finding) -> Fix | None:
    """The finding's quick fix; None, and a log entry, when computing it fails (a bug in a
    transform must cost that one action, not the others)."""
    try:
        return result.fix_for(finding)
    except Exception:  # noqa: BLE001
        log.exception("the quick fix of %s on line %s failed", finding.code, finding.line)
        return None


def _wanted(only: list[str] | None, kind: str) -> bool:
    return only is None or any(kind == k or kind.startswith(k + ".") for k in only)


def _overlaps(a: lsp.Range, b: lsp.Range) -> bool:
    def key(p: lsp.Position):
        return (p.line, p.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def _contains(r: lsp.Range, p: lsp.Position) -> bool:
    return (r.start.line, r.start.character) <= (p.line, p.character) <= (r.end.line, r.end.character)


def build() -> ImgfixServer:
    server = ImgfixServer()

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: ImgfixServer, params: lsp.InitializeParams) -> None:
        ls.init_settings = params.initialization_options
        ls.set_settings(params.initialization_options)

    @server.feature(lsp.INITIALIZED)
    async def initialized(ls: ImgfixServer, params: lsp.InitializedParams) -> None:
        ws = ls.client_capabilities.workspace
        watched = ws.did_change_watched_files if ws else None
        if watched and watched.dynamic_registration:
            await register_watchers(ls)
        if ls.init_settings is None and ws and ws.configuration:
            await pull_configuration(ls)

    async def register_watchers(ls: ImgfixServer) -> None:
        try:
            await ls.client_register_capability_async(lsp.RegistrationParams(registrations=[lsp.Registration(
                id="imgfix-config-files", method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=lsp.DidChangeWatchedFilesRegistrationOptions(
                    watchers=[lsp.FileSystemWatcher(glob_pattern=g) for g in CONFIG_FILES]),
            )]))
        except Exception as err:  # noqa: BLE001 (configuration is then read again on each check only)
            log.warning("the client did not watch the configuration files: %s", err)

    async def pull_configuration(ls: ImgfixServer) -> None:
        try:
            answer = await ls.workspace_configuration_async(
                lsp.ConfigurationParams(items=[lsp.ConfigurationItem(section=NAME)]))
        except Exception as err:  # noqa: BLE001 (a client that cannot answer: keep the settings)
            log.warning("workspace/configuration failed: %s", err)
            return
        ls.set_settings(answer[0] if answer else None)
        ls.recheck_all()

    @server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: ImgfixServer, params: lsp.DidChangeConfigurationParams) -> None:
        settings = params.settings
        ws = ls.client_capabilities.workspace
        if not settings and ws and ws.configuration:
            await pull_configuration(ls)  # the client only says that something changed
            return
        ls.set_settings(settings)
        ls.recheck_all()

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: ImgfixServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        ls.recheck_all()  # a configuration file or a .dockerignore: every document may change

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: ImgfixServer, params: lsp.DidOpenTextDocumentParams) -> None:
        uri = params.text_document.uri
        path = to_fs_path(uri) if uri.startswith("file:") else None
        doc = ls.open[uri] = Open(uri, Path(path) if path and is_dockerfile_name(os.path.basename(path)) else None)
        ls.schedule(doc, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ImgfixServer, params: lsp.DidChangeTextDocumentParams) -> None:
        doc = ls.open.get(params.text_document.uri)
        if doc is not None:
            ls.schedule(doc, DEBOUNCE)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: ImgfixServer, params: lsp.DidSaveTextDocumentParams) -> None:
        doc = ls.open.get(params.text_document.uri)
        if doc is None:
            return
        if doc.path is None:
            name = os.path.basename(to_fs_path(doc.uri) or "")
            if name in (".imgfix.toml", "pyproject.toml", ".dockerignore"):
                ls.recheck_all()  # for clients that do not watch files
            return
        ls.generation += 1  # the save may have touched what the check reads from disk
        ls.schedule(doc, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ImgfixServer, params: lsp.DidCloseTextDocumentParams) -> None:
        doc = ls.open.pop(params.text_document.uri, None)
        if doc is None:
            return
        if doc.pending is not None:
            doc.pending.cancel()
        if doc.path is not None:
            ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=doc.uri, diagnostics=[]))

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix, FIX_ALL], resolve_provider=False),
    )
    async def code_action(ls: ImgfixServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        doc = ls.document(params.text_document.uri)
        result = await ls.check(doc)
        if result is None or result.outcome is None:
            return []
        only = params.context.only
        pos = ls.positions(result.text)
        wanted: list[tuple[Fix, str, list[lsp.Diagnostic] | None]] = []
        if _wanted(only, lsp.CodeActionKind.QuickFix):
            for d, f in diagnostics(result, pos, ls.settings):
                if f is None or not _overlaps(d.range, params.range):
                    continue
                the_fix = await asyncio.get_running_loop().run_in_executor(ls.executor, _quick_fix, result, f)
                if the_fix is not None:
                    wanted.append((the_fix, lsp.CodeActionKind.QuickFix, [d]))
        if _wanted(only, FIX_ALL) and (the_fix := result.fix_all()) is not None:
            wanted.append((the_fix, FIX_ALL, None))
        if ls.workspace.get_text_document(doc.uri).source != result.text:
            # changed while the fixes were computed: the edits would not fit (the client asks again)
            raise JsonRpcContentModified(f"{doc.uri} changed while its code actions were computed")
        out: list[lsp.CodeAction] = []
        for the_fix, kind, diags in wanted:  # no await from here on: the version is the text's
            out += ls.actions(doc, result, the_fix, kind, diags)
        return out

    @server.command(WRITE_SIDE_FILES)
    async def write_side_files(ls: ImgfixServer, uri: str, paths: list[str]) -> None:
        """Write the side files a fix of the document makes (a client that cannot create
        files): computed again here, and written only while they are as the fix found them."""
        doc = ls.document(uri)
        ls.generation += 1
        result = await ls.check(doc)
        if result is None or result.outcome is None:
            raise JsonRpcInvalidParams(f"{uri}: imgfix cannot process it, so it has no side files to write")
        wanted = set(paths)
        changes = [c for c in result.outcome.files if c.path in wanted and c.old != c.new]
        if not changes:
            raise JsonRpcInvalidParams(f"{uri}: the fix writes none of {', '.join(sorted(wanted))} any more")
        for c in changes:
            try:
                now = Path(c.path).read_text(encoding="utf-8")
            except FileNotFoundError:
                now = None
            except OSError as err:
                raise JsonRpcInvalidParams(f"{c.path}: cannot be read ({err.strerror or err})") from None
            if now != c.old:
                raise JsonRpcInvalidParams(f"{c.path} changed meanwhile; nothing written")
        try:
            write_all([(Path(c.path), c.new) for c in changes])
        except OSError as err:
            raise JsonRpcInvalidParams(f"not written ({err.strerror or err}); no file was changed") from None
        ls.recheck_all()

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    async def hover(ls: ImgfixServer, params: lsp.HoverParams) -> lsp.Hover | None:
        doc = ls.document(params.text_document.uri)
        if doc.path is None:
            return None
        td = ls.workspace.get_text_document(doc.uri)
        p = params.position
        codes: list[str] = []
        # a code written in the text (``# imgfix: ignore[USR001]``) under the cursor
        line = td.lines[p.line] if p.line < len(td.lines) else ""
        column = ls.workspace.position_codec.position_from_client_units(td.lines, p).character if line else 0
        for m in _CODE.finditer(line):
            if m.start() <= column <= m.end():
                codes.append(m.group())
        if not codes:  # else the findings shown where the cursor is
            await ls.check(doc)
            codes = list(dict.fromkeys(f.code for d, f in doc.published if f is not None and _contains(d.range, p)))
        texts = [t for t in (hover_text(c) for c in codes) if t]
        if not texts:
            return None
        return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value="\n\n---\n\n".join(texts)))

    @server.feature(lsp.SHUTDOWN)
    def shutdown(ls: ImgfixServer, params: None) -> None:
        for doc in ls.open.values():
            if doc.pending is not None:
                doc.pending.cancel()
        ls.executor.shutdown(wait=False, cancel_futures=True)

    return server


def serve() -> None:
    """Run the server on standard input/output until the client says ``exit``."""
    logging.basicConfig(level=logging.WARNING, format="imgfix server: %(levelname)s %(name)s: %(message)s")
    build().start_io()
