"""No catastrophic backtracking: adversarial 10 MB single lines finish.

These are hang checks, not speed goals (those live in bench/): a quadratic
pattern would take hours on 10 MB, a linear one takes seconds. The budget is
generous so a slow CI machine never flakes.
"""

from __future__ import annotations

import random
import time

import pytest

from veil.detect import Detector

SIZE = 10 * 1024 * 1024
BUDGET_SECONDS = 120

_RNG = random.Random(7)

ADVERSARIAL = {
    "letters": "a" * SIZE,
    "digits": "1" * SIZE,
    "digits_spaced": "1 " * (SIZE // 2),
    "dotted": "a." * (SIZE // 2),
    "at_signs": "a@" * (SIZE // 2),
    "dashes": "1-" * (SIZE // 2),
    "colons": "ab:" * (SIZE // 3),
    "capitals": "AB12" * (SIZE // 4),
    # distinct phone-like candidates defeat any cache: every one is parsed
    "digit_pairs": " ".join(str(_RNG.randint(10, 99)) for _ in range(SIZE // 3)),
}


@pytest.mark.slow
@pytest.mark.parametrize("use_hyperscan", [True, False], ids=["hyperscan", "re"])
@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_ten_megabyte_single_line_finishes(name: str, use_hyperscan: bool) -> None:
    detector = Detector(use_hyperscan=use_hyperscan)
    started = time.perf_counter()
    detector.detect(ADVERSARIAL[name])
    assert time.perf_counter() - started < BUDGET_SECONDS
