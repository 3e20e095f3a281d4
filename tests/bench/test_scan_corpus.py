"""The scanner benchmark's corpus generator (bench/scan_corpus.py) and its scoring (bench/scan.py):
deterministic for a seed, labels that point at their values, hard negatives and clean files present."""

from __future__ import annotations

import hashlib
import string
import zlib
from pathlib import Path
from typing import Any

import pytest
from bench.scan import Hit, score
from bench.scan_corpus import END, FORMATS, NEGATIVE, PAIRS, PROVIDERS, SECRET, SECRET_ONLY, generate

FILES = 300
_B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("scan-corpus")
    return out, generate(out, seed=11, files=FILES)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _value_at(root: Path, mark: dict[str, Any]) -> str:
    text = (root / "corpus" / mark["path"]).read_bytes().decode("utf-8")
    lines = text.split("\n")
    offset = sum(len(line) + 1 for line in lines[: mark["line"] - 1]) + mark["column"] - 1
    return text[offset : offset + mark["length"]]


def _crc_ok(token: str) -> bool:
    body = token[token.rindex("_") + 1 :]
    number, digits = zlib.crc32(body[:30].encode()), ""
    while number:
        number, rest = divmod(number, 62)
        digits = _B62[rest] + digits
    return len(body) == 36 and digits.rjust(6, "0") == body[30:]


def test_the_same_seed_writes_the_same_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    first, second, other = (generate(tmp_path / name, seed=seed, files=60)
                            for name, seed in (("a", 5), ("b", 5), ("c", 6)))
    assert first == second
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert other["labels"] != first["labels"]


def test_every_label_and_negative_points_at_its_value(corpus: tuple[Path, dict[str, Any]]) -> None:
    root, labels = corpus
    marks = labels["labels"] + labels["negatives"]
    assert marks
    for mark in marks:
        value = _value_at(root, mark)
        assert hashlib.sha256(value.encode()).hexdigest() == mark["sha256"], mark["path"]
        assert mark["end_line"] == mark["line"] + value.count("\n")


def test_files_keep_no_markers_and_labels_keep_no_values(corpus: tuple[Path, dict[str, Any]]) -> None:
    root, labels = corpus
    texts = _files(root / "corpus")
    assert len(texts) == FILES == len(labels["files"])
    assert not any(c in t.decode() for t in texts.values() for c in (SECRET, NEGATIVE, END))
    stored = (root / "labels.json").read_text(encoding="utf-8")
    assert not [m for m in labels["labels"] if _value_at(root, m) in stored]


def test_file_classes_follow_their_labels(corpus: tuple[Path, dict[str, Any]]) -> None:
    _, labels = corpus
    with_label = {m["path"] for m in labels["labels"]}
    with_negative = {m["path"] for m in labels["negatives"]}
    classes = {f["path"]: f["class"] for f in labels["files"]}
    assert {p for p, c in classes.items() if c == "secret"} == with_label
    assert {p for p, c in classes.items() if c == "hard_negative"} == with_negative - with_label
    plain = [p for p, c in classes.items() if c == "plain"]
    assert len(plain) >= FILES // 4
    assert not set(plain) & (with_label | with_negative)


def test_hard_negatives_of_every_family_are_planted(corpus: tuple[Path, dict[str, Any]]) -> None:
    _, labels = corpus
    kinds = {m["kind"] for m in labels["negatives"]}
    assert {"lock_integrity", "documented_example", "placeholder", "env_reference", "uuid", "git_sha",
            "data_uri_image", "fixture_low_entropy", "base64_text", "css_hash"} <= kinds
    in_secret_files = {m["path"] for m in labels["negatives"]} & {m["path"] for m in labels["labels"]}
    assert in_secret_files, "hard negatives also sit beside real secrets"


def test_many_providers_and_every_format_appear(corpus: tuple[Path, dict[str, Any]]) -> None:
    _, labels = corpus
    declared = set(PROVIDERS) | {kind for _, *pair in PAIRS.values() for _, kind, _ in pair if kind}
    assert len(declared) >= 60
    found = {m["kind"] for m in labels["labels"]}
    assert found <= declared
    assert len(found) >= 45
    assert {f["format"] for f in labels["files"]} >= set(FORMATS) - SECRET_ONLY
    assert len({m["format"] for m in labels["labels"]}) >= len(FORMATS) - 3
    assert any(m["end_line"] > m["line"] for m in labels["labels"])  # PEM blocks span lines


def test_github_and_npm_tokens_carry_their_crc32(corpus: tuple[Path, dict[str, Any]]) -> None:
    root, labels = corpus
    tokens = [_value_at(root, m) for m in labels["labels"] if m["kind"] in ("github_classic", "npm")]
    assert tokens
    assert all(_crc_ok(t) for t in tokens)


def _tiny() -> dict[str, Any]:
    labels = [{"path": "a.py", "line": 3, "end_line": 3, "kind": "x", "format": "py"},
              {"path": "a.py", "line": 4, "end_line": 4, "kind": "y", "format": "py"},
              {"path": "k.pem", "line": 1, "end_line": 20, "kind": "private_key", "format": "key"}]
    files = [{"path": "a.py", "class": "secret"}, {"path": "k.pem", "class": "secret"},
             {"path": "clean.py", "class": "plain"}, {"path": "lock.json", "class": "hard_negative"}]
    negatives = [{"path": "lock.json", "line": 7, "end_line": 7, "kind": "lock_integrity"}]
    return {"labels": labels, "files": files, "negatives": negatives}


def test_scoring_counts_a_repeated_label_once_and_unlabelled_lines_as_false_positives() -> None:
    hits = [Hit("a.py", 3, "r1"), Hit("a.py", 3, "r2"), Hit("k.pem", 12, "pem"), Hit("lock.json", 7, "hash"),
            Hit("a.py", 9, "r1"), Hit("clean.py", 1, "pii", "pii")]
    result = score(hits, _tiny())
    assert (result["true_positives"], result["false_positives"], result["duplicates"]) == (2, 2, 1)
    assert result["recall"] == pytest.approx(2 / 3)
    assert result["precision"] == pytest.approx(2 / 4)
    assert result["fp_sources"] == {"lock_integrity": 1, "other line of a secret file": 1}
    assert (result["clean_alarmed"], result["clean_files"]) == (1, 2)  # the PII finding is not scored
    assert result["other_kinds"] == {"pii": 1}


def test_scoring_gives_a_neighbouring_line_only_to_a_label_not_yet_found() -> None:
    exact_then_near = score([Hit("a.py", 3, "r"), Hit("a.py", 4, "r")], _tiny())
    assert exact_then_near["true_positives"] == 2
    one_report_for_a_pair = score([Hit("a.py", 3, "r")], _tiny())
    assert one_report_for_a_pair["per_kind"] == {"private_key": [0, 1], "x": [1, 1], "y": [0, 1]}
    assignment_line = score([Hit("a.py", 2, "r")], _tiny())
    assert assignment_line["true_positives"] == 1
    match_spanning_lines = score([Hit("a.py", 0, "curl", end_line=3)], _tiny())
    assert match_spanning_lines["per_kind"]["x"] == [1, 1]
