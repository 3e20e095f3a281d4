"""``[scan]`` in veil.toml: the project's threshold and its licence exceptions.

```toml
[scan]
fail_on = "high"

[scan.licenses]
allow = ["MPL-2.0"]            # SPDX ids accepted whatever their category
deny = ["AGPL-3.0-only"]
allow_packages = ["python-stdnum"]
unknown = "warn"               # warn, deny or allow
```

The file is read here, not through ``veil.config``: a scan needs no ``[vault]`` table, and a
pre-commit hook should not pay for loading the settings machinery.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from veil.errors import ConfigError
from veil.scan import Severity

if TYPE_CHECKING:
    from veil.scan import PolicyExceptions

_SEVERITIES = {str(s) for s in Severity}
_UNKNOWN = ("warn", "deny", "allow")


@dataclass(frozen=True, slots=True)
class ScanSettings:
    fail_on: Severity = Severity.LOW
    exceptions: PolicyExceptions | None = None


def scan_settings(project: Path) -> ScanSettings:
    table = load_scan_table(project)
    unknown = sorted(set(table) - {"fail_on", "licenses"})
    if unknown:
        raise ConfigError(f"veil.toml: unknown key 'scan.{unknown[0]}'")
    fail_on = table.get("fail_on", "low")
    if fail_on not in _SEVERITIES:
        raise ConfigError("veil.toml: 'scan.fail_on' must be low, medium, high or critical")
    licenses = table.get("licenses")
    return ScanSettings(Severity(fail_on), None if licenses is None else _exceptions(licenses))


def load_scan_table(project: Path) -> Mapping[str, Any]:
    """The ``[scan]`` table of the project's ``veil.toml``; empty when there is no file or table."""
    path = project / "veil.toml"
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({type(exc).__name__})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    table = raw.get("scan", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [scan] must be a table")
    return table


def _exceptions(table: object) -> PolicyExceptions:
    if not isinstance(table, Mapping):
        raise ConfigError("veil.toml: [scan.licenses] must be a table")
    unknown = sorted(set(table) - {"allow", "deny", "allow_packages", "unknown"})
    if unknown:
        raise ConfigError(f"veil.toml: unknown key 'scan.licenses.{unknown[0]}'")
    mode = table.get("unknown")
    if mode is not None and mode not in _UNKNOWN:
        raise ConfigError("veil.toml: 'scan.licenses.unknown' must be warn, deny or allow")
    from veil.scan import PolicyExceptions

    return PolicyExceptions(
        allow=_names(table, "allow"), deny=_names(table, "deny"), packages=_names(table, "allow_packages"),
        unknown=cast(Literal["warn", "deny", "allow"] | None, mode))


def _names(table: Mapping[str, Any], key: str) -> frozenset[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"veil.toml: 'scan.licenses.{key}' must be a list of strings")
    return frozenset(v.strip() for v in value)
