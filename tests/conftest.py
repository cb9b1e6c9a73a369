"""Shared fixtures: a private copy of the project, built once per test session."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# What a build reads: everything else (build/, dist/, .venv/) stays behind.
PROJECT_INPUTS = ("dodo.py", "reader.yaml", "readers", "coursepack", "sources", "templates",
                  "styles", "fonts", "filters")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true",
                     help="rewrite tests/golden/* from the current output instead of comparing")


def copy_project(dest: Path) -> Path:
    """Copy the build inputs of the repository into ``dest`` (a fresh project directory)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_INPUTS:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy2(src, dest / name)
    return dest


def doit(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run doit in ``project`` with this interpreter, as a person would."""
    result = subprocess.run([sys.executable, "-m", "doit", *args], cwd=project,
                            capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"doit {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def built_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project with the default tasks built (both PDFs and the EPUB)."""
    project = copy_project(tmp_path_factory.mktemp("built") / "project")
    doit(project)
    return project


@pytest.fixture(scope="session")
def outputs(built_project: Path) -> dict[str, Path]:
    out = built_project / "build" / "putin-security"
    return {
        "dir": out,
        "epub": out / "putin-security.epub",
        "a4": out / "putin-security-a4.pdf",
        "letter": out / "putin-security-letter.pdf",
        "large-print": out / "putin-security-large-print.pdf",
    }
