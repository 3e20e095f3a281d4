"""What a detection reports: a typed span, never the value itself."""

from __future__ import annotations

from dataclasses import dataclass

from veil.detect._entities import EntityName


@dataclass(frozen=True, slots=True, order=True)
class Finding:
    """A detected entity in ``text[start:end]`` (code-point offsets, end exclusive).

    The matched value is deliberately not stored, so a Finding can be logged.
    """

    start: int
    end: int
    entity: EntityName
    score: float
    recognizer: str

    def __len__(self) -> int:
        return self.end - self.start

    def overlaps(self, other: Finding) -> bool:
        return self.start < other.end and other.start < self.end

    def to_dict(self) -> dict[str, object]:
        return {
            "start": self.start,
            "end": self.end,
            "label": str(self.entity),
            "score": round(self.score, 4),
            "recognizer": self.recognizer,
        }
