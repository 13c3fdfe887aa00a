"""The spool: large tables as mapped Arrow files, read the same as tables held in memory."""

from __future__ import annotations

import random
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as arrow
import pytest
from helpers import RAW, TODAY
from test_article_table import ARTICLES, article
from test_scale import release_bytes

from kcna_dataset.article_table import ArticleTable
from kcna_dataset.build import build
from kcna_dataset.runtime import arrow_tables
from kcna_dataset.runtime.memory import drop_pages
from kcna_dataset.runtime.spool import Spool
from kcna_dataset.stages.read import discover, input_bytes

SCHEMA = arrow.schema([("n", arrow.int64()), ("text", arrow.string())])


def parts() -> Iterator[arrow.Table]:
    # an empty part too, as a file with no accepted article gives
    for start, stop in ((0, 3), (3, 3), (5, 9)):
        yield arrow.table(
            {"n": list(range(start, stop)), "text": [f"“{i}”" for i in range(start, stop)]},
            schema=SCHEMA,
        )


def test_a_spooled_table_reads_as_the_same_table_in_memory(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    mapped = spool.table("numbers", SCHEMA, parts())
    in_memory = Spool(None).table("numbers", SCHEMA, parts())
    assert mapped.column("n").to_pylist() == [0, 1, 2, 5, 6, 7, 8]
    assert mapped.equals(in_memory)
    assert list(tmp_path.iterdir()) == []  # the file is unlinked once mapped: nothing left behind
    drop_pages()  # the pages leave the process, not the table
    assert mapped.column("text").to_pylist() == ["“0”", "“1”", "“2”", "“5”", "“6”", "“7”", "“8”"]


def test_an_empty_table_spools(tmp_path: Path) -> None:
    assert Spool(tmp_path).table("none", SCHEMA, iter(())).equals(SCHEMA.empty_table())
    assert Spool(None).table("none", SCHEMA, iter(())).equals(SCHEMA.empty_table())


def test_take_into_the_spool_gives_the_rows_take_gives(tmp_path: Path) -> None:
    many = [article(n % 28 + 1, line=n, raw_path=f"r.jsonl#L{n}") for n in range(60)]
    # three chunks, as files concatenated give
    table = ArticleTable.concat(
        [ArticleTable.from_articles(many[:25]), ArticleTable.from_articles(many[25:])],
        Spool(tmp_path),
    )
    order = [59, 0, 30, 24, 25, 1, 58]
    spooled = table.take(order, Spool(tmp_path))
    assert spooled.table.equals(table.take(order).table)
    assert list(spooled) == [many[i] for i in order]
    assert list(table.filter([i % 20 == 0 for i in range(60)], Spool(tmp_path))) == [
        many[0],
        many[20],
        many[40],
    ]
    assert list(ArticleTable.from_articles(ARTICLES).take([], Spool(tmp_path))) == []


def test_build_spools_under_tmpdir_leaves_nothing_and_publishes_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    folders: list[Path | None] = []
    for_input = Spool.for_input.__func__  # type: ignore[attr-defined]

    @contextmanager
    def recorded(cls: type[Spool], input_bytes: int, above: int) -> Iterator[Spool]:
        with for_input(cls, input_bytes, above) as spool:
            folders.append(spool.folder)
            yield spool

    monkeypatch.setattr(Spool, "for_input", classmethod(recorded))
    spooled = build(RAW, tmp_path / "spooled", today=TODAY, spool_above_bytes=0)
    [folder] = folders
    assert folder is not None and folder.parent == temporary
    assert list(temporary.iterdir()) == []
    # the tables handed back still read after the spool's folder is gone
    bodies = spooled.tables["statements"].column("body").to_pylist()

    held = build(RAW, tmp_path / "held", today=TODAY)  # RAW is far below the default
    assert folders[1:] == [None]
    assert release_bytes(spooled.published) == release_bytes(held.published)
    assert bodies == held.tables["statements"].column("body").to_pylist()
    assert len(bodies) == held.summary["statements"]


def test_input_up_to_the_limit_stays_in_memory_above_it_goes_to_a_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with Spool.for_input(100, above=100) as spool:
        assert spool.folder is None
    with Spool.for_input(101, above=100) as spool:
        assert spool.folder is not None and spool.folder.parent == tmp_path
        assert spool.folder.is_dir()
    assert list(tmp_path.iterdir()) == []


def test_input_bytes_counts_the_files_that_will_be_read(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    (raw / "sub").mkdir(parents=True)
    (raw / "a.jsonl").write_bytes(b"x" * 10)
    (raw / "sub" / "b.txt").write_bytes(b"y" * 7)
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"z" * 1000)
    (raw / "out.txt").symlink_to(outside)  # rejected by the read stage, never read
    (raw / "folder").symlink_to(tmp_path)  # listed, never followed
    (raw / ".hidden.jsonl").write_bytes(b"h" * 100)  # ignored
    (raw / "README.md").write_bytes(b"m" * 100)  # ignored
    (raw / "gone.txt").symlink_to(tmp_path / "missing.txt")  # a broken link: read fails
    assert input_bytes(discover([raw])) == 17
    # counting stops once past `enough` (discovery order: a.jsonl, then sub/b.txt)
    assert [input_bytes(discover([raw]), enough=n) for n in (5, 10, 16, 17)] == [10, 17, 17, 17]


@pytest.mark.parametrize("bucket_rows", [1, 7, 16, 100])
def test_a_large_take_into_a_folder_goes_through_buckets_with_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bucket_rows: int
) -> None:
    # the sort into release order reads the table front to back into buckets of result
    # positions (take_in_buckets); BUCKET_ROWS made small so 60 rows make several buckets
    monkeypatch.setattr(arrow_tables, "BUCKET_ROWS", bucket_rows)
    many = [article(n % 28 + 1, line=n, raw_path=f"r.jsonl#L{n}") for n in range(60)]
    table = ArticleTable.concat(
        [ArticleTable.from_articles(many[:25]), ArticleTable.from_articles(many[25:])],
        Spool(tmp_path),
    )
    shuffled = random.Random(bucket_rows).sample(range(60), 60)
    subset = shuffled[:41]  # a filter's rows: some rows left out
    for order in (shuffled, subset, list(range(60)), [3, 3, 50, 2] * 5):  # the last: repeats
        spooled = table.take(order, Spool(tmp_path))
        assert spooled.table.equals(table.take(order).table)
        assert list(spooled) == [many[i] for i in order]
    assert list(tmp_path.iterdir()) == []  # the buckets' files are gone too


def test_the_collector_is_paused_and_left_as_it_was() -> None:
    """`collector_paused` turns the cycle collector off inside, and back to what it was after:
    on again if it was on (an error inside included), still off if the caller had it off."""
    import gc

    from kcna_dataset.runtime.memory import collector_paused

    assert gc.isenabled()
    with collector_paused():
        inside = gc.isenabled()
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("inside")
    after_error = gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        left_off = not gc.isenabled()
    finally:
        gc.enable()
    assert (inside, after_error, left_off) == (False, True, True)


def test_what_a_run_sets_aside_is_frozen_until_it_ends() -> None:
    """`set_aside` freezes the heap only inside `long_lived_run`, which unfreezes it at its end
    (an error included); a caller's own freeze is left alone, and set_aside adds nothing to it."""
    import gc

    from kcna_dataset.runtime.memory import long_lived_run, set_aside

    assert gc.get_freeze_count() == 0
    set_aside()
    outside = gc.get_freeze_count()
    kept: list[object] = []  # tracked objects made inside the runs below, kept alive
    with long_lived_run():
        kept.append([[] for _ in range(100)])
        before = gc.get_freeze_count()
        set_aside()
        inside = gc.get_freeze_count() >= 101  # the lists made above, at least
    after = gc.get_freeze_count()
    with pytest.raises(ValueError), long_lived_run():
        set_aside()
        raise ValueError("inside")
    after_error = gc.get_freeze_count()
    gc.freeze()  # the calling program's own
    try:
        theirs = gc.get_freeze_count()
        with long_lived_run():
            kept.append([[] for _ in range(100)])
            set_aside()
            not_added = gc.get_freeze_count() == theirs
        left_frozen = gc.get_freeze_count() == theirs
    finally:
        gc.unfreeze()
    assert (outside, before, inside, after, after_error) == (0, 0, True, 0, 0)
    assert (not_added, left_frozen) == (True, True)


def test_dedup_runs_with_what_validation_made_set_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build sets aside the reports per input while validating, then everything made until
    dedup (its collector passes skip them), and leaves nothing frozen."""
    import gc

    from kcna_dataset import build as build_module

    seen: dict[str, int] = {}
    validate, dedup = build_module.validate_inputs, build_module.deduplicate_with_stable_ids

    def validate_spy(*args: object, **kwargs: object) -> object:
        out = validate(*args, **kwargs)  # type: ignore[arg-type]
        seen["validated"] = gc.get_freeze_count()
        return out

    def dedup_spy(*args: object, **kwargs: object) -> object:
        seen["dedup"] = gc.get_freeze_count()
        return dedup(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(build_module, "validate_inputs", validate_spy)
    monkeypatch.setattr(build_module, "deduplicate_with_stable_ids", dedup_spy)
    build(RAW, tmp_path / "out", today=TODAY)
    assert 0 < seen["validated"] < seen["dedup"]
    assert gc.get_freeze_count() == 0


def test_a_build_frees_the_sketches_before_verification(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dedup sketches (656 bytes an article) serve the units and candidates only: a build
    keeps no reference to them once the candidates are found, so verification, the statements
    and publishing run without them."""
    import weakref

    from kcna_dataset import build as build_module

    find, settle = build_module.find_candidates, build_module.settle
    sketched: list[weakref.ref[object]] = []
    alive: list[bool] = []

    def find_spy(*args: Any) -> Any:
        sketched.append(weakref.ref(args[3].bands))  # (articles, registry, config, sketches, map)
        return find(*args)

    def settle_spy(*args: Any) -> Any:
        alive.append(sketched[0]() is not None)
        return settle(*args)

    monkeypatch.setattr(build_module, "find_candidates", find_spy)
    monkeypatch.setattr(build_module, "settle", settle_spy)
    build(RAW, tmp_path / "out", today=TODAY)
    assert alive == [False]
