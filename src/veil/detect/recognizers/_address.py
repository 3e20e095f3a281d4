"""Street addresses (US-style: number, street, suffix, unit, city, state, ZIP)."""

from __future__ import annotations

from veil.detect._entities import Entity
from veil.detect._recognizer import Pattern, Recognizer

# Street suffixes from USPS Publication 28, full and abbreviated forms.
_SUFFIXES = (
    "Alley Aly Annex Arcade Avenue Ave Bayou Beach Bend Bluffs? Bottom Boulevard Blvd Branch Bridge "
    "Brooks? Burgs? Bypass Camp Canyon Cape Causeway Centers? Ctr Circles? Cir Cliffs? Club Commons? "
    "Corners? Course Courts? Ct Coves? Creek Crescent Crest Crossing Xing Crossroad Curve Dale Dam "
    "Divide Drives? Dr Estates? Expressway Expy Extensions? Ext Falls? Ferry Fields? Flats? Fords? "
    "Forest Forges? Forks? Fort Freeway Fwy Gardens? Gateway Glens? Greens? Groves? Harbors? Haven "
    "Heights Hts Highway Hwy Hills? Hollow Inlet Islands? Isle Junctions? Keys? Knolls? Lakes? Land "
    "Landing Lane Ln Lights? Loaf Locks? Lodge Loop Mall Manors? Meadows? Mews Mills? Mission Motorway "
    "Mount Mountains? Neck Orchard Oval Overpass Parks? Parkways? Pkwy Pass Passage Path Pike Pines? "
    "Place Pl Plains? Plaza Points? Ports? Prairie Radial Ramp Ranch Rapids? Rest Ridges? River Roads? "
    "Rd Route Row Rue Run Shoals? Shores? Skyway Springs? Spurs? Squares? Sq Station Stravenue Stream "
    "Streets? St Summit Terrace Ter Throughway Trace Track Trafficway Trail Trl Trailer Tunnel "
    "Turnpike Underpass Unions? Valleys? Viaduct Views? Villages? Ville Vista Walks? Wall Ways? Wells?"
).split()
_SUFFIX = "(?:" + "|".join(sorted(_SUFFIXES, key=len, reverse=True)) + ")"
_WORD = r"(?:[A-Z][a-z]{1,20}|\d{1,3}(?:st|nd|rd|th)|[NSEW]\.?)"
_UNIT = r"(?:,? (?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Floor|Fl\.?|#) ?#?[A-Za-z0-9-]{1,6})?"
_CITY_STATE_ZIP = (
    r"(?:,?\s{1,3}[A-Z][a-z]{1,20}(?: [A-Z][a-z]{1,20}){0,2},? (?:[A-Z]{2}|[A-Z][a-z]{3,15})"
    r" \d{5}(?:-\d{4})?)?"
)

STREET_ADDRESS = Recognizer(
    name="street_address",
    entity=Entity.STREET_ADDRESS,
    patterns=(
        Pattern(
            "us_street",
            rf"(?<![\w-])\d{{1,6}}[A-Za-z]? (?:{_WORD} ){{1,4}}{_SUFFIX}\.?(?: [NS][EW]?| [EW])?(?![\w-])"
            rf"{_UNIT}{_CITY_STATE_ZIP}",
            0.7,
        ),
    ),
    context=("address", "live at", "lives at", "located at", "ship to", "deliver to", "mail to",
             "residence", "street", "billing", "shipping"),
    priority=35,
)

_UPPER = "A-ZÄÖÜÀ-Þ"
_LOWER = "a-zäöüßà-ÿ"
# German-style names end in the street word and put the number after: "Trommlerweg 30/47".
_DE_STREET = (rf"[{_UPPER}][{_LOWER}]{{1,30}}(?:-[{_UPPER}][{_LOWER}]{{1,30}}){{0,3}}"
              rf"(?:stra(?:ß|ss)e|str\.|weg|gasse|ring|platz|allee|damm|ufer|steig|pfad"
              rf"|-(?:Stra(?:ß|ss)e|Weg|Gasse|Ring|Platz|Allee|Damm|Ufer))"
              rf" \d{{1,4}}[a-z]?(?:[/-]\d{{1,4}})?")
# British flats and studios: "Flat 22 8 Ryan Broadway", "Studio 66i, Finch Pine".
_GB_FLAT = (rf"(?:Flat|Studio|Unit|Apartment) \d{{1,4}}[a-z]?,? (?:\d{{1,4}} )?"
            rf"[{_UPPER}][{_LOWER}]{{1,20}}(?: [{_UPPER}][{_LOWER}]{{1,20}}){{1,3}}")

EUROPEAN_STREET = Recognizer(
    name="european_street_address",
    entity=Entity.STREET_ADDRESS,
    patterns=(
        Pattern("de_street", rf"(?<![\w-]){_DE_STREET}(?![\w/-])", 0.7, flags=0),
        Pattern("gb_flat", rf"(?<![\w-]){_GB_FLAT}(?![\w])", 0.7, flags=0),
    ),
    context=STREET_ADDRESS.context,
    priority=35,
)

RECOGNIZERS: tuple[Recognizer, ...] = (STREET_ADDRESS, EUROPEAN_STREET)
