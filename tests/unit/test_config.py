"""Settings from VEIL_* and the deployment file: defaults in the project folder, errors that name keys only."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from veil.config import Deployment, Settings, load_deployment, load_settings
from veil.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEK = "1:c2VjcmV0LWtlay12YWx1ZS10aGF0LW11c3Qtbm90LWxlYWs="


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No VEIL_* from the machine running the tests; the project is tmp_path unless a test says otherwise."""
    for name in [n for n in os.environ if n.startswith("VEIL_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def write_config(path: Path, text: str) -> Settings:
    path.write_text(text, encoding="utf-8")
    return load_settings(path.parent)


VAULT = '[vault]\nlocation = "EU"\nprofiles = ["gdpr"]\n'


def test_defaults_live_in_the_current_directory(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.project == tmp_path
    assert settings.config == tmp_path / "veil.toml"
    assert settings.database_url == f"sqlite:///{tmp_path}/veil.db"
    assert settings.keystore_url == f"sqlite:///{tmp_path}/veil-keys.db"
    assert settings.keyring == tmp_path / ".veil" / "keyring.json"
    assert settings.kek is None
    assert settings.actor == "cli"


def test_veil_project_moves_every_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VEIL_PROJECT", str(tmp_path / "app"))
    settings = load_settings()
    assert settings.config == tmp_path / "app" / "veil.toml"
    assert settings.database_url == f"sqlite:///{tmp_path}/app/veil.db"


def test_an_explicit_project_wins_over_veil_project(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VEIL_PROJECT", str(tmp_path / "env"))
    assert load_settings(tmp_path / "flag").keyring == tmp_path / "flag" / ".veil" / "keyring.json"


def test_environment_overrides_and_relative_paths_are_in_the_project(monkeypatch: pytest.MonkeyPatch,
                                                                     tmp_path: Path) -> None:
    monkeypatch.setenv("VEIL_DATABASE_URL", "postgresql+psycopg://db/veil")
    monkeypatch.setenv("VEIL_KEYSTORE_URL", "postgresql+psycopg://keys/veil")
    monkeypatch.setenv("VEIL_CONFIG", "deploy/veil.toml")
    monkeypatch.setenv("VEIL_KEYRING", "/secure/keyring.json")
    monkeypatch.setenv("VEIL_ACTOR", "ops@example")
    settings = load_settings(tmp_path / "p")
    assert settings.database_url == "postgresql+psycopg://db/veil"
    assert settings.keystore_url == "postgresql+psycopg://keys/veil"
    assert settings.config == tmp_path / "p" / "deploy" / "veil.toml"
    assert settings.keyring == Path("/secure/keyring.json")
    assert settings.actor == "ops@example"


def test_the_kek_is_a_secret_that_repr_never_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VEIL_KEK", SECRET_KEK)
    settings = load_settings()
    assert settings.kek is not None
    assert settings.kek.get_secret_value() == SECRET_KEK
    assert SECRET_KEK not in repr(settings)
    assert SECRET_KEK not in str(settings)


def test_an_invalid_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VEIL_ACTOR", "")
    with pytest.raises(ConfigError, match=r"^VEIL_ACTOR is invalid"):
        load_settings()


def test_missing_veil_toml_says_run_veil_init(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_deployment(load_settings())
    assert caught.value.message == f"no veil.toml in {tmp_path}: run `veil init`"


def test_a_deployment_with_every_key(tmp_path: Path) -> None:
    settings = write_config(tmp_path / "veil.toml", '[vault]\nlocation = "DE"\nprofiles = ["gdpr", "ccpa"]\n'
                            'regions = ["DE", "US-CA"]\ndefault_profile = "gdpr"\n')
    deployment = load_deployment(settings)
    assert deployment == Deployment(raw=deployment.raw, source=tmp_path / "veil.toml", location="DE",
                                    profiles=("gdpr", "ccpa"), regions=("DE", "US-CA"), default_profile="gdpr")
    assert deployment.raw["vault"]["location"] == "DE"


def test_optional_keys_may_be_left_out(tmp_path: Path) -> None:
    deployment = load_deployment(write_config(tmp_path / "veil.toml", VAULT))
    assert (deployment.location, deployment.profiles) == ("EU", ("gdpr",))
    assert deployment.regions is None
    assert deployment.default_profile is None


def test_the_shipped_fixture_is_a_valid_deployment() -> None:
    deployment = load_deployment(load_settings(ROOT / "tests" / "fixtures"))
    assert deployment.location == "EU"
    assert "collections" in deployment.raw


@pytest.mark.parametrize(("text", "message"), [
    ('[purposes.a]\nlegal_basis = "consent"\n', "missing table [vault]"),
    ('[vault]\nprofiles = ["gdpr"]\n', "'vault.location' must be a non-empty string"),
    ('[vault]\nlocation = "EU"\n', "'vault.profiles' must be a non-empty list of strings"),
    ('[vault]\nlocation = "EU"\nprofiles = "gdpr"\n', "'vault.profiles' must be a non-empty list of strings"),
    (VAULT + "regions = []\n", "'vault.regions' must be a non-empty list of strings"),
    (VAULT + "default_profile = 3\n", "'vault.default_profile' must be a non-empty string"),
    (VAULT + 'colour = "blue"\n', "unknown key 'vault.colour'"),
    ("[vault\n", "not valid TOML"),
])
def test_bad_deployments_name_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    settings = write_config(tmp_path / "veil.toml", text)
    with pytest.raises(ConfigError) as caught:
        load_deployment(settings)
    assert caught.value.message.startswith(f"{tmp_path / 'veil.toml'}: ")
    assert message in caught.value.message


def test_a_directory_is_not_a_deployment_file(tmp_path: Path) -> None:
    (tmp_path / "veil.toml").mkdir()
    with pytest.raises(ConfigError, match="is a directory"):
        load_deployment(load_settings())


def test_config_sits_at_the_bottom_of_the_house() -> None:
    """config imports the standard library, pydantic and veil.errors only: never vault, storage or crypto."""
    tree = ast.parse((ROOT / "src" / "veil" / "config.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    veil_modules = {name for name in imported if name.split(".")[0] == "veil"}
    assert veil_modules <= {"veil.errors"}
    third_party = {name.split(".")[0] for name in imported} - {"veil", "__future__"}
    assert third_party <= {"pydantic", "pydantic_settings", "tomllib", "collections", "dataclasses", "pathlib",
                           "types", "typing"}
