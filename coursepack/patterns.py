"""User rule patterns, matched in linear time: the one place a pattern from a YAML file is run.

Python's ``re`` backtracks: ``^(a+)+$`` against a line of forty a's and a full stop takes
2^40 steps, so one rule could hang a build. Patterns are matched here with RE2 (google-re2),
whose time grows linearly with the line, and a pattern is refused when RE2 cannot take it
(look-around, back-references) or when it compiles to a program so large that even linear
matching would be slow on a long line.

The syntax is Python's (``(?P<name>...)`` groups, ``(?i)``, ``\\d``, lazy ``+?``), minus
look-around and back-references; ``\\Z`` is accepted for RE2's ``\\z``. As in RE2, ``\\w``,
``\\d`` and ``\\b`` are ASCII: write ``\\p{L}`` for any letter.
"""

from __future__ import annotations

from functools import lru_cache

# The largest program a pattern may compile to, in RE2 instructions. The rules in use take
# under 100; matching time on a line grows with line length times this size when RE2's DFA
# gives up (seen: 5,000 instructions took 90 s on a 1 MB line; 500 took 13 ms).
MAX_PROGRAM = 2000
MAX_MEMORY = 8 << 20  # RE2's own budget for one pattern, in bytes (its default)


class PatternError(ValueError):
    """A pattern RE2 cannot take, or one too costly to run; the message says what to do."""


LOOK_AROUND = ("look-ahead and look-behind (?=, (?!, (?<=, (?<!) are not supported by the "
               "linear-time matcher; match the text itself instead")
BACK_REFERENCE = ("back-references (\\1, (?P=name)) are not supported by the linear-time "
                  "matcher; spell the repeated text out")


def _python_to_re2(pattern: str) -> str:
    """Python spellings RE2 lacks: ``\\Z`` (end of text) is RE2's ``\\z``."""
    out, i = [], 0
    while i < len(pattern):
        if pattern[i] == "\\" and i + 1 < len(pattern):
            pair = pattern[i:i + 2]
            out.append("\\z" if pair == "\\Z" else pair)
            i += 2
        else:
            out.append(pattern[i])
            i += 1
    return "".join(out)


def _explain(message: str) -> str:
    """RE2's message for a pattern it refused, in words for the person who wrote it."""
    perl = "invalid perl operator: "
    if message.startswith(tuple(perl + op for op in ("(?=", "(?!", "(?<=", "(?<!"))):
        return LOOK_AROUND
    backslash_digit = message[:-1] == "invalid escape sequence: \\" and message[-1].isdigit()
    if message.startswith(perl + "(?P") or backslash_digit:
        return BACK_REFERENCE
    if message.startswith("invalid repetition size"):
        return f"{message}: a repetition count is at most 1000"
    if message.startswith("pattern too large"):
        return _too_costly()
    return f"invalid regular expression ({message}); fix the pattern"


def _too_costly(size: int | None = None) -> str:
    measured = f" ({size} steps)" if size else ""
    return (f"too costly to match{measured}: it compiles to more than {MAX_PROGRAM} steps; "
            "use fewer or smaller repetitions")


@lru_cache(maxsize=256)
def compile(pattern: str):  # -> re2._Regexp
    """The compiled pattern; PatternError when RE2 cannot take it or it is too costly."""
    import re2  # here, not at the top: a no-op build compiles no pattern

    options = re2.Options()
    options.log_errors = False
    options.max_mem = MAX_MEMORY
    try:
        compiled = re2.compile(_python_to_re2(pattern), options)
    except re2.error as exc:
        message = exc.args[0].decode("utf-8", "replace") if exc.args and \
            isinstance(exc.args[0], bytes) else str(exc)
        raise PatternError(_explain(message)) from None
    if compiled.programsize > MAX_PROGRAM:
        raise PatternError(_too_costly(compiled.programsize))
    return compiled


def problem(pattern: str) -> str | None:
    """What is wrong with a pattern, for the configuration step; None when it is usable."""
    try:
        compile(pattern)
    except PatternError as exc:
        return str(exc)
    return None


def group_names(pattern: str) -> set[str]:
    return set(compile(pattern).groupindex)


def search(pattern: str, text: str):  # -> re2._Match | None
    """The first match of ``pattern`` anywhere in ``text`` (like ``re.search``)."""
    return compile(pattern).search(text)


def group(match, name: str) -> str:
    """The text a named group matched ("" when it took no part in the match)."""
    return match.group(name) or ""
