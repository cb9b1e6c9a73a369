"""Domain errors: problems a person can fix, reported as one line each."""

from __future__ import annotations

from collections.abc import Iterable
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
        self.errors = list(errors)
        lines = [str(e) for e in self.errors]
        noun = "error" if len(lines) == 1 else "errors"
        super().__init__(self.errors[0].where, self.errors[0].message)
        self.args = (f"{len(lines)} configuration {noun}:\n" + "\n".join(lines),)

    def __str__(self) -> str:
        return self.args[0]
