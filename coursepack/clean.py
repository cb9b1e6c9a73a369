"""Clean stage: raw text + its named rules -> cleaned Markdown and an audit.

The raw text is cut into units (coursepack.textshape: lines, or the paragraphs of a
hard-wrapped text). Rules (the reading's YAML and its rule sets, coursepack.rules) claim units
in order: a unit claimed by one rule is not seen by later ones, and all ``keep`` rules act
together where the first of them stands, dropping everything outside their spans. Units no rule
claims are the reading's paragraphs; among them, declared note blocks (``[n] …``) are paired
with their anchors. Every rule must match unless it is optional, so a changed source is never
mis-cleaned in silence; every unit dropped, joined or corrected is in the audit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .config import Reading
from .errors import ReaderError, ReaderErrors
from .markdown import StageDoc
from .rules import JOINING_ACTIONS, MANY_ACTIONS, ONCE_ACTIONS, Marker, Rule, search
from .textnorm import escape_markdown, normalise, normalise_space, to_markdown
from .textshape import (
    NOTE_ANCHOR,
    MarkupCount,
    Unit,
    inline_markdown,
    note_block,
    plain_text,
    split_units,
)

METADATA_ACTIONS = (*ONCE_ACTIONS, "source_note")
# Actions whose text stays in the reading's body (and may carry note anchors).
BODY_ACTIONS = ("paragraph", "heading", "blockquote", "commentary")
SECTION_BREAK = "* * *"  # a Markdown horizontal rule: the stylesheets make it an ornament
# Commentary (a translator's or editor's remarks inside the text) is ancillary: role "note".
COMMENTARY = '::: {.commentary role="note"}\n'
OUTSIDE_KEPT = Rule(name="outside-kept-spans", action="drop",
                    reason="Everything the keep rules did not keep.")
NOTE_LABEL_CLASS = "author-note"


@dataclass(frozen=True)
class Claim:
    """What one rule took: its items (each a tuple of unit indices that become one unit of
    output) and the raw lines it covers."""

    rule: Rule
    items: tuple[tuple[int, ...], ...]
    lines: tuple[int, ...]


@dataclass
class Cleaned:
    """The result of cleaning one reading: the cleaned document and its audit lines."""

    doc: StageDoc
    audit: list[str] = field(default_factory=list)


def _key(text: str) -> str:
    """The form of a line (or marker) used for matching: whitespace and Unicode normalised."""
    return normalise_space(text)


class _Selector:
    """Finds the units a rule or marker selects among those still unclaimed."""

    def __init__(self, units: list[Unit], where: str, noun: str) -> None:
        self.units = units
        self.where = where
        self.noun = noun  # "line" or "paragraph"

    def matches(self, rule: Rule | Marker, free: list[int]) -> list[int]:
        if rule.line is not None:
            wanted = _key(rule.line)
            return [i for i in free if self.units[i].text == wanted]
        if rule.starts_with is not None:
            wanted = _key(rule.starts_with)
            return [i for i in free if self.units[i].text.startswith(wanted)]
        return [i for i in free if search(rule.pattern or "", self.units[i].text)]

    def lines_of(self, found: list[int]) -> str:
        if not found:
            return ""
        return f" (lines {', '.join(str(self.units[i].first) for i in found[:8])})"

    def error(self, rule: Rule, message: str) -> ReaderError:
        return ReaderError(self.where, f"rule '{rule.name}'{message}")

    def nothing(self, rule: Rule) -> ReaderError:
        return self.error(rule, " matches nothing in the raw text; update the rule or remove "
                          "it (or mark it optional: true)")

    def marker(self, rule: Rule, marker: Marker, which: str, free: list[int]) -> int:
        found = self.matches(marker, free)
        if not found:
            raise self.error(rule, f": its '{which}' marker ({marker.describe()}) matches "
                             "nothing; check the source or the rule")
        if marker.occurrence is not None:
            if len(found) < marker.occurrence:
                raise self.error(rule, f": its '{which}' marker matches {len(found)} "
                                 f"{self.noun}(s){self.lines_of(found)}, so there is no "
                                 f"occurrence {marker.occurrence}")
            return found[marker.occurrence - 1]
        if len(found) > 1:
            raise self.error(rule, f": its '{which}' marker matches {len(found)} "
                             f"{self.noun}s{self.lines_of(found)}; make the marker unique or "
                             "give its occurrence")
        return found[0]

    def block(self, rule: Rule, free: list[int]) -> tuple[int, int] | None:
        """First and last unit index of a from/to (or until) block; None when an optional
        rule's first marker matches nothing (a mismatch after that is still an error)."""
        first_marker = rule.start or rule.end
        if rule.optional and first_marker and not self.matches(first_marker, free):
            return None
        start = self.marker(rule, rule.start, "from", free) if rule.start else free[0]
        which = "until" if rule.until else "to"
        end = self.marker(rule, rule.end, which, free) if rule.end else free[-1]
        if end < start:
            raise self.error(rule, f": the '{which}' marker ({self.units[end].where}) comes "
                             f"before the 'from' marker ({self.units[start].where}); swap "
                             "them")
        if rule.until and end == start:
            raise self.error(rule, f": the block is empty (its 'until' marker is the 'from' "
                             f"marker's own {self.noun}, {self.units[end].where})")
        return start, end - 1 if rule.until else end

    def select(self, rule: Rule, free: list[int], claimed_lines: set[int], total: int
               ) -> Claim:
        """The units ``rule`` takes among ``free`` (unit indices in text order)."""
        if not free:
            if rule.optional:
                return Claim(rule, (), ())
            raise self.nothing(rule)
        if rule.block:
            span = self.block(rule, free)
            if span is None:
                return Claim(rule, (), ())
            first, last = span
            taken = [i for i in free if first <= i <= last]
            line_from = self.units[first].first if rule.start else 1
            line_to = self.units[last].last if rule.end else total
            lines = tuple(n for n in range(line_from, line_to + 1) if n not in claimed_lines)
            items = (tuple(taken),) if rule.action in JOINING_ACTIONS else \
                tuple((i,) for i in taken)
            return Claim(rule, items, lines)
        found = self.matches(rule, free)
        if not found and rule.optional:
            return Claim(rule, (), ())
        if rule.occurrence is not None:
            if len(found) < rule.occurrence:
                raise self.error(rule, f" matches {len(found)} {self.noun}(s)"
                                 f"{self.lines_of(found)}, so there is no occurrence "
                                 f"{rule.occurrence}; check the source or the rule")
            found = [found[rule.occurrence - 1]]
        elif rule.count is not None:
            if len(found) != rule.count:
                raise self.error(rule, f" should match {rule.count} {self.noun}(s) but "
                                 f"matches {len(found)}{self.lines_of(found)}; check the "
                                 "source or the rule")
        elif rule.pattern is not None and rule.action in MANY_ACTIONS:
            if not found:
                raise self.nothing(rule)
        elif not found:
            raise self.nothing(rule)
        elif len(found) > 1:
            if rule.action in ONCE_ACTIONS:
                raise self.error(rule, f" would take {len(found)} {self.noun}s"
                                 f"{self.lines_of(found)} as the {rule.action}; a reading "
                                 f"has one {rule.action}, so make the rule match one "
                                 "(occurrence: N picks the n-th)")
            raise self.error(rule, f": it matches {len(found)} {self.noun}s"
                             f"{self.lines_of(found)}; make the marker unique or add "
                             "'count' or 'occurrence'")
        items = [self.joined(rule, i, free) for i in found]
        taken = [i for item in items for i in item]
        if len(set(taken)) != len(taken):
            raise self.error(rule, ": two of its matches would join the same "
                             f"{self.noun}s; lower 'join'")
        lines = tuple(n for i in sorted(taken)
                      for n in range(self.units[i].first, self.units[i].last + 1))
        return Claim(rule, tuple(items), lines)

    def joined(self, rule: Rule, index: int, free: list[int]) -> tuple[int, ...]:
        """The match and the join−1 unclaimed units after it."""
        if rule.join == 1:
            return (index,)
        after = [i for i in free if i > index][:rule.join - 1]
        if len(after) < rule.join - 1:
            raise self.error(rule, f": join: {rule.join} needs {rule.join - 1} more "
                             f"{self.noun}(s) after {self.units[index].where}; there are "
                             f"{len(after)}")
        return (index, *after)


def _excerpt(text: str, width: int = 70) -> str:
    text = _key(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _ranges(numbers: tuple[int, ...] | list[int]) -> str:
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in spans)


def _embedded_post(rule: Rule, text: str, where: str, line_no: int) -> str:
    match = search(rule.pattern or "", text)
    post = (match.group("text") or "").strip() if match else ""
    if not post:
        raise ReaderError(where, f"rule '{rule.name}': the (?P<text>...) group is empty on "
                          f"line {line_no}; fix the pattern")
    a = rule.attribution
    assert a is not None  # guaranteed by config validation
    handle = f" (@{a.handle.lstrip('@')})" if a.handle else ""
    platform = f" on {a.platform}" if a.platform else ""
    credit = escape_markdown(normalise(f"{a.author}{handle}{platform}, {a.date}"))
    return "\n".join([
        "::: {.embedded-post}",
        f"> {escape_markdown(normalise(post))}",
        ">",
        f"> — {credit}",
        ":::",
    ])


@dataclass
class _Item:
    """One unit of output: the units it joins, the rule that took it, its (corrected) text."""

    units: tuple[int, ...]
    rule: Rule | None
    text: str
    where: str
    notes: list[str] = field(default_factory=list)  # Markdown footnotes for its anchors


class _Cleaner:
    def __init__(self, reading: Reading, raw: str) -> None:
        self.reading = reading
        self.where = os.path.relpath(reading.yaml_path)
        self.lines = raw.split("\n")
        self.claimed_lines: set[int] = set()
        self.line_claims = self.drop_lines()
        self.units = split_units(self.lines, reading.shape, reading.hyphenated,
                                 frozenset(self.claimed_lines))
        self.paragraphs = reading.shape == "paragraphs"
        self.select = _Selector(self.units, self.where,
                                "paragraph" if self.paragraphs else "line")
        self.claims: dict[int, Claim] = {}  # unit index -> the claim that took it
        self.audit: list[str] = []
        self.corrections: list[dict[str, str]] = []

    def drop_lines(self) -> list[Claim]:
        """Rules with ``unit: line`` drop raw lines before a paragraph's lines are joined."""
        rules = [r for r in self.reading.rules if r.unit == "line"]
        if not rules:
            return []
        lines = split_units(self.lines, "lines")
        select = _Selector(lines, self.where, "line")
        claims = []
        for rule in rules:
            free = [i for i, u in enumerate(lines) if u.first not in self.claimed_lines]
            claim = select.select(rule, free, self.claimed_lines, len(self.lines))
            self.claimed_lines.update(claim.lines)
            claims.append(claim)
        return claims

    # --- rules ---------------------------------------------------------------------------

    def free(self) -> list[int]:
        return [i for i in range(len(self.units)) if i not in self.claims]

    def take(self, claim: Claim) -> None:
        for item in claim.items:
            for i in item:
                self.claims[i] = claim
        self.claimed_lines.update(claim.lines)
        self.record(claim)

    def record(self, claim: Claim, lines: bool = False) -> None:
        rule = claim.rule
        if not claim.items:
            self.audit.append(f"- {rule.name} ({rule.label}): matched nothing (optional) — "
                              f"{rule.reason.strip()}")
            return
        units = split_units(self.lines, "lines") if lines else self.units
        shown = [units[item[0]] for item in claim.items]
        nonblank = sum(1 for n in claim.lines if _key(self.lines[n - 1]))
        plural = "" if len(shown) == 1 else "s"
        what = f"{len(shown)} {self.select.noun}{plural}, " \
            if self.paragraphs and not lines else ""
        self.audit.append(f"- {rule.name} ({rule.label}): lines {_ranges(claim.lines)};"
                          f" {what}{nonblank} non-blank — {rule.reason.strip()}")
        self.audit.extend(f"    {u.first}: {_excerpt(u.text)}" for u in shown[:3])
        if len(shown) > 3:
            self.audit.append(f"    … and {len(shown) - 3} more")

    def keep(self) -> None:
        """All keep rules at once: their spans stay, everything else still free is dropped."""
        kept: set[int] = set()
        kept_lines: set[int] = set()
        for rule in (r for r in self.reading.rules if r.action == "keep"):
            claim = self.select.select(rule, self.free(), self.claimed_lines, len(self.lines))
            kept.update(i for item in claim.items for i in item)
            kept_lines.update(claim.lines)
            self.record(claim)
        if not kept:
            raise ReaderError(self.where, "the keep rules keep nothing (every one is optional "
                              "and matched nothing), so the reading would be empty; fix them")
        outside = [i for i in self.free() if i not in kept]
        lines = tuple(n for n in range(1, len(self.lines) + 1)
                      if n not in self.claimed_lines and n not in kept_lines)
        self.take(Claim(OUTSIDE_KEPT, tuple((i,) for i in outside), lines))

    def apply_rules(self) -> None:
        for claim in self.line_claims:
            self.record(claim, lines=True)
        kept = False
        for rule in self.reading.rules:
            if rule.unit == "line":
                continue  # done before the lines were joined
            if rule.action == "keep":
                if not kept:
                    self.keep()
                    kept = True
                continue
            self.take(self.select.select(rule, self.free(), self.claimed_lines,
                                         len(self.lines)))

    # --- items, corrections, notes -------------------------------------------------------

    def items(self) -> list[_Item]:
        """Every unit of output in text order (dropped units excluded)."""
        items, seen = [], set()
        for i, unit in enumerate(self.units):
            if i in seen:
                continue
            claim = self.claims.get(i)
            if claim is None:
                items.append(_Item((i,), None, unit.text, unit.where))
                continue
            group = next(item for item in claim.items if i in item)
            seen.update(group)
            if claim.rule.action == "drop":
                continue
            joiner = "\n" if claim.rule.join_with == "line_break" else " "
            first, last = self.units[group[0]], self.units[group[-1]]
            where = first.where if len(group) == 1 else f"lines {first.first}–{last.last}"
            text = joiner.join(self.units[j].text for j in group)
            items.append(_Item(group, claim.rule, self.correct(claim.rule, text, where),
                               where))
        return items

    def correct(self, rule: Rule, text: str, where: str) -> str:
        """Apply a rule's literal corrections; each must find its text exactly once."""
        for fix in rule.replace:
            find = _key(fix.find)
            hits = text.count(find)
            if hits != 1:
                found = "does not occur" if not hits else f"occurs {hits} times"
                raise ReaderError(self.where, f"rule '{rule.name}': the correction's find "
                                  f"“{fix.find}” {found} in {where}; quote text that occurs "
                                  "once there")
            after = text.replace(find, fix.with_)
            self.corrections.append({"find": fix.find, "with": fix.with_, "where": where,
                                     "rule": rule.name, "before": text, "after": after})
            text = after
        return text

    def pair_notes(self, items: list[_Item]) -> list[_Item]:
        """Give each anchor its note block (the next block with its number); drop the blocks.

        A note block is a body paragraph that opens as the reading's ``notes.form`` says
        (``[n] …`` or ``[Footnote n: …]``, which may run on to its closing bracket); it
        belongs to the nearest anchor ``[n]`` before it that has no note yet. Every anchor needs
        its note and every note its anchor.
        """
        label = self.reading.notes_label
        if not label:
            return items
        pending: dict[str, list[tuple[_Item, int]]] = {}
        errors: list[ReaderError] = []
        out = []
        count = 0
        queue = list(items)
        while queue:
            item = queue.pop(0)
            block = note_block(item.text, self.reading.notes_form) if item.rule is None \
                else None
            if block:
                number, text, closed = block
                where = item.where
                while not closed and queue and queue[0].rule is None:
                    more = queue.pop(0)
                    closed = more.text.endswith("]")
                    text += "\n" + (more.text[:-1].rstrip() if closed else more.text)
                    where = f"lines {self.units[item.units[0]].first}–" \
                            f"{self.units[more.units[-1]].last}"
                if not closed:
                    errors.append(ReaderError(self.where, f"note [{number}] ({where}) has no "
                                              "closing bracket; check the source"))
                    continue
                waiting = pending.pop(number, [])
                if not waiting:
                    errors.append(ReaderError(self.where, f"note [{number}] ({where}: "
                                              f"“{_excerpt(text, 40)}”) has no anchor "
                                              f"[{number}] before it; check the source"))
                    continue
                owner, slot = waiting[0]
                count += 1
                owner.notes[slot] = self.footnote(text, count)
                self.audit_notes.append(f"- [{number}] {owner.where} → note {where}: "
                                        f"{_excerpt(text, 50)}")
                if len(waiting) > 1:
                    errors.append(ReaderError(self.where, f"anchors [{number}] at "
                                              f"{', '.join(o.where for o, _ in waiting)} "
                                              f"share one note ({where}); each anchor "
                                              "needs its own note"))
                continue
            action = item.rule.action if item.rule else "paragraph"
            if action in BODY_ACTIONS:
                for slot, anchor in enumerate(NOTE_ANCHOR.finditer(item.text)):
                    item.notes.append("")
                    pending.setdefault(anchor.group(1), []).append((item, slot))
            out.append(item)
        for number, waiting in sorted(pending.items()):
            for owner, _ in waiting:
                errors.append(ReaderError(self.where, f"anchor [{number}] ({owner.where}) "
                                          f"has no note [{number}] after it; check the "
                                          "source, or drop the anchor's note with a rule"))
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise ReaderErrors(errors)
        return out

    def footnote(self, text: str, number: int) -> str:
        label = to_markdown(self.reading.notes_label.rstrip(":.") + ":")
        body = "\\\n".join(inline_markdown(part, self.reading.markup, count=self.markup_count)
                           for part in text.split("\n"))  # a note of several paragraphs
        return (f"^[[[{label}]{{.{NOTE_LABEL_CLASS}-label}} {body}]"
                f"{{#{self.reading.id}-note-{number} .{NOTE_LABEL_CLASS}}}]")

    # --- output --------------------------------------------------------------------------

    def render(self, item: _Item) -> str | None:
        action = item.rule.action if item.rule else "paragraph"
        markup = self.reading.markup
        if action == "embedded_post":
            assert item.rule is not None
            return _embedded_post(item.rule, item.text, self.where,
                                  self.units[item.units[0]].first)
        if action == "section_break":
            return SECTION_BREAK
        if self.reading.notes_label:
            parts = self.render_parts(item.text, item.notes)
        else:
            parts = [inline_markdown(part, markup, None, self.markup_count)
                     for part in item.text.split("\n")]
        if action == "heading":
            assert item.rule is not None
            inner = parts[0] if len(parts) == 1 else \
                " ".join(f"[{p}]{{.heading-line}}" for p in parts)
            return "#" * item.rule.level + " " + inner
        text = "\\\n".join(parts)
        if action == "blockquote":
            return "> " + text.replace("\n", "\n> ")
        if action == "commentary":
            return COMMENTARY + text + "\n:::"
        return text

    def render_parts(self, text: str, notes: list[str]) -> list[str]:
        """Render the lines of a joined unit, handing each its own anchors' notes."""
        parts, at = [], 0
        for part in text.split("\n"):
            n = len(NOTE_ANCHOR.findall(part))
            parts.append(inline_markdown(part, self.reading.markup, notes[at:at + n],
                                         self.markup_count))
            at += n
        return parts

    def run(self) -> Cleaned:
        reading = self.reading
        if not self.units:
            raise ReaderError(reading.raw_path.name, "the raw text is empty; paste the "
                              "reading in")
        header = f"# Cleaning audit: {reading.id} ({reading.raw_path.name}, " \
                 f"{len(self.lines)} lines)"
        self.audit = [header, ""]
        if self.paragraphs:
            rejoined = " (words hyphenated at line ends rejoined)" if reading.hyphenated else ""
            self.audit += [f"Shape: hard-wrapped paragraphs, lines joined{rejoined}: "
                           f"{len(self.units)} paragraphs.", ""]
        self.audit += ["## Rules, in order", ""]
        self.audit_notes: list[str] = []
        self.markup_count = MarkupCount()
        self.apply_rules()
        items = self.items()
        self.check_must_not_remain(items)  # the notes' text too, before they join their anchors
        items = self.pair_notes(items)
        metadata: dict[str, str | list] = {"reading": reading.id}
        blocks: list[str] = []
        changes: list[str] = []
        for item in items:
            action = item.rule.action if item.rule else "paragraph"
            source = plain_text(item.text, reading.markup)
            plain = normalise(source)
            if plain != source and action != "embedded_post":
                changes.append(f"- {item.where}: {_describe(source, plain)}")
            if action in METADATA_ACTIONS:
                plain = plain.replace("\n", " ")
                if action == "source_note":
                    notes = metadata.setdefault("source_note", [])
                    assert isinstance(notes, list)
                    notes.append(plain)
                else:
                    metadata[action] = plain
                continue
            block = self.render(item)
            if block is not None:
                blocks.append(block)
        if self.corrections:
            metadata["corrections"] = [{"find": c["find"], "with": c["with"]}
                                       for c in self.corrections]
        self.finish_audit(changes, items)
        return Cleaned(StageDoc(metadata, blocks), self.audit)

    def check_must_not_remain(self, items: list[_Item]) -> None:
        for ruleset in self.reading.rulesets:
            for phrase in ruleset.must_not_remain:
                wanted = _key(phrase).casefold()
                for item in items:
                    if wanted in item.text.casefold():
                        raise ReaderError(self.where, f"“{phrase}” is still in the text "
                                          f"({item.where}), and rule set '{ruleset.name}' "
                                          "says it must not remain; add a rule that "
                                          "removes it")

    def finish_audit(self, changes: list[str], items: list[_Item]) -> None:
        audit = self.audit
        if self.corrections:
            audit += ["", "## Corrections (replace): the only changes to the raw text's "
                      "characters", ""]
            for c in self.corrections:
                audit.append(f"- {c['rule']}, {c['where']}: “{c['find']}” → “{c['with']}”")
                audit.append(f"    before: {_excerpt(c['before'].replace(chr(10), ' '))}")
                audit.append(f"    after:  {_excerpt(c['after'].replace(chr(10), ' '))}")
        if self.audit_notes:
            audit += ["", f"## Notes: {len(self.audit_notes)} labelled "
                      f"“{self.reading.notes_label}”, anchor → note", "", *self.audit_notes]
        m = self.markup_count
        if self.reading.markup:
            literal = f"; delimiters left as text: {' '.join(sorted(set(m.literal)))}" \
                if m.literal else ""
            dashes = f"; {m.em_dash} em dashes written {self.reading.markup.em_dash}" \
                if self.reading.markup.em_dash else ""
            audit += ["", "## Markup", "", f"- {m.italic} italic and {m.bold} bold spans"
                      f"{dashes}{literal}"]
        audit += ["", "## Normalisation (typography, spacing)", ""] + (changes or ["- none"])
        kept = sum(1 for item in items if item.rule is None)
        noun = "paragraphs" if self.paragraphs else "paragraph lines"
        audit += ["", f"{kept} {noun} kept as body text."]


def clean_text(reading: Reading, raw: str) -> Cleaned:
    """Apply the reading's shape, conventions and rules, and general normalisation."""
    if not normalise_space(raw):  # nothing but spaces and invisible characters (U+00AD …)
        raise ReaderError(reading.raw_path.name, "the raw text is empty; paste the reading in")
    return _Cleaner(reading, raw).run()


def _describe(before: str, after: str) -> str:
    what = []
    if any(q in before for q in "\"'"):
        what.append("straight quotes curled")
    if after.count("\u2013") > before.count("\u2013"):
        what.append("hyphen to en dash")
    if "..." in before:
        what.append("three dots to an ellipsis")
    return ", ".join(what) or "characters normalised"


# What a reader is made for (README, "What a reader is made for"): readings of essay or chapter
# length. Far beyond it, a reading still builds, but each edition takes minutes and GBs.
MADE_FOR_WORDS = 20_000
FAR_BEYOND_WORDS = 100_000
WORDS_PER_A4_PAGE = 600  # measured: one plain reading at 10.5 pt


def size_warning(blocks: list[str]) -> str | None:
    """The warning for a cleaned reading far longer than a reader is made for, or None."""
    words = sum(len(block.split()) for block in blocks)
    if words <= FAR_BEYOND_WORDS:
        return None
    return (f"the cleaned text has {words:,} words (about {words // WORDS_PER_A4_PAGE:,} A4 "
            f"pages); a reader is made for readings of up to about {MADE_FOR_WORDS:,} words, "
            "and each edition of this one will take minutes to typeset: keep only what the "
            "course reads (a drop or keep rule), or split it into several readings")
