"""Residency: a subject's data is stored only where its profile (and the store) allows."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest

from tests.unit.vault._support import count, sibling, sqlite_only
from veil.errors import ResidencyViolation
from veil.storage import Database
from veil.storage.tables import data_keys, records, subjects
from veil.vault import ProfileSet, Vault, load_profile

Databases = tuple[Database, Database]


def _nothing_stored(databases: Databases) -> bool:
    data, keys = databases
    return count(data, subjects) == count(data, records) == count(keys, data_keys) == 0


def _localised_dpdp(tmp_path: Path) -> ProfileSet:
    """The shipped DPDP profile as a deployment in a localising sector edits it: stored in India only."""
    text = files("veil.vault").joinpath("profiles", "dpdp.toml").read_text(encoding="utf-8")
    text = re.sub(r'^id = "dpdp"', 'id = "dpdp-local"', text, count=1, flags=re.M)
    path = tmp_path / "dpdp-local.toml"
    path.write_text(text + '\n[residency]\nstore_locations = ["IN"]\n', encoding="utf-8")
    return ProfileSet.load(["gdpr", "uk-gdpr", "ccpa", str(path)])


@sqlite_only
def test_shipped_dpdp_profile_sets_no_residency_so_an_eu_store_may_hold_indian_subjects(vault: Vault) -> None:
    assert load_profile("dpdp").store_locations is None
    assert vault.add_subject("in1", "IN", actor="tester").region == "IN"


def test_store_outside_a_profiles_store_locations_refuses_its_subjects(
        vault: Vault, databases: Databases, tmp_path: Path) -> None:
    profiles = _localised_dpdp(tmp_path)
    eu_store = sibling(vault, profiles=profiles)
    with pytest.raises(ResidencyViolation) as caught:
        eu_store.add_subject("in1", "IN", actor="tester")
    assert "IN" in caught.value.message
    assert "EU" in caught.value.message
    assert caught.value.http_status == 403
    with pytest.raises(ResidencyViolation):
        eu_store.put("customers", "in1", {"email": "in1@example.org"}, purpose="support", region="IN", actor="tester")
    assert _nothing_stored(databases)
    assert eu_store.add_subject("de1", "DE", actor="tester").region == "DE"  # other profiles are unaffected


@pytest.mark.parametrize("location", ["IN", "IN-MH", "in"])
@sqlite_only
def test_store_inside_a_profiles_store_locations_holds_its_subjects(
        vault: Vault, tmp_path: Path, location: str) -> None:
    indian_store = sibling(vault, profiles=_localised_dpdp(tmp_path), location=location)
    record_id = indian_store.put("customers", "in1", {"email": "in1@example.org"}, purpose="support", region="IN", actor="tester")
    assert indian_store.get("customers", record_id, purpose="support", actor="tester").fields == {"email": "in1@example.org"}


def test_vault_limited_to_regions_refuses_a_subject_of_another_region(vault: Vault, databases: Databases) -> None:
    german_store = sibling(vault, regions={"DE"})
    with pytest.raises(ResidencyViolation, match="does not hold data of region FR"):
        german_store.add_subject("fr1", "FR", actor="tester")
    assert _nothing_stored(databases)
    german_store.add_subject("de1", "DE", actor="tester")
    vault.add_subject("fr1", "FR", actor="tester")  # registered by an unrestricted store on the same databases
    with pytest.raises(ResidencyViolation):
        german_store.put("customers", "fr1", {"email": "fr1@example.org"}, purpose="support", actor="tester")
    german_store.put("customers", "de1", {"email": "de1@example.org"}, purpose="support", actor="tester")
    assert count(databases[0], records) == 1


def test_write_for_an_eu_subject_to_a_store_located_in_the_us_is_refused(vault: Vault, databases: Databases) -> None:
    us_store = sibling(vault, location="US")
    vault.add_subject("de1", "DE", actor="tester")
    with pytest.raises(ResidencyViolation, match="in a store located in US"):
        us_store.put("customers", "de1", {"email": "de1@example.org"}, purpose="support", actor="tester")
    with pytest.raises(ResidencyViolation):
        us_store.put_many("tickets", [("de1", {"body": "b"})], purpose="support", actor="tester")
    with pytest.raises(ResidencyViolation):
        us_store.add_subject("fr1", "FR", actor="tester")
    with pytest.raises(ResidencyViolation):
        us_store.add_subject("gb1", "GB", actor="tester")  # uk-gdpr does not list the US either
    assert count(databases[0], records) == 0
    record_id = us_store.put("customers", "ca1", {"email": "ca1@example.org"}, purpose="support", region="US-CA", actor="tester")
    assert us_store.get("customers", record_id, purpose="support", actor="tester").subject_id == "ca1"


@sqlite_only
def test_batch_with_one_subject_the_store_may_not_hold_stores_nothing(vault: Vault, databases: Databases) -> None:
    vault.add_subject("de1", "DE", actor="tester")
    vault.add_subject("ca1", "US-CA", actor="tester")
    us_store = sibling(vault, location="US")
    with pytest.raises(ResidencyViolation):
        us_store.put_many("customers", [("ca1", {"email": "ca1@example.org"}), ("de1", {"email": "d@example.org"})],
                          purpose="support", actor="tester")
    assert count(databases[0], records) == 0


@sqlite_only
def test_eu_store_holds_uk_subjects_under_the_uk_adequacy_list(vault: Vault) -> None:
    record_id = vault.put("customers", "gb1", {"email": "gb1@example.org"}, purpose="support", region="GB", actor="tester")
    assert vault.get("customers", record_id, purpose="support", actor="tester").fields == {"email": "gb1@example.org"}


def test_update_of_an_eu_subjects_record_through_a_us_store_is_refused(vault: Vault) -> None:
    vault.add_subject("de1", "DE", actor="tester")
    record_id = vault.put("customers", "de1", {"email": "de1@example.org"}, purpose="support", actor="tester")
    with pytest.raises(ResidencyViolation):
        sibling(vault, location="US").update("customers", record_id, {"name": "Ana"}, purpose="support", actor="tester")


@sqlite_only
def test_region_allow_list_accepts_the_region_code_in_any_case(vault: Vault) -> None:
    assert sibling(vault, regions={"DE"}).add_subject("de1", "de", actor="tester").region in {"de", "DE"}
