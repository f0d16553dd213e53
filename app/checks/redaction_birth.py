"""Dates of birth: a date named as one ("date of birth", "geboren", "né le", "nacida el") or
written next to such a word, in the five languages and the common date formats.

Any other date (an order's, a delivery's) stays: only the birth context makes it personal.
"""

from __future__ import annotations

from app.checks.redaction_patterns import ANY_CASE, CheckedPattern, Recognizer

_MONTHS = (
    r"jan(?:uary|uari|uar|vier)?|feb(?:ruary|ruari|ruar)?|f[ée]v(?:rier)?|febrero|m[aä]r(?:ch|t|z)?"
    r"|maart|mrt|mars|marzo|apr(?:il)?|avr(?:il)?|abr(?:il)?|may|mei|mai|mayo|jun(?:e|i|io)?|juin"
    r"|jul(?:y|i|io)?|juil(?:let)?|aug(?:ust|ustus)?|ao[uû]t|ago(?:sto)?|sep(?:t|tember|tembre"
    r"|tiembre)?|set(?:iembre)?|o[ck]t(?:ober|obre|ubre)?|nov(?:ember|embre|iembre)?"
    r"|de[cz](?:ember)?|d[ée]c(?:embre)?|dic(?:iembre)?"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th|er|e|\.|º)?"
_YEAR = r"(?:19|20)\d{2}"
_DATE = (
    rf"(?:{_DAY}[./-](?:0?[1-9]|1[0-2])[./-](?:{_YEAR}|\d{{2}})"  # 12/03/1985, 12.3.85
    rf"|{_YEAR}[./-](?:0?[1-9]|1[0-2])[./-](?:0?[1-9]|[12]\d|3[01])"  # 1985-03-12
    rf"|(?:0?[1-9]|1[0-2])/{_DAY}/{_YEAR}"  # 03/12/1985 (US)
    rf"|{_DAY}[ \t]+(?:(?:of|de)[ \t]+)?(?:{_MONTHS})\.?,?[ \t]+(?:(?:de|del)[ \t]+)?{_YEAR}"
    rf"|(?:{_MONTHS})\.?[ \t]+{_DAY},?[ \t]+{_YEAR})"  # March 12, 1985
    r"(?!\d|[/.-]\d)"
)
# The words that make a date a birth date, and a short gap of ordinary words before the date.
_CUE = (
    r"date of birth|birth date|birthdate|d\.?o\.?b\.?|born|birthday|geboortedatum|geboren"
    r"|geb\.|verjaardag|jarig|geburtsdatum|geburtstag|geb\.datum|date de naissance|n[ée]e?"
    r"|naissance|anniversaire|fecha de nacimiento|f\. ?nac\.|nac[ií]|nacido|nacida|nacimiento"
    r"|cumplea[ñn]os"
)
_GAP = (
    r"(?:[ \t:,-]+(?:is|was|on|the|op|ist|am|war|der|den|le|est|el|es|fue|en|de|het|my|mijn"
    r"|mein|ma|mi)){0,3}[ \t:,-]*"
)
_AFTER_CUE = rf"\b(?:{_CUE})(?:(?<=\.)|\b){_GAP}\K{_DATE}"
# "12-03-1985 (date of birth)", "15.4.1990 geboren": the date first, the cue within two words.
_BEFORE_CUE = rf"{_DATE}(?=[ \t,(]+(?:\w+[ \t]+){{0,2}}\(?(?:{_CUE})\b)"


def recognizers() -> list[Recognizer]:
    """Dates after a birth word, and dates right before one."""
    return [
        CheckedPattern("DATE_OF_BIRTH", rf"(?<![\w/.-]){pattern}", bool, flags=ANY_CASE)
        for pattern in (_AFTER_CUE, _BEFORE_CUE)
    ]
