"""From bytes to texts: archives opened within bounds, notebooks split by cell, binaries skipped."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import zipfile

from veil.scan._sources import Limits, Skipped, Source, decode, sources


def _read(name: str, data: bytes, limits: Limits | None = None) -> tuple[list[Source], Skipped]:
    skipped = Skipped()
    return list(sources(name, data, limits or Limits(), skipped)), skipped


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _tar(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_plain_text_is_one_source() -> None:
    found, _ = _read("a.py", b"x = 1\n")
    assert [(s.display, s.text, s.first_line) for s in found] == [("a.py", "x = 1\n", 1)]


def test_binary_content_is_skipped_by_sniffing_not_by_name() -> None:
    found, skipped = _read("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    assert found == []
    assert skipped.counts["binary"] == 1
    assert decode("ok ünïcode".encode()) == "ok ünïcode"
    assert decode("utf-16 text".encode("utf-16")) == "utf-16 text"


def test_zip_members_are_read_with_their_paths() -> None:
    found, _ = _read("bundle.zip", _zip({"conf/app.env": b"A=1\n", "b.txt": b"B\n"}))
    assert sorted(s.display for s in found) == ["bundle.zip!b.txt", "bundle.zip!conf/app.env"]


def test_tar_gz_and_gz_are_opened() -> None:
    tgz = gzip.compress(_tar({"src/settings.py": b"KEY = 1\n"}))
    found, _ = _read("release.tar.gz", tgz)
    assert [(s.display, s.text) for s in found] == [("release.tar.gz!src/settings.py", "KEY = 1\n")]
    found, _ = _read("dump.sql.gz", gzip.compress(b"insert into t values (1);\n"))
    assert [s.display for s in found] == ["dump.sql.gz!dump.sql"]


def test_nested_archives_stop_at_the_depth_limit() -> None:
    inner = _zip({"deep.txt": b"x"})
    outer = _zip({"inner.zip": inner})
    found, _ = _read("outer.zip", outer)
    assert [s.display for s in found] == ["outer.zip!inner.zip!deep.txt"]
    found, skipped = _read("outer.zip", outer, Limits(depth=1))
    assert found == []
    assert skipped.counts["archive_depth"] == 1


def test_a_zip_bomb_costs_at_most_the_archive_budget() -> None:
    bomb = _zip({f"part{i}.txt": b"0" * 600_000 for i in range(10)})
    found, skipped = _read("bomb.zip", bomb, Limits(archive_bytes=2_000_000))
    assert sum(len(s.text) for s in found) <= 2_000_000
    assert skipped.counts["archive_budget"] >= 1


def test_a_corrupt_archive_is_counted_not_raised() -> None:
    found, skipped = _read("broken.zip", b"PK\x03\x04" + b"\x00" * 40)
    assert found == []
    assert skipped.counts["bad_archive"] == 1


def test_minified_scripts_are_skipped_unless_asked() -> None:
    minified = ("var a=1;" * 2000).encode()
    assert _read("app.js", minified)[1].counts["minified"] == 1
    assert _read("vendor.min.js", b"x")[1].counts["minified"] == 1
    found, _ = _read("app.js", minified, Limits(include_minified=True))
    assert len(found) == 1


def test_notebook_cells_and_outputs_map_to_raw_lines() -> None:
    notebook = {"cells": [
        {"cell_type": "markdown", "source": ["# Title\n", "text"]},
        {"cell_type": "code", "source": ["import os\n", "token = 'abc'\n"],
         "outputs": [{"output_type": "stream", "text": ["printed line\n"]},
                     {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo",
                                                              "text/plain": ["<Figure>"]}}]},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    raw = json.dumps(notebook, indent=1)
    found, _ = _read("analysis.ipynb", raw.encode())
    lines = raw.splitlines()
    by_text = {s.text: s for s in found}
    code = by_text["import os\ntoken = 'abc'\n"]
    assert "token = 'abc'" in lines[code.line_number(1) - 1]
    assert "printed line" in lines[by_text["printed line\n"].line_number(0) - 1]
    assert "iVBORw0KGgo" not in "".join(by_text)  # images are not text


def test_a_notebook_that_is_not_json_is_read_as_text() -> None:
    found, _ = _read("broken.ipynb", b"{not json")
    assert [s.text for s in found] == ["{not json"]


def test_lock_files_are_marked() -> None:
    found, _ = _read("web/package-lock.json", b"{}")
    assert found[0].lockfile
