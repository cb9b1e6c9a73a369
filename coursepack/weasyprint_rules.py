"""Three rules of a press that WeasyPrint 70 cannot be told in CSS, taught to its layout, and
one repair that spares it a third layout of every page with a page reference.

The first two used to cost a second (up to a seventh) layout of each edition: the fault was
found in the laid-out pages and the edition laid out again with a local fix, as
``render_pdf.html_to_pdf`` still does for what the rules cannot prevent (a note longer than
the room under its call). The rules are applied once per process, before the first layout,
and change nothing else.

- **A note stays on the page of its call.** When a line does not fit at the foot of a page
  and the page cannot break just before it (the paragraph would leave fewer than ``orphans``
  lines behind), WeasyPrint first moves the page's last footnotes to the next page to make
  room for the line (``weasyprint/layout/block.py``, ``_linebox_layout``: ``report = not
  context.in_column and can_break_now and not could_break_before``). A note whose call is
  higher up the page then prints on the next page, out of order with the notes after it. A
  press moves the paragraph instead, which is what WeasyPrint does when the page has no
  footnotes: that one line is replaced in the function's source, compiled again in its
  module. (A note too long for the room under its call takes the call's line over with it:
  ``footnote-policy: line`` in print.css.)
- **At most MAX_HYPHENATED_RUN consecutive lines end in a hyphen** (CSS
  ``hyphenate-limit-lines``, which WeasyPrint lacks). The lines of a block come one at a time
  from ``iter_line_boxes``; after that many hyphenated line ends, the next line is broken with
  automatic hyphenation off (a soft hyphen still breaks), as a typesetter resets a ladder.
- **No line ends early.** A text that ends in a space before an inline element (a glossary
  link, an emphasis) and fits the rest of the line but for that space is measured with it,
  found too wide, and broken after its first word, or inside it: “remains” / “part” / “of his
  own analysis”, “benefi-” / “ciar-” / “ies”. Such a text is set whole and the line broken at
  its last space (``doit check``: ``early-breaks``).
- **Page references are laid out twice, not three times.** ``compute_content_list`` files
  the page a ``target-counter(attr(href url), page)`` waits for under the anchor name of the
  unresolved ``attr()`` token, which is None, and in the same breath puts ``page`` in the
  referring box's own missing counters (a variable reused). The target's page is then never
  passed on; the reference is set again whenever its own page's counters change, and they
  change once more after the first pass (the page total is added), so every page with a page
  reference (contents, glossary, bibliography, comparison, colophon) was made three times:
  71 page layouts for the 37 pages of the first reader's A4 edition. The anchor is resolved
  as ``TargetCollector.lookup_target`` resolves it and the two lists are kept apart: 55, and
  the same text, page numbers included.

WeasyPrint is pinned (requirements.lock). If the source these rules rely on ever changes, the
build stops with a message naming this module, rather than printing notes on the wrong pages.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator

MAX_HYPHENATED_RUN = 2  # consecutive lines ending in a hyphen, at most
HYPHENATED_END = re.compile(r"\w[-\u2010\u00ad]$")

REPORTING = "report = not context.in_column and can_break_now and not could_break_before"
KEEPING = "report = False  # coursepack.weasyprint_rules: the paragraph moves, not the notes"
_NO_AUTO_HYPHENS = "_coursepack_no_auto_hyphens"  # set on the layout context for one line
_RUNS = "_coursepack_hyphenated_runs"
COLLAPSING = ("normal", "nowrap", "pre-line")  # white-space values whose spaces collapse
_applied = False


def line_ends_in_hyphen(line) -> bool:
    """Whether a laid-out LineBox's last word is broken (automatic, soft or hard hyphen)."""
    texts = [box.text for box in line.descendants() if getattr(box, "text", "").strip()]
    return bool(texts) and HYPHENATED_END.search(texts[-1].rstrip()) is not None


def _recompiled(function, old: str, new: str) -> None:
    """Compile ``function`` again in its module with ``old`` (found once) replaced."""
    module = inspect.getmodule(function)
    lines, first = inspect.getsourcelines(function)
    source = "".join(lines)
    if source.count(old) != 1:
        raise RuntimeError(f"WeasyPrint's {module.__name__}.{function.__name__} has changed: "
                           "coursepack/weasyprint_rules.py must be brought up to date with it")
    padded = "\n" * (first - 1) + source.replace(old, new)  # tracebacks keep its line numbers
    exec(compile(padded, module.__file__, "exec"), module.__dict__)  # WeasyPrint's own code


def _limited_ladders(iter_line_boxes):
    """``iter_line_boxes`` that turns automatic hyphenation off for the line after a run.

    A block that goes on over a page is laid out again from where it broke (``skip_stack``):
    the run at each break point is kept on the layout context, so a ladder is counted across
    the page turn, as ``render_pdf.hyphen_ladders`` and ``doit check`` count it."""
    def lines(context, box, position_y, bottom_space, skip_stack, *args, **kwargs) -> Iterator:
        runs = context.__dict__.setdefault(_RUNS, {})  # (line box, resume point) -> run
        produce = iter_line_boxes(context, box, position_y, bottom_space, skip_stack,
                                  *args, **kwargs)
        run = runs.get((box, repr(skip_stack)), 0) if skip_stack else 0
        while True:
            outer = getattr(context, _NO_AUTO_HYPHENS, False)
            setattr(context, _NO_AUTO_HYPHENS, run >= MAX_HYPHENATED_RUN)
            try:
                line, resume_at = next(produce)
            except StopIteration:
                return
            finally:
                setattr(context, _NO_AUTO_HYPHENS, outer)  # a nested block's lines end here
            run = run + 1 if line_ends_in_hyphen(line) else 0
            if resume_at is not None:
                runs[(box, repr(resume_at))] = run
            yield line, resume_at
    return lines


def _split_first_line(split_first_line):
    """``split_first_line`` that honours the switch set by ``_limited_ladders``, and does not
    break a text early because of the space it ends with."""
    def split(text, style, context, max_width, *args, **kwargs):
        if getattr(context, _NO_AUTO_HYPHENS, False) and style["hyphens"] == "auto":
            style["hyphens"] = "manual"  # read once by the call; the box's style is restored
            try:
                result = split_first_line(text, style, context, max_width, *args, **kwargs)
            finally:
                style["hyphens"] = "auto"
        else:
            result = split_first_line(text, style, context, max_width, *args, **kwargs)
        resume_index, width = result[2], result[3]
        if (resume_index is not None and max_width is not None and width < 0.75 * max_width
                and text.endswith(" ") and style["white_space"] in COLLAPSING):
            # A text that fits but for its last space (it is followed by an inline element)
            # is measured with that space and found too wide; WeasyPrint then sets its first
            # word alone on a line ("remains / part / of his own analysis"). Such a text
            # fills the line: break after it, at the space.
            whole = split_first_line(text.rstrip(" "), style, context, max_width,
                                     *args, **kwargs)
            if whole[2] is None and whole[3] <= max_width:
                return (*whole[:2], len(text.encode()), *whole[3:])
        return result
    return split


TARGET_COUNTERS = """                anchor_name = targets.anchor_name_from_token(anchor_token)
                missing_counters = missing_target_counters.setdefault(
                    anchor_name, [])
                if counter_name not in missing_counters:
                    missing_counters.append(counter_name)"""
TARGET_COUNTERS_KEPT_APART = """                anchor_name = _coursepack_anchor_name(
                    anchor_token, parent_box)
                target_missing = missing_target_counters.setdefault(
                    anchor_name, [])
                if counter_name not in target_missing:
                    target_missing.append(counter_name)"""


def _anchor_name(anchor_token, box) -> str | None:
    """The anchor a ``target-*()`` token names, ``attr()`` resolved on ``box`` (as
    ``TargetCollector.lookup_target`` does)."""
    from weasyprint.css.targets import anchor_name_from_token
    from weasyprint.urls import get_url_tuple

    if anchor_token[0] == "attr()":
        name, kind, fallback = anchor_token[1]
        value = box.element.get(name, fallback)
        anchor_token = (("string", value) if kind == "string"
                        else ("url", get_url_tuple(value, box.style.base_url)))
    return anchor_name_from_token(anchor_token)


def apply() -> None:
    """Teach WeasyPrint the three rules and the repair, once per process."""
    global _applied
    if _applied:
        return
    from weasyprint.formatting_structure import build
    from weasyprint.layout import block, inline

    _recompiled(block._linebox_layout, REPORTING, KEEPING)
    build._coursepack_anchor_name = _anchor_name
    _recompiled(build.compute_content_list, TARGET_COUNTERS, TARGET_COUNTERS_KEPT_APART)
    block.iter_line_boxes = _limited_ladders(inline.iter_line_boxes)
    inline.split_first_line = _split_first_line(inline.split_first_line)
    _applied = True
