"""``veil init``'s work: a project folder with veil.toml, a keyring, both databases and a .gitignore."""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from veil.cli._context import Which, migrate
from veil.config import Settings
from veil.crypto import LocalKeyring
from veil.errors import ConfigError

#: What must never be committed: the keyring and the databases with their WAL and journal files.
GITIGNORED = (".veil/", "veil.db*", "veil-keys.db*")
_GITIGNORE_HEADER = "# veil: keys and personal data never go into git"


def template() -> str:
    """The example deployment ``veil init`` writes."""
    return files("veil.vault").joinpath("templates", "veil.toml").read_text(encoding="utf-8")


def initialise(settings: Settings) -> list[str]:
    """Create everything a new project needs and say what was made; never overwrites anything.

    veil.toml is written last: an init that failed part-way can simply be run again.
    """
    config = settings.config
    if config.exists():
        raise ConfigError(f"{config} already exists: nothing was changed")
    settings.project.mkdir(parents=True, exist_ok=True)
    made = [ignore_in_git(settings.project)]
    if settings.kek is None and settings.keyring.exists():  # an init that stopped part-way: keep its keys
        made.append(f"kept {settings.keyring} (the keyring of an earlier init)")
    elif settings.kek is None:
        made.append(create_keyring(settings.keyring))
    databases: tuple[tuple[Which, str], ...] = (("data", settings.database_url),
                                                 ("keys", settings.keystore_url))
    for which, url in databases:
        made.append(f"migrated the {which} database to revision {migrate(url, which)}")
    write_new(config, template())
    made.append(f"created {config}")
    return made


def create_keyring(path: Path) -> str:
    """A new keyring (mode 0600) in a folder only its owner may enter (0700)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    LocalKeyring.create(path)
    return f"created {path} (key-encryption keys: back it up apart from the databases)"


def ignore_in_git(project: Path) -> str:
    """Append the patterns of keys and databases to ``project/.gitignore`` (creating it)."""
    path = project / ".gitignore"
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    present = {line.strip() for line in existing.splitlines()}
    missing = [pattern for pattern in GITIGNORED if pattern not in present]
    if missing:
        lead = "\n" if existing and not existing.endswith("\n") else ""
        block = "\n".join([_GITIGNORE_HEADER, *missing])
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"{lead}{block}\n")
    done = "created" if not existing else "updated" if missing else "kept"
    return f"{done} {path} (keys and databases stay out of git)"


def write_new(path: Path, text: str) -> None:
    """Write a file that must not exist yet (a concurrent ``veil init`` loses, not overwrites)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise ConfigError(f"{path} already exists: nothing was overwritten") from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)

