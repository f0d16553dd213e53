"""Named things a customer may act on, in the five languages, each under one key: a sentence
that names one must find the same key in its evidence, whatever language either is written in
("Duitsland" = "Germany", "contre-remboursement" = "cash on delivery").

Keys are compared on folded text (`app.text.fold`), so accents and case do not matter.
"""

from __future__ import annotations

import re
from functools import lru_cache

from app.text import fold

_ENTITIES: dict[str, str] = {
    # Countries and regions the help centre talks about.
    "country:nl": "netherlands|holland|nederland|niederlande|pays-bas|paises bajos|holanda",
    "country:be": "belgium|belgie|belgien|belgique|belgica",
    "country:de": "germany|duitsland|deutschland|allemagne|alemania",
    "country:at": "austria|oostenrijk|osterreich|autriche",
    "country:lu": "luxembourg|luxemburg|luxemburgo",
    "country:dk": "denmark|denemarken|danemark|dinamarca",
    "country:fr": "france|frankrijk|frankreich|francia",
    "country:es": "spain|spanje|spanien|espagne|espana",
    "country:it": "italy|italie|italien|italia",
    "country:ch": "switzerland|zwitserland|schweiz|suisse|suiza",
    "country:no": "norway|noorwegen|norwegen|norvege|noruega",
    "country:uk": "united kingdom|great britain|england|verenigd koninkrijk|engeland"
    "|vereinigtes konigreich|grossbritannien|royaume-uni|angleterre|reino unido|inglaterra",
    "country:us": "united states|verenigde staten|vereinigte staaten|etats-unis|estados unidos",
    "country:pt": "portugal",
    "country:ie": "ireland|ierland|irland|irlande|irlanda",
    "country:se": "sweden|zweden|schweden|suede|suecia",
    "country:fi": "finland|finnland|finlande|finlandia",
    "country:pl": "poland|polen|pologne|polonia",
    "region:eu": "european union|europese unie|europaische union|union europeenne|union europea",
    # Days of the week.
    "day:mon": "monday|maandag|montag|lundi|lunes",
    "day:tue": "tuesday|dinsdag|dienstag|mardi|martes",
    "day:wed": "wednesday|woensdag|mittwoch|mercredi|miercoles",
    "day:thu": "thursday|donderdag|donnerstag|jeudi|jueves",
    "day:fri": "friday|vrijdag|freitag|vendredi|viernes",
    "day:sat": "saturday|zaterdag|samstag|samedi|sabado",
    "day:sun": "sunday|zondag|sonntag|dimanche|domingo",
    # Ways to pay.
    "pay:card": "credit card|creditcard|kreditkarte|carte de credit|carte bancaire"
    "|tarjeta de credito",
    "pay:paypal": "paypal",
    "pay:ideal": "ideal",
    "pay:bancontact": "bancontact",
    "pay:klarna": "klarna",
    "pay:transfer": "bank transfer|overboeking|bankoverschrijving|uberweisung|virement"
    "|transferencia",
    "pay:apple": "apple pay",
    "pay:google": "google pay",
    "pay:cod": "cash on delivery|rembours|onder rembours|nachnahme|contre-remboursement"
    "|contra reembolso|pago contra entrega",
    "pay:cash": "cash|contant|contanten|bargeld|especes|efectivo",
    "pay:cheque": "cheque|cheques|scheck",
    "pay:crypto": "crypto|cryptocurrency|cryptocurrencies|bitcoin|cryptomunten|kryptowahrung"
    "|cryptomonnaie|criptomoneda",
    "pay:giftcard": "gift card|gift cards|cadeaukaart|cadeaubon|gutschein|geschenkkarte"
    "|carte cadeau|tarjeta regalo",
    # Carriers.
    "carrier:postnl": "postnl",
    "carrier:dhl": "dhl",
    "carrier:dpd": "dpd",
    "carrier:ups": "ups",
}

_PATTERNS = {
    key: re.compile(rf"(?<![\w-])(?:{forms})(?![\w-])") for key, forms in _ENTITIES.items()
}


# "EU" and "UE" only as written in capitals: "eu" is also a French word ("j'ai eu").
_EU_ABBREVIATION = re.compile(r"(?<![\w-])(?:EU|UE)(?![\w-])")
# Members of the European Union among the countries above.
EU_MEMBERS = frozenset(
    f"country:{c}"
    for c in ("nl", "be", "de", "at", "lu", "dk", "fr", "es", "it", "pt", "ie", "se", "fi", "pl")
)


@lru_cache(maxsize=512)
def entities(text: str) -> frozenset[str]:
    """The keys of the named things `text` mentions ("We ship to Duitsland" → country:de)."""
    folded = fold(text)
    found = {key for key, pattern in _PATTERNS.items() if pattern.search(folded)}
    if _EU_ABBREVIATION.search(text):
        found.add("region:eu")
    if "pay:cod" in found:
        found.discard("pay:cash")  # "cash on delivery" is one method, not cash as well
    return frozenset(found)


# Words that narrow a statement to what follows ("we only accept PayPal"): said without the
# help centre saying it, they turn a partial list into a false one.
EXCLUSIVES = frozenset(
    str.split(
        "only solely exclusively alleen uitsluitend enkel slechts nur ausschliesslich lediglich"
        " seulement uniquement exclusivement solo solamente unicamente exclusivamente"
    )
)


def with_members(lines: list[frozenset[str]]) -> list[frozenset[str]]:
    """The entity keys of each line of one list or table, where a line naming the European
    Union also stands for each member country that no other line of the list names: "Other
    EU countries: €7.95" is what shipping to France costs, but not to Germany when another
    line says "Netherlands, Germany: €4.95"."""
    out = []
    for i, line in enumerate(lines):
        if "region:eu" in line:
            others = {k for j, other in enumerate(lines) if j != i for k in other}
            line = line | (EU_MEMBERS - others)
        out.append(line)
    return out


def named_in(blocks: list[list[str]]) -> frozenset[str]:
    """The entity keys a passage's paragraphs and lists vouch for, members of the EU included
    (`with_members`, per list)."""
    return frozenset(
        k for block in blocks for keys in with_members([entities(s) for s in block]) for k in keys
    )
