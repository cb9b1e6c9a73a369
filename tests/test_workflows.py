"""The CI workflows (.github/workflows/) and the shell scripts pass their linters: actionlint
(with ShellCheck on every run: block), zizmor's security audit (offline) and ShellCheck; and
they keep the house rules: actions pinned by commit, read-only by default, no expression in a
shell line. All three linters are pinned in requirements.lock and run from .venv/bin."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
SCRIPTS = [REPO / "run", REPO / ".ci" / "run", REPO / "tools" / "fresh-machine-test"]
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")

BAD_WORKFLOW = """\
name: bad
on: pull_request_target
jobs:
  x:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v6
      - run: echo "${{ github.event.pull_request.title }}"
"""


def tool(name: str) -> str:
    path = BIN / name
    if not path.is_file():
        pytest.fail(f"{name} is missing from {BIN}: ./run installs it from requirements.lock")
    return str(path)


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool("actionlint"), "-no-color", "-shellcheck", tool("shellcheck"),
                           *map(str, files)], cwd=REPO, capture_output=True, text=True,
                          timeout=120, check=False)


def zizmor(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool("zizmor"), "--offline", "--no-progress", "--color=never",
                           *map(str, files)], cwd=REPO, capture_output=True, text=True,
                          timeout=120, check=False)


def test_there_are_a_build_and_a_release_workflow():
    assert [w.name for w in WORKFLOWS] == ["build.yml", "release.yml"]


def test_actionlint_is_clean():
    result = actionlint(*WORKFLOWS)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


def test_zizmor_is_clean():
    result = zizmor(*WORKFLOWS)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "No findings to report" in output
    for workflow in WORKFLOWS:  # a file zizmor cannot parse is only a warning: not audited
        assert f"completed {workflow}" in output, output


def test_both_linters_fail_a_bad_workflow(tmp_path):
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(BAD_WORKFLOW)
    linted = actionlint(bad)
    assert linted.returncode != 0 and "potentially untrusted" in linted.stdout
    audited = zizmor(bad)
    output = audited.stdout + audited.stderr
    assert audited.returncode != 0
    assert {"template-injection", "unpinned-uses", "dangerous-triggers"} <= set(
        re.findall(r"\[([a-z-]+)\]", output))


def test_shell_scripts_pass_shellcheck():
    result = subprocess.run([tool("shellcheck"), *map(str, SCRIPTS)], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda w: w.name)
def test_house_rules(workflow):
    text = workflow.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert data["permissions"] == {"contents": "read"}
    for line in text.splitlines():
        if "uses:" in line:
            assert PINNED.match(line.split("uses:", 1)[1].strip()), line
    for job in data["jobs"].values():
        for step in job.get("steps", []):
            assert "${{" not in step.get("run", ""), step
