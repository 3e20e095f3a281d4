"""Settings from the ``VEIL_*`` environment and the deployment file ``veil.toml``.

The only module that reads the environment; only adapters (``veil.cli``, ``veil.service``)
call it, and they hand the library plain objects. Paths default to files in the project
folder (the current directory unless ``--project`` or ``VEIL_PROJECT`` says otherwise).
Errors name settings and keys, never their values: ``VEIL_KEK`` is never echoed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from veil.errors import ConfigError

CONFIG_NAME = "veil.toml"
DATA_DB_NAME = "veil.db"
KEYS_DB_NAME = "veil-keys.db"
KEYRING_PATH = Path(".veil") / "keyring.json"


class Settings(BaseSettings):
    """Where a deployment's files, databases and keys are; each field is ``VEIL_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="VEIL_", frozen=True, extra="ignore")

    project: Path = Field(default_factory=Path.cwd, description="The project folder.")
    config: Path = Field(default_factory=lambda data: data["project"] / CONFIG_NAME,
                         description="The deployment file.")
    database_url: str = Field(default_factory=lambda data: _sqlite(data["project"] / DATA_DB_NAME),
                              description="The data database (personal data, sealed).")
    keystore_url: str = Field(default_factory=lambda data: _sqlite(data["project"] / KEYS_DB_NAME),
                              description="The key database (wrapped data keys).")
    keyring: Path = Field(default_factory=lambda data: data["project"] / KEYRING_PATH,
                          description="The local keyring file of key-encryption keys.")
    kek: SecretStr | None = Field(default=None, description="Key-encryption keys '1:<base64>,...'; "
                                                            "when set they win over the keyring.")
    signing_seed: SecretStr | None = Field(default=None, description="Base64 seed of the signing key "
                                                                     "used with VEIL_KEK.")
    actor: str = Field(default="cli", min_length=1,
                       description="The principal (of veil.toml's [access]) the command line acts as.")
    upstream: str = Field(default="echo", description="Where `veil serve` forwards chat completions: an "
                                                      "OpenAI-compatible base URL, or echo.")
    upstream_key: SecretStr | None = Field(default=None, description="The upstream's API key (Bearer).")
    redis_url: str | None = Field(default=None, description="Redis for rate limits shared by workers.")

    @field_validator("project")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().absolute()

    @field_validator("config", "keyring")
    @classmethod
    def _in_project(cls, value: Path, info: ValidationInfo) -> Path:
        """A relative path is relative to the project folder, not to where the command runs."""
        project: Path = info.data.get("project", Path.cwd())
        value = value.expanduser()
        return value if value.is_absolute() else project / value


def _sqlite(path: Path) -> str:
    return f"sqlite:///{path}"


@dataclass(frozen=True)
class Deployment:
    """The ``[vault]`` table of ``veil.toml`` checked, and the whole file for the library to parse."""

    raw: Mapping[str, Any] = field(hash=False, repr=False)
    source: Path
    location: str
    profiles: tuple[str, ...]
    regions: tuple[str, ...] | None = None
    default_profile: str | None = None


def load_settings(project: Path | None = None) -> Settings:
    """The settings from ``VEIL_*``; ``project`` (``--project``) wins over ``VEIL_PROJECT``."""
    try:
        return Settings() if project is None else Settings(project=project)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "_".join(str(part) for part in first["loc"]).upper() or "settings"
        # pydantic's own text would quote the input value: name the setting and the rule only
        raise ConfigError(f"VEIL_{name} is invalid: {first['msg']}") from None


def load_deployment(settings: Settings) -> Deployment:
    """Read and check ``veil.toml``; the error says which file, which key and what to do."""
    path = settings.config
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"no {path.name} in {path.parent}: run `veil init`") from None
    except IsADirectoryError:
        raise ConfigError(f"{path} is a directory, not a veil.toml") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({type(exc).__name__})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    return _deployment(raw, path)


def _deployment(raw: dict[str, Any], path: Path) -> Deployment:
    vault = raw.get("vault")
    if not isinstance(vault, dict):
        raise ConfigError(f"{path}: missing table [vault] (with location and profiles)")
    unknown = sorted(set(vault) - {"location", "regions", "profiles", "default_profile"})
    if unknown:
        raise ConfigError(f"{path}: unknown key 'vault.{unknown[0]}'")
    return Deployment(
        raw=MappingProxyType(raw),
        source=path,
        location=_text(vault, "location", path, required=True) or "",
        profiles=_names(vault, "profiles", path, required=True) or (),
        regions=_names(vault, "regions", path, required=False),
        default_profile=_text(vault, "default_profile", path, required=False),
    )


def _text(table: Mapping[str, Any], key: str, path: Path, *, required: bool) -> str | None:
    value = table.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{path}: 'vault.{key}' must be a non-empty string")
    return value.strip()


def _names(table: Mapping[str, Any], key: str, path: Path, *, required: bool) -> tuple[str, ...] | None:
    value = table.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{path}: 'vault.{key}' must be a non-empty list of strings")
    return tuple(v.strip() for v in value)


__all__ = ["Deployment", "Settings", "load_deployment", "load_settings"]
