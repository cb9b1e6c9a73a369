"""Bad input gets one clear line naming the file and the fix, a non-zero exit, no traceback."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coursepack.config import load_reader
from coursepack.errors import ReaderError
from coursepack.fsutil import read_text, write_atomic

from .conftest import copy_project
from .pdftext import pages_text


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def build(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "doit", *args], cwd=project,
                          capture_output=True, text=True, timeout=600)


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in (result.stdout + result.stderr).splitlines()
            if line.startswith("error:")]


def assert_clean_failure(result, *fragments: str) -> str:
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    lines = error_lines(result)
    assert lines, output
    for fragment in fragments:
        assert fragment in output, f"{fragment!r} not in {output}"
    return output


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_malformed_yaml_names_file_line_and_column(project):
    edit(project / "sources" / "why-putin-fights.yaml", "id: greene", "id: [greene")
    result = build(project)
    assert_clean_failure(result, "sources/why-putin-fights.yaml:", "malformed YAML")
    assert not (project / "build").exists()


def test_unknown_key_suggests_the_right_one(project):
    edit(project / "reader.yaml", "subtitle:", "subtitel:")
    assert_clean_failure(build(project), "reader.yaml: subtitel: unknown key; did you mean "
                         "'subtitle'?")


def test_configuration_problems_are_reported_together(project):
    edit(project / "reader.yaml", "language: en-GB", "langauge: en-GB")
    edit(project / "sources" / "why-putin-fights.yaml", "action: title", "action: titel")
    edit(project / "sources" / "what-would-it-take-to-make-putin-feel-secure.yaml",
         "raw: what-would", "raw: missing-what-would")
    output = assert_clean_failure(build(project), "3 configuration errors",
                                  "did you mean 'language'?", "did you mean 'title'?",
                                  "does not exist")
    assert output.count("\n") < 12


def test_a_missing_raw_file_is_named(project):
    (project / "sources" / "why-putin-fights.txt").unlink()
    assert_clean_failure(build(project), "raw: 'why-putin-fights.txt' does not exist")


def test_a_source_that_is_not_utf8_names_the_byte_offset(project):
    raw = project / "sources" / "why-putin-fights.txt"
    data = raw.read_bytes()
    raw.write_bytes(data[:100] + b"\xe9" + data[100:])
    assert_clean_failure(build(project), "why-putin-fights.txt: not UTF-8",
                         "byte offset 100", "re-save the file as UTF-8")
    assert not (project / "build" / "putin-security" / "clean" / "greene.md").exists()


def test_bom_and_crlf_are_accepted(tmp_path):
    path = tmp_path / "text.txt"
    path.write_bytes(b"\xef\xbb\xbfOne\r\nTwo\r\n")
    assert read_text(path) == "One\nTwo\n"


def test_an_empty_source_is_refused(project):
    (project / "sources" / "why-putin-fights.txt").write_text("\n\n", encoding="utf-8")
    assert_clean_failure(build(project), "raw text is empty")


def test_a_rule_that_matches_nothing_fails_the_build(project):
    edit(project / "sources" / "why-putin-fights.yaml", "line: Why Putin fights",
         "line: Why Putin fought")
    assert_clean_failure(build(project), "rule 'title'", "matches nothing")


def test_a_rule_set_rule_that_no_longer_fits_fails_the_build(project):
    # The comments run until "Leave a Reply"; without it, the set's block has no end.
    edit(project / "sources" / "why-putin-fights.txt", "Leave a Reply", "Leave a Comment")
    assert_clean_failure(build(project), "rule 'reader-comments'", "'until' marker",
                         "matches nothing")


def test_a_template_error_names_template_and_line(project):
    edit(project / "templates" / "reader.md.j2", "{{ essay.byline }}", "{{ essay.bylnie }}")
    output = assert_clean_failure(build(project), "reader.md.j2:", "bylnie")
    assert "doit" not in error_lines(build(project))[0]
    assert "object' has no attribute 'bylnie'" in output


def test_python_tags_in_yaml_are_refused(project):
    edit(project / "reader.yaml", "title: Why Putin Fights",
         "title: !!python/object/apply:os.system ['echo pwned']")
    assert_clean_failure(build(project), "reader.yaml:", "no !!python tags")


def test_a_path_that_escapes_the_project_is_refused(project):
    edit(project / "sources" / "why-putin-fights.yaml", "raw: why-putin-fights.txt",
         "raw: ../../../etc/passwd")
    assert_clean_failure(build(project), "points outside the project")


def test_an_unwritable_output_directory_is_reported(project):
    (project / "build").write_text("a file where the build directory should be")
    assert_clean_failure(build(project), "cannot write here")


def test_write_atomic_leaves_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "out.pdf"
    target.write_bytes(b"%PDF old and complete")

    def interrupted(_fd):
        raise KeyboardInterrupt  # a kill arriving mid-write

    monkeypatch.setattr("coursepack.fsutil.os.fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, b"%PDF new but never finished")
    assert target.read_bytes() == b"%PDF old and complete"
    assert list(tmp_path.iterdir()) == [target]


def test_load_reader_collects_errors_as_one_exception(project):
    edit(project / "reader.yaml", "version:", "versoin:")
    with pytest.raises(ReaderError) as caught:
        load_reader(project / "reader.yaml")
    assert "versoin: unknown key; did you mean 'version'?" in str(caught.value)
    assert "version: missing" not in str(caught.value)  # the suggestion says it already


def processes_in(folder: Path) -> list[int]:
    """The processes whose working directory is ``folder`` (Linux's /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if entry.name.isdigit() and Path(os.readlink(entry / "cwd")) == folder:
                found.append(int(entry.name))
    return found


def test_a_killed_build_leaves_no_truncated_pdf_and_the_next_build_recovers(project):
    """Kill doit in the middle of typesetting; the target is absent or whole, never cut short,
    and no worker of the build lives on (one did, waiting with the build's lock, and the next
    build waited for ever)."""
    import signal
    import time

    assert build(project, "assemble").returncode == 0
    target = project / "build" / "putin-security" / "putin-security-a4.pdf"
    child = subprocess.Popen([sys.executable, "-m", "doit", "pdf:a4"], cwd=project,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(2.5)  # pandoc has run; WeasyPrint is laying out pages (in a doit worker)
    assert len(processes_in(project)) > 1, "no worker was running: nothing was tested"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    for _ in range(100):
        if not processes_in(project):
            break
        time.sleep(0.1)
    assert processes_in(project) == []
    assert not target.exists() or target.read_bytes().rstrip().endswith(b"%%EOF")
    result = build(project, "pdf:a4")
    assert result.returncode == 0, result.stdout + result.stderr
    assert target.read_bytes().rstrip().endswith(b"%%EOF")
    assert not list(target.parent.glob("*.part"))


def test_a_missing_font_file_is_named(project):
    (project / "fonts" / "CharisSIL-Bold.ttf").unlink()
    assert_clean_failure(build(project), "templates/print.css: font file "
                         "../fonts/CharisSIL-Bold.ttf not found")
    assert not (project / "build" / "putin-security" / "putin-security-a4.pdf").exists()


# --- issue 14: configuration is validated against closed forms ----------------------------


def test_two_readings_with_one_id_name_both_files(project):
    twin = project / "sources" / "twin.yaml"
    twin.write_text((project / "sources" / "why-putin-fights.yaml").read_text(encoding="utf-8"),
                    encoding="utf-8")
    edit(project / "reader.yaml", "  - sources/why-putin-fights.yaml\n",
         "  - sources/why-putin-fights.yaml\n  - sources/twin.yaml\n")
    output = assert_clean_failure(build(project), "'greene'", "sources/why-putin-fights.yaml",
                                  "sources/twin.yaml")
    assert len(error_lines(build(project))) == 1, output


@pytest.mark.parametrize(("old", "new", "says"), [
    ("page_size: A4, font_size_pt: 10.5}",
     'page_size: "A4; } body { color: white !important } @page {", font_size_pt: 10.5}',
     "editions[0].page_size: "),
    ("page_size: A4, font_size_pt: 10.5}", "page_size: A9x, font_size_pt: 10.5}",
     "editions[0].page_size: 'A9x' is not a page size"),
    ("page_size: A4, font_size_pt: 10.5}", "page_size: 1mm 9000mm, font_size_pt: 10.5}",
     "editions[0].page_size: "),
    ("page_size: A4, font_size_pt: 10.5}", "page_size: A4, font_size_pt: 0}",
     "editions[0].font_size_pt: 0 is out of range"),
    ("page_size: A4, font_size_pt: 10.5}", "page_size: A4, font_size_pt: -10}",
     "editions[0].font_size_pt: -10 is out of range"),
    ("{id: a4, label: A4,", "{id: 'A 4', label: A4,", "editions[0].id: "),
    ("{id: letter,", "{id: a4,", "editions[1].id: two editions have the id 'a4'"),
    ("label: US Letter,", 'label: "US\\u0007Letter",', "editions[1].label: "),
])
def test_editions_are_validated_with_the_configuration(project, old, new, says):
    edit(project / "reader.yaml", old, new)
    output = assert_clean_failure(build(project), f"reader.yaml: {says}")
    assert "WeasyPrint" not in output
    assert not (project / "build").exists()  # stopped before any stage ran


def test_named_and_explicit_page_sizes_are_accepted(project):
    edit(project / "reader.yaml", "page_size: letter", "page_size: 148mm 210mm")
    edit(project / "reader.yaml", "page_size: A4, font_size_pt: 16", "page_size: a5, "
         "font_size_pt: 16")
    reader = load_reader(project / "reader.yaml")
    assert [e.page_size for e in reader.editions] == ["A4", "148mm 210mm", "A5"]


# --- control characters: refused with file, line and character, never echoed raw ---------

RAW_CONTROLS = ("\x00", "\x1b", "\x7f", "\x9b")  # NUL, ESC, DEL, CSI


def assert_no_raw_controls(output: str) -> None:
    assert not any(c in output for c in (*RAW_CONTROLS, "\x07", "\u202e")), repr(output)


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x0c"])
def test_a_control_character_in_a_raw_text_is_refused_with_line_and_codepoint(project, char):
    raw = project / "sources" / "why-putin-fights.txt"
    edit(raw, "In a prominent and controversial essay",
         f"In a prominent{char}[31m and controversial essay")
    result = build(project)
    output = assert_clean_failure(result, "why-putin-fights.txt:5:15: ",
                                  f"U+{ord(char):04X}")
    assert_no_raw_controls(output)
    assert not (project / "build" / "putin-security" / "putin-security.epub").exists()


def test_a_control_character_escaped_in_yaml_is_refused_with_its_key(project):
    edit(project / "sources" / "why-putin-fights.yaml", "venue: TL;DRussia",
         'venue: "\\e[2J\\a TL;DRussia')
    edit(project / "sources" / "why-putin-fights.yaml", "newsletter)\n",
         'newsletter)"\n')
    output = assert_clean_failure(build(project), "why-putin-fights.yaml", "venue",
                                  "U+001B")
    assert_no_raw_controls(output)


def test_a_control_character_in_editorial_markdown_is_refused(project):
    intro = project / "sources" / "editorial" / "introduction.md"
    intro.write_text(intro.read_text(encoding="utf-8") + "\nA bell\x07 rings.\n",
                     encoding="utf-8")
    output = assert_clean_failure(build(project), "introduction.md:", "U+0007")
    assert_no_raw_controls(output)


def test_user_text_echoed_in_an_error_is_made_printable(project):
    edit(project / "sources" / "why-putin-fights.yaml", "raw: why-putin-fights.txt",
         'raw: "missing\\u202etxt.exe"')
    output = assert_clean_failure(build(project), "does not exist", "missing<U+202E>txt.exe")
    assert_no_raw_controls(output)


def test_reader_errors_never_carry_raw_control_characters():
    error = ReaderError("file\x1b[2J.txt", "rule 'a\x00b' matches nothing\x07")
    assert str(error) == "file<U+001B>[2J.txt: rule 'a<U+0000>b' matches nothing<U+0007>"


# --- write errors: a full disk is one line ------------------------------------------------


def test_a_full_disk_while_writing_is_one_error_and_leaves_the_old_file(tmp_path, monkeypatch):
    import errno
    import os

    target = tmp_path / "out.pdf"
    target.write_bytes(b"%PDF old and complete")

    def full(_fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("coursepack.fsutil.os.fsync", full)
    with pytest.raises(ReaderError, match=r"out\.pdf: cannot write \(No space left on device\)"):
        write_atomic(target, b"%PDF new")
    assert target.read_bytes() == b"%PDF old and complete"
    assert list(tmp_path.iterdir()) == [target]


def test_a_disk_error_inside_a_stage_is_one_line(capsys):
    import errno
    import os

    from coursepack.build import run_action

    def stage():
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    failed = run_action(stage)
    assert failed is not None
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "No space left on device" in err
    assert err.count("\n") == 1


def test_a_file_size_limit_mid_build_is_one_line_and_no_partial_output(project):
    """A real write failure (EFBIG from RLIMIT_FSIZE stands in for a full disk)."""
    import resource

    assert build(project, "tree").returncode == 0

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))

    result = subprocess.run([sys.executable, "-m", "doit", "pdf:a4"], cwd=project,
                            capture_output=True, text=True, timeout=600, preexec_fn=small_files)
    assert_clean_failure(result, "putin-security-a4.html: cannot write (File too large)")
    out = project / "build" / "putin-security"
    assert not (out / "putin-security-a4.html").exists()
    assert not list(out.glob(".*.part"))


def test_a_missing_font_file_is_named_by_the_epub_cover_too(project):
    (project / "fonts" / "CharisSIL-Italic.ttf").unlink()
    # The EPUB needs the A4 page map, so the A4 task meets the missing font first ...
    assert_clean_failure(build(project, "epub"), "CharisSIL-Italic.ttf not found")
    assert not (project / "build" / "putin-security" / "putin-security.epub").exists()
    # ... and the cover, drawn in the same fonts, names the file itself.
    from coursepack.cover import cover_png

    with pytest.raises(ReaderError) as caught:
        cover_png("Title", "Subtitle", ["Editor"], project / "fonts")
    assert str(caught.value).startswith("fonts/CharisSIL-Italic.ttf: font file not found")


# --- the citation style --------------------------------------------------------------------

DEPENDENT_CSL = """<?xml version="1.0" encoding="utf-8"?>
<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0">
  <info><title>Dependent</title><id>x</id>
    <link href="http://127.0.0.1:9/styles/apa" rel="independent-parent"/>
    <updated>2020-01-01T00:00:00+00:00</updated></info>
</style>
"""
XXE_CSL = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE style [<!ENTITY host SYSTEM "file:///etc/hostname">]>
<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0">
  <citation><layout><text value="&host;"/></layout></citation>
</style>
"""


@pytest.mark.parametrize(("content", "says"), [
    ("not xml {\n", "not well-formed XML"),
    ("<style/>\n", "not a CSL style"),
    (DEPENDENT_CSL, "dependent style"),
    (XXE_CSL, "DOCTYPE"),
])
@pytest.mark.parametrize("task", ["pdf:a4", "epub"])
def test_a_bad_citation_style_is_named(project, content, says, task):
    (project / "styles" / "chicago-author-date.csl").write_text(content, encoding="utf-8")
    output = assert_clean_failure(build(project, task), "styles/chicago-author-date.csl: ", says)
    assert "reader.md" not in output


# --- rule patterns: linear-time matching, one line for a pattern it cannot take ------------


def add_rule(project: Path, rule: str) -> None:
    """Append a rule to Greene's reading (its rules list ends the rules: block)."""
    edit(project / "sources" / "why-putin-fights.yaml", "\n# Citations:",
         f"\n{rule.rstrip()}\n\n# Citations:")


def clean_within(project: Path, seconds: int) -> subprocess.CompletedProcess[str]:
    """Run the clean stage; a matcher that backtracks without end fails the test by time."""
    try:
        return subprocess.run([sys.executable, "-m", "doit", "clean_text"], cwd=project,
                              capture_output=True, text=True, timeout=seconds)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the clean stage ran for more than {seconds} s: a runaway pattern")


RUNAWAY_RULE = """\
  - name: runaway
    reason: Drops a line of a's; a backtracking matcher takes 2^40 steps on the next line.
    action: drop
    pattern: '^(a+)+$'
"""


def test_a_catastrophic_pattern_runs_in_linear_time(project):
    raw = project / "sources" / "why-putin-fights.txt"
    edit(raw, "regime security\n", "regime security\naaaa\n" + "a" * 40 + "!\n")
    add_rule(project, RUNAWAY_RULE)
    result = clean_within(project, 90)
    assert result.returncode == 0, result.stdout + result.stderr
    audit = (project / "build" / "putin-security" / "clean" / "greene.audit.md").read_text(
        encoding="utf-8")
    assert "- runaway (drop): lines 4; 1 non-blank" in audit


def test_a_pattern_that_matches_nothing_in_the_essay_stops_quickly(project):
    add_rule(project, RUNAWAY_RULE.replace("'^(a+)+$'", "'(.*a){20}QQQ'"))
    result = clean_within(project, 90)
    assert_clean_failure(result, "rule 'runaway' matches nothing")


@pytest.mark.parametrize(("pattern", "says"), [
    ("'(?=Leave)Leave a Reply'", "look-ahead and look-behind"),
    (r"'(a)\1'", "back-references"),
    (r"'(\w+\s*){500}QQ'", "too costly"),
    ("'(unclosed'", "missing )"),
])
def test_a_pattern_the_matcher_cannot_take_is_one_line_naming_file_and_rule(
        project, pattern, says):
    add_rule(project, RUNAWAY_RULE.replace("'^(a+)+$'", pattern))
    result = clean_within(project, 90)
    output = assert_clean_failure(result, "sources/why-putin-fights.yaml: ", "rule 'runaway'",
                                  says)
    assert len(error_lines(result)) == 1, output


# --- builds at once, killed builds ---------------------------------------------------------


def start(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "doit", *args], cwd=project, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_builds_at_once_in_one_checkout_both_succeed(project):
    import zipfile

    assert build(project, "assemble").returncode == 0
    epub = project / "build" / "putin-security" / "putin-security.epub"
    for _trial in range(3):
        assert build(project, "forget", "epub").returncode == 0
        epub.unlink(missing_ok=True)
        children = [start(project, "epub"), start(project, "epub")]
        for child in children:
            stdout, stderr = child.communicate(timeout=600)
            assert child.returncode == 0, stdout + stderr
            assert "Traceback" not in stdout + stderr
        with zipfile.ZipFile(epub) as book:
            assert book.namelist()[0] == "mimetype" and book.testzip() is None
        assert not list(epub.parent.glob(".*.part"))


def test_a_killed_build_leaves_no_temporary_files_after_the_next_build(project, tmp_path):
    import os
    import signal
    import time

    machine_tmp = tmp_path / "tmp"  # the machine's temporary directory, for this test
    machine_tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(machine_tmp)}
    assert build(project, "assemble").returncode == 0
    out = project / "build" / "putin-security"
    (out / ".putin-security.epub.part").write_bytes(b"PK, half an EPUB")  # a killed pandoc's
    child = start(project, "pdf:a4", env=env)

    def font_folders() -> list[Path]:
        return [*machine_tmp.glob("weasyprint-*"), *(project / "build").rglob("weasyprint-*")]

    for _ in range(600):  # wait (at most a minute) until WeasyPrint has unpacked the fonts
        if font_folders() or child.poll() is not None:
            break
        time.sleep(0.1)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=60)
    assert font_folders(), "WeasyPrint never made its font folder: nothing was tested"
    result = subprocess.run([sys.executable, "-m", "doit", "pdf:a4"], cwd=project, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert font_folders() == []
    assert not list((project / "build").rglob("*.part"))


# --- a word too long for any line ----------------------------------------------------------

GREEK = "αβγδεζηθικλμνξοπρστυφχψω"


def greek_token(length: int) -> str:
    return "".join(GREEK[(i * 7) % len(GREEK)] for i in range(length))


def test_a_megabyte_word_without_spaces_stops_with_one_line(project):
    edit(project / "sources" / "why-putin-fights.txt", "regime security\n",
         "regime security\n" + greek_token(1 << 19) + "\n")  # 512 Ki characters, 1 MiB
    result = build(project, "clean_text")
    assert_clean_failure(result, "why-putin-fights.txt:4: ", "524288 characters without a "
                         "space")
    assert not (project / "build" / "putin-security" / "clean" / "greene.md").exists()


def test_a_long_word_breaks_anywhere_and_no_letter_is_lost(project):
    import re
    import zipfile

    token = greek_token(700)
    edit(project / "sources" / "why-putin-fights.txt", "regime security\n",
         "regime security\n" + token + "\n")
    result = build(project, "pdf:a4", "epub")
    assert result.returncode == 0, result.stdout + result.stderr
    pdf = project / "build" / "putin-security" / "putin-security-a4.pdf"
    text = "\n".join(pages_text(pdf))
    assert re.sub(f"[^{GREEK}]", "", text) == token  # every letter on the page, in order
    with zipfile.ZipFile(pdf.with_suffix(".epub").with_name("putin-security.epub")) as book:
        css = "".join(book.read(n).decode() for n in book.namelist() if n.endswith(".css"))
    assert re.search(r"body \{[^}]*overflow-wrap: anywhere", css)


def test_a_word_weasyprint_cannot_break_stops_the_pdf_rather_than_run_off_the_page(tmp_path):
    """WeasyPrint 70 cannot break a word glued to an inline box (its issue 1614): the build
    stops with a line instead of cutting the word off at the page edge."""
    from coursepack.render_pdf import html_to_pdf

    page = (f'<html lang="en"><head><title>t</title></head><body><p>Before '
            f'<em>it</em>{greek_token(700)} after.</p></body></html>')
    with pytest.raises(ReaderError, match="text runs off the page"):
        html_to_pdf(page, tmp_path, [], "body { overflow-wrap: anywhere }")


# --- values that land in links, commands, metadata and ids have closed forms ----------------

GREENE = "sources/why-putin-fights.yaml"


@pytest.mark.parametrize(("file", "old", "new", "says"), [
    (GREENE, "url: https://tldrussia.substack.com/p/why-putin-fights",
     "url: 'javascript:alert(1)'", "url: 'javascript:alert(1)' is not a web address"),
    (GREENE, "url: https://tldrussia.substack.com/p/why-putin-fights",
     "url: 'https://x.org/\"><script>x</script>'", "url: "),
    (GREENE, "key: charap2022talking}", "key: 'x}{onclick=alert(1)}'}",
     "citations[0].key: "),
    (GREENE, "key: charap2022talking}", "key: charap2022talking, locator: 'p. 3]] <b>'}",
     "citations[0].locator: "),
    ("reader.yaml", "language: en-GB", "language: 'en\"><script>x</script>'",
     "language: "),
    ("reader.yaml", 'date: "2026-11-22"', "date: soon", "date: 'soon' is not a date"),
    ("reader.yaml", 'version: "1.0.0"', "version: '1.0 <b>'", "version: "),
    ("reader.yaml", "rights:", "identifier: 'urn:x \"><script>'\nrights:", "identifier: "),
    ("sources/editor-notes.yaml", "id: greene-links", "id: 'a .x onclick=alert(1)'",
     "id 'a .x onclick=alert(1)' must be"),
    ("sources/bibliography.json", '"URL": "https://foreignpolicy.com',
     '"URL": "javascript:alert(1)", "x": "', "URL: 'javascript:alert(1)' is not a web address"),
])
def test_values_with_a_closed_form_are_refused_naming_file_and_key(project, file, old, new, says):
    edit(project / file, old, new)
    result = build(project, "assemble")
    output = assert_clean_failure(result, Path(file).name, says)
    assert len(error_lines(result)) == 1, output


# --- a fault no check anticipated: one line naming the file, never a traceback ------------


def test_an_unexpected_exception_in_a_stage_is_one_line_naming_the_file(capsys, monkeypatch):
    from coursepack.build import run_action
    from coursepack.errors import working_on

    def stage(reader_file: str, reading_id: str) -> None:
        with working_on("sources/why-putin-fights.yaml"):
            raise ValueError("bad\x00value\nand a second line")

    monkeypatch.delenv("COURSEPACK_DEBUG", raising=False)
    failed = run_action(stage, "reader.yaml", "greene")
    assert failed is not None
    err = capsys.readouterr().err
    assert err == ("error: sources/why-putin-fights.yaml: internal error while stage "
                   "'greene': ValueError: bad\\x00value and a second line; please report it "
                   "with this file (set COURSEPACK_DEBUG=1 for the traceback)\n")
    monkeypatch.setenv("COURSEPACK_DEBUG", "1")
    with pytest.raises(ValueError):
        run_action(stage, "reader.yaml", "greene")


def test_without_a_finer_file_the_fault_names_the_reader_file(capsys, monkeypatch):
    from coursepack.build import or_exit

    def load_reader(path: str) -> None:
        raise KeyError("x")

    monkeypatch.delenv("COURSEPACK_DEBUG", raising=False)
    with pytest.raises(SystemExit) as caught:
        or_exit(load_reader, "readers/r.yaml")
    assert caught.value.code == 2
    assert capsys.readouterr().err.startswith(
        "error: readers/r.yaml: internal error while reading the configuration: KeyError: 'x'")


_FAULTY_ANNOTATE = """
import sys
import coursepack.annotate

def annotate(*args):
    raise RuntimeError("no such paragraph")  # a bug met on this input

coursepack.annotate.annotate = annotate
from doit.doit_cmd import DoitMain
sys.exit(DoitMain().run(sys.argv[1:]))
"""


@pytest.mark.parametrize("debug", ["", "1"])
def test_a_fault_inside_a_build_is_one_line_without_a_traceback(project, debug):
    env = {**os.environ, "COURSEPACK_DEBUG": debug}
    result = subprocess.run([sys.executable, "-c", _FAULTY_ANNOTATE, "annotate:greene"],
                            cwd=project, capture_output=True, text=True, timeout=600, env=env)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    if debug:  # the developer's switch: the traceback, for a bug report
        assert "Traceback" in output and "no such paragraph" in output
        return
    assert "Traceback" not in output, output
    assert error_lines(result) == [
        "error: sources/why-putin-fights.yaml: internal error while annotating 'greene': "
        "RuntimeError: no such paragraph; please report it with this file (set "
        "COURSEPACK_DEBUG=1 for the traceback)"]
