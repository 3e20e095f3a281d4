"""The tables a private query reads: one subject id per row beside named numpy columns.

A ``Table`` comes from numpy arrays, a pandas DataFrame, an Arrow table or a vault collection (read
through ``Vault.records``: decrypted under the policy and the purpose, and audited by the vault).
Its arrays are read-only copies, its ``repr`` names columns and sizes only, and it knows how many
rows each subject has, so that ``bound_contributions`` leaves a table that already respects a
bound as it is and otherwise keeps a random subset of at most ``max_contributions`` rows per subject.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from veil.errors import DependencyMissing, InvalidInput, PurposeNotAllowed

if TYPE_CHECKING:
    from veil.vault import Actor, Vault

Array = np.ndarray[Any, Any]
#: A declared group or category: a string or an integer (booleans are integers).
Label = str | int

_NUMERIC_KINDS = "biuf"
_STRING_KINDS = "USTO"


@dataclass(frozen=True, eq=False)
class Table:
    """Rows of personal data: ``subjects[i]`` is the subject row ``i`` belongs to."""

    subjects: Array
    columns: Mapping[str, Array]
    _codes: Array = field(init=False, repr=False)  # a dense id per subject, for counting and bounding
    _counts: Array = field(init=False, repr=False)
    _most: int = field(init=False, repr=False)  # the most rows any one subject has
    _factors: dict[str, tuple[Array, list[object]]] = field(init=False, repr=False)  # object columns

    def __post_init__(self) -> None:
        subjects = _frozen("subjects", self.subjects)
        columns = {_name(n): _frozen(f"column {_shown(n)}", values) for n, values in self.columns.items()}
        if any(len(values) != len(subjects) for values in columns.values()):
            raise InvalidInput("every column must have one value per subject id")
        codes, _ = _factorize(subjects, "subjects")
        object.__setattr__(self, "subjects", subjects)
        object.__setattr__(self, "columns", MappingProxyType(columns))
        _set_subjects(self, codes, np.bincount(codes))
        object.__setattr__(self, "_factors", {})

    def __len__(self) -> int:
        return len(self.subjects)

    def __repr__(self) -> str:
        return f"Table(rows={len(self)}, subjects={len(self._counts)}, columns={sorted(self.columns)})"

    @property
    def max_rows_per_subject(self) -> int:
        return self._most

    def column(self, name: str) -> Array:
        values = self.columns.get(name) if isinstance(name, str) else None
        if values is None:
            raise InvalidInput(f"column {_shown(name)} is not in the table")
        return values

    def numeric(self, name: str) -> Array:
        """A column a sum or a quantile may read: numbers, never strings or objects."""
        values = self.column(name)
        if values.dtype.kind not in _NUMERIC_KINDS:
            raise InvalidInput(f"column {name!r} is not numeric")
        return values

    def codes(self, name: str, labels: Sequence[Label]) -> Array:
        """For each row, the index in ``labels`` of its value in column ``name``, or -1 for a value
        that is not one of them (vectorised; object columns are factorised once and kept)."""
        values = self.column(name)
        if values.dtype.kind != "O":
            return _searched(name, values, labels)
        if name not in self._factors:
            self._factors[name] = _factorize(values, f"column {name!r}", missing_ok=True)
        codes, uniques = self._factors[name]
        wanted = {label: i for i, label in enumerate(labels)}
        lookup = np.array([wanted.get(u, -1) for u in uniques], dtype=np.intp)  # type: ignore[call-overload]
        return lookup[codes]

    def _take(self, rows: Array) -> Table:
        """The table of these rows (indices), without counting subjects again."""
        made = object.__new__(Table)
        object.__setattr__(made, "subjects", _readonly(self.subjects[rows]))
        object.__setattr__(
            made, "columns", MappingProxyType({n: _readonly(v[rows]) for n, v in self.columns.items()})
        )
        codes = self._codes[rows]
        _set_subjects(made, codes, np.bincount(codes, minlength=len(self._counts)))
        object.__setattr__(made, "_factors", {n: (c[rows], u) for n, (c, u) in self._factors.items()})
        return made

    # -- constructors -----------------------------------------------------------------

    @classmethod
    def from_arrays(cls, subjects: Any, **columns: Any) -> Table:
        """``Table.from_arrays(ids, age=ages, region=regions)``: anything ``numpy.asarray`` takes."""
        return cls(np.asarray(subjects), {name: np.asarray(values) for name, values in columns.items()})

    @classmethod
    def from_pandas(cls, frame: Any, *, subject: str) -> Table:
        """Every column of a DataFrame; ``subject`` names the column of subject ids."""
        try:
            pd = importlib.import_module("pandas")
        except ModuleNotFoundError:
            raise DependencyMissing("dp", "reading a pandas DataFrame") from None
        if not isinstance(frame, pd.DataFrame):
            raise InvalidInput("frame must be a pandas DataFrame")
        if subject not in frame.columns:
            raise InvalidInput(f"column {_shown(subject)} is not in the frame")
        columns = {str(name): frame[name].to_numpy() for name in frame.columns if name != subject}
        return cls(frame[subject].to_numpy(), columns)

    @classmethod
    def from_arrow(cls, table: Any, *, subject: str) -> Table:
        """Every column of a ``pyarrow.Table`` or ``RecordBatch``; nulls in numbers become NaN."""
        try:
            import pyarrow as pa
        except ModuleNotFoundError:
            raise DependencyMissing("parquet", "reading an Arrow table") from None
        if not isinstance(table, pa.Table | pa.RecordBatch):
            raise InvalidInput("table must be a pyarrow Table or RecordBatch")
        if subject not in table.column_names:
            raise InvalidInput(f"column {_shown(subject)} is not in the Arrow table")
        arrays = {name: _arrow_numpy(table.column(name)) for name in table.column_names}
        return cls(arrays.pop(subject), arrays)

    @classmethod
    def from_vault(
        cls, vault: Vault, collection: str, *, fields: Sequence[str], purpose: str, actor: Actor
    ) -> Table:
        """The ``fields`` of every record of ``collection`` that ``purpose`` may read now (consent
        applied), decrypted by the vault, which decides and audits the read."""
        spec = vault.schema.collection(collection)
        if isinstance(fields, str) or not fields:
            raise InvalidInput("fields must name at least one field of the collection")
        chosen = [spec.field(name) for name in fields]
        for declared in chosen:
            if purpose not in declared.purposes:
                raise PurposeNotAllowed(f"purpose {_shown(purpose)} may not read {spec.name}.{declared.name}")
        records = vault.records(spec.name, purpose=purpose, actor=actor)
        subjects = np.array([r.subject_id for r in records], dtype=object)
        columns = {f.name: _vault_column([r.fields.get(f.name) for r in records], f.type) for f in chosen}
        return cls(subjects, columns)


def bound_contributions(table: Table, max_contributions: int, rng: np.random.Generator) -> Table:
    """At most ``max_contributions`` rows of each subject, chosen at random (``rng`` picks rows, it
    draws no noise); a table already within the bound is returned as it is."""
    if isinstance(max_contributions, bool) or not isinstance(max_contributions, int) or max_contributions < 1:
        raise InvalidInput("max_contributions must be a positive integer")
    if table.max_rows_per_subject <= max_contributions:
        return table
    shuffled = rng.permutation(len(table))
    order = np.argsort(table._codes[shuffled], kind="stable")  # each subject's rows together, shuffled
    grouped = table._codes[shuffled][order]
    starts = np.cumsum(table._counts) - table._counts
    rank = np.arange(len(table)) - starts[grouped]  # a row's place among its subject's rows
    return table._take(np.sort(shuffled[order[rank < max_contributions]]))


# -- helpers ---------------------------------------------------------------------------


def _set_subjects(table: Table, codes: Array, counts: Array) -> None:
    object.__setattr__(table, "_codes", codes)
    object.__setattr__(table, "_counts", counts)
    object.__setattr__(table, "_most", int(counts.max()) if len(counts) else 0)


def _name(name: object) -> str:
    if not isinstance(name, str) or not name:
        raise InvalidInput("column names must be non-empty strings")
    return name


def _shown(name: object) -> str:
    ok = isinstance(name, str) and name.isidentifier() and len(name) <= 64
    return repr(name) if ok else "(a name that is not an identifier)"


def _frozen(what: str, values: Any) -> Array:
    array = np.array(values, copy=True)
    if array.ndim != 1:
        raise InvalidInput(f"{what} must be one-dimensional")
    return _readonly(array)


def _readonly(array: Array) -> Array:
    array.setflags(write=False)
    return array


def _factorize(values: Array, what: str, *, missing_ok: bool = False) -> tuple[Array, list[object]]:
    """Dense integer codes of ``values`` and the distinct values they index."""
    if values.dtype.kind != "O":
        uniques, codes = np.unique(values, return_inverse=True)
        return codes.astype(np.intp), list(uniques)
    index: dict[object, int] = {}
    try:
        codes = np.fromiter(
            (index.setdefault(v, len(index)) for v in values), dtype=np.intp, count=len(values)
        )
    except TypeError:
        raise InvalidInput(f"{what} must hold hashable values") from None
    if not missing_ok and None in index:
        raise InvalidInput(f"{what} must not be missing")
    return codes, list(index)


def _searched(name: str, values: Array, labels: Sequence[Label]) -> Array:
    wanted = np.asarray(labels)
    numeric = values.dtype.kind in _NUMERIC_KINDS
    textual = values.dtype.kind in _STRING_KINDS
    if numeric != (wanted.dtype.kind in _NUMERIC_KINDS) or not (numeric or textual):
        raise InvalidInput(f"the labels of column {name!r} must be of the column's type")
    order = np.argsort(wanted, kind="stable")
    ranked = wanted[order]
    place = np.clip(np.searchsorted(ranked, values), 0, len(ranked) - 1)
    return np.where(ranked[place] == values, order[place], -1).astype(np.intp)


def _arrow_numpy(column: Any) -> Array:
    return np.asarray(column.to_numpy(zero_copy_only=False))  # strings and booleans with nulls: objects


def _vault_column(values: Iterable[object], kind: object) -> Array:
    from veil.vault import FieldType

    if kind in (FieldType.INTEGER, FieldType.NUMBER):
        return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)  # type: ignore[arg-type]
    if kind == FieldType.JSON:
        raise InvalidInput("a JSON field cannot be a table column")
    return np.array([v if v is None or isinstance(v, str | bool) else str(v) for v in values], dtype=object)
