"""What tests share: the fixed paths and day, and builders of raw input in the seeds' layouts
(a KCNA Watch page, a scraper record). Fixtures are conftest.py's."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as arrow
import pyarrow.ipc

from kcna_dataset.records import RawFile

REPO = Path(__file__).resolve().parent.parent
# a frozen copy of raw/ as it was when the tests' counts were written (raw/ grows: adding a
# file to it must break no test; tests that mean the shipped raw/ itself say REPO / "raw")
RAW = REPO / "tests" / "fixtures" / "corpus"
SEED_002 = RAW / "kcnawatch" / "002_bd9edb1427167513.txt"
TODAY = date(2026, 11, 23)  # fixed "today" so the future-date rule is reproducible


def raw_file(name: str, data: bytes | str) -> RawFile:
    data = data.encode("utf-8") if isinstance(data, str) else data
    return RawFile(name, data, hashlib.sha256(data).hexdigest())


def write(root: Path, name: str, content: str | bytes) -> Path:
    """Write a raw file under root (folders created), text as UTF-8."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def page(
    *,
    listing: str = "November 17, 2025Nov 17, 2025",
    line_label: str = "KCNA.kp (En)",
    title: str = "Test Statement Title",
    date_field: str = "13/09/2024",
    label: str = "KCNA.kp (En)",
    body: list[str] | None = None,
    navigation: bool = True,
) -> str:
    """A KCNA Watch page in the seeds' layout, with any part replaced."""
    paragraphs = (
        body
        if body is not None
        else [
            "Pyongyang, September 13 (KCNA) -- First paragraph of the statement.",
            "Second paragraph of the statement. -0-",
            "www.kcna.kp (Juche113.9.13.)",
        ]
    )
    parts = [
        f"{listing}\nKCNA {line_label}",
        title,
        f"Date: {date_field} | Source: {label} | Read original version at source",
        *paragraphs,
    ]
    if navigation:
        parts += [
            f"More From {label}",
            "Other Headline",
            "Other Headline",
            "Teaser text of another article",
            "November 16, 2025",
            "More Articles",
        ]
    return "\n\n".join(parts) + "\n"


def jsonl_line(**fields: object) -> str:
    record: dict[str, object] = {
        "headline": "Test Headline",
        "date": "2024-01-31",
        "link": "http://www.kcna.kp/en/article/q/test.kcmsf",
        "topic": "Latest News",
        "story_text": "Pyongyang, January 31 (KCNA) -- A paragraph.\nAnother paragraph. -0-",
    }
    record.update(fields)
    return json.dumps({k: v for k, v in record.items() if v is not ...})


_CHARTS_DRAWN: dict[tuple[str, bytes], dict[str, str]] = {}


def _drawn_once(draw: Callable[[Any], dict[str, str]], data: Any) -> dict[str, str]:
    """draw(data), drawn once per distinct data in a test process: matplotlib takes ~0.6 s a
    build (most of a small build's time) and the suite builds the same few corpora dozens of
    times. The charts are a function of their columns alone (test_release holds them
    byte-identical across builds), so a build gets the bytes the real function drew for the
    same columns."""
    tables = data if isinstance(data, dict) else {"": data}
    digest = hashlib.sha256()
    for name in sorted(tables):
        sink = arrow.BufferOutputStream()
        with arrow.ipc.new_stream(sink, tables[name].schema) as writer:
            writer.write_table(tables[name])
        digest.update(name.encode() + b"\0" + sink.getvalue().to_pybytes())
    key = (draw.__name__, digest.digest())
    if key not in _CHARTS_DRAWN:
        _CHARTS_DRAWN[key] = draw(data)
    return _CHARTS_DRAWN[key]


def timeline_chart_once(articles: arrow.Table) -> dict[str, str]:
    from kcna_dataset.release.charts import timeline_chart

    return _drawn_once(timeline_chart, articles)


def copies_charts_once(tables: dict[str, arrow.Table]) -> dict[str, str]:
    from kcna_dataset.release.charts import copies_charts

    return _drawn_once(copies_charts, tables)
