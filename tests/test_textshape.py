"""Text shapes and source conventions: joining hard-wrapped lines, declared markup, notes.

The property tests check that joining and markup never lose, add or alter a word; the pandoc
test checks that every declared italic span really becomes emphasis.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pypandoc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coursepack.annotate import plain_text
from coursepack.errors import ReaderError
from coursepack.pandoc import MARKDOWN
from coursepack.textshape import Markup, inline_markdown, join_wrapped, split_units

from .test_vocabulary import clean

ITALIC = Markup(italic="_")


# --- shapes ----------------------------------------------------------------------------------


def test_lines_shape_keeps_one_unit_per_line():
    units = split_units(["One", "", "  Two  ", "Three"], "lines")
    assert [(u.first, u.text) for u in units] == [(1, "One"), (3, "Two"), (4, "Three")]


def test_paragraphs_shape_joins_the_lines_between_blank_lines():
    units = split_units(["One line", "and the next.", "   ", "Second", "paragraph."], "paragraphs")
    assert [(u.first, u.last, u.text) for u in units] == [
        (1, 2, "One line and the next."), (4, 5, "Second paragraph.")]


@pytest.mark.parametrize(("lines", "hyphenated", "joined"), [
    (["a well-", "known fact"], False, "a well-known fact"),  # a real hyphen at a line end
    (["in the following terms--", "the clauses"], False, "in the following terms--the clauses"),
    (["a spaced -", "dash"], False, "a spaced - dash"),
    (["the coun-", "try"], True, "the country"),  # the source breaks words at line ends
    (["the Anglo-", "Saxon"], True, "the Anglo-Saxon"),  # a capital: the hyphen is real
    (["plain", "lines"], True, "plain lines"),
])
def test_join_wrapped(lines, hyphenated, joined):
    assert join_wrapped(lines, hyphenated) == joined


# --- markup ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "markup", "markdown"), [
    ("the _ruler_ in § 13", ITALIC, "the *ruler* in § 13"),
    ('_"Each of us puts his person."_', ITALIC, "*“Each of us puts his person.”*"),
    ('rendered, "_esprit de corps_ and"', ITALIC, "rendered, “*esprit de corps* and”"),
    ("_i.e._ that", ITALIC, "*i.e.* that"),
    ("snake_case_name and __init__", ITALIC, "snake\\_case\\_name and \\_\\_init\\_\\_"),
    ("an _unclosed span", ITALIC, "an \\_unclosed span"),
    ("=Bold= and _italic_", Markup(italic="_", bold="="), "**Bold** and *italic*"),
    ("a = b and c=d", Markup(bold="="), "a = b and c=d"),
    ("will--at the most", Markup(em_dash="--"), "will—at the most"),
    ("the _ruler_", Markup(), "the \\_ruler\\_"),  # nothing declared: literal
])
def test_declared_markup_and_nothing_else(text, markup, markdown):
    assert inline_markdown(text, markup) == markdown


def test_notes_replace_their_anchors_in_order():
    text = "citizens,[1] but soldiers [2] and more"
    assert inline_markdown(text, Markup(), ["^[one]", "^[two]"]) == \
        "citizens,^[one] but soldiers^[two] and more"


# --- notes, as the clean stage pairs them ------------------------------------------------------

NOTES = """\
CHAPTER I

Text with a note.[1] And another.[2]

[1] The first note, after the paragraph.

More text in the chapter.

[2] The second note, at the end of the chapter.

CHAPTER II

Its own numbering starts again.[1]

[1] A note with _italics_.
"""
NOTE_YAML = """\
    shape: paragraphs
    markup: {italic: _}
    notes: {label: Author’s note}
    rules:
      - {name: chapters, reason: r, action: heading, pattern: '^CHAPTER', count: 2}
    """


def test_notes_become_labelled_footnotes_wherever_the_source_puts_them(tmp_path):
    result = clean(tmp_path, NOTES, NOTE_YAML)
    label = "[[Author’s note:]{.author-note-label}"
    assert result.doc.blocks[1] == (
        f"Text with a note.^[{label} The first note, after the paragraph.]"
        "{#sample-note-1 .author-note}] And another.^["
        f"{label} The second note, at the end of the chapter.]{{#sample-note-2 .author-note}}]")
    assert result.doc.blocks[-1] == (
        f"Its own numbering starts again.^[{label} A note with *italics*.]"
        "{#sample-note-3 .author-note}]")
    audit = "\n".join(result.audit)
    assert "## Notes: 3 labelled “Author’s note”, anchor → note" in audit
    assert "- [2] line 3 → note line 9: The second note, at the end of the chapter." in audit


def test_an_anchor_without_its_note_is_named(tmp_path):
    raw = NOTES.replace("[2] The second note, at the end of the chapter.\n", "")
    with pytest.raises(ReaderError, match=r"anchor \[2\] \(line 3\) has no note \[2\] after it"):
        clean(tmp_path, raw, NOTE_YAML)


def test_a_note_without_its_anchor_is_named(tmp_path):
    raw = NOTES.replace("And another.[2]", "And another.")
    with pytest.raises(ReaderError, match=r"note \[2\] \(line 9: “The second note, at the end "
                                          r"of the chap…”\) has no anchor \[2\] before it"):
        clean(tmp_path, raw, NOTE_YAML)


def test_two_anchors_cannot_share_one_note(tmp_path):
    raw = NOTES.replace("More text in the chapter.", "More text.[2]")
    with pytest.raises(ReaderError, match=r"anchors \[2\] at line 3, line 7 share one note"):
        clean(tmp_path, raw, NOTE_YAML)


DP_NOTES = """\
A sentence with a note.[1]

[Footnote 1: The note, in the form Distributed Proofreaders use.

It runs on over a second paragraph.]

The text goes on.
"""


def test_footnote_form_notes_may_run_over_paragraphs(tmp_path):
    result = clean(tmp_path, DP_NOTES, """\
        shape: paragraphs
        notes: {label: Author’s note, form: "[Footnote n: text]"}
        rules: []
        """)
    assert result.doc.blocks == [
        "A sentence with a note.^[[[Author’s note:]{.author-note-label} The note, in the form "
        "Distributed Proofreaders use.\\\nIt runs on over a second paragraph.]"
        "{#sample-note-1 .author-note}]", "The text goes on."]
    assert "- [1] line 1 → note lines 3–5: The note, in the form" in "\n".join(result.audit)


def test_a_footnote_form_note_without_its_closing_bracket_is_named(tmp_path):
    with pytest.raises(ReaderError, match=r"note \[1\] \(lines 3–7\) has no closing bracket"):
        clean(tmp_path, DP_NOTES.replace("paragraph.]", "paragraph."), """\
            shape: paragraphs
            notes: {label: Note, form: "[Footnote n: text]"}
            rules: []
            """)


def test_markup_in_headings(tmp_path):
    result = clean(tmp_path, "On _The Prince_ and =war=\n\nText.\n", """\
        shape: paragraphs
        markup: {italic: _, bold: "="}
        rules:
          - {name: h, reason: r, action: heading, starts_with: "On "}
        """)
    assert result.doc.blocks[0] == "## On *The Prince* and **war**"


# --- properties: joining and markup never lose or alter a word -------------------------------

WORD = st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzÆæŭé’'\"-.,;:!?()"),
               min_size=1, max_size=9).filter(lambda w: any(c.isalpha() for c in w))
PARAGRAPH = st.lists(st.tuples(WORD, st.booleans()), min_size=1, max_size=25)


def words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text)


@settings(max_examples=300, deadline=None)
@given(st.lists(PARAGRAPH, min_size=1, max_size=5), st.integers(min_value=8, max_value=40))
def test_hard_wrap_and_italics_keep_every_word(paragraphs, width):
    source, expected = [], []
    for paragraph in paragraphs:
        text = " ".join(f"_{w}_" if italic and w[0].isalpha() and w[-1].isalpha() else w
                        for w, italic in paragraph)
        source.append("\n".join(textwrap.wrap(text, width, break_on_hyphens=False,
                                              break_long_words=False)))
        expected.append(words(" ".join(w for w, _ in paragraph)))
    units = split_units("\n\n".join(source).split("\n"), "paragraphs")
    assert len(units) == len(paragraphs)
    for unit, want in zip(units, expected, strict=True):
        assert words(plain_text(inline_markdown(unit.text, ITALIC))) == want


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=200))
def test_markup_mapping_keeps_every_word_of_any_text(text):
    line = " ".join(text.split())
    markdown = inline_markdown(line, Markup(italic="_", bold="=", em_dash="--"))
    assert words(plain_text(markdown)) == words(line.replace("--", " "))


@settings(max_examples=25, deadline=None)
@given(st.lists(PARAGRAPH, min_size=1, max_size=4))
def test_every_italic_span_becomes_emphasis_in_pandoc(paragraphs):
    blocks, spans = [], 0
    for paragraph in paragraphs:
        parts = []
        for w, italic in paragraph:
            if italic and w[0].isalnum() and w[-1].isalnum():
                parts.append(f"_{w}_")
                spans += 1
            else:
                parts.append(w.replace("_", ""))
        blocks.append(inline_markdown(" ".join(parts), ITALIC))
    html = pypandoc.convert_text("\n\n".join(blocks), "html", format=MARKDOWN, sandbox=True)
    assert html.count("<em>") == spans
    assert "<strong>" not in html and "<li>" not in html


def test_a_real_book_keeps_its_words(tmp_path):
    """Rousseau's Book I, as cleaned: the words of the kept paragraphs, in order."""
    root = Path(__file__).resolve().parent.parent
    raw = (root / "sources" / "war-and-the-state" / "social-contract-pg46333.txt").read_text(
        encoding="utf-8")
    lines = raw.split("\n")
    start = lines.index("CHAPTER I", 1600)
    end = lines.index("CHAPTER II", start)
    body = " ".join(lines[start + 3:end])
    unit = split_units(lines[start + 3:end], "paragraphs")
    rendered = " ".join(plain_text(inline_markdown(u.text, Markup(italic="_", em_dash="--")))
                        for u in unit)
    assert words(rendered) == words(body.replace("--", " "))
