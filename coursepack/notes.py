"""Editor's notes: factual corrections carried as footnotes, never by changing the authors' words.

Each note names a reading and an exact phrase of it (``after``); a footnote, labelled
"Editor's note:", is attached right after the phrase (after a citation placed there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from .citations import CITATION
from .errors import ReaderError, ReaderErrors
from .insert import Unit, insert_all, occurrences
from .textnorm import to_markdown

LABEL = "Editor’s note:"
NOTE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,60}")  # it becomes an element id


@dataclass(frozen=True)
class Note:
    id: str
    reading: str
    after: str
    text: str


def load_notes(data: Any, where: str) -> tuple[Note, ...]:
    """The notes of the editor-notes file; every note needs id, reading, after and text."""
    items = data.get("notes") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ReaderError(where, "expected a mapping with a 'notes' list")
    notes, errors, seen = [], [], set()
    for i, item in enumerate(items):
        fields = {k: item.get(k) for k in ("id", "reading", "after", "text")} \
            if isinstance(item, dict) else {}
        missing = [k for k in ("id", "reading", "after", "text")
                   if not isinstance(fields.get(k), str) or not fields[k].strip()]
        if missing:
            errors.append(ReaderError(where, f"notes[{i}]: missing {', '.join(missing)}; add it"))
        elif not NOTE_ID.fullmatch(fields["id"]):
            errors.append(ReaderError(where, f"notes[{i}]: id '{fields['id']}' must be "
                                      "lowercase letters, digits and hyphens"))
        elif fields["id"] in seen:
            errors.append(ReaderError(where, f"two notes have the id '{fields['id']}'"))
        else:
            seen.add(fields["id"])
            notes.append(Note(**{k: v.strip() for k, v in fields.items()}))
    if errors:
        raise ReaderErrors(errors)
    return tuple(notes)


def check_readings(notes: tuple[Note, ...], readings: set[str], where: str) -> None:
    """Every note is for a reading of this reader: one line per reading it lacks, however many
    notes name it (a reading left out of the reader is one cause, not one error per note)."""
    unknown: dict[str, list[str]] = {}
    for note in notes:
        if note.reading not in readings:
            unknown.setdefault(note.reading, []).append(note.id)
    if unknown:
        listed = ", ".join(sorted(readings)) or "none"
        raise ReaderErrors(ReaderError(
            where, f"{_notes(ids)} for reading '{reading}', which the reader does not list "
            f"(its readings: {listed}); add the reading to the reader file's readings, or "
            "remove or correct those notes") for reading, ids in unknown.items())


def _notes(ids: list[str]) -> str:
    names = ", ".join(f"'{i}'" for i in ids[:3]) + (", …" if len(ids) > 3 else "")
    return f"note {names} is" if len(ids) == 1 else f"{len(ids)} notes ({names}) are"


def note_markup(note: Note) -> str:
    return (f"^[[[{LABEL}]{{.editor-note-label}} {to_markdown(note.text)}]"
            f"{{#note-{note.id} .editor-note}}]")


def place_notes(units: list[Unit], notes: tuple[Note, ...], where: str) -> list[Unit]:
    """Attach each note after its phrase, which must occur exactly once in the reading."""
    errors: list[ReaderError] = []
    insertions: list[list[tuple[int, str]]] = [[] for _ in units]
    for note in notes:
        needle = to_markdown(note.after)
        hits = occurrences(units, needle)
        if len(hits) != 1:
            found = "is not in" if not hits else f"occurs {len(hits)} times in"
            errors.append(ReaderError(where, f"note '{note.id}': phrase “{note.after[:60]}” "
                                      f"{found} '{note.reading}'; quote words that occur once"))
            continue
        i, at = hits[0]
        end = at + len(needle)
        cite = CITATION.match(units[i].text, end + 1)  # a citation right there comes first
        if cite and units[i].text[end] == " ":
            end = cite.end()
        insertions[i].append((end, note_markup(note)))
    if errors:
        raise ReaderErrors(errors)
    return [replace(u, text=insert_all(u.text, ins)) if ins else u
            for u, ins in zip(units, insertions, strict=True)]
