"""No input can crash validation: arbitrary bytes and mutations of real pages (Hypothesis).

Derandomised and bounded (a few hundred examples each) so CI runs are reproducible and quick.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from helpers import RAW, TODAY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kcna_dataset.findings import CATALOGUE, Severity
from kcna_dataset.records import RawFile
from kcna_dataset.sources import SourceRegistry
from kcna_dataset.stages.parse import parse_file
from kcna_dataset.stages.record_rules import check_record
from kcna_dataset.validate import validate_paths

REGISTRY = SourceRegistry.load()
SEEDS = [p.read_bytes() for p in sorted((RAW / "kcnawatch").glob("*.txt"))]
JSONL_LINES = (RAW / "kcna-kp" / "kcna-kp-en-2023-12_2024-08.jsonl").read_bytes().split(b"\n")[:3]
PROPERTY = settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


def outcome(name: str, data: bytes) -> list[tuple[bool, list[str]]]:
    """Parse and check one file as validate does; each record is accepted or has an error."""
    raw = RawFile(name, data, hashlib.sha256(data).hexdigest())
    results = []
    for rec in parse_file(raw):
        article, found = check_record(rec, REGISTRY, TODAY)
        codes = [f.code for f in found]
        assert all(code in CATALOGUE for code in codes)
        errors = [f for f in found if f.severity is Severity.ERROR]
        assert (article is None) == bool(errors), (codes, article)
        results.append((article is not None, codes))
    assert results, "every file yields at least one record or a rejection"
    return results


@PROPERTY
@given(data=st.binary(max_size=4096), suffix=st.sampled_from([".txt", ".jsonl", ".csv", ".bin"]))
def test_arbitrary_bytes_never_crash(data: bytes, suffix: str) -> None:
    outcome(f"x{suffix}", data)


@st.composite
def mutated_page(draw: st.DrawFn) -> bytes:
    page = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "insert", "replace", "truncate", "lines"]))
        at = draw(st.integers(0, len(page)))
        if kind == "delete":
            del page[at : at + draw(st.integers(1, 200))]
        elif kind == "insert":
            page[at:at] = draw(st.binary(min_size=1, max_size=32))
        elif kind == "replace":
            page[at : at + 1] = draw(
                st.sampled_from(
                    [b"\x00", b"\xff", b"\r", b"\n\n", b"<", b"/", b"|", b"\xe2\x80", b"\x07"]
                )
            )
        elif kind == "truncate":
            del page[at:]
        else:  # shuffle two lines
            lines = bytes(page).split(b"\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            page = bytearray(b"\n".join(lines))
    return bytes(page)


@PROPERTY
@given(data=mutated_page())
def test_mutated_real_pages_never_crash(data: bytes) -> None:
    outcome("page.txt", data)


@PROPERTY
@given(
    lines=st.lists(
        st.one_of(
            st.sampled_from(JSONL_LINES),
            st.binary(max_size=200),
            st.text(max_size=200).map(str.encode),
        ),
        max_size=8,
    )
)
def test_mutated_jsonl_never_crashes(lines: list[bytes]) -> None:
    outcome("records.jsonl", b"\n".join(lines))


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    files=st.lists(
        st.tuples(
            st.sampled_from(["a.txt", "b/c.jsonl", "d.csv", "e.txt"]), st.binary(max_size=512)
        ),
        max_size=4,
    )
)
def test_validate_accounts_for_every_file(tmp_path_factory, files: list[tuple[str, bytes]]) -> None:
    root: Path = tmp_path_factory.mktemp("raw")
    for name, data in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    report = validate_paths([root], today=TODAY)
    s = report.summary
    assert s["files"] == len({name for name, _ in files})
    assert s["records"] == s["accepted"] + s["rejected"]
    assert s["rejected"] == len({r.raw_path for r in report.rejections})
