"""Street addresses in Dutch, Belgian, German, French, Spanish, British and US formats.

An address is a street (a word with a street suffix, or a street-type word before the name, or a
name with a street-type word after it) with a house number, and whatever postcode and town follow
it. A postcode alone names an area of thousands of people and stays ("Do you deliver to 1012
AB?"); with a house number it names one door, and goes ("1015 CJ 123"). No library finds
addresses offline in five languages (libpostal needs a 2 GB model), so these are patterns.
"""

from __future__ import annotations

from app.checks.redaction_patterns import CASED, CheckedPattern, Recognizer

_UP = r"\p{Lu}[\p{L}'\u2019-]*"  # a capitalised word ("Keizersgracht", "O'Connell")
_NAME_WORD = rf"(?:{_UP}|\d{{1,4}}(?:st|nd|rd|th|e|er|ste|de))"  # "5th Avenue", "18e Rue"
_LINK = r"(?:de|del|de la|de los|de las|des|du|la|le|les|d'|l'|van|van de|van der|von|der|den"
_LINK += r"|am|an|auf|im|zum|zur|of|the|y|i|sur|sous)"
_NUMBER = r"\d{1,5}(?:[A-Za-z](?![\w])|[ -][A-Da-d](?![\w])|[-/]\d{1,4})?"
_NUMBER += r"(?:,?[ \t]*(?:(?i:bus|bte|boîte|piso|puerta|apt\.?|apartment|unit|flat|suite)[ \t]*"
_NUMBER += r"\w{1,4}(?:º|ª)?))?"

# Compound street names end in a street word: "Keizersgracht", "Hauptstraße", "Meirplein".
# The short suffixes only count on a capitalised word ("onderweg 3 dagen" is no address).
_LONG_SUFFIX = (
    r"straat|gracht|laan|plein|kade|singel|dreef|steeg|straße|strasse|allee|gasse|platz"
    r"|chaussee|promenade|boulevard|str\."
)
_SHORT_SUFFIX = r"weg|dijk|hof|ring|markt|damm|pad|park|wal|baan|haven|berg|ufer|steig|pfad|tor"
_COMPOUND = (
    rf"(?:(?:{_UP}[ \t]+){{0,2}}(?:\p{{L}}[\p{{L}}-]*(?i:{_LONG_SUFFIX})"
    rf"|\p{{Lu}}[\p{{L}}-]*(?:{_SHORT_SUFFIX})))"
)
# Street-type words that come first (French, Spanish, Belgian, Dutch "Laan van ...").
_TYPE_FIRST = (
    r"(?i:rue|avenue|av\.|ave\.|boulevard|bd\.?|bld\.?|place|allée|chemin|impasse|quai|cours"
    r"|route|chaussée|square|calle|c/|avda\.?|avenida|plaza|pza\.?|paseo|carrera|camino|ronda"
    r"|travesía|carretera|glorieta|vía|laan|plein|kade|weg)"
)
_TYPE_NAME = rf"(?:{_LINK}[ \t]+){{0,2}}{_NAME_WORD}(?:[ \t]+(?:{_LINK}[ \t]+)?{_NAME_WORD}){{0,3}}"
# Street-type words that come last (British and US English).
_TYPE_LAST = (
    r"(?:Street|St|Road|Rd|Avenue|Ave|Av|Boulevard|Blvd|Lane|Ln|Drive|Dr|Close|Way|Place|Pl"
    r"|Square|Sq|Court|Ct|Gardens|Crescent|Terrace|Hill|Grove|Row|Parkway|Pkwy|Highway|Hwy"
    r"|Mews|Walk|Circle|Cir|Park|Green|Parade|street|road|avenue|lane|drive)\.?"
    r"(?:[ \t]+(?:NW|NE|SW|SE|N|S|E|W)\.?)?"
)

# What may follow the street and number: a postcode and a town, in the countries' orders.
_TOWN = rf"{_UP}(?:[ \t]+(?:{_LINK}[ \t]+)?{_UP}){{0,2}}"
_NL_POSTCODE = r"\d{4}[ \t]?[A-Z]{2}(?![\w])"
_POSTCODE = rf"(?:{_NL_POSTCODE}|(?:[A-Z]{{1,2}}-)?\d{{4,5}}(?![\w]))"  # NL, BE, DE, FR, ES
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2}(?![\w])"
_US_STATE_ZIP = r"[A-Z]{2}[ \t]+\d{5}(?:-\d{4})?(?![\w])"
_END = r"(?=[ \t]*(?:[.,;:!?)\n]|$))"
_TAIL = (
    rf"(?:,?[ \t]+{_POSTCODE}[ \t]+{_TOWN}"  # "1015 CJ Amsterdam", "10115 Berlin"
    rf"|,[ \t]*{_TOWN}(?:,?[ \t]+{_UK_POSTCODE}|,[ \t]*{_US_STATE_ZIP}|{_END})"  # ", London SW1A"
    rf"|[ \t]+(?i:in|te|à|a|en)[ \t]+{_TOWN}"  # "in Zwolle", "te Assen aub", "à Lyon"
    rf"|,?[ \t]+{_UK_POSTCODE})?"
)

_ADDRESSES = (
    # "Keizersgracht 123", "Hauptstraße 12", "Lange Leidsedwarsstraat 5a"
    rf"(?<![\w-]){_COMPOUND}[ \t]+{_NUMBER}(?![\w]){_TAIL}",
    # "12 rue de la Paix", "Calle Mayor 5", "Rue Neuve 1", "Avenida de América, 12"
    rf"(?<![\w-])(?:{_NUMBER},?[ \t]+)?{_TYPE_FIRST}[ \t]+{_TYPE_NAME},?[ \t]+"
    rf"(?:(?i:n[º°o]\.?|nr\.?|no\.?)[ \t]*)?{_NUMBER}(?![\w]){_TAIL}",
    rf"(?<![\w-]){_NUMBER},?[ \t]+{_TYPE_FIRST}[ \t]+{_TYPE_NAME}(?![\w]){_TAIL}",
    # "10 Downing Street", "1600 Pennsylvania Ave NW"
    rf"(?<![\w-]){_NUMBER}[ \t]+(?:{_UP}[ \t]+){{1,3}}{_TYPE_LAST}(?![\w]){_TAIL}",
    # "Meir 50, 2000 Antwerpen": any name, when a house number, postcode and town follow
    rf"(?<![\w-]){_UP}(?:[ \t]+{_UP}){{0,2}}[ \t]+{_NUMBER},?[ \t]+{_POSTCODE}[ \t]+{_TOWN}",
    # "1015 CJ 123", "postcode 1015CJ, huisnummer 12": a Dutch postcode names the street
    rf"(?<![\w-]){_NL_POSTCODE},?[ \t]+(?:(?i:en|met)[ \t]+)?"
    r"(?:(?i:huisnummer|huisnr\.?|nr\.?|nummer)[ \t:]*)?"
    rf"\d{{1,5}}[A-Za-z]?(?![\w:.,]\d)(?![\w])",
)

# Capitalised words that end like a street but are not one, or start a sentence.
NOT_STREETS = frozenset({"version", "versie", "step", "stap", "page", "pagina", "seite"})


def _is_address(value: str) -> bool:
    return value.split()[0].casefold().rstrip(",") not in NOT_STREETS


def recognizers() -> list[Recognizer]:
    """One recognizer per address form; on overlap the longest match wins."""
    return [CheckedPattern("ADDRESS", pattern, _is_address, flags=CASED) for pattern in _ADDRESSES]
