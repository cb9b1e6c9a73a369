"""What every check shares: the Finding record, the missing-tool signal, and running a check
so that a missing tool, a time-out or a crashing tool is itself a finding, never a pass."""

from __future__ import annotations

import subprocess
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Finding:
    """One problem found in one artifact by one check."""

    artifact: str
    check: str
    message: str


class ToolMissing(Exception):
    """A validator or its runtime is not installed; the message says what to install."""


def _run(cmd: Sequence[str], *, timeout: int, env: dict[str, str] | None = None,
         cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command (argument list, no shell), capturing text output."""
    return subprocess.run(
        list(cmd), capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd,
        check=False,
    )


def _tail(text: str, lines: int = 8) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:] if line.strip())


def _findings(artifact: str, check: str, messages: Iterable[str]) -> list[Finding]:
    return [Finding(artifact, check, message) for message in messages]


def _guarded(artifact: str, check: str, func: Callable[[], list[str]],
             errors: tuple[type[Exception], ...] = ()) -> list[Finding]:
    """Run one check; a missing tool, a time-out or a crash of the tool is itself a finding.

    ``errors`` adds exception types (e.g. pikepdf's) that mean "the artifact is broken"."""
    try:
        return _findings(artifact, check, func())
    except ToolMissing as exc:
        return [Finding(artifact, check, f"cannot run: {exc}")]
    except subprocess.TimeoutExpired as exc:
        return [Finding(artifact, check, f"timed out after {exc.timeout} s")]
    except (OSError, zipfile.BadZipFile, ValueError, KeyError, *errors) as exc:
        return [Finding(artifact, check, f"failed: {type(exc).__name__}: {exc}")]
