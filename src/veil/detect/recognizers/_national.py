"""National identifiers outside the US, each confirmed by python-stdnum or its format rules.

Bare digit runs (a BSN is any nine digits that pass mod 11) collide with order
numbers and phone numbers, so they score below the threshold and need a context
word; formats with letters or fixed punctuation are distinctive enough alone.
"""

from __future__ import annotations

from veil.detect._entities import Entity
from veil.detect._recognizer import Pattern, Recognizer
from veil.detect._validators import stdnum_validator

#: Words that say a nearby number is a business reference, not a person's id.
_NEGATIVE = ("order", "invoice", "ref", "reference", "tracking", "serial", "sku", "ticket",
             "account no", "acct", "phone", "tel", "fax", "part no", "transaction")

#: Weak base score of a bare digit run: over the threshold only with a context word.
_BARE = 0.3

# Edges of a number: no word character or dash before, no word character or
# continued number (".5", "-1") after.
_START = r"(?<![\w.-])"
_END = r"(?![\w]|[.-]\d)"


def _digits(name: str, body: str, score: float) -> Pattern:
    return Pattern(name, _START + body + _END, score)


def _uk_nino(text: str) -> bool:
    """HMRC never issues these prefixes; the letter classes in the pattern do the rest."""
    compact = text.replace(" ", "").upper()
    return len(compact) == 9 and compact[:2] not in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


UK_NINO = Recognizer(
    name="uk_nino",
    entity=Entity.UK_NINO,
    patterns=(
        # Two prefix letters (D, F, I, Q, U, V never; O never second), six digits, A-D.
        Pattern("nino", r"(?<![A-Za-z0-9])[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
                r" ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])", 0.7),
    ),
    validator=_uk_nino,
    context=("national insurance", "nino", "ni number", "ni no", "insurance number"),
    negative_context=_NEGATIVE,
    priority=80,
)

UK_NHS = Recognizer(
    name="uk_nhs",
    entity=Entity.UK_NHS,
    patterns=(
        _digits("nhs_spaced", r"\d{3} \d{3} \d{4}", _BARE),
        _digits("nhs_dashed", r"\d{3}-\d{3}-\d{4}", _BARE),
        _digits("nhs_plain", r"\d{10}", _BARE),
    ),
    validator=stdnum_validator("gb.nhs"),
    context=("nhs", "nhs number", "nhs no", "national health", "patient number"),
    negative_context=_NEGATIVE,
    priority=80,
)

DE_TAX_ID = Recognizer(
    name="de_tax_id",
    entity=Entity.DE_TAX_ID,
    patterns=(
        _digits("idnr_spaced", r"\d{2} \d{3} \d{3} \d{3}", _BARE),
        _digits("idnr_plain", r"\d{11}", _BARE),
    ),
    validator=stdnum_validator("de.idnr"),
    context=("steuer-id", "steuer id", "steuerid", "steuer-idnr", "idnr", "steuernummer",
             "steueridentifikationsnummer", "identifikationsnummer", "tax id", "tin"),
    negative_context=_NEGATIVE,
    priority=80,
)

FR_NIR = Recognizer(
    name="fr_nir",
    entity=Entity.FR_NIR,
    patterns=(
        # Sex, year, month, department (2A/2B: Corsica), commune, serial, key.
        _digits("nir_spaced", r"[1-478] \d{2} \d{2} (?:\d{2}|2[AB]) \d{3} \d{3} \d{2}", 0.6),
        _digits("nir_plain", r"[1-478]\d{4}(?:\d{2}|2[AB])\d{8}", 0.4),
    ),
    validator=stdnum_validator("fr.nir"),
    context=("nir", "insee", "sécurité sociale", "securite sociale", "sécu", "secu",
             "carte vitale", "social security", "numéro ss", "numero ss"),
    negative_context=_NEGATIVE,
    priority=80,
)

ES_NIF = Recognizer(
    name="es_nif",
    entity=Entity.ES_NIF,
    patterns=(
        # DNI: eight digits and a check letter (never I, O, U); K/L/M for some persons.
        _digits("dni", r"\d{8}[ -]?[A-HJ-NP-TV-Z]", 0.7),
        Pattern("nif_klm", r"(?<![A-Za-z0-9])[KLM]-?\d{7}-?[A-HJ-NP-TV-Z](?![A-Za-z0-9])", 0.6),
    ),
    validator=stdnum_validator("es.nif"),
    context=("dni", "nif", "documento nacional", "identificación fiscal",
             "identificacion fiscal", "número de identificación"),
    negative_context=_NEGATIVE,
    priority=80,
)

ES_NIE = Recognizer(
    name="es_nie",
    entity=Entity.ES_NIE,
    patterns=(
        Pattern("nie", r"(?<![A-Za-z0-9-])[XYZ]-?\d{7}-?[A-HJ-NP-TV-Z](?![A-Za-z0-9])", 0.75),
    ),
    validator=stdnum_validator("es.nie"),
    context=("nie", "extranjero", "foreigner", "tie"),
    negative_context=_NEGATIVE,
    priority=80,
)

# Digits of the codice fiscale may be swapped for these letters (omocodia).
_CF_DIGIT = "[0-9LMNP-V]"

IT_FISCAL_CODE = Recognizer(
    name="it_fiscal_code",
    entity=Entity.IT_FISCAL_CODE,
    patterns=(
        Pattern("codice_fiscale",
                rf"(?<![A-Za-z0-9])[A-Z]{{6}}{_CF_DIGIT}{{2}}[ABCDEHLMPRST]{_CF_DIGIT}{{2}}"
                rf"[A-Z]{_CF_DIGIT}{{3}}[A-Z](?![A-Za-z0-9])", 0.85),
    ),
    validator=stdnum_validator("it.codicefiscale"),
    context=("codice fiscale", "cod. fiscale", "c.f.", "cf", "tax code", "fiscal code"),
    negative_context=_NEGATIVE,
    priority=80,
)

NL_BSN = Recognizer(
    name="nl_bsn",
    entity=Entity.NL_BSN,
    patterns=(
        _digits("bsn_dotted", r"\d{4}\.\d{2}\.\d{3}", _BARE),
        _digits("bsn_plain", r"\d{9}", _BARE),
    ),
    validator=stdnum_validator("nl.bsn"),
    context=("bsn", "burgerservicenummer", "burger service nummer", "sofinummer", "sofi",
             "citizen service number"),
    negative_context=_NEGATIVE,
    priority=80,
)

IN_AADHAAR = Recognizer(
    name="in_aadhaar",
    entity=Entity.IN_AADHAAR,
    patterns=(
        _digits("aadhaar_spaced", r"[2-9]\d{3} \d{4} \d{4}", _BARE),
        _digits("aadhaar_dashed", r"[2-9]\d{3}-\d{4}-\d{4}", _BARE),
        _digits("aadhaar_plain", r"[2-9]\d{11}", _BARE),
    ),
    validator=stdnum_validator("in_.aadhaar"),
    context=("aadhaar", "aadhar", "adhaar", "uidai", "uid", "unique identification"),
    negative_context=_NEGATIVE,
    priority=80,
)

IN_PAN = Recognizer(
    name="in_pan",
    entity=Entity.IN_PAN,
    patterns=(
        # Three letters, holder type, name initial, serial 0001-9999, check letter.
        Pattern("pan", r"(?<![A-Za-z0-9])[A-Z]{3}[ABCFGHJLPT][A-Z]\d{4}[A-Z](?![A-Za-z0-9])",
                0.65),
    ),
    validator=stdnum_validator("in_.pan"),
    context=("pan", "pan card", "pan no", "permanent account number", "income tax"),
    negative_context=("order", "invoice", "ref", "reference", "tracking", "serial", "sku",
                      "ticket", "part no", "model"),
    priority=80,
)

CA_SIN = Recognizer(
    name="ca_sin",
    entity=Entity.CA_SIN,
    patterns=(
        # ddd-ddd-ddd: the US SSN is ddd-dd-dddd, so the two never share a match.
        _digits("sin_dashed", r"\d{3}-\d{3}-\d{3}", 0.4),
        _digits("sin_spaced", r"\d{3} \d{3} \d{3}", _BARE),
        _digits("sin_plain", r"\d{9}", _BARE),
    ),
    validator=stdnum_validator("ca.sin"),
    context=("sin", "social insurance", "assurance sociale", "numéro d'assurance sociale"),
    negative_context=_NEGATIVE,
    priority=80,
)

AU_TFN = Recognizer(
    name="au_tfn",
    entity=Entity.AU_TFN,
    patterns=(
        _digits("tfn_spaced", r"\d{3} \d{3} \d{2,3}", _BARE),
        _digits("tfn_plain", r"\d{8,9}", _BARE),
    ),
    validator=stdnum_validator("au.tfn"),
    context=("tfn", "tax file", "tax file number"),
    negative_context=_NEGATIVE,
    priority=80,
)

BR_CPF = Recognizer(
    name="br_cpf",
    entity=Entity.BR_CPF,
    patterns=(
        _digits("cpf_formatted", r"\d{3}\.\d{3}\.\d{3}-\d{2}", 0.85),
        _digits("cpf_plain", r"\d{11}", _BARE),
    ),
    validator=stdnum_validator("br.cpf"),
    context=("cpf", "cadastro de pessoas", "pessoa física", "pessoa fisica", "contribuinte"),
    negative_context=_NEGATIVE,
    priority=80,
)

RECOGNIZERS: tuple[Recognizer, ...] = (
    UK_NINO, UK_NHS, DE_TAX_ID, FR_NIR, ES_NIF, ES_NIE, IT_FISCAL_CODE, NL_BSN, IN_AADHAAR,
    IN_PAN, CA_SIN, AU_TFN, BR_CPF,
)
