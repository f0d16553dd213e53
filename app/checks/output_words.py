"""Word lists of the output checks: what excuses a topic word, binding language, prompt leaks
and swearing.

Binding and leak phrases run on normalised text (see `app.checks.output.words`). Swear words are
curated, not exhaustive: the words a brand would never want its assistant to say (INC-DPD).
Each is a regex matched as a whole word on folded text with leetspeak undone, so a word is never
found inside another ("Scunthorpe", "class", "assistant", "shiitake" stay clean). Words that are
also innocent in a shop's vocabulary are left out or listed only in unambiguous forms: "dick",
"cock", "prick" (English), "kanker" alone (Dutch: cancer), "kleren" (clothes), "huren" (to rent),
"Gericht", "Mist" (German), "con", "bite", "cul" (French), "cono" (Spanish for cone, "coño" once
accents are stripped), "polla", "zorra", "perra", "capullo".
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words after (or glued to) a topic word that make it a subject of conversation, not a gift.
NOT_A_GIFT_AFTER = _words(
    "policy policies form forms request requests process procedure status terms conditions rules"
    " page options option eligibility window period timeline method card beleid voorwaarden"
    " formulier aanvraag termijn bedingungen richtlinie richtlinien formular antrag frist"
    " politique formulaire demande delai politica condiciones formulario solicitud plazo proceso"
    " kaart karte carte tarjeta"
)
NOT_A_GIFT_GLUED = re.compile(
    r"richtlinie|formular|antrag|bedingung|beleid|formulier|aanvraag|voorwaard|termijn|status|frist"
)
NOT_A_GIFT_BEFORE = r"(?:polic|politi|form|demand|solicit|condic|condit|proce|pagin|page|estad"
NOT_A_GIFT_BEFORE += r"|statu|regl|plaz|dela)\w* (?:de |del |d |de la |sur )$"

# A word between the commitment and the topic that means "talking about", not "giving".
GAP_GUARDS = _words(
    "about regarding concerning info information details link links email mail question"
    " questions status update request form over omtrent betreffende informatie uber bezuglich"
    " betreffend informationen sur concernant propos informations sobre acerca informacion"
    " respecto solicitar pedir demander beantragen aanvragen check review colleague"
    " colleagues collega kollege kollegin collegue companero person persoon mensch personne"
    " persona agent team human manager supervisor how what when where why which hoe wanneer"
    " waar waarom wie wo wann warum wie comment quand pourquoi como cuando donde"
)

NEGATORS = _words(
    "not no never cannot t none neither nor unable niet geen nooit nicht kein keine keinen"
    " keinem keiner keines nie niemals ne n pas jamais aucun aucune nunca ningun ninguna"
    " ninguno tampoco"
)

# A condition in the sentence turns "we will refund you" into a statement of policy.
CONDITIONS = _words(
    "if once when whenever after provided unless zodra wanneer indien nadat mits tenzij"
    " wenn falls sobald nachdem sofern vorausgesetzt si lorsque lorsqu quand apres pourvu"
    " cuando despues siempre"
)
# ...except a courtesy ("if you like, I'll give you 20% off" is an offer, not a policy).
COURTESY = (
    r"\b(?:if|als|wenn|falls|si) (?:you d like|you would like|you want|you wish|you like"
    r"|you prefer|je wilt|u wilt|u wenst|sie mochten|sie wollen|du willst|du mochtest"
    r"|vous voulez|vous le souhaitez|vous souhaitez|tu veux|quieres|lo deseas|lo desea|desea)\b"
)


# Binding language needs no topic: these are promises whatever follows.
BINDING = (
    r"legally binding|binding (?:offer|contract|agreement|deal|commitment|promise|quote)"
    r"|no takesies|takesies backsies|\b(?:it|that|this) (?:is|s) a (?:done )?deal\b"
    r"|\b(?:we|you) (?:have|ve) (?:got )?a deal\b|\bgot (?:yourself )?a deal\b|\bdone deal\b"
    r"|\bdeal done\b|\| (?:deal|afgesproken|abgemacht|gebongt|versprochen|marche conclu"
    r"|trato hecho) \||\bi (?:(?:can|do|hereby|personally) )*(?:guarantee|promise)\b"
    r"|\byou have my word\b|\bi give you my word\b|juridisch bindend|bindend (?:aanbod|contract"
    r"|akkoord)|rechtsgeldig|\bik (?:(?:kan|wil) )*(?:garandeer|beloof)\b|\bdat is een deal\b"
    r"|(?:je|u) (?:hebt|heeft) mijn woord|rechtsverbindlich\w*|(?:rechtlich|juristisch) bindend"
    r"|verbindlich\w* (?:angebot|zusage|vertrag)|\bich (?:(?:kann|mochte) )*(?:garantiere"
    r"|verspreche)\b|(?:sie haben|du hast) mein wort|\bdas ist ein deal\b"
    r"|juridiquement (?:contraignant|engageant)|(?:offre|engagement|contrat) (?:ferme"
    r"|contraignant|definitif)|marche conclu|\bje (?:vous |te )?(?:le )?(?:garantis|promets)\b"
    r"|(?:vous avez|tu as) ma parole|\bc est un deal\b|(?:legal|juridica)mente vinculante"
    r"|(?:oferta|contrato|acuerdo|compromiso) vinculante|trato hecho|cerramos el trato"
    r"|\b(?:te|le|os|les) (?:lo )?(?:garantizo|prometo)\b|\btienes? mi palabra\b|\bes un trato\b"
)

LEAK_PHRASES = (
    r"\bmy (?:(?:initial|original|hidden|secret|system|internal) )?(?:instructions|prompt"
    r"|guidelines|directives) (?:are|say|state|tell|were|read|is)\b|\bsystem ?prompt\b"
    r"|\bi (?:was|have been|ve been|am|m) (?:told|instructed|programmed|prompted) (?:to|not to)\b"
    r"|\bas an ai language model instructed\b|\baccording to my (?:instructions|prompt"
    r"|guidelines)\b|\bthe prompt i (?:was|have been) given\b|\bdeveloper message\b"
    r"|\bhidden instructions\b|\bmijn (?:instructies|opdracht) (?:zijn|luiden|is|zeggen)\b"
    r"|\bsysteemprompt\b|\bik (?:ben|werd) (?:geinstrueerd|opgedragen)\b|\bmij is opgedragen\b"
    r"|\bmeine anweisungen (?:sind|lauten|sagen)\b|\bsystem ?prompt\b|\bmir wurde gesagt\b"
    r"|\bich wurde angewiesen\b|\bmes instructions (?:sont|disent|indiquent)\b"
    r"|\b(?:prompt|invite) systeme\b|\bj ai recu (?:pour|comme) instruction\b"
    r"|\bon m a (?:demande|ordonne|programme) de\b|\bmis instrucciones (?:son|dicen|indican)\b"
    r"|\bprompt del sistema\b|\bme (?:indicaron|han instruido|ordenaron|programaron) (?:que|para)\b"
)

# Swear words, whole words only (one block per language: en, nl, de, fr, es).
SWEAR_WORDS = _words(
    "fck fcking fckin fcker fckers fcked fcks fuk fukk fuking fukin fuked fuker fuks wtf stfu"
    " omfg shit shits shitty shittier shittiest shitting shitted shithead shitheads shithole"
    " shitholes shitshow shitstorm shitload shitbag shitface ass asshole assholes asshat asswipe"
    " asses jackass dumbass smartass arse arsehole arseholes bitch bitches bitchy bitching"
    " bastard bastards cunt cunts dickhead dickheads cocksucker cocksuckers wank wanker wankers"
    " wanking twat twats bollocks bugger piss pissed pissing pisses crap crappy damn damned"
    " damnit goddamn goddamned douche douchebag douchebags slut sluts whore whores retard"
    " retarded retards horseshit dipshit apeshit batshit"
    " kut kutzooi kutwijf kutbedrijf kutding kuthoer kutkop kutjong verdomme klootviool lul"
    " tering teringlijer teringzooi teringbedrijf kankerlijer kankerhoer kankerzooi"
    " kankerbedrijf kankermongool kankerflikker klerelijer klerezooi klerebedrijf klerewijf hoer"
    " hoeren hoerenzoon hoerig sukkel sukkels mongool flikker trut rotzak oprotten"
    " opsodemieteren opdonderen klote kloten pleuris"
    " fotze fotzen wixer hure schlampe schlampen miststuck mistkerl drecksau dreckskerl"
    " drecksladen drecksfirma drecksstuck drecksbude kacke kacken kackladen kackfirma kackbude"
    " penner spast spasti spacko gefickt ficken fickt fickst ficker ficke fick fickerei"
    " merde merdes merdeux merdeuse merdique pute putes conne connerie conneries nique niquer"
    " niquez foutre foutu foutue foutus chier bordel couille couilles couillon petasse"
    " pouffiasse branleur branleurs branler branlette"
    " joder jodido jodida jodidos jodidas jodete joda puta putas puto putos putada putisima"
    " hijoputa hijueputa pendejo pendeja pendejos pendejas culero culeros culo carajo verga"
    " follar follando follate marica cagada"
)
# A word starting with one of these is a swear word, whatever follows ("arschloch").
SWEAR_PREFIXES = tuple(
    sorted(
        _words(
            "fuck fvck phuck bullshit godver verdomd klootzak schijt scheis arsch verfickt wichser"
            " hurensohn verpiss verdammt emmerd putain connard connass salop encul chiott enfoire"
            " mierda cabron gilipoll chinga maricon cojon"
        )
    )
)
# Inside any word too: "motherfucker", "clusterfuck" (no innocent word contains it).
SWEAR_ANYWHERE = "fuck"
SWEAR_PHRASES = (
    r"\b(?:son of a bitch|bugger off|piss off|rot op|sodemieter op|donder op|kanker op|leck mich"
    r"|halt die fresse|fils de pute|ta gueule|va te faire|trou du cul|hijo de puta|me cago)\b"
)
# Accent-sensitive words, matched on casefolded text before accents are stripped.
ACCENTED = r"\b(?:coño|coñazo)\b"

# Plain forms a masked word ("f**k", "sh*t", "F***") is compared with.
MASK_TARGETS = (
    "fuck fucking fucker fucked shit shitty bullshit bitch asshole arsehole bastard cunt crap"
    " damn piss pissed wanker twat dickhead motherfucker kut klootzak godverdomme kanker tering"
    " scheisse scheiss arschloch arsch ficken wichser hurensohn fotze merde putain connard salope"
    " encule mierda puta puto joder cabron gilipollas pendejo"
)

# Leetspeak: what a digit or sign stands for inside a word.
LEET = str.maketrans("013457@$!+|", "oieastasitl")
