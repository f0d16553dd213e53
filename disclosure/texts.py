"""The disclosure and the other fixed sentences the customer sees, in five languages.

Keys ending in `_chat` are said instead of their e-mail twins when no SMTP server is configured
(`worded`): no screen promises an e-mail that will not be sent. `mail_reply_*` word the e-mail
that carries an agent's reply.

Operators may override any of them per locale (stored in `operator_settings.disclosure`);
the defaults below are what a fresh install says.
"""

from __future__ import annotations

from collections.abc import Mapping

LOCALES = ("en", "nl", "de", "fr", "es")

DEFAULTS: dict[str, dict[str, str]] = {
    "en": {
        "offer_person": 'If you\'d rather talk to a person, press "Talk to a person" at any time.',
        "disclosure": (
            "Hi! You are chatting with an AI assistant, not a person. It answers from our help "
            "centre and can make mistakes. You can talk to a person at any time: press "
            '"Talk to a person" or just type "human". How we use AI: /ai-policy'
        ),
        "quote_intro": "From our help centre",
        "quote_other_language": "(This part of our help centre is written in {language}.)",
        "language_en": "English",
        "language_nl": "Dutch",
        "language_de": "German",
        "language_fr": "French",
        "language_es": "Spanish",
        "no_answer": (
            "I could not find this in our help centre, so I won't guess. "
            "A person from our team can help you with it."
        ),
        "handoff_queued": "I'm connecting you with a person from our team. Please stay in this chat.",
        "handoff_offline": (
            "Our team is not available right now. Leave your message and your e-mail address "
            "here and a person will reply, usually within one business day."
        ),
        "opt_out": "Understood: no AI in this conversation. A person from our team will reply.",
        "llm_unavailable": (
            "Our AI assistant is not available right now, so I'm passing you to a person."
        ),
        "declined": (
            "I can't confirm that myself, but a person from our team can. I'm handing you over."
        ),
        "agent_joined": "{name} from our team has joined. You are now talking to a person.",
        "agent_left": "You are talking to the AI assistant again.",
        "closed": "This conversation was closed. Thank you for reaching out!",
        "lease_expired": "Your agent was disconnected. You are back at the front of the queue.",
        "message_left": "Thank you. A person from our team will answer here and by e-mail, usually within one business day.",
        "handoff_offline_chat": "Our team is not available right now. Leave your message here and a person will reply in this chat, usually within one business day. Come back to this page later: the chat resumes in this browser.",
        "message_left_chat": "Thank you. A person from our team will answer in this chat, usually within one business day. Come back to this page later: the chat resumes in this browser.",
        "mail_reply_subject": "A reply to your message",
        "mail_reply_intro": "A person from our team has answered your message:",
        "mail_reply_link": "To continue the conversation, open the chat on our site in the browser you used before: {url}",
        "mail_reply_no_reply": "Please answer in the chat, not to this e-mail.",
    },
    "nl": {
        "offer_person": 'Liever een medewerker spreken? Klik op "Praat met een medewerker".',
        "disclosure": (
            "Hoi! Je chat met een AI-assistent, niet met een mens. Hij antwoordt op basis van "
            "ons helpcentrum en kan fouten maken. Je kunt altijd een medewerker spreken: klik op "
            '"Praat met een medewerker" of typ gewoon "medewerker". Hoe wij AI gebruiken: '
            "/ai-policy"
        ),
        "quote_intro": "Uit ons helpcentrum",
        "quote_other_language": "(Dit deel van ons helpcentrum is in het {language} geschreven.)",
        "language_en": "Engels",
        "language_nl": "Nederlands",
        "language_de": "Duits",
        "language_fr": "Frans",
        "language_es": "Spaans",
        "no_answer": (
            "Dit staat niet in ons helpcentrum, dus ik ga niet gokken. "
            "Een medewerker van ons team kan je hiermee helpen."
        ),
        "handoff_queued": "Ik verbind je met een medewerker. Blijf in deze chat.",
        "handoff_offline": (
            "Ons team is nu niet bereikbaar. Laat hier je bericht en je e-mailadres achter; "
            "een medewerker antwoordt meestal binnen één werkdag."
        ),
        "opt_out": "Begrepen: geen AI in dit gesprek. Een medewerker antwoordt je.",
        "llm_unavailable": "Onze AI-assistent is nu niet beschikbaar, ik geef je door aan een medewerker.",
        "declined": "Dat kan ik zelf niet toezeggen, een medewerker wel. Ik geef je door.",
        "agent_joined": "{name} van ons team is erbij. Je praat nu met een mens.",
        "agent_left": "Je praat weer met de AI-assistent.",
        "closed": "Dit gesprek is afgesloten. Bedankt voor je bericht!",
        "lease_expired": "Je medewerker is weggevallen. Je staat weer vooraan in de wachtrij.",
        "message_left": "Bedankt. Een medewerker antwoordt hier en per e-mail, meestal binnen één werkdag.",
        "handoff_offline_chat": "Ons team is nu niet bereikbaar. Laat hier je bericht achter; een medewerker antwoordt in deze chat, meestal binnen één werkdag. Kom later terug naar deze pagina: de chat gaat verder in deze browser.",
        "message_left_chat": "Bedankt. Een medewerker antwoordt in deze chat, meestal binnen één werkdag. Kom later terug naar deze pagina: de chat gaat verder in deze browser.",
        "mail_reply_subject": "Antwoord op je bericht",
        "mail_reply_intro": "Een medewerker van ons team heeft je bericht beantwoord:",
        "mail_reply_link": "Ga verder met het gesprek in de chat op onze site, in de browser die je eerder gebruikte: {url}",
        "mail_reply_no_reply": "Antwoord alsjeblieft in de chat, niet op deze e-mail.",
    },
    "de": {
        "offer_person": 'Lieber mit einem Menschen sprechen? Klicken Sie auf "Mit einem Menschen sprechen".',
        "disclosure": (
            "Hallo! Sie chatten mit einem KI-Assistenten, nicht mit einem Menschen. Er antwortet "
            "auf Basis unseres Hilfe-Centers und kann Fehler machen. Sie können jederzeit mit "
            'einem Menschen sprechen: Klicken Sie auf "Mit einem Menschen sprechen" oder '
            'schreiben Sie einfach "Mitarbeiter". Wie wir KI einsetzen: /ai-policy'
        ),
        "quote_intro": "Aus unserem Hilfe-Center",
        "quote_other_language": "(Dieser Teil unseres Hilfe-Centers ist auf {language} geschrieben.)",
        "language_en": "Englisch",
        "language_nl": "Niederländisch",
        "language_de": "Deutsch",
        "language_fr": "Französisch",
        "language_es": "Spanisch",
        "no_answer": (
            "Dazu habe ich in unserem Hilfe-Center nichts gefunden, daher rate ich nicht. "
            "Ein Mitarbeiter unseres Teams kann Ihnen weiterhelfen."
        ),
        "handoff_queued": "Ich verbinde Sie mit einem Mitarbeiter. Bitte bleiben Sie im Chat.",
        "handoff_offline": (
            "Unser Team ist gerade nicht erreichbar. Hinterlassen Sie hier Ihre Nachricht und "
            "Ihre E-Mail-Adresse; wir antworten in der Regel innerhalb eines Werktags."
        ),
        "opt_out": "Verstanden: keine KI in diesem Gespräch. Ein Mitarbeiter antwortet Ihnen.",
        "llm_unavailable": (
            "Unser KI-Assistent ist gerade nicht verfügbar, ich verbinde Sie mit einem Mitarbeiter."
        ),
        "declined": (
            "Das kann ich selbst nicht zusagen, ein Mitarbeiter aber schon. Ich verbinde Sie."
        ),
        "agent_joined": "{name} aus unserem Team ist jetzt da. Sie sprechen mit einem Menschen.",
        "agent_left": "Sie sprechen wieder mit dem KI-Assistenten.",
        "closed": "Dieses Gespräch wurde beendet. Danke für Ihre Nachricht!",
        "lease_expired": "Die Verbindung zu Ihrem Mitarbeiter ist abgebrochen. Sie stehen wieder vorne in der Warteschlange.",
        "message_left": "Danke. Eine Person aus unserem Team antwortet hier und per E-Mail, meist innerhalb eines Werktags.",
        "handoff_offline_chat": "Unser Team ist gerade nicht erreichbar. Hinterlassen Sie hier Ihre Nachricht; wir antworten in diesem Chat, in der Regel innerhalb eines Werktags. Kommen Sie später auf diese Seite zurück: Der Chat wird in diesem Browser fortgesetzt.",
        "message_left_chat": "Danke. Eine Person aus unserem Team antwortet in diesem Chat, meist innerhalb eines Werktags. Kommen Sie später auf diese Seite zurück: Der Chat wird in diesem Browser fortgesetzt.",
        "mail_reply_subject": "Antwort auf Ihre Nachricht",
        "mail_reply_intro": "Eine Person aus unserem Team hat Ihre Nachricht beantwortet:",
        "mail_reply_link": "Setzen Sie das Gespräch im Chat auf unserer Website fort, im selben Browser wie zuvor: {url}",
        "mail_reply_no_reply": "Bitte antworten Sie im Chat, nicht auf diese E-Mail.",
    },
    "fr": {
        "offer_person": "Vous préférez parler à une personne ? Cliquez sur « Parler à une personne ».",
        "disclosure": (
            "Bonjour ! Vous discutez avec un assistant IA, pas avec une personne. Il répond à "
            "partir de notre centre d'aide et peut se tromper. Vous pouvez parler à une personne "
            "à tout moment : cliquez sur « Parler à une personne » ou tapez simplement "
            "« conseiller ». Notre usage de l'IA : /ai-policy"
        ),
        "quote_intro": "Extrait de notre centre d'aide",
        "quote_other_language": "(Cette partie de notre centre d'aide est rédigée en {language}.)",
        "language_en": "anglais",
        "language_nl": "néerlandais",
        "language_de": "allemand",
        "language_fr": "français",
        "language_es": "espagnol",
        "no_answer": (
            "Je n'ai pas trouvé cela dans notre centre d'aide, je préfère ne pas deviner. "
            "Une personne de notre équipe peut vous aider."
        ),
        "handoff_queued": "Je vous mets en relation avec une personne de notre équipe. Restez dans ce chat.",
        "handoff_offline": (
            "Notre équipe n'est pas disponible pour le moment. Laissez votre message et votre "
            "adresse e-mail ici : une personne vous répondra, en général sous un jour ouvré."
        ),
        "opt_out": "Entendu : pas d'IA dans cette conversation. Une personne de notre équipe vous répondra.",
        "llm_unavailable": (
            "Notre assistant IA n'est pas disponible pour le moment, je vous passe à une personne."
        ),
        "declined": (
            "Je ne peux pas le confirmer moi-même, mais une personne de notre équipe le peut. "
            "Je vous mets en relation."
        ),
        "agent_joined": "{name} de notre équipe vous a rejoint. Vous parlez maintenant à une personne.",
        "agent_left": "Vous parlez de nouveau avec l'assistant IA.",
        "closed": "Cette conversation est terminée. Merci de nous avoir contactés !",
        "lease_expired": "Votre conseiller a été déconnecté. Vous êtes de nouveau en tête de file.",
        "message_left": "Merci. Une personne de notre équipe vous répondra ici et par e-mail, en général sous un jour ouvré.",
        "handoff_offline_chat": "Notre équipe n'est pas disponible pour le moment. Laissez votre message ici : une personne vous répondra dans ce chat, en général sous un jour ouvré. Revenez plus tard sur cette page : le chat reprend dans ce navigateur.",
        "message_left_chat": "Merci. Une personne de notre équipe vous répondra dans ce chat, en général sous un jour ouvré. Revenez plus tard sur cette page : le chat reprend dans ce navigateur.",
        "mail_reply_subject": "Réponse à votre message",
        "mail_reply_intro": "Une personne de notre équipe a répondu à votre message :",
        "mail_reply_link": "Pour poursuivre la conversation, ouvrez le chat sur notre site dans le navigateur utilisé auparavant : {url}",
        "mail_reply_no_reply": "Merci de répondre dans le chat et non à cet e-mail.",
    },
    "es": {
        "offer_person": "¿Prefieres hablar con una persona? Pulsa «Hablar con una persona».",
        "disclosure": (
            "¡Hola! Estás hablando con un asistente de IA, no con una persona. Responde a partir "
            "de nuestro centro de ayuda y puede equivocarse. Puedes hablar con una persona en "
            "cualquier momento: pulsa «Hablar con una persona» o escribe «agente». Cómo usamos "
            "la IA: /ai-policy"
        ),
        "quote_intro": "De nuestro centro de ayuda",
        "quote_other_language": "(Esta parte de nuestro centro de ayuda está escrita en {language}.)",
        "language_en": "inglés",
        "language_nl": "neerlandés",
        "language_de": "alemán",
        "language_fr": "francés",
        "language_es": "español",
        "no_answer": (
            "No he encontrado esto en nuestro centro de ayuda, así que no voy a adivinar. "
            "Una persona de nuestro equipo puede ayudarte."
        ),
        "handoff_queued": "Te estoy pasando con una persona de nuestro equipo. Quédate en este chat.",
        "handoff_offline": (
            "Nuestro equipo no está disponible ahora. Deja aquí tu mensaje y tu correo "
            "electrónico y una persona te responderá, normalmente en un día laborable."
        ),
        "opt_out": "Entendido: sin IA en esta conversación. Te responderá una persona de nuestro equipo.",
        "llm_unavailable": (
            "Nuestro asistente de IA no está disponible ahora, te paso con una persona."
        ),
        "declined": (
            "No puedo confirmarlo yo mismo, pero una persona de nuestro equipo sí. Te paso con ella."
        ),
        "agent_joined": "{name} de nuestro equipo se ha unido. Ahora hablas con una persona.",
        "agent_left": "Vuelves a hablar con el asistente de IA.",
        "closed": "Esta conversación se ha cerrado. ¡Gracias por escribirnos!",
        "lease_expired": "Tu agente se ha desconectado. Vuelves a estar el primero en la cola.",
        "message_left": "Gracias. Una persona de nuestro equipo te responderá aquí y por correo, normalmente en un día laborable.",
        "handoff_offline_chat": "Nuestro equipo no está disponible ahora. Deja aquí tu mensaje y una persona te responderá en este chat, normalmente en un día laborable. Vuelve más tarde a esta página: el chat continúa en este navegador.",
        "message_left_chat": "Gracias. Una persona de nuestro equipo te responderá en este chat, normalmente en un día laborable. Vuelve más tarde a esta página: el chat continúa en este navegador.",
        "mail_reply_subject": "Respuesta a tu mensaje",
        "mail_reply_intro": "Una persona de nuestro equipo ha respondido a tu mensaje:",
        "mail_reply_link": "Para seguir la conversación, abre el chat en nuestra web en el mismo navegador que usaste: {url}",
        "mail_reply_no_reply": "Por favor, responde en el chat y no a este correo.",
    },
}


def choose_locale(requested: str | None, accept_language: str | None) -> str:
    """Pick one of the five locales from an explicit locale or an Accept-Language header."""
    candidates: list[str] = []
    if requested:
        candidates.append(requested)
    if accept_language:
        weighted = []
        for i, part in enumerate(accept_language.split(",")):
            tag, _, q = part.strip().partition(";q=")
            try:
                weight = float(q) if q else 1.0
            except ValueError:
                weight = 0.0
            weighted.append((-weight, i, tag.strip()))
        candidates.extend(tag for _, _, tag in sorted(weighted))
    for tag in candidates:
        base = tag.lower().replace("_", "-").split("-")[0]
        if base in LOCALES:
            return base
    return "en"


def phrase(key: str, locale: str, overrides: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """One fixed sentence in `locale`, an operator's override first, English last."""
    for loc in (locale, "en"):
        custom = (overrides or {}).get(loc, {}).get(key)
        if custom:
            return custom
        if key in DEFAULTS.get(loc, {}):
            return DEFAULTS[loc][key]
    raise KeyError(key)


def worded(key: str, email: bool) -> str:
    """The key of a sentence that mentions e-mail, or of its `_chat` twin when none is sent."""
    return key if email else f"{key}_chat"


def notice(locale: str, overrides: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """The disclosure shown as the first message of every conversation."""
    return phrase("disclosure", locale, overrides)
