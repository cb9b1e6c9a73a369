"""`./run` installs the system packages a command needs, or says in one line how to; a missing
system library is one line from the build, never a traceback (coursepack/syslibs.py).

The `run` script is exercised in a scratch copy with stand-ins for id, sudo, dpkg-query,
apt-get and python3 on PATH, so nothing is installed and the real .venv is never touched.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from coursepack import syslibs
from coursepack.errors import ReaderError
from coursepack.syslibs import debian_packages, require_weasyprint

REPO = Path(__file__).resolve().parent.parent
BUILD_PACKAGES = debian_packages("build")


def stub(bindir: Path, name: str, body: str) -> None:
    path = bindir / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


@pytest.fixture
def scratch(tmp_path):
    """A copy of `run` and the package list, and a bin/ of stand-ins that log their calls."""
    project = tmp_path / "project"
    (project / "tools").mkdir(parents=True)
    shutil.copy2(REPO / "run", project / "run")
    shutil.copy2(REPO / "tools" / "system-packages.txt", project / "tools")
    (project / "requirements.lock").write_text("")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "calls.log"
    stub(bindir, "dpkg-query", f'echo "dpkg-query $*" >> {log}; exit 1')  # nothing installed
    stub(bindir, "apt-get", f'echo "apt-get $*" >> {log}')
    stub(bindir, "sudo", "exit 1")  # no password-less sudo
    stub(bindir, "python3", "exit 1")  # stops ./run before it would create .venv
    return SimpleNamespace(project=project, bindir=bindir, log=log)


def run(scratch, *args: str, uid: int) -> subprocess.CompletedProcess[str]:
    stub(scratch.bindir, "id", f"echo {uid}")
    env = {"PATH": f"{scratch.bindir}:/usr/bin:/bin", "LANG": "C.UTF-8"}
    return subprocess.run(["sh", str(scratch.project / "run"), *args], env=env,
                          capture_output=True, text=True, timeout=60, check=False)


def test_the_package_list_names_the_libraries_weasyprint_loads():
    assert {"libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0",
            "libfontconfig1", "libglib2.0-0"} <= set(BUILD_PACKAGES)
    assert "chromium" not in BUILD_PACKAGES
    assert {"chromium", "calibre"} <= set(debian_packages("test")) & set(
        debian_packages("check"))
    assert "poppler-utils" not in (REPO / "tools" / "system-packages.txt").read_text()


def test_without_root_or_sudo_run_prints_the_one_command_to_type(scratch):
    result = run(scratch, "build", uid=1000)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("run: 'build' needs the Debian packages ")
    command = result.stderr.split("install them with: ")[1].split()
    assert command == ["sudo", "apt-get", "install", "--no-install-recommends",
                       *BUILD_PACKAGES]
    assert "apt-get" not in scratch.log.read_text()


def test_as_root_run_installs_what_is_missing_once(scratch):
    result = run(scratch, "test", uid=0)
    calls = scratch.log.read_text().splitlines()
    installs = [c for c in calls if c.startswith("apt-get") and " install " in c]
    assert installs == ["apt-get -qq install -y --no-install-recommends "
                        + " ".join(debian_packages("test"))]
    assert "python3 -m venv failed" in result.stderr  # the stand-in python3 stops it here
    scratch.log.write_text("")
    run(scratch, "test", uid=0)  # the stamp says they are there: no dpkg-query, no apt-get
    assert scratch.log.read_text() == ""
    (scratch.project / "tools" / "system-packages.txt").open("a").write("qpdf  test  x\n")
    run(scratch, "test", uid=0)  # the list changed: checked again
    assert "dpkg-query" in scratch.log.read_text()


def test_readers_lists_every_reader_file():
    result = subprocess.run(["sh", str(REPO / "run"), "readers"], capture_output=True,
                            text=True, timeout=60, check=True)
    expected = ["reader.yaml", *sorted(f"readers/{p.name}"
                                       for p in (REPO / "readers").glob("*.yaml"))]
    assert result.stdout.splitlines() == expected


def test_a_missing_library_is_one_line_naming_the_packages(monkeypatch):
    def no_glib(name):
        raise OSError("cannot load library 'libgobject-2.0-0': libgobject-2.0-0: cannot open "
                      "shared object file: No such file or directory")

    monkeypatch.setattr(syslibs, "import_module", no_glib)
    with pytest.raises(ReaderError) as caught:
        require_weasyprint()
    message = str(caught.value)
    assert message.startswith("WeasyPrint: cannot load library 'libgobject-2.0-0': ")
    assert "\n" not in message
    assert message.endswith("--no-install-recommends " + " ".join(BUILD_PACKAGES)
                            + " (./run build does this by itself)")


def test_a_missing_subsetter_is_an_error_not_a_fonttools_warning(monkeypatch):
    monkeypatch.setattr(syslibs, "import_module",
                        lambda name: SimpleNamespace(harfbuzz_subset=None))
    with pytest.raises(ReaderError, match="libharfbuzz-subset0"):
        require_weasyprint()


def test_this_machine_has_every_library():
    require_weasyprint()  # the real import: no exception
