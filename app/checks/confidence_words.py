"""Word lists behind the confidence check, in English, Dutch, German, French and Spanish.

All words are folded (casefolded, accents stripped) as `app.text.fold` leaves them.
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Unit words → (scale, factor): durations compare in minutes or in months, so "2 weeks" is
# "14 days" and "48 hours" is "2 days", but "1 month" stays apart from "30 days".
UNITS: dict[str, tuple[str, float]] = {}
for _names, _scale, _factor in (
    ("minutes minute mins min minuten minuut minutos minuto", "mins", 1),
    ("hours hour hrs hr h uur uren stunden stunde std heures heure horas hora", "mins", 60),
    (
        "days day werkdagen werkdag dagen dag tage tagen tag werktage werktagen werktag"
        " arbeitstage arbeitstagen arbeitstag jours jour dias dia",
        "mins",
        1440,
    ),
    ("weeks week wk weken wochen woche semaines semaine semanas semana", "mins", 10080),
    ("months month maanden maand monate monaten monat mois meses mes", "months", 1),
    ("years year yrs jaar jaren jahre jahren jahr ans an annees annee anos ano", "months", 12),
    ("pct percent procent prozent %", "percent", 1),
    ("eur euro euros € usd dollar dollars $ gbp pound pounds £ chf", "money", 1),
    ("cents cent ct", "money", 0.01),
):
    UNITS.update(dict.fromkeys(_names.split(), (_scale, _factor)))
# Words that may sit between a number and its unit ("2-3 business days", "14 jours ouvrés").
UNIT_FILLERS = r"(?:(?:business|working|calendar|full|more|extra|additional|ouvres|ouvrables"
UNIT_FILLERS += r"|calendaires|habiles|laborables|naturales|werk|volle|volledige) )?"
UNIT_WORDS = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True) if u not in "%€$£")

# Spelled-out numbers, converted only when a unit follows ("dertig dagen" → 30 days).
# Articles ("een", "ein", "un", "una") are left alone: "un día estupendo" is no claim.
_UNITS_0_19 = {
    "en": "zero one two three four five six seven eight nine ten eleven twelve thirteen"
    " fourteen fifteen sixteen seventeen eighteen nineteen",
    "nl": "nul - twee drie vier vijf zes zeven acht negen tien elf twaalf dertien veertien"
    " vijftien zestien zeventien achttien negentien",
    "de": "null eins zwei drei vier funf sechs sieben acht neun zehn elf zwolf dreizehn"
    " vierzehn funfzehn sechzehn siebzehn achtzehn neunzehn",
    "fr": "zero - deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze"
    " quinze seize dix-sept dix-huit dix-neuf",
    "es": "cero uno dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce"
    " quince dieciseis diecisiete dieciocho diecinueve",
}
_TENS = {
    "en": "twenty thirty forty fifty sixty seventy eighty ninety",
    "nl": "twintig dertig veertig vijftig zestig zeventig tachtig negentig",
    "de": "zwanzig dreissig vierzig funfzig sechzig siebzig achtzig neunzig",
    "fr": "vingt trente quarante cinquante soixante soixante-dix quatre-vingt quatre-vingt-dix",
    "es": "veinte treinta cuarenta cincuenta sesenta setenta ochenta noventa",
}
_JOINED = {"nl": ("een", "{u}en{t}"), "de": ("ein", "{u}und{t}")}  # eenentwintig, einundzwanzig


def _number_words() -> dict[str, int]:
    found: dict[str, int] = {}
    for lang, units in _UNITS_0_19.items():
        small = units.split()
        found.update({w.replace("-", " "): n for n, w in enumerate(small) if w != "-"})
        for i, ten in enumerate(_TENS[lang].split()):
            value = 20 + 10 * i
            found[ten.replace("-", " ")] = value
            one, pattern = _JOINED.get(lang, ("", ""))
            for n in range(1, 10):
                unit = one if n == 1 and one else small[n] if small[n] != "-" else "un"
                if pattern:
                    found[pattern.format(u=unit, t=ten)] = value + n
                elif lang == "es":
                    found["veinti" + unit if value == 20 else f"{ten} y {unit}"] = value + n
                else:
                    joiner = " et " if n == 1 and lang == "fr" else " "
                    found[f"{ten}{joiner}{unit}".replace("-", " ")] = value + n
    return found


NUMBER_WORDS = _number_words()

# Function words left out of the support share: they say nothing about the help centre.
STOPWORDS = _words(
    "a an the and or but if then so to of in on at by for from with without about as is are was"
    " were be been being am do does did have has had having it its this that these those there"
    " here we you your yours our ours us i me my he she they them their his her what which who"
    " whom how when where why can could will would shall should may might must also just only"
    " very too more most some any all each every other such than into onto over under up down"
    " out off again further once yes ok okay please thanks thank hello hi dear sure course happy"
    " help glad let know hope great question answer anything else today"
    " de het een en of maar als dan dus te van in op aan bij voor met zonder over om is zijn was"
    " waren wordt worden word ben bent heb hebt heeft hebben dit dat deze die daar hier wij we je"
    " jij jouw u uw ons onze ik mij me mijn hij zij ze hun wat welke wie hoe wanneer waar waarom"
    " kan kunt kunnen zal zult zullen wil wilt willen mag moet ook nog al alle er graag ja hallo"
    " dank bedankt vraag"
    " der die das den dem des ein eine einen einem einer und oder aber wenn dann zu von im in an"
    " auf bei fur mit ohne uber um ist sind war waren wird werden bin bist hat habe haben dies"
    " diese dieser dort hier wir sie ihr ihre ihnen ich mich mir mein meine er es was welche wer"
    " wie wann wo warum kann konnen konnten soll sollen will wollen darf muss auch noch schon alle"
    " gerne ja hallo danke frage"
    " le la les l un une des du d et ou mais si alors a au aux de en dans sur par pour avec sans"
    " est sont etait etre ete ai as avons avez ont ce cet cette ces ici nous vous votre vos notre"
    " je j me m mon ma mes il elle ils elles leur que qui quoi quel quelle comment quand ou"
    " pourquoi peut peux pouvez pouvons puis va vais allez aussi encore tout tous toute toutes"
    " volontiers oui bonjour merci question"
    " el los las lo un una unos unas y o pero si entonces de del al en con sin sobre por para es"
    " son era eran ser sido esta estan estamos he ha han hemos este ese esa estos esas aqui alli"
    " nosotros usted ustedes tu tus su sus nuestro nuestra yo me mi mis el ella ellos que cual"
    " quien como cuando donde puede puedes puedo podemos pueden va voy vas tambien todavia ya"
    " todo todos toda todas claro hola gracias pregunta"
)

# Words that flip a sentence's polarity, beyond the negators the output checks use.
NEGATIVE_WORDS = _words(
    "excluded exclude excludes uitgesloten ausgeschlossen exclu exclus exclue excluido excluidos"
    " excluida impossible onmogelijk unmoglich imposible"
)
# A rule with its exception in one sentence has no single polarity to compare.
EXCEPTIONS = _words("unless except tenzij behalve ausser sofern sauf moins salvo excepto menos")
# Absolutes: "always free" where the help centre says "free from €50" overreaches.
ABSOLUTES = _words(
    "always never any anytime anywhere every everything everyone all immer nie niemals jeder jede"
    " jedes alle uberall jederzeit toujours jamais tous toutes partout siempre nunca todos todas"
    " cualquier altijd nooit elke ieder iedere overal"
)
# Interjections that are not a negation of what follows ("No problem!").
NOT_NEGATIONS = re.compile(
    r"\b(?:no (?:problem|worries)|geen (?:probleem|zorgen)|kein problem|pas de (?:probleme"
    r"|souci)|no (?:hay )?problema|no te preocupes|no se preocupe)\b"
)

DONT_KNOW = (
    r"\bi (?:do not|don t|dont) (?:know|have (?:that|this|any|the|enough) information)\b"
    r"|\bi (?:m|am) (?:not sure|unsure|afraid i (?:do not|don t) know|not able to (?:find|answer))"
    r"|\bi (?:could not|couldn t|cannot|can t|can not|was unable to|wasn t able to) "
    r"(?:find|answer|tell)\b|\bi have no information\b|\bnot in (?:my|our) (?:knowledge"
    r"|help centre|help center|information)\b|\bno information (?:about|on)\b"
    r"|\bik weet (?:\w+ ){0,2}niet\b|\bweet ik (?:\w+ ){0,2}niet\b|\bik ben (?:er )?niet zeker\b"
    r"|\bik (?:kan|kon) (?:\w+ ){0,3}niet (?:vinden|beantwoorden)\b|\bgeen informatie\b"
    r"|\bich weiss (?:\w+ ){0,2}nicht\b|\bweiss ich (?:\w+ ){0,2}nicht\b"
    r"|\bich bin (?:mir )?(?:\w+ )?nicht sicher\b"
    r"|\bkeine informationen?\b|\bich (?:kann|konnte) (?:\w+ ){0,3}nicht (?:finden|beantworten)"
    r"|\bje ne sais pas\b|\bje ne suis pas (?:sur|certain)|\bje n ai pas (?:d |cette |l |les )?"
    r"information|\bje n ai (?:pas )?trouve aucune|\bje ne (?:trouve|peux) pas (?:trouver"
    r"|repondre)|\baucune information\b|\bno lo se\b|\bno estoy segur[oa]\b|\bno tengo (?:esa "
    r"|la |ninguna |suficiente )?informacion\b|\bno (?:he encontrado|encuentro|puedo responder)"
    r"|\bno dispongo de\b|\bdesconozco\b|\bno sabria decir"
)
DONT_KNOW_ACCENTED = r"\bno sé\b"  # "no se" alone is also "it is not ..." once folded
