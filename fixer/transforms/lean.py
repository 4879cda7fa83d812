"""LYR: leave no package-manager cache in the image, and no ADD where COPY is meant.

## What it does
In every stage whose files end up in the built image (the final stage, ``--target`` stages,
the stages they are built ``FROM``, and a builder stage whose cache folders a ``COPY --from``
copies), each ``RUN`` that installs packages cleans up after itself in the same ``RUN``:

- apt: ``rm -rf /var/lib/apt/lists/*`` after the last install of a ``RUN`` that ran
  ``apt-get update`` (LYR001); a lone ``RUN apt-get update`` is merged into the install that
  follows it (LYR006); ``-y`` where it is missing (LYR007); ``--no-install-recommends``
  (LYR008, an unsafe fix: it changes which packages are installed);
- apk: ``apk add --no-cache``, and the ``apk update`` before it dropped (LYR002);
- dnf, yum, microdnf, tdnf, zypper: ``<tool> clean all`` and the cache folder (LYR003);
- pip, uv: ``--no-cache-dir`` / ``--no-cache``; poetry: its download caches removed (LYR004);
- npm, yarn, pnpm, conda: their cache cleaned; gem: ``--no-document`` (LYR005).

In every stage, ``ADD`` of local files that are not archives becomes ``COPY`` (LYR009), and
``-y`` is added. Builder stages, whose caches never reach the final image, are otherwise left
alone; with ``--unsafe-fixes`` their installs get a ``RUN --mount=type=cache`` for the
manager's cache instead (LYR010), so packages are not downloaded again on every build.

## Why is this bad?
A package index or download cache written in one layer stays in the image even when a later
layer deletes it: tens of megabytes that nothing reads at run time. A separate
``RUN apt-get update`` is also a stale-cache bug: its layer is reused from the build cache
while the install after it changes. ``ADD`` extracts local tar archives and fetches URLs;
where neither is meant it hides what the instruction does.

## Example
    FROM debian:bookworm
    RUN apt-get update
    RUN apt-get install curl
    RUN pip install flask
    ADD app.py /app/

## Use instead
    FROM debian:bookworm
    RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
    RUN pip install --no-cache-dir flask
    COPY app.py /app/

## Fix safety
The RUN lines are read with a shell parser (tree-sitter's bash grammar). A flag goes right
after the install subcommand it belongs to; the cleanup is chained after the last statement
of the RUN, in the file's continuation style (``&& \\`` at line ends, or ``\\`` then
``&& ...`` on the next line) and indentation. The apt lists (and apk's index) are removed only
when no later RUN of the stage, or of a stage built ``FROM`` it, installs without its own
update; otherwise the finding says which line needs them and nothing is edited. A RUN with a
``--mount=type=cache`` on the manager's cache is left as it is: the cache is wanted there.
A ``RUN <<EOF`` script is edited the same way (the cleanup on its last line); exec-form RUNs,
``<<-`` or several heredocs, PowerShell/cmd shells and scripts the parser cannot read are
reported, not edited.
``ADD`` stays where a source is a URL, uses a variable, has an ADD-only flag, or is (by its
content, or by its name when it cannot be read) an archive. ``--no-install-recommends``
changes which packages are installed, and cache mounts need BuildKit or buildah: both are
unsafe fixes, applied only with ``--unsafe-fixes``.

## References
hadolint DL3009, DL3014, DL3015, DL3019, DL3020, DL3032, DL3036, DL3040, DL3042, DL3060;
Docker's "Best practices for Dockerfile instructions" (apt-get, ADD or COPY); Parfum
(ICSE 2024) and DockerCleaner (ICSME 2023), which repair the same smells.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..analysis.packagecalls import (
    RunFacts,
    apt_yes,
    cleaned_after,
    data,
    has_flag,
    managers,
    posix_shell,
    read_run,
    stage_env,
)
from ..analysis.stages import Analysis, Stage, is_root_user
from ..document.model import Document, Edit
from ..document.parser import Instruction, is_number
from . import Result
from .options import Options

# code: (severity, title, fix safety: safe | unsafe | none; see transforms.FIX_SAFETY)
CODES = {
    "LYR001": ("warning", "The apt package lists stay in the image", "safe"),
    "LYR002": ("warning", "apk keeps its package index in the image", "safe"),
    "LYR003": ("warning", "The dnf/yum/microdnf/zypper cache stays in the image", "safe"),
    "LYR004": ("warning", "The pip/uv/poetry download cache stays in the image", "safe"),
    "LYR005": ("warning", "The npm/yarn/pnpm/gem/conda cache stays in the image", "safe"),
    "LYR006": ("warning", "A lone RUN apt-get update: merged into the install that follows", "safe"),
    "LYR007": ("warning", "apt-get install without -y", "safe"),
    "LYR008": ("info", "apt-get install without --no-install-recommends", "unsafe"),
    "LYR009": ("warning", "ADD of local files that are not archives: COPY", "safe"),
    "LYR010": ("info", "A builder stage downloads its packages again on every build", "unsafe"),
    "LYR011": ("info", "A RUN that installs packages cannot be edited here", "none"),
}

_SAFE_CLEANUP = re.compile(r"^[A-Za-z0-9 _./*{}$:\"'=&-]+$")



def new_apt_install(packages: str) -> list[str]:
    """The lines of a new ``RUN`` that installs Debian packages and cleans up after itself
    (the slim transform adds one where a stage lacks a tool)."""
    return [part.format(packages=packages) for part in managers()["apt"]["new_install"]]

class Lean:
    code = "LYR"
    name = "lean"
    summary = "Clean package-manager caches in the RUN that made them, merge lone apt-get updates, ADD → COPY; builder stages get cache mounts (unsafe)."
    edits_dockerfile = True

    def apply(self, doc: Document, analysis: Analysis, options: Options) -> Result:
        return _Run(doc, analysis, options).run()


class _Run:
    def __init__(self, doc: Document, analysis: Analysis, options: Options) -> None:
        self.doc, self.analysis, self.options = doc, analysis, options
        self.result = Result()
        self.inserts: dict[tuple[int, int], list[str]] = {}  # (source offset, kind order) -> texts
        self.edits: list[Edit] = []
        self.facts: dict[int, RunFacts] = {}
        self.refused: set[int] = set()  # lines of RUNs already reported as not editable
        self.merged_into: set[int] = set()  # ids of RUNs that get a lone update merged in
        self.env_added: dict[int, set[str]] = {}  # stage index -> ENV names this run adds
        self.stage_envs: dict[int, frozenset[str]] = {}  # stage index -> its ENV/ARG names
        self.envs: dict[tuple[int, int], frozenset[str]] = {}  # (stage index, ENV lines added) -> names
        self.reaching = self._reaching()

    # ------------------------------------------------------------------ stages

    def _reaching(self) -> set[int]:
        """Indexes of the stages whose files end up in the built image."""
        stages = self.analysis.stages
        wanted = [self.analysis.final_stage] if self.analysis.final_stage else []
        wanted += [s for name in self.options.targets if (s := self.analysis.stage_named(name)) is not None]
        caches = [p for m in managers().values() for p in m.get("cache", [])]
        for stage in stages:  # COPY --from=<stage> / (or a cache folder) copies its caches too
            for copy in stage.of("COPY"):
                source = next((f.split("=", 1)[1] for f in copy.flags or [] if f.startswith("--from=")), None)
                if source is None:
                    continue
                other = self.analysis.stage_named(source) or (stages[int(source)] if is_number(source) and int(source) < len(stages) else None)
                if other is None:
                    continue
                for src in (copy.value or [])[:-1]:
                    src = "/" + src.strip("/")
                    if src == "/" or any(c == src or c.startswith(src + "/") or src.startswith(c + "/") for c in caches):
                        wanted.append(other)
        out: set[int] = set()
        for stage in wanted:
            s: Stage | None = stage
            while s is not None:
                out.add(s.index)
                s = s.parent
        return out

    def _descendants(self, stage: Stage) -> list[Stage]:
        out = []
        for s in self.analysis.stages:
            p = s.parent
            while p is not None:
                if p is stage:
                    out.append(s)
                    break
                p = p.parent
        return out

    # ------------------------------------------------------------------ helpers

    def add(self, code: str, line: int, message: str, fixed: bool = False, fix: str | None = None) -> None:
        if code == "LYR011":  # one "cannot edit" finding per RUN
            if line in self.refused:
                return
            self.refused.add(line)
        self.result.add(CODES, code, line, message, fixed, fix)

    def _insert(self, at: int, text: str, order: int = 0) -> None:
        self.inserts.setdefault((at, order), []).append(text)

    def run(self) -> Result:
        for stage in self.analysis.stages:
            posix = posix_shell(stage, self.doc.escape)
            for instr in stage.instructions:
                if instr.cmd == "RUN":
                    self.facts[id(instr)] = read_run(instr, stage, posix, self.doc.text)
        for stage in self.analysis.stages:
            for instr in stage.instructions:
                if instr.cmd == "ADD":
                    self._add_to_copy(instr)
        for stage in self.analysis.stages:
            self._merge_lone_updates(stage)
        for stage in self.analysis.stages:
            if stage.index in self.reaching:
                self._env_instead_of_flags(stage)
        for stage in self.analysis.stages:
            reaching = stage.index in self.reaching
            for instr in stage.of("RUN"):
                facts = self.facts[id(instr)]
                if not facts.calls:
                    continue
                if reaching:
                    self._clean(facts)
                else:
                    self._builder(facts)
                self._apt_flags(facts, reaching)
        for (at, _), texts in sorted(self.inserts.items()):
            self.result.edits.append(Edit(at, at, "".join(texts)))
        self.result.edits.extend(self.edits)
        return self.result

    # ------------------------------------------------------------------ ADD → COPY

    def _add_to_copy(self, instr: Instruction) -> None:
        if instr.heredocs or not instr.value or len(instr.value) < 2:
            return
        add = data()["add"]
        line = instr.start_line
        if any(f.split("=", 1)[0] in add["add_only_flags"] for f in instr.flags or []):
            return
        sources = instr.value[:-1]
        if any("://" in s or s.startswith("git@") for s in sources):
            return  # a URL: ADD downloads it
        if any("$" in s for s in sources):
            self.add("LYR009", line, "ADD → COPY is not checked: a source uses a variable, so whether it is an archive ADD would extract cannot be told", fix="none")
            return
        for src in sources:
            archive = self._is_archive(src)
            if archive:
                return  # ADD extracts it: meant, or at least what the build relies on
        keyword_at = instr.text.find(instr.keyword)
        span = instr.source_span(keyword_at, keyword_at + len(instr.keyword))
        if span is None:
            return
        new = "copy" if instr.keyword.islower() else "COPY"
        self.edits.append(Edit(span[0], span[1], new))
        self.add("LYR009", line, f"ADD {' '.join(sources)} → COPY: local files that are not archives (ADD would extract a tar archive or fetch a URL)", fixed=True)

    def _is_archive(self, src: str) -> bool:
        """True when ADD would extract it (read from the context where possible, else by name)."""
        add = data()["add"]
        by_name = any(src.lower().endswith(s) for s in add["archive_suffixes"])
        if self.analysis.context is None:
            return by_name
        from ..document.context import BuildContext

        context = BuildContext(self.analysis.context)
        if any(c in src for c in "*?["):
            import fnmatch

            matches = [f for f in context.files(limit=20_000) if fnmatch.fnmatch(f, src.removeprefix("./").lstrip("/"))]
            return by_name or any(self._archive_file(context.resolve(f)) for f in matches)
        path = context.resolve(src)
        if path is None:
            return by_name
        if path.is_dir():
            return False
        return self._archive_file(path)

    @staticmethod
    def _archive_file(path) -> bool:
        if path is None or not path.is_file():
            return False
        try:
            with open(path, "rb") as fh:
                head = fh.read(512)
        except OSError:
            return True  # cannot tell: keep ADD
        magic = data()["add"]["archive_magic"]
        return any(head.startswith(bytes.fromhex(m)) for m in magic) or head[257:262] == b"ustar"

    # ------------------------------------------------------------------ apt update merge

    def _merge_lone_updates(self, stage: Stage) -> None:
        instrs = stage.instructions
        for i, instr in enumerate(instrs):
            if instr.cmd != "RUN":
                continue
            facts = self.facts[id(instr)]
            if not facts.editable or facts.heredoc is not None or not facts.calls or len(facts.others) != 1:
                continue
            call = facts.calls[0]
            if call.manager != "apt" or call.kind != "update" or facts.cache_mounts or instr.flags:
                continue
            line = instr.start_line
            target = None
            for later in instrs[i + 1 :]:
                if later.cmd == "RUN":
                    target = later
                    break
                if later.cmd not in ("ARG", "ENV", "LABEL"):
                    self.add("LYR006", line, f"RUN apt-get update stands alone, but line {later.start_line} ({later.cmd}) comes before the next RUN: merge the update into the install yourself", fix="none")
                    target = False
                    break
            if target is False:
                continue
            if target is None:
                self.add("LYR006", line, "RUN apt-get update stands alone and no later RUN of the stage installs: its package lists only add to the image", fix="none")
                continue
            tfacts = self.facts[id(target)]
            installs = tfacts.installs("apt")
            if not installs or tfacts.updates("apt") and tfacts.updates("apt")[0].index < installs[0].index:
                if not installs:
                    self.add("LYR006", line, f"RUN apt-get update stands alone and the next RUN (line {target.start_line}) installs nothing with apt", fix="none")
                continue
            if not tfacts.editable or target.flags or tfacts.heredoc is not None:
                why = tfacts.why or ("its script is a heredoc" if tfacts.heredoc is not None else "it has flags (--mount, --network) that the update would then run with")
                self.add("LYR006", line, f"RUN apt-get update stands alone, but the RUN on line {target.start_line} cannot take it: {why}", fix="none")
                continue
            update_text = instr.text[call.spans[0][0] : call.spans[-1][1]]
            at = tfacts.src(tfacts.offset)
            if at is None or "\n" in update_text:
                continue
            line_start = self.doc.line_start(instr.start)
            if "#" in self.doc.text[line_start : instr.end].replace(update_text, ""):
                self.add("LYR006", line, "RUN apt-get update stands alone, but a comment is part of it: merge it into the install yourself", fix="none")
                continue
            self.edits.append(Edit(line_start, instr.end, ""))
            self._insert(at, f"{update_text} && ", order=-1)
            self.merged_into.add(id(target))
            self.add("LYR006", line, f"RUN apt-get update merged into the install on line {target.start_line}: a separate update layer is reused from the build cache while the install changes, and its lists stay in the image", fixed=True)

    def _has_update(self, facts: RunFacts, manager: str, before: int) -> bool:
        if manager == "apt" and id(facts.run) in self.merged_into:
            return True
        return any(c.index < before for c in facts.updates(manager))

    # ------------------------------------------------------------------ cleanup in the RUN

    def _dependents(self, facts: RunFacts, manager: str) -> list[Instruction]:
        """Later RUNs of the stage, or of stages built FROM it, that install with ``manager``
        relying on the index this RUN downloaded: no update of their own, and no RUN with an
        update in between (its index is the one they read)."""
        stage = facts.stage
        # lazily, from the RUN on: the scan mostly stops at the next RUN (slicing and filtering
        # the rest of the stage for every RUN made long files quadratic)
        instrs = stage.instructions
        later = (instrs[k] for k in range(stage.position(facts.run) + 1, len(instrs)))
        runs = (i.sub if i.cmd == "ONBUILD" else i for i in later if i.cmd == "RUN" or (i.cmd == "ONBUILD" and i.sub is not None and i.sub.cmd == "RUN"))
        out: list[Instruction] = []
        done = managers()[manager].get("flag_done", [])

        def scan(runs: Iterable[Instruction], owner: Stage) -> bool:
            """False once a RUN downloads its own index: what follows reads that one."""
            for run in runs:
                other = self.facts.get(id(run)) or read_run(run, owner)
                for call in sorted(other.installs(manager) + other.updates(manager), key=lambda c: c.index):
                    if call.kind == "update" or self._has_update(other, manager, call.index):
                        return False
                    if not (done and (has_flag(call, done, self._stage_env(owner)) or self._will_flag(other))):
                        out.append(run)
                        return True
            return True

        if scan(runs, stage):
            for s in self._descendants(stage):
                scan(s.of("RUN"), s)
        return out

    def _stage_env(self, stage: Stage) -> frozenset[str]:
        """``stage_env``, once per stage (asked for every RUN)."""
        found = self.stage_envs.get(stage.index)
        if found is None:
            found = self.stage_envs[stage.index] = frozenset(stage_env(stage))
        return found

    def _env(self, stage: Stage) -> frozenset[str]:
        """ENV/ARG names the stage sees, with the ENV lines this run adds to it or its parents
        (remembered until an ENV line is added)."""
        key = (stage.index, sum(len(v) for v in self.env_added.values()))
        found = self.envs.get(key)
        if found is not None:
            return found
        names = set(self._stage_env(stage))
        s: Stage | None = stage
        while s is not None:
            names |= self.env_added.get(s.index, set())
            s = s.parent
        found = self.envs[key] = frozenset(names)
        return found

    def _env_instead_of_flags(self, stage: Stage) -> None:
        """Many installs without the flag in one stage: one ENV after FROM does it for all."""
        env = self._env(stage)
        for manager, m in managers().items():
            if "env" not in m:
                continue
            lacking = [
                (facts, c)
                for instr in stage.of("RUN")
                for facts in [self.facts[id(instr)]]
                if not facts.cached(manager)
                for c in facts.installs(manager)
                if not has_flag(c, m["flag_done"], env)
            ]
            if len(lacking) < m["env_from"]:
                continue
            text = self.doc.render_instruction("ENV", m["env"], indent=self.doc.indent_of(stage.from_instr))
            self.edits.append(self.doc.insert_after(stage.from_instr, text))
            self.env_added.setdefault(stage.index, set()).add(m["env"].split("=", 1)[0])
            lines = sorted({f.run.start_line for f, _ in lacking})
            self.add(m["code"], stage.from_instr.start_line, f"ENV {m['env']} after FROM: {len(lacking)} {manager} installs in this stage (lines {', '.join(map(str, lines))}) keep no cache", fixed=True)

    def _will_flag(self, facts: RunFacts) -> bool:
        """The install flag (``--no-cache``) is added to this RUN's installs in this run."""
        return facts.editable and facts.stage.index in self.reaching

    def _clean(self, facts: RunFacts) -> None:
        line = facts.run.start_line
        env = self._env(facts.stage)
        for manager, m in managers().items():
            installs = facts.installs(manager)
            updates = facts.updates(manager)
            if not installs and not (manager == "apk" and updates):
                continue
            if facts.cached(manager):
                continue  # a cache mount: the cache is wanted, never cleaned here
            code = m["code"]
            needs_flag = [c for c in installs if "flag" in m and not has_flag(c, m.get("flag_done", []), env)]
            needs_cleanup = False
            if "cleanup" in m and installs:
                last = max(c.index for c in installs)
                if not cleaned_after(facts, manager, last):
                    needs_cleanup = manager != "apt" or self._has_update(facts, "apt", last)
            drop_update = None
            if manager == "apk" and updates and not cleaned_after(facts, manager, max(c.index for c in updates)):
                drop_update = updates[0]
            if not (needs_flag or needs_cleanup or drop_update):
                continue
            what = self._what(m, needs_flag, needs_cleanup, drop_update, installs or updates)
            if not facts.editable:
                self.add("LYR011", line, f"{what} would be added here, but {facts.why}: left alone (do it in the RUN yourself)")
                continue
            if (needs_cleanup or drop_update) and m.get("update"):
                dependents = self._dependents(facts, manager)
                if dependents:
                    other = dependents[0]
                    self.add(code, line, f"the {manager} index is kept: line {other.start_line} installs with {manager} without its own update and needs what this RUN downloaded", fix="none")
                    needs_cleanup, drop_update = False, None
                    if not needs_flag:
                        continue
                    what = self._what(m, needs_flag, False, None, installs)
            edits_ok = True
            pending: list[tuple[int, str, int]] = []
            for call in needs_flag:
                at = facts.after(call.sub_end) if call.sub_end else None
                if at is None:
                    edits_ok = False
                    break
                pending.append((at, f" {m['flag']}", 0))
            cut_edit = None
            if drop_update is not None:
                if drop_update.cut and installs and len(updates) == 1 and all(has_flag(c, m["flag_done"], env) or c in needs_flag for c in installs) and drop_update.index < min((c.index for c in installs), default=10**9):
                    start = facts.src(drop_update.cut[0])
                    end_char = facts.src(drop_update.cut[1])
                    if start is not None and end_char is not None and "#" not in self.doc.text[start:end_char]:
                        cut_edit = Edit(start, end_char, "")
                if cut_edit is None:
                    needs_cleanup = True  # the update's index cannot be cut out: remove it instead
            cleanup_text = None
            if needs_cleanup:
                template = m.get("cleanup") or "rm -rf /var/cache/apk/*"
                name = max(installs or updates, key=lambda c: c.index).name
                cleanup_text = template.replace("{cmd}", name)
                if not _SAFE_CLEANUP.match(cleanup_text) or facts.shape is None or facts.shape.background:
                    edits_ok = False
            if not edits_ok:
                self.add("LYR011", line, f"{what} would be added here, but the words cannot be edited in place: left alone")
                continue
            for at, text, order in pending:
                self._insert(at, text, order)
            if cut_edit is not None:
                self.edits.append(cut_edit)
            if cleanup_text is not None:
                self._append(facts, cleanup_text)
            self.add(code, line, f"{what} (the cache stays in the layer otherwise)", fixed=True)

    @staticmethod
    def _what(m: dict, needs_flag, needs_cleanup: bool, drop_update, calls) -> str:
        parts = []
        if needs_flag:
            parts.append(f"{m['flag']} on {needs_flag[0].name} {' '.join(needs_flag[0].words[1:2])}")
        if drop_update is not None:
            parts.append(f"no {drop_update.name} update (--no-cache reads a fresh index)")
        if needs_cleanup and "cleanup" in m:
            name = max(calls, key=lambda c: c.index).name
            cleanup = m["cleanup"].replace("{cmd}", name)
            parts.append(f"{cleanup} after the last install")
        return "; ".join(parts)

    def _append(self, facts: RunFacts, command: str) -> None:
        """Chain ``command`` after the RUN's last statement, in the file's style."""
        run, doc = facts.run, self.doc
        end = facts.offset + facts.shape.end
        at = facts.after(end)
        if at is None:
            return
        if facts.heredoc is not None or run.start_line == run.end_line:  # a heredoc: the same body line
            self._insert(at, f" && {command}", order=1)
            return
        lines = doc.text[doc.line_start(run.start) : run.end].splitlines()[1:]
        leading = [ln for ln in lines if ln.lstrip().startswith(("&&", "||", ";"))]
        esc, nl = doc.escape, doc.newline
        if leading:
            indent = leading[-1][: len(leading[-1]) - len(leading[-1].lstrip())]
            self._insert(at, f" {esc}{nl}{indent}&& {command}", order=1)
        else:
            last_cmd = run.source_offset(facts.offset + facts.shape.commands[-1].start) if facts.shape.commands else None
            indent = doc.continuation_indent
            if last_cmd is not None and doc.line_of(last_cmd) != run.start_line:
                text = doc.text[doc.line_start(last_cmd) : last_cmd]
                indent = text[: len(text) - len(text.lstrip())] or indent
            self._insert(at, f" && {esc}{nl}{indent}{command}", order=1)

    # ------------------------------------------------------------------ apt flags

    def _apt_flags(self, facts: RunFacts, reaching: bool) -> None:
        m = managers()["apt"]
        line = facts.run.start_line
        for call in facts.installs("apt"):
            missing_yes = not apt_yes(call)
            recommends = reaching and call.words[1:] and "install" in call.words and not any(
                any(d in w for d in m["no_recommends_done"]) for w in call.words
            )
            if not (missing_yes or recommends):
                continue
            if not facts.editable or call.sub_end is None:
                what = " and ".join(x for x, need in (("-y", missing_yes), (m["no_recommends"], recommends)) if need)
                self.add("LYR011", line, f"{call.name} install without {what}, but {facts.why or 'the words cannot be edited'}: left alone")
                continue
            at = facts.after(call.sub_end)
            if at is None:
                continue
            if missing_yes:
                self._insert(at, " -y")
                self.add("LYR007", line, f"{call.name} {call.words[1] if len(call.words) > 1 else ''} without -y: it aborts at the first question on a build without a terminal; -y added".replace("  ", " "), fixed=True)
            if recommends and not facts.cached("apt"):
                if self.options.unsafe_fixes:
                    self._insert(at, f" {m['no_recommends']}")
                    self.add("LYR008", line, f"{m['no_recommends']} added: the recommended packages are not installed any more (check that the app does not need one)", fixed=True)
                else:
                    self.add("LYR008", line, f"{call.name} install also installs recommended packages; {m['no_recommends']} leaves them out (changes which packages are installed: --unsafe-fixes)")

    # ------------------------------------------------------------------ builder stages

    def _builder(self, facts: RunFacts) -> None:
        """A builder stage's caches never reach the image: a cache mount saves downloads."""
        run, line = facts.run, facts.run.start_line
        user = facts.stage.last_user[1]
        if not facts.posix or (user is not None and not is_root_user(user)):
            return  # the cache folders are the user's, not root's
        env = self._stage_env(facts.stage)
        flags: list[str] = []
        names = []
        for manager, m in managers().items():
            if not facts.installs(manager) or "cache_mount" not in m or facts.cached(manager):
                continue
            if "flag" in m and all(has_flag(c, m.get("flag_done", []), env) for c in facts.installs(manager)):
                continue  # the install keeps no cache: nothing to mount
            if manager == "apt" and (not self._has_update(facts, "apt", 10**9) or self._dependents(facts, "apt")):
                continue  # the lists would leave the layer that later installs need
            flags += [f for f in m["cache_mount"] if f not in flags]
            names.append(manager)
        if not flags:
            return
        if not self.options.unsafe_fixes:
            self.add("LYR010", line, f"a builder stage: a cache mount ({' '.join(flags)}) keeps {', '.join(names)} downloads between builds (needs BuildKit or buildah: --unsafe-fixes)")
            return
        edit = self.doc.add_flag(run, " ".join(flags))
        if edit is None:
            return
        self.edits.append(edit)
        self.add("LYR010", line, f"a builder stage: {' '.join(flags)} keeps {', '.join(names)} downloads between builds", fixed=True)


TRANSFORM = Lean()
