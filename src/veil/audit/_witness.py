"""Heads kept outside the database, so that a rewritten log is caught by someone it cannot rewrite.

``FileWitness`` behaves like a transparency-log witness that keeps its state in a JSON Lines file
(one checkpoint note per line): it accepts a new head only with a valid signature and a
consistency proof from the last head it holds, so it never holds two versions of history.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Protocol

from veil.audit._checkpoint import Checkpoint, open_checkpoint
from veil.audit._merkle import EMPTY_ROOT, verify_consistency
from veil.errors import ConfigError, IntegrityError


class Witness(Protocol):
    """Something outside the log that keeps the heads it was shown and refuses a forked history."""

    def latest(self) -> Checkpoint | None: ...

    def add(self, note: str, proof: list[bytes]) -> None: ...


class FileWitness:
    """Heads appended to a file the log's database cannot reach (another disk, a repository, a bucket)."""

    def __init__(self, path: Path, vkey: str, *, origin: str | None = None) -> None:
        self.path = path
        self.vkey = vkey
        self.origin = origin

    def notes(self) -> list[str]:
        """Every note held, oldest first."""
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{self.path}: cannot read the witness file ({type(exc).__name__})") from None
        notes = []
        for number, line in enumerate(lines, start=1):
            try:
                note = json.loads(line)["note"]
            except (ValueError, KeyError, TypeError):
                raise ConfigError(f'{self.path}:{number}: not a witness line ({{"note": ...}})') from None
            if not isinstance(note, str):
                raise ConfigError(f"{self.path}:{number}: the note must be a string")
            notes.append(note)
        return notes

    def latest(self) -> Checkpoint | None:
        notes = self.notes()
        return open_checkpoint(notes[-1], self.vkey, origin=self.origin) if notes else None

    def add(self, note: str, proof: list[bytes]) -> None:
        """Keep ``note`` if it extends the latest head held (same or larger tree, consistent)."""
        new = open_checkpoint(note, self.vkey, origin=self.origin)
        old = self.latest()
        if old is not None:
            if new.size < old.size:
                raise IntegrityError(f"the witness already holds a head of size {old.size} > {new.size}")
            if old.size > 0:  # every tree extends the empty one
                verify_consistency(old.size, new.size, proof, old.root, new.root)
            elif old.root != EMPTY_ROOT:
                raise IntegrityError("the witness holds an empty tree with a wrong root")
            if new.size == old.size:
                return
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(
                json.dumps({"size": new.size, "root": base64.b64encode(new.root).decode(), "note": note})
                + "\n"
            )
            handle.flush()
            os.fsync(handle.fileno())
