"""A typographic cover for the EPUB, drawn from the reader's metadata with the committed fonts.

A PNG rather than an SVG: an SVG cover's text would be set in whatever font the reading system
has, while this one is set in Charis SIL everywhere. Pillow writes no timestamp, so the same
inputs give the same bytes.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .config import Reader
from .errors import ReaderError

SIZE = (1600, 2400)  # 2:3, the shape most e-reader stores expect
MARGIN = 150
INK = (250, 246, 238)
GROUND = (32, 44, 66)
ACCENT = (196, 160, 92)
FONTS = {"regular": "CharisSIL-Regular.ttf", "italic": "CharisSIL-Italic.ttf",
         "bold": "CharisSIL-Bold.ttf"}


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont,
          width: int) -> list[str]:
    """Greedy line breaking at spaces to fit ``width`` pixels; a word wider than that is
    broken between letters rather than run off the cover."""
    lines: list[str] = []
    for word in text.split():
        trial = f"{lines[-1]} {word}" if lines else word
        if lines and draw.textlength(trial, font=font) <= width:
            lines[-1] = trial
            continue
        while draw.textlength(word, font=font) > width and len(word) > 1:
            cut = next(i for i in range(len(word), 0, -1)
                       if i == 1 or draw.textlength(word[:i], font=font) <= width)
            lines.append(word[:cut])
            word = word[cut:]
        lines.append(word)
    return lines


def _fit(draw: ImageDraw.ImageDraw, text: str, face, sizes: tuple[int, ...],
         most_lines: int) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest of ``sizes`` that sets ``text`` in at most ``most_lines`` lines, and the
    lines (the last ends in … if even the smallest size takes more)."""
    for size in sizes:
        font = face(size)
        lines = _wrap(draw, text, font, SIZE[0] - 2 * MARGIN)
        if len(lines) <= most_lines:
            break
    if len(lines) > most_lines:
        lines = [*lines[:most_lines - 1], lines[most_lines - 1][:-1] + "…"]
    return font, lines


def _block(draw: ImageDraw.ImageDraw, y: int, text: str, face, sizes: tuple[int, ...],
           leading: float, fill: tuple[int, int, int], most_lines: int = 6) -> int:
    """Draw ``text`` centred and wrapped from ``y`` (``_fit``); return the y below it."""
    font, lines = _fit(draw, text, face, sizes, most_lines)
    step = round(font.size * leading)
    for line in lines:
        draw.text((SIZE[0] // 2, y), line, font=font, fill=fill, anchor="mt")
        y += step
    return y


def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    where = Path(path.parent.name) / path.name  # fonts/<file>, as the repository names it
    if not path.is_file():
        raise ReaderError(where, "font file not found (the EPUB cover is set in it); restore "
                          "it from the repository")
    try:
        return ImageFont.truetype(str(path), size)
    except OSError as exc:
        raise ReaderError(where, f"not a font file Pillow can read ({exc}); restore it from "
                          "the repository") from None


def cover_png(title: str, subtitle: str, editors: list[str] | tuple[str, ...],
              fonts: Path, kicker: str = "A course reader",
              authors: list[str] | tuple[str, ...] = (), by_line: str = "By {}") -> bytes:
    """The cover as PNG bytes: kicker (none if empty), title, rule, subtitle, and the essays'
    authors and the editors at the foot. Its text alternative in the EPUB says the same
    (render_epub.cover_description)."""
    face = {k: (lambda size, f=f: _font(fonts / f, size)) for k, f in FONTS.items()}
    image = Image.new("RGB", SIZE, GROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 60, SIZE[0] - 61, SIZE[1] - 61), outline=ACCENT, width=4)
    y = _block(draw, 420, kicker.upper(), face["regular"], (56,), 1.3, ACCENT) if kicker else 360
    y = _block(draw, y + 120, title, face["bold"], (168, 136, 112, 92), 1.15, INK, 5)
    draw.line((SIZE[0] // 2 - 160, y + 70, SIZE[0] // 2 + 160, y + 70), fill=ACCENT, width=5)
    if subtitle:
        _block(draw, y + 170, subtitle, face["italic"], (72, 60, 50), 1.35, INK, 4)
    names = ", ".join(editors)
    foot = SIZE[1] - 420
    if authors:
        by = by_line.format(" and ".join(authors))
        font, lines = _fit(draw, by, face["regular"], (64, 52), 3)  # as _block will set it
        foot -= len(lines) * round(font.size * 1.3) + 30
        foot = _block(draw, foot, by, face["regular"], (64, 52), 1.3, INK, 3) + 30
    _block(draw, foot, f"Edited by {names}", face["regular"], (64, 52, 44), 1.3, INK, 3)
    out = io.BytesIO()
    # zlib level 6: 3 % larger than 9 for this flat artwork, in less than half the time
    image.save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()


def reader_cover(reader: Reader) -> bytes:
    from .assemble import AUTHORS_BY, kicker, reading_authors

    return cover_png(reader.title, reader.subtitle, reader.editors, reader.root / "fonts",
                     kicker=kicker(reader), authors=reading_authors(reader), by_line=AUTHORS_BY)
