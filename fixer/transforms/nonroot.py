"""USR: run the final stage as a dedicated non-root user.

## What it does
Makes the stage that is built by default (and every stage named with ``--target``) run as a
non-root user: creates a system group and user with the distro's own tool in one RUN after the
stage's last RUN, with a home it owns, makes VOLUME paths and runtime folders the stage creates
writable for it, makes the app folder (last WORKDIR) its own without -R plus the files and
folders the app writes there (fixer.appwrites), and adds a numeric ``USER uid:gid``. Images
without user tools (scratch, distroless, ubi-minimal) get a numeric USER only; images that
ship a user (``node``) or a non-root default (distroless ``:nonroot``, bitnami, Chainguard)
keep theirs. A server that listens on a port below 1024 (read by ``fixer.ports``) keeps the
stage as root (USR007) unless ``--unsafe-fixes``: then the port moves (8080) everywhere it is
written, nginx becomes nginx-unprivileged, and httpd, php:apache and old nginx get their stock
configuration moved and made writable.

## Why is this bad?
A process that runs as root in a container is root on the host's kernel: one escape from the
application is one step from the node. Kubernetes' ``runAsNonRoot`` can only verify a numeric
USER. Linters flag the missing USER; the user still has to be created, which they leave to you.

## Example
    FROM python:3.12-slim
    RUN pip install flask
    CMD ["flask", "run"]

## Use instead
    FROM python:3.12-slim
    RUN pip install flask
    RUN groupadd --system --gid 10001 app \\
        && useradd --system --no-log-init --uid 10001 --gid 10001 ... app
    USER 10001:10001
    CMD ["flask", "run"]

## Fix safety
Safe: the app can create files in its folder and write the data it is known to write; the
code it copies stays owned by root and read-only (``--chown`` changes that). Entrypoints that
drop privileges themselves (gosu, su-exec, ...) are reported and left alone. Moving a server
off a privileged port (USR007) is unsafe: the published port changes; a move that cannot be
made consistently is refused (USR005).

## References
hadolint DL3002, Checkov CKV_DOCKER_3 / CKV_DOCKER_8, Trivy DS002.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..analysis import catalogue, ports
from ..analysis.stages import Analysis, Stage, arg_defaults, is_root_user, substitute
from ..document.context import BuildContext
from ..document.imageref import ImageRef
from ..document.model import Document, Edit
from ..document.parser import Instruction
from . import Result, accounts, composeuse, manifestcheck
from .options import Options

# code: (severity, title, fix safety: safe | unsafe | none; see transforms.FIX_SAFETY)
CODES = {
    "USR001": ("warning", "The stage runs as root", "safe"),
    "USR002": ("info", "The distro of the base image is assumed", "none"),
    "USR003": ("info", "The entrypoint drops privileges itself", "none"),
    "USR004": ("warning", "A non-root stage listens on or exposes a privileged port", "none"),
    "USR005": ("warning", "The stage runs as root and cannot be fixed safely", "none"),
    "USR006": ("error", "A --target stage does not exist", "none"),
    "USR007": ("warning", "The server binds a privileged port: running it as non-root moves the published port", "unsafe"),
    "USR008": ("info", "The app writes files in its own folder", "safe"),
    "USR009": ("info", "The non-root user has no writable home", "none"),
    "USR010": ("warning", "A compose file binds a host folder that the new user must be able to write", "none"),
    "USR011": ("warning", "A Kubernetes manifest or Helm values no longer match the image (runAsUser, containerPort)", "none"),
}

# Instructions that describe how the container runs rather than how the image is built: the
# new USER goes before this trailing block, after the last instruction that builds.
_RUNTIME_METADATA = {"CMD", "ENTRYPOINT", "HEALTHCHECK", "EXPOSE", "STOPSIGNAL", "LABEL", "MAINTAINER", "ONBUILD", "USER"}
_SAFE_PATH = re.compile(r"^/[A-Za-z0-9._@+/-]*$")


class NonRoot:
    code = "USR"
    name = "nonroot"
    summary = "Run the final stage as a dedicated non-root user, created with the distro's own tools."
    edits_dockerfile = True

    def apply(self, doc: Document, analysis: Analysis, options: Options) -> Result:
        result = Result()
        for stage in self._targets(analysis, options, result):
            _StageFix(doc, analysis, options, stage, result).run()
        return result

    @staticmethod
    def _targets(analysis: Analysis, options: Options, result: Result) -> list[Stage]:
        targets = [analysis.final_stage] if analysis.final_stage else []
        for name in options.targets:
            stage = analysis.stage_named(name)
            if stage is None:
                result.add(CODES, "USR006", 0, f"--target {name}: no stage is named {name}")
            elif stage not in targets:
                targets.append(stage)
        return targets


class _StageFix:
    def __init__(self, doc: Document, analysis: Analysis, options: Options, stage: Stage, result: Result) -> None:
        self.doc, self.analysis, self.options, self.stage, self.result = doc, analysis, options, stage, result
        self.line = stage.from_instr.start_line
        self.label = f"stage {stage.name}" if stage.name else "the final stage"
        self.server_run: list[str] = []  # commands that let the image's server run without root
        self.explicit_root: Instruction | None = None  # a USER root line the stage ends with
        self.moved: dict[int, int] = {}  # ports moved (old -> new) by this fix
        self.services: list = []  # the compose services that run the stage (fixer.compose)

    def finding(self, code: str, message: str, line: int | None = None, fixed: bool = False) -> None:
        self.result.add(CODES, code, line or self.line, message, fixed)

    def run(self) -> None:
        stage = self.stage
        user_instr, user = stage.last_user
        root_facts = stage.root_image.facts
        if user is not None:
            resolved = substitute(user, self.analysis.global_args | self._stage_args())
            if resolved is None:
                self.finding("USR005", f"USER {user} cannot be resolved statically; left alone", user_instr.start_line)
                return
            if not is_root_user(resolved):
                self._check_ports()
                return
        elif root_facts.runs_as and not is_root_user(root_facts.runs_as):
            self._check_ports()
            return
        explicit_root = user_instr if user is not None else None
        self.explicit_root = explicit_root
        self.services = composeuse.services(self.analysis, stage)
        if self.services and not self._compose_user():
            return

        triggers = stage.of("ONBUILD")
        if triggers:
            # a base image for other builds: its USER is inherited by them, so their triggered
            # RUN and COPY lines (npm install into a root-owned folder...) would run as this user
            self.finding(
                "USR005",
                f"{self.label} is a base image with ONBUILD triggers (line {triggers[0].start_line}) that run in "
                "the images built from it; set the user there; left alone",
            )
            return
        if self._drops_privileges():
            return
        if not self._privileged_ports():
            return

        family, how = stage.distro
        edits = self._user_edits(family, how, explicit_root)
        if edits is None:
            return
        if self.options.chown:
            edits += self._chown_copies()
        self.result.edits.extend(edits)
        self._check_ports()

    # ------------------------------------------------------------------ decisions

    def _stage_args(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for instr in self.stage.of("ARG"):
            out.update(arg_defaults(instr))
        return out

    def _compose_user(self) -> bool:
        """The ``user:`` a compose file runs the stage as: root is left alone, numeric ids
        become the user's (one user, not a second), a name must be one the stage knows."""
        found = composeuse.user(self.services)
        if found is None:
            return True
        spec, label = found
        if is_root_user(spec):
            self.finding("USR003", f"{self.label} starts as root on purpose: {label} runs it as user {spec}; left alone")
            return False
        ids = composeuse.numeric_ids(spec)
        if ids is not None:
            self.options = replace(self.options, uid=ids[0], gid=ids[1])
            return True
        name, known = spec.split(":", 1)[0], self.stage.root_image.facts.user
        created = accounts.created_user(self.stage)
        if name == self.options.user and not created or any(u is not None and u.name == name for u in (known, created)):
            return True
        self.finding(
            "USR005",
            f"{self.label}: {label} runs it as {spec}, a user this Dockerfile does not create (its ids are unknown); "
            "a second user would not be the one compose runs; add USER with its numeric ids yourself; left alone",
        )
        return False

    def _drops_privileges(self) -> bool:
        stage = self.stage
        facts = stage.root_image.facts
        users = catalogue.users()
        commands = set(users["privilege_drop_commands"])
        reason = None
        if facts.drops_privileges and not self._own_entrypoint():
            reason = f"the official {stage.root_image.image.familiar} entrypoint starts as root and drops privileges"
        for words in stage.run_commands if reason is None else []:
            if any(w.rsplit("/", 1)[-1] in commands for w in words):
                reason = f"a RUN line installs or calls {next(w for w in words if w.rsplit('/', 1)[-1] in commands)}"
                break
        if reason is None:
            for instr in self._entrypoints():
                words = instr.value or []
                hit = next((w for w in " ".join(words).split() if w.rsplit("/", 1)[-1] in commands), None)
                if hit:
                    reason = f"{instr.cmd} calls {hit}"
                    break
                script = self._entrypoint_script(words)
                if script and any(re.search(p, script[1]) for p in users["privilege_drop_phrases"]):
                    reason = f"the entrypoint script {script[0]} drops privileges"
                    break
        if reason:
            self.finding("USR003", f"{self.label} starts as root on purpose: {reason}; left alone")
        return reason is not None

    def _entrypoints(self) -> list[Instruction]:
        found: list[Instruction] = []
        stage: Stage | None = self.stage
        while stage is not None:
            found += stage.of("ENTRYPOINT", "CMD")
            stage = stage.parent
        return found

    def _own_entrypoint(self) -> bool:
        return any(i.cmd == "ENTRYPOINT" for i in self._entrypoints())

    def _entrypoint_script(self, words: list[str]) -> tuple[str, str] | None:
        """The text of a script the entrypoint runs, found through the COPY that put it there."""
        if self.analysis.context is None:
            return None
        context = BuildContext(self.analysis.context)
        candidates = [w for w in " ".join(words).split() if "/" in w or w.endswith(".sh")]
        for copy in self.stage.of("COPY", "ADD"):
            if any(f.startswith("--from") for f in copy.flags or []) or copy.heredocs:
                continue
            sources = (copy.value or [])[:-1]
            for src in sources:
                base = src.rstrip("/").rsplit("/", 1)[-1]
                if any(c.rstrip("/").rsplit("/", 1)[-1] == base for c in candidates):
                    text = context.read_text(src)
                    if text is not None:
                        return src, text
        return None

    # ------------------------------------------------------------------ edits

    def _user_edits(self, family, how: str, explicit_root: Instruction | None) -> list[Edit] | None:
        opts, stage = self.options, self.stage
        facts = stage.root_image.facts
        users = catalogue.users()
        who = None  # how USR001 names the user, when not by its ids alone
        run_parts: list[str] = []
        app_parts: list[str] = []  # the app folder and what the app writes in it (after every COPY)
        env_home = None
        writable = self._writable_dirs()
        if family is None:
            self.finding(
                "USR002",
                f"the distro of {stage.root_image.base_text or 'the base image'} is unknown ({how}); "
                f"assumed it has no user tools and used a numeric USER {opts.uid}:{opts.gid}",
            )
            user = f"{opts.uid}:{opts.gid}"
            self._no_home(f"the distro of {stage.root_image.base_text or 'the base image'} is unknown")
        elif family.user_tool == "windows":
            if any(w in users["windows_admin_commands"] for i in self._entrypoints() for w in " ".join(i.value or []).split()):
                self.finding("USR005", f"{self.label} runs a Windows service that needs the administrator account; left alone")
                return None
            user = users["windows_user"]
        elif (spec := facts.user or accounts.created_user(self.stage)) is not None:
            # the image's own non-root user, or the one the Dockerfile creates and never used
            user = f"{spec.uid}:{spec.gid}"
            if facts.user is None:
                who = f"{spec.name} ({user}), the user its RUN lines create"
            if writable:
                run_parts = self._writable_parts(writable, spec.uid, spec.gid)
            app_parts = self._app_write_parts(spec.uid, spec.gid, writable)
        elif family.user_tool == "none":
            uid = family.nonroot_uid or opts.uid
            gid = family.nonroot_uid or opts.gid
            user = f"{uid}:{gid}"
            env_home = self._home_without_user_tools(family)
            writes = self._app_writes()
            if writes is not None and writes.found:
                writable = writable + [p for p in writes.files + writes.trees + writes.folders if p not in writable]
            if writable:
                self.finding(
                    "USR005",
                    f"{', '.join(writable)} stay owned by root: the image has no shell to change that; "
                    f"copy them with --chown={uid}:{gid}",
                )
        else:
            template = catalogue.user_creation(family.user_tool)
            if family.user_tool_install:
                run_parts.append(family.user_tool_install)
            home = catalogue.user_home(opts.user)
            run_parts += [t.format(user=opts.user, uid=opts.uid, gid=opts.gid, home=home) for t in template]
            # the home first: made and owned by the user (tools write caches under $HOME)
            run_parts += self._writable_parts([home] + [d for d in writable if d != home], opts.uid, opts.gid)
            run_parts += [p.format(uid=opts.uid, gid=opts.gid) for p in self.server_run]
            app_parts = self._app_write_parts(opts.uid, opts.gid, [home] + writable)
            user = f"{opts.uid}:{opts.gid}"
            who = f"{opts.user} ({user})"

        anchor = self._anchor()
        indent = self.doc.indent_of(anchor)
        run_text = ""
        volume = next((v for v in stage.of("VOLUME") if v.start <= anchor.start), None)
        app_folder = bool(app_parts) and self._writes.app_dir in app_parts[0].split()
        if app_parts and volume is None:
            run_parts, app_parts = run_parts + app_parts, []
        if run_parts:
            parts = [run_parts[0]] + [f"&& {p}" for p in run_parts[1:]]
            run_text = self.doc.render_instruction("RUN", *parts, indent=indent)
            if family is not None and family.lint_ignore and family.user_tool_install in run_parts:
                run_text = f"{indent}# hadolint ignore={family.lint_ignore}{self.doc.newline}{run_text}"
        user_text = self.doc.render_instruction("USER", user, indent=indent)
        if env_home:
            user_text = self.doc.render_instruction("ENV", f"HOME={env_home}", indent=indent) + user_text
        who = who or user
        owns = f"; it owns its folder {self._writes.app_dir}, not the files in it" if app_folder else ""
        self.finding("USR001", f"{self.label} ran as root; it now runs as {who}{owns}", fixed=True)
        for service, mount in composeuse.bind_mounts(self.services):
            self.finding("USR010", composeuse.bind_message(service, mount, user))
        manifestcheck.check(self.analysis, user, self.moved, self.result, CODES, self.line)
        edits = []
        # the classic builder discards what a RUN changes in a declared VOLUME: chown before it
        if run_text and volume is not None:
            edits.append(self.doc.insert_before(volume, run_text))
            run_text = ""
        if app_parts:  # the copied files exist only after the COPY lines: a RUN of its own there
            run_text = self.doc.render_instruction("RUN", app_parts[0], *[f"&& {p}" for p in app_parts[1:]], indent=indent)
        if explicit_root is not None and explicit_root.start > anchor.start:
            return edits + [self.doc.replace(explicit_root, run_text + user_text)]
        return edits + [self.doc.insert_after(anchor, run_text + user_text)]

    def _anchor(self) -> Instruction:
        """The last instruction of the stage that builds (the new lines go right after it)."""
        anchor = self.stage.from_instr
        for instr in self.stage.instructions:
            if instr.cmd not in _RUNTIME_METADATA:
                anchor = instr
        return anchor

    def _writable_dirs(self) -> list[str]:
        """VOLUME paths and the folders the stage's RUN lines create outside system paths and
        the shared roots (``/opt`` itself, not ``/opt/app``)."""
        system = catalogue.users()["system_paths"]
        shared = set(catalogue.users()["shared_roots"])
        dirs: list[str] = []
        for volume in self.stage.of("VOLUME"):
            for path in volume.value or []:
                dirs.append(path)
        for words in self.stage.run_commands:
            if words and words[0] == "mkdir":
                dirs += [w for w in words[1:] if not w.startswith("-") and w.rstrip("/") not in shared]
        keep: dict[str, None] = {}  # (ordered; a list searched for each path was quadratic)
        for path in dirs:
            path = path.rstrip("/") or "/"
            if not _SAFE_PATH.match(path) or path == "/" or path.startswith("/tmp"):
                continue
            if path in keep or any(path == s or path.startswith(s + "/") for s in system):
                continue
            keep[path] = None
        for path in composeuse.mount_points(self.services):  # a named volume starts as a copy of it
            keep.setdefault(path, None)
        return list(keep)

    def _app_writes(self):
        """What the app writes in its folder (fixer.appwrites), read once and only here: for
        a stage that gets a new user."""
        if not hasattr(self, "_writes"):
            from ..analysis import appwrites

            self._writes = appwrites.find(self.analysis, self.stage)
        return self._writes

    def _app_write_parts(self, uid: int, gid: int, done: list[str]) -> list[str]:
        """``chown`` (no -R) of the app folder and of the files and folders the app writes,
        ``chown -R`` of its data folders: the code stays root's and read-only. A finding says
        what and why."""
        writes = self._app_writes()
        if writes is None:
            return []
        owned = [p for p in writes.folders + writes.files if _SAFE_PATH.match(p) and p not in done]
        trees = [p for p in writes.trees if _SAFE_PATH.match(p) and p not in done]
        parts = []
        if owned:
            parts.append(f"chown {uid}:{gid} {' '.join(owned)}")
        if trees:
            parts.append(f"chown -R {uid}:{gid} {' '.join(trees)}")
        created = [p for p in writes.created if _SAFE_PATH.match(p) and p not in done]
        if created:  # made by a RUN that runs the app (migrate): by name, where they exist
            parts.append(f'for f in {" ".join(created)}; do if [ -e "$f" ]; then chown {uid}:{gid} "$f"; fi; done')
        if writes.found:
            made = owned[1:] + trees + [f"{p} where the build creates it" for p in created]
            self.finding(
                "USR008",
                f"the app writes in its folder {writes.app_dir}: made it the user's own (not -R: the code stays "
                f"read-only){', and ' + ', '.join(made) + ' writable' if made else ''}; why: "
                + "; ".join(writes.reasons[:8]) + (f" (+{len(writes.reasons) - 8} more)" if len(writes.reasons) > 8 else "")
                + (f"; not changed, outside it: {', '.join(writes.outside[:4])}" if writes.outside else ""),
                fixed=True,
            )
        elif writes.outside:
            self.result.add(
                CODES, "USR008", self.line, f"the app writes outside its folder, left as it is: {', '.join(writes.outside[:4])}",
                fix="none",
            )
        return parts

    def _home_without_user_tools(self, family) -> str | None:
        """The ``ENV HOME`` an image without user tools needs (the catalogue's family ``home``):
        None when its /etc/passwd already gives the user a home, or when no writable folder is
        known (then a finding says so)."""
        if family.home is None:
            base = self.stage.root_image.base_text or "the base image"
            self._no_home(f"{base} has no user tools" if base == family.name else f"{base} ({family.name}) has no user tools")
            return None
        if family.home_in_passwd or not _SAFE_PATH.match(family.home):
            return None
        return family.home

    def _no_home(self, why: str) -> None:
        self.finding(
            "USR009",
            f"{why} and no folder the user can write is known: $HOME is not writable, so tools that "
            "write under it at run time (go run, npm, pip, matplotlib...) fail; copy a folder in with "
            f"--chown={self.options.uid}:{self.options.gid} and set ENV HOME to it",
        )

    def _writable_parts(self, dirs: list[str], uid: int, gid: int) -> list[str]:
        if not dirs:
            return []
        joined = " ".join(dirs)
        return [f"mkdir -p {joined}", f"chown {uid}:{gid} {joined}"]

    def _chown_copies(self) -> list[Edit]:
        edits = []
        for instr in self.stage.of("COPY", "ADD"):
            if any(f.startswith("--chown") for f in instr.flags or []):
                continue
            edit = self.doc.add_flag(instr, f"--chown={self.options.uid}:{self.options.gid}")
            if edit is not None:
                edits.append(edit)
        return edits

    # ------------------------------------------------------------------ privileged ports

    def _privileged_ports(self) -> bool:
        """Whether the stage can get its user. A server that binds a port below 1024 cannot run
        as non-root: the interface (the published port) would have to change, which is an
        unsafe fix. By default the stage stays as it is, with a finding; ``--unsafe-fixes``
        moves the port everywhere it is written, or the fix is refused when it cannot be done
        consistently. False: the stage is left to this function (alone, or switched)."""
        found = ports.detect(self.stage, self.analysis)
        low = found.privileged + composeuse.unknown_listens(self.services, found, self.line)
        if not low:
            return True
        from . import portmove  # only a server on a privileged port needs it

        facts = self.stage.root_image.facts
        switch_problem = self._switch_problem(facts) if found.image_server and facts.unprivileged else "no variant"
        switch = switch_problem is None
        fixed = {facts.low_port: facts.unprivileged_port} if switch else None
        plan = portmove.plan(self.doc, self.analysis, self.stage, found, fixed, switch)
        plan_note = ""
        plan.problems += [entry.problem for entry in low if entry.server == "compose"]
        if plan.moved and self.services:  # the published container port moves with the server
            changes, problems = composeuse.move_ports(self.services, plan.moved)
            plan.files += changes
            plan.problems += problems
            if changes:
                follows = ", ".join(sorted({c.path.rsplit("/", 1)[-1] for c in changes}))
                plan_note = f"; {follows} keeps the host ports and maps them to the new one"
        family = self.stage.distro[0]
        if plan.run and (family is None or family.user_tool not in ("shadow", "busybox") or facts.user):
            # the commands that move the stock configuration go in the RUN that creates the user
            plan.problems.append("the image's own configuration can only be changed where imgfix creates the user")
        server = found.server or "the server"
        names = ", ".join(f"port {entry.port} ({entry.where})" if entry.port else f"a port set in {entry.where}"
                          for entry in low[:3])
        first = low[0]
        ways = ("other ways out: listen on a port >= 1024, or run it with --sysctl "
                "net.ipv4.ip_unprivileged_port_start=0 or --cap-add NET_BIND_SERVICE and add USER yourself")
        if found.image_server and facts.unprivileged and switch_problem and plan.problems:
            plan.problems.insert(0, switch_problem)
        if plan.problems or not portmove.valid(plan.moved):
            self.finding(
                "USR005",
                f"{self.label} runs as root: {server} listens on {names}, and imgfix cannot move it "
                f"to a port >= 1024 consistently ({'; '.join(plan.problems)}); {ways}; left alone",
                first.line,
            )
            return False
        moves = portmove.describe(plan.moved)
        how = f"switches to {facts.unprivileged} and moves it" if switch else "moves it"
        if not self.options.unsafe_fixes:
            self.result.add(
                CODES, "USR007", first.line,
                f"{self.label} stays as root: {server} listens on {names}, which a non-root user "
                f"cannot bind; --unsafe-fixes {how} ({moves}: the published port changes{plan_note}), or {ways}",
            )
            return False
        self.result.edits.extend(plan.edits)
        self.result.files.extend(plan.files)
        self.server_run, self.moved = plan.run, plan.moved
        what = f"{server} now listens on {', '.join(sorted({str(n) for n in plan.moved.values()}))}"
        if switch:
            self._unprivileged_server(facts)
            what = f"{self.stage.root_image.image.familiar} -> {facts.unprivileged}: {what}"
        self.result.add(
            CODES, "USR007", first.line,
            f"{what}: the published port changes ({moves}; read from {', '.join(e.where for e in low[:3])}); "
            f"publish the new one (docker run -p HOST:NEW, Service targetPort){plan_note}",
            fixed=True,
        )
        return not switch

    def _switch_problem(self, facts) -> str | None:
        """Why the image's unprivileged variant cannot replace it, if it cannot."""
        root = self.stage.root_image
        image = root.image
        if root.base_args:
            return f"the FROM of {image.familiar} is built from ARG {', '.join(root.base_args)}"
        if image.digest:
            return f"{image.familiar} is pinned by digest; the unprivileged variant has another digest"
        if accounts.older(image.tag, facts.unprivileged_since):
            return (f"{facts.unprivileged} has no tag for {image.familiar}:{image.tag} (its tags start at "
                    f"{facts.unprivileged_since})")
        if self.doc.find_word(root.from_instr, root.base_text) is None:
            return "the FROM line is split over several lines"
        return None

    def _unprivileged_server(self, facts) -> None:
        """Switch the image to its unprivileged variant (nginx -> nginx-unprivileged), which
        listens on ``unprivileged_port`` and runs as its own user."""
        root = self.stage.root_image
        image = root.image
        new_ref = ImageRef.parse(facts.unprivileged).with_tag(image.tag)
        span = self.doc.find_word(root.from_instr, root.base_text)
        edits = [self.doc.replace_span(root.from_instr, *span, str(new_ref))]
        # say who it runs as, so readers and scanners (CKV_DOCKER_3, DS002) see it too
        runs_as = catalogue.lookup(new_ref, self.analysis.mirrors).runs_as
        if runs_as:
            anchor = self._anchor()
            user_line = self.doc.render_instruction("USER", runs_as, indent=self.doc.indent_of(anchor))
            explicit_root = self.explicit_root
            if explicit_root is not None and explicit_root.start > anchor.start:  # a final USER root
                edits.append(self.doc.replace(explicit_root, user_line))
            else:
                edits.append(self.doc.insert_after(anchor, user_line))
        self.result.edits.extend(e for e in edits if e is not None)
        self.finding(
            "USR001",
            f"{self.label} ran {image.familiar} as root; it now uses {new_ref.familiar}, "
            f"which runs as a non-root user",
            fixed=True,
        )

    def _check_ports(self) -> None:
        """A non-root stage whose server (or EXPOSE) still names a port below 1024."""
        found = ports.detect(self.stage, self.analysis)
        named: set[int] = set()
        for entry in found.privileged if found.server and found.listens else []:
            if entry.port in self.moved:
                continue
            named.add(entry.port)
            self.finding(
                "USR004",
                f"{entry.server} listens on port {entry.port} ({entry.where}): a non-root process cannot bind "
                "ports below 1024 without CAP_NET_BIND_SERVICE (Kubernetes does not grant it by default); "
                "listen on a port >= 1024",
                entry.line,
            )
        for port, word, expose in found.exposed:
            if port < 1024 and port not in named and port not in self.moved:
                self.finding(
                    "USR004",
                    f"EXPOSE {word}: a non-root process cannot bind ports below 1024 without "
                    "CAP_NET_BIND_SERVICE (Kubernetes does not grant it by default); listen on a port ≥ 1024",
                    expose.start_line,
                )


TRANSFORM = NonRoot()
