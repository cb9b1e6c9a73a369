"""The build summary: at the end of every doit run, what was made and how long it took.

This module owns what a person reads when a build ends. :class:`BuildSummary` is doit's
console reporter (each task's line, failures as usual) plus one short summary: each artifact
written (a PDF with its page count, anything else with its size) and the run's time; or, when
a task failed, which one, and that its targets were not replaced by half-finished output
(every stage writes through a temporary file and a rename, coursepack.fsutil.write_atomic).

A stage's error line (coursepack.build.run_action) is printed here too, once: with the default
parallelism two tasks reading one bad file (a bibliography, the editor's notes) fail at
once, each in its own worker, and the person should still read one line.

It is wired in dodo.py as ``DOIT_CONFIG["reporter"]``. dodo.py imports it on every run, even a
no-op one, so it imports only doit's reporter; pikepdf is imported when a PDF is counted.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from doit.reporter import ConsoleReporter

# What a person asked a build for: the editions, the EPUB and the release files. Intermediate
# targets (cleaned Markdown, audits, print HTML) stay out of the summary.
ARTIFACT_SUFFIXES = (".pdf", ".epub")
# doit imports dodo.py, and so this module, before it loads the tasks: the build's time
# counts from here.
STARTED = time.monotonic()
RELEASE_DIR = "dist"
# Set while a BuildSummary reports the run (and so in the workers doit forks): a stage's error
# line is printed by the reporter, once, not by the stage.
REPORTER = "COURSEPACK_ERRORS_REPORTED"


def is_artifact(target: str) -> bool:
    path = Path(target)
    return path.suffix in ARTIFACT_SUFFIXES or RELEASE_DIR in path.parts[:-1]


def shown(target: str) -> str:
    """A target as a person finds it: relative to the project (doit's working directory)."""
    path = Path(target)
    try:
        return str(path.relative_to(Path.cwd())) if path.is_absolute() else target
    except ValueError:
        return target


def pdf_pages(path: Path) -> int:
    import pikepdf  # only when a PDF was written: a no-op build stays cheap

    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


def describe(path: Path, count_pages: Callable[[Path], int] = pdf_pages) -> str:
    """"42 pages" for a PDF, the size for anything else; what is wrong if it cannot be read."""
    try:
        if path.suffix == ".pdf":
            pages = count_pages(path)
            return f"{pages} page{'s' if pages != 1 else ''}"
        return human_size(path.stat().st_size)
    except Exception as exc:  # a summary line must never end the run
        return f"unreadable ({type(exc).__name__})"


def seconds(elapsed: float) -> str:
    if elapsed < 60:
        return f"{elapsed:.1f} s"
    minutes, rest = divmod(round(elapsed), 60)
    return f"{minutes} min {rest:02d} s"


def mtime(target: str) -> int | None:
    try:
        return Path(target).stat().st_mtime_ns
    except OSError:
        return None


def target_state(before: int | None, after: int | None) -> str:
    """What a failed task did to one of its targets, from its modification time before the
    task ran and after it failed."""
    if after is None:
        return "not written"
    if after == before:
        return "not replaced: the previous file is kept"
    return "written in full before the failure"


def summary_lines(written: Iterable[str], failed: dict[str, dict[str, str]], up_to_date: int,
                  ran: int, elapsed: float,
                  count_pages: Callable[[Path], int] = pdf_pages) -> list[str]:
    """The summary, from what the run did: the artifact targets written by tasks that
    succeeded, each failed task's targets with their :func:`target_state`, how many artifacts
    were already up to date and how many tasks ran."""
    took = seconds(elapsed)
    if failed:
        lines = []
        for name, states in failed.items():
            if not states:
                lines.append(f"FAILED {name} after {took}")
                continue
            lines.append(f"FAILED {name} after {took}; no half-finished file replaced a target:")
            width = max(len(shown(t)) for t in states)
            lines += [f"  {shown(t).ljust(width)}  {state}" for t, state in states.items()]
        return lines
    written = sorted(set(written))
    if not written:
        if ran:
            tasks = f"{ran} task{'s' if ran != 1 else ''}"
            extra = f" ({up_to_date} up to date)" if up_to_date else ""
            return [f"done in {took}: {tasks} ran, no artifact written{extra}"]
        return [f"nothing to do: {up_to_date} artifact{'s' if up_to_date != 1 else ''} "
                f"up to date ({took})"]
    width = max(len(shown(t)) for t in written)
    lines = [f"built in {took}:"]
    lines += [f"  {shown(t).ljust(width)}  {describe(Path(t), count_pages)}" for t in written]
    if up_to_date:
        lines.append(f"  ({up_to_date} more up to date)")
    return lines


class BuildSummary(ConsoleReporter):
    """doit's console output, then the summary of :func:`summary_lines`."""

    desc = "console output, then what the build made and how long it took"

    def __init__(self, outstream, options) -> None:
        super().__init__(outstream, options)
        self.started = STARTED
        self.written: list[str] = []
        self.failed: dict[str, dict[str, str]] = {}
        self.before: dict[str, dict[str, int | None]] = {}
        self.up_to_date = 0
        self.ran = 0
        self.errors_shown: set[str] = set()
        self.reporter_was = os.environ.get(REPORTER)
        os.environ[REPORTER] = "1"  # inherited by the workers doit forks; undone at the end

    def get_status(self, task) -> None:
        # Called in the main process before the task is dispatched (also with -n 2): the
        # targets' times before it can write anything.
        super().get_status(task)
        self.before[task.name] = {t: mtime(t) for t in task.targets}

    def add_success(self, task) -> None:
        super().add_success(task)
        if task.actions:
            self.ran += 1
        self.written += [t for t in task.targets if is_artifact(t)]

    def add_failure(self, task, fail) -> None:
        super().add_failure(task, fail)
        if not fail.report and fail.message not in self.errors_shown:  # run_action's line
            self.errors_shown.add(fail.message)
            print(f"error: {fail.message}", file=sys.stderr, flush=True)
        before = self.before.get(task.name, {})
        self.failed[task.name] = {t: target_state(before.get(t, mtime(t)), mtime(t))
                                  for t in task.targets}

    def skip_uptodate(self, task) -> None:
        super().skip_uptodate(task)
        self.up_to_date += sum(1 for t in task.targets if is_artifact(t))

    def complete_run(self) -> None:
        super().complete_run()
        if self.reporter_was is None:
            os.environ.pop(REPORTER, None)
        else:
            os.environ[REPORTER] = self.reporter_was
        lines = summary_lines(self.written, self.failed, self.up_to_date, self.ran,
                              time.monotonic() - self.started)
        self.write("".join(f"{line}\n" for line in lines))
