"""Nothing lost silently (issue 18, first part): every input a build cannot read is a finding,
and a record file's rows after a long field are read."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from helpers import TODAY, jsonl_line, page, write
from typer.testing import CliRunner

from kcna_dataset.cli import app
from kcna_dataset.exceptions import UsageError
from kcna_dataset.findings import finding
from kcna_dataset.limits import MAX_OTHER_BYTES
from kcna_dataset.stages import read
from kcna_dataset.stages.read import discover, read_file
from kcna_dataset.validate import validate_paths


def _findings(root: Path) -> list[tuple[str, str]]:
    report = validate_paths([root], today=TODAY)
    return [(f.path, x.code) for f in report.files for x in f.findings]


def test_a_folder_that_cannot_be_listed_is_a_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder that cannot be listed is reported as `file-unreadable`, and the build that
    includes it is invalid. (As root, permissions do not stop a listing, so the failure is
    made by os.scandir, as a folder without read permission makes it.)"""
    root = tmp_path / "raw"
    write(root, "ok.txt", page())
    write(root, "locked/lost.txt", page(title="Lost"))
    real_scandir = os.scandir

    def scandir(where: str) -> Any:
        if os.path.basename(where) == "locked":
            raise PermissionError(13, "Permission denied", where)
        return real_scandir(where)

    monkeypatch.setattr(read.os, "scandir", scandir)
    report = validate_paths([root], today=TODAY)
    assert [(f.path, x.code, x.message) for f in report.files for x in f.findings] == [
        ("locked", "file-unreadable", "cannot read the file: Permission denied")
    ]
    assert not report.valid
    assert sorted(f.path for f in report.files) == ["locked", "ok.txt"]
    assert len(report.articles) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root lists any folder: made above instead")
def test_a_folder_without_permissions_is_a_finding(tmp_path: Path) -> None:
    root = tmp_path / "raw"
    write(root, "ok.txt", page())
    write(root, "locked/lost.txt", page(title="Lost"))
    (root / "locked").chmod(0)
    try:
        assert _findings(root) == [("locked", "file-unreadable")]
    finally:
        (root / "locked").chmod(0o755)


def test_a_csv_field_over_128_kib_keeps_the_rows_after_it(tmp_path: Path) -> None:
    """Python's csv reader stops at fields over 128 KiB by default, which rejected the row and
    lost every row after it; the record limit (1 MiB) is the only limit."""
    root = tmp_path / "raw"
    long_text = "Pyongyang, January 31 (KCNA) -- " + "A long paragraph. " * 9000  # ~160 KiB
    rows = ["headline,date,link,topic,story_text"]
    for k, text in enumerate(["Short one.", long_text, "After the long one.", "And another."]):
        link = f"http://www.kcna.kp/en/article/q/{k}.kcmsf"
        rows.append(f'Headline {k},2024-01-31,{link},News,"{text}"')
    write(root, "r.csv", "\n".join(rows) + "\n")
    report = validate_paths([root], today=TODAY)
    assert len(long_text.encode()) > 128 * 1024
    assert (report.valid, len(report.articles)) == (True, 4)
    assert _findings(root) == []


def test_a_nul_byte_in_one_jsonl_record_rejects_that_record_only(tmp_path: Path) -> None:
    root = tmp_path / "raw"
    lines = [
        jsonl_line(headline=f"Headline {k}", link=f"http://www.kcna.kp/en/article/q/{k}.kcmsf")
        for k in range(1000)
    ]
    lines[500] = lines[500].replace("A paragraph.", "A para\x00graph.")
    write(root, "r.jsonl", ("\n".join(lines) + "\n").encode())
    report = validate_paths([root], today=TODAY)
    assert [(f.path, x.code, x.line) for f in report.files for x in f.findings] == [
        ("r.jsonl", "jsonl-malformed", 501)
    ]
    assert len(report.articles) == 999
    # a file of NUL bytes throughout is still a binary file
    write(root, "b.jsonl", b"\x00\x01\x02\n\x00\x00\n")
    assert ("b.jsonl", "file-binary") in _findings(root)


def test_rejections_do_not_publish_the_build_machines_paths(tmp_path: Path) -> None:
    root = tmp_path / "raw"
    write(root, "ok.txt", page())
    secret = tmp_path / "secret" / "notes.txt"
    write(secret.parent, "notes.txt", page(title="Secret"))
    (root / "linked.txt").symlink_to(secret)
    report = validate_paths([root], today=TODAY)
    rows = [r.to_row() for r in report.rejections]
    assert [(r["raw_path"], r["code"], r["message"]) for r in rows] == [
        ("linked.txt", "symlink-outside", "symbolic link to a file outside the input folder")
    ]
    assert str(tmp_path) not in repr(rows)


def test_records_that_crashed_the_parser_are_located_findings(tmp_path: Path) -> None:
    root = tmp_path / "raw"
    lines = [
        jsonl_line(),
        "[" * 100_000 + "]" * 100_000,  # deeper than the parser's stack
        '{"headline": ' + "9" * 5000 + "}",  # past Python's integer digits limit
        jsonl_line(link="http://[::1/x", headline="Bad link"),
        jsonl_line(headline="Still read"),
    ]
    write(root, "r.jsonl", "\n".join(lines) + "\n")
    report = validate_paths([root], today=TODAY)
    assert [(x.code, x.line) for f in report.files for x in f.findings] == [
        ("jsonl-malformed", 2),
        ("jsonl-malformed", 3),
        ("source-unknown", 4),
    ]
    assert [a.title for a in report.articles] == ["Test Headline", "Still read"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_is_reported_not_read(tmp_path: Path) -> None:
    """Opening a FIFO for reading blocks until a writer comes: validate and build hung."""
    root = tmp_path / "raw"
    write(root, "ok.txt", page())
    os.mkfifo(root / "pipe.txt")
    report = validate_paths([root], today=TODAY)
    assert [(f.path, x.code, x.message) for f in report.files for x in f.findings] == [
        (
            "pipe.txt",
            "file-unreadable",
            "cannot read the file: not a regular file (a FIFO, socket or device)",
        )
    ]
    with pytest.raises(UsageError, match="is neither a regular file nor a folder"):
        validate_paths([root / "pipe.txt"], today=TODAY)


def test_repeated_fields_and_a_broken_quote_are_said(tmp_path: Path) -> None:
    root = tmp_path / "raw"
    write(root, "r.jsonl", jsonl_line()[:-1] + ', "headline": "Second", "headline": "Third"}\n')
    header = "headline,date,link,topic,story_text,topic"
    row = 'Title,2024-01-31,http://www.kcna.kp/en/article/q/1.kcmsf,News,"Text.",News'
    broken = 'Title 2,2024-01-31,http://www.kcna.kp/en/article/q/2.kcmsf,News,"Text.,News'
    write(root, "r.csv", "\n".join([header, row, broken, row, row]) + "\n")
    report = validate_paths([root], today=TODAY)
    assert [(f.path, x.code, x.line, x.message) for f in report.files for x in f.findings] == [
        ("r.csv", "field-repeated", 1, "field 'topic' appears 2 times; the last value is used"),
        (
            "r.csv",
            "csv-malformed",
            3,
            "not valid CSV: ',' expected after '\"'; the 3 lines from here on were not read",
        ),
        (
            "r.jsonl",
            "field-repeated",
            1,
            "field 'headline' appears 3 times; the last value is used",
        ),
    ]


def test_a_file_name_cannot_write_to_the_terminal(tmp_path: Path) -> None:
    """ANSI escapes and line breaks in a file's name reached the terminal raw: the name could
    colour or clear the screen, or forge a line of the report."""
    root = tmp_path / "raw"
    write(root, "evil\x1b[2J\nfake.txt", b"\x00binary")
    result = CliRunner().invoke(app, ["validate", str(root)])
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith(
        "evil\\x1b[2J\\nfake.txt: error file-binary: binary file: NUL byte at offset 0"
    )


def test_a_symbolic_link_loop_is_a_finding(tmp_path: Path) -> None:
    """pathlib's resolve() raised RuntimeError on a link loop: validate and build crashed."""
    root = tmp_path / "raw"
    write(root, "ok.txt", page())
    (root / "a.txt").symlink_to("b.txt")
    (root / "b.txt").symlink_to("a.txt")
    (root / "self.txt").symlink_to("self.txt")
    report = validate_paths([root], today=TODAY)
    assert [(f.path, x.code, x.message) for f in report.files for x in f.findings] == [
        ("a.txt", "file-unreadable", "cannot read the file: a symbolic link loop"),
        ("b.txt", "file-unreadable", "cannot read the file: a symbolic link loop"),
        ("self.txt", "file-unreadable", "cannot read the file: a symbolic link loop"),
    ]
    assert len(report.articles) == 1


def test_a_file_name_that_is_not_utf8_is_read_and_named_with_escapes(tmp_path: Path) -> None:
    """A Linux file name is any bytes: the name reached the report, JSON and Parquet as a
    string with lone surrogates, which cannot be encoded."""
    root = tmp_path / "raw"
    write(root, "ok.txt", page())
    folder = os.path.join(os.fsencode(root), b"dir\xff")
    os.mkdir(folder)
    with open(os.path.join(folder, b"page\xfe.txt"), "wb") as handle:
        handle.write(page(title="Other").encode())
    report = validate_paths([root], today=TODAY)
    assert sorted(f.path for f in report.files) == ["dir\\xff/page\\xfe.txt", "ok.txt"]
    assert sorted(a.raw_path for a in report.articles) == ["dir\\xff/page\\xfe.txt", "ok.txt"]
    out = tmp_path / "dist"
    result = CliRunner().invoke(app, ["build", "--raw", str(root), "--out", str(out), "--no-cache"])
    assert result.exit_code == 0, result.output
    paths = pq.read_table(out / "1.0.0" / "data" / "articles.parquet").column("raw_path")
    assert sorted(paths.to_pylist()) == ["dir\\xff/page\\xfe.txt", "ok.txt"]


def test_a_path_longer_than_the_system_allows_is_a_finding(tmp_path: Path) -> None:
    """A file more than PATH_MAX (4,096 bytes on Linux) below the folder: looking at it raised
    ENAMETOOLONG out of pathlib (is_file, stat), a traceback before anything was read."""
    root = tmp_path / "raw"
    write(root, "ok.txt", page())
    name = "d" * 250
    here = os.open(root, os.O_RDONLY)
    try:
        for _ in range(18):  # 18 x 251 bytes: past PATH_MAX, made one folder at a time
            os.mkdir(name, dir_fd=here)
            deeper = os.open(name, os.O_RDONLY, dir_fd=here)
            os.close(here)
            here = deeper
        fd = os.open("lost.txt", os.O_WRONLY | os.O_CREAT, dir_fd=here)
        os.write(fd, page(title="Deep").encode())
        os.close(fd)
    finally:
        os.close(here)
    report = validate_paths([root], today=TODAY)
    found = [(x.code, x.message) for f in report.files for x in f.findings]
    assert found == [("file-unreadable", "cannot read the file: File name too long")]
    assert not report.valid
    assert [a.raw_path for a in report.articles] == ["ok.txt"]
    result = CliRunner().invoke(app, ["validate", str(root)])
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_non_utf8_paths_given_on_the_command_line(tmp_path: Path) -> None:
    """A file given directly whose name is not UTF-8 is read and named with escapes; an --out or
    a release folder that is not UTF-8 is a usage error (pyarrow cannot write there: a
    traceback before); a backslash in a name is written twice, so `x\\xff` (a backslash) and
    the byte 0xff stay two names."""
    root = os.fsencode(tmp_path / "raw")
    os.mkdir(root)
    for name in (b"x\xff.jsonl", b"x\\xff.jsonl"):
        with open(os.path.join(root, name), "wb") as handle:
            handle.write(jsonl_line(headline=name.decode("latin-1")).encode() + b"\n")
    report = validate_paths([Path(os.fsdecode(root))], today=TODAY)
    assert sorted(f.path for f in report.files) == ["x\\\\xff.jsonl", "x\\xff.jsonl"]
    alone = Path(os.fsdecode(os.path.join(root, b"x\xff.jsonl")))
    result = CliRunner().invoke(app, ["validate", str(alone)])
    assert result.exit_code == 0 and "Traceback" not in result.output
    out = Path(os.fsdecode(os.fsencode(tmp_path) + b"/out\xff"))
    result = CliRunner().invoke(
        app, ["build", "--raw", os.fsdecode(root), "--out", str(out), "--no-cache"]
    )
    assert result.exit_code == 2
    assert result.output.startswith(
        f"Error: --out {tmp_path.as_posix()}/out\\xff is not a UTF-8 path"
    )
    result = CliRunner().invoke(app, ["verify", str(out)])
    assert result.exit_code == 2
    assert "is not a UTF-8 path" in result.output and "Traceback" not in result.output


def _files(report: Any) -> list[tuple[str, str, int]]:
    return [(f.path, f.status, f.records) for f in report.files]


def test_the_current_folder_among_several_paths_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`validate . ../more`: the files under `.` are named without `./` (which the
    hidden-file rule took for a hidden folder, so they were ignored and the run was valid)."""
    write(tmp_path / "scrape", "bad.txt", page(date_field="31/02/2024"))
    write(tmp_path / "more", "ok.txt", page())
    monkeypatch.chdir(tmp_path / "scrape")
    report = validate_paths([Path("."), Path("../more")], today=TODAY)
    assert _files(report) == [("../more/ok.txt", "valid", 1), ("bad.txt", "invalid", 1)]
    assert [f.location for f in report.files] == ["../more/ok.txt", "bad.txt"]
    assert not report.valid


def test_overlapping_paths_read_each_file_once(tmp_path: Path) -> None:
    """A folder and a file in it, or a folder given twice: each file is read once (not
    twice, with a duplicate-record warning naming the file as a copy of itself)."""
    root = tmp_path / "pages"
    write(root, "a.txt", page(title="First"))
    write(root, "b.txt", page(title="Second", body=["Another text entirely. " * 20]))
    for paths in ([root, root / "a.txt"], [root, root]):
        report = validate_paths(paths, today=TODAY)
        a, b = (root / "a.txt").as_posix(), (root / "b.txt").as_posix()
        assert _files(report) == [(a, "valid", 1), (b, "valid", 1)], paths
        assert [x.code for f in report.files for x in f.findings] == []
        assert report.summary["records"] == 2


def test_a_file_given_by_a_path_with_dots_is_not_hidden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the part of a name below the path as given can make a file hidden: `../x.txt`
    and `./x.txt` are read, `.x.txt` is not."""
    write(tmp_path, "x.txt", page())
    write(tmp_path, ".x.txt", page())
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    report = validate_paths([Path("../x.txt"), Path("../.x.txt")], today=TODAY)
    assert [(f.path, f.status, f.reason) for f in report.files] == [
        ("../.x.txt", "ignored", "hidden file"),
        ("../x.txt", "valid", None),
    ]


def test_overlapping_paths_are_told_by_where_the_files_are_and_in_any_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One folder spelled two ways (`..` and `.`, relative and absolute, through a link) is
    read once; a hidden folder named explicitly is read whether it comes before or after the
    folder that holds it."""
    d = tmp_path / "d"
    write(d, "a.txt", page(title="First"))
    write(d, "sub/b.txt", page(title="Second", body=["Another text entirely. " * 20]))
    write(d, ".hid/c.txt", page(title="Third", body=["A third text, unlike the others. " * 20]))
    (tmp_path / "linkd").symlink_to(d, target_is_directory=True)
    monkeypatch.chdir(d / "sub")

    def read(*paths: Path) -> list[tuple[str, str]]:
        report = validate_paths(list(paths), today=TODAY)
        assert [x.code for f in report.files for x in f.findings] == []
        return sorted((f.path, f.status) for f in report.files)

    assert read(Path(".."), Path(".")) == [
        ("../.hid/c.txt", "ignored"),
        ("../a.txt", "valid"),
        ("b.txt", "valid"),  # from the deeper path given
    ]
    assert read(d, tmp_path / "linkd") == read(d, d)
    assert [status for _, status in read(d, d)] == ["ignored", "valid", "valid"]
    assert read(d, d / ".hid") == read(d / ".hid", d)
    assert (f"{d.as_posix()}/.hid/c.txt", "valid") in read(d / ".hid", d)


def test_a_file_longer_than_its_stat_said_is_read_to_its_end_or_the_limit(tmp_path: Path) -> None:
    """read_file reads what fstat said and one byte more in one call; a file that grew since
    (or a kernel that returned less) is read on to its end, never past the limit."""
    from kcna_dataset.stages.read import _read_at_most

    target = tmp_path / "grown.txt"
    target.write_bytes(bytes(range(100)) * 30)  # 3,000 bytes
    fd = os.open(target, os.O_RDONLY)
    try:
        assert _read_at_most(fd, 10_000, 10) == bytes(range(100)) * 30  # it said 10 bytes
        os.lseek(fd, 0, os.SEEK_SET)
        assert _read_at_most(fd, 2_001, 10) == (bytes(range(100)) * 30)[:2_001]  # the limit
        os.lseek(fd, 0, os.SEEK_SET)
        assert _read_at_most(fd, 10_000, 3_000) == bytes(range(100)) * 30  # as it said
    finally:
        os.close(fd)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    fd = os.open(empty, os.O_RDONLY)
    try:
        assert _read_at_most(fd, 10, 0) == b""
    finally:
        os.close(fd)


def test_a_socket_is_said_to_be_no_regular_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Unix socket cannot be opened at all (ENXIO): it is said as what it is, like a FIFO,
    not as 'No such device or address'."""
    import socket

    root = tmp_path / "raw"
    root.mkdir()
    monkeypatch.chdir(root)  # a socket's path is bounded (~108 bytes): bound by a short name
    listener = socket.socket(socket.AF_UNIX)
    try:
        listener.bind("sock.txt")
        [f] = discover([root])
        assert read_file(f) == finding(
            "file-unreadable",
            "sock.txt",
            reason="not a regular file (a FIFO, socket or device)",
        )
    finally:
        listener.close()


def test_a_name_ending_in_a_dot_has_no_suffix(tmp_path: Path) -> None:
    """The size limit by kind follows the parsers' suffix rule (PurePosixPath.suffix): `notes.`
    and `.profile` are extensionless."""
    root = tmp_path / "raw"
    write(root, "notes.", b"x" * (MAX_OTHER_BYTES + 1))
    write(root, "big.jsonl.", b"x" * (MAX_OTHER_BYTES + 1))
    kinds = [read_file(f).param("kind") for f in discover([root])]  # type: ignore[union-attr]
    assert kinds == ["extensionless", "extensionless"]
    from pathlib import PurePosixPath

    from kcna_dataset.names import suffix_of

    names = ["a.txt", "d/b.JSONL", "notes.", ".profile", "d.x/noext", "a.b.csv", "x..", "..", ""]
    assert [suffix_of(n) for n in names] == [PurePosixPath(n).suffix.lower() for n in names]


def test_read_file_needs_no_posix_only_flags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """O_NONBLOCK and O_CLOEXEC are POSIX's (Windows' os has neither): reading does not need
    them to exist."""
    from kcna_dataset.stages import read as read_module

    write(tmp_path, "a.txt", b"hello\r\n")
    monkeypatch.delattr(os, "O_NONBLOCK")
    monkeypatch.delattr(os, "O_CLOEXEC")
    monkeypatch.setattr(read_module, "_READ_FLAGS", read_module._read_flags())
    [f] = discover([tmp_path])
    assert read_file(f).data == b"hello\r\n"  # type: ignore[union-attr]


def test_a_file_whose_name_holds_the_record_mark_stays_itself(tmp_path: Path) -> None:
    """`file#L12` names a record of a record file; a file named `a#Lb.txt` is a file: its twin
    page's duplicate-record warning crashed validate (KeyError: the name was cut at `#L`)."""
    from kcna_dataset.records import file_of

    assert [
        file_of(p)
        for p in ("a.jsonl#L12", "a.json#L1:3", "a#Lb.txt", "a#L1.jsonl#L7", "a#L12:", "a#L")
    ] == ["a.jsonl", "a.json", "a#Lb.txt", "a#L1.jsonl", "a#L12:", "a#L"]
    root = tmp_path / "raw"
    write(root, "a#Lb.txt", page())
    write(root, "c#L2.txt", page())  # the same page captured twice
    report = validate_paths([root], today=TODAY)
    assert [(f.path, [x.code for x in f.findings]) for f in report.files] == [
        ("a#Lb.txt", []),
        ("c#L2.txt", ["duplicate-record"]),
    ]
