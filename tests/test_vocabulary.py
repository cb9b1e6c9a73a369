"""The rule vocabulary, rule by rule: what each kind matches, what it refuses, what the audit says.

Each test writes a small raw text and a reading's YAML into a temporary project, loads it
through the real configuration code and cleans it; nothing here depends on the shipped readers.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from coursepack.assemble import essay_context
from coursepack.clean import clean_text
from coursepack.config import load_reading
from coursepack.errors import ReaderError
from coursepack.fsutil import read_text

HEAD = """\
id: sample
raw: sample.txt
title: A sample
authors: [A. Author]
permissions: Test only.
"""


def reading(tmp_path: Path, raw: str, yaml_text: str):
    """Load a reading from YAML (appended to a minimal head) and its raw text."""
    (tmp_path / "sample.txt").write_text(textwrap.dedent(raw), encoding="utf-8")
    path = tmp_path / "sample.yaml"
    path.write_text(HEAD + textwrap.dedent(yaml_text), encoding="utf-8")
    loaded, errors = load_reading(path, tmp_path)
    if errors:
        raise ReaderError(errors[0].where, "; ".join(e.message for e in errors))
    return loaded


def clean(tmp_path: Path, raw: str, yaml_text: str):
    r = reading(tmp_path, raw, yaml_text)
    return clean_text(r, read_text(r.raw_path))


def config_errors(tmp_path: Path, yaml_text: str, raw: str = "One line.\n") -> str:
    with pytest.raises(ReaderError) as info:
        reading(tmp_path, raw, yaml_text)
    return str(info.value)


BOOK = """\
Front matter that is not part of the reading.

CHAPTER I

THE FIRST

Text of the first chapter.

CHAPTER II

THE SECOND

Text of the second chapter.

CHAPTER III

THE THIRD

Text of the third.
"""


# --- keep ----------------------------------------------------------------------------------


def test_keep_excerpts_a_span_and_drops_the_rest_with_an_audit_line(tmp_path):
    result = clean(tmp_path, BOOK, """\
        shape: paragraphs
        rules:
          - name: chapter-two
            reason: Only chapter II is read.
            action: keep
            from: {line: CHAPTER II}
            until: {line: CHAPTER III}
        """)
    assert result.doc.blocks == ["CHAPTER II", "THE SECOND", "Text of the second chapter."]
    audit = "\n".join(result.audit)
    assert "- chapter-two (keep): lines 9–13; 3 paragraphs, 3 non-blank — Only chapter II" \
        in audit
    assert "- outside-kept-spans (drop): lines 1–8, 14–20; 7 paragraphs" in audit


def test_several_keep_spans_act_together(tmp_path):
    result = clean(tmp_path, BOOK, """\
        shape: paragraphs
        rules:
          - {name: one, reason: r, action: keep, from: {line: CHAPTER I}, to: Text of the first}
          - {name: three, reason: r, action: keep, starts_with: Text of the third}
        """)
    assert result.doc.blocks == ["CHAPTER I", "THE FIRST", "Text of the first chapter.",
                                 "Text of the third."]


def test_rules_after_keep_see_only_the_kept_text(tmp_path):
    # "CHAPTER" starts three paragraphs, but only one is kept: the heading rule finds one.
    result = clean(tmp_path, BOOK, """\
        shape: paragraphs
        rules:
          - {name: two, reason: r, action: keep, from: {line: CHAPTER II},
             until: {line: CHAPTER III}}
          - {name: heading, reason: r, action: heading, starts_with: CHAPTER}
        """)
    assert result.doc.blocks[0] == "## CHAPTER II"


def test_keep_refuses_a_marker_that_is_not_there(tmp_path):
    with pytest.raises(ReaderError, match=r"rule 'x': its 'until' marker .* matches nothing"):
        clean(tmp_path, BOOK, """\
            shape: paragraphs
            rules:
              - {name: x, reason: r, action: keep, from: {line: CHAPTER II}, until: CHAPTER IV}
            """)


def test_keep_that_keeps_nothing_is_an_error(tmp_path):
    with pytest.raises(ReaderError, match="the keep rules keep nothing"):
        clean(tmp_path, BOOK, """\
            shape: paragraphs
            rules:
              - {name: x, reason: r, action: keep, line: CHAPTER IX, optional: true}
            """)


# --- blocks, markers, occurrence ------------------------------------------------------------


def test_from_alone_runs_to_the_end_and_to_alone_from_the_start(tmp_path):
    result = clean(tmp_path, BOOK, """\
        shape: paragraphs
        rules:
          - {name: head, reason: r, action: drop, to: {line: THE FIRST}}
          - {name: tail, reason: r, action: drop, from: {line: CHAPTER III}}
        """)
    assert result.doc.blocks[0] == "Text of the first chapter."
    assert result.doc.blocks[-1] == "Text of the second chapter."
    audit = "\n".join(result.audit)
    assert "- head (drop): lines 1–5;" in audit
    assert "- tail (drop): lines 15–20;" in audit


def test_every_action_works_on_a_block(tmp_path):
    raw = "Intro.\nQ1\nQ2\nC1\nC2\nN1\nN2\nEnd.\n"
    result = clean(tmp_path, raw, """\
        rules:
          - {name: q, reason: r, action: blockquote, from: Q1, to: Q2}
          - {name: c, reason: r, action: commentary, from: C1, to: C2}
          - {name: n, reason: r, action: source_note, from: N1, to: N2}
        """)
    assert result.doc.blocks == ["Intro.", "> Q1", "> Q2",
                                 '::: {.commentary role="note"}\nC1\n:::',
                                 '::: {.commentary role="note"}\nC2\n:::', "End."]
    assert result.doc.metadata["source_note"] == ["N1", "N2"]


def test_a_heading_block_is_joined_into_one_heading(tmp_path):
    result = clean(tmp_path, "Security Guarantees\nand Alliances\nText.\n", """\
        rules:
          - {name: h, reason: r, action: heading, from: Security, to: and Alliances}
        """)
    assert result.doc.blocks == ["## Security Guarantees and Alliances", "Text."]


def test_occurrence_takes_the_nth_of_identical_lines(tmp_path):
    raw = "Same\nFirst body.\nSame\nSecond body.\nSame\n"
    result = clean(tmp_path, raw, """\
        rules:
          - {name: t, reason: r, action: title, line: Same, occurrence: 2}
          - {name: rest, reason: r, action: drop, line: Same, count: 2}
        """)
    assert result.doc.metadata["title"] == "Same"
    assert result.doc.blocks == ["First body.", "Second body."]
    assert "- t (title): lines 3; 1 non-blank" in "\n".join(result.audit)


def test_occurrence_beyond_the_matches_is_an_error(tmp_path):
    with pytest.raises(ReaderError, match=r"matches 1 line.*no occurrence 2"):
        clean(tmp_path, "Same\nBody.\n", """\
            rules:
              - {name: t, reason: r, action: drop, line: Same, occurrence: 2}
            """)


def test_a_marker_occurrence_picks_one_of_several(tmp_path):
    raw = "BOOK I\nBOOK II\nContents end.\nBOOK I\nText.\nBOOK II\nMore.\n"
    result = clean(tmp_path, raw, """\
        rules:
          - name: book-one
            reason: r
            action: keep
            from: {line: BOOK I, occurrence: 2}
            until: {line: BOOK II, occurrence: 2}
        """)
    assert result.doc.blocks == ["BOOK I", "Text."]


def test_a_marker_that_matches_twice_asks_for_an_occurrence(tmp_path):
    with pytest.raises(ReaderError, match=r"'from' marker matches 2 lines.*give its occurrence"):
        clean(tmp_path, "BOOK I\nx\nBOOK I\ny\n", """\
            rules:
              - {name: b, reason: r, action: drop, from: BOOK I, to: y}
            """)


# --- join, replace ---------------------------------------------------------------------------


def test_join_makes_a_two_line_heading(tmp_path):
    result = clean(tmp_path, "CHAPTER I\n\nTHE TITLE\n\nText.\n", """\
        rules:
          - {name: h, reason: r, action: heading, line: CHAPTER I, join: 2,
             join_with: line_break}
        """)
    assert result.doc.blocks == [
        "## [CHAPTER I]{.heading-line} [THE TITLE]{.heading-line}", "Text."]


def test_join_past_the_end_is_an_error(tmp_path):
    with pytest.raises(ReaderError, match=r"join: 3 needs 2 more line\(s\) after line 2"):
        clean(tmp_path, "Text.\nLast\n", """\
            rules:
              - {name: j, reason: r, action: paragraph, line: Last, join: 3}
            """)


DROP_CAP = "Title\n\nH\n\nong Kong is burning, said the first line.\n\nNext.\n"
DROP_CAP_RULE = """\
    rules:
      - name: drop-cap
        reason: The drop cap H was pasted on a line of its own.
        action: paragraph
        line: H
        join: 2
        replace: {find: H ong Kong, with: Hong Kong}
    """


def test_replace_corrects_a_split_drop_cap_and_records_it(tmp_path):
    result = clean(tmp_path, DROP_CAP, DROP_CAP_RULE)
    assert result.doc.blocks == ["Title", "Hong Kong is burning, said the first line.", "Next."]
    assert result.doc.metadata["corrections"] == [{"find": "H ong Kong", "with": "Hong Kong"}]
    audit = "\n".join(result.audit)
    assert "- drop-cap, lines 3–5: “H ong Kong” → “Hong Kong”" in audit
    assert "    before: H ong Kong is burning, said the first line." in audit
    assert "    after:  Hong Kong is burning, said the first line." in audit


def test_a_correction_is_counted_in_the_source_note(tmp_path):
    r = reading(tmp_path, DROP_CAP, DROP_CAP_RULE)
    doc = clean_text(r, read_text(r.raw_path)).doc
    note = essay_context(r, doc).source_note
    assert "One editorial correction to the text as copied: “H ong Kong” to “Hong Kong”." in note


def test_replace_refuses_text_that_is_not_there_once(tmp_path):
    with pytest.raises(ReaderError, match="correction's find “Hong” does not occur in line 1"):
        clean(tmp_path, "H ong Kong\n", """\
            rules:
              - {name: c, reason: r, action: paragraph, line: H ong Kong,
                 replace: {find: Hong, with: Hong}}
            """.replace("with: Hong}", "with: HONG}"))


# --- metadata is taken once -----------------------------------------------------------------


def test_a_title_rule_with_a_count_above_one_is_refused(tmp_path):
    message = config_errors(tmp_path, """\
        rules:
          - {name: t, reason: r, action: title, pattern: '^Body', count: 3}
        """)
    assert "rules[0].count: a reading has one title" in message


def test_a_title_pattern_matching_body_lines_is_an_error(tmp_path):
    with pytest.raises(ReaderError, match=r"would take 3 lines .* as the title"):
        clean(tmp_path, "Body one\nBody two\nBody three\n", """\
            rules:
              - {name: t, reason: r, action: title, pattern: '^Body'}
            """)


def test_two_title_rules_are_refused(tmp_path):
    message = config_errors(tmp_path, """\
        rules:
          - {name: a, reason: r, action: title, line: One}
          - {name: b, reason: r, action: title, line: Two}
        """)
    assert "rules 'a', 'b' all take the title" in message


# --- commentary, section breaks, optional ----------------------------------------------------


def test_commentary_and_section_breaks(tmp_path):
    raw = "1. The text.\n\n[A remark on it.]\n\n*       *       *       *       *\n\nMore.\n"
    result = clean(tmp_path, raw, """\
        shape: paragraphs
        rules:
          - {name: c, reason: r, action: commentary, pattern: '^\\[.*\\]$'}
          - {name: b, reason: r, action: section_break, pattern: '^(\\* ?){3,}$'}
        """)
    assert result.doc.blocks == ["1\\. The text.",
                                 '::: {.commentary role="note"}\n\\[A remark on it.\\]\n:::',
                                 "* * *", "More."]


def test_an_optional_rule_may_match_nothing_and_says_so(tmp_path):
    result = clean(tmp_path, "Text.\n", """\
        rules:
          - {name: o, reason: Not always there., action: drop, line: Absent, optional: true}
        """)
    assert "- o (drop): matched nothing (optional) — Not always there." in result.audit


def test_an_optional_block_still_fails_when_its_end_is_missing(tmp_path):
    with pytest.raises(ReaderError, match=r"'to' marker .* matches nothing"):
        clean(tmp_path, "Start\nText.\n", """\
            rules:
              - {name: o, reason: r, action: drop, from: Start, to: Stop, optional: true}
            """)


def test_unit_line_drops_page_furniture_inside_a_paragraph(tmp_path):
    raw = ("A paragraph that runs over\n12\nTHE BOOK'S RUNNING HEAD\na page break.\n\n"
           "Next paragraph.\n")
    result = clean(tmp_path, raw, """\
        shape: paragraphs
        rules:
          - {name: folios, reason: Page numbers., action: drop, pattern: '^\\d+$',
             unit: line}
          - {name: running-head, reason: The running head., action: drop, unit: line,
             line: "THE BOOK'S RUNNING HEAD"}
        """)
    assert result.doc.blocks == ["A paragraph that runs over a page break.", "Next paragraph."]
    audit = "\n".join(result.audit)
    assert "- folios (drop): lines 2; 1 non-blank — Page numbers." in audit
    assert "- running-head (drop): lines 3; 1 non-blank — The running head." in audit


# --- validation of the new keys --------------------------------------------------------------


@pytest.mark.parametrize(("rule", "message"), [
    ("{name: a, reason: r, action: drop, line: x, join: 2}", "joining means nothing to 'drop'"),
    ("{name: a, reason: r, action: heading, from: x, to: y, join: 2}", "a block is joined by"),
    ("{name: a, reason: r, action: heading, line: x, join: 1}", "N is 2 or more"),
    ("{name: a, reason: r, action: heading, line: x, join_with: tab}", "use one of space"),
    ("{name: a, reason: r, action: drop, line: x, count: 2, occurrence: 1}", "not both"),
    ("{name: a, reason: r, action: drop, from: x, to: y, until: z}", "not both"),
    ("{name: a, reason: r, action: drop, from: x, occurrence: 2}", "inside its marker"),
    ("{name: a, reason: r, action: drop, from: {line: x, pattern: y}}", "exactly one of line"),
    ("{name: a, reason: r, action: paragraph, line: x, replace: {find: y}}", "with: missing"),
    ("{name: a, reason: r, action: drop, line: x, replace: {find: y, with: z}}",
     "would never be seen"),
    ("{name: a, reason: r, action: keep, from: {pattern: '('}}", "invalid regular expression"),
    ("{name: a, reason: r, action: heading, line: x, unit: line}", "use it with action: drop"),
    ("{name: a, reason: r, action: drop, line: x, unit: page}", "the only unit"),
    ("{name: a, reason: r, action: drop, line: x, unit: line}", "unit: line is for a hard"),
])
def test_new_rule_keys_are_validated(tmp_path, rule, message):
    assert message in config_errors(tmp_path, f"rules:\n  - {rule}\n")


@pytest.mark.parametrize(("yaml_text", "message"), [
    ("shape: wrapped\nrules: []\n", "unknown shape 'wrapped'"),
    ("hyphenated: true\nrules: []\n", "only a hard-wrapped text"),
    ("markup: {italic: '#'}\nrules: []\n", "is not a delimiter"),
    ("markup: {italic: _, bold: _}\nrules: []\n", "different delimiters"),
    ("markup: {em_dash: '-'}\nrules: []\n", "use one of --"),
    ("notes: {}\nrules: []\n", "notes.label: missing"),
    ("notes: {label: N, form: '(n)'}\nrules: []\n", "notes.form: use one of '[n] text'"),
    ("use: [no-such-set]\nrules: []\n", "no rule set 'no-such-set'; the shipped sets are"),
    ("use: [{set: gutenberg, except: [nope]}]\nrules: []\n", "has no rule 'nope'"),
])
def test_text_shape_keys_are_validated(tmp_path, yaml_text, message):
    assert message in config_errors(tmp_path, yaml_text)


# --- rule sets -------------------------------------------------------------------------------

GUTENBERG_NEW = """\
\ufeffThe Project Gutenberg eBook of A Book

This ebook is for the use of anyone anywhere in the United States.

Title: A Book

*** START OF THE PROJECT GUTENBERG EBOOK A BOOK ***

Produced by Volunteers.

[Illustration: A frontispiece]

The book's first paragraph,
wrapped over two lines.

*       *       *       *       *

The second paragraph.

*** END OF THE PROJECT GUTENBERG EBOOK A BOOK ***

Section 1. General Terms of Use of the Project Gutenberg License.
"""
GUTENBERG_OLD = GUTENBERG_NEW.replace("START OF THE PROJECT", "START OF THIS PROJECT").replace(
    "END OF THE PROJECT", "END OF THIS PROJECT").replace(
    "The second paragraph.", "The second paragraph.\n\nEnd of the Project Gutenberg EBook of "
    "A Book")


@pytest.mark.parametrize("raw", [GUTENBERG_NEW, GUTENBERG_OLD], ids=["the", "this"])
def test_the_gutenberg_set_strips_both_marker_forms(tmp_path, raw):
    result = clean(tmp_path, raw, "shape: paragraphs\nuse: [gutenberg]\nrules: []\n")
    assert result.doc.blocks == ["The book’s first paragraph, wrapped over two lines.", "* * *",
                                 "The second paragraph."]
    audit = "\n".join(result.audit)
    assert "- gutenberg-header (drop, rule set gutenberg): lines 1–7;" in audit
    assert "- gutenberg-licence (drop, rule set gutenberg): lines " in audit
    assert "- gutenberg-credits (drop, rule set gutenberg): lines 9;" in audit
    assert "- illustrations (drop, rule set gutenberg): lines 11;" in audit
    assert "Gutenberg" not in result.doc.text()


def test_the_project_gutenberg_name_must_not_remain(tmp_path):
    raw = GUTENBERG_NEW.replace("The second paragraph.", "Thanks to Project Gutenberg.")
    with pytest.raises(ReaderError, match="“Project Gutenberg” is still in the text "
                                          r"\(line 18\), and rule set 'gutenberg' says"):
        clean(tmp_path, raw, "shape: paragraphs\nuse: [gutenberg]\nrules: []\n")


def test_the_name_must_not_remain_in_a_note_either(tmp_path):
    raw = GUTENBERG_NEW.replace("The second paragraph.",
                                "The second paragraph.[1]\n\n[1] From Project Gutenberg.")
    with pytest.raises(ReaderError, match="“Project Gutenberg” is still in the text"):
        clean(tmp_path, raw, "shape: paragraphs\nuse: [gutenberg]\nnotes: {label: Note}\n"
              "rules: []\n")


def test_a_reading_rule_replaces_the_set_rule_of_the_same_name(tmp_path):
    result = clean(tmp_path, GUTENBERG_NEW, """\
        shape: paragraphs
        use: [gutenberg]
        rules:
          - {name: thought-breaks, reason: Kept as text here., action: paragraph,
             pattern: '^(\\* ?){3,}$'}
        """)
    assert "\\* \\* \\* \\* \\*" in result.doc.blocks
    assert "- thought-breaks (paragraph): lines 16;" in "\n".join(result.audit)


def test_a_set_rule_can_be_left_out(tmp_path):
    result = clean(tmp_path, GUTENBERG_NEW, """\
        shape: paragraphs
        use: [{set: gutenberg, except: [illustrations]}]
        rules: []
        """)
    assert "\\[Illustration: A frontispiece\\]" in result.doc.blocks


def test_a_rule_set_of_ones_own_by_path(tmp_path):
    (tmp_path / "sets").mkdir()
    (tmp_path / "sets" / "house.yaml").write_text(textwrap.dedent("""\
        description: Our house boilerplate.
        rules:
          - {name: footer, reason: The site footer., action: drop, starts_with: © Site}
        """), encoding="utf-8")
    result = clean(tmp_path, "Text.\n© Site 2024\n", "use: [sets/house.yaml]\nrules: []\n")
    assert result.doc.blocks == ["Text."]
    assert "- footer (drop, rule set house): lines 2;" in "\n".join(result.audit)


def test_a_broken_rule_set_names_its_own_file(tmp_path):
    (tmp_path / "bad.yaml").write_text("rules:\n  - {name: x, reason: r, action: dorp, "
                                       "line: y}\n", encoding="utf-8")
    message = config_errors(tmp_path, "use: [bad.yaml]\nrules: []\n")
    assert "bad.yaml: rules[0].action: unknown action 'dorp'; did you mean 'drop'?" in message


def test_the_wordpress_set_removes_comments_and_the_form(tmp_path):
    raw = ("The post.\n\n  1. A comment.\n\n    Liked by 2 people\n\nLeave a Reply\n\n"
           "Fill in your details below\n")
    result = clean(tmp_path, raw, "use: [wordpress]\nrules: []\n")
    assert result.doc.blocks == ["The post."]
    audit = "\n".join(result.audit)
    assert "- reader-comments (drop, rule set wordpress): lines 3–5;" in audit
    assert "- comment-form (drop, rule set wordpress): lines 7–10;" in audit
