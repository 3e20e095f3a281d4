"""Licences of a project's installed dependencies, checked against an allow/deny policy.

A distribution's licence comes from its core metadata: the SPDX ``License-Expression``
(metadata 2.4), else the ``License`` field (an SPDX expression, a well-known name or a
whole licence text), else its ``License ::`` trove classifiers, else its licence files.
The expressions, categories and policy live in ``_spdx``. This is a first filter for
humans, not legal advice.
"""

from __future__ import annotations

import re
import sys
import sysconfig
import tomllib
from collections import deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import Distribution, distributions
from pathlib import Path

from packaging.markers import UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from veil.errors import InvalidInput
from veil.scan._finding import Kind, ScanFinding, Severity, file_fingerprint
from veil.scan._spdx import (
    CATEGORIES,
    LICENSE_NAMES,
    LICENSE_TEXTS,
    UNKNOWN_VERDICT,
    Category,
    LicensePolicy,
    PolicyExceptions,
    Verdict,
    canonical_expression,
    category_of,
    default_policy,
    is_spdx_expression,
    parse_quietly,
    render,
    terms,
)

# --- the licence of one distribution ----------------------------------------------------------


def _name_key(name: str) -> str:
    """A licence name reduced so that spelling variants meet: ``GNU GPL v3 (GPLv3)`` -> ``gnu gpl 3``."""
    text = re.sub(r"\([^)]*\)", " ", name.lower())
    text = re.sub(r"([a-z])v(?=\d)", r"\1 ", text)
    text = re.sub(r"\bor (?:any )?later\b", "+", re.sub(r"\b(?:v|version )(?=\d)", "", text))
    words = [w for w in re.split(r"[^a-z0-9.+]+", text) if w and w not in {"the", "license", "licence"}]
    return " ".join(words).replace(" +", "+")


_NAME_INDEX = {
    _name_key(name): spdx for spdx, names in LICENSE_NAMES.items() for name in [spdx, *names.split(", ")]
}
_NAME_INDEX.update({_name_key(spdx): spdx for spdx in CATEGORIES})


def license_of_text(text: str) -> str | None:
    """The SPDX id of a known licence written out in full, or named on the first line of ``text``."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    flat = " ".join(" ".join(lines[:60]).lower().split())
    from_text = next((spdx for pattern, spdx in LICENSE_TEXTS if pattern.search(flat)), None)
    return from_text or (_NAME_INDEX.get(_name_key(lines[0])) if lines else None)


def _from_license_field(value: str) -> str | None:
    value = value.strip()
    if not value or value.upper() in {"UNKNOWN", "NONE", "N/A"}:
        return None
    parsed = parse_quietly(value) if "\n" not in value and len(value) < 200 else None
    if parsed and (all(term.license in CATEGORIES for term in terms(parsed)) or is_spdx_expression(value)):
        return render(parsed)
    return license_of_text(value)


def _from_classifiers(classifiers: Iterable[str]) -> str | None:
    found = []
    for classifier in classifiers:
        parts = [part.strip() for part in classifier.split("::")]
        if parts[0] == "License" and len(parts) > 1 and parts[-1] != "OSI Approved":
            spdx = _NAME_INDEX.get(_name_key(parts[-1]))
            found.append(spdx or f"LicenseRef-{re.sub(r'[^A-Za-z0-9.]+', '-', parts[-1]).strip('-')}")
    # Several licence classifiers almost always mean a choice (dual licensing).
    return " OR ".join(dict.fromkeys(found)) or None


def distribution_license(dist: Distribution) -> tuple[str | None, str]:
    """``(expression, source)``: the SPDX expression of ``dist`` and the metadata field it came from."""
    meta, name = dist.metadata, _dist_name(dist)
    if expression := _field(dist, "License-Expression"):
        try:
            return canonical_expression(expression, package=name), "License-Expression"
        except InvalidInput:
            pass  # a malformed field: the other sources may still tell
    if (from_field := _from_license_field(_field(dist, "License"))) is not None:
        return from_field, "License"
    if (from_trove := _from_classifiers(meta.get_all("Classifier") or [])) is not None:
        return from_trove, "Classifier"
    for license_file in meta.get_all("License-File") or []:
        text = dist.read_text(f"licenses/{license_file}") or dist.read_text(license_file)
        if text and (from_file := license_of_text(text[:20_000])):
            return from_file, "License-File"
    return None, ""


def _field(dist: Distribution, key: str) -> str:
    """A metadata field, "" when absent (``PackageMetadata[key]`` is None or raises, by version)."""
    values = dist.metadata.get_all(key)
    return str(values[0]) if values else ""


def _dist_name(dist: Distribution) -> str:
    return _field(dist, "Name")


# --- where the dependencies are -----------------------------------------------------------------


def find_site_packages(project: Path) -> list[Path]:
    """The site-packages of the project's virtual environment (``.venv``, ``venv``, ``env``);
    the running interpreter's when the project has none."""
    found: list[Path] = []
    for venv in (".venv", "venv", "env"):
        root = project / venv
        if root.is_dir():
            found += sorted(root.glob("lib/python3*/site-packages")) + sorted(root.glob("Lib/site-packages"))
    if found:
        return found
    paths = sysconfig.get_paths()
    return [Path(p) for p in dict.fromkeys((paths["purelib"], paths["platlib"]))]


def installed_distributions(site_packages: Sequence[Path] | None = None) -> dict[str, Distribution]:
    """Installed distributions by canonical name; the first on the path wins, as for imports.

    ``None`` reads the running interpreter's ``sys.path``.
    """
    path = [str(p) for p in site_packages] if site_packages is not None else sys.path
    found: dict[str, Distribution] = {}
    for dist in distributions(path=path):
        if name := _dist_name(dist):
            found.setdefault(canonicalize_name(name), dist)
    return found


@dataclass(frozen=True, slots=True)
class _Manifest:
    path: str  # relative to the project, "" when every installed distribution is checked
    requirements: list[Requirement]
    lines: dict[str, int]  # canonical name -> the line declaring it
    name: str = ""  # the project's own distribution
    extras: Mapping[str, list[Requirement]] = field(default_factory=dict)
    license: str | None = None


def _read_manifest(project: Path) -> _Manifest:
    """The declared dependencies: pyproject's ``[project]``, else ``requirements.txt`` (or another
    ``requirements*.txt``), else none (every installed distribution is checked)."""
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8") if pyproject.is_file() else ""
    try:
        table = tomllib.loads(text).get("project", {})
    except tomllib.TOMLDecodeError:
        raise InvalidInput("pyproject.toml of the scanned project is not valid TOML") from None
    name, own_license = canonicalize_name(table.get("name", "")), _project_license(project, table)
    if "dependencies" in table or "optional-dependencies" in table:
        optional = table.get("optional-dependencies", {})
        extras: dict[str, list[Requirement]] = {
            canonicalize_name(key): _requirements(value) for key, value in optional.items()
        }
        requirements = _requirements(table.get("dependencies", []))
        return _Manifest("pyproject.toml", requirements, _declared_lines(text), name, extras, own_license)
    files = sorted(project.glob("requirements*.txt"), key=lambda p: (p.name != "requirements.txt", p.name))
    if files:
        requirements, lines = _read_requirements(files[0], set())
        return _Manifest(files[0].name, requirements, lines, name, license=own_license)
    return _Manifest("", [], {}, name, license=own_license)


def _requirements(entries: Iterable[str]) -> list[Requirement]:
    parsed = []
    for entry in entries:
        try:
            parsed.append(Requirement(entry))
        except InvalidRequirement:
            continue  # not ours to judge here: pip reports it
    return parsed


def _declared_lines(text: str) -> dict[str, int]:
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        for match in re.finditer(r"[\"']\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line):
            lines.setdefault(canonicalize_name(match[1]), number)
    return lines


def _read_requirements(path: Path, seen: set[Path]) -> tuple[list[Requirement], dict[str, int]]:
    """A requirements file and the files it includes with ``-r``; options and URLs-only lines are skipped."""
    seen.add(path.resolve())
    requirements: list[Requirement] = []
    lines: dict[str, int] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        line = raw.split(" #", 1)[0].split(" --", 1)[0].strip().rstrip("\\").strip()
        included = re.match(r"(?:-r|--requirement)[ =]\s*(\S+)", line)
        if included and (inner := path.parent / included[1]).is_file() and inner.resolve() not in seen:
            more, _ = _read_requirements(inner, seen)
            requirements += more
        elif line and not line.startswith(("-", "#")):
            for requirement in _requirements([line]):
                requirements.append(requirement)
                lines.setdefault(canonicalize_name(requirement.name), number)
    return requirements, lines


def _project_license(project: Path, table: Mapping[str, object]) -> str | None:
    """The project's licence: pyproject ``license`` (string, ``{text}``, ``{file}``), else a LICENSE file."""
    declared = table.get("license")
    if isinstance(declared, str):
        return _from_license_field(declared)
    if isinstance(declared, dict) and isinstance(declared.get("text"), str):
        return _from_license_field(declared["text"])
    files = [project / declared["file"]] if isinstance(declared, dict) and "file" in declared else []
    files += sorted(p for p in project.glob("*") if re.fullmatch(r"(?i)(licen[cs]e|copying)(\.\w+)?", p.name))
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")[:20_000] if path.is_file() else ""
        if spdx := license_of_text(text):
            return spdx
    return None


# --- the check ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DependencyLicense:
    """One installed dependency; ``required_by`` is the declared dependency that pulls it in."""

    name: str
    version: str
    expression: str | None
    source: str  # License-Expression, License, Classifier, License-File, or "" when none told
    category: Category
    required_by: str = ""


@dataclass(frozen=True, slots=True)
class LicenseReport:
    project_license: str | None
    policy: LicensePolicy
    manifest: str  # pyproject.toml, a requirements file, or "" when every installed distribution was checked
    dependencies: list[DependencyLicense]
    findings: list[ScanFinding]
    missing: list[str]  # declared (or required) but not installed: their licences could not be read


_RULES = {
    Verdict.DENY: ("license_denied", Severity.HIGH),
    Verdict.WEAK: ("license_weak_copyleft", Severity.MEDIUM),
    Verdict.UNKNOWN: ("license_unknown", Severity.LOW),
}
_MESSAGES = {
    Verdict.DENY: "{who} is licensed {licence} ({category}): the policy of a {project} project denies it",
    Verdict.WEAK: "{who} is under weak copyleft ({licence}): its changes must stay under the same licence",
    Verdict.UNKNOWN: "licence of {who} unknown ({licence}): check it by hand",
}
_EXCEPTION_HINT = ('record an exception in veil.toml: [scan.licenses] allow = ["{term}"] (the licence) '
                   'or allow_packages = ["{name}"] (this package)')
_REMEDIATIONS = {
    Verdict.DENY: "Replace {name} with a dependency under a compatible licence, get a commercial licence "
                  "from its authors, or " + _EXCEPTION_HINT + ".",
    Verdict.WEAK: "Keep {name} unmodified and installed as its own package, replace it, or "
                  + _EXCEPTION_HINT + ".",
    Verdict.UNKNOWN: "Read the licence of {name} (its LICENSE file or project page); then replace it, get a "
                     'commercial licence, or record an exception in veil.toml: [scan.licenses] '
                     'allow_packages = ["{name}"].',
}


def check_licenses(
    project: Path,
    policy: LicensePolicy | None = None,
    site_packages: Sequence[Path] | None = None,
    *,
    extras: Collection[str] = (),
    exceptions: PolicyExceptions | None = None,
) -> LicenseReport:
    """Check the licences of the project's installed dependency closure against ``policy``.

    The dependencies are those declared in ``pyproject.toml`` (plus the optional ``extras``
    named, ``"*"`` for all) or else in ``requirements*.txt``, followed through each installed
    distribution's ``Requires-Dist``; with neither, every installed distribution. ``policy``
    defaults to the one the project's licence implies, with ``exceptions`` added;
    ``site_packages`` defaults to the project's venv.
    """
    manifest = _read_manifest(project)
    policy = policy or default_policy(manifest.license)
    if exceptions is not None:
        policy = policy.extended(allow=exceptions.allow, deny=exceptions.deny, packages=exceptions.packages,
                                 unknown=exceptions.unknown)
    found = find_site_packages(project) if site_packages is None else site_packages
    installed = installed_distributions(found)
    if manifest.path:
        chosen, missing = _closure(_root_requirements(manifest, extras), installed, manifest.name)
    else:
        chosen, missing = [(dist, "") for key, dist in sorted(installed.items()) if key != manifest.name], []
    dependencies: list[DependencyLicense] = []
    findings: list[ScanFinding] = []
    for dist, via in chosen:
        dependency = _dependency(dist, via)
        dependencies.append(dependency)
        if (finding := _judge(dependency, policy, manifest, project, dist)) is not None:
            findings.append(finding)
    return LicenseReport(manifest.license, policy, manifest.path, dependencies, findings, missing)


def _applies(requirement: Requirement, extras: Iterable[str]) -> bool:
    """Whether the requirement's marker holds here for one of ``extras`` ("" for none)."""
    marker = requirement.marker
    try:
        return marker is None or any(marker.evaluate({"extra": extra}) for extra in extras)
    except (UndefinedComparison, UndefinedEnvironmentName):
        return True  # a marker we cannot evaluate: check the dependency rather than skip it


def _root_requirements(manifest: _Manifest, extras: Collection[str]) -> list[Requirement]:
    """The declared requirements with the extras asked for; ``project[a]`` inside an extra expands ``a``."""
    pending = list(manifest.extras) if "*" in extras else [canonicalize_name(extra) for extra in extras]
    roots, done = list(manifest.requirements), set()
    while pending:
        extra = pending.pop()
        if extra in done:
            continue
        done.add(extra)
        for requirement in manifest.extras.get(extra, []):
            if canonicalize_name(requirement.name) == manifest.name:
                pending += [canonicalize_name(inner) for inner in requirement.extras]
            roots.append(requirement)
    return [r for r in roots if canonicalize_name(r.name) != manifest.name and _applies(r, [""])]


def _closure(
    roots: Iterable[Requirement], installed: Mapping[str, Distribution], own_name: str
) -> tuple[list[tuple[Distribution, str]], list[str]]:
    """Installed distributions reachable from ``roots`` (each with the root reaching it), and the missing."""
    queue = deque((requirement, canonicalize_name(requirement.name)) for requirement in roots)
    extras_done: dict[str, set[str]] = {}
    via: dict[str, str] = {}
    missing: set[str] = set()
    while queue:
        requirement, root = queue.popleft()
        name = canonicalize_name(requirement.name)
        if name == own_name:
            continue
        if (dist := installed.get(name)) is None:
            missing.add(name)
            continue
        new = ({""} | set(requirement.extras)) - extras_done.setdefault(name, set())
        if not new:
            continue
        extras_done[name] |= new
        via.setdefault(name, root)
        queue.extend((dep, root) for dep in _requirements(dist.requires or []) if _applies(dep, new))
    return [(installed[name], via[name]) for name in sorted(via)], sorted(missing)


def _dependency(dist: Distribution, via: str) -> DependencyLicense:
    name = _dist_name(dist)
    expression, source = distribution_license(dist)
    parsed = parse_quietly(expression)
    category = category_of(parsed) if parsed else Category.UNKNOWN
    return DependencyLicense(name, dist.version, expression, source, category,
                             via if via and via != canonicalize_name(name) else "")


def _judge(
    dependency: DependencyLicense, policy: LicensePolicy, manifest: _Manifest, project: Path,
    dist: Distribution,
) -> ScanFinding | None:
    if policy.accepts_package(dependency.name, dependency.version):
        return None
    parsed = parse_quietly(dependency.expression)
    verdict, term = policy.judge(parsed) if parsed else (UNKNOWN_VERDICT[policy.unknown], "")
    if verdict is Verdict.ALLOW:
        return None
    rule, severity = _RULES[verdict]
    path, line = _where(dependency, manifest, project, dist)
    pulled = f" (required by {dependency.required_by})" if dependency.required_by else ""
    words = {
        "who": f"{dependency.name} {dependency.version}{pulled}", "name": dependency.name,
        "licence": dependency.expression or "no licence in its metadata", "category": dependency.category,
        "project": manifest.license or "unlicensed", "term": term,
    }
    return ScanFinding(
        rule=rule, kind=Kind.LICENSE, severity=severity, path=path, line=line, column=1 if line else 0,
        message=_MESSAGES[verdict].format(**words),
        # Without a licence to name, the only exception to record is the package.
        remediation=_REMEDIATIONS[verdict if term else Verdict.UNKNOWN].format(**words),
        fingerprint=file_fingerprint(rule, path, f"{dependency.name}=={dependency.version}"),
        entity=dependency.name,
    )


def _where(
    dependency: DependencyLicense, manifest: _Manifest, project: Path, dist: Distribution
) -> tuple[str, int]:
    """The manifest line declaring the dependency (or the one pulling it in); else its metadata folder."""
    if manifest.path:
        key = canonicalize_name(dependency.name)
        return manifest.path, manifest.lines.get(key) or manifest.lines.get(dependency.required_by, 0)
    location = getattr(dist, "_path", None)  # PathDistribution's folder: no public accessor exists
    if isinstance(location, Path):
        folder = location.resolve()
        root = project.resolve()
        return (folder.relative_to(root) if folder.is_relative_to(root) else folder).as_posix(), 0
    return f"{dependency.name}-{dependency.version}.dist-info", 0
