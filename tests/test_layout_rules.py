"""The press rules taught to WeasyPrint's layout (coursepack/weasyprint_rules.py, issue 13).

Each rule is shown twice on crafted documents, in fresh processes: WeasyPrint alone breaks it,
and with the rule the same documents keep it. Then every edition of the example reader is laid
out once, with its notes on their pages and no hyphen ladder: the rules are what spared the
relayouts (three to seven per edition before them).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import weasyprint

from coursepack.assets import PDF_STYLESHEETS
from coursepack.citing import edition_name_css
from coursepack.config import load_reader
from coursepack.render_pdf import (
    edition_css,
    html_to_pdf,
    hyphen_ladders,
    misplaced_notes,
)
from coursepack.weasyprint_rules import MAX_HYPHENATED_RUN

from .conftest import REPO

WORDS = ("notwithstanding incomprehensibility internationalisation responsibilities "
         "counterrevolutionary institutionalisation disproportionately")

# Runs in a fresh process: lays out crafted documents, with or without the rules, and prints
# what it finds as JSON. Notes: a note called at the top of a page, then a paragraph of a
# growing length, so that the long paragraph after it begins on every line of the page in
# turn, the last but one among them (where it cannot leave two lines behind). Ladders: narrow
# paragraphs of long words, over several pages. Early breaks: a justified paragraph whose
# texts end in a space before a link, at every width from 200 to 420 px.
PROBE = r"""
import json, sys
from weasyprint import CSS, HTML
from coursepack import weasyprint_rules
from coursepack.render_pdf import misplaced_notes
from coursepack.weasyprint_rules import line_ends_in_hyphen
if sys.argv[1] == "on":
    weasyprint_rules.apply()
words = sys.argv[2].split()
css = CSS(string="@page { size: 110mm 150mm; margin: 12mm } body { font: 10pt/1.4 serif } "
          "p { margin: 0; orphans: 2; widows: 2; text-align: justify; hyphens: auto } "
          ".footnote { float: footnote; footnote-policy: line; font-size: 8pt } "
          ".footnote::footnote-call, .footnote::footnote-marker { content: none } "
          ".narrow { width: 32mm }")
misplaced = 0
note = ('<a href="#fn-1" id="fnref-1">1</a><span class="footnote" id="fn-1">'
        '<a href="#fnref-1">1.</a> ' + "A note of some length. " * 6 + "</span>")
for filler in range(20, 120, 2):
    body = (f"<p>Opening words{note} and more.</p>"
            f"<p>{'Text of the paragraph goes on. ' * filler}</p>"
            f"<p>{'The last paragraph is long. ' * 30}</p>")
    document = HTML(string=f"<html lang=en><body>{body}</body></html>").render(
        stylesheets=[css])
    misplaced += bool(misplaced_notes(document))
longest = 0
for start in range(len(words)):
    text = " ".join((words * 8)[start:start + 40])
    document = HTML(string=f"<html lang=en><body><p class=narrow>{text}</p></body></html>"
                    ).render(stylesheets=[css])
    run = 0
    for page in document.pages:
        for line in page._page_box.descendants():
            if type(line).__name__ == "LineBox":
                run = run + 1 if line_ends_in_hyphen(line) else 0
                longest = max(longest, run)
early = 0
text = ("Freedman criticises reductive versions of <em><a href='#r'>realism</a></em>, while the "
        "<em><a href='#s'>security dilemma</a></em> remains part of his own analysis. How far "
        "does the idea of a security dilemma help to explain <a href='#n'>NATO enlargement</a> "
        "and Russia’s response? What does it leave out?")
for width in range(200, 420):
    document = HTML(string=f"<html lang=en><body><p style='width: {width}px'>{text}</p>"
                    "</body></html>").render(stylesheets=[css])
    lines = [box for box in document.pages[0]._page_box.descendants()
             if type(box).__name__ == "LineBox"]
    for line in lines[:-1]:  # a line of a paragraph, not its last, that is mostly empty
        early += sum(box.width for box in line.descendants() if hasattr(box, "text")) < (
            0.6 * width)
from weasyprint.layout import page as pages_module
made = []
remake_page = pages_module.remake_page
pages_module.remake_page = lambda index, *args: made.append(index) or remake_page(index, *args)
document = HTML(string=(
    '<p>See <a href="#f">ahead</a>.</p><p style="break-before: page">A <span id="t">target'
    '</span>.</p><p style="break-before: page">See <a href="#t">back</a>.</p>'
    '<p style="break-before: page" id="f">The end.</p>')).render(stylesheets=[CSS(string=(
        'a::after { content: ", p. " target-counter(attr(href url), page) }'))])
references = ["".join(box.text for box in page._page_box.descendants()
                      if hasattr(box, "text")) for page in document.pages]
print(json.dumps({"misplaced": misplaced, "longest_run": longest, "early": early,
                  "makes": [made.count(i) for i in range(4)], "pages": references}))
"""


def probe(rules: str) -> dict:
    result = subprocess.run([sys.executable, "-c", PROBE, rules, WORDS], cwd=REPO,
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def without_rules() -> dict:
    return probe("off")


@pytest.fixture(scope="module")
def with_rules() -> dict:
    return probe("on")


PAGES = ["See ahead, p. 4.", "A target.", "See back, p. 2.", "The end."]


def test_weasyprint_alone_moves_notes_sets_ladders_and_ends_lines_early(without_rules):
    """What the rules are for: if WeasyPrint ever does all this by itself, they can go."""
    assert without_rules["misplaced"] > 0
    assert without_rules["longest_run"] > MAX_HYPHENATED_RUN
    assert without_rules["early"] > 0
    assert without_rules["makes"] == [3, 1, 3, 1]  # a page with a page reference: 3 times
    assert without_rules["pages"] == PAGES


def test_with_the_rules_notes_stay_no_ladder_is_set_and_no_line_ends_early(with_rules):
    assert with_rules["misplaced"] == 0
    assert with_rules["longest_run"] == MAX_HYPHENATED_RUN
    assert with_rules["early"] == 0


def test_with_the_repair_page_references_are_laid_out_twice_and_right(with_rules):
    assert with_rules["makes"] == [2, 1, 2, 1]
    assert with_rules["pages"] == PAGES


@pytest.fixture(scope="module")
def reader_and_out(built_project: Path):
    reader = load_reader(built_project / "reader.yaml")
    return reader, built_project / "build" / reader.id


def test_each_edition_is_laid_out_once(reader_and_out, monkeypatch):
    reader, out = reader_and_out
    layouts: list = []
    render = weasyprint.HTML.render

    def counted(self, *args, **kwargs):
        layouts.append(render(self, *args, **kwargs))
        return layouts[-1]

    monkeypatch.setattr(weasyprint.HTML, "render", counted)
    templates = reader.root / "templates"
    for edition in reader.editions:
        layouts.clear()
        html = (out / f"{reader.id}-{edition.id}.html").read_text(encoding="utf-8")
        html_to_pdf(html, reader.root, [templates / f for f in PDF_STYLESHEETS],
                    edition_css(edition, templates) + edition_name_css(edition.label))
        [document] = layouts
        assert misplaced_notes(document) == [], edition.id
        assert hyphen_ladders(document) == [], edition.id
