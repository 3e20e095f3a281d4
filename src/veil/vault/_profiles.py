"""Regulation profiles: regional rules (deadlines, retention caps, consent needs, residency) as data.

A profile is a TOML file; Veil ships some in ``veil/vault/profiles/`` and a deployment may
point at its own. Switching GDPR for CCPA is a configuration change, never a code change.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any

from veil.errors import ConfigError, InvalidInput
from veil.vault._taxonomy import Category, ConsentModel, LegalBasis

_ID = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
_REGION = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")  # ISO 3166-1 alpha-2, or 3166-2 subdivision
_KIND = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

_TOP_KEYS = {
    "id": True,
    "name": True,
    "regions": True,
    "requests": True,
    "retention": False,
    "consent": False,
    "residency": False,
}  # key -> required
_REQUEST_KEYS = {"deadline_days": True, "extension_days": True, "extension_rule": True}
_RETENTION_KEYS = {"max_days": False, "categories": False}
_CONSENT_KEYS = {"opt_in": False, "opt_out": False}
_RESIDENCY_KEYS = {"store_locations": True}


@dataclass(frozen=True)
class RegulationProfile:
    """One regulation's rules for the subjects of the regions it names."""

    id: str
    name: str
    regions: frozenset[str]
    deadline_days: int
    extension_days: int
    extension_rule: str
    retention_max_days: int | None
    # a mapping is not hashable: leave it out of the profile's hash
    retention_category_days: Mapping[Category, int] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )
    opt_in: frozenset[str] = frozenset()
    opt_out: frozenset[str] = frozenset()
    store_locations: frozenset[str] | None = None  # None: no residency constraint

    def request_deadline(self, received: datetime, *, extended: bool = False) -> datetime:
        """When a data subject request received at ``received`` must be answered."""
        if received.tzinfo is None or received.utcoffset() is None:
            raise InvalidInput("received must be a timezone-aware datetime")
        if extended and self.extension_days == 0:
            raise InvalidInput(f"regulation profile '{self.id}' allows no deadline extension")
        days = self.deadline_days + (self.extension_days if extended else 0)
        return received.astimezone(UTC) + timedelta(days=days)

    def retention_cap(self, category: Category | None = None) -> timedelta | None:
        """The tighter of the category cap and the default cap; None when neither is set."""
        caps = [self.retention_max_days]
        if category is not None:
            caps.append(self.retention_category_days.get(Category(category)))
        present = [cap for cap in caps if cap is not None]
        return timedelta(days=min(present)) if present else None

    def consent_model(self, purpose_kind: str, legal_basis: LegalBasis) -> ConsentModel:
        """What the consent ledger must show before a purpose of this kind sees a subject."""
        if LegalBasis(legal_basis) is LegalBasis.CONSENT or purpose_kind in self.opt_in:
            return ConsentModel.OPT_IN
        if purpose_kind in self.opt_out:
            return ConsentModel.OPT_OUT
        return ConsentModel.NONE

    def allows_store_location(self, location: str) -> bool:
        """Whether data of this profile's subjects may be stored at ``location``."""
        if self.store_locations is None:
            return True
        code = location.strip().upper()
        # a subdivision lies inside its country: "DE-BY" is allowed where "DE" is
        return code in self.store_locations or code.split("-", 1)[0] in self.store_locations


def _profiles_dir() -> Traversable:
    return files("veil.vault").joinpath("profiles")


def shipped_profiles() -> list[str]:
    """Ids of the regulation profiles shipped with Veil."""
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in _profiles_dir().iterdir()
        if entry.name.endswith(".toml")
    )


def load_profile(name_or_path: str | Path) -> RegulationProfile:
    """Load a shipped profile by id (``"gdpr"``) or a TOML file of the same shape by path."""
    if isinstance(name_or_path, str) and name_or_path in shipped_profiles():
        resource = _profiles_dir().joinpath(f"{name_or_path}.toml")
        profile = _parse(resource.read_text(encoding="utf-8"), f"profiles/{name_or_path}.toml")
        if profile.id != name_or_path:  # shipped ids and file names must agree
            raise ConfigError(f"profiles/{name_or_path}.toml: id must be '{name_or_path}'")
        return profile
    path = Path(name_or_path)
    if isinstance(name_or_path, str) and path.suffix != ".toml" and not path.exists():
        raise ConfigError(
            f"unknown regulation profile '{name_or_path}'; shipped: " + ", ".join(shipped_profiles())
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read regulation profile") from exc
    return _parse(text, str(path))


def region_code(region: object) -> str:
    """A subject region as stored and compared: an upper-case ISO 3166 code (``DE``, ``US-CA``)."""
    code = region.strip().upper() if isinstance(region, str) else ""
    if not _REGION.fullmatch(code):  # checked before it is quoted: a bad "region" may be any text
        raise InvalidInput("region must be an ISO 3166 code such as DE or US-CA")
    return code


class ProfileSet:
    """The profiles a deployment picks, one per subject region, with an optional default."""

    def __init__(
        self, profiles: Sequence[RegulationProfile], default: RegulationProfile | None = None
    ) -> None:
        by_region: dict[str, RegulationProfile] = {}
        for profile in profiles:
            for region in sorted(profile.regions):
                other = by_region.get(region)
                if other is not None:
                    raise ConfigError(
                        f"regulation profiles '{other.id}' and '{profile.id}' both claim region '{region}'"
                    )
                by_region[region] = profile
        self._by_region = by_region
        self._profiles = tuple(profiles)
        self._default = default

    @classmethod
    def load(cls, names: Sequence[str], default: str | None = None) -> ProfileSet:
        """Load shipped ids or file paths; ``default`` covers regions none of them claims."""
        loaded = {name: load_profile(name) for name in names}
        fallback = None if default is None else loaded.get(default) or load_profile(default)
        return cls(list(loaded.values()), fallback)

    def for_region(self, region: str) -> RegulationProfile:
        """The profile for a subject's region: the exact code, else the default."""
        code = region_code(region)
        # no country fallback: "US-NY" is not governed by whatever claims "US"
        profile = self._by_region.get(code, self._default)
        if profile is None:
            raise InvalidInput(
                f"no regulation profile covers region '{code}'; add one to profiles or set a default"
            )
        return profile

    @property
    def profiles(self) -> tuple[RegulationProfile, ...]:
        return self._profiles

    @property
    def default(self) -> RegulationProfile | None:
        return self._default


def _parse(text: str, source: str) -> RegulationProfile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML ({exc})") from None
    _check_keys(data, _TOP_KEYS, source, "")
    requests = _table(data, "requests", _REQUEST_KEYS, source)
    retention = _table(data, "retention", _RETENTION_KEYS, source)
    consent = _table(data, "consent", _CONSENT_KEYS, source)
    residency = _table(data, "residency", _RESIDENCY_KEYS, source) if "residency" in data else None
    opt_in = _codes(consent, "consent.opt_in", _KIND, source)
    opt_out = _codes(consent, "consent.opt_out", _KIND, source)
    if opt_in & opt_out:
        raise ConfigError(
            f"{source}: consent.opt_in and consent.opt_out share kind(s) "
            + ", ".join(sorted(opt_in & opt_out))
        )
    return RegulationProfile(
        id=_string(data, "id", source, _ID),
        name=_string(data, "name", source),
        regions=_codes(data, "regions", _REGION, source, non_empty=True),
        deadline_days=_days(requests, "requests.deadline_days", source, minimum=1),
        extension_days=_days(requests, "requests.extension_days", source, minimum=0),
        extension_rule=_string(requests, "requests.extension_rule", source),
        retention_max_days=(
            _days(retention, "retention.max_days", source, minimum=1) if "max_days" in retention else None
        ),
        retention_category_days=_categories(retention, source),
        opt_in=opt_in,
        opt_out=opt_out,
        store_locations=None
        if residency is None
        else _codes(residency, "residency.store_locations", _REGION, source, non_empty=True),
    )


def _check_keys(table: Mapping[str, Any], spec: Mapping[str, bool], source: str, prefix: str) -> None:
    unknown = sorted(set(table) - set(spec))
    if unknown:
        raise ConfigError(f"{source}: unknown key '{prefix}{unknown[0]}'")
    missing = [key for key, required in spec.items() if required and key not in table]
    if missing:
        raise ConfigError(f"{source}: missing key '{prefix}{missing[0]}'")


def _table(data: Mapping[str, Any], key: str, spec: Mapping[str, bool], source: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: '{key}' must be a table")
    _check_keys(value, spec, source, f"{key}.")
    return value


def _leaf(key: str) -> str:
    return key.rsplit(".", 1)[-1]


def _string(table: Mapping[str, Any], key: str, source: str, pattern: re.Pattern[str] | None = None) -> str:
    value = table.get(_leaf(key))
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{source}: '{key}' must be a non-empty string")
    if pattern is not None and not pattern.fullmatch(value):
        raise ConfigError(f"{source}: '{key}' must match {pattern.pattern}")
    return value


def _days(table: Mapping[str, Any], key: str, source: str, *, minimum: int) -> int:
    value = table.get(_leaf(key))
    # bool is an int in Python; `true` days is a typo, not a number
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{source}: '{key}' must be an integer number of days")
    if value < minimum:
        raise ConfigError(f"{source}: '{key}' must be at least {minimum}")
    return value


def _codes(
    table: Mapping[str, Any], key: str, pattern: re.Pattern[str], source: str, *, non_empty: bool = False
) -> frozenset[str]:
    value = table.get(_leaf(key), [])
    if not isinstance(value, list) or (non_empty and not value):
        raise ConfigError(f"{source}: '{key}' must be a {'non-empty ' if non_empty else ''}list of strings")
    if not all(isinstance(item, str) and pattern.fullmatch(item) for item in value):
        raise ConfigError(f"{source}: every entry of '{key}' must match {pattern.pattern}")
    return frozenset(value)


def _categories(retention: Mapping[str, Any], source: str) -> Mapping[Category, int]:
    table = retention.get("categories", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: 'retention.categories' must be a table")
    known = {category.value for category in Category}
    caps: dict[Category, int] = {}
    for name in table:
        if name not in known:
            raise ConfigError(f"{source}: unknown category 'retention.categories.{name}'")
        caps[Category(name)] = _days(table, f"retention.categories.{name}", source, minimum=1)
    return MappingProxyType(caps)
