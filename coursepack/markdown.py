"""Reading and writing the stage files: Markdown with a YAML front-matter block."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import ReaderError
from .fsutil import read_text

_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)


@dataclass
class StageDoc:
    """A stage file: metadata plus Markdown blocks separated by blank lines."""

    metadata: dict
    blocks: list[str]

    def text(self) -> str:
        front = yaml.safe_dump(self.metadata, allow_unicode=True, sort_keys=False, width=1000)
        return f"---\n{front}---\n\n" + "\n\n".join(self.blocks) + "\n"


def parse_stage(text: str, where: str | Path) -> StageDoc:
    match = _FRONT.match(text)
    if not match:
        raise ReaderError(where, "no front-matter block; rebuild it (doit forget, then doit)")
    body = text[match.end():].strip("\n")
    blocks = [b for b in re.split(r"\n{2,}", body) if b.strip()]
    return StageDoc(yaml.safe_load(match.group(1)) or {}, blocks)


def read_stage(path: Path) -> StageDoc:
    return parse_stage(read_text(path), path)
