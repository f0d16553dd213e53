"""Text folded for matching, one way everywhere: casefolded, accents dropped, ligatures and
compatibility forms spelled out, invisible format characters removed. The output checks, the
human-request lexicon, restricted topics, claims and retrieval all compare folded text."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


def _fold_table() -> dict[int, str]:
    """Latin letters with their accents dropped, ligatures and compatibility forms spelled out,
    invisible format characters (zero-width spaces, soft hyphens) removed."""
    table: dict[int, str] = {}
    spans = ((0x80, 0x250), (0x1E00, 0x1F00), (0x2000, 0x2070), (0xFB00, 0xFB07), (0xFF01, 0xFF5F))
    for code in (c for lo, hi in spans for c in range(lo, hi)):
        plain = "".join(
            c
            for c in unicodedata.normalize("NFKD", chr(code))
            if not unicodedata.combining(c) and unicodedata.category(c) != "Cf"
        )
        if plain != chr(code):
            table[code] = plain
    quotes = {"\u2018": "'", "\u2019": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"}
    extra = {"æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "\u0131": "i", **quotes}
    table.update({ord(k): v for k, v in extra.items()})
    return table


_FOLD = _fold_table()
_MARKS = re.compile("[\u0300-\u036f\u200b-\u200f\u2060-\u2064\ufeff]")  # decomposed input


def fold(text: str) -> str:
    """Casefolded, accents and invisible format characters removed ("Scheiße" → "scheisse")."""
    folded = text.casefold().translate(_FOLD)
    return folded if folded.isascii() else _MARKS.sub("", folded)


_COMMON = {
    "en": "the and is are you your we our to of for with can not this that be it in on",
    "nl": "de het een en is zijn je jouw wij we ons van voor met kan niet dit dat op bij",
    "de": "der die das und ist sind sie ihr wir unser von fur mit kann nicht dies auf bei zu",
    "fr": "le la les et est sont vous votre nous notre de pour avec peut pas ce cette sur un",
    "es": "el la los las y es son usted su nosotros nuestro de para con puede no este en un",
}
_COMMON_WORDS = {lang: frozenset(words.split()) for lang, words in _COMMON.items()}
_WORD = re.compile(r"[a-z]+")


@lru_cache(maxsize=4096)
def language_of(text: str) -> str | None:
    """The likeliest of en, nl, de, fr, es by common function words; None when unsure."""
    found = _WORD.findall(fold(text))
    counts = {lang: sum(w in common for w in found) for lang, common in _COMMON_WORDS.items()}
    ranked = sorted(counts.items(), key=lambda kv: kv[1], reverse=True)
    (lang, top), (_, second) = ranked[0], ranked[1]
    return lang if top >= 3 and top >= 1.5 * second else None


# Function words of the five supported languages (accents stripped, as queries will be),
# plus chat filler. They carry no topic, and an unmatched one would dilute `lexical`.
_STOPWORDS_TEXT = """
a an the and or but of to in on at for with from by as about into is are was were be been am
it its this that these those i me my you your we our us they them their he she his her
do does did can could will would should shall may might must have has had not no yes
how what when where which who whom why there here if then so than too very just also
please hi hello hey thanks thank dear much many any some get got want need know tell like
long something anything ever still already now
de het een en of maar van te in op aan voor met bij uit over naar om door is zijn was ben
ik me mij mijn je jij jou jouw u uw we wij ons onze ze zij hun het dit dat die deze er
hoe wat wanneer waar welke wie waarom kan kun kunt wil moet heb hebt heeft niet geen ook
nog dan als graag hallo hoi bedankt dank alstublieft aub lang veel iets ooit al nu
der die das den dem des ein eine einen einem einer und oder aber von zu im am an auf fur
mit bei aus uber nach um durch ist sind war bin ich mich mir mein meine du dich dir dein
sie ihr ihre wir uns unser es wie was wann wo welche wer warum kann konnen will muss habe
hat haben nicht kein keine dass auch noch dann als bitte danke hallo lange viel etwas schon jetzt
le la les un une des et ou mais de du au aux en dans sur pour avec par est sont suis je
moi mon ma mes tu toi ton ta vous votre vos il elle nous notre ils elles leur ce cette ces
comment que quoi quand quel quelle quels qui pourquoi peut puis pas ne se sa son bonjour
merci svp combien longtemps quelque chose deja maintenant
el la los las un una unos unas y o pero de del al en con por para es son soy estoy yo mi
mis tu su sus usted nosotros nuestro como que cuando donde cual quien puedo puede no se
lo le me hola gracias favor cuanto cuanta cuantos tiempo algo ya ahora
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
