"""The AI-policy page's sentences in the five languages of the disclosure. Each language says
the same things: the same keys, the same placeholders, the same promises (tested)."""

from __future__ import annotations

# Placeholders: {provider}, {retention} (days), {leave_message} (one of `leave_*`),
# {last_purge} (one of `purge_*`, with {when} in `purge_ran`).
POLICY: dict[str, dict[str, str]] = {
    "en": {
        "title": "How we use AI in customer service",
        "intro": (
            "When you open our chat, an <strong>AI assistant</strong> answers first. It is a "
            "computer program, not a person, and every message it writes is labelled as AI. It "
            "answers only from the articles in our help centre and cites them; when it cannot "
            "find an answer it says so."
        ),
        "person_h": "You can always talk to a person",
        "person": (
            "Press <em>Talk to a person</em> in the chat or type that you want a person (in "
            "English, Dutch, German, French or Spanish) and we hand you over at once. You can "
            "also switch the AI off before you start (\u201cTalk to a person from the "
            "start\u201d). When nobody from our team is available, you can {leave_message} The "
            "AI never decides on refunds, discounts, compensation or anything legally binding: "
            "people from our team do."
        ),
        "leave_mail": (
            "leave a message and your e-mail address, and we reply in the chat and by e-mail."
        ),
        "leave_chat": (
            "leave a message and we reply later in the chat; it resumes when you come back to "
            "our site in the same browser."
        ),
        "data_h": "What data is processed",
        "data": (
            "The text you type in the chat, the language of your browser, and the time of each "
            "message. Before any text is sent to the language model we replace e-mail "
            "addresses, phone numbers, bank account numbers (IBAN), payment card numbers, "
            "national identity and passport numbers, IP addresses, street addresses, dates of "
            "birth and names (where we can recognise them, as after \u201cmy name is\u201d) "
            "with placeholders. The same is done in our logs and decision records."
        ),
        "who_h": "Who processes it",
        "provider_none": (
            "none: answers quote the help centre directly, no language model is used"
        ),
        "who": (
            "Language model provider: {provider}. We ask the provider not to store our requests "
            "where its API allows it. <strong>Your conversations are never used to train AI "
            "models</strong>, neither by us nor by the provider."
        ),
        "keep_h": "How long we keep it",
        "keep": (
            "Chat transcripts are kept for {retention} days after the last message and then "
            "deleted automatically; we keep only anonymous figures (such as how many "
            "conversations were handed to a person). {last_purge} You can download everything "
            "we stored about your conversation, or erase it, from the chat menu at any time."
        ),
        "purge_ran": "The automatic deletion last ran on {when}.",
        "purge_never": "The automatic deletion has not run yet.",
        "why_h": "Why the AI stepped aside",
        "why": (
            "Every automated decision (answered, declined, handed to a person) is recorded with "
            "the signals behind it, so our team can explain and review it. Whether the same "
            "question gets the same treatment whatever the name, gender, writing style or "
            "language is tested, not assumed: a bias audit asks the same questions in those "
            "ways through this service and compares how each was treated, and our team can "
            "run it at any time."
        ),
    },
    "nl": {
        "title": "Hoe wij AI gebruiken in onze klantenservice",
        "intro": (
            "Als je onze chat opent, antwoordt eerst een <strong>AI-assistent</strong>. Dat is "
            "een computerprogramma, geen mens, en elk bericht dat het schrijft is gemarkeerd als "
            "AI. Het antwoordt alleen vanuit de artikelen in ons helpcentrum en verwijst ernaar; "
            "als het geen antwoord vindt, zegt het dat."
        ),
        "person_h": "Je kunt altijd met een mens praten",
        "person": (
            "Klik in de chat op <em>Praat met een medewerker</em> of typ dat je een mens wilt "
            "spreken (in het Engels, Nederlands, Duits, Frans of Spaans) en we verbinden je "
            "meteen door. Je kunt de AI ook uitzetten voordat je begint (\u201cMeteen een "
            "medewerker spreken\u201d). Is er niemand van ons team beschikbaar, dan kun je "
            "{leave_message} De AI beslist nooit over terugbetalingen, kortingen, vergoedingen "
            "of iets dat juridisch bindend is: dat doen mensen van ons team."
        ),
        "leave_mail": (
            "een bericht en je e-mailadres achterlaten, en we antwoorden in de chat en per e-mail."
        ),
        "leave_chat": (
            "een bericht achterlaten en we antwoorden later in de chat; die gaat verder als je "
            "in dezelfde browser terugkomt op onze site."
        ),
        "data_h": "Welke gegevens we verwerken",
        "data": (
            "De tekst die je in de chat typt, de taal van je browser en het tijdstip van elk "
            "bericht. Voordat er tekst naar het taalmodel gaat, vervangen we e-mailadressen, "
            "telefoonnummers, bankrekeningnummers (IBAN), betaalkaartnummers, identiteits- en "
            "paspoortnummers, IP-adressen, straatadressen, geboortedata en namen (waar we ze "
            "herkennen, zoals na \u201cik heet\u201d) door plaatshouders. Hetzelfde gebeurt in "
            "onze logbestanden en beslissingsregisters."
        ),
        "who_h": "Wie ze verwerkt",
        "provider_none": (
            "geen: antwoorden citeren het helpcentrum letterlijk, er wordt geen taalmodel gebruikt"
        ),
        "who": (
            "Aanbieder van het taalmodel: {provider}. We vragen de aanbieder onze verzoeken "
            "niet op te slaan waar zijn API dat toelaat. <strong>Je gesprekken worden nooit "
            "gebruikt om AI-modellen te trainen</strong>, niet door ons en niet door de "
            "aanbieder."
        ),
        "keep_h": "Hoe lang we ze bewaren",
        "keep": (
            "Chatgesprekken worden {retention} dagen na het laatste bericht bewaard en daarna "
            "automatisch verwijderd; we houden alleen anonieme cijfers over (zoals hoeveel "
            "gesprekken aan een mens zijn overgedragen). {last_purge} Je kunt alles wat we over "
            "je gesprek hebben opgeslagen op elk moment downloaden of wissen via het menu van "
            "de chat."
        ),
        "purge_ran": "Het automatisch verwijderen is voor het laatst uitgevoerd op {when}.",
        "purge_never": "Het automatisch verwijderen is nog niet uitgevoerd.",
        "why_h": "Waarom de AI een stap opzij deed",
        "why": (
            "Elke geautomatiseerde beslissing (beantwoord, afgewezen, overgedragen aan een mens) "
            "wordt vastgelegd met de signalen erachter, zodat ons team haar kan uitleggen en "
            "controleren. Of dezelfde vraag dezelfde behandeling krijgt, wat de naam, het "
            "geslacht, de schrijfstijl of de taal ook is, nemen we niet aan maar testen we: een "
            "bias-audit stelt dezelfde vragen op die manieren via deze dienst en vergelijkt hoe "
            "elke vraag behandeld werd, en ons team kan hem op elk moment uitvoeren."
        ),
    },
    "de": {
        "title": "Wie wir KI im Kundenservice einsetzen",
        "intro": (
            "Wenn Sie unseren Chat öffnen, antwortet zuerst ein <strong>KI-Assistent</strong>. "
            "Er ist ein Computerprogramm, kein Mensch, und jede Nachricht, die er schreibt, ist "
            "als KI gekennzeichnet. Er antwortet nur aus den Artikeln unseres Hilfe-Centers und "
            "nennt sie als Quelle; findet er keine Antwort, sagt er das."
        ),
        "person_h": "Sie können immer mit einem Menschen sprechen",
        "person": (
            "Drücken Sie im Chat auf <em>Mit einem Menschen sprechen</em> oder schreiben Sie, "
            "dass Sie einen Menschen möchten (auf Englisch, Niederländisch, Deutsch, Französisch "
            "oder Spanisch), und wir verbinden Sie sofort. Sie können die KI auch vor dem Start "
            "ausschalten (\u201eGleich mit einem Menschen sprechen\u201c). Ist niemand "
            "aus unserem Team erreichbar, können Sie {leave_message} Die KI entscheidet nie "
            "über Erstattungen, Rabatte, Entschädigungen oder rechtlich Verbindliches: das tun "
            "Menschen aus unserem Team."
        ),
        "leave_mail": (
            "eine Nachricht und Ihre E-Mail-Adresse hinterlassen, und wir antworten im Chat und "
            "per E-Mail."
        ),
        "leave_chat": (
            "eine Nachricht hinterlassen, und wir antworten später im Chat; er geht weiter, "
            "wenn Sie im selben Browser auf unsere Website zurückkehren."
        ),
        "data_h": "Welche Daten verarbeitet werden",
        "data": (
            "Der Text, den Sie im Chat schreiben, die Sprache Ihres Browsers und die Uhrzeit "
            "jeder Nachricht. Bevor Text an das Sprachmodell geht, ersetzen wir "
            "E-Mail-Adressen, Telefonnummern, Kontonummern (IBAN), Kartennummern, Ausweis- und "
            "Passnummern, IP-Adressen, Postanschriften, Geburtsdaten und Namen (wo wir sie "
            "erkennen, etwa nach \u201cich heiße\u201d) durch Platzhalter. Dasselbe geschieht "
            "in unseren Protokollen und Entscheidungsaufzeichnungen."
        ),
        "who_h": "Wer sie verarbeitet",
        "provider_none": (
            "keiner: Antworten zitieren das Hilfe-Center wörtlich, es "
            "wird kein Sprachmodell verwendet"
        ),
        "who": (
            "Anbieter des Sprachmodells: {provider}. Wir bitten den Anbieter, unsere Anfragen "
            "nicht zu speichern, wo seine API das erlaubt. <strong>Ihre Gespräche werden nie "
            "zum Training von KI-Modellen verwendet</strong>, weder von uns noch vom Anbieter."
        ),
        "keep_h": "Wie lange wir sie aufbewahren",
        "keep": (
            "Chatverläufe werden {retention} Tage nach der letzten Nachricht aufbewahrt und dann "
            "automatisch gelöscht; wir behalten nur anonyme Zahlen (etwa wie viele Gespräche an "
            "einen Menschen übergeben wurden). {last_purge} Sie können alles, was wir über Ihr "
            "Gespräch gespeichert haben, jederzeit über das Menü des Chats herunterladen oder "
            "löschen."
        ),
        "purge_ran": "Das automatische Löschen lief zuletzt am {when}.",
        "purge_never": "Das automatische Löschen ist noch nicht gelaufen.",
        "why_h": "Warum die KI zur Seite getreten ist",
        "why": (
            "Jede automatisierte Entscheidung (beantwortet, abgelehnt, an einen Menschen "
            "übergeben) wird mit den Signalen dahinter aufgezeichnet, damit unser Team sie "
            "erklären und prüfen kann. Ob dieselbe Frage gleich behandelt wird, unabhängig von "
            "Name, Geschlecht, Schreibstil oder Sprache, nehmen wir nicht an, wir prüfen es: "
            "ein Bias-Audit stellt dieselben Fragen auf diese Weisen an diesen Dienst und "
            "vergleicht, wie jede behandelt wurde, und unser Team kann es jederzeit ausführen."
        ),
    },
    "fr": {
        "title": "Comment nous utilisons l\u2019IA dans notre service client",
        "intro": (
            "Quand vous ouvrez notre chat, un <strong>assistant IA</strong> répond d\u2019abord. "
            "C\u2019est un programme informatique, pas une personne, et chaque message qu\u2019il "
            "écrit est signalé comme IA. Il ne répond qu\u2019à partir des articles de notre "
            "centre d\u2019aide et les cite ; quand il ne trouve pas de réponse, il le dit."
        ),
        "person_h": "Vous pouvez toujours parler à une personne",
        "person": (
            "Appuyez sur <em>Parler à une personne</em> dans le chat ou écrivez que vous voulez "
            "une personne (en anglais, néerlandais, allemand, français ou espagnol) et nous vous "
            "mettons en relation aussitôt. Vous pouvez aussi désactiver l\u2019IA avant de "
            "commencer (« Parler à une personne dès le début »). Quand personne de notre équipe "
            "n\u2019est disponible, vous pouvez {leave_message} L\u2019IA ne décide jamais des "
            "remboursements, réductions, indemnisations ni de rien de juridiquement "
            "contraignant : ce sont des personnes de notre équipe qui le font."
        ),
        "leave_mail": (
            "laisser un message et votre adresse e-mail, et nous répondons dans le chat et par "
            "e-mail."
        ),
        "leave_chat": (
            "laisser un message et nous répondons plus tard dans le chat ; il reprend quand "
            "vous revenez sur notre site avec le même navigateur."
        ),
        "data_h": "Quelles données sont traitées",
        "data": (
            "Le texte que vous tapez dans le chat, la langue de votre navigateur et "
            "l\u2019heure de chaque message. Avant d\u2019envoyer du texte au modèle de "
            "langage, nous remplaçons les adresses e-mail, numéros de téléphone, numéros de "
            "compte bancaire (IBAN), numéros de carte de paiement, numéros d\u2019identité et "
            "de passeport, adresses IP, adresses postales, dates de naissance et noms (quand "
            "nous les reconnaissons, par exemple après \u00ab je m\u2019appelle \u00bb) par "
            "des substituts. Nous faisons de même dans nos journaux et nos registres de "
            "décisions."
        ),
        "who_h": "Qui les traite",
        "provider_none": (
            "aucun : les réponses citent directement le centre d\u2019aide, sans modèle de langage"
        ),
        "who": (
            "Fournisseur du modèle de langage : {provider}. Nous demandons au fournisseur de ne "
            "pas conserver nos requêtes quand son API le permet. <strong>Vos conversations ne "
            "servent jamais à entraîner des modèles d\u2019IA</strong>, ni chez nous ni chez le "
            "fournisseur."
        ),
        "keep_h": "Combien de temps nous les conservons",
        "keep": (
            "Les conversations sont conservées {retention} jours après le dernier message, puis "
            "supprimées automatiquement ; nous ne gardons que des chiffres anonymes (comme le "
            "nombre de conversations transmises à une personne). {last_purge} Vous pouvez "
            "télécharger tout ce que nous avons conservé sur votre conversation, ou "
            "l\u2019effacer, depuis le menu du chat à tout moment."
        ),
        "purge_ran": "La suppression automatique a eu lieu pour la dernière fois le {when}.",
        "purge_never": "La suppression automatique n\u2019a pas encore eu lieu.",
        "why_h": "Pourquoi l\u2019IA a passé la main",
        "why": (
            "Chaque décision automatisée (réponse, refus, transfert à une personne) est "
            "enregistrée avec les signaux qui l\u2019ont motivée, pour que notre équipe puisse "
            "l\u2019expliquer et la vérifier. Que la même question reçoive le même traitement, "
            "quels que soient le nom, le genre, le style d\u2019écriture ou la langue, nous le "
            "vérifions au lieu de le supposer : un audit de biais pose les mêmes questions de "
            "ces façons à ce service et compare leur traitement, et notre équipe peut le lancer "
            "à tout moment."
        ),
    },
    "es": {
        "title": "Cómo usamos la IA en la atención al cliente",
        "intro": (
            "Cuando abres nuestro chat, responde primero un <strong>asistente de IA</strong>. Es "
            "un programa informático, no una persona, y cada mensaje que escribe está marcado "
            "como IA. Solo responde a partir de los artículos de nuestro centro de ayuda y los "
            "cita; cuando no encuentra una respuesta, lo dice."
        ),
        "person_h": "Siempre puedes hablar con una persona",
        "person": (
            "Pulsa <em>Hablar con una persona</em> en el chat o escribe que quieres hablar con "
            "una persona (en inglés, neerlandés, alemán, francés o español) y te pasamos con "
            "ella enseguida. También puedes desactivar la IA antes de empezar (\u00abHablar con "
            "una persona desde el principio\u00bb). Cuando no hay nadie de nuestro equipo "
            "disponible, puedes {leave_message} La IA nunca decide sobre reembolsos, descuentos, "
            "compensaciones ni nada jurídicamente vinculante: lo hacen personas de nuestro "
            "equipo."
        ),
        "leave_mail": (
            "dejar un mensaje y tu dirección de correo electrónico, y te respondemos en el chat "
            "y por correo electrónico."
        ),
        "leave_chat": (
            "dejar un mensaje y te respondemos más tarde en el chat; continúa cuando vuelvas a "
            "nuestro sitio con el mismo navegador."
        ),
        "data_h": "Qué datos tratamos",
        "data": (
            "El texto que escribes en el chat, el idioma de tu navegador y la hora de cada "
            "mensaje. Antes de enviar texto al modelo de lenguaje sustituimos las direcciones "
            "de correo electrónico, números de teléfono, números de cuenta bancaria (IBAN), "
            "números de tarjeta de pago, números de documento de identidad y de pasaporte, "
            "direcciones IP, direcciones postales, fechas de nacimiento y nombres (cuando los "
            "reconocemos, por ejemplo tras \u201cme llamo\u201d) por marcadores. Hacemos lo "
            "mismo en nuestros registros y en los registros de decisiones."
        ),
        "who_h": "Quién los trata",
        "provider_none": (
            "ninguno: las respuestas citan directamente el centro de ayuda, sin modelo de lenguaje"
        ),
        "who": (
            "Proveedor del modelo de lenguaje: {provider}. Pedimos al proveedor que no guarde "
            "nuestras solicitudes cuando su API lo permite. <strong>Tus conversaciones nunca se "
            "usan para entrenar modelos de IA</strong>, ni por nosotros ni por el proveedor."
        ),
        "keep_h": "Cuánto tiempo los conservamos",
        "keep": (
            "Las conversaciones se conservan {retention} días después del último mensaje y "
            "luego se eliminan automáticamente; solo guardamos cifras anónimas (como cuántas "
            "conversaciones se pasaron a una persona). {last_purge} Puedes descargar todo lo que "
            "guardamos sobre tu conversación, o borrarlo, desde el menú del chat en cualquier "
            "momento."
        ),
        "purge_ran": "La eliminación automática se ejecutó por última vez el {when}.",
        "purge_never": "La eliminación automática aún no se ha ejecutado.",
        "why_h": "Por qué la IA se hizo a un lado",
        "why": (
            "Cada decisión automatizada (respondida, rechazada, pasada a una persona) se "
            "registra con las señales que la motivaron, para que nuestro equipo pueda explicarla "
            "y revisarla. Que la misma pregunta reciba el mismo trato, sea cual sea el nombre, "
            "el género, el estilo de escritura o el idioma, no lo suponemos, lo comprobamos: una "
            "auditoría de sesgos hace las mismas preguntas de esas formas a este servicio y "
            "compara cómo se trató cada una, y nuestro equipo puede ejecutarla en cualquier "
            "momento."
        ),
    },
}
