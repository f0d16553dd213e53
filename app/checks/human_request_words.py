"""Word lists for human-request detection (en, nl, de, fr, es), grouped by concept, and the
normalisation that turns a message into clauses of such words.

Entries are normalised forms: casefolded, accents stripped, apostrophes and hyphens split. The
rules in `app.checks.human_request` work on these concepts, never on literal sentences, so a new
phrasing is covered as soon as its words are.
"""

from __future__ import annotations

import re

from app.text import fold


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _sentences(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in text.replace("\n", " ").split(" | "))


# Someone who could take over the conversation.
HUMAN = _words("""human humans hooman hoomans humanbeing person persons someone somebody anyone
    anybody agent agents operator operators representative representatives rep reps staff employee
    employees colleague manager supervisor advisor adviser consultant specialist boss whom
    teamlead member assistant mens mensen persoon iemand medewerker medewerkers medewerkster
    collega leidinggevende adviseur consulent baas teamleider mensch menschen jemand jemanden
    jemandem mitarbeiter mitarbeiterin berater beraterin ansprechpartner ansprechperson
    sachbearbeiter vorgesetzten vorgesetzter chef betreuer kundenbetreuer kollege kollegen
    teamleiter agenten wem personlich verantwortlichen verantwortliche verantwortlicher
    zustandigen humain humaine humains personne quelquun conseiller conseillere conseillers
    operateur operatrice employe collegue responsable interlocuteur superieur technicien persona
    personas humano humana humanos alguien agente agentes asesor asesora operador operadora
    representante empleado empleada encargado encargada ejecutivo ejecutiva jefe gerente
    companero""")
# German and Dutch glue nouns together: "Kundenservicemitarbeiter", "klantenservicemedewerker".
_SUFFIXES = (
    "mitarbeiter mitarbeitern mitarbeiterin medewerker medewerkers berater beraterin betreuer"
)
HUMAN_SUFFIXES = tuple(_words(_SUFFIXES))

# Makes a following or preceding HUMAN word unambiguous.
REAL = _words("""real actual live proper echt echte echter echten echtes menselijk menselijke
    menschlich menschlichen menschlicher menschliche richtig richtige richtigen richtiger vrai
    vraie vrais reel reelle reels verdad vivo personally persoonlijk personnellement
    personalmente""")

TALK = _words("""talk speak chat livechat reach contact discuss call callback deal talking
    speaking chatting contacting reaching calling spreken spreek praten praat chatten bereiken
    contacteren bellen terugbellen overleggen bespreken sprechen spreche reden rede erreichen
    erreiche kontaktieren telefonieren unterhalten anrufen kontakt contacto zuruckrufen besprechen
    parler parle discuter joindre contacter echanger causer rappeler appeler affaire hablar hablo
    chatear contactar platicar charlar atienda atender atiendan atiendame llamar llame llamen
    conversar tratar discutir hablando""")

# Hand the conversation to someone: needs a human or a service as its object.
TRANSFER = _words("""connect transfer put escalate forward redirect switch connected transferred
    transfered forwarded escalated doorgeven weitergeben doorverbinden verbind verbinden
    doorzetten doorsturen koppelen zet stuur doorschakelen doorgeschakeld doorverbonden
    inschakelen verbinde weiterleiten weiterleitung durchstellen ubergeben vermitteln stellen
    stell leiten leite weitergeleitet durchgestellt transferer transferez transfere relation
    rediriger passez passer orienter orientez oriente transferir transfiere transfiera transfieran
    transfiereme pasame pasas paseme pasar comunicar comunicame comuniqueme comunique ponme ponga
    poner conectar conecteme derivar derive escalar handover passme""")

WANT = _words("""want wanna need prefer demand give gimme get fetch bring request ask asking let
    lemme rather wil wilt willen wens mag graag liever geef geeft krijgen laat zou moet nodig will
    willst mochte mochten brauche brauchen gib gebt geben holen hole lass lassen verlange gern
    gerne hatte bekommen kriegen veux veut voudrais voudrait souhaite souhaiterais souhaiterait
    aimerais prefere demande exige besoin donnez donne donner avoir faut quiero quisiera necesito
    necesitamos gustaria prefiero exijo pido dame deme denme dar busco dejame deja wouldlike""")

# nl/de verbs that come after their object: "kan ik een medewerker krijgen?".
VERB_FINAL = _words("""krijgen bekommen kriegen geven geben graag gern gerne nodig doorverbinden
    verbinden doorzetten doorsturen koppelen doorschakelen inschakelen doorgeven ubergeben
    weiterleiten weitergeben durchstellen vermitteln""")

# A human who should look at the case: "can a person check this?"
LOOK = _words("""look check review handle help answer reply respond jump step kijken antwoorden
    meekijken bekijken helpen draufschauen nachsehen ansehen anschauen prufen kummern helfen
    antworten regarder regarde verifier examiner traiter repondre aider revisar revise mirar mire
    ayudar ayude responder""")

SERVICE = _words("""customerservice support helpdesk klantenservice klantendienst kundendienst
    kundenservice kundensupport serviceclient soporte atencionalcliente servicioalcliente
    hotline""")

# Not "ai": in French it is "j'ai".
BOT = _words("bot bots chatbot robot robots machine computer ki ia automaat maschine maquina")

# "stop the bot", "genug", "basta": refusal of the machine.
STOP = _words("""stop enough quit refuse stopp schluss genug verweigere arretez arrete assez marre
    basta niego genoeg klaar weiger weigere""")

# Negate the verb that follows (or, in nl/de, precedes) them.
NEG = _words("not niet nicht pas ne n no nunca")
# Negate the noun that follows: "geen medewerker", "keinen Mitarbeiter", "no need".
NEG_NOUN = _words("no geen kein keine keinen keinem sans sin ningun ninguna")

# "someone else", "iemand anders", "quelqu'un d'autre": a third party, not a handler.
OTHER = _words("""else other another second extra additional anders ander andere anderen anderes
    zweite weitere autre autres otra otro otras otros mas""")

# Past tense: a report about an earlier conversation, not a request.
PAST = _words("""talked spoke spoken chatted sprak spraken gesproken gepraat belde gesprochen
    sprach geredet telefonierte hable hablaron hablamos parlait""")
# French perfect: "j'ai parle a un conseiller" reports, it does not ask.
AUXILIARIES = _words("ai as avons avez ont")

# Words that turn a HUMAN word into a thing or a category: "human resources", "travel agent",
# "medewerker van de maand". They may stand on either side of the noun.
ATTRIBUTE = _words("""resources ressources recursos fee fees licence license error erreur fout
    fehler rights droits derechos readable month maand monats mois mes commission discount rabatt
    korting account code program programme travel sales delivery shipping customs estate insurance
    booking mobile tour network secret private natural legal reis verkoop reise vertriebs voyage
    voyages viajes aduanas ventas vente commercial comercial immobilier inmobiliario telefonia
    movil telephonie""")
# Only before the noun: "per person", "pro Person", "por persona".
# ... and a beneficiary is no handler: "a gift card for someone", "Gutschein für jemanden".
ATTRIBUTE_BEFORE = _words("""per pro par por each elke jede chaque cada for voor fur pour para my
    mijn mein meine meinem meinen meiner mon ma mes mi mis""")

# Only after the noun: "a person under 18", "persona menor de 18".
ATTRIBUTE_AFTER = _words("""under onder unter moins menor minor older younger over boven uber
    mineur mineure minderjarig minderjarige minderjahrig minderjahrige""")

# "Do your staff speak German?" asks about a language, unless it follows a preposition
# ("someone in English"), which makes it part of a request.
LANGUAGES = _words("""english engels englisch anglais ingles dutch nederlands niederlandisch
    neerlandais holandes german duits deutsch allemand aleman french frans franzosisch francais
    frances spanish spaans spanisch espagnol espanol italian italiaans italienisch italien
    italiano languages language talen taal sprachen sprache langues langue idiomas idioma""")
LANGUAGE_PREPOSITIONS = _words("in en auf op na em")

# Connectors skipped when looking for an ATTRIBUTE after the noun ("agente de aduanas").
LINKERS = _words("of van de der des del d la el")

# Allowed around a bare HUMAN word in a short clause: "real person pls", "un agente por favor".
FILLER = _words("""a an the some one een de het ein eine einen einem einer nen nem der die das dem
    den un une le la les des du una uno el los las your you jullie uw je ihr ihren ihrem votre vos
    tu su me mij mich mir moi mi with met mit avec con to for voor fur pour para just only please
    pls plz pliz bitte svp stp aub alsjeblieft alstublieft graag favor porfa porfavor xfa merci
    thanks danke gracias bedankt now asap nu jetzt sofort maintenant ya ahora urgent dringend
    urgente immediately right away tout suite hier here ici aqui au aux al zum zur aan even
    eventjes gewoon mal kurz eens maar onthephone""")

# Small words allowed between a refusal and the bot: "no more of this bot", "basta de bot".
BOT_GAP = _words("""more meer mehr plus this that dit deze die dieser diesem ce cet cette este
    esta ese esa do to of""")
# Particles of split verbs: "verbind me door", "put me through", "stellen Sie mich durch".
PARTICLES = _words("door through over durch weiter")
# Between "I want" and the human: "ik wil graag even iemand", "quisiera tener a alguien".
PRONOUNS = _words("i ik ich je j yo sie u usted vous qu que for naar nach have hebben haben tener")
# Passive or objectless transfers: "ik wil doorverbonden worden", "je veux etre transfere".
PASSIVE = _words("be being get worden werden etre ser que")
# A subject after a negation makes a complaint, not a refusal: "why can't you transfer me".
SUBJECTS = _words("you u jij je sie vous usted ustedes")
# A clause opened by a relative pronoun belongs to the noun before the comma.
RELATIVES = _words("who that which die dat wie der welcher welche qui que quien")
ME = _words("me mij mich moi mi")

# Someone available now: "is there an agent available?", "ein Mitarbeiter frei?".
AVAILABLE = _words("""available beschikbaar vrij verfugbar erreichbar frei disponible disponibles
    libre dispo dispos around present aanwezig anwesend online ici aqui presente presentes""")

# A group the human belongs to: "someone from your team", "iemand van jullie afdeling".
GROUP = _words("""team equipe equipo afdeling abteilung department departement departamento
    company bedrijf firma empresa entreprise van von from aus uit of de del gern gerne""")

# "a transfer to someone" is money: a determiner makes a transfer verb a noun.
DETERMINERS = _words("""a an the my your this that een de het mijn ein eine die der das meine ma
    mon mi""")
# "can someone help me?" is too vague alone; "someone real" or "personally" makes it a request.
INDEFINITE = _words("""someone somebody anyone anybody iemand jemand jemanden jemandem
    alguien quelquun""")

# Word sets the rules use as gaps between the words that matter.
NO_BOT_GAP = FILLER | WANT | TALK | NEG | NEG_NOUN | STOP | BOT_GAP
TRANSFER_GAP = FILLER | PARTICLES | WANT | PASSIVE | PRONOUNS | ME
BARE = FILLER | GROUP
# Between "I want" and the human: only small words, so "a gift card for someone" is no request.
WANT_GAP = FILLER | REAL | WANT | PRONOUNS

# Typos are forgiven for these; not LOOK: "reviews" is one letter from "review" but no request.
FUZZY_TAGS = ("HUM", "REAL", "TALK", "XFER", "WANT", "BOT")
# Order matters: a word in two lists takes the first concept.
_TAGS = ("HUM", "SERV", "REAL", "TALK", "XFER", "WANT", "LOOK", "BOT", "STOP", "PAST", "OTHER")
_LISTS = (HUMAN, SERVICE, REAL, TALK, TRANSFER, WANT, LOOK, BOT, STOP, PAST, OTHER)
CONCEPTS = tuple(zip(_TAGS, _LISTS, strict=True))

# Spanish object pronouns glued to the verb: "pasarle", "revisarlo", "comunicame".
CLITICS = ("melo", "selo", "los", "las", "lo", "la", "le", "les", "me", "nos")

# Misspellings and chat slang seen widely in support chats, mapped to a normal form.
SLANG = dict(
    pair.split(":")
    for pair in _words("""kiero:quiero qiero:quiero ablar:hablar jveux:veux wnat:want hooman:human
    humam:human ppl:person agnt:agent u:you ur:your""")
)

# Ordinary words one typo away from a concept word: never "correct" them.
NO_FUZZ = _words("""personal personnel personally agenda agency agence agencia humor humour
    operation opera reader means meant spare speaks talks chats wants needs helps humid manger
    helper gesprek sprache dinge reste parte partner paste pasta poste porte pose hablan hablas
    cancel taking college colleges employer employers advise advised advises advice stuff still""")

# Multi-word expressions joined into one token before tagging (patterns on normalised text).
PHRASES = (
    (r"\bquelqu un\b", "quelquun"),
    (r"\bpor favor\b", "porfavor"),
    (r"\bs il (?:vous|te) plait\b", "svp"),
    (r"\blive chat\b", "livechat"),
    (r"\bcustomer (?:service|support|care)\b", "customerservice"),
    (r"\bservice (?:client|clients|clientele)\b", "serviceclient"),
    (r"\b(?:atencion|servicio) al cliente\b", "atencionalcliente"),
    (r"\bhuman being\b", "humanbeing"),
    (r"\b(?:etre|ser) (humain|humano)\b", r"\1"),
    (
        r"\b(?:on the|aan de|ans|am|au|al) (?:phone|line|lijn|tele(?:foon|fon|phone|fono))\b",
        "onthephone",
    ),
    (r"\bin person\b", "personally"),
    (r"\bhave a word\b", "talk"),
    (r"\b(?:would|d|should) like\b", "wouldlike"),
    (r"\bhand (?:me |this |it |us )?over\b", "handover"),
    (r"\bpass (?:me|this|it|us)\b", "passme"),
    (r"\b(real|actual|live) one\b", r"\1 person"),
    (r"\bcontact ?(?:person|persoon)\b|\bpersonn?e a contacter\b", "contactperson"),
    (r"\bpersona de contacto\b", "contactperson"),
)

# Sentences whose meaning is a request for a person (embedded once at start-up).
ANCHORS = _sentences("""I want to talk to a human | connect me with a live agent please |
    can I speak to a real person instead of the bot |
    transfer me to a customer service representative | I need a human being, stop the chatbot |
    let me chat with somebody from your staff | ik wil een medewerker spreken |
    kan ik met een echt mens praten | verbind mij door met iemand van de klantenservice |
    geen chatbot, ik wil een persoon | ich möchte mit einem Menschen sprechen |
    verbinden Sie mich mit einem Mitarbeiter | kein Bot, ich brauche einen echten Ansprechpartner |
    je veux parler à un humain | mettez-moi en relation avec un conseiller |
    pas de robot, je voudrais une vraie personne | quiero hablar con una persona |
    pásame con un agente humano | no quiero un bot, necesito un asesor real""")

# Sentences that mention people or agents but ask about something else.
COUNTER_ANCHORS = _sentences("""what is the address of your human resources department |
    are you hiring customer service agents | the courier gave my parcel to a neighbour |
    can I add a second user to my account | is there an employee discount | where is my order |
    how do I reset my password | wat zijn de openingstijden van de klantenservice |
    hoeveel personen mogen er mee | wie viele Personen passen in das Zelt |
    Ihr Kollege hat mir gestern eine Gutschrift versprochen | quel est le prix par personne |
    le livreur a remis mon colis à une autre personne | ¿cuál es la comisión del agente de viajes? |
    ¿puede otra persona recoger mi pedido? | can I ask you something about my order |
    kan ik jou iets vragen over mijn levering | are you a chatbot or a program? |
    do you speak English | sprechen Ihre Leute Deutsch? |
    I need to call my bank about this payment | tengo que llamar a mi banco |
    je voudrais postuler comme conseiller de vente | the staff in your shop were very friendly |
    el empleado de la tienda fue muy amable | does anybody read the reviews""")


def normalise(text: str) -> str:
    """Casefolded, accent-free text with contractions and elisions split into words."""
    text = fold(re.sub("n['\u2019]t\\b", " not", text.casefold()))
    text = re.sub("['\u2019`\u00b4\\-_/]", " ", text)
    for pattern, replacement in PHRASES:
        text = re.sub(pattern, replacement, text)
    return text


def clauses(text: str) -> list[list[str]]:
    """Words per clause: rules never look across a comma or a full stop.

    A relative clause stays with its noun: "einen Kollegen, der mir helfen kann".
    """
    out: list[list[str]] = []
    for sentence in re.split(r"[.!?;:()\[\]\n]+", normalise(text)):
        for i, part in enumerate(sentence.split(",")):
            words = [SLANG.get(w, w) for w in re.findall(r"[a-z0-9]+", part)]
            if i and out and words and words[0] in RELATIVES:
                out[-1] += words
            elif words:
                out.append(words)
    return out
