"""The build summary (coursepack/report.py): what a person reads when a build ends."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pikepdf
from doit.exceptions import TaskFailed
from doit.task import Task

from coursepack.report import BuildSummary, summary_lines, target_state

from .conftest import copy_project, doit


def make_pdf(path: Path, pages: int) -> Path:
    with pikepdf.new() as pdf:
        for _ in range(pages):
            pdf.add_blank_page()
        pdf.save(path)
    return path


def task(name: str, targets: list[Path]) -> Task:
    return Task(name, [lambda: None], targets=[str(t) for t in targets])


def test_the_summary_names_each_artifact_with_its_pages_or_size(tmp_path):
    pdf = make_pdf(tmp_path / "reader-a4.pdf", 3)
    epub = tmp_path / "reader.epub"
    epub.write_bytes(b"x" * 5000)
    lines = summary_lines([str(pdf), str(epub)], {}, up_to_date=1, ran=4, elapsed=41.23)
    assert lines[0] == "built in 41.2 s:"
    assert lines[1].startswith(f"  {pdf}") and lines[1].endswith("  3 pages")
    assert lines[2].startswith(f"  {epub}") and lines[2].endswith("  5 KiB")
    assert lines[3] == "  (1 more up to date)"


def test_a_no_op_build_says_so_in_one_line():
    assert summary_lines([], {}, up_to_date=4, ran=0, elapsed=0.2) == [
        "nothing to do: 4 artifacts up to date (0.2 s)"]
    assert summary_lines([], {}, up_to_date=0, ran=1, elapsed=75) == [
        "done in 1 min 15 s: 1 task ran, no artifact written"]


def test_an_unreadable_pdf_is_named_not_raised(tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 truncated")
    assert summary_lines([str(broken)], {}, 0, 1, 1.0)[1].endswith("unreadable (PdfError)")


def test_target_states():
    assert target_state(None, None) == "not written"
    assert target_state(5, 5) == "not replaced: the previous file is kept"
    assert target_state(5, 6) == target_state(None, 6) == "written in full before the failure"


def test_a_failed_task_is_named_with_what_became_of_each_target(tmp_path):
    html, pdf, fresh = tmp_path / "a4.html", tmp_path / "a4.pdf", tmp_path / "new.pdf"
    pdf.write_bytes(b"the previous build")
    old = pdf.stat().st_mtime_ns
    out = io.StringIO()
    reporter = BuildSummary(out, {})
    failing = task("pdf:a4", [html, pdf, fresh])
    reporter.get_status(failing)
    reporter.execute_task(failing)
    html.write_text("typeset from this")  # the task's first step succeeded, not its second
    os.utime(html, ns=(old + 10**9, old + 10**9))
    reporter.add_failure(failing, TaskFailed("WeasyPrint failed", report=False))
    reporter.complete_run()
    text = out.getvalue()
    assert pdf.read_bytes() == b"the previous build"
    assert "FAILED pdf:a4 after " in text
    assert "no half-finished file replaced a target" in text
    lines = {line.split()[0]: line for line in text.splitlines() if line.startswith("  ")}
    assert lines[str(html)].endswith("written in full before the failure")
    assert lines[str(pdf)].endswith("not replaced: the previous file is kept")
    assert lines[str(fresh)].endswith("not written")


def test_a_fault_two_tasks_meet_at_once_is_one_error_line(tmp_path, capsys):
    """With the default parallelism, both readings' tasks read one bad bibliography at once:
    the reporter prints the stage's line once (coursepack.build.run_action leaves it to it)."""
    from coursepack.build import run_action
    from coursepack.errors import ReaderError

    def stage(reading: str) -> None:
        raise ReaderError("sources/bibliography.json", "item 'x': URL: not a web address")

    reporter = BuildSummary(io.StringIO(), {})
    failures = [run_action(stage, reading) for reading in ("greene", "freedman")]
    assert capsys.readouterr().err == ""  # not printed by the stages
    for name, failure in zip(("annotate:greene", "annotate:freedman"), failures, strict=True):
        reporter.add_failure(task(name, [tmp_path / f"{name}.md"]), failure)
    reporter.complete_run()
    assert capsys.readouterr().err == ("error: sources/bibliography.json: item 'x': URL: not "
                                       "a web address\n")
    run_action(stage, "greene")  # without a reporter, the stage prints its own line
    assert capsys.readouterr().err.startswith("error: sources/bibliography.json")


def test_a_successful_run_counts_only_artifacts(tmp_path):
    pdf = make_pdf(tmp_path / "x-a4.pdf", 2)
    html = tmp_path / "x-a4.html"
    html.write_text("intermediate")
    out = io.StringIO()
    reporter = BuildSummary(out, {})
    done = task("pdf:a4", [html, pdf])
    reporter.get_status(done)
    reporter.execute_task(done)
    reporter.add_success(done)
    reporter.complete_run()
    summary = out.getvalue().split("built in ")[1].splitlines()
    assert len(summary) == 2 and summary[1].split() == [str(pdf), "2", "pages"]


# --- wired into dodo.py: a real doit run ------------------------------------------------


def test_doit_prints_the_summary_after_building(tmp_path):
    project = copy_project(tmp_path / "project")
    result = doit(project, "epub")  # the EPUB's page list comes from the A4 edition: built too
    summary = result.stdout.split("\nbuilt in ", 1)[1].splitlines()[1:]
    written = {line.split()[0]: line.split()[1:] for line in summary}
    assert written["build/putin-security/putin-security.epub"][-1] == "KiB"
    pages = written["build/putin-security/putin-security-a4.pdf"]
    assert pages[1] == "pages" and int(pages[0]) > 30
    again = doit(project, "epub")
    assert again.stdout.splitlines()[-1].startswith(
        f"nothing to do: {len(written)} artifacts up to date")


def test_a_failed_build_names_the_task_and_the_target_it_did_not_write(tmp_path):
    project = copy_project(tmp_path / "project")
    template = project / "templates" / "reader.md.j2"
    template.write_text(template.read_text(encoding="utf-8") + "\n{% if %}\n", encoding="utf-8")
    result = doit(project, check=False)
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    failed = [line for line in lines if line.startswith("FAILED ")]
    assert len(failed) == 1 and failed[0].startswith("FAILED assemble after ")
    assert lines[-1].split() == ["build/putin-security/reader.md", "not", "written"]
    assert not (project / "build" / "putin-security" / "reader.md").exists()
