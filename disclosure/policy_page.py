"""The public AI-policy page: what data is processed, by whom, for how long, and how to opt out."""

from __future__ import annotations

from html import escape

from app.settings import Settings

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>How we use AI in customer service</title>
<style>
body{{font:16px/1.6 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;
color:#1b1f24}}
h1{{font-size:1.6rem}}h2{{font-size:1.15rem;margin-top:1.6rem}}</style></head>
<body><main>
<h1>How we use AI in customer service</h1>
<p>When you open our chat, an <strong>AI assistant</strong> answers first. It is a computer
program, not a person, and every message it writes is labelled as AI. It answers only from
the articles in our help centre and cites them; when it cannot find an answer it says so.</p>
<h2>You can always talk to a person</h2>
<p>Press <em>Talk to a person</em> in the chat or type that you want a person (in English, Dutch,
German, French or Spanish) and we hand you over at once. You can also switch the AI off before
you start ("Talk to a person from the start"). When nobody from our team is available, you can
{leave_message} The AI never decides on refunds,
discounts, compensation or anything legally binding: people from our team do.</p>
<h2>What data is processed</h2>
<p>The text you type in the chat, the language of your browser, and the time of each message.
Before any text is sent to the language model we replace e-mail addresses, phone numbers, bank
account numbers (IBAN), payment card numbers, national identity and passport numbers, IP
addresses and names with placeholders. The same is done in our logs and decision records.</p>
<h2>Who processes it</h2>
<p>Language model provider: {provider}. We ask the provider not to store our requests where its
API allows it. <strong>Your conversations are never used to train AI models</strong>, neither
by us nor by the provider.</p>
<h2>How long we keep it</h2>
<p>Chat transcripts are kept for {retention} days and then deleted automatically. You can
download everything we stored about your conversation, or erase it, from the chat menu at any
time.</p>
<h2>Why the AI stepped aside</h2>
<p>Every automated decision (answered, declined, handed to a person) is recorded with the
signals behind it, so our team can explain and review it. The same question gets the same
treatment whatever your name, gender, dialect or language.</p>
</main></body></html>
"""


# What leaving a message gets you depends on whether this server can send e-mail at all.
LEAVE_MESSAGE = {
    True: "leave a message and your e-mail address, and we reply in the chat and by e-mail.",
    False: (
        "leave a message and we reply later in the chat; it resumes when you come back to our "
        "site in the same browser."
    ),
}


def render(settings: Settings) -> str:
    return TEMPLATE.format(
        provider=escape(settings.provider_label),
        retention=settings.retention_days,
        leave_message=LEAVE_MESSAGE[settings.mail_configured],
    )
