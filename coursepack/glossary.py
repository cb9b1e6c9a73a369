"""Glossary: terms linked from their first use in each section, and the glossary chapter.

Each term has an id, a definition, the forms to find it by (case-insensitive, whole words;
the longest form wins, so "de-escalation" is never read as "escalation") and optional
"see also" ids. The first use of each term in each essay and editorial section becomes a
link to the entry, with an id (``use-<term>-<paragraph or section>``); the glossary lists
those places under each definition. The chapter follows the EPUB Dictionaries and
Glossaries markup (``dl``, ``dt epub:type="glossterm"`` with ``dfn``, ``dd
epub:type="glossdef"``) inside a section of ``epub:type="glossary"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from .errors import ReaderError, ReaderErrors
from .insert import Unit, insert_all, text_ranges
from .textnorm import escape_markdown, normalise, to_markdown

USE = re.compile(r"\]\(#gloss-(?P<term>[a-z0-9-]+)\)"
                 r"\{#(?P<anchor>use-(?P=term)-(?P<where>[a-z0-9-]+)) \.glossref\}")


@dataclass(frozen=True)
class Term:
    id: str
    term: str
    definition: str
    forms: tuple[str, ...]
    see_also: tuple[str, ...] = ()
    readings: tuple[str, ...] = ()  # the readings it is marked in; () = every reading

    def marks(self, reading_id: str) -> bool:
        return not self.readings or reading_id in self.readings


def load_glossary(data: Any, where: str) -> tuple[Term, ...]:
    """Validate the glossary: unique ids, terms and forms; see-also ids that exist."""
    items = data.get("terms") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ReaderError(where, "expected a mapping with a 'terms' list")
    if not items:
        raise ReaderError(where, "no terms; add some, or remove the glossary and its part from "
                          "the reader file")
    terms: list[Term] = []
    errors: list[ReaderError] = []
    for i, item in enumerate(items):
        d = item if isinstance(item, dict) else {}
        missing = [k for k in ("id", "term", "definition", "forms") if not d.get(k)]
        if missing:
            errors.append(ReaderError(where, f"terms[{i}]: missing {', '.join(missing)}; add it"))
            continue
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", str(d["id"])):
            errors.append(ReaderError(where, f"term '{d['term']}': id '{d['id']}' must be "
                                      "lowercase letters, digits and hyphens"))
        readings = d.get("readings") or []
        if not isinstance(readings, list) or not all(isinstance(r, str) for r in readings):
            errors.append(ReaderError(where, f"term '{d['term']}': readings must be a list of "
                                      "reading ids"))
            readings = ()
        terms.append(Term(str(d["id"]), str(d["term"]), " ".join(str(d["definition"]).split()),
                          tuple(str(f) for f in d["forms"]),
                          tuple(str(s) for s in d.get("see_also") or ()), tuple(readings)))
    owners: dict[tuple[str, str], list[str]] = {}
    for t in terms:
        keys = [("id", t.id), ("term", t.term.casefold()),
                *(("form", normalise(f).casefold()) for f in t.forms)]
        for key in keys:
            owners.setdefault(key, []).append(t.id)
    errors += [ReaderError(where, f"duplicate {kind} '{value}' (in {', '.join(ids)}); "
                           f"each {kind} belongs to one term, once")
               for (kind, value), ids in owners.items() if len(ids) > 1]
    ids = {t.id for t in terms}
    errors += [ReaderError(where, f"term '{t.term}': see_also '{s}' is not a term id; fix it")
               for t in terms for s in t.see_also if s not in ids]
    if errors:
        raise ReaderErrors(errors)
    return tuple(terms)


def term_pattern(terms: tuple[Term, ...]) -> re.Pattern[str]:
    """One pattern for every form, longest first, whole words (a hyphen joins words)."""
    forms = sorted({to_markdown(f) for t in terms for f in t.forms}, key=len, reverse=True)
    alternatives = "|".join(re.escape(f) for f in forms)
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.I)


def mark_terms(units: list[Unit], terms: tuple[Term, ...]) -> list[Unit]:
    """Link the first use of each term in these units (one section) to its entry."""
    if not terms:
        return units
    pattern = term_pattern(terms)
    owner = {to_markdown(f).casefold(): t.id for t in terms for f in t.forms}
    used: set[str] = set()
    out = []
    for unit in units:
        insertions = []
        for start, end in text_ranges(unit.text):
            for m in pattern.finditer(unit.text, start, end):
                term = owner[m.group().casefold()]
                if term in used:
                    continue
                used.add(term)
                insertions += [(m.start(), "["),
                               (m.end(), f"](#gloss-{term}){{#use-{term}-{unit.anchor} "
                                         ".glossref}")]
        out.append(replace(unit, text=insert_all(unit.text, insertions)) if insertions else unit)
    return out


_SKIP_LINE = re.compile(r"^\s*(#|:::|\||<)")


def mark_editorial(text: str, terms: tuple[Term, ...], part: str, label: str) -> str:
    """Mark first uses in an editorial part (the editors' Markdown): headings, fences,
    tables and raw HTML lines are left alone."""
    lines = text.split("\n")
    index = [i for i, line in enumerate(lines) if line.strip() and not _SKIP_LINE.match(line)]
    units = mark_terms([Unit(part, label, lines[i]) for i in index], terms)
    for i, unit in zip(index, units, strict=True):
        lines[i] = unit.text
    return "\n".join(lines)


def collect_uses(text: str) -> list[tuple[str, str, str]]:
    """(term id, anchor, where) for every glossary link in a Markdown text, in order."""
    return [(m.group("term"), m.group("anchor"), m.group("where")) for m in USE.finditer(text)]


def check_readings(terms: tuple[Term, ...], readings: set[str], where: str) -> None:
    """A term limited to a reading must name one the reader has."""
    bad = [(t, r) for t in terms for r in t.readings if r not in readings]
    if bad:
        raise ReaderErrors(ReaderError(where, f"term '{t.term}': readings names '{r}', which "
                                       f"is not a reading of this reader; use one of "
                                       f"{', '.join(sorted(readings))}") for t, r in bad)


def check_coverage(terms: tuple[Term, ...], used: set[str], where: str) -> None:
    """A term that is never used anywhere is an error naming the term."""
    missing = [t for t in terms if t.id not in used]
    if missing:
        raise ReaderErrors(ReaderError(where, f"term '{t.term}' ({t.id}) never occurs in the "
                                       "essays or editorial sections; fix its forms or remove "
                                       "it") for t in missing)


def _md(text: str) -> str:
    return escape_markdown(normalise(text))


def glossary_markdown(terms: tuple[Term, ...], uses: dict[str, list[tuple[str, str]]]) -> str:
    """The chapter body: one definition per term, sorted, with its uses and see-also links.

    ``uses`` maps a term id to (label, anchor) pairs in document order.
    """
    names = {t.id: t.term for t in terms}
    out = ["The first use of each term in each essay and editorial chapter links here; "
           "under each definition, the places it is used link back.", "", "<dl>"]
    for t in sorted(terms, key=lambda t: t.term.casefold()):
        out += [f'<dt epub:type="glossterm"><dfn>[{_md(t.term)}]{{#gloss-{t.id}}}</dfn></dt>',
                '<dd epub:type="glossdef">', "", _md(t.definition), ""]
        links = ", ".join(f"[{_md(label)}](#{anchor}){{.backlink}}"
                          for label, anchor in uses.get(t.id, []))
        out += [f"[Used in:]{{.gloss-label}} {links}", ""]
        if t.see_also:
            see = ", ".join(f"[{_md(names[s])}](#gloss-{s}){{.see-also}}" for s in t.see_also)
            out += [f"[Related terms:]{{.gloss-label}} {see}", ""]
        out.append("</dd>")
    out.append("</dl>")
    return "\n".join(out)
