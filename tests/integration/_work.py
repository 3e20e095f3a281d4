"""The work of one concurrent writer, shared by thread workers and process workers."""

from __future__ import annotations

from typing import Any

from veil.vault import Vault

SUBJECTS = [f"s{n}" for n in range(10)]
#: Records each writer puts, in put_many calls of ROWS_PER_CALL, and rounds of updates.
PER_WRITER = 200
ROWS_PER_CALL = 20
ROUNDS = PER_WRITER // ROWS_PER_CALL
#: The fields of a shared record that concurrent writers update (one field per writer).
FIELDS = ("name", "age", "notes", "email")


def shared_target(index: int, shared: list[str]) -> tuple[str, str]:
    """The shared record and the one field writer ``index`` keeps updating."""
    return shared[index // len(FIELDS)], FIELDS[index % len(FIELDS)]


def update_value(index: int, field: str, round_: int) -> object:
    return {"name": f"name-w{index}-{round_}", "age": index * 100 + round_, "notes": f"notes w{index} r{round_}",
            "email": f"shared-w{index}-{round_}@example.org"}[field]


def put_values(index: int, n: int) -> tuple[str, dict[str, object]]:
    """The ``n``-th record writer ``index`` puts: its subject and values."""
    return SUBJECTS[(index * 7 + n) % len(SUBJECTS)], {
        "email": f"w{index}-{n}@example.org", "age": index * 1000 + n, "name": f"w{index}-name-{n}"}


def concurrent_writer(vault: Vault, index: int, shared: list[str], subjects: list[str]) -> dict[str, Any]:
    """Register every subject (all writers at once), put PER_WRITER records and update one shared field."""
    for subject_id in subjects:
        vault.add_subject(subject_id, "DE", actor="tester")
    record_id, field = shared_target(index, shared)
    written = 0
    for round_ in range(ROUNDS):
        rows = [put_values(index, n) for n in range(round_ * ROWS_PER_CALL, (round_ + 1) * ROWS_PER_CALL)]
        written += len(vault.put_many("customers", rows, purpose="support", actor="tester"))
        vault.update("customers", record_id, {field: update_value(index, field, round_)}, purpose="support", actor="tester")
    return {"written": written}
