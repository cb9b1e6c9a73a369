"""Domain errors: problems a person can fix, reported as one line each; and the one-line
report of a fault no check anticipated (``internal_error``)."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from .forms import printable


class ReaderError(Exception):
    """A problem in the user's input, reported as ``file: what is wrong, what to do``.

    User text quoted in it is made printable: a control character never reaches a terminal.
    """

    def __init__(self, where: str | Path, message: str) -> None:
        self.where = printable(str(where))
        self.message = printable(message)
        super().__init__(f"{self.where}: {self.message}")


class ReaderErrors(ReaderError):
    """Several problems collected before stopping, so one run reports them all."""

    def __init__(self, errors: Iterable[ReaderError]) -> None:
        # Flat: a file's own collected problems are listed with the others, not nested.
        self.errors = [one for e in errors for one in getattr(e, "errors", [e])]
        lines = [str(e) for e in self.errors]
        super().__init__(self.errors[0].where, self.errors[0].message)
        if len(lines) > 1:  # one problem is one line, as any other ReaderError
            self.args = (f"{len(lines)} configuration errors:\n" + "\n".join(lines),)

    def __str__(self) -> str:
        return self.args[0]


# --- faults that are not the user's to fix -------------------------------------------------

DEBUG_VARIABLE = "COURSEPACK_DEBUG"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@contextlib.contextmanager
def working_on(where: str | Path) -> Iterator[None]:
    """Mark the input a stage is working on: an unexpected exception raised inside is tagged
    with it (the innermost wins), so that its one-line report can name the file."""
    try:
        yield
    except Exception as exc:
        if not isinstance(exc, ReaderError) and not hasattr(exc, "coursepack_where"):
            exc.coursepack_where = str(where)  # type: ignore[attr-defined]
        raise


def one_line(text: str, limit: int = 300) -> str:
    """Text for a one-line terminal report: whitespace collapsed, control characters shown as
    escapes (never sent to the terminal raw), cut at ``limit`` characters."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", " ".join(str(text).split()))
    return text if len(text) <= limit else text[:limit - 1] + "…"


def internal_error(exc: Exception, where: str | Path, doing: str) -> str:
    """The one line for an exception no check anticipated: the file being worked on, the
    stage, the exception. A bug (in coursepack or a tool) met on this input: please report.
    ``COURSEPACK_DEBUG=1`` lets the traceback through instead."""
    where = getattr(exc, "coursepack_where", None) or str(where)
    return (f"{where}: internal error while {doing}: {type(exc).__name__}: {one_line(exc)}; "
            f"please report it with this file (set {DEBUG_VARIABLE}=1 for the traceback)")


def debugging() -> bool:
    return os.environ.get(DEBUG_VARIABLE, "") not in ("", "0")
