from __future__ import annotations

import importlib

import pytest

from veil.detect import Detector
from veil.detect.recognizers import _national, _us

from ._table import assert_linear_time, found

DETECTORS = {
    "hyperscan": Detector(recognizers=_national.RECOGNIZERS),
    "re": Detector(recognizers=_national.RECOGNIZERS, use_hyperscan=False),
}
UNFILTERED = Detector(recognizers=_national.RECOGNIZERS, threshold=0.0)


def _is_valid(module: str, number: str) -> bool:
    return bool(importlib.import_module(f"stdnum.{module}").is_valid(number))


def valid(module: str, body: str, alphabet: str = "0123456789") -> str:
    """``body`` plus the first check character that python-stdnum accepts."""
    for char in alphabet:
        if _is_valid(module, body + char):
            return body + char
    raise AssertionError(f"no check character completes {module} {body}")


def broken(module: str, body: str, alphabet: str = "0123456789") -> str:
    """``body`` plus a last character that fails the checksum."""
    return next(body + c for c in alphabet if not _is_valid(module, body + c))


LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

NHS = valid("gb.nhs", "943476591")
IDNR = valid("de.idnr", "3657426180")
NIR = "2951099126111" + importlib.import_module("stdnum.fr.nir").calc_check_digits("2951099126111")
DNI = valid("es.dni", "54362315", LETTERS)
NIE = valid("es.nie", "X2482300", LETTERS)
CF = valid("it.codicefiscale", "RCCMNL83S18D969", LETTERS)
BSN = valid("nl.bsn", "11122233")
AADHAAR = valid("in_.aadhaar", "23412341234")
SIN = valid("ca.sin", "12345678")
TFN = valid("au.tfn", "12345678")
CPF = valid("br.cpf", "3905334470")


def _spaced(number: str, *sizes: int, sep: str = " ") -> str:
    parts, at = [], 0
    for size in sizes:
        parts.append(number[at:at + size])
        at += size
    return sep.join(parts)


TABLE = [
    # UK National Insurance number: letters make it distinctive alone
    ("NI number AB 12 34 56 C", [("AB 12 34 56 C", "UK_NINO")]),
    ("employee AB123456C joined", [("AB123456C", "UK_NINO")]),
    ("prefixes GB123456A and BG123456A are never issued", []),
    ("DQ123456C has a forbidden letter", []),
    ("AB123456E has no such suffix", []),
    # NHS number: ten digits, mod 11, context needed
    (f"NHS number {_spaced(NHS, 3, 3, 4)}", [(_spaced(NHS, 3, 3, 4), "UK_NHS")]),
    (f"nhs no: {NHS}", [(NHS, "UK_NHS")]),
    (f"call {_spaced(NHS, 3, 3, 4)}", []),
    (f"NHS {broken('gb.nhs', NHS[:9])}", []),
    # German tax id: eleven digits, context needed
    (f"Steuer-ID {_spaced(IDNR, 2, 3, 3, 3)}", [(_spaced(IDNR, 2, 3, 3, 3), "DE_TAX_ID")]),
    (f"Steueridentifikationsnummer: {IDNR}", [(IDNR, "DE_TAX_ID")]),
    (f"number {IDNR} here", []),
    (f"Steuer-ID {broken('de.idnr', IDNR[:10])}", []),
    # French NIR: 15 digits with a mod-97 key; spaced form alone, compact with context
    (f"NIR {_spaced(NIR, 1, 2, 2, 2, 3, 3, 2)}", [(_spaced(NIR, 1, 2, 2, 2, 3, 3, 2), "FR_NIR")]),
    (_spaced(NIR, 1, 2, 2, 2, 3, 3, 2), [(_spaced(NIR, 1, 2, 2, 2, 3, 3, 2), "FR_NIR")]),
    (f"numéro de sécurité sociale {NIR}", [(NIR, "FR_NIR")]),
    ("Corsica: sécu 253072B07300470", [("253072B07300470", "FR_NIR")]),
    (f"code {NIR}", []),
    ("NIR 2 95 10 99 126 111 94", []),
    # Spanish DNI / NIE: check letter, distinctive alone
    (f"DNI {DNI}", [(DNI, "ES_NIF")]),
    (f"titular {DNI[:8]}-{DNI[8]}", [(f"{DNI[:8]}-{DNI[8]}", "ES_NIF")]),
    (f"DNI {broken('es.dni', DNI[:8], LETTERS)}", []),
    (f"NIE {NIE}", [(NIE, "ES_NIE")]),
    ("extranjero X-2482300-W", [("X-2482300-W", "ES_NIE")]),
    (f"NIE {broken('es.nie', NIE[:8], LETTERS)}", []),
    # Italian codice fiscale: 16 characters with a check letter
    (f"codice fiscale {CF}", [(CF, "IT_FISCAL_CODE")]),
    (f"CF: {CF[:15]}{'A' if CF[15] != 'A' else 'B'}", []),
    # Dutch BSN: nine digits, 11-proof, context needed
    (f"BSN {BSN}", [(BSN, "NL_BSN")]),
    (f"burgerservicenummer: {BSN[:4]}.{BSN[4:6]}.{BSN[6:]}",
     [(f"{BSN[:4]}.{BSN[4:6]}.{BSN[6:]}", "NL_BSN")]),
    (f"order {BSN} shipped", []),
    (f"value {BSN}", []),
    (f"BSN {broken('nl.bsn', BSN[:8])}", []),
    # Aadhaar: twelve digits, Verhoeff, context needed
    (f"Aadhaar {_spaced(AADHAAR, 4, 4, 4)}", [(_spaced(AADHAAR, 4, 4, 4), "IN_AADHAAR")]),
    (f"aadhaar no {AADHAAR}", [(AADHAAR, "IN_AADHAAR")]),
    (f"count {AADHAAR}", []),
    (f"Aadhaar {broken('in_.aadhaar', AADHAAR[:11])}", []),
    # Indian PAN: distinctive alone, holder type checked
    ("PAN ACUPA7085R", [("ACUPA7085R", "IN_PAN")]),
    ("holder AAPPV8261K", [("AAPPV8261K", "IN_PAN")]),
    ("code ABMXA3211G has no such holder type", []),
    ("serial ACUPA0000R", []),
    # Canadian SIN: ddd-ddd-ddd, Luhn, context needed
    (f"SIN {_spaced(SIN, 3, 3, 3, sep='-')}", [(_spaced(SIN, 3, 3, 3, sep="-"), "CA_SIN")]),
    (f"social insurance number {SIN}", [(SIN, "CA_SIN")]),
    (f"id {_spaced(SIN, 3, 3, 3, sep='-')}", []),
    (f"SIN {broken('ca.sin', SIN[:8])}", []),
    # Australian TFN: 8-9 digits, weighted mod 11, context needed
    (f"TFN {_spaced(TFN, 3, 3, 3)}", [(_spaced(TFN, 3, 3, 3), "AU_TFN")]),
    (f"tax file number: {TFN}", [(TFN, "AU_TFN")]),
    (f"TFN {broken('au.tfn', TFN[:8])}", []),
    # Brazilian CPF: formatted alone, bare with context
    (f"CPF {CPF[:3]}.{CPF[3:6]}.{CPF[6:9]}-{CPF[9:]}",
     [(f"{CPF[:3]}.{CPF[3:6]}.{CPF[6:9]}-{CPF[9:]}", "BR_CPF")]),
    (f"cliente {CPF[:3]}.{CPF[3:6]}.{CPF[6:9]}-{CPF[9:]}",
     [(f"{CPF[:3]}.{CPF[3:6]}.{CPF[6:9]}-{CPF[9:]}", "BR_CPF")]),
    (f"CPF {CPF}", [(CPF, "BR_CPF")]),
    ("CPF 231.002.999-00", []),
    (f"invoice {CPF[:3]}.{CPF[3:6]}.{CPF[6:9]}-{CPF[9:]}", []),
    # digit runs inside longer numbers are not ids
    (f"BSN {BSN}7", []),
    (f"BSN 3.{BSN}", []),
]


@pytest.mark.parametrize("backend", sorted(DETECTORS))
@pytest.mark.parametrize(("text", "expected"), TABLE)
def test_national_id_table(text: str, expected: list[tuple[str, str]], backend: str) -> None:
    assert found(DETECTORS[backend], text) == expected


@pytest.mark.parametrize("recognizer", _national.RECOGNIZERS, ids=lambda r: r.name)
def test_national_recognizers_share_the_national_id_priority(recognizer: object) -> None:
    assert getattr(recognizer, "priority", None) == 80


@pytest.mark.parametrize(
    "text",
    [f"number {NHS}", f"number {IDNR}", f"number {BSN}", f"number {AADHAAR}", f"number {SIN}",
     f"number {TFN}", f"number {CPF}"],
)
def test_bare_digit_ids_score_below_threshold_without_context(text: str) -> None:
    low = UNFILTERED.detect(text)
    assert low
    assert all(f.score < 0.5 for f in low)


def test_negative_word_cancels_context_word() -> None:
    assert DETECTORS["re"].detect(f"BSN on invoice {BSN}") == []


def test_canadian_sin_and_us_ssn_formats_do_not_collide() -> None:
    detector = Detector(recognizers=_national.RECOGNIZERS + _us.RECOGNIZERS)
    text = f"SIN {_spaced(SIN, 3, 3, 3, sep='-')} and SSN 123-45-6780"
    assert found(detector, text) == [
        (_spaced(SIN, 3, 3, 3, sep="-"), "CA_SIN"),
        ("123-45-6780", "US_SSN"),
    ]


def test_context_word_decides_between_nine_digit_ids() -> None:
    both = "123456782"  # passes the TFN, SIN and BSN checks alike
    assert all(_is_valid(m, both) for m in ("au.tfn", "ca.sin", "nl.bsn"))
    detector = DETECTORS["hyperscan"]
    assert found(detector, f"TFN {both}") == [(both, "AU_TFN")]
    assert found(detector, f"SIN {both}") == [(both, "CA_SIN")]
    assert found(detector, f"BSN {both}") == [(both, "NL_BSN")]


ADVERSARIAL_UNITS = {
    "digits": "1",
    "letters": "A",
    "digits_spaced": "12 ",
    "dotted": "123.",
    "capitals_digits": "AB12",
}
@pytest.mark.slow
@pytest.mark.parametrize("backend", sorted(DETECTORS))
@pytest.mark.parametrize("name", sorted(ADVERSARIAL_UNITS))
def test_two_megabyte_single_line_takes_linear_time(name: str, backend: str) -> None:
    assert_linear_time(DETECTORS[backend], ADVERSARIAL_UNITS[name])
