"""SPDX licence expressions, categories and the allow/deny policy.

Which licences a project may depend on follows from the project's own licence: a
permissive project denies strong and network copyleft and reports weak copyleft; a GPL
project accepts what is GPL-compatible. Categories are data (``CATEGORIES``), not branches.
This is a first filter for humans, not legal advice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import IntEnum, StrEnum
from typing import Literal, NoReturn

from packaging.utils import canonicalize_name

from veil.errors import InvalidInput

try:  # packaging >= 24.2 knows every SPDX id and its casing
    from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression
except ImportError:  # pragma: no cover - older packaging: ids keep the casing they were written in
    canonicalize_license_expression = None  # type: ignore[assignment]
    InvalidLicenseExpression = ValueError  # type: ignore[assignment,misc]


class Category(StrEnum):
    PUBLIC_DOMAIN = "public-domain"
    PERMISSIVE = "permissive"
    WEAK = "weak-copyleft"
    STRONG = "strong-copyleft"
    NETWORK = "network-copyleft"
    PROPRIETARY = "proprietary"
    UNKNOWN = "unknown"


_RANK = {category: rank for rank, category in enumerate(Category)}  # from least to most restrictive
_C = Category
_IDS = {
    _C.PUBLIC_DOMAIN: "CC0-1.0 Unlicense PDDL-1.0 LicenseRef-Public-Domain WTFPL",
    _C.PERMISSIVE: """MIT MIT-0 MIT-CMU X11 0BSD BSD-1-Clause BSD-2-Clause BSD-3-Clause BSD-3-Clause-Clear
        BSD-4-Clause BSD-2-Clause-Patent Apache-1.1 Apache-2.0 ISC Python-2.0 PSF-2.0 CNRI-Python Zlib
        BSL-1.0 Unicode-DFS-2016 Unicode-3.0 HPND NCSA PostgreSQL UPL-1.0 AFL-2.1 AFL-3.0 Artistic-1.0
        Artistic-1.0-Perl Artistic-2.0 BlueOak-1.0.0 W3C curl OpenSSL libpng-2.0 ZPL-2.1 CC-BY-3.0
        CC-BY-4.0 MS-PL Beerware""",
    _C.WEAK: """LGPL-2.0-only LGPL-2.0-or-later LGPL-2.1-only LGPL-2.1-or-later LGPL-3.0-only
        LGPL-3.0-or-later MPL-1.1 MPL-2.0 MPL-2.0-no-copyleft-exception EPL-1.0 EPL-2.0 CDDL-1.0
        CDDL-1.1 CPL-1.0 MS-RL OFL-1.1""",
    _C.STRONG: """GPL-1.0-only GPL-1.0-or-later GPL-2.0-only GPL-2.0-or-later GPL-3.0-only GPL-3.0-or-later
        EUPL-1.1 EUPL-1.2 OSL-3.0 CPAL-1.0 CC-BY-SA-3.0 CC-BY-SA-4.0 Sleepycat QPL-1.0 CECILL-2.1""",
    _C.NETWORK: "AGPL-1.0-only AGPL-1.0-or-later AGPL-3.0-only AGPL-3.0-or-later SSPL-1.0 RPL-1.5",
    _C.PROPRIETARY: "LicenseRef-Proprietary BUSL-1.1 Elastic-2.0 CC-BY-NC-4.0 CC-BY-NC-SA-4.0 Commons-Clause",
}
CATEGORIES: Mapping[str, Category] = {spdx: cat for cat, ids in _IDS.items() for spdx in ids.split()}
_CASED = {spdx.upper(): spdx for spdx in CATEGORIES}
# WITH exceptions that relax the licence they attach to (GPL + Classpath behaves like weak copyleft).
EXCEPTIONS: Mapping[str, Category] = {
    "Classpath-exception-2.0": _C.WEAK, "GCC-exception-3.1": _C.PERMISSIVE, "LLVM-exception": _C.PERMISSIVE,
    "Autoconf-exception-3.0": _C.PERMISSIVE, "Bison-exception-2.2": _C.PERMISSIVE,
    "Font-exception-2.0": _C.WEAK, "OCaml-LGPL-linking-exception": _C.WEAK, "Linux-syscall-note": _C.WEAK,
    "Qt-LGPL-exception-1.1": _C.WEAK, "Universal-FOSS-exception-1.0": _C.WEAK,
    "WxWindows-exception-3.1": _C.WEAK,
}
_EXCEPTIONS_CASED = {spdx.upper(): spdx for spdx in EXCEPTIONS}
_GPL2_ONLY_BAD = """Apache-1.1 Apache-2.0 GPL-3.0-only GPL-3.0-or-later LGPL-3.0-only LGPL-3.0-or-later
    AGPL-3.0-only AGPL-3.0-or-later CC-BY-SA-4.0"""
_GPL_ANY_BAD = """EPL-1.0 EPL-2.0 CDDL-1.0 CDDL-1.1 MPL-1.1 OSL-3.0 CPAL-1.0 SSPL-1.0 BSD-4-Clause MS-PL
    MS-RL CPL-1.0"""
# Dependency licences a copyleft project cannot combine with (FSF compatibility list).
INCOMPATIBLE: Mapping[str, frozenset[str]] = {
    "GPL-2.0-only": frozenset(f"{_GPL2_ONLY_BAD} {_GPL_ANY_BAD}".split()),
    "GPL-2.0-or-later": frozenset(_GPL_ANY_BAD.split()),
    **{spdx: frozenset(f"GPL-2.0-only EUPL-1.1 {_GPL_ANY_BAD}".split())
       for spdx in ("GPL-3.0-only", "GPL-3.0-or-later", "AGPL-3.0-only", "AGPL-3.0-or-later")},
}
_OPEN = (frozenset({_C.STRONG, _C.NETWORK, _C.PROPRIETARY}), frozenset({_C.WEAK}))
# The project's category -> (dependency categories denied, categories reported as weak copyleft).
_DEFAULTS: Mapping[Category, tuple[frozenset[Category], frozenset[Category]]] = {
    _C.PUBLIC_DOMAIN: _OPEN, _C.PERMISSIVE: _OPEN, _C.UNKNOWN: _OPEN,
    _C.WEAK: (frozenset({_C.STRONG, _C.NETWORK, _C.PROPRIETARY}), frozenset()),
    _C.PROPRIETARY: (frozenset({_C.STRONG, _C.NETWORK}), frozenset({_C.WEAK})),
    _C.STRONG: (frozenset({_C.PROPRIETARY}), frozenset({_C.NETWORK})),
    _C.NETWORK: (frozenset({_C.PROPRIETARY}), frozenset()),
}
# SPDX id -> names and trove classifiers seen in the wild (matched loosely, see _licenses._name_key).
LICENSE_NAMES: Mapping[str, str] = {
    "MIT": "MIT License, MIT/X11, Expat", "MIT-0": "MIT No Attribution License",
    "BSD-3-Clause": "BSD, BSD License, New BSD, Modified BSD, Revised BSD, BSD 3-Clause, 3-Clause BSD, BSD-3",
    "BSD-2-Clause": "Simplified BSD, BSD 2-Clause, 2-Clause BSD, BSD-2, FreeBSD",
    "Apache-2.0": "Apache, Apache 2, Apache 2.0, Apache License Version 2.0, ASL 2.0, "
                  "Apache Software License, Apache Software License 2.0",
    "ISC": "ISC License, ISCL",
    "PSF-2.0": "PSF, PSFL, Python Software Foundation License, Python Software Foundation",
    "GPL-1.0-or-later": "GPL, GNU GPL, GNU General Public License",
    "GPL-2.0-only": "GPLv2, GPL v2, GNU GPL v2, GNU General Public License v2",
    "GPL-2.0-or-later": "GPLv2+, GPLv2 or later, GNU General Public License v2 or later",
    "GPL-3.0-only": "GPLv3, GPL v3, GNU GPL v3, GNU General Public License v3",
    "GPL-3.0-or-later": "GPLv3+, GPLv3 or later, GNU General Public License v3 or later",
    "LGPL-2.0-only": "LGPLv2, GNU Lesser General Public License v2",
    "LGPL-2.0-or-later": "LGPL, GNU LGPL, GNU Library or Lesser General Public License, LGPLv2+, "
                         "GNU Lesser General Public License v2 or later",
    "LGPL-2.1-only": "LGPLv2.1, GNU Lesser General Public License v2.1",
    "LGPL-2.1-or-later": "LGPLv2.1+, GNU Lesser General Public License v2.1 or later",
    "LGPL-3.0-only": "LGPLv3, GNU Lesser General Public License v3",
    "LGPL-3.0-or-later": "LGPLv3+, GNU Lesser General Public License v3 or later",
    "AGPL-3.0-only": "AGPL, AGPLv3, GNU Affero General Public License v3",
    "AGPL-3.0-or-later": "AGPLv3+, GNU Affero General Public License v3 or later",
    "MPL-2.0": "MPL, MPL 2.0, Mozilla Public License 2.0", "MPL-1.1": "MPL 1.1, Mozilla Public License 1.1",
    "EPL-2.0": "EPL, EPL 2.0, Eclipse Public License 2.0", "EPL-1.0": "EPL 1.0, Eclipse Public License 1.0",
    "CDDL-1.0": "CDDL, Common Development and Distribution License 1.0",
    "EUPL-1.2": "EUPL, EUPL 1.2, European Union Public Licence 1.2", "AFL-3.0": "Academic Free License",
    "LicenseRef-Public-Domain": "Public Domain", "Unlicense": "The Unlicense",
    "CC0-1.0": "CC0, CC0 1.0 Universal, CC0 1.0 Universal Public Domain Dedication",
    "BSL-1.0": "Boost, Boost Software License 1.0", "Zlib": "zlib/libpng", "ZPL-2.1": "Zope Public License",
    "HPND": "Historical Permission Notice and Disclaimer", "Artistic-2.0": "Artistic License 2.0",
    "LicenseRef-Proprietary": "Proprietary, Commercial, Other/Proprietary License",
    "SSPL-1.0": "SSPL, Server Side Public License", "UPL-1.0": "Universal Permissive License",
}
# Whole licence texts, recognised by their opening words (checked in order).
LICENSE_TEXTS: Sequence[tuple[re.Pattern[str], str]] = [(re.compile(pattern), spdx) for pattern, spdx in [
    (r"gnu affero general public license\W+version 3", "AGPL-3.0-only"),
    (r"gnu lesser general public license\W+version 3", "LGPL-3.0-only"),
    (r"gnu lesser general public license\W+version 2\.1", "LGPL-2.1-only"),
    (r"gnu library general public license\W+version 2", "LGPL-2.0-only"),
    (r"gnu general public license\W+version 3", "GPL-3.0-only"),
    (r"gnu general public license\W+version 2", "GPL-2.0-only"),
    (r"mozilla public license,? version 2\.0", "MPL-2.0"),
    (r"eclipse public license - v 2\.0", "EPL-2.0"),
    (r"server side public license", "SSPL-1.0"),
    (r"apache license\W+version 2\.0", "Apache-2.0"),
    (r"permission is hereby granted, free of charge", "MIT"),
    (r"redistribution and use in source and binary forms.*neither the name", "BSD-3-Clause"),
    (r"redistribution and use in source and binary forms", "BSD-2-Clause"),
    (r"permission to use, copy, modify, and(/or)? distribute this software for any purpose", "ISC"),
    (r"free and unencumbered software released into the public domain", "Unlicense"),
    (r"python software foundation license", "PSF-2.0"),
    (r"boost software license - version 1\.0", "BSL-1.0"),
]]


# --- SPDX expressions -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    """One licence, perhaps with an exception: ``GPL-2.0-only WITH Classpath-exception-2.0``."""

    license: str
    exception: str | None = None

    def __str__(self) -> str:
        return f"{self.license} WITH {self.exception}" if self.exception else self.license


@dataclass(frozen=True, slots=True)
class AllOf:
    """``A AND B``: every part applies."""

    parts: tuple[Expression, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """``A OR B``: the user may pick either part."""

    parts: tuple[Expression, ...]


Expression = Term | AllOf | AnyOf
_OPERATORS = frozenset({"AND", "OR", "WITH"})
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9.:+-]*")


def parse_expression(text: str, *, package: str = "") -> Expression:
    """An SPDX licence expression as a tree: OR binds loosest, then AND, then WITH.

    Raises ``InvalidInput`` naming ``package`` (and a token position) when ``text`` is malformed.
    """
    return _Parser(text, package).parse()


def render(expression: Expression, parent: type[AllOf] | type[AnyOf] | None = None) -> str:
    """The canonical text of a parsed expression (parentheses only where they are needed)."""
    if isinstance(expression, Term):
        return str(expression)
    joiner = " AND " if isinstance(expression, AllOf) else " OR "
    text = joiner.join(render(part, type(expression)) for part in expression.parts)
    return f"({text})" if parent is AllOf and isinstance(expression, AnyOf) else text


class _Parser:
    """Recursive descent over the tokens; ``_fail`` names the package and a token position, not the text."""

    def __init__(self, text: str, package: str) -> None:
        self._package, self._at = package, 0
        self._tokens = re.findall(r"\(|\)|[^\s()]+", text)
        bad = next((i for i, t in enumerate(self._tokens) if t not in "()" and not _ID.fullmatch(t)), None)
        if bad is not None:
            self._fail(f"has an invalid licence id at position {bad + 1}")

    def parse(self) -> Expression:
        expression = self._joined("OR")
        if self._at < len(self._tokens):
            self._fail(f"has an unexpected token at position {self._at + 1}")
        return expression

    def _joined(self, word: str) -> Expression:
        """OR over ANDs, AND over WITH-terms: the operator precedence of SPDX."""
        parts = [self._part(word)]
        while self._accept(word):
            parts.append(self._part(word))
        if len(parts) == 1:
            return parts[0]
        return AnyOf(tuple(parts)) if word == "OR" else AllOf(tuple(parts))

    def _part(self, word: str) -> Expression:
        return self._joined("AND") if word == "OR" else self._term()

    def _term(self) -> Expression:
        if self._accept("("):
            inner = self._joined("OR")
            if not self._accept(")"):
                self._fail(f"misses a closing parenthesis at position {self._at + 1}")
            return inner
        license_id = _cased(self._identifier())
        return Term(license_id, _cased_exception(self._identifier()) if self._accept("WITH") else None)

    def _identifier(self) -> str:
        piece = self._tokens[self._at] if self._at < len(self._tokens) else "("
        if piece in "()" or piece.upper() in _OPERATORS:
            self._fail(f"expects a licence id at position {self._at + 1}")
        self._at += 1
        return str(piece)

    def _accept(self, word: str) -> bool:
        if self._at < len(self._tokens) and self._tokens[self._at].upper() == word:
            self._at += 1
            return True
        return False

    def _fail(self, reason: str) -> NoReturn:
        who = f"package {self._package!r}" if self._package else "the input"
        raise InvalidInput(f"licence expression of {who} {reason}")


def _cased(spdx: str) -> str:
    """Known ids in their SPDX casing; deprecated GNU ids (``GPL-2.0``, ``GPL-2.0+``) in today's form."""
    upper = spdx.upper()
    if upper.endswith("+") and f"{upper[:-1]}-OR-LATER" in _CASED:
        return _CASED[f"{upper[:-1]}-OR-LATER"]
    if f"{upper}-ONLY" in _CASED:
        return _CASED[f"{upper}-ONLY"]
    if upper in _CASED or canonicalize_license_expression is None:
        return _CASED.get(upper, spdx)
    try:
        return str(canonicalize_license_expression(spdx))
    except InvalidLicenseExpression:
        return spdx


def _cased_exception(spdx: str) -> str:
    if spdx.upper() in _EXCEPTIONS_CASED or canonicalize_license_expression is None:
        return _EXCEPTIONS_CASED.get(spdx.upper(), spdx)
    try:  # packaging cases exception ids only inside an expression
        return str(canonicalize_license_expression(f"MIT WITH {spdx}")).partition(" WITH ")[2]
    except InvalidLicenseExpression:
        return spdx


def canonical_expression(text: str, *, package: str = "") -> str:
    """``text`` as a canonical SPDX expression; ``InvalidInput`` when it is malformed."""
    return render(parse_expression(text, package=package))


def category_of(expression: Expression) -> Category:
    """How restrictive an expression is: an OR takes its freest part, an AND its strictest."""
    if isinstance(expression, Term):
        base = CATEGORIES.get(expression.license, _C.UNKNOWN)
        relaxed = EXCEPTIONS.get(expression.exception or "", base)
        return min(base, relaxed, key=_RANK.__getitem__) if base is not _C.UNKNOWN else base
    ranks = [category_of(part) for part in expression.parts]
    pick = min if isinstance(expression, AnyOf) else max
    return pick(ranks, key=_RANK.__getitem__)


def terms(expression: Expression) -> Iterator[Term]:
    """Every licence term of an expression, left to right."""
    if isinstance(expression, Term):
        yield expression
        return
    for part in expression.parts:
        yield from terms(part)


# --- policy -----------------------------------------------------------------------------------

UnknownMode = Literal["warn", "deny", "allow"]


class Verdict(IntEnum):
    """Ordered from best to worst: an OR takes its best part, an AND its worst."""

    ALLOW = 0
    UNKNOWN = 1
    WEAK = 2
    DENY = 3


UNKNOWN_VERDICT: Mapping[UnknownMode, Verdict] = {
    "allow": Verdict.ALLOW, "warn": Verdict.UNKNOWN, "deny": Verdict.DENY,
}


@dataclass(frozen=True, slots=True)
class PolicyExceptions:
    """A project's own additions to its default policy (veil.toml ``[scan.licenses]``)."""

    allow: frozenset[str] = frozenset()
    deny: frozenset[str] = frozenset()
    packages: frozenset[str] = frozenset()
    unknown: UnknownMode | None = None


@dataclass(frozen=True, slots=True)
class LicensePolicy:
    """Which dependency licences pass.

    ``allow`` and ``deny`` hold SPDX ids or ``ID WITH EXCEPTION`` terms (``deny`` wins);
    ``allow_packages`` names packages (or ``name==version``) accepted whatever their licence.
    Everything else is judged by its category; ``unknown`` says what an unrecognised licence gets.
    """

    allow: frozenset[str] = frozenset()
    deny: frozenset[str] = frozenset()
    unknown: UnknownMode = "warn"
    deny_categories: frozenset[Category] = _OPEN[0]
    warn_categories: frozenset[Category] = _OPEN[1]
    allow_packages: frozenset[str] = frozenset()

    def extended(self, *, allow: Iterable[str] = (), deny: Iterable[str] = (), packages: Iterable[str] = (),
                 unknown: UnknownMode | None = None) -> LicensePolicy:
        """This policy with a project's exceptions added (veil.toml ``[scan.licenses]``)."""
        return replace(
            self, allow=self.allow | frozenset(allow), deny=self.deny | frozenset(deny),
            allow_packages=self.allow_packages | frozenset(packages), unknown=unknown or self.unknown,
        )

    def judge(self, expression: Expression) -> tuple[Verdict, Term]:
        """The verdict on an expression and the term that decides it."""
        if isinstance(expression, Term):
            return self._judge_term(expression), expression
        judged = [self.judge(part) for part in expression.parts]
        pick = min if isinstance(expression, AnyOf) else max
        return pick(judged, key=lambda pair: pair[0])

    def _judge_term(self, term: Term) -> Verdict:
        keys = {str(term).upper(), term.license.upper()}
        if keys & {entry.upper() for entry in self.deny}:
            return Verdict.DENY
        if keys & {entry.upper() for entry in self.allow}:
            return Verdict.ALLOW
        category = category_of(term)
        if category is _C.UNKNOWN:
            return UNKNOWN_VERDICT[self.unknown]
        if category in self.deny_categories:
            return Verdict.DENY
        return Verdict.WEAK if category in self.warn_categories else Verdict.ALLOW

    def accepts_package(self, name: str, version: str) -> bool:
        wanted = {canonicalize_name(name), f"{canonicalize_name(name)}=={version}"}
        return any(_package_key(entry) in wanted for entry in self.allow_packages)


def _package_key(entry: str) -> str:
    name, sep, version = entry.partition("==")
    return f"{canonicalize_name(name.strip())}{sep}{version.strip()}"


def default_policy(project_license: str | None) -> LicensePolicy:
    """The policy a project's own licence implies (an unknown licence is treated as permissive)."""
    expression = parse_quietly(project_license)
    category = category_of(expression) if expression else _C.UNKNOWN
    denied, warned = _DEFAULTS[category]
    incompatible: frozenset[str] = frozenset()
    if expression and category in {_C.STRONG, _C.NETWORK}:
        for term in terms(expression):
            incompatible |= INCOMPATIBLE.get(term.license, frozenset())
    return LicensePolicy(deny=incompatible, deny_categories=denied, warn_categories=warned)


def parse_quietly(text: str | None) -> Expression | None:
    """The parsed expression; None when ``text`` is empty or malformed."""
    try:
        return parse_expression(text) if text else None
    except InvalidInput:
        return None


def is_spdx_expression(value: str) -> bool:
    """Whether packaging (which knows every SPDX id) accepts ``value`` as an expression."""
    if canonicalize_license_expression is None:
        return False
    try:
        canonicalize_license_expression(value)
    except InvalidLicenseExpression:
        return False
    return True
