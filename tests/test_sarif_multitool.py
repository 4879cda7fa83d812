"""imgfix's SARIF for the whole corpus passes Microsoft's SARIF validator (issue 22).

``sarif-multitool validate`` (npm ``@microsoft/sarif-multitool``: a self-contained .NET binary
per platform) checks far more than the JSON schema does (tests/test_formats.py): URIs,
indices, regions, fixes, rule metadata, and with ``--rule-kind Gh`` what GitHub code scanning
requires of a log. Rule kinds Sarif and Gh, every level: no error and no warning may remain,
and no rule without its help URI. Notes that ask for optional extras (message ids instead of
text, code snippets, context regions, version control provenance, Pascal-case rule names)
are left. SARIF2006 (every URI answers an HTTP GET) is disabled: the test needs no network.

The tool is looked for in IMGFIX_SARIF_MULTITOOL (set by .ci/run: then a missing tool fails
the test), in .ci-tools/ (where .ci/run installs it), and on PATH; else the test is skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CORPUS_DIR, ROOT

INSTALL = "npm install --prefix .ci-tools @microsoft/sarif-multitool@5.7.0 (as .ci/run does)"
CONFIG = """<?xml version="1.0" encoding="utf-8"?>
<Properties>
  <Properties Key="SARIF2006.UrisShouldBeReachable.Options">
    <Property Key="RuleEnabled" Value="Disabled" Type="Driver.RuleEnabledState" />
  </Properties>
</Properties>
"""


def _binary(found: Path) -> Path:
    """The platform's binary behind npm's wrapper. The wrapper runs it through a shell
    (``spawnSync(..., {shell: true})``), which would split ``--level "Error;Warning"`` at the
    semicolons, so the binary is run directly; the package itself says where it is."""
    real = found.resolve()
    if real.suffix != ".js":
        return real
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"{found} is npm's wrapper, and node is not on PATH to locate the binary behind it")
    where = subprocess.run([node, "-p", f"require({json.dumps(str(real.parent))})"], capture_output=True, text=True, timeout=60)
    if where.returncode != 0:
        pytest.fail(f"the sarif-multitool package at {real.parent} has no binary for this platform: {where.stderr.strip()}")
    return Path(where.stdout.strip())


@pytest.fixture(scope="module")
def multitool() -> Path:
    explicit = os.environ.get("IMGFIX_SARIF_MULTITOOL")
    if explicit:
        if not Path(explicit).exists():
            pytest.fail(f"IMGFIX_SARIF_MULTITOOL={explicit} does not exist: {INSTALL}")
        return _binary(Path(explicit))
    local = ROOT / ".ci-tools" / "node_modules" / ".bin" / "sarif-multitool"
    if local.exists():
        return _binary(local)
    on_path = shutil.which("sarif-multitool")
    if on_path:
        return _binary(Path(on_path))
    pytest.skip(f"sarif-multitool is not installed: {INSTALL}")


def _validate(multitool: Path, files: list[Path], tmp_path: Path) -> list[dict]:
    """The validator's results (its own SARIF log) for ``files``, checked in one run."""
    config = tmp_path / "validate.xml"
    config.write_text(CONFIG)
    log = tmp_path / "validation.sarif"
    env = dict(os.environ, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT="1", DOTNET_CLI_TELEMETRY_OPTOUT="1")
    done = subprocess.run(
        [str(multitool), "validate", *map(str, files), "--config", str(config),
         "--rule-kind", "Sarif;Gh", "--level", "Error;Warning;Note",
         "--output", str(log), "--log", "ForceOverwrite"],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert log.exists(), f"the validator wrote no log (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
    run = json.loads(log.read_text(encoding="utf-8-sig"))["runs"][0]
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"], (done.stdout, done.stderr)
    failures = [n for n in invocation.get("toolExecutionNotifications", []) if n.get("level") == "error"]
    assert failures == [], failures
    return run.get("results", [])


def _where(result: dict) -> str:
    return result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]


def _text(result: dict, rules: dict) -> str:
    template = rules.get(result["ruleId"], {}).get(result["message"].get("id"), {}).get("text", "{0}")
    return f"{result['ruleId']} {result.get('level', 'warning')}: " + template.format(*result["message"].get("arguments", []))


def test_corpus_sarif_passes_the_validator(multitool, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS_DIR, corpus)
    names = sorted(p.name for p in corpus.iterdir() if p.is_file() and p.name != "MANIFEST.tsv")
    report = tmp_path / "corpus.sarif"
    fixed = subprocess.run(
        [sys.executable, "-m", "fixer", "fix", "--format", "sarif", "--unsafe-fixes", "--output", str(report), "--", *names],
        cwd=corpus, capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=300,
    )
    assert fixed.returncode in (0, 1, 2), fixed.stderr  # 2: one corpus file cannot be fixed
    sarif = json.loads(report.read_text())
    assert len(sarif["runs"][0]["results"]) > 300 and len(sarif["runs"][0]["tool"]["driver"]["rules"]) > 15

    # a control in the same run: the same log as it was before issue 22, so the test shows
    # that the validator sees what it must (and is not passing everything)
    control = tmp_path / "control.sarif"
    driver = sarif["runs"][0]["tool"]["driver"]
    old = dict(driver, informationUri=None, rules=[{k: v for k, v in r.items() if k not in ("helpUri", "help", "fullDescription")} for r in driver["rules"]])
    del old["informationUri"]
    control.write_text(json.dumps(dict(sarif, runs=[dict(sarif["runs"][0], tool={"driver": old})])))

    results = _validate(multitool, [report, control], tmp_path)
    of_control = [r for r in results if _where(r).endswith("control.sarif")]
    assert {(r["ruleId"], r.get("level", "warning")) for r in of_control} >= {("SARIF2005", "warning"), ("GH2012", "error"), ("SARIF2012", "note")}

    of_report = [r for r in results if _where(r).endswith("corpus.sarif")]
    assert len(of_report) + len(of_control) == len(results)
    messages = {}  # the validator's message templates, to show what it says
    log = json.loads((tmp_path / "validation.sarif").read_text(encoding="utf-8-sig"))
    for rule in log["runs"][0]["tool"]["driver"].get("rules", []):
        messages[rule["id"]] = rule.get("messageStrings", {})
    serious = [_text(r, messages) for r in of_report if r.get("level", "warning") in ("error", "warning")]
    assert serious == []
    no_help = [_text(r, messages) for r in of_report if r["ruleId"] == "SARIF2012" and r["message"].get("id") == "Note_ProvideHelpUri"]
    assert no_help == []
