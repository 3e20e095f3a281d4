"""Names and places announced by a label: ``"holder": "Ana Lima"``, ``City: Lugo``,
``Dear Ana``. Records and forms give the NER model no sentence to read; the
label is the context.
"""

from __future__ import annotations

from veil.detect._entities import Entity
from veil.detect._recognizer import Pattern, Recognizer

_UPPER = "A-ZÀ-ÖØ-Þ"
_LOWER = "a-zß-öø-ÿ"
_WORD = rf"[{_UPPER}][{_LOWER}'’-]{{1,24}}"
# One to four capitalised words, initials allowed between them; a word followed
# by a colon is the next form label ("City: Lugo Phone: ..."), not the name.
_NAME = rf"{_WORD}(?: (?![{_UPPER}][{_LOWER}]+:)(?:[{_UPPER}]\.|{_WORD})){{0,3}}"
_QUOTE = r"[\"']?"

# Keys whose value is a name wherever they appear.
_PERSON_KEYS = (
    "name|full_?name|first_?name|last_?name|display_?name|holder|card_?holder|account_?holder"
    "|beneficiary|payee|customer_?name|applicant|owner|recipient|user_?name|signed by|assigned to"
    "|tenant"
)
# Keys that also label a speaker in a transcript ("Customer: Hi, ..."): a name only
# in structured data, after "=" or inside quotes.
_ROLE_KEYS = "customer|patient|employee|contact|author|sender|guest|visitor|client|user"
_PLACE_KEYS = "city|town|location|country|state|region|place_?of_?birth|birth_?place|hometown"

# Words that follow "Dear" or "Hello" without being anyone's name.
_NOT_NAMES = frozenset(
    "team support customer customers care sir madam all there everyone service department admin "
    "user users friend friends folks guys colleagues manager hiring happy sorry glad back here "
    "monday tuesday wednesday thursday friday saturday sunday assistant system bot "
    "yes no ok okay the it's this that please thank thanks sure great".split()
)


def _field(keys: str) -> str:
    """``key: Value``, ``key=Value``, ``"key": "Value"``; any ``prefix_`` on the key."""
    return (rf"(?<![\w-]){_QUOTE}(?i:(?:[a-z]{{1,20}}_)?(?:{keys})){_QUOTE} ?[:=|] ?{_QUOTE}"
            rf"({_NAME})(?![\w])")


PERSON_BY_LABEL = Recognizer(
    name="labelled_person",
    entity=Entity.PERSON,
    patterns=(
        Pattern("person_field", _field(_PERSON_KEYS), 0.7, group=1, flags=0),
        Pattern("person_role_field",
                rf"(?<![\w-])(?:\"(?i:{_ROLE_KEYS})\" ?: ?\"|(?i:(?:[a-z]{{1,20}}_)?(?:{_ROLE_KEYS}))=\"?)"
                rf"({_NAME})(?![\w])",
                0.7, group=1, flags=0),
        Pattern("person_greeting",
                rf"(?<![\w])(?:Dear|Hello|Hi|Hey|Thanks|Cheers|[Rr]egards|Sincerely|Best|[Ii]t's|I'm|I am"
                rf"|[Tt]his is|[Mm]y name is|[Cc]alled|[Ss]poke (?:with|to)|Applicant|Tenant|Patient"
                rf"|Cardholder),? ({_NAME})(?![\w])",
                0.6, group=1, flags=0),
        # Chat transcripts: "[Ana]: see you" at the start of a line.
        Pattern("chat_speaker", rf"(?<![^\n])\[({_NAME})\]:", 0.7, group=1, flags=0),
    ),
    validator=lambda name: not _NOT_NAMES.intersection(name.lower().split()),
    priority=12,
)

PLACE_BY_LABEL = Recognizer(
    name="labelled_place",
    entity=Entity.LOCATION,
    patterns=(
        Pattern("place_field", _field(_PLACE_KEYS), 0.7, group=1, flags=0),
    ),
    priority=12,
)

RECOGNIZERS: tuple[Recognizer, ...] = (PERSON_BY_LABEL, PLACE_BY_LABEL)
