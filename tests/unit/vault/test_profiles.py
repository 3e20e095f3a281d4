from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from importlib.resources import files
from pathlib import Path

import pytest

from veil.errors import ConfigError, InvalidInput
from veil.vault._profiles import ProfileSet, RegulationProfile, load_profile, shipped_profiles
from veil.vault._taxonomy import Category, ConsentModel, LegalBasis

RECEIVED = datetime(2026, 1, 10, 9, 30, tzinfo=UTC)

MINIMAL = """\
id = "custom"
name = "Custom profile"
regions = ["ZZ"]

[requests]
deadline_days = 30
extension_days = 10
extension_rule = "ten more days"

[retention]
max_days = 100

[retention.categories]
health = 200
location = 50

[consent]
opt_in = ["training"]
opt_out = ["analytics"]

[residency]
store_locations = ["ZZ", "DE"]
"""


def _write(tmp_path: Path, text: str, name: str = "custom.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _shipped_for_regions(profile_id: str, regions: str) -> str:
    """A shipped profile's text with its regions replaced: a deployment's own copy."""
    text = files("veil.vault").joinpath("profiles").joinpath(f"{profile_id}.toml").read_text(encoding="utf-8")
    return re.sub(r"^regions = \[.*?\]", f"regions = {regions}", text, count=1, flags=re.M | re.S)


def test_shipped_profiles_are_the_five_regulations() -> None:
    assert shipped_profiles() == ["ccpa", "cppa", "dpdp", "gdpr", "uk-gdpr"]


@pytest.mark.parametrize("profile_id", ["ccpa", "cppa", "dpdp", "gdpr", "uk-gdpr"])
def test_every_shipped_profile_loads_with_its_own_id(profile_id: str) -> None:
    profile = load_profile(profile_id)
    assert profile.id == profile_id
    assert profile.regions
    assert profile.deadline_days > 0
    assert profile.extension_rule
    assert not profile.opt_in & profile.opt_out


def test_all_shipped_profiles_fit_in_one_set_without_region_clashes() -> None:
    profiles = ProfileSet.load(shipped_profiles())
    assert {profiles.for_region(code).id for code in ("DE", "GB", "US-CA", "CA-ON", "IN")} == {
        "gdpr", "uk-gdpr", "ccpa", "cppa", "dpdp"}


def test_gdpr_deadline_is_30_days_and_90_with_the_extension() -> None:
    gdpr = load_profile("gdpr")
    assert gdpr.request_deadline(RECEIVED) == datetime(2026, 2, 9, 9, 30, tzinfo=UTC)
    assert gdpr.request_deadline(RECEIVED, extended=True) == RECEIVED + timedelta(days=90)


def test_deadline_is_returned_in_utc_and_refuses_naive_times() -> None:
    gdpr = load_profile("gdpr")
    paris = RECEIVED.astimezone(timezone(timedelta(hours=1)))
    assert gdpr.request_deadline(paris).tzinfo is UTC
    assert gdpr.request_deadline(paris) == RECEIVED + timedelta(days=30)
    with pytest.raises(InvalidInput, match="timezone-aware"):
        gdpr.request_deadline(datetime(2026, 1, 10))


def test_shipped_deadlines_per_regulation() -> None:
    days = {pid: (load_profile(pid).deadline_days, load_profile(pid).extension_days)
            for pid in shipped_profiles()}
    assert days == {"gdpr": (30, 60), "uk-gdpr": (30, 60), "ccpa": (45, 45),
                    "cppa": (30, 30), "dpdp": (90, 0)}


def test_extension_is_refused_where_the_profile_allows_none() -> None:
    with pytest.raises(InvalidInput, match="dpdp"):
        load_profile("dpdp").request_deadline(RECEIVED, extended=True)


def test_switching_a_region_from_gdpr_to_ccpa_changes_deadline_and_consent_without_code(
        tmp_path: Path) -> None:
    path = tmp_path / "deployment-profile.toml"

    def decide() -> tuple[datetime, ConsentModel]:  # the deployment's code, unchanged between runs
        profile = ProfileSet.load([str(path)]).for_region("ZZ")
        return (profile.request_deadline(RECEIVED),
                profile.consent_model("training", LegalBasis.LEGITIMATE_INTERESTS))

    path.write_text(_shipped_for_regions("gdpr", '["ZZ"]'), encoding="utf-8")
    assert decide() == (RECEIVED + timedelta(days=30), ConsentModel.OPT_IN)
    path.write_text(_shipped_for_regions("ccpa", '["ZZ"]'), encoding="utf-8")
    assert decide() == (RECEIVED + timedelta(days=45), ConsentModel.OPT_OUT)


@pytest.mark.parametrize(("kind", "basis", "expected"), [
    ("training", LegalBasis.LEGITIMATE_INTERESTS, ConsentModel.OPT_IN),
    ("analytics", LegalBasis.LEGITIMATE_INTERESTS, ConsentModel.OPT_OUT),
    ("analytics", LegalBasis.CONSENT, ConsentModel.OPT_IN),
    ("support", LegalBasis.CONTRACT, ConsentModel.NONE),
    ("support", LegalBasis.CONSENT, ConsentModel.OPT_IN),
])
def test_consent_model_follows_basis_then_opt_in_then_opt_out(
        tmp_path: Path, kind: str, basis: LegalBasis, expected: ConsentModel) -> None:
    assert load_profile(_write(tmp_path, MINIMAL)).consent_model(kind, basis) is expected


def test_retention_cap_picks_the_tighter_of_category_and_default(tmp_path: Path) -> None:
    custom = load_profile(_write(tmp_path, MINIMAL))
    assert custom.retention_cap(Category.HEALTH) == timedelta(days=100)  # default is tighter
    assert custom.retention_cap(Category.LOCATION) == timedelta(days=50)  # category is tighter
    assert custom.retention_cap(Category.CONTACT) == timedelta(days=100)  # no category cap
    assert custom.retention_cap() == timedelta(days=100)
    assert load_profile("gdpr").retention_cap(Category.HEALTH) == timedelta(days=730)


def test_retention_cap_is_none_without_any_cap() -> None:
    ccpa = load_profile("ccpa")  # no max_days: the statute sets no number
    assert ccpa.retention_cap() is None
    assert ccpa.retention_cap(Category.CONTACT) is None
    assert ccpa.retention_cap(Category.LOCATION) == timedelta(days=365)


@pytest.mark.parametrize(("location", "allowed"), [
    ("DE", True), ("EU", True), ("JP", True), ("GB", True), ("CH", True), ("de-by", True),
    ("US", False), ("US-CA", False), ("IN", False), ("CN", False),
])
def test_gdpr_residency_allows_eea_and_adequate_countries_only(location: str, allowed: bool) -> None:
    assert load_profile("gdpr").allows_store_location(location) is allowed


@pytest.mark.parametrize("profile_id", ["ccpa", "dpdp"])
def test_profiles_without_residency_allow_any_store(profile_id: str) -> None:
    profile = load_profile(profile_id)
    assert profile.store_locations is None
    assert profile.allows_store_location("CN")


def test_for_region_uses_exact_code_then_default_never_the_country_part() -> None:
    claims_us = RegulationProfile(
        id="us-federal", name="US", regions=frozenset({"US"}), deadline_days=30, extension_days=0,
        extension_rule="none", retention_max_days=None)
    profiles = ProfileSet([load_profile("ccpa"), claims_us])
    assert profiles.for_region("US-CA").id == "ccpa"
    with pytest.raises(InvalidInput, match=r"no regulation profile covers region 'US-NY'; add one"):
        profiles.for_region("US-NY")
    with_default = ProfileSet.load(["ccpa"], default="gdpr")
    assert with_default.for_region("US-NY").id == "gdpr"
    assert [p.id for p in with_default.profiles] == ["ccpa"]


def test_two_profiles_claiming_one_region_are_refused(tmp_path: Path) -> None:
    clash = _write(tmp_path, _shipped_for_regions("ccpa", '["FR"]'))
    with pytest.raises(ConfigError, match=r"'gdpr' and 'ccpa' both claim region 'FR'"):
        ProfileSet.load(["gdpr", str(clash)])


def test_unknown_profile_name_lists_the_shipped_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown regulation profile 'hipaa'; shipped: ccpa, cppa"):
        load_profile("hipaa")


def test_missing_profile_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"absent\.toml"):
        load_profile(tmp_path / "absent.toml")


@pytest.mark.parametrize(("old", "new", "key"), [
    ('name = "Custom profile"', 'name = "Custom profile"\ncolour = "red"', "unknown key 'colour'"),
    ("extension_rule", "extension_note", "unknown key 'requests.extension_note'"),
    ("deadline_days = 30", 'deadline_days = "30"', "'requests.deadline_days' must be an integer"),
    ("deadline_days = 30", "deadline_days = true", "'requests.deadline_days' must be an integer"),
    ("deadline_days = 30", "deadline_days = 0", "'requests.deadline_days' must be at least 1"),
    ("extension_days = 10", "extension_days = -5", "'requests.extension_days' must be at least 0"),
    ("max_days = 100", "max_days = -1", "'retention.max_days' must be at least 1"),
    ("health = 200", "wealth = 200", "unknown category 'retention.categories.wealth'"),
    ("health = 200", "health = 2.5", "'retention.categories.health' must be an integer"),
    ('regions = ["ZZ"]', 'regions = "ZZ"', "'regions' must be a non-empty list"),
    ('regions = ["ZZ"]', 'regions = ["zz"]', "every entry of 'regions' must match"),
    ('regions = ["ZZ"]\n', "", "missing key 'regions'"),
    ('opt_out = ["analytics"]', 'opt_out = ["training"]', "share kind"),
    ('store_locations = ["ZZ", "DE"]', "store_locations = []", "'residency.store_locations' must be"),
    ('id = "custom"', 'id = "Custom Profile!"', "'id' must match"),
    ("[requests]", "[requests", "not valid TOML"),
])
def test_malformed_profile_gives_config_error_naming_file_and_key(
        tmp_path: Path, old: str, new: str, key: str) -> None:
    assert old in MINIMAL
    path = _write(tmp_path, MINIMAL.replace(old, new, 1), name="broken.toml")
    with pytest.raises(ConfigError) as raised:
        load_profile(path)
    assert "broken.toml" in raised.value.message
    assert key in raised.value.message


def test_a_section_that_is_not_a_table_is_refused(tmp_path: Path) -> None:
    text = MINIMAL.split("[consent]")[0].replace('regions = ["ZZ"]', 'regions = ["ZZ"]\nconsent = 3')
    with pytest.raises(ConfigError, match="'consent' must be a table"):
        load_profile(_write(tmp_path, text))


def test_profile_is_hashable_and_its_caps_read_only(tmp_path: Path) -> None:
    custom = load_profile(_write(tmp_path, MINIMAL))
    assert hash(custom) == hash(load_profile(_write(tmp_path, MINIMAL)))
    with pytest.raises(TypeError):
        custom.retention_category_days[Category.HEALTH] = 1  # type: ignore[index]
