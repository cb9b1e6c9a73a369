"""Citations: pandoc citations placed by each reading's rules (a phrase of the essay -> a key).

A rule names an exact phrase of the essay, the words that name the work cited (one of the
"locators" of the reference notes), and the bibliography key of that work. The citation is
attached to those words, never where it would read as the source of someone else's words:

1. right after the author's name when the phrase names the author, author suppressed
   (``Sam Charap and Jeremy Shapiro [2022] argue``);
2. at the end of a block quotation (the quotation is the work's);
3. after the quotation the phrase opens, when the phrase begins a quotation (``“if a Nato
   Ally is …” [NATO n.d.]``): those quoted words are the work's;
4. right after the phrase otherwise, even inside someone else's quotation that names the
   work, where the brackets mark it as an interpolation (``… party to the Treaty on the
   Non-Proliferation of Nuclear Weapons [Non-Proliferation Treaty 1968], if …``).

Never at the end of the sentence: a citation after a quotation names the quotation's source.
A work is cited once per paragraph. Each citation is wrapped in a span with an id and a label
(``Greene ¶ 3``), from which the back-links of the bibliography are made after citeproc
(``filters/backlinks.lua``, which also sets every citation in square brackets: they are the
editors' additions). The authors' words are never changed: markup is only added.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from .config import Citation
from .errors import ReaderError, ReaderErrors
from .forms import csl_item_problems
from .insert import Unit, insert_all, occurrences
from .textnorm import attribute_value, to_markdown

CITATION = re.compile(r"\[\[(?P<cites>-?@[^\]]*)\]\]"
                      r"\{#(?P<anchor>cite-[^\s}]+) \.citation-ref label=\"(?P<label>[^\"]*)\"\}")
_KEY = re.compile(r"@([^\],;\s]+)")


def load_bibliography(data: Any, where: str) -> dict[str, dict]:
    """CSL-JSON items by id; a missing or duplicate id is an error."""
    if not isinstance(data, list):
        raise ReaderError(where, "expected a CSL-JSON list of items")
    if not data:
        raise ReaderError(where, "no items; list the works cited, or remove the bibliography "
                          "and its part from the reader file")
    items: dict[str, dict] = {}
    errors = []
    for i, item in enumerate(data):
        key = item.get("id") if isinstance(item, dict) else None
        if not key:
            errors.append(ReaderError(where, f"item {i + 1} has no id; give each item an id"))
        elif key in items:
            errors.append(ReaderError(where, f"two items have the id '{key}'; ids must be unique"))
        else:
            items[key] = item
            errors += [ReaderError(where, problem) for problem in csl_item_problems(item)]
    if errors:
        raise ReaderErrors(errors)
    return items


def author_names(item: dict) -> list[str]:
    """The family names of a work's authors: an essay that names them cites "(2022)".

    Institutional (literal) authors are left out: "the Charter of the United Nations" names
    a treaty, not its author, and the style cites such works by title anyway.
    """
    return [a["family"] for a in item.get("author") or [] if a.get("family")]


def _quoted(text: str, position: int) -> bool:
    return text.count("“", 0, position) > text.count("”", 0, position)


def citation_point(unit: Unit, start: int, end: int, names: list[str]) -> tuple[int, bool]:
    """Where the citation for the phrase at ``start:end`` goes; True: suppress the author."""
    text = unit.text
    named = [start + m.end() for name in names
             for m in re.finditer(rf"(?<!\w){re.escape(to_markdown(name))}(?:’s)?(?!\w)",
                                  text[start:end])]
    if named and not _quoted(text, max(named)):
        return max(named), True
    if unit.quoted:
        return len(text.rstrip()), False
    opening = text.find("“", start, end)
    if opening >= 0 and not _quoted(text, opening):
        closing = text.find("”", opening)
        if closing >= 0:
            return closing + 1, False
    after = end
    while after > start and text[after - 1] in ",;:":
        after -= 1
    return after, False


def citation_markup(rules: list[tuple[Citation, bool]], unit: Unit) -> str:
    """One citation (of one or more works, each with its author suppressed or not), in a span
    whose id the back-links point to."""
    cites = "; ".join(f"{'-' if suppress else ''}@{rule.key}"
                      f"{', ' + rule.locator if rule.locator else ''}" for rule, suppress in rules)
    anchor = f"cite-{rules[0][0].key}-{unit.anchor}"
    return f" [[{cites}]]{{#{anchor} .citation-ref label=\"{attribute_value(unit.label)}\"}}"


# A pandoc citation the editors wrote in their own Markdown: [@key], [see @key, p. 3; @other].
_EDITORIAL_CITE = re.compile(r"(?<![\\\]\[])\[(?P<cites>[^\[\]]*-?@[^\[\]]+)\](?![({\]])")


def anchor_editorial_citations(text: str, part: str, label: str,
                               bibliography: dict[str, dict], where: str) -> str:
    """Give each citation in an editorial part the span the back-links point to, as the
    annotate stage does for the readings' citations; unknown keys are errors."""
    count = 0
    unknown: list[str] = []

    def wrap(match: re.Match[str]) -> str:
        nonlocal count
        keys = _KEY.findall(match.group("cites"))
        unknown.extend(k for k in keys if k not in bibliography)
        count += 1
        anchor = f"cite-{keys[0]}-{part}-{count}"
        shown = label.replace("\\", "").replace('"', "'")
        return f"[[{match.group('cites')}]]{{#{anchor} .citation-ref label=\"{shown}\"}}"

    text = _EDITORIAL_CITE.sub(wrap, text)
    if unknown:
        raise ReaderErrors(ReaderError(where, f"citation key '{k}' is not in the "
                                       "bibliography; add the work there or fix the key")
                           for k in sorted(set(unknown)))
    return text


def place_citations(units: list[Unit], rules: tuple[Citation, ...],
                    bibliography: dict[str, dict], where: str) -> list[Unit]:
    """Add every rule's citation to the units; unknown keys and lost phrases are errors."""
    errors: list[ReaderError] = []
    points: list[dict[int, list[tuple[Citation, bool]]]] = [{} for _ in units]
    cited: list[set[str]] = [set() for _ in units]
    for rule in rules:
        if rule.key not in bibliography:
            errors.append(ReaderError(where, f"citation key '{rule.key}' is not in the "
                                      "bibliography; add the work there or fix the key"))
            continue
        needle = to_markdown(rule.phrase)
        hits = occurrences(units, needle)
        if len(hits) != 1:
            found = "is not in the text" if not hits else f"occurs {len(hits)} times"
            errors.append(ReaderError(where, f"citation phrase “{rule.phrase[:60]}” "
                                      f"({rule.key}) {found}; quote words that occur once"))
            continue
        i, at = hits[0]
        if rule.key in cited[i]:
            continue  # once per paragraph
        cited[i].add(rule.key)
        point, suppress = citation_point(units[i], at, at + len(needle),
                                         author_names(bibliography[rule.key]))
        points[i].setdefault(point, []).append((rule, suppress))
    if errors:
        raise ReaderErrors(errors)
    # Works cited at the same point share one citation: (Rahmon 2022; CSTO 2022).
    return [replace(u, text=insert_all(u.text, [(at, citation_markup(rules, u))
                                                for at, rules in sorted(p.items())])) if p else u
            for u, p in zip(units, points, strict=True)]


def cited_keys(text: str) -> set[str]:
    """The keys of every citation the annotate stage placed in a text."""
    return {key for m in CITATION.finditer(text) for key in _KEY.findall(m.group("cites"))}


def check_all_cited(bibliography: dict[str, dict], cited: set[str], where: str) -> None:
    """Every bibliography entry must be cited somewhere: an uncited entry is an error."""
    unused = sorted(set(bibliography) - cited)
    if unused:
        raise ReaderErrors(ReaderError(where, f"entry '{key}' is cited nowhere; add a "
                                       "citation rule in a reading's YAML or remove the entry")
                           for key in unused)


def bibliography_markdown() -> str:
    """The chapter body: citeproc fills the refs div; the filter adds the back-links."""
    return ("Our comments on an entry follow it in square brackets; each entry ends with the "
            "places that cite it.\n\n"
            "::: {#refs .references}\n:::")
