"""Word lists and patterns behind the output checks, in English, Dutch, German, French, Spanish.

Every pattern runs on normalised text (see `app.checks.output.words`): casefolded, accents stripped,
punctuation turned into single spaces, `%` → `pct`, currency signs → `eur`/`usd`/`gbp`, and each
sentence wrapped in ` | ` so a gap (`<G>`) never reaches into the next sentence.
Placeholders: `<T>` the topic (a named group), `<G>` up to five words, `<G2>`/`<G3>` fewer.
"""

from __future__ import annotations

# What only people may promise; the category is the first pattern that fits the topic words.
TOPIC_CATEGORIES: dict[str, str] = {
    "refund": r"refund\w*|reimburs\w*|money back|full amount|terugbetal\w*|terugstort\w*"
    r"|teruggestort|geld terug|restitutie|(?:ruck|zuruck)?erstatt\w*|geld zuruck"
    r"|rembours\w*|argent|reembols\w*|dinero|importe",
    "discount": r"discount\w*|waive\w*|\d+ (?:pct|percent|per cent|procent|prozent|pour cent"
    r"|por ciento)"
    r"|coupon\w*|voucher\w*|promo code|price (?:match|reduction|cut)|half price|for free"
    r"|free of charge|on the house|korting\w*|tegoedbon|rabatt\w*|preisnachlass|nachlass"
    r"|gutschein\w*|remise\w*|reduction\w*|rabais|code promo|bon d achat|descuento\w*|cupon\w*"
    r"|rebaja\w*|gratis|kostenlos|gratuit\w*",
    "compensation": r"compens\w*|goodwill|store credit|account credit|credit\w*|vergoed\w*"
    r"|schadevergoed\w*|tegemoetkoming|schadeloos|entschadig\w*|kompensation|gutschrift\w*"
    r"|gutschreiben|gutgeschrieben|kulanz\w*|dedommag\w*|indemni\w*|geste commercial|un avoir"
    r"|bonificac\w*",
    "price": r"(?:eur|usd|gbp) \d+(?: \d\d)?|\d+(?: \d\d)? (?:eur|euro|euros|usd|dollars?|gbp"
    r"|pounds?)",
}

_EN_DONE = (
    r"processed|approved|issued|initiated|authori[sz]ed|granted|applied|arranged|added|put through"
    r"|given|sent|paid|transferred|waived|extended|confirmed"
)
_EN_MODAL = (
    r"will|ll|can|could|shall|am going to|m going to|am gonna|m gonna|would like to|d like to"
    r"|want to|am happy to|m happy to|am able to|m able to|am pleased to|m pleased to"
    r"|have decided to|ve decided to|was able to|am authori[sz]ed to|m authori[sz]ed to"
    r"|would be happy to|d be happy to|hereby"
)
_EN_WE_OFFER = (
    r"can|could|want to|would like to|d like to|are happy to|re happy to|are able to|re able to"
    r"|have decided to|ve decided to|would be happy to|d be happy to|are pleased to|re pleased to"
    r"|hereby"
)
_EN_ADV = r"(?:(?:personally|gladly|happily|also|definitely|certainly|immediately|now|just|fully"
_EN_ADV += r"|totally|absolutely|of course|still|then|gonna|go ahead and|make sure to) )*"
_EN_GRANT = (
    r"give|offer|grant|approve|process|issue|send|apply|arrange|authori[sz]e|waive|throw in"
    r"|provide|add|get you|sell|put through|initiate|pay|transfer|extend|let you have|do you|take"
)
_NL_DONE = (
    r"goedgekeurd|verwerkt|toegekend|uitgevoerd|teruggestort|terugbetaald|overgemaakt|geregeld"
    r"|gegeven|toegepast|vergoed|gecompenseerd|gestort|aangeboden|verstuurd|gestuurd"
    r"|bijgeschreven|doorgevoerd|in gang gezet|gestart|geboekt"
)
_NL_FIN = r"geef|bied|betaal|stort|vergoed|compenseer|ken|schenk|regel|stuur|verleen"
_NL_INF = (
    r"geven|aanbieden|toekennen|goedkeuren|terugbetalen|vergoeden|regelen|storten|terugstorten"
    r"|overmaken|compenseren|verwerken|sturen|toepassen|verlenen|betalen"
)
_DE_DONE = (
    r"genehmigt|veranlasst|bearbeitet|ausgezahlt|uberwiesen|erstattet|gutgeschrieben|freigegeben"
    r"|bewilligt|angewiesen|eingeleitet|gewahrt|erteilt|angewendet|zugesagt|geschickt|gesendet"
    r"|angeboten|gegeben|entschadigt"
)
_DE_FIN = r"gebe|biete|erstatte|gewahre|schenke|schreibe|zahle|uberweise|entschadige|sende|schicke"
_DE_INF = (
    r"geben|anbieten|gewahren|erstatten|gutschreiben|uberweisen|auszahlen|veranlassen|genehmigen"
    r"|schenken|zukommen lassen|zuruckerstatten|senden|schicken|entschadigen|einraumen"
    r"|bewilligen|zahlen"
)
_FR_PRON = r"(?:(?:vous|te|t|l|le|la|les|ne|en|y) )*"
_FR_DONE = (
    r"(?:approuve|valide|traite|effectue|emis|accorde|applique|autorise|lance|initie|declenche"
    r"|envoye|vire|offert|donne|verse|consenti|octroye|credite)\w*|fait"
)
_FR_GRANT = (
    r"offrir|accorder|proposer|faire|donner|appliquer|envoyer|verser|consentir|octroyer"
    r"|attribuer|valider|approuver|effectuer|virer"
)
_FR_FIN = (
    r"accorde|offre|propose|donne|fais|applique|envoie|verse|consens|octroie|attribue"
    r"|accorderai|offrirai|donnerai|ferai|appliquerai|enverrai|verserai"
)
_FR_MODAL = r"(?:peux|vais|veux|voudrais|souhaite|suis (?:heureux|heureuse|ravi|ravie) de"
_FR_MODAL += r"|tiens a|me permets de|m engage a)"
_FR_FIN_NOUS = (
    r"accordons|offrons|proposons|donnons|appliquons|envoyons|versons|accorderons|offrirons"
    r"|donnerons|ferons|appliquerons|enverrons|verserons"
)
_ES_CL = r"(?:(?:te|le|os|les|lo|se) )*"
_ES_DONE = (
    r"aprobado|procesado|tramitado|emitido|aplicado|concedido|autorizado|realizado|enviado"
    r"|iniciado|otorgado|gestionado|hecho|dado|ofrecido|transferido|ingresado|abonado|devuelto"
)
_ES_GRANT = (
    r"(?:ofrecer|dar|conceder|aplicar|hacer|enviar|regalar|otorgar|procesar|aprobar|tramitar"
    r"|devolver|abonar|transferir|ingresar)(?:te|le|les|os)?(?:lo|la)?"
)
_ES_FIN = (
    r"ofrezco|doy|concedo|aplico|hago|regalo|envio|devuelvo|devolvere|dare|ofrecere|aplicare"
    r"|hare|enviare|abono|abonare|otorgo|transfiero|ingreso|ofrecemos|damos|concedemos"
    r"|aplicamos|hacemos|regalamos|enviamos|devolvemos|devolveremos|daremos|ofreceremos"
    r"|aplicaremos|haremos|enviaremos|abonamos|abonaremos|otorgamos"
)
_ES_PASSIVE = r"(?:aprobad|procesad|tramitad|emitid|aplicad|concedid|autorizad|realizad"
_ES_PASSIVE += r"|confirmad|gestionad|abonad)[oa]s?"

# A commitment whatever the sentence says around it.
ALWAYS: tuple[str, ...] = (
    # English: done, approved, offered, promised, entitled.
    "processed approved issued initiated authorised authorized granted applied arranged added"
    " put given sent paid transferred waived extended confirmed ~ "
    rf"\b(?:i|we) (?:(?:have|ve|had|d|just|already|now|also|gone ahead and) )*(?:<G2>)"
    rf"(?:{_EN_DONE}) <G><T>",
    "refunded reimbursed compensated credited ~ "
    r"\b(?:i|we) (?:(?:have|ve|had|d|just|already|now|also|fully|gone ahead and) )*"
    r"(?P<t>refunded|reimbursed|compensated|credited)\b",
    "credited refunded reimbursed compensated ~ "
    r"\b(?:your|ur) <G2>(?:account|card|balance|wallet|order|bank account) (?:has|have|was|is|s)"
    r" (?:(?:now|just|already|been|fully) )*(?P<t>credited|refunded|reimbursed|compensated)\b",
    "been ~ "
    rf"<T> (?:has|have|had) (?:(?:now|just|already|also|successfully|fully) )*been "
    rf"(?:(?:fully|successfully) )?(?:{_EN_DONE})\b",
    "your ur ~ "
    rf"\b(?:your|ur) <G2><T> (?:is|s|was|got) (?:(?:now|just|already|also|fully) )*"
    rf"(?:{_EN_DONE})\b",
    "approved granted confirmed issued ~ "
    r"\| <G2><T> (?:approved|granted|confirmed|issued)(?: [^ |]+){0,3} \|",
    "i ~ "
    rf"\bi (?:(?:{_EN_MODAL}) )?{_EN_ADV}(?:(?:{_EN_GRANT}) <G>)?<T>",
    "let ~ "
    rf"\blet me {_EN_ADV}(?:(?:{_EN_GRANT}) <G>)?<T>",
    "we ~ "
    rf"\bwe (?:(?:{_EN_WE_OFFER}) ){_EN_ADV}(?:(?:{_EN_GRANT}) <G>)?<T>",
    "entitled eligible guaranteed owed qualified qualify deserve ~ "
    r"\by(?:ou)? (?:are |re |will be |ll be |would be |d be )?"
    r"(?:(?:fully|definitely|certainly|also) )?(?:entitled to|eligible for|guaranteed|owed"
    r"|qualified for|qualify for|deserve) <G3><T>",
    "here ~ "
    r"\bhere (?:is|s|are) <G3><T>",
    # Dutch.
    "heb hebben ~ "
    rf"\b(?:ik|we|wij) (?:heb|hebben) <G6><T>(?: [^ |]+){{0,3}} (?:{_NL_DONE})\b",
    "heb hebben ~ "
    r"\b(?:ik|we|wij) (?:heb|hebben) <G6>(?P<t>terugbetaald|teruggestort|vergoed"
    r"|gecompenseerd|bijgeschreven)\b",
    "je jouw uw u ~ "
    rf"\b(?:je|jouw|uw|u) <G2><T> (?:is|werd|zijn|werden) <G3>(?:{_NL_DONE})\b",
    "ik ~ "
    rf"\b(?:ik (?:{_NL_FIN})|(?:{_NL_FIN}) ik) <G><T>",
    "ik ~ "
    r"\bik (?P<t>vergoed|compenseer|restitueer)\b",
    "ik ~ "
    rf"\b(?:ik (?:zal|ga|kan|wil|mag)|(?:zal|ga|kan|wil|mag) ik) <G6><T>"
    rf"(?: [^ |]+){{0,3}} (?:{_NL_INF})\b",
    "ik ~ "
    r"\b(?:ik (?:zal|ga|kan|wil)|(?:zal|ga|kan|wil) ik) <G6>(?P<t>terugbetalen"
    r"|terugstorten|vergoeden|compenseren)\b",
    "kunnen willen mogen ~ "
    rf"\b(?:we|wij) (?:kunnen|willen|mogen) <G6><T>(?: [^ |]+){{0,3}} (?:{_NL_INF})\b",
    "recht ~ "
    r"\b(?:(?:je|u|jij) (?:hebt|heeft)|(?:heb|heeft) (?:je|u)) <G2>recht op <G3><T>",
    "hier ~ "
    r"\bhier is (?:je|jouw|uw|een) <G3><T>",
    # German.
    "habe haben hab ~ "
    rf"\b(?:ich|wir) (?:habe|haben|hab) <G6><T>(?: [^ |]+){{0,3}} (?:{_DE_DONE})\b",
    "habe haben hab ~ "
    r"\b(?:ich|wir) (?:habe|haben|hab) <G6>(?P<t>erstattet|ruckerstattet"
    r"|zuruckerstattet|gutgeschrieben|entschadigt|zuruckuberwiesen)\b",
    "habe haben ~ "
    rf"<T> <G3>(?:habe|haben) (?:ich|wir) <G3>(?:{_DE_DONE})\b",
    "ihre ihr deine dein ~ "
    rf"\b(?:ihre|ihr|deine|dein) <G2><T> (?:wurde|ist|wurden|sind) <G3>"
    rf"(?:{_DE_DONE})\b",
    "ich ~ "
    rf"\b(?:ich (?:{_DE_FIN})|(?:{_DE_FIN}) ich) <G6><T>",
    "ich ~ "
    rf"\b(?:ich (?:werde|kann|mochte|will|konnte|darf)|(?:werde|kann|mochte|will"
    rf"|konnte|darf) ich) <G6><T>(?: [^ |]+){{0,3}} (?:{_DE_INF})\b",
    "ich ~ "
    r"\b(?:ich (?:werde|kann|mochte|will)|(?:werde|kann|mochte|will) ich) <G6>"
    r"(?P<t>erstatten|zuruckerstatten|entschadigen|gutschreiben|zuruckuberweisen)\b",
    "wir ~ "
    rf"\bwir (?:konnen|mochten|wollen) <G6><T>(?: [^ |]+){{0,3}} (?:{_DE_INF})\b",
    "anspruch ~ "
    r"\b(?:sie haben|du hast|haben sie|hast du) <G3>anspruch auf <G3><T>",
    "hier ~ "
    r"\bhier (?:ist|sind) (?:ihr|ihre|dein|deine|ein|eine|einen) <G3><T>",
    # French.
    "ai avons ~ "
    rf"\b(?:j|je|nous) {_FR_PRON}(?:ai|avons) (?:(?:bien|deja|donc) )*"
    rf"(?:(?:{_FR_DONE}) <G>)?<T>",
    "votre vos ton ta tes ~ "
    rf"\b(?:votre|vos|ton|ta|tes) <G2><T> (?:a ete|ont ete|est|sont|vient d etre"
    rf"|viennent d etre) <G2>(?:{_FR_DONE})\b",
    "je ~ "
    rf"\bje {_FR_PRON}(?:{_FR_MODAL} {_FR_PRON})?(?:{_FR_GRANT}|{_FR_FIN}) <G><T>",
    "je ~ "  # the verb is the topic: "je vous rembourse" (Dutch "je terugbetaling" is not)
    rf"\bje {_FR_PRON}(?:{_FR_MODAL} {_FR_PRON})?(?P<t>(?:rembours|dedommag|indemnis|compens"
    r"|credit)(?:e|er|erai))\b",
    "nous ~ "
    rf"\bnous {_FR_PRON}(?:pouvons|voulons|souhaitons|sommes (?:heureux|ravis) de"
    rf"|tenons a) {_FR_PRON}(?:(?:{_FR_GRANT}) <G>)?<T>",
    "droit ~ "
    r"\b(?:vous avez|tu as|avez vous|as tu) <G2>droit a <G3><T>",
    "voici ~ "
    r"\bvoici (?:votre|ton|ta|vos|un|une) <G3><T>",
    # Spanish.
    "he hemos ~ "
    rf"\b{_ES_CL}(?:he|hemos) (?:ya )?(?:(?:{_ES_DONE}) <G>)?<T>",
    "tu su vuestro vuestra ~ "
    rf"\b(?:tu|su|vuestro|vuestra) <G2><T> (?:ha sido|fue|esta|ya esta|se ha) <G2>"
    rf"{_ES_PASSIVE}\b",
    "puedo voy quiero gustaria dispuesto dispuesta decidido podemos queremos estamos ~ "
    rf"\b{_ES_CL}(?:puedo|voy a|quiero|me gustaria|estoy dispuest[oa] a|he decidido"
    rf"|podemos|queremos|nos gustaria|estamos dispuestos a) {_ES_CL}(?:{_ES_GRANT} <G>)?<T>",
    "derecho ~ "
    r"\b(?:tienes|tiene|teneis|tienen) <G2>derecho a <G3><T>",
    "aqui ~ "
    r"\baqui (?:tienes|tiene|esta) <G3><T>",
)

# What a help centre might also say ("we will refund you if..."): a condition in the same
# sentence makes it a statement of policy, not a promise.
POLICY: tuple[str, ...] = (
    # English: done, approved, offered, promised, entitled.
    "your ur ~ "
    rf"\b(?:your|ur) <G2><T> (?:will|ll|is going to|s going to) "
    rf"(?:(?:now|be|get|also|fully) )*(?:{_EN_DONE})\b",
    "we ~ "
    rf"\bwe (?:will|ll|shall|are going to|re going to|are gonna|re gonna) {_EN_ADV}"
    rf"(?:(?:{_EN_GRANT}) <G>)?<T>",
    "you y ~ "
    rf"\by(?:ou)? (?:will|ll|are going to|re going to|shall|are about to|re about to"
    rf"|are getting|re getting) {_EN_ADV}(?:get|receive|be|have|obtain|be getting|be receiving"
    rf"|see|enjoy) <G><T>",
    # Dutch.
    "je jouw uw u ~ "
    rf"\b(?:je|jouw|uw|u) <G2><T> (?:wordt|worden|zal worden|gaat) <G3>"
    rf"(?:{_NL_DONE}|{_NL_INF})\b",
    "we wij ~ "
    r"\b(?:we|wij) (?:(?:zullen|gaan|betalen|storten|geven|bieden|sturen) <G6>)?<T>",
    "krijgt ontvangt zal zult gaat wordt krijg ontvang word ~ "
    r"\b(?:(?:je|jij|u) (?:krijgt|ontvangt|zal|zult|gaat|wordt)|(?:krijg|krijgt"
    r"|ontvang|ontvangt|word|wordt) (?:je|jij|u)) <G><T>",
    # German.
    "ihre ihr deine dein ~ "
    rf"\b(?:ihre|ihr|deine|dein) <G2><T> (?:wird|werden) <G3>(?:{_DE_DONE})\b",
    "wir ~ "
    r"\bwir (?:(?:werden|zahlen|uberweisen|geben|bieten|schreiben|schicken|senden) <G6>)?<T>",
    "erhalten erhaltst bekommen bekommst werden wirst ~ "
    r"\b(?:(?:sie|du) (?:erhalten|erhaltst|bekommen|bekommst|werden|wirst)"
    r"|(?:erhalten|bekommen|erhaltst|bekommst|werden|wirst) (?:sie|du)) <G><T>",
    # French.
    "votre vos ton ta tes ~ "
    rf"\b(?:votre|vos|ton|ta|tes) <G2><T> (?:sera|seront|va etre|vont etre) <G2>"
    rf"(?:{_FR_DONE})\b",
    "nous ~ "
    rf"\bnous {_FR_PRON}(?:(?:allons {_FR_PRON}(?:(?:{_FR_GRANT}) <G>)?)"
    rf"|(?:{_FR_FIN_NOUS}) <G>)?<T>",
    "vous tu ~ "
    r"\b(?:vous|tu) (?:(?:allez|vas) )?(?:recevrez|recevras|obtiendrez|obtiendras"
    r"|aurez|auras|beneficierez|beneficieras|serez|seras|recevoir|obtenir|beneficier d|etre)"
    r" <G><T>",
    "betaal betalen stort storten ~ "
    r"\b(?:ik|we|wij) (?:betaal|betalen|stort|storten) <G>(?P<t>terug)\b",
    # Spanish.
    "tu su vuestro vuestra ~ "
    rf"\b(?:tu|su|vuestro|vuestra) <G2><T> (?:sera|se realizara|se procesara"
    rf"|va a ser) <G2>{_ES_PASSIVE}\b",
    "te le os les ~ "
    rf"\b(?:te|le|os|les) (?:lo )?(?:{_ES_FIN}) <G><T>",
    "te le os les ~ "  # the verb is the topic: "te reembolsaremos" (French "les remboursements")
    r"\b(?:te|le|os|les) (?:lo )?(?P<t>(?:reembols|compens|indemniz|abon)(?:o|e|are|aremos"
    r"|amos))\b",
    "vamos ~ "
    rf"\b{_ES_CL}vamos a {_ES_CL}(?:{_ES_GRANT} <G>)?<T>",
    "recibiras recibira recibiran obtendras obtendra tendras tendra vas va se seras sera ~ "
    r"\b(?:recibiras|recibira|recibiran|obtendras|obtendra|tendras|tendra"
    r"|vas a recibir|va a recibir|vas a obtener|va a obtener|vas a tener|va a tener|se te"
    r"|se le|seras|sera) <G><T>",
)

# --- Free products and gifts (issue 15: "your next e-bike is free of charge") ----------------
# A sentence gives something away when it has a FREE word and either a GIFT word or a PRODUCT
# the shop sells, and no SERVICE word: the help centre's own free things ("free shipping from
# €50", "pick-up is free") are services, never products or compensation. Folded words.
FREE = (
    r"\b(?:free|free of charge|at no (?:cost|charge|extra cost)|on us|on the house|for nothing"
    r"|gratis|kostenlos|kostenfrei|umsonst|gratuit\w*|offert\w*|cadeau\w*|geschenk\w*"
    r"|regal\w*|gift\w*)\b"
)
GIFT = (
    r"\b(?:cadeau\w*|geschenk\w*|regal\w*|gift\w*|goodwill|gesture|gebaar|goede wil|geste"
    r"|gesto|buena voluntad|kulanz\w*|apolog\w*|thank you|entschuldigung|excuses|disculpa\w*"
    r"|compens\w*|dedommag\w*)\b"
)
PRODUCT = (
    r"\b(?:e ?bikes?|bikes?|bicycles?|fiets\w*|fahrrad\w*|rad|velos?|bicicletas?|orders?"
    r"|bestelling\w*|bestellung\w*|commandes?|pedidos?|helmets?|helm|casques?|cascos?|locks?"
    r"|slot|schloss|candados?|antivol|batter\w*|accu|akku|replacements?|vervanging|ersatz\w*"
    r"|remplacement|reemplazo|products?|product|produkt\w*|produits?|productos?|items?"
    r"|artikel|articles?|articulos?|accessor\w*|zubehor|months?|maand|monat|mois|mes"
    r"|subscription|abonnement|abo|suscripcion|purchases?|aankoop|kauf|achat|compra)\b"
)
SERVICE = (
    r"\b(?:shipping|delivery|deliveries|verzending|verzendkosten|levering|bezorging|versand"
    r"|lieferung|livraison|envio|entrega|pick ?up|ophalen|afhalen|abholung|abholen|abzuholen"
    r"|retrait|retirer|recogida|recoger|retirar"
    r"|returns?|retour\w*|rucksendung|devolucion\w*|feel free|free to|sans frais de port"
    r"|splitting|split|splitsen|aufteilen|fractionnement|dividir)\b"
)
# Things sold under a gift word: "gift card", "cadeaubon", "carte cadeau" are products.
GIFT_PRODUCTS = (
    r"\b(?:gift ?cards?|gift ?vouchers?|gift wrap\w*|cadeau ?bon\w*|cadeaukaart\w*"
    r"|cadeauverpakking|geschenk ?gutschein\w*|geschenkkarte\w*|geschenkverpackung"
    r"|cartes? cadeaux?|cheques? cadeaux?|emballage cadeau|tarjetas? (?:de )?regalo"
    r"|envoltorio de regalo|papel de regalo)\b"
)
# Latin look-alikes from other scripts ("free" spelled with a Cyrillic e), read as the letter
# they mimic: Cyrillic a e o p c x y i j d l, Greek a o t v, Cyrillic k m h b.
CONFUSABLES = str.maketrans(
    "\u0430\u0435\u043e\u0440\u0441\u0445\u0443\u0456\u0458\u0501\u04cf"
    "\u03b1\u03bf\u03c4\u03bd\u043a\u043c\u043d\u0432",
    "aeopcxyijdlaotvkmhb",
)
