"""Dependency licences: metadata sources, SPDX expressions, the dependency closure and the policy."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from veil.errors import InvalidInput
from veil.scan._finding import Kind, Severity, file_fingerprint
from veil.scan._licenses import (
    LicenseReport,
    check_licenses,
    distribution_license,
    find_site_packages,
    installed_distributions,
)
from veil.scan._spdx import (
    AllOf,
    AnyOf,
    Category,
    LicensePolicy,
    Term,
    canonical_expression,
    category_of,
    default_policy,
    parse_expression,
)

REPO = Path(__file__).resolve().parents[3]
MIT_TEXT = """Copyright (c) 2021 Example Authors
Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal"""
APACHE_TEXT = """
                                 Apache License
                           Version 2.0, January 2004
                        http://www.apache.org/licenses/
"""


def make_dist(
    site: Path, name: str, version: str = "1.0", *, expression: str | None = None, license: str | None = None,
    classifiers: Sequence[str] = (), requires: Sequence[str] = (), license_file: str | None = None,
) -> None:
    """A fake installed distribution: ``name-version.dist-info/METADATA`` with the given fields."""
    folder = site / f"{name.replace('-', '_')}-{version}.dist-info"
    folder.mkdir(parents=True)
    lines = ["Metadata-Version: 2.4", f"Name: {name}", f"Version: {version}"]
    if expression is not None:
        lines.append(f"License-Expression: {expression}")
    if license is not None:
        first, *rest = license.strip("\n").splitlines()
        lines.append(f"License: {first}")
        lines += [f"        {line}" for line in rest]  # continuation lines, as setuptools writes them
    lines += [f"Classifier: {classifier}" for classifier in classifiers]
    lines += [f"Requires-Dist: {requirement}" for requirement in requires]
    if license_file is not None:
        lines.append("License-File: LICENSE")
        (folder / "licenses").mkdir()
        (folder / "licenses" / "LICENSE").write_text(license_file, encoding="utf-8")
    (folder / "METADATA").write_text("\n".join(lines) + "\n", encoding="utf-8")


def make_project(root: Path, dependencies: Sequence[str], *, license: str = '"MIT"',
                 optional: str = "") -> Path:
    listed = "".join(f'  "{dependency}",\n' for dependency in dependencies)
    text = f'[project]\nname = "app"\nversion = "0.1"\nlicense = {license}\ndependencies = [\n{listed}]\n'
    if optional:
        text += f"\n[project.optional-dependencies]\n{optional}\n"
    (root / "pyproject.toml").write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def site(tmp_path: Path) -> Path:
    folder = tmp_path / "site-packages"
    folder.mkdir()
    return folder


def _check(project: Path, site: Path, policy: LicensePolicy | None = None,
           extras: Sequence[str] = ()) -> LicenseReport:
    return check_licenses(project, policy, [site], extras=extras)


# --- expressions -----------------------------------------------------------------------------


def test_parser_follows_spdx_precedence() -> None:
    tree = parse_expression("MIT OR Apache-2.0 AND (BSD-2-Clause OR ISC)")
    assert tree == AnyOf((Term("MIT"), AllOf((Term("Apache-2.0"), AnyOf((Term("BSD-2-Clause"), Term("ISC")))))))
    assert parse_expression("GPL-2.0-only WITH Classpath-exception-2.0") == Term(
        "GPL-2.0-only", "Classpath-exception-2.0")


@pytest.mark.parametrize(("text", "canonical"), [
    ("mit or apache-2.0", "MIT OR Apache-2.0"),
    ("(MIT OR Apache-2.0) AND BSD-3-Clause", "(MIT OR Apache-2.0) AND BSD-3-Clause"),
    ("GPL-2.0+", "GPL-2.0-or-later"),
    ("LGPL-2.1", "LGPL-2.1-only"),
    ("gpl-2.0-only with classpath-exception-2.0", "GPL-2.0-only WITH Classpath-exception-2.0"),
    ("LicenseRef-Acme-EULA", "LicenseRef-Acme-EULA"),
])
def test_expressions_are_canonicalized(text: str, canonical: str) -> None:
    assert canonical_expression(text) == canonical


@pytest.mark.parametrize("text", ["MIT AND", "(MIT OR BSD-3-Clause", "MIT OR OR ISC", "", "MIT Apache-2.0",
                                  "MIT WITH", "MIT)", "MIT; rm -rf /", "AND MIT"])
def test_malformed_expressions_raise_invalid_input_naming_the_package(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_expression(text, package="brokenpkg")
    assert "brokenpkg" in caught.value.message
    assert "rm -rf" not in caught.value.message


@pytest.mark.parametrize(("text", "category"), [
    ("MIT OR GPL-3.0-only", Category.PERMISSIVE),
    ("MIT AND GPL-3.0-only", Category.STRONG),
    ("GPL-2.0-only WITH Classpath-exception-2.0", Category.WEAK),
    ("AGPL-3.0-or-later", Category.NETWORK),
    ("CC0-1.0", Category.PUBLIC_DOMAIN),
    ("LicenseRef-Acme-EULA", Category.UNKNOWN),
    ("MIT AND LicenseRef-Acme-EULA", Category.UNKNOWN),
])
def test_category_of_expressions(text: str, category: Category) -> None:
    assert category_of(parse_expression(text)) is category


# --- where a distribution's licence comes from -------------------------------------------------


@pytest.mark.parametrize(("fields", "expected"), [
    ({"expression": "mit OR Apache-2.0", "license": "GPLv3"}, ("MIT OR Apache-2.0", "License-Expression")),
    ({"license": "MIT License"}, ("MIT", "License")),
    ({"license": "BSD"}, ("BSD-3-Clause", "License")),
    ({"license": "Apache 2.0"}, ("Apache-2.0", "License")),
    ({"license": "GPLv3"}, ("GPL-3.0-only", "License")),
    ({"license": "LGPL-2.1-or-later"}, ("LGPL-2.1-or-later", "License")),
    ({"license": MIT_TEXT}, ("MIT", "License")),
    ({"license": "Dual License", "classifiers": ["License :: OSI Approved :: BSD License",
                                                 "License :: OSI Approved :: Apache Software License"]},
     ("BSD-3-Clause OR Apache-2.0", "Classifier")),
    ({"classifiers": ["License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)"]},
     ("GPL-3.0-or-later", "Classifier")),
    ({"classifiers": ["License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)"]}, ("MPL-2.0", "Classifier")),
    ({"license": "UNKNOWN", "license_file": APACHE_TEXT}, ("Apache-2.0", "License-File")),
    ({"expression": "MIT AND AND", "classifiers": ["License :: OSI Approved :: ISC License (ISCL)"]},
     ("ISC", "Classifier")),
    ({}, (None, "")),
])
def test_licence_sources_in_order_of_preference(site: Path, fields: dict[str, object],
                                                expected: tuple[str | None, str]) -> None:
    make_dist(site, "pkg", **fields)  # type: ignore[arg-type]
    assert distribution_license(installed_distributions([site])["pkg"]) == expected


# --- the check -------------------------------------------------------------------------------


def test_gpl_deep_in_the_closure_of_a_permissive_project_is_denied(tmp_path: Path, site: Path) -> None:
    project = make_project(tmp_path, ["requests-ish>=1", "alpha>=1"])
    make_dist(site, "requests-ish", expression="Apache-2.0")
    make_dist(site, "alpha", expression="MIT", requires=["beta>=2"])
    make_dist(site, "beta", "2.1", license="BSD", requires=[
        "gamma; python_version >= '3'", "delta; extra == 'gpl'", "epsilon; python_version < '3'"])
    make_dist(site, "gamma", "0.3", expression="GPL-3.0-only")
    make_dist(site, "delta", expression="GPL-2.0-only")  # only behind an extra nobody asked for
    make_dist(site, "epsilon", expression="AGPL-3.0-only")  # its marker is false
    report = _check(project, site)
    assert [dependency.name for dependency in report.dependencies] == ["alpha", "beta", "gamma", "requests-ish"]
    [finding] = report.findings
    assert (finding.rule, finding.kind, finding.severity) == ("license_denied", Kind.LICENSE, Severity.HIGH)
    assert (finding.path, finding.line) == ("pyproject.toml", 7)  # the line declaring alpha, which pulls it in
    assert "gamma 0.3" in finding.message
    assert "GPL-3.0-only" in finding.message
    assert "required by alpha" in finding.message
    assert "veil.toml" in finding.remediation
    assert "commercial licence" in finding.remediation
    assert finding.fingerprint == file_fingerprint("license_denied", "pyproject.toml", "gamma==0.3")
    assert report.project_license == "MIT"
    assert report.missing == []


def test_extras_of_a_dependency_are_followed_only_when_required(tmp_path: Path, site: Path) -> None:
    project = make_project(tmp_path, ["beta[gpl]"])
    make_dist(site, "beta", expression="MIT", requires=["delta; extra == 'gpl'"])
    make_dist(site, "delta", "4.0", expression="GPL-2.0-only")
    [finding] = _check(project, site).findings
    assert "delta 4.0" in finding.message


def test_root_extras_are_checked_only_when_asked(tmp_path: Path, site: Path) -> None:
    project = make_project(tmp_path, ["alpha"], optional='db = ["zeta"]\nall = ["app[db]"]')
    make_dist(site, "alpha", expression="MIT")
    make_dist(site, "zeta", expression="AGPL-3.0-only")
    assert _check(project, site).findings == []
    for extras in (["db"], ["all"], ["*"]):
        [finding] = _check(project, site, extras=extras).findings
        assert finding.rule == "license_denied"
        assert finding.line == 10  # zeta's line in [project.optional-dependencies]


def test_or_expression_passes_when_one_side_is_allowed(tmp_path: Path, site: Path) -> None:
    project = make_project(tmp_path, ["dual"])
    make_dist(site, "dual", expression="MIT OR GPL-3.0-only")
    report = _check(project, site)
    assert report.findings == []
    assert report.dependencies[0].category is Category.PERMISSIVE


def test_and_expression_needs_every_side(tmp_path: Path, site: Path) -> None:
    project = make_project(tmp_path, ["both"])
    make_dist(site, "both", expression="MIT AND GPL-3.0-only")
    [finding] = _check(project, site).findings
    assert finding.rule == "license_denied"
    assert '["GPL-3.0-only"]' in finding.remediation  # names the part that decides


def test_lgpl_is_a_weak_copyleft_finding(tmp_path: Path, site: Path) -> None:
    project = make_project(tmp_path, ["lesser"])
    make_dist(site, "lesser", "3.2", license="LGPL-2.1-or-later")
    [finding] = _check(project, site).findings
    assert (finding.rule, finding.severity) == ("license_weak_copyleft", Severity.MEDIUM)
    assert "lesser 3.2" in finding.message
    assert "LGPL-2.1-or-later" in finding.message


def test_unknown_licence_is_a_low_finding(tmp_path: Path, site: Path) -> None:
    project = make_project(tmp_path, ["mystery", "custom"])
    make_dist(site, "mystery", "0.9")
    make_dist(site, "custom", expression="LicenseRef-Acme-EULA")
    findings = _check(project, site).findings
    assert [(f.rule, f.severity, f.entity) for f in findings] == [
        ("license_unknown", Severity.LOW, "custom"), ("license_unknown", Severity.LOW, "mystery")]
    assert "check it by hand" in findings[1].message
    assert "mystery 0.9" in findings[1].message


def test_with_exception_relaxes_the_licence(tmp_path: Path, site: Path) -> None:
    project = make_project(tmp_path, ["javaish"])
    make_dist(site, "javaish", expression="GPL-2.0-only WITH Classpath-exception-2.0")
    [finding] = _check(project, site).findings
    assert finding.rule == "license_weak_copyleft"
    allowed = default_policy("MIT").extended(allow=["GPL-2.0-only WITH Classpath-exception-2.0"])
    assert _check(project, site, allowed).findings == []


def test_malformed_expression_is_reported_not_raised(tmp_path: Path, site: Path) -> None:
    project = make_project(tmp_path, ["broken"])
    make_dist(site, "broken", "1.1", expression="MIT AND (")
    [finding] = _check(project, site).findings
    assert finding.rule == "license_unknown"
    assert "broken 1.1" in finding.message


def test_policy_exceptions_and_strict_unknowns(tmp_path: Path, site: Path) -> None:
    project = make_project(tmp_path, ["gamma", "mystery"])
    make_dist(site, "gamma", "0.3", expression="GPL-3.0-only")
    make_dist(site, "mystery")
    base = default_policy("MIT")
    assert _check(project, site, base.extended(packages=["gamma==0.3", "Mystery"])).findings == []
    assert [f.entity for f in _check(project, site, base.extended(packages=["gamma==0.2"])).findings] == [
        "gamma", "mystery"]
    strict = base.extended(unknown="deny", allow=["GPL-3.0-only"])
    [finding] = _check(project, site, strict).findings
    assert (finding.rule, finding.entity) == ("license_denied", "mystery")
    assert 'allow_packages = ["mystery"]' in finding.remediation
    assert _check(project, site, base.extended(deny=["MIT"], allow=["GPL-3.0-only"], unknown="allow")).findings == []


@pytest.mark.parametrize(("project_license", "dependency", "rule"), [
    ('"GPL-3.0-or-later"', "GPL-3.0-only", None),
    ('"GPL-3.0-or-later"', "Apache-2.0", None),
    ('"GPL-3.0-or-later"', "GPL-2.0-only", "license_denied"),
    ('"GPL-3.0-or-later"', "AGPL-3.0-only", "license_weak_copyleft"),
    ('"GPL-2.0-only"', "Apache-2.0", "license_denied"),
    ('"GPL-2.0-or-later"', "Apache-2.0", None),
    ('"AGPL-3.0-only"', "GPL-3.0-or-later", None),
    ('"LGPL-3.0-only"', "MPL-2.0", None),
    ('"LGPL-3.0-only"', "GPL-3.0-only", "license_denied"),
    ('"LicenseRef-Proprietary"', "BUSL-1.1", None),
    ('"LicenseRef-Proprietary"', "LGPL-3.0-only", "license_weak_copyleft"),
    ('{text = "MIT"}', "SSPL-1.0", "license_denied"),
    ('"MIT OR GPL-3.0-only"', "GPL-3.0-only", "license_denied"),  # users may pick MIT: stay permissive
])
def test_default_policy_follows_the_project_licence(tmp_path: Path, site: Path, project_license: str,
                                                    dependency: str, rule: str | None) -> None:
    project = make_project(tmp_path, ["dep"], license=project_license)
    make_dist(site, "dep", expression=dependency)
    assert [finding.rule for finding in _check(project, site).findings] == ([rule] if rule else [])


def test_project_licence_from_a_license_file(tmp_path: Path, site: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\ndependencies = ["dep"]\n', encoding="utf-8")
    (tmp_path / "COPYING").write_text("GNU GENERAL PUBLIC LICENSE\n   Version 3, 29 June 2007\n", encoding="utf-8")
    make_dist(site, "dep", expression="GPL-3.0-or-later")
    report = _check(tmp_path, site)
    assert report.project_license == "GPL-3.0-only"
    assert report.findings == []


def test_requirements_file_when_there_is_no_pyproject(tmp_path: Path, site: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "# pinned\n--index-url https://pypi.org/simple\nalpha==1.0 \\\n    --hash=sha256:00\n\nlesser>=3\n",
        encoding="utf-8")
    (tmp_path / "LICENSE").write_text(MIT_TEXT, encoding="utf-8")
    make_dist(site, "alpha", expression="MIT")
    make_dist(site, "lesser", expression="LGPL-3.0-only")
    report = _check(tmp_path, site)
    assert report.manifest == "requirements.txt"
    assert report.project_license == "MIT"
    [finding] = report.findings
    assert (finding.path, finding.line, finding.entity) == ("requirements.txt", 6, "lesser")


def test_without_a_manifest_every_installed_distribution_is_checked(tmp_path: Path, site: Path) -> None:
    make_dist(site, "alpha", expression="MIT")
    make_dist(site, "gamma", expression="GPL-3.0-only")
    report = _check(tmp_path, site)
    assert report.manifest == ""
    assert [dependency.name for dependency in report.dependencies] == ["alpha", "gamma"]
    [finding] = report.findings
    assert finding.path == "site-packages/gamma-1.0.dist-info"
    assert finding.line == 0


def test_missing_dependencies_are_listed(tmp_path: Path, site: Path) -> None:
    project = make_project(tmp_path, ["alpha", "ghost>=1"])
    make_dist(site, "alpha", expression="MIT", requires=["phantom"])
    assert _check(project, site).missing == ["ghost", "phantom"]


def test_find_site_packages_prefers_the_project_venv(tmp_path: Path) -> None:
    venv_site = tmp_path / ".venv" / "lib" / "python3.12" / "site-packages"
    venv_site.mkdir(parents=True)
    assert find_site_packages(tmp_path) == [venv_site]
    assert find_site_packages(tmp_path / "elsewhere")  # the running interpreter's


def test_veil_itself_every_dependency_gets_a_category() -> None:
    report = check_licenses(REPO)
    assert report.project_license == "Apache-2.0"
    declared = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    installed = installed_distributions(find_site_packages(REPO))
    names = {canonicalize_name(dependency.name) for dependency in report.dependencies}
    for requirement in map(Requirement, declared):
        key = canonicalize_name(requirement.name)
        assert key in names or key in report.missing or key not in installed
    assert report.dependencies
    unknown = [dependency.name for dependency in report.dependencies if dependency.category is Category.UNKNOWN]
    assert unknown == []
    assert all(finding.kind is Kind.LICENSE for finding in report.findings)
