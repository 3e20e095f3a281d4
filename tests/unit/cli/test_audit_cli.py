"""``veil audit`` and ``veil token`` in a project folder (tmp_path)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from veil.audit import open_checkpoint
from veil.cli._context import open_vault
from veil.config import load_settings
from veil.storage.tables import audit_entries

from ._helpers import Invoke, Result, one_line

EMAIL = "ana.lima@example.org"


pytestmark = pytest.mark.usefixtures("in_tmp_path")


@pytest.fixture
def project(in_tmp_path: None, veil_cli: Invoke, tmp_path: Path) -> Path:
    assert veil_cli("init").exit_code == 0
    put = veil_cli("vault", "put", "customers", "c-1", "--purpose", "support", "--region", "EU", f"email={EMAIL}")
    assert put.exit_code == 0, put.output
    return tmp_path


def fails(result: Result, status: int) -> str:
    assert result.exit_code == status, result.output
    return one_line(result.stderr)


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def test_head_sign_prints_a_checkpoint_the_verifier_key_opens(veil_cli: Invoke, project: Path) -> None:
    assert "no signed tree head yet" in fails(veil_cli("audit", "head"), 1)
    note = ok(veil_cli("audit", "head", "--sign"))
    key = ok(veil_cli("audit", "key")).strip()
    checkpoint = open_checkpoint(note, key)
    assert checkpoint.size >= 2  # the subject and the record
    assert ok(veil_cli("audit", "head")) == note


def test_verify_passes_then_names_the_entry_edited_in_the_database(veil_cli: Invoke, project: Path) -> None:
    ok(veil_cli("audit", "head", "--sign"))
    assert "audit log verified" in ok(veil_cli("audit", "verify"))
    vault = open_vault(load_settings())
    try:
        with vault.data.write() as conn:
            conn.execute(sa.update(audit_entries).where(audit_entries.c.idx == 1).values(actor="mallory"))
    finally:
        vault.close()
    assert fails(veil_cli("audit", "verify"), 1) == (
        "error: audit log fails verification at entry 1: entry 1 does not match its leaf hash (edited or moved)"
    )


def test_a_witness_file_holds_exported_heads_and_verify_checks_them(veil_cli: Invoke, project: Path) -> None:
    witness = project / "witness.jsonl"
    ok(veil_cli("audit", "head", "--witness", str(witness)))
    ok(veil_cli("vault", "put", "customers", "c-1", "--purpose", "support", f"email=b.{EMAIL}"))
    ok(veil_cli("audit", "head", "--witness", str(witness)))
    assert len(witness.read_text().splitlines()) == 2
    # two heads stored, the same two held by the witness: four checked
    assert "4 signed heads checked" in ok(veil_cli("audit", "verify", "--witness", str(witness)))


def test_query_shows_metadata_only_and_filters(veil_cli: Invoke, project: Path) -> None:
    rows = json.loads(ok(veil_cli("audit", "query", "--action", "vault.put", "--format", "json")))
    assert [(r["action"], r["actor"], r["decision"], r["rule"]) for r in rows] == [
        ("vault.put", "cli", "allow", "owner-manages-everything")
    ]
    everything = ok(veil_cli("audit", "query", "--limit", "1000"))
    assert EMAIL not in everything
    assert "subject.add" in everything


def test_prove_and_check_need_only_the_proof_and_the_key(veil_cli: Invoke, project: Path) -> None:
    proof = project / "proof.json"
    proof.write_text(ok(veil_cli("audit", "prove", "1")))
    key = ok(veil_cli("audit", "key")).strip()
    assert "entry 1 is in the signed tree" in ok(veil_cli("audit", "check", str(proof), "--key", key))
    bundle = json.loads(proof.read_text())
    bundle["leaf_index"] = 0
    proof.write_text(json.dumps(bundle))
    assert "does not verify" in fails(veil_cli("audit", "check", str(proof), "--key", key), 1)
    proof.write_text("not json")
    assert "not a readable JSON proof" in fails(veil_cli("audit", "check", str(proof), "--key", key), 2)


def test_token_issue_list_revoke(veil_cli: Invoke, project: Path) -> None:
    issued = veil_cli("token", "issue", "support-app", "--scope", "vault:decrypt:customers", "--label", "tickets")
    secret = ok(issued).strip()
    assert secret.startswith("veil_")
    listed = json.loads(ok(veil_cli("token", "list", "--format", "json")))
    assert [(t["principal"], t["scopes"], t["label"]) for t in listed] == [
        ("support-app", "vault:decrypt:customers", "tickets")
    ]
    assert secret not in ok(veil_cli("token", "list")) + json.dumps(listed)
    token_id = listed[0]["token_id"]
    assert ok(veil_cli("token", "revoke", token_id)).strip() == f"token {token_id} revoked"
    assert json.loads(ok(veil_cli("token", "list", "--format", "json"))) == []
    assert len(json.loads(ok(veil_cli("token", "list", "--all", "--format", "json")))) == 1


def test_token_for_an_unknown_principal_or_scope_is_refused(veil_cli: Invoke, project: Path) -> None:
    assert "not in the access policy" in fails(veil_cli("token", "issue", "ghost", "--scope", "inference"), 1)
    assert "scope" in fails(veil_cli("token", "issue", "support-app", "--scope", "vault:raed:x"), 1)
    assert "--ttl" in fails(veil_cli("token", "issue", "support-app", "--scope", "inference", "--ttl", "0"), 2)


def test_an_actor_outside_the_policy_is_denied(veil_cli: Invoke, project: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VEIL_ACTOR", "support-app")  # may decrypt customers for support, not manage tokens
    assert fails(veil_cli("token", "list"), 1) == "error: access denied"
    assert fails(veil_cli("keys", "rotate"), 1) == "error: access denied"
