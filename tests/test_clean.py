"""The clean stage on the real sources: goldens, every word kept, boilerplate gone, structure."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from coursepack.clean import clean_text
from coursepack.config import load_reader
from coursepack.errors import ReaderError
from coursepack.fsutil import read_text
from coursepack.rules import Marker

REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"

READER = load_reader(REPO / "reader.yaml")
GREENE = READER.reading("greene")
FREEDMAN = READER.reading("freedman")
WAR = load_reader(REPO / "readers" / "war-and-the-state.yaml")
SUN_TZU = WAR.reading("sun-tzu")
ROUSSEAU = WAR.reading("rousseau")
ALL = [GREENE, FREEDMAN, SUN_TZU, ROUSSEAU]

# Boilerplate phrases, one from each kind the issue lists: none may survive cleaning.
BOILERPLATE = [
    "Support 110 years of independent journalism",
    "Select and enter your email address",
    "Sign up directly at",
    "Administration / Office",
    "Wellbeing, Community / Social Services",
    "Visit our privacy Policy",
    "Content from our partners",
    "Strengthening the UK's clinical trial ecosystem",
    "Ageing well with technology",
    "Homesharing helps us",
    "See also",
    "Kaja Kallas",
    "Why Vladimir Putin cancelled his annual year-end press conference",
    "The best books to help you understand",
    "Putler",
    "Liked by",
    "cockroaches",
    "Leave a Reply",
    "Fill in your details below",
    "WordPress.com",
    "Log Out",
    "Connecting to %s",
    "Akismet",
    "Retweets",
    "325 Likes",
]


def cleaned(reading):
    return clean_text(reading, read_text(reading.raw_path))


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.replace("\\", ""))


def raw_lines(reading) -> list[str]:
    return read_text(reading.raw_path).split("\n")


def body_paragraphs(raw: list[str], first: str, last: str, drop: list[str]) -> list[str]:
    """The essay's own lines, chosen by hand in the test (independently of the YAML rules)."""
    start = next(i for i, line in enumerate(raw) if line.startswith(first))
    end = next(i for i, line in enumerate(raw) if line.startswith(last))
    return [line for line in raw[start:end + 1]
            if line.strip() and not any(line.strip().startswith(d) for d in drop)]


@pytest.mark.parametrize("reading", ALL, ids=[r.id for r in ALL])
def test_cleaned_markdown_matches_golden(reading, request):
    result = cleaned(reading)
    for suffix, text in ((".md", result.doc.text()), (".audit.md", "\n".join(result.audit) + "\n")):
        golden = GOLDEN / f"{reading.id}{suffix}"
        if request.config.getoption("--update-goldens"):
            golden.write_text(text, encoding="utf-8")
        assert golden.exists(), f"no golden {golden.name}: run ./run test --update-goldens"
        assert text == golden.read_text(encoding="utf-8"), (
            f"{golden.name} differs; if the change is intended, run ./run test --update-goldens "
            "and review the diff")


@pytest.mark.parametrize("reading", [GREENE, FREEDMAN], ids=["greene", "freedman"])
def test_boilerplate_is_gone(reading):
    text = cleaned(reading).doc.text()
    for phrase in BOILERPLATE:
        assert phrase not in text, phrase


def test_every_word_of_greene_is_kept_in_order():
    result = cleaned(GREENE)
    raw = raw_lines(GREENE)
    expected = body_paragraphs(raw, "In a prominent", "Putin’s willingness to keep fighting",
                               drop=["Ruth Deyermond @ruth_deyermond"])
    body = [b for b in result.doc.blocks if not b.startswith(":::")]
    assert words("\n".join(body)) == words("\n".join(expected))
    tweet = next(b for b in result.doc.blocks if b.startswith(":::"))
    raw_tweet = next(line for line in raw if line.startswith("Ruth Deyermond @"))
    tweet_text = raw_tweet.split("@ruth_deyermond", 1)[1].split("July 27th 2022")[0]
    assert words(tweet_text) == words(tweet.split("\n")[1])
    assert result.doc.metadata["title"] == "Why Putin fights"
    assert result.doc.metadata["dek"] == "Understanding the imperatives of regime security"


def test_every_word_of_freedman_is_kept_in_order():
    result = cleaned(FREEDMAN)
    expected = body_paragraphs(
        raw_lines(FREEDMAN), "French President Emmanuel Macron", "Whether or not an alternative",
        drop=["Select and enter", "•", "Visit our privacy", "Content from our partners",
              "Strengthening the UK", "Ageing well", '"Homesharing', "[See also:"])
    assert words("\n".join(result.doc.blocks)) == words("\n".join(expected))
    meta = result.doc.metadata
    assert meta["title"] == "What would it take to make Vladimir Putin feel secure?"
    assert meta["dek"].startswith("A security guarantee could be the only way")
    assert meta["byline"] == "By Lawrence Freedman"
    assert meta["source_note"] == [
        "Lawrence Freedman is a regular contributor to The New Statesman. This piece "
        "originally ran on his Substack “Comment is Freed”."]


def test_freedman_structure_is_recovered():
    blocks = cleaned(FREEDMAN).doc.blocks
    assert [b for b in blocks if b.startswith("#")] == [
        "## Security Guarantees and Alliances", "## What is security?", "## Putin’s paranoia"]
    quotes = [b for b in blocks if b.startswith("> ")]
    assert len(quotes) == 2
    assert quotes[0].startswith("> “Nato and Russia do not consider each other as adversaries.")
    assert quotes[1].startswith("> “There is no way back.")
    assert "Lawrence Freedman is a regular contributor" not in "\n".join(blocks)


def test_tweet_becomes_an_attributed_quotation():
    tweet = next(b for b in cleaned(GREENE).doc.blocks if b.startswith(":::"))
    lines = tweet.split("\n")
    assert lines[0] == "::: {.embedded-post}"
    assert lines[1].startswith("> Charap and Shapiro argue that Western")
    assert lines[1].endswith("it seems to me.")
    assert lines[3] == r"> — Ruth Deyermond (\@ruth\_deyermond) on Twitter, 27 July 2022"
    assert "Retweets" not in tweet and "Likes" not in tweet


def test_audit_names_each_rule_and_the_lines_it_removed():
    audit = "\n".join(cleaned(FREEDMAN).audit)
    for rule in FREEDMAN.rules:
        assert f"- {rule.name} ({rule.action}): lines " in audit
    assert "- job-categories (drop): lines 20–54; 35 non-blank" in audit
    assert "- see-also-promos (drop): lines 94, 108, 140; 3 non-blank" in audit


# --- rules that do not fit the text are errors, never silent -------------------------------


def with_rule(reading, name: str, **changes):
    rules = list(reading.rules)
    index = next(i for i, r in enumerate(rules) if r.name == name)
    rules[index] = replace(rules[index], **changes)
    return replace(reading, rules=tuple(rules))


def test_a_rule_that_matches_nothing_is_an_error():
    broken = with_rule(FREEDMAN, "subscription-pitch",
                       line="Support 111 years of independent journalism.")
    with pytest.raises(ReaderError, match="rule 'subscription-pitch' matches nothing"):
        cleaned(broken)


def test_a_marker_that_matches_twice_is_an_error():
    # "Liked by 4 people" stands under two different comments.
    broken = with_rule(GREENE, "reader-comments", end=Marker(starts_with="Liked by 4 people"),
                       until=False)
    with pytest.raises(ReaderError, match="'to' marker matches 2 lines"):
        cleaned(broken)


def test_a_count_that_does_not_match_is_an_error():
    with pytest.raises(ReaderError, match=r"should match 2 line\(s\) but matches 3"):
        cleaned(with_rule(FREEDMAN, "see-also-promos", count=2))


def test_markers_in_the_wrong_order_are_an_error():
    broken = with_rule(GREENE, "comment-form", start=Marker(starts_with="This site uses Akismet"),
                       end=Marker(line="Leave a Reply"))
    with pytest.raises(ReaderError, match="comes before the 'from' marker"):
        cleaned(broken)


# --- the second reader: books, hard-wrapped, with notes and commentary ---------------------


def test_a_gutenberg_book_becomes_real_paragraphs():
    result = cleaned(SUN_TZU)
    blocks = result.doc.blocks
    # Chapters I-III of the book: 152 paragraphs of the file, not 511 lines.
    assert len(blocks) == 151  # the note block went into its footnote
    assert [b for b in blocks if b.startswith("#")] == [
        "## Chapter I. LAYING PLANS", "## Chapter II. WAGING WAR",
        "## Chapter III. ATTACK BY STRATAGEM"]
    assert blocks[2] == "1\\. Sun Tzŭ said: The art of war is of vital importance to the State."
    assert sum(b.startswith("::: {.commentary") for b in blocks) == 59
    assert "5, 6. *The Moral Law* causes the people" in "\n".join(blocks)
    assert "Gutenberg" not in result.doc.text()


def test_the_translators_note_is_a_footnote_inside_the_commentary():
    wellington = next(b for b in cleaned(SUN_TZU).doc.blocks if "Words on Wellington" in b)
    assert wellington.startswith('::: {.commentary role="note"}\n\\[Sun Tzŭ, as a practical')
    assert ("mine are?”^[[[Translator’s note:]{.author-note-label} “Words on Wellington,” by "
            "Sir. W. Fraser.]{#sun-tzu-note-1 .author-note}] \\]") in wellington


def test_rousseau_keeps_book_one_with_every_note_and_its_words():
    result = cleaned(ROUSSEAU)
    text = result.doc.text()
    assert text.count("^[[[Author’s note:]") == 5
    assert "## [CHAPTER IX]{.heading-line} [REAL PROPERTY]{.heading-line}" in text
    assert text.count("{.heading-line}") == 18
    assert "Man is born free; and everywhere he is in chains." in text
    assert "BOOK II" not in text and "THAT SOVEREIGNTY IS INALIENABLE" not in text
    # The note printed after Book II, chapter I reaches its anchor at the end of Book I.
    last = result.doc.blocks[-1]
    assert last.endswith("legal right.^[[[Author’s note:]{.author-note-label} Under bad "
                         "governments, this equality is only apparent and illusory: it serves "
                         "only to keep the pauper in his poverty and the rich man in the "
                         "position he has usurped. In fact, laws are always of use to those who "
                         "possess and harmful to those who have nothing: from which it follows "
                         "that the social state is advantageous to men only when all have "
                         "something and none too much.]{#rousseau-note-5 .author-note}]")
    assert "will—at the most" in text  # the source's -- is an em dash


def test_an_empty_source_is_an_error():
    with pytest.raises(ReaderError, match="raw text is empty"):
        clean_text(GREENE, "  \n\n")
