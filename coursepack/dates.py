"""The one build date: every date written into an artifact derives from it."""

from __future__ import annotations

import datetime as dt

from .config import Reader


def build_epoch(reader: Reader) -> int:
    """SOURCE_DATE_EPOCH for this reader: from its YAML, else its publication date at 00:00 UTC."""
    if reader.source_date_epoch is not None:
        return reader.source_date_epoch
    day = dt.date.fromisoformat(reader.date)
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def iso_timestamp(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
