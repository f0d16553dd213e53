"""What counts as personal data: the offline recognizers behind `app.checks.redaction`.

Small patterns find candidates and well-kept libraries validate them: python-stdnum (IBAN, Luhn,
national ids), `ipaddress`, tldextract's bundled public-suffix list (e-mail domains);
phonenumbers finds phones. Context patterns find names and documents named as such. No NLP
model, no spaCy or torch, nothing downloaded. Which finding wins, and which context excuses
one (an order number, a version), is decided in `app.checks.redaction`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import NamedTuple

import phonenumbers
import regex
import tldextract
from stdnum import iban, luhn
from stdnum.be import nn
from stdnum.de import idnr
from stdnum.es import dni, nie
from stdnum.fr import nir
from stdnum.nl import bsn
from stdnum.us import ssn

# Local formats are read as the first region in which they are a valid number.
PHONE_REGIONS = ("NL", "BE", "DE", "AT", "CH", "FR", "ES", "GB", "IE", "US")
# Reading a digit run costs up to a millisecond per region; real messages hold a few runs.
MAX_SCANNED_RUNS = 16

CASED = regex.DOTALL | regex.MULTILINE
ANY_CASE = CASED | regex.IGNORECASE


class Finding(NamedTuple):
    """One value found: its kind and where it sits in the text (`text[start:end]`)."""

    entity_type: str
    start: int
    end: int


class CheckedPattern:
    """A pattern whose matches must also pass a check (a checksum, a parse, a word list)."""

    def __init__(
        self, kind: str, pattern: str, check: Callable[[str], object], flags: int = ANY_CASE
    ) -> None:
        self.kind = kind
        self._pattern = regex.compile(pattern, flags)
        self._check = check

    def analyze(self, text: str) -> list[Finding]:
        return [
            Finding(self.kind, match.start(), match.end())
            for match in self._pattern.finditer(text)
            if match.end() > match.start() and self._check(text[match.start() : match.end()])
        ]


class IbanPattern(CheckedPattern):
    """IBANs: the longest run of groups that passes the check, since in "DE89370400440532013000
    2 days" the "2" and in "BE71096123456769 graag" the "graa" are not part of the IBAN."""

    def analyze(self, text: str) -> list[Finding]:
        found: list[Finding] = []
        for match in self._pattern.finditer(text):
            start = match.start()
            ends = sorted(match.ends(1), reverse=True)
            end = next((end for end in ends if self._check(text[start:end])), None)
            if end is not None:
                found.append(Finding(self.kind, start, end))
        return found


def _is_iban(value: str) -> bool:
    """ISO 7064 mod-97 and the country's length and format, whatever the bank code: stdnum's
    national checks reject valid accounts at banks their tables do not know (Belgian ones)."""
    return bool(iban.is_valid(value, check_country=False))


class PhoneRecognizer:
    """Phone numbers valid in one of PHONE_REGIONS, found by phonenumbers' matcher."""

    # Only digit runs can hold a phone number; matching those alone keeps the per-region
    # scans (the expensive part) to a few short strings. The length cap keeps a message made
    # of one endless digit run linear: no formatted number is longer than 24 characters.
    _CLUSTER = regex.compile(r"(?<![\w+])\+?\(?\d[\d \t().\-/\u2013]{4,24}\d(?!\w)")
    # No phone number has fewer than 7 digits; dates are the commonest long digit runs.
    _DATE = regex.compile(r"\d{1,4}[-./]\d{1,2}[-./]\d{1,4}$")

    def __init__(self, regions: Iterable[str] = PHONE_REGIONS) -> None:
        self.regions = tuple(regions)
        trunk = phonenumbers.ndd_prefix_for_region
        self._trunk_zero = {r for r in self.regions if trunk(r, True) == "0"}

    def analyze(self, text: str) -> list[Finding]:
        clusters = [c for c in self._CLUSTER.finditer(text) if self._may_hold_phone(c.group())]
        spans = [
            (cluster.start() + start, cluster.start() + end)
            for cluster in clusters[:MAX_SCANNED_RUNS]
            for start, end in self._numbers_in(cluster.group())
        ]
        # Past the cap, a digit run is taken for a phone number unread: over-redacting a
        # message made of digits costs less than a second of CPU per message (or a leak).
        spans += [cluster.span() for cluster in clusters[MAX_SCANNED_RUNS:]]
        return [Finding("PHONE", start, end) for start, end in spans]

    def _may_hold_phone(self, chunk: str) -> bool:
        return sum(c.isdigit() for c in chunk) >= 7 and not self._DATE.match(chunk)

    def _regions_for(self, chunk: str) -> tuple[str, ...]:
        """The regions whose dialling rules fit how the digits start (each scan costs)."""
        if chunk.lstrip("(").startswith(("+", "00")):
            return self.regions[:1]  # the country code decides (NL, first, dials abroad with 00)
        zero = any(token.lstrip("(").startswith("0") for token in chunk.split())
        other = not chunk.lstrip("(").startswith("0")
        return tuple(
            region
            for region in self.regions
            if (zero and region in self._trunk_zero) or (other and region not in self._trunk_zero)
        )

    def _numbers_in(self, chunk: str) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        for region in self._regions_for(chunk):
            for match in phonenumbers.PhoneNumberMatcher(
                chunk, region, phonenumbers.Leniency.VALID
            ):
                if not any(match.start < end and start < match.end for start, end in found):
                    found.append((match.start, match.end))
            if sum(end - start for start, end in found) >= len(chunk.strip("( \t")):
                break
        if not found and chunk.lstrip("(").startswith("+"):
            # An explicit country code marks a phone number even in a range that phonenumbers'
            # metadata does not (yet) call valid.
            lenient = phonenumbers.PhoneNumberMatcher(
                chunk, self.regions[0], phonenumbers.Leniency.POSSIBLE
            )
            found = [(match.start, match.end) for match in lenient]
        return found


Recognizer = CheckedPattern | PhoneRecognizer

# E-mail: no library validates the shape, so a small pattern does, and the domain must end in
# a public suffix. Local part: word characters and RFC 5322's specials, dots only inside; at
# most 64 characters (RFC 5321), which also keeps a long dotted text linear to scan.
# "/", "=" and "?" are left out although RFC 5322 allows them: real addresses hardly use them,
# and without them an address inside a URL query ("?mail=jan@...") is still found.
_LOCAL_CHAR = r"[\w!#$%&'*+^`{|}~-]"
_EMAIL = (
    rf"\b{_LOCAL_CHAR}(?:[\w.!#$%&'*+^`{{|}}~-]{{0,62}}{_LOCAL_CHAR})?"
    r"@\w+(?:-+\w+)*(?:\.\w+(?:-+\w+)*)+\b"  # labels joined by hyphens, at least one dot
)
# The bundled public-suffix snapshot: the default extractor fetches the list online.
_SUFFIXES = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=())

# IP addresses: candidates in the usual notations, then `ipaddress` must parse them. Each
# notation is a separate pattern: where they overlap, the longest match wins (app.checks.redaction).
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)"  # ASCII digits only
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_H16 = r"[0-9A-Fa-f]{1,4}"
_PREFIX6 = r"(?:/(?:12[0-8]|1[01]\d|[1-9]?\d))?"
# RFC 4291 text forms: eight groups, or "::" standing for one or more groups of zeros.
_IPV6 = "|".join(
    [rf"(?:{_H16}:){{7}}{_H16}", rf"(?:{_H16}:){{1,7}}:", rf":(?::{_H16}){{1,7}}"]
    + [rf"(?:{_H16}:){{1,{n}}}(?::{_H16}){{1,{7 - n}}}" for n in range(6, 0, -1)]
)
_IPS = (
    rf"(?<![\w:])::(?:ffff(?::0{{1,4}})?:)?{_IPV4}{_PREFIX6}\b",  # IPv4-mapped: ::ffff:1.2.3.4
    rf"(?<![\w:])(?:(?:{_H16}:){{1,5}}:(?:{_H16}:){{0,4}}|(?:{_H16}:){{6}}){_IPV4}{_PREFIX6}\b",
    rf"\b{_IPV4}(?:/(?:[0-2]?\d|3[0-2]))?\b",
    rf"(?<![\w:])(?:{_IPV6})(?:%[0-9a-zA-Z]+)?{_PREFIX6}(?![\w:]|\.\d)",  # zone id, prefix
)


def _is_ip(value: str) -> bool:
    """An address that can point at someone: this machine's own (127.0.0.1, ::1) and "any"
    (0.0.0.0) cannot, and masking them made the server's own start-up line unreadable."""
    try:
        address = ipaddress.ip_interface(value).ip
    except ValueError:
        return False
    return not (address.is_loopback or address.is_unspecified)


# IBAN: country, check digits, then up to nine groups of one to four (spaces, dots or hyphens
# between groups optional); every group end is a candidate end (see IbanPattern).
_IBAN = r"(?<![A-Z0-9])[A-Z]{2} ?[0-9]{2}(?:[ .-]?([A-Z0-9]{1,4})){3,8}(?![A-Z0-9])"
# UK National Insurance number (python-stdnum has none): two prefix letters from the allowed
# sets, never BG, GB, NK, KN, NT, TN or ZZ, six digits in pairs, suffix A-D. No checksum.
_NINO = r"\b(?!BG|GB|NK|KN|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z](?: ?[0-9]{2}){3} ?[A-D]\b"


def _is_card(value: str) -> bool:
    # 14 digits at least: 13-digit EAN barcodes on products would often pass Luhn.
    digits = regex.sub(r"\D", "", value)
    return 14 <= len(digits) <= 19 and bool(luhn.is_valid(digits))


# Groups joined by spaces, dots, dashes or slashes (one kind or mixed, as people type them).
_CARD = (
    r"\b[2-6]\d{3}(?:(?:[ ./-]?\d{4}){2,3}(?:[ ./-]?\d{1,3})?|[ .-]?\d{6}[ .-]?\d{4,5})\b"
    r"|\b[2-6]\d{13,18}\b"
)
_NATIONAL_IDS = (
    (_NINO, bool),  # no checksum to check
    (r"\b(?:\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3}[ .]\d{3}[ .]\d{3})\b", bsn.is_valid),
    (r"\b\d{2}\.?\d{2}\.?\d{2}[-.]?\d{3}\.?\d{2}\b", nn.is_valid),
    (r"\b[1-9]\d{10}\b|\b[1-9]\d(?: \d{3}){3}\b", idnr.is_valid),
    (r"\b\d{8}[- ]?[A-Z]\b", dni.is_valid),
    (r"\b[XYZ][- ]?\d{7}[- ]?[A-Z]\b", nie.is_valid),
    (r"\b[12] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}\b", nir.is_valid),
    (r"\b\d{3}-\d{2}-\d{4}\b", ssn.is_valid),
)


def _phrases(words: str) -> str:
    """An alternation of "|"-separated phrases; a space matches blanks, ' either apostrophe."""
    escaped = (regex.escape(phrase.strip(), literal_spaces=True) for phrase in words.split("|"))
    return "|".join(p.replace(" ", r"[ \t]+").replace("'", "['\u2019]") for p in escaped)


# A document number right after the document's name, in the five languages.
# Up to four words may sit between ("numéro de passeport de mon fils : ..."); any digits there
# belong to the value, and a reference word before it excuses it (app.checks.redaction.NOT_AFTER).
_FILLER = r"(?:[ \t:#.,-]*(?:\p{L}{1,10}|n[°º])(?!\w)\.?){0,4}[ \t:#.,-]*\K"
_PASSPORT = r"\b(?i:passport|passeport|pasaporte|paspoort|reisepass|pass(?=nummer|-nr))\w*"
_ID_CARD_WORDS = """id card|id-card|idcard|identity card|id-kaart|identiteitskaart|personalausweis
    |ausweis|carte d'identité|documento de identidad|dni|bsn|burgerservice|sofi
    |social security|ssn|steuer-id|steuerid|steueridentifikation|national insurance|nino
    |sécurité sociale|securite sociale|seguridad social|rijksregister|registre national"""
_ID_CARD = rf"\b(?:(?i:{_phrases(_ID_CARD_WORDS)})|NIE|NIF|NIR)\w*"

# Names: capitalised words after a self-introduction, a title or a sign-off.
_WORD = r"(?:\p{Lu}['\u2019])?\p{Lu}\p{Ll}+(?:\p{Lu}\p{Ll}+)?(?:-\p{Lu}\p{Ll}+)?(?![\w@])"
_PARTICLE = r"(?:van|von|de|der|den|ten|ter|te|du|des|del|della|di|da|dos|das|la|le|zu|y|el|al)"
_INTRO = """my name is|my name's|i am|i'm|call me|ik heet|mijn naam is|ik ben|ich heiße
    |ich heisse|mein name ist|ich bin|je m'appelle|mon nom est|je suis|me llamo
    |mi nombre es|soy"""
_TITLE = """mister|meneer|mevrouw|de heer|herr|frau|monsieur|madame|mademoiselle|señor|señora
    |señorita|don|doña|t.n.v"""
_TITLE_SHORT = r"Mr|Mrs|Ms|Miss|Dr|Dhr|Mevr|Hr|Fr|Mme|Mlle|Sr|Sra|Srta"
_SIGN_OFF = """regards|kind regards|best regards|best wishes|best|cheers|thanks|thank you
    |many thanks|sincerely|yours sincerely|groet|groeten|groetjes|vriendelijke groet
    |vriendelijke groeten|met vriendelijke groet|met vriendelijke groeten|mvg|dank je wel|bedankt
    |grüße|grüsse|gruß|viele grüße|liebe grüße|beste grüße|mit freundlichen grüßen|mfg|danke
    |cordialement|bien cordialement|bien à vous|salutations|merci|saludos|un saludo|atentamente
    |cordialmente|gracias|muchas gracias"""
_STRONG_INTRO = """my name is|my name's|ik heet|mijn naam is|ich heiße|ich heisse|mein name ist
    |je m'appelle|mon nom est|me llamo|mi nombre es"""
_LOWER_FULL = rf"\p{{Ll}}{{2,}}(?:[ \t]+(?:{_PARTICLE}[ \t]+){{0,2}}\p{{Ll}}{{2,}})?"
# A cue word is never the name itself: "danke! Viele Grüße, Tobias" names Tobias only.
_CUE = rf"(?:(?i:{_phrases(_INTRO + '|' + _TITLE + '|' + _SIGN_OFF)})|{_TITLE_SHORT})\b"
_INITIALS = rf"(?:\p{{Lu}}\.[ \t]?){{1,3}}(?:{_PARTICLE}[ \t]+){{0,2}}"
_FULL = rf"(?!{_CUE})(?:{_INITIALS})?{_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+){{0,2}}{_WORD}){{0,3}}"
_NAME = (
    rf"\b(?i:{_phrases(_INTRO)})[ \t]+\K{_FULL}"
    rf"|\b(?i:name|naam|nom|nombre)[ \t]*:[ \t]*\K{_FULL}"
    rf"|\b(?:(?i:{_phrases(_TITLE)})|{_TITLE_SHORT})\.?[ \t]+\K"
    rf"(?:{_PARTICLE}[ \t]+){{0,2}}{_FULL}"
    rf"|(?:^|(?<=[\s,.!]))(?i:{_phrases(_SIGN_OFF)})[ \t]*[,!.]?[ \t]*(?:\r?\n[ \t]*)?\K{_FULL}"
    r"(?=[ \t]*(?:[,.!]|\r?\n|$))"
    rf"|^(?:(?i:hi|hello|hey|hallo|hoi|bonjour|salut|hola)[ \t,!]+)?\K{_FULL}"
    r"(?=[ \t]+(?i:here|hier|ici|aqu[ií])\b)"
    # "This is Tom Baker calling": only with a word that shows a person speaks.
    rf"|\b(?i:this is|dit is|hier ist|hier spricht|c'est)[ \t]+\K{_FULL}(?=[ \t]+(?i:calling"
    r"|speaking|writing|again|here|hier|ici|aan de lijn|am apparat|à l'appareil)\b)"
    # "my name is anna de vries,": after an unambiguous introduction, lower case too.
    rf"|\b(?i:{_phrases(_STRONG_INTRO)})[ \t]+\K{_LOWER_FULL}(?=[ \t]*(?:[,.!;]|$))"
)
# Capitalised words that follow those cues without being names.
NOT_NAMES = frozenset(
    """i ik ich je yo we wij wir nous the a an het de een der die das ein eine le la les un une
    el los las this that dit dat not sorry so very just still also here back happy glad afraid
    again in for from at on dutch german english british american french spanish belgian irish
    european nederlander nederlandse deutsch deutscher deutsche français française español
    española kunde kundin neukunde neukundin stammkunde stammkundin student studentin mitglied
    rentner rentnerin abonnent abonnentin besitzer besitzerin inhaber inhaberin mieter mutter
    vater lehrer lehrerin arzt ärztin mitarbeiter geschäftskunde privatkunde premium gold silber
    ihr ihre ihnen sie euch montag dienstag mittwoch donnerstag freitag samstag sonntag monday
    tuesday wednesday thursday friday saturday sunday sir madam monsieur madame mademoiselle
    meneer mevrouw herr frau señor señora team support customer client service beaucoup schön
    sehr advance everyone all mr mrs ms dr prof dhr mevr my mijn mein meine unser onze our mon
    ma mes mi""".split()  # noqa: SIM905
)


def _is_name(value: str) -> bool:
    return value.split()[0].casefold() not in NOT_NAMES


def _id_number(prefix: str, kind: str, longest: int) -> CheckedPattern:
    # Document numbers are upper case with digits; "35x45mm" after "passport photo" is not one.
    value = rf"(?:(?=[A-Z]*\d)[A-Z0-9]{{6,{longest}}}|[a-z]{{1,3}}\d{{5,{longest - 1}}})\b"
    return CheckedPattern(kind, prefix + _FILLER + value, bool, flags=CASED)


def build_stages() -> list[list[Recognizer]]:
    """The recognizers, built once, in two stages; none needs an NLP model.

    The second stage reads the text with the first stage's findings masked: phone numbers are
    then never looked for inside an IBAN or a card number, which is both wrong and slow.
    """
    exact: list[Recognizer] = [
        CheckedPattern("EMAIL", _EMAIL, lambda value: _SUFFIXES(value).fqdn),
        *(CheckedPattern("IP", pattern, _is_ip) for pattern in _IPS),
        IbanPattern("IBAN", _IBAN, _is_iban),
        CheckedPattern("CARD", _CARD, _is_card),
        _id_number(_PASSPORT, "PASSPORT", 9),
        _id_number(_ID_CARD, "NATIONAL_ID", 12),
    ]
    exact += [CheckedPattern("NATIONAL_ID", pattern, check) for pattern, check in _NATIONAL_IDS]
    return [exact, [PhoneRecognizer(), CheckedPattern("NAME", _NAME, _is_name, flags=CASED)]]
