"""Restricted topics: subjects that always go to a person, checked on the customer's message.

What counts as restricted is a decision about *claims*, not about vocabulary. A customer who
claims something for themselves ("I want my money back", "refund me", "I demand compensation",
"where is my refund?", "I haven't received my refund") needs a person: only people may grant
it, and the AI can neither see nor change an order. A neutral question about policy ("what is
your return policy?", "how long does a refund take to appear?", "can I return opened items?")
is answered from the knowledge base like any other question; the output checks still stop the
AI from promising anything while it answers. Legal threats, complaints about staff and account
security (a hacked account, a stolen card, fraud) always go to a person.

Phrases are matched on normalised text (casefolded, accents stripped, punctuation as spaces)
as whole words. Two wildcards keep the lists short:
- a word ending in `*` matches any word it begins ("lawyer*" → "lawyers"),
- a lone `*` matches up to three words ("want * money back" → "want all my money back").
The first topic in the list that matches wins, so the defaults are ordered by severity.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from pydantic import BaseModel

from app.text import fold


class Topic(BaseModel):
    """A subject that always goes to a person; operators edit these in the settings."""

    name: str  # e.g. "refunds_and_compensation"
    label: str  # human words, e.g. "Refund or compensation claims"
    phrases: list[str]  # trigger phrases in any of the five languages


def normalise(text: str) -> str:
    """Folded words separated by single spaces, with spaces at both ends."""
    return f" {' '.join(_NON_WORD.sub(' ', fold(text)).split())} "


def match_topic(text: str, topics: Sequence[Topic]) -> Topic | None:
    """The first topic one of whose phrases occurs in the customer's message, if any."""
    words = normalise(text)
    return next((t for t in topics if _pattern(tuple(t.phrases)).search(words)), None)


_NON_WORD = re.compile(r"[^a-z0-9*]+")
_NEVER = re.compile(r"(?!)")


@functools.lru_cache(maxsize=256)
def _pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for a topic's phrases (cached: topics change only when operators edit them)."""
    parts = [p for p in map(_phrase, phrases) if p]
    return re.compile(" (?:" + "|".join(parts) + ")") if parts else _NEVER


def _phrase(phrase: str) -> str:
    """A phrase as a regex; every word in it is followed by a space, as in `normalise`."""
    out = ""
    for word in normalise(phrase).split():
        if word == "*":
            out += _GAP
        elif word.endswith("*") and word.strip("*"):
            out += re.escape(word.strip("*")) + r"\S* "
        elif word.strip("*"):
            out += re.escape(word.strip("*")) + " "
    return out.removesuffix(_GAP)


_GAP = r"(?:\S+ ){0,3}"  # a lone `*`: up to three words


def _split(phrases: str) -> list[str]:
    return [p.strip() for p in phrases.split(",")]


DEFAULT_TOPICS: list[Topic] = [
    Topic(
        name="legal_threats",
        label="Legal threats",
        phrases=_split(
            # en
            "lawyer*, attorney*, solicitor*, lawsuit*, legal action, legal steps, "
            "legal proceedings, take * to court, see you in court, small claims, sue you, "
            "sue your, sue this, sue the, to sue, will sue, ll sue, suing, class action, "
            "litigation, ombudsman, trading standards, "
            # nl
            "advocaat, advocaten, mijn jurist, rechtszaak, naar de rechter, "
            "juridische stappen, aanklagen, klaag * aan, dagvaard*, geschillencommissie, "
            "aangifte doen, aangifte gedaan, "
            # de
            "anwalt*, rechtsanwalt*, anwaltin, verklag*, klage einreichen, vor gericht, "
            "gerichtlich*, rechtliche schritte, juristische schritte, anzeige erstatten, "
            "schlichtungsstelle, verbraucherzentrale, mahnverfahren, "
            # fr
            "mon avocat, un avocat, notre avocat, poursuivre en justice, poursuites, "
            "en justice, tribunal*, un proces, intenter un proces, action en justice, "
            "mise en demeure, porter plainte, porte plainte, ufc que choisir, "
            # es
            "abogado*, demandar*, los voy a demandar, presentar una demanda, acciones legales, "
            "medidas legales, via judicial, juzgado, denuncia*, llevar * a juicio, "
            "hoja de reclamaciones, oficina del consumidor"
        ),
    ),
    Topic(
        name="account_security",
        label="Account security and fraud",
        phrases=_split(
            # en
            "hacked, hacker*, account * compromised, someone logged in*, someone * logged, "
            "logged into my account, someone * my account, unauthori*, stolen card, "
            "card * stolen, card was stolen, fraud*, scam*, phishing, identity theft, "
            "did not make this, didn t make this, did not place this order, "
            "didn t place this order, don t recogni* * charge, do not recogni* * charge, "
            "unrecogni* charge, someone changed my password, suspicious, "
            # nl
            "gehackt, gehacked, iemand * ingelogd, ingelogd op mijn account, pas gestolen, "
            "kaart * gestolen, creditcard gestolen, fraude, oplichting, opgelicht, "
            "identiteitsfraude, onbevoegd*, niet door mij, verdachte, "
            # de
            "gehackt, jemand * eingeloggt, jemand * angemeldet, karte * gestohlen, "
            "gestohlene karte, betrug*, betruger*, identitatsdiebstahl, verdachtig*, "
            "unbefugt*, nicht autorisiert*, missbrauch*, "
            # fr
            "pirate mon compte, compte * pirate, piratage, quelqu un * connecte, "
            "connexion suspecte, carte * volee, carte volee, fraude*, frauduleu*, escroquerie, "
            "arnaque*, hameconnage, usurpation d identite, non autorise*, "
            # es
            "hackeado*, hackearon, pirateado*, alguien * inicio sesion, "
            "alguien * entrado en mi cuenta, tarjeta robada, tarjeta * robada, "
            "me robaron * tarjeta, robo de identidad, suplantacion de identidad, estafa*, "
            "no autorizad*, sospechos*, cargo que no reconozco, no reconozco * cargo"
        ),
    ),
    Topic(
        name="staff_complaints",
        label="Complaints about staff",
        phrases=_split(
            # en
            "rude, unprofessional, insulted me, yelled at me, shouted at me, swore at me, "
            "harass*, discriminat*, complain* about * staff, complain* about * employee*, "
            "complain* about * driver, complain* about * courier, complain* about * agent, "
            "complain* about * colleague*, formal complaint, file a complaint, "
            "lodge a complaint, "
            # nl
            "onbeschoft*, onvriendelijk*, klacht over * medewerker*, klacht over * personeel, "
            "klacht over * bezorger, klacht over * chauffeur, uitgescholden, "
            "schreeuwde tegen me, discrimin*, intimid*, formele klacht, klacht indienen, "
            # de
            "unhoflich*, unfreundlich*, respektlos*, beleidigt, angeschrien, diskrimin*, "
            "belastig*, beschwerde uber * mitarbeiter*, beschwerde uber * personal, "
            "beschwerde uber * fahrer, beschwerde uber * zusteller, formelle beschwerde, "
            "beschwerde einreichen, dienstaufsichtsbeschwerde, "
            # fr
            "impoli*, malpoli*, grossier*, irrespectueu*, m a insulte, m a crie dessus, "
            "harcel*, plainte contre * employe*, plainte contre * personnel, "
            "plainte contre * livreur, plainte contre * conseiller*, reclamation officielle, "
            # es
            "maleducad*, groser*, irrespetuos*, me insulto, me grito, acoso, "
            "queja sobre * empleado*, queja sobre * repartidor, queja sobre * personal, "
            "queja contra * empleado*, queja contra * personal, queja contra * repartidor, "
            "queja formal, poner una queja, reclamacion formal"
        ),
    ),
    Topic(
        name="refunds_and_compensation",
        label="Refund or compensation claims",
        phrases=_split(
            # en: claims for oneself, not questions about the policy
            "want * money back, give * money back, pay me back, refund me, reimburse me, "
            "compensate me, i want a refund, i want a full refund, want * my refund, "
            "i would like a refund, i d like a refund, i demand * refund, "
            "i demand * compensation, i demand * money, i expect * refund, "
            "i expect * compensation, i deserve * refund, i deserve * compensation, "
            "i want compensation, i want some compensation, i want to be compensated, "
            "i want to be reimbursed, i want a discount, give me a discount, claim * refund, "
            "claim compensation, entitled to * refund, entitled to * compensation, "
            "where is my refund, still waiting for my refund, not received my refund, "
            "haven t received my refund, never received my refund, my refund has not arrived, "
            "chargeback, charge back, "
            # nl
            "wil * geld terug, geef * geld terug, betaal me terug, betaal mij terug, "
            "ik wil een terugbetaling, ik wil mijn terugbetaling, ik eis * terugbetaling, "
            "ik eis * vergoeding, ik eis * compensatie, ik eis * geld, ik wil compensatie, "
            "ik wil een vergoeding, schadevergoeding, recht op * terugbetaling, "
            "recht op * vergoeding, waar blijft mijn terugbetaling, "
            "terugbetaling * niet ontvangen, nog steeds geen terugbetaling, terugboeking, "
            # de
            "will * geld zuruck, mochte * geld zuruck, geld zuruck haben, "
            "ich verlange * erstattung, ich verlange * entschadigung, ich verlange * geld, "
            "ich fordere * erstattung, ich fordere * entschadigung, ich fordere * geld, "
            "ich will eine erstattung, ich mochte eine erstattung, "
            "ich will eine entschadigung, ich mochte * entschadigung, erstatten sie mir, "
            "anspruch auf * erstattung, anspruch auf * entschadigung, schadenersatz, "
            "wo bleibt meine erstattung, erstattung * nicht erhalten, ruckbuchung, "
            "geld zuruckfordern, "
            # fr
            "je veux etre rembourse*, je veux * mon argent, rendez moi * argent, "
            "recuperer mon argent, remboursez moi, je veux un remboursement, "
            "j exige * remboursement, j exige * dedommagement, j exige * indemnisation, "
            "j exige * compensation, je demande * remboursement, je demande * dedommagement, "
            "je veux * dedommagement, je veux * compensation, je veux * indemnisation, "
            "droit a * remboursement, ou est mon remboursement, toujours pas ete rembourse*, "
            "pas recu * remboursement, dommages et interets, "
            # es
            "quiero mi dinero, dinero de vuelta, que me devuelvan * dinero, "
            "devuelvanme * dinero, devuelveme * dinero, quiero un reembolso, "
            "quiero mi reembolso, exijo * reembolso, exijo * compensacion, "
            "exijo * indemnizacion, exijo * dinero, quiero * compensacion, "
            "quiero * indemnizacion, reembolsenme, derecho a * reembolso, "
            "donde esta mi reembolso, no he recibido * reembolso, contracargo, "
            "danos y perjuicios"
        ),
    ),
]
