"""Hostile input is shown as text or refused; nothing outside the project is ever read."""

from __future__ import annotations

import zipfile
from dataclasses import replace
from pathlib import Path

import pypandoc
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from coursepack.annotate import plain
from coursepack.clean import clean_text
from coursepack.config import Rule, load_reader
from coursepack.errors import ReaderError
from coursepack.pandoc import MARKDOWN
from coursepack.render_pdf import html_to_pdf
from coursepack.textnorm import escape_markdown, normalise

from .conftest import REPO, copy_project, doit
from .pdftext import pages_text

HOSTILE = [
    '<script>alert("owned")</script>',
    "{{ 7 * 7 }} and {% include '/etc/passwd' %}",
    "![secret](file:///etc/passwd)",
    "[a link](http://169.254.169.254/latest/meta-data/)",
    '<img src="http://example.com/pixel.png">',
    "@ruth_deyermond, *stars*, # hash, [^1], $x$, ~sub~, ^sup^, <!-- comment -->",
]


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("hostile") / "project")
    raw = project / "sources" / "why-putin-fights.txt"
    text = raw.read_text(encoding="utf-8")
    anchor = "but, sadly, not at the negotiating table."
    raw.write_text(text.replace(anchor, anchor + "\n\n" + "\n\n".join(HOSTILE)), encoding="utf-8")
    doit(project)
    return project / "build" / "putin-security"


def test_hostile_text_appears_literally_in_the_epub(hostile_build):
    with zipfile.ZipFile(hostile_build / "putin-security.epub") as book:
        names = book.namelist()
        xhtml = "\n".join(book.read(n).decode() for n in names if n.endswith(".xhtml"))
    assert "<script" not in xhtml
    assert "<img" not in xhtml
    # Straight quotes are curled like any other text; the markup itself is shown, not run.
    assert "&lt;script&gt;alert(“owned”)&lt;/script&gt;" in xhtml
    assert "{{ 7 * 7 }} and {% include ‘/etc/passwd’ %}" in xhtml
    assert "![secret](file:///etc/passwd)" in xhtml
    assert 'href="http://169.254.169.254' not in xhtml
    assert "@ruth_deyermond, *stars*, # hash" in xhtml
    assert not any("passwd" in n or "pixel" in n for n in names)


def test_hostile_text_appears_literally_in_the_print_html(hostile_build):
    html = (hostile_build / "putin-security-a4.html").read_text(encoding="utf-8")
    assert "<script" not in html and "<img" not in html
    assert "![secret](file:///etc/passwd)" in html


def test_weasyprint_never_fetches_outside_the_project(tmp_path):
    refused: list[str] = []
    page = ('<html lang="en"><head><title>t</title>'
            '<link rel="stylesheet" href="http://example.com/evil.css"></head><body>'
            '<img src="file:///etc/passwd" alt="x"><img src="../../../../etc/hostname" alt="y">'
            '<p>text</p></body></html>')
    with pytest.raises(ReaderError, match="WeasyPrint"):
        html_to_pdf(page, tmp_path, [], "", refused)
    assert "file:///etc/passwd" in refused
    assert any(url.endswith("/etc/hostname") for url in refused)
    assert not any(url.startswith("http") and "example.com" in url for url in refused) or \
        "http://example.com/evil.css" in refused


# --- properties of the cleaner -------------------------------------------------------------

READING = load_reader(REPO / "reader.yaml").reading("greene")
DROP_MARKED = Rule(name="drop-marked", reason="test", action="drop", pattern=r"^DROP")
lines = st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60),
                 min_size=1, max_size=12)


@settings(deadline=None)  # timing is not the property; a loaded CI machine must not fail it
@given(st.text())
def test_normalise_is_idempotent(text):
    assert normalise(normalise(text)) == normalise(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines)
def test_the_cleaner_never_crashes_and_keeps_every_unmatched_line(raw_lines):
    reading = replace(READING, rules=(DROP_MARKED,))
    raw = "\n".join(raw_lines)
    try:
        result = clean_text(reading, raw)
    except ReaderError:
        return  # an empty text, or no line for the rule to match: reported, not a crash
    kept = [normalise(line) for line in raw.split("\n")
            if normalise(line) and not normalise(line).startswith("DROP")]
    assert [plain(b) for b in result.doc.blocks] == kept


@settings(max_examples=200, deadline=None)
@given(lines)
@example(["\xad"])  # only an invisible character: empty, reported as such, not cleaned to nothing
def test_cleaning_is_idempotent_on_its_own_plain_output(raw_lines):
    reading = replace(READING, rules=())
    try:
        once = clean_text(reading, "\n".join(raw_lines))
    except ReaderError:
        return
    again = clean_text(reading, "\n".join(plain(b) for b in once.doc.blocks))
    assert again.doc.blocks == once.doc.blocks


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1,
               max_size=80))
def test_escaped_text_reads_back_literally_through_pandoc(text):
    line = normalise(text)
    if not line:
        return
    out = pypandoc.convert_text(escape_markdown(line), "plain", format=MARKDOWN,
                                extra_args=["--wrap=none"], sandbox=True)
    assert " ".join(out.split()) == " ".join(line.split())


# --- issue 14, item 1: editorial Markdown cannot make pandoc read or fetch anything ---------

INTRO = "sources/editorial/introduction.md"


def run_doit(project, *args):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "doit", *args], cwd=project,
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A copy of the project cleaned and annotated once; each case copies it."""
    project = copy_project(tmp_path_factory.mktemp("pristine") / "project")
    result = run_doit(project, "annotate")
    assert result.returncode == 0, result.stdout + result.stderr
    return project


def hostile_copy(pristine, tmp_path):
    import shutil

    project = tmp_path / "project"
    shutil.copytree(pristine, project, symlinks=True)
    return project


@pytest.mark.parametrize("snippet", [
    "![passwd](file:///etc/passwd)",
    "![host](/etc/hostname)",
    "![remote](http://127.0.0.1:9/y.png)",
    "![up](../../../../../../../etc/passwd)",
    "![link](sources/editorial/leak.png)",  # a symbolic link to /etc/hostname
    "![not an image](sources/glossary.yaml)",
    '<img src="/etc/hostname" alt="x">',
    '<iframe src="file:///etc/passwd"></iframe>',
    "<script>alert(1)</script>",
    "<!-- a comment pandoc would pass through -->",
    "[a link](javascript:alert(1))",
    "<file:///etc/passwd>",
    '[click]{onclick="alert(1)"}',
    '[styled]{style="background: url(http://127.0.0.1:9/x)"}',
    "---\ncover-image: /etc/hostname\ncss: /etc/passwd\n---",
])
def test_editorial_markdown_cannot_reach_outside_the_project(pristine, tmp_path, snippet):
    """The EPUB and the PDF refuse the same input the same way: one line naming the file."""
    project = hostile_copy(pristine, tmp_path)
    (project / "sources" / "editorial" / "leak.png").symlink_to("/etc/hostname")
    intro = project / INTRO
    intro.write_text(intro.read_text(encoding="utf-8") + "\n\n" + snippet + "\n\nThe end.\n",
                     encoding="utf-8")
    result = run_doit(project, "epub", "pdf:a4")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and f"{INTRO}:" in errors[0], output
    out = project / "build" / "putin-security"
    assert not (out / "putin-security.epub").exists()
    assert not (out / "putin-security-a4.pdf").exists()


def test_an_image_inside_the_project_is_used_by_both_outputs(pristine, tmp_path):
    from PIL import Image

    project = hostile_copy(pristine, tmp_path)
    Image.new("RGB", (40, 20), (200, 30, 30)).save(project / "sources" / "editorial" / "map.png")
    intro = project / INTRO
    intro.write_text(intro.read_text(encoding="utf-8") +
                     "\n\n![A red map](sources/editorial/map.png)\n", encoding="utf-8")
    result = run_doit(project, "epub", "pdf:a4")
    assert result.returncode == 0, result.stdout + result.stderr
    out = project / "build" / "putin-security"
    with zipfile.ZipFile(out / "putin-security.epub") as book:
        media = [n for n in book.namelist() if "/media/" in n]
    assert len(media) == 2  # the cover and the map
    import pikepdf

    with pikepdf.open(out / "putin-security-a4.pdf") as pdf:
        images = {image.objgen for page in pdf.pages for image in page.get_images().values()}
    assert len(images) == 1  # one image, the map (WeasyPrint lists it on every page)


# --- issue 14, item 2: every YAML value lands escaped, in every output ----------------------

# Hostile values for the free-text fields: each must come out as text, literally.
TITLE = "Why </dc:title><script>alert(1)</script> Fights & <"
READING_TITLE = "</dc:title><script>x</script> & <"
LABEL = "A4 <b>bold</b> & <script>x</script>"
VENUE = "TL;DRussia <img src=file:///etc/passwd>"
DATE_DISPLAY = "July 2022 </p><script>d</script>"
SURNAME_ATTACK = 'Greene"onmouseover="alert(1)'
SHORT_TITLE = 'Why "Putin" } {#evil .x} fights\\'
PERMISSIONS = ("Rights text.\n\n---\ncss: /etc/passwd\ncover-image: /etc/hostname\n---\n\n"
               "<script>p</script> [x](javascript:alert(1))\n")
DESCRIPTION = "About.\n\n---\ncover-image: /etc/hostname\n---\n\n- a list? <b>no</b>\n"
TERM = "anarchy <i>(international)</i> & co"
DEFINITION_TAIL = ' <img src="file:///etc/passwd"> & <script>g</script>'
BIB_TITLE = "Evil <script>alert(1)</script> & <img src=x>"
NOTE_TAIL = " </aside><script>n</script> ]{onclick=x}"
REPOST_TITLE = "*Ukraine* [Today](javascript:alert(1)) <b>"
LITERALS = ["</dc:title><script>alert(1)</script> Fights & <", "</dc:title><script>x</script>",
            "<img src=file:///etc/passwd>",
            "</p><script>d</script>", "<script>p</script> [x](javascript:alert(1))",
            "anarchy <i>(international)</i> & co", "& <script>g</script>",
            "</aside><script>n</script> ]{onclick=x}", "*Ukraine* [Today](javascript:alert(1))"]


def _rewrite_yaml(path, change) -> None:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _make_hostile(project) -> None:
    import json

    def reader(d):
        d.update(title=TITLE, description=DESCRIPTION, rights="<!-- r --> © 2026 & co",
                 subtitle="<i>Regime</i> & guarantees", editors=["<b>Mary</b> Somerville & Co"],
                 keywords=["<script>k</script>", "a, b"])
        d["editions"][0]["label"] = LABEL

    def greene(d):
        d.update(title=READING_TITLE, short_title=SHORT_TITLE, venue=VENUE,
                 date_display=DATE_DISPLAY, authors=[f"Samuel A. {SURNAME_ATTACK}"],
                 permissions=PERMISSIONS)
        d["repost"]["title"] = REPOST_TITLE

    def glossary(d):
        term = next(t for t in d["terms"] if t["id"] == "anarchy")
        term["term"] = TERM
        term["definition"] += DEFINITION_TAIL

    def notes(d):
        d["notes"][0]["text"] += NOTE_TAIL

    _rewrite_yaml(project / "reader.yaml", reader)
    _rewrite_yaml(project / "sources" / "why-putin-fights.yaml", greene)
    _rewrite_yaml(project / "sources" / "glossary.yaml", glossary)
    _rewrite_yaml(project / "sources" / "editor-notes.yaml", notes)
    bib = project / "sources" / "bibliography.json"
    items = json.loads(bib.read_text(encoding="utf-8"))
    items[0]["title"] = BIB_TITLE
    items[0]["author"][0]["family"] = "Ber<b>man</b>"
    bib.write_text(json.dumps(items, ensure_ascii=False, indent=1), encoding="utf-8")


@pytest.fixture(scope="module")
def injected(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("injected") / "project")
    _make_hostile(project)
    result = run_doit(project, "epub", "pdf:a4")
    assert result.returncode == 0, result.stdout + result.stderr
    return project / "build" / "putin-security"


def _flat(text: str) -> str:
    import html as html_module
    import re

    if text.lstrip().startswith(("<?xml", "<!DOCTYPE", "<html")):
        # Inline tags join what they wrap (a name kept from hyphenation is a span); the
        # others separate.
        text = re.sub(r"</?(?:span|a|em|strong|i|b)\b[^>]*>", "", text)
        text = html_module.unescape(re.sub(r"<[^>]+>", " ", text))
    return " ".join(text.replace("\u00ad", "").split())


def test_injected_values_leave_the_epub_well_formed_and_inert(injected):
    from lxml import etree

    with zipfile.ZipFile(injected / "putin-security.epub") as book:
        members = {n: book.read(n) for n in book.namelist()}
    media = [n for n in members if "/media/" in n]
    assert media == ["EPUB/media/file0.png"], media  # the cover, nothing from the machine
    for name, data in members.items():
        if name.endswith((".xhtml", ".opf", ".ncx", ".xml")):
            root = etree.fromstring(data)  # well-formed XML, or this raises
            for element in root.iter():
                if not isinstance(element.tag, str):
                    continue
                local = etree.QName(element).localname
                assert local not in ("script", "iframe", "object", "embed"), (name, local)
                assert local != "img" or name.endswith("cover.xhtml"), name
                for key, value in element.attrib.items():
                    assert not etree.QName(key).localname.startswith("on"), (name, key)
                    assert not value.strip().lower().startswith(("javascript:", "file:")), name
    passwd = Path("/etc/passwd").read_bytes().split(b"\n")[0]  # "root:x:0:0:...", say
    assert not any(passwd in data for data in members.values())
    text = _flat("\n".join(d.decode("utf-8") for n, d in sorted(members.items())
                           if n.endswith(".xhtml")))
    missing = [s for s in LITERALS if _flat(normalise(s)) not in text]
    assert not missing, missing[:3]
    opf = members["EPUB/content.opf"].decode("utf-8")
    assert "<dc:title id=\"epub-title-1\">Why &lt;/dc:title&gt;&lt;script&gt;" in opf


def test_injected_values_pass_epubcheck(injected):
    from coursepack.check import epubcheck_messages

    assert epubcheck_messages(injected / "putin-security.epub") == []


def test_injected_values_are_text_in_the_print_html(injected):
    from lxml import html as lxml_html

    page = (injected / "putin-security-a4.html").read_text(encoding="utf-8")
    tree = lxml_html.fromstring(page.encode("utf-8"))
    assert not tree.xpath("//script | //img | //iframe | //svg | //*[@onmouseover]"
                          " | //*[@onclick] | //*[@onload]")
    assert not tree.xpath("//a[starts-with(@href, 'javascript:') or starts-with(@href, 'file:')]")
    text = _flat(page)
    missing = [s for s in [*LITERALS, "<b>bold</b> & <script>x</script> edition"]
               if _flat(normalise(s)) not in text]
    assert not missing, missing[:3]
    assert "css: /etc/passwd cover-image: /etc/hostname" in text  # shown, never used


def test_injected_values_are_text_in_the_pdf(injected):
    import pikepdf

    pdf_file = injected / "putin-security-a4.pdf"
    text = _flat("\n".join(pages_text(pdf_file)))
    for literal in ("</dc:title><script>x</script> &", "<b>bold</b> & <script>x</script>",
                    "<img src=file:///etc/passwd>", "</aside><script>n</script>"):
        assert _flat(normalise(literal)) in text, literal
    with pikepdf.open(pdf_file) as pdf:
        assert "/EmbeddedFiles" not in pdf.Root.get("/Names", {})
        assert "/OpenAction" not in pdf.Root and "/AA" not in pdf.Root
        assert not {i.objgen for p in pdf.pages for i in p.get_images().values()}
        assert str(pdf.docinfo["/Title"]) == normalise(TITLE)
        for page in pdf.pages:
            for annot in page.get("/Annots", []):
                action = annot.get("/A", {})
                assert action.get("/S") in (None, "/URI", "/GoTo"), action
                assert not str(action.get("/URI", "")).startswith(("javascript:", "file:"))


@pytest.mark.parametrize("title", [TITLE, "x" * 300, " ".join(["Long"] * 200), READING_TITLE])
def test_the_cover_wraps_any_title_inside_the_image(title):
    from PIL import Image, ImageDraw, ImageFont

    from coursepack.cover import MARGIN, SIZE, _wrap

    font = ImageFont.truetype(str(REPO / "fonts" / "CharisSIL-Bold.ttf"), 168)
    draw = ImageDraw.Draw(Image.new("RGB", SIZE))
    lines = _wrap(draw, title, font, SIZE[0] - 2 * MARGIN)
    assert all(draw.textlength(line, font=font) <= SIZE[0] - 2 * MARGIN for line in lines)
    assert "".join(lines).replace(" ", "") == title.replace(" ", "")  # not a letter lost


@pytest.mark.parametrize(("markdown", "says"), [
    ("<script>alert(1)</script>", "raw HTML"),
    ("![x](/etc/passwd)", "is not a plain path"),
    ("![x](https://127.0.0.1:9/x.png)", "is a URL"),
    ("[x]{onclick=alert(1)}", "onclick"),
    ("[x](file:///etc/passwd)", "link to 'file:///etc/passwd'"),
    ("---\ncover-image: /etc/hostname\n---\n\ntext", "cover-image"),
    ('<dt epub:type="glossterm" onclick="x">', "raw HTML"),
])
def test_the_gate_before_every_writer_refuses_what_could_read_or_run(tmp_path, markdown, says):
    """The last line of defence, on the assembled document's tree: what the checks of each
    input file missed still never reaches the EPUB or print writer."""
    import json as json_module

    from coursepack.safety import check_tree

    tree = json_module.loads(pypandoc.convert_text(markdown, "json", format=MARKDOWN,
                                                   sandbox=True))
    with pytest.raises(ReaderError, match=says):
        check_tree(tree, "build/reader.md", tmp_path)


def test_the_gate_lets_the_real_document_through(built_project):
    import json as json_module

    from coursepack.pandoc import tree_args
    from coursepack.safety import check_tree

    reader = load_reader(built_project / "reader.yaml")
    tree = pypandoc.convert_file(str(built_project / "build" / "putin-security" / "reader.md"),
                                 "json", format=MARKDOWN, extra_args=tree_args(reader),
                                 sandbox=True)
    check_tree(json_module.loads(tree), "reader.md", built_project)
