"""What an operator's override of a fixed text must still say, per language.

The disclosure must say in words that the customer is talking to an AI and how to reach a
person; the `/ai-policy` link is removed before the words are looked for, so the link alone
(whose "ai" once passed the check) says neither. A `_chat` twin is said only when no e-mail is
sent, so it must not mention e-mail. `problems` returns sentences for people, one per miss.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from app.text import fold

LANGUAGE_NAMES = {"en": "English", "nl": "Dutch", "de": "German", "fr": "French", "es": "Spanish"}

# Whole words (folded: accents dropped, lower case); a space stands for any run of blanks or
# hyphens. "AI-assistent", "KI-Assistent" and "assistant IA" are found through "ai", "ki", "ia".
SAYS_AI = {
    "en": """ai agent|virtual agent|ai|a i|artificial intelligence|virtual assistant
        |digital assistant|chatbot|bot|automated assistant|language model|not a person
        |not a human""",
    "nl": """ai agent|virtuele agent|ai|a i|kunstmatige intelligentie|virtuele assistent
        |digitale assistent|chatbot|bot|geautomatiseerde assistent|taalmodel|geen mens
        |niet met een mens|geen medewerker""",
    "de": """ki agent|ki agenten|ki|k i|ai|kunstliche intelligenz|kunstlicher intelligenz
        |kunstlichen intelligenz|virtueller assistent|virtuellen assistenten
        |digitaler assistent|digitalen assistenten|chatbot|bot|sprachmodell|kein mensch
        |nicht mit einem menschen""",
    "fr": """agent ia|agent virtuel|ia|i a|ai|intelligence artificielle|assistant virtuel
        |assistante virtuelle|assistant numerique|chatbot|bot|robot|agent conversationnel
        |pas une personne|pas avec une personne|pas un humain""",
    "es": """agente ia|agente de ia|agente virtual|ia|i a|ai|inteligencia artificial
        |asistente virtual|asistente digital|chatbot|bot|robot|no es una persona
        |no con una persona|no un humano""",
}
SAYS_PERSON = {
    "en": """person|people|human|humans|agent|agents|colleague|colleagues|team member|staff
        |someone from our team|representative|operator|employee""",
    "nl": """persoon|mens|mensen|medewerker|medewerkers|collega|collega s|iemand van ons team
        |klantenservice medewerker|agent""",
    "de": """mensch|menschen|person|mitarbeiter|mitarbeiterin|mitarbeitende|berater|beraterin
        |kollege|kollegin|jemand aus unserem team|servicemitarbeiter""",
    "fr": """personne|humain|humaine|conseiller|conseillere|conseillers|agent|agents
        |collaborateur|collaboratrice|membre de notre equipe|quelqu un de notre equipe""",
    "es": """persona|personas|humano|humana|agente|agentes|asesor|asesora|companero|companera
        |empleado|empleada|alguien de nuestro equipo|miembro de nuestro equipo""",
}
MENTIONS_EMAIL = "e mail|email|mail|e mailadres|mailadres|courriel|correo|correo electronico"

_LINK = re.compile(r"(?:https?://\S*)?/ai-policy\S*", re.IGNORECASE)
_NON_WORD = re.compile(r"[^a-z0-9]+")


def _words(text: str) -> str:
    """Folded words joined by single spaces and padded, for whole-word matching."""
    return f" {_NON_WORD.sub(' ', fold(_LINK.sub(' ', text))).strip()} "


def _phrases(words: str) -> list[str]:
    """The phrases of a "|"-separated list, longest first (so "ai agent" goes before "ai")."""
    return sorted((" ".join(p.split()) for p in words.split("|")), key=len, reverse=True)


def _says(text: str, phrases: str) -> bool:
    words = _words(text)
    return any(f" {phrase} " in words for phrase in _phrases(phrases))


def says_ai(text: str, locale: str) -> bool:
    """Whether the text says in words (not through the link) that this is an AI."""
    return _says(text, SAYS_AI[locale])


def says_person(text: str, locale: str) -> bool:
    """Whether the text names a person to reach, besides saying what it is not: "an AI agent,
    not a person" names no one to talk to, so the AI phrases are taken out first."""
    words = _words(text)
    for phrase in _phrases(SAYS_AI[locale]):
        words = words.replace(f" {phrase} ", "  ")
    return any(f" {phrase} " in words for phrase in _phrases(SAYS_PERSON[locale]))


def problems(locale: str, entries: Mapping[str, str]) -> list[str]:
    """Why an operator's overrides for one language cannot be saved; empty when they can."""
    language = LANGUAGE_NAMES.get(locale, locale)
    found = []
    notice = entries.get("disclosure")
    if notice is not None:
        if not says_ai(notice, locale):
            found.append(
                f"The {language} disclosure must say that the customer is talking to an AI."
            )
        if not says_person(notice, locale):
            found.append(f"The {language} disclosure must say how to reach a person.")
    for key, text in entries.items():
        if key.endswith("_chat") and _says(text, MENTIONS_EMAIL):
            found.append(
                f"The {language} text {key!r} is shown when no e-mail is sent, "
                "so it must not mention e-mail."
            )
    return found
