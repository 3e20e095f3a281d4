"""Places by name: countries, US states and large cities (case-sensitive).

A gazetteer finds well-known places without the NER plug-in; with the NER
model present, the longer of two overlapping spans wins and NER finds the rest.
Names that are more often a person's name (Austin, Florence, Jordan, ...) are
left to NER.
"""

from __future__ import annotations

from veil.detect._entities import Entity
from veil.detect._recognizer import Pattern, Recognizer
from veil.detect._wordlist import trie_regex

COUNTRIES = (
    "Afghanistan|Albania|Algeria|Andorra|Angola|Argentina|Armenia|Australia|Austria|Azerbaijan|"
    "Bahamas|Bahrain|Bangladesh|Barbados|Belarus|Belgium|Belize|Benin|Bhutan|Bolivia|"
    "Bosnia and Herzegovina|Botswana|Brazil|Brunei|Bulgaria|Burkina Faso|Burundi|Cambodia|Cameroon|"
    "Canada|Cape Verde|Central African Republic|Chile|China|Colombia|Comoros|Congo|Costa Rica|"
    "Croatia|Cuba|Cyprus|Czech Republic|Czechia|Denmark|Djibouti|Dominica|Dominican Republic|"
    "Ecuador|Egypt|El Salvador|Equatorial Guinea|Eritrea|Estonia|Eswatini|Ethiopia|Fiji|Finland|"
    "France|Gabon|Gambia|Germany|Ghana|Greece|Grenada|Guatemala|Guinea|Guyana|Haiti|Honduras|"
    "Hungary|Iceland|India|Indonesia|Iran|Iraq|Ireland|Israel|Italy|Ivory Coast|Jamaica|Japan|"
    "Kazakhstan|Kenya|Kiribati|Kosovo|Kuwait|Kyrgyzstan|Laos|Latvia|Lebanon|Lesotho|Liberia|Libya|"
    "Liechtenstein|Lithuania|Luxembourg|Madagascar|Malawi|Malaysia|Maldives|Mali|Malta|"
    "Marshall Islands|Mauritania|Mauritius|Mexico|Micronesia|Moldova|Monaco|Mongolia|Montenegro|"
    "Morocco|Mozambique|Myanmar|Namibia|Nauru|Nepal|Netherlands|New Zealand|Nicaragua|Niger|"
    "Nigeria|North Korea|North Macedonia|Norway|Oman|Pakistan|Palau|Palestine|Panama|"
    "Papua New Guinea|Paraguay|Peru|Philippines|Poland|Portugal|Qatar|Romania|Russia|Rwanda|"
    "Saint Lucia|Samoa|San Marino|Saudi Arabia|Senegal|Serbia|Seychelles|Sierra Leone|Singapore|"
    "Slovakia|Slovenia|Solomon Islands|Somalia|South Africa|South Korea|South Sudan|Spain|"
    "Sri Lanka|Sudan|Suriname|Sweden|Switzerland|Syria|Taiwan|Tajikistan|Tanzania|Thailand|"
    "Timor-Leste|Togo|Tonga|Trinidad and Tobago|Tunisia|Turkmenistan|Tuvalu|Uganda|"
    "Ukraine|United Arab Emirates|United Kingdom|United States|United States of America|Uruguay|"
    "Uzbekistan|Vanuatu|Vatican City|Venezuela|Vietnam|Yemen|Zambia|Zimbabwe|USA|UK|U.S.A.|U.S.|"
    "England|Scotland|Wales|Northern Ireland|Greenland|Puerto Rico|Hong Kong|Macau"
).split("|")

US_STATES = (
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Hawaii|Idaho|"
    "Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota|"
    "Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|New York|"
    "North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|South Carolina|"
    "South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West Virginia|Wisconsin|Wyoming|"
    "Ontario|Quebec|British Columbia|Alberta|Bavaria|Catalonia|Queensland|New South Wales"
).split("|")

CITIES = (
    "Abu Dhabi|Accra|Addis Ababa|Amsterdam|Ankara|Antwerp|Athens|Atlanta|Auckland|Baghdad|Baltimore|"
    "Bangalore|Bangkok|Barcelona|Beijing|Beirut|Belfast|Belgrade|Berlin|Bern|Bogota|Bologna|Bordeaux|"
    "Boston|Bratislava|Brisbane|Bristol|Brussels|Bucharest|Budapest|Buenos Aires|Cairo|Calgary|"
    "Cape Town|Caracas|Cardiff|Casablanca|Chennai|Chicago|Cleveland|Cologne|Copenhagen|Dakar|Dallas|"
    "Delhi|Denver|Detroit|Dhaka|Doha|Dubai|Dublin|Dusseldorf|Edinburgh|Frankfurt|Geneva|Glasgow|"
    "Gothenburg|Guangzhou|Hamburg|Hanoi|Havana|Helsinki|Ho Chi Minh City|Honolulu|Houston|"
    "Hyderabad|Indianapolis|Istanbul|Jakarta|Jerusalem|Johannesburg|Karachi|Kathmandu|Kiev|Kyiv|"
    "Kolkata|Krakow|Kuala Lumpur|Lagos|Lahore|Las Vegas|Leeds|Leipzig|Lima|Lisbon|Liverpool|"
    "Ljubljana|London|Los Angeles|Lyon|Madrid|Manchester|Manila|Marseille|Melbourne|Memphis|"
    "Mexico City|Miami|Milan|Milwaukee|Minneapolis|Montevideo|Montreal|Moscow|Mumbai|Munich|Nairobi|"
    "Naples|Nashville|New Delhi|New Orleans|New York City|Newcastle|Nuremberg|Oakland|Osaka|Oslo|"
    "Ottawa|Oxford|Palermo|Paris|Perth|Philadelphia|Pittsburgh|Porto|Portland|Prague|Pune|Quito|"
    "Rabat|Reykjavik|Riga|Rio de Janeiro|Riyadh|Rome|Rotterdam|Sacramento|Salt Lake City|"
    "San Antonio|San Diego|San Francisco|San Jose|Santiago|Sao Paulo|São Paulo|Seattle|Seoul|"
    "Seville|Shanghai|Shenzhen|Singapore|Sofia|St. Louis|Stockholm|Stuttgart|Taipei|Tallinn|"
    "Tampa|Tehran|Tel Aviv|The Hague|Tokyo|Toronto|Toulouse|Tunis|Turin|Utrecht|Valencia|Vancouver|"
    "Venice|Vienna|Vilnius|Warsaw|Wellington|Zagreb|Zurich|Zürich"
).split("|")

PLACES = Recognizer(
    name="places",
    entity=Entity.LOCATION,
    patterns=(
        # "Washington Street" is a street, not the state.
        Pattern("place_name", rf"(?<![\w.-]){trie_regex(COUNTRIES + US_STATES + CITIES)}(?![\w-])"
                r"(?! (?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Drive)\b)", 0.7),
    ),
    context=("in", "from", "to", "near", "city", "country", "state", "based", "located", "live"),
    priority=10,  # same as NER: of two overlapping place spans the longer wins
)

RECOGNIZERS: tuple[Recognizer, ...] = (PLACES,)
