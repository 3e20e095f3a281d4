"""``veil init``, ``db``, ``keys``, ``retention``, ``vault`` and ``dsr`` run in a project folder (tmp_path)."""

from __future__ import annotations

import json
import secrets
import stat
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import typer

from tests.conftest import POSTGRES_URL, Canary, postgres_unavailable
from veil.cli import app
from veil.cli._context import open_vault
from veil.cli._project import template
from veil.config import load_deployment, load_settings
from veil.crypto import LocalKeyring, generate_env_key
from veil.dsr import DataSubjectRequests, Receipt, verify_receipt
from veil.vault import ProfileSet, VaultSchema

from ._helpers import Invoke, Result, one_line

EMAIL = "ana.lima@example.org"


pytestmark = pytest.mark.usefixtures("in_tmp_path")


@pytest.fixture
def project(in_tmp_path: None, veil_cli: Invoke, tmp_path: Path) -> Path:
    result = veil_cli("init")
    assert result.exit_code == 0, result.output
    return tmp_path


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def put(veil_cli: Invoke, *values: str, subject: str = "c-1") -> str:
    """Store a customer (registering the subject in the EU) and return the record id."""
    record_id = ok(veil_cli("vault", "put", "customers", subject, "--purpose", "support", "--region", "EU",
                            *values)).strip()
    assert len(record_id) == 32
    return record_id


def get(veil_cli: Invoke, record_id: str, purpose: str = "support") -> dict[str, object]:
    fields: dict[str, object] = json.loads(ok(veil_cli("vault", "get", "customers", record_id,
                                                       "--purpose", purpose)))["fields"]
    return fields


def open_request(veil_cli: Invoke, kind: str, subject: str = "c-1") -> str:
    request = json.loads(ok(veil_cli("dsr", "open", subject, kind, "--format", "json")))
    assert (request["kind"], request["status"], request["profile"]) == (kind, "open", "gdpr")
    return str(request["request_id"])


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- init ----------------------------------------------------------------------------------

def test_init_creates_a_private_keyring_databases_and_a_gitignore(veil_cli: Invoke, tmp_path: Path) -> None:
    result = veil_cli("init")
    assert result.exit_code == 0, result.output
    assert mode(tmp_path / ".veil") == 0o700
    assert mode(tmp_path / ".veil" / "keyring.json") == 0o600
    assert mode(tmp_path / "veil.db") == 0o600
    assert mode(tmp_path / "veil-keys.db") == 0o600
    assert (tmp_path / "veil.toml").read_text(encoding="utf-8") == template()
    ignored = (tmp_path / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert {".veil/", "veil.db*", "veil-keys.db*"} <= set(ignored)
    assert "next: veil vault put" in result.stdout


def test_init_of_a_new_folder_keeps_an_existing_gitignore(veil_cli: Invoke, tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / ".gitignore").write_text("node_modules/", encoding="utf-8")
    ok(veil_cli("init", "app"))
    lines = (tmp_path / "app" / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "node_modules/"
    assert lines.count(".veil/") == 1
    assert (tmp_path / "app" / "veil.toml").is_file()
    assert not (tmp_path / "veil.toml").exists()


def test_a_second_init_is_refused_and_changes_nothing(veil_cli: Invoke, project: Path) -> None:
    keyring = (project / ".veil" / "keyring.json").read_bytes()
    result = veil_cli("init")
    assert result.exit_code == 1
    assert one_line(result.stderr) == f"error: {project / 'veil.toml'} already exists: nothing was changed"
    assert (project / ".veil" / "keyring.json").read_bytes() == keyring


def test_an_init_that_stopped_part_way_runs_again_and_keeps_the_keyring(veil_cli: Invoke, project: Path) -> None:
    keyring = (project / ".veil" / "keyring.json").read_bytes()
    record_id = put(veil_cli, f"email={EMAIL}")
    (project / "veil.toml").unlink()  # veil.toml is written last: as if init had stopped before it
    assert "kept" in ok(veil_cli("init"))
    assert (project / ".veil" / "keyring.json").read_bytes() == keyring
    assert (project / ".gitignore").read_text(encoding="utf-8").count(".veil/") == 1
    assert get(veil_cli, record_id) == {"email": EMAIL}


def test_the_template_is_a_valid_deployment(tmp_path: Path) -> None:
    (tmp_path / "veil.toml").write_text(template(), encoding="utf-8")
    deployment = load_deployment(load_settings())
    ProfileSet.load(list(deployment.profiles), deployment.default_profile)
    schema = VaultSchema.from_mapping(tomllib.loads(template()), source="templates/veil.toml")
    assert set(schema.purposes) == {"support", "marketing", "training"}
    customers = schema.collection("customers")
    assert customers.fields["email"].lookup
    assert customers.fields["notes"].redact is not None
    assert deployment.location == "EU"


# -- vault put / get -------------------------------------------------------------------------

def test_put_then_get_round_trips_and_put_prints_only_the_id(veil_cli: Invoke, project: Path) -> None:
    record_id = put(veil_cli, f"email={EMAIL}", "name=Ana Lima")
    assert get(veil_cli, record_id) == {"email": EMAIL, "name": "Ana Lima"}


def test_a_string_field_keeps_text_that_looks_like_json(veil_cli: Invoke, project: Path) -> None:
    record_id = put(veil_cli, f"email={EMAIL}", "name=123")
    assert get(veil_cli, record_id)["name"] == "123"


def test_get_shows_only_the_fields_of_the_purpose(veil_cli: Invoke, project: Path) -> None:
    record_id = put(veil_cli, f"email={EMAIL}", "notes=prefers mornings")
    result = veil_cli("vault", "get", "customers", record_id, "--purpose", "training")
    assert result.exit_code == 1  # GDPR: training needs consent, and none was given
    assert "no current consent" in one_line(result.stderr)


def test_free_text_is_redacted_before_it_is_stored(veil_cli: Invoke, project: Path, canary_pii: Canary) -> None:
    record_id = put(veil_cli, f"email={EMAIL}", f"notes=card {canary_pii.card}, mail {canary_pii.email}")
    canary_pii.assert_absent(str(get(veil_cli, record_id)["notes"]))


def test_the_project_option_finds_the_project_from_elsewhere(veil_cli: Invoke, project: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    record_id = put(veil_cli, f"email={EMAIL}")
    monkeypatch.chdir(project.parent)
    result = veil_cli("vault", "get", "customers", record_id, "--purpose", "support", "--project", str(project))
    assert json.loads(ok(result))["fields"] == {"email": EMAIL}
    env = {"VEIL_PROJECT": str(project)}
    assert json.loads(ok(veil_cli("vault", "get", "customers", record_id, "--purpose", "support", env=env)))


def test_an_unknown_collection_is_one_line_naming_it(veil_cli: Invoke, project: Path) -> None:
    result = veil_cli("vault", "put", "orders", "c-1", "--purpose", "support", "total=3")
    assert result.exit_code == 1
    assert one_line(result.stderr) == "error: collection 'orders' is not declared"


def test_a_value_without_a_field_name_is_a_usage_error(veil_cli: Invoke, project: Path) -> None:
    result = veil_cli("vault", "put", "customers", "c-1", "--purpose", "support", EMAIL)
    assert result.exit_code == 2
    assert one_line(result.stderr) == "error: field values must be given as FIELD=VALUE"
    assert EMAIL not in result.output


def test_failures_never_echo_the_values(veil_cli: Invoke, project: Path, canary_pii: Canary) -> None:
    runs = [
        veil_cli("vault", "put", "customers", "c-1", "--purpose", "support", f"phone={canary_pii.phone}"),
        veil_cli("vault", "put", "customers", "c-1", "--purpose", "support", f"email={canary_pii.email}"),
        veil_cli("vault", "put", "customers", canary_pii.email, "--purpose", "support", "--region", "EU",
                 f"email={canary_pii.email}"),
        veil_cli("vault", "put", "customers", "c-1", "--purpose", "marketing", "--region", "EU",
                 f"email={canary_pii.email}"),
    ]
    assert [run.exit_code for run in runs] == [1, 1, 1, 1]
    for run in runs:
        one_line(run.stderr)
    canary_pii.assert_absent(*(run.output for run in runs))


# -- keys ------------------------------------------------------------------------------------

def keys_status(veil_cli: Invoke) -> dict[str, object]:
    status: dict[str, object] = json.loads(ok(veil_cli("keys", "status", "--format", "json")))
    return status


def test_rotate_keeps_records_readable_and_frees_the_old_version(veil_cli: Invoke, project: Path) -> None:
    record_id = put(veil_cli, f"email={EMAIL}")
    assert "version 2 is current" in ok(veil_cli("keys", "rotate"))
    assert get(veil_cli, record_id) == {"email": EMAIL}
    status = keys_status(veil_cli)
    assert status["current"] == 2
    assert status["versions"] == [{"version": 1, "current": False, "wrapped_keys": 0},
                                  {"version": 2, "current": True, "wrapped_keys": 2}]
    assert "version 1 destroyed" in ok(veil_cli("keys", "retire", "1"))
    assert get(veil_cli, record_id) == {"email": EMAIL}
    assert [v["version"] for v in keys_status(veil_cli)["versions"]] == [2]  # type: ignore[attr-defined]


def test_retiring_the_current_version_fails_on_one_line(veil_cli: Invoke, project: Path) -> None:
    record_id = put(veil_cli, f"email={EMAIL}")
    result = veil_cli("keys", "retire", "1")
    assert result.exit_code == 1
    assert one_line(result.stderr).startswith("error: key-encryption key version 1 still wraps")
    assert get(veil_cli, record_id) == {"email": EMAIL}


def test_an_epoch_rewraps_and_destroys_older_versions(veil_cli: Invoke, project: Path) -> None:
    record_id = put(veil_cli, f"email={EMAIL}")
    assert "epoch 1: key-encryption key version 2" in ok(veil_cli("keys", "epoch"))
    status = keys_status(veil_cli)
    assert (status["epoch"], status["current"]) == (1, 2)
    assert get(veil_cli, record_id) == {"email": EMAIL}


def test_keys_status_table_names_versions_and_epoch(veil_cli: Invoke, project: Path) -> None:
    out = ok(veil_cli("keys", "status"))
    assert "current 1, epoch 0" in out
    assert "wrapped_keys" in out


def test_a_kek_from_the_environment_wins_over_the_keyring(veil_cli: Invoke, project: Path) -> None:
    env = {"VEIL_KEK": generate_env_key()}
    (project / ".veil" / "keyring.json").unlink()  # not needed, so not read
    record_id = ok(veil_cli("vault", "put", "customers", "c-9", "--purpose", "support", "--region", "EU",
                            f"email={EMAIL}", env=env)).strip()
    assert json.loads(ok(veil_cli("vault", "get", "customers", record_id, "--purpose", "support", env=env)))
    rotate = veil_cli("keys", "rotate", env=env)
    assert rotate.exit_code == 1
    assert "VEIL_KEK" in one_line(rotate.stderr)


def test_a_malformed_kek_fails_on_one_line_without_its_value(veil_cli: Invoke, project: Path) -> None:
    value = "1:" + secrets.token_urlsafe(20)
    result = veil_cli("keys", "status", env={"VEIL_KEK": value})
    assert result.exit_code == 1
    assert one_line(result.stderr).startswith("error: VEIL_KEK entry 1 must be")
    assert value not in result.output
    assert value[2:] not in result.output


# -- retention -------------------------------------------------------------------------------

def test_a_sweep_far_in_the_future_removes_the_records(veil_cli: Invoke, project: Path) -> None:
    first, _ = put(veil_cli, f"email={EMAIL}"), put(veil_cli, "email=b@example.org", subject="c-2")
    assert "none" in ok(veil_cli("retention", "sweep"))
    report = json.loads(ok(veil_cli("retention", "sweep", "--now", "2100-01-01T00:00:00Z", "--format", "json")))
    assert (report["removed"], report["total"]) == ({"customers": 2}, 2)
    assert report["at"] == "2100-01-01T00:00:00+00:00"
    gone = veil_cli("vault", "get", "customers", first, "--purpose", "support")
    assert (gone.exit_code, one_line(gone.stderr)) == (1, f"error: record {first} not found in 'customers'")


def test_a_sweep_table_counts_per_collection_and_a_naive_time_is_utc(veil_cli: Invoke, project: Path) -> None:
    put(veil_cli, f"email={EMAIL}")
    out = ok(veil_cli("retention", "sweep", "--now", "2100-01-01T00:00"))
    assert "records past retention at 2100-01-01T00:00:00+00:00" in out
    assert "customers" in out
    assert " 1 " in out


def test_a_sweep_time_that_is_not_iso_8601_is_a_usage_error(veil_cli: Invoke, project: Path) -> None:
    result = veil_cli("retention", "sweep", "--now", "next tuesday")
    assert result.exit_code == 2
    assert one_line(result.stderr).startswith("error: --now must be an ISO 8601 date-time")


# -- dsr -------------------------------------------------------------------------------------

def test_open_then_list_by_status(veil_cli: Invoke, project: Path) -> None:
    put(veil_cli, f"email={EMAIL}")
    request_id = open_request(veil_cli, "access")
    listed = json.loads(ok(veil_cli("dsr", "list", "--status", "open", "--format", "json")))
    assert [r["request_id"] for r in listed] == [request_id]
    assert json.loads(ok(veil_cli("dsr", "list", "--status", "completed", "--format", "json"))) == []
    assert request_id in ok(veil_cli("dsr", "list"))


def test_a_request_for_an_unknown_subject_needs_its_region(veil_cli: Invoke, project: Path) -> None:
    refused = veil_cli("dsr", "open", "c-404", "access")
    assert (refused.exit_code, "give the region" in one_line(refused.stderr)) == (1, True)
    opened = json.loads(ok(veil_cli("dsr", "open", "c-404", "access", "--region", "GB", "--format", "json")))
    assert opened["profile"] == "uk-gdpr"


def test_an_unknown_kind_is_a_usage_error(veil_cli: Invoke, project: Path) -> None:
    assert veil_cli("dsr", "open", "c-1", "deletion").exit_code == 2


def test_overdue_lists_late_requests_and_fails(veil_cli: Invoke, project: Path) -> None:
    put(veil_cli, f"email={EMAIL}")
    assert "overdue requests: none" in ok(veil_cli("dsr", "overdue"))
    vault = open_vault(load_settings())
    try:  # the command line only opens requests received now: a late one comes from the library
        late = DataSubjectRequests(vault).open("c-1", "access", received_at=datetime.now(UTC) - timedelta(days=45),
                                                  actor="cli")
    finally:
        vault.data.dispose()
        vault.keys.db.dispose()
    open_request(veil_cli, "erasure")
    result = veil_cli("dsr", "overdue", "--format", "json")
    assert result.exit_code == 1
    assert [r["request_id"] for r in json.loads(result.stdout)] == [late.request_id]


def test_extend_moves_the_deadline_once(veil_cli: Invoke, project: Path) -> None:
    put(veil_cli, f"email={EMAIL}")
    request_id = open_request(veil_cli, "access")
    assert f"request {request_id} extended: due" in ok(veil_cli("dsr", "extend", request_id))
    listed = json.loads(ok(veil_cli("dsr", "list", "--status", "extended", "--format", "json")))
    assert [(r["request_id"], r["extended"]) for r in listed] == [(request_id, True)]
    again = veil_cli("dsr", "extend", request_id)
    assert (again.exit_code, "already extended" in one_line(again.stderr)) == (1, True)


def test_export_writes_a_private_json_file_with_the_record(veil_cli: Invoke, project: Path) -> None:
    record_id = put(veil_cli, f"email={EMAIL}", "name=Ana Lima")
    request_id = open_request(veil_cli, "access")
    target = project / "export.json"
    result = veil_cli("dsr", "export", request_id, "--output", str(target))
    assert (result.exit_code, result.stdout) == (0, "")
    assert mode(target) == 0o600
    bundle = json.loads(target.read_text(encoding="utf-8"))
    assert bundle["request_id"] == request_id
    [record] = bundle["collections"]["customers"]
    assert (record["record_id"], record["fields"]) == (record_id, {"email": EMAIL, "name": "Ana Lima"})
    listed = json.loads(ok(veil_cli("dsr", "list", "--status", "completed", "--format", "json")))
    assert [r["request_id"] for r in listed] == [request_id]


def test_export_to_stdout_and_never_over_an_existing_file(veil_cli: Invoke, project: Path) -> None:
    put(veil_cli, f"email={EMAIL}")
    request_id = open_request(veil_cli, "portability")
    (project / "taken.json").write_text("{}", encoding="utf-8")
    refused = veil_cli("dsr", "export", request_id, "-o", "taken.json")
    assert (refused.exit_code, "already exists" in one_line(refused.stderr)) == (1, True)
    unwritable = veil_cli("dsr", "export", request_id, "-o", str(project / "missing" / "export.json"))
    assert (unwritable.exit_code, "cannot create" in one_line(unwritable.stderr)) == (1, True)
    assert (project / "taken.json").read_text(encoding="utf-8") == "{}"
    bundle = json.loads(ok(veil_cli("dsr", "export", request_id)))  # still open: the refusals changed nothing
    assert bundle["subject"]["subject_id"] == "c-1"


def test_a_failed_export_leaves_no_file(veil_cli: Invoke, project: Path) -> None:
    put(veil_cli, f"email={EMAIL}")
    erasure = open_request(veil_cli, "erasure")
    result = veil_cli("dsr", "export", erasure, "-o", "export.json")
    assert (result.exit_code, "is an erasure request" in one_line(result.stderr)) == (1, True)
    assert not (project / "export.json").exists()


def test_erase_prints_a_receipt_that_verifies(veil_cli: Invoke, project: Path) -> None:
    record_id = put(veil_cli, f"email={EMAIL}")
    request_id = open_request(veil_cli, "erasure")
    out = ok(veil_cli("dsr", "erase", request_id))
    receipt = Receipt.from_json(out)
    signer = LocalKeyring.open(project / ".veil" / "keyring.json").signer()
    assert verify_receipt(receipt, signer.public_key())
    assert (receipt.payload["request_id"], receipt.payload["records"]) == (request_id, {"customers": 1})
    assert EMAIL not in out
    gone = veil_cli("vault", "get", "customers", record_id, "--purpose", "support")
    assert gone.exit_code == 1


def test_rectify_changes_the_fields_and_prints_a_receipt(veil_cli: Invoke, project: Path) -> None:
    record_id = put(veil_cli, f"email={EMAIL}", "name=Ana")
    request_id = open_request(veil_cli, "rectification")
    out = ok(veil_cli("dsr", "rectify", request_id, "customers", record_id, "name=Ana Lima", "notes=null"))
    receipt = Receipt.from_json(out)
    assert verify_receipt(receipt)
    assert receipt.payload["fields"] == ["name", "notes"]
    assert "Ana Lima" not in out
    assert get(veil_cli, record_id) == {"email": EMAIL, "name": "Ana Lima"}


def test_reject_needs_a_reason_code(veil_cli: Invoke, project: Path) -> None:
    put(veil_cli, f"email={EMAIL}")
    request_id = open_request(veil_cli, "access")
    assert veil_cli("dsr", "reject", request_id).exit_code == 2
    free_text = veil_cli("dsr", "reject", request_id, "--reason", "because")
    assert (free_text.exit_code, "reason must be one of" in one_line(free_text.stderr)) == (1, True)
    assert "rejected (excessive)" in ok(veil_cli("dsr", "reject", request_id, "--reason", "excessive"))
    assert json.loads(ok(veil_cli("dsr", "list", "--status", "rejected", "--format", "json")))


def test_a_malformed_request_id_is_one_line(veil_cli: Invoke, project: Path) -> None:
    result = veil_cli("dsr", "erase", "not-a-uuid")
    assert (result.exit_code, one_line(result.stderr)) == (1, "error: request id must be a lower-case UUID")


def test_listings_and_receipts_never_show_values(veil_cli: Invoke, project: Path, canary_pii: Canary) -> None:
    put(veil_cli, f"email={canary_pii.email}", f"name={canary_pii.phone}")
    request_id = open_request(veil_cli, "erasure")
    outputs = [ok(veil_cli(*args)) for args in (("dsr", "list"), ("dsr", "list", "--format", "json"),
                                                ("keys", "status"), ("retention", "sweep"),
                                                ("dsr", "erase", request_id))]
    canary_pii.assert_absent(*outputs)


# -- configuration and databases -------------------------------------------------------------

def test_without_veil_toml_the_fix_is_veil_init(veil_cli: Invoke, tmp_path: Path) -> None:
    result = veil_cli("vault", "get", "customers", "r-1", "--purpose", "support")
    assert result.exit_code == 1
    assert one_line(result.stderr) == f"error: no veil.toml in {tmp_path}: run `veil init`"


def test_without_migrated_databases_the_fix_is_db_upgrade(veil_cli: Invoke, tmp_path: Path) -> None:
    (tmp_path / "veil.toml").write_text(template(), encoding="utf-8")
    result = veil_cli("keys", "status")
    assert (result.exit_code, one_line(result.stderr)) == (
        1, "error: database is not initialised: run `veil db upgrade`")
    assert not (tmp_path / "veil.db").exists()  # refusing created nothing
    assert ok(veil_cli("db", "upgrade")).splitlines() == ["data database at revision 0003",
                                                          "keys database at revision 0001"]
    assert mode(tmp_path / "veil.db") == 0o600
    assert ok(veil_cli("keys", "init")).startswith("created")
    assert "current 1" in ok(veil_cli("keys", "status"))


def test_db_upgrade_is_idempotent(veil_cli: Invoke, project: Path) -> None:
    assert "data database at revision" in ok(veil_cli("db", "upgrade"))


@pytest.fixture
def postgres_databases() -> Iterator[dict[str, str]]:
    """Two fresh PostgreSQL databases, dropped afterwards; their URLs as VEIL_* variables."""
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    name = f"veil_cli_{secrets.token_hex(4)}"
    names = (name, f"{name}_keys")
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for database in names:
            conn.exec_driver_sql(f"CREATE DATABASE {database}")
    base = POSTGRES_URL.rsplit("/", 1)[0]
    try:
        yield {"VEIL_DATABASE_URL": f"{base}/{names[0]}", "VEIL_KEYSTORE_URL": f"{base}/{names[1]}"}
    finally:
        with admin.connect() as conn:
            for database in names:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        admin.dispose()


def test_db_upgrade_migrates_postgresql(veil_cli: Invoke, tmp_path: Path,
                                        postgres_databases: dict[str, str]) -> None:
    result = veil_cli("db", "upgrade", env=postgres_databases)
    assert ok(result).splitlines() == ["data database at revision 0003", "keys database at revision 0001"]
    assert "postgres" not in result.output  # URLs may hold passwords: never printed
    (tmp_path / "veil.toml").write_text(template(), encoding="utf-8")
    env = {**postgres_databases, "VEIL_KEK": generate_env_key()}
    record_id = ok(veil_cli("vault", "put", "customers", "c-1", "--purpose", "support", "--region", "EU",
                            f"email={EMAIL}", env=env)).strip()
    got = json.loads(ok(veil_cli("vault", "get", "customers", record_id, "--purpose", "support", env=env)))
    assert got["fields"] == {"email": EMAIL}
    assert not (tmp_path / "veil.db").exists()


# -- help ------------------------------------------------------------------------------------

def test_every_vault_command_and_option_has_help_text() -> None:
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    groups = {"db", "keys", "retention", "vault", "dsr"}
    assert groups | {"init"} <= set(commands)
    assert {"status", "rotate", "retire", "epoch"} <= set(commands["keys"].commands)
    assert {"open", "list", "overdue", "extend", "export", "erase", "rectify", "reject"} <= set(
        commands["dsr"].commands)
    for name in sorted(groups):
        assert commands[name].help, name
        for sub, command in commands[name].commands.items():
            assert command.help, f"{name} {sub}"
            for param in command.params:
                assert getattr(param, "help", None), f"{name} {sub} {param.name}"
