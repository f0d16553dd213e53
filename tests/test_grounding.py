"""Claim-level grounding against the demo help centre: each answer sentence is checked against
the passage sentence it aligns with, not against whatever the retrieved passages contain.

The wrong answers are the ones a real weak model gave (issue 11) and the ones a model that
mixes up neighbouring passages would give; the right ones are how a good model puts it, in the
customer's language."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass

import pytest

from app import knowledge
from app.analysis import PASSAGES
from app.checks import answerability
from app.checks.confidence import assess
from app.checks.grounding import Grounder, Grounding
from app.crosslingual import Bridge, sentences_across
from app.db import create_engine, sessionmaker
from app.embeddings import Embedder
from app.retrieval import Passage, Retriever
from tests.conftest import empty_database


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Grounding reads passages, not the database: one SQLite file is enough."""
    with empty_database("sqlite", tmp_path_factory) as url:
        yield url


@pytest.fixture(scope="module")
async def retriever(demo_url: str, embedder: Embedder) -> AsyncIterator[Retriever]:
    engine = create_engine(demo_url)
    sessions = sessionmaker(engine)
    async with sessions() as s:
        await knowledge.ingest_demo(s, embedder)
    found = Retriever(embedder)
    async with sessions() as s:
        await found.refresh(s)
    yield found
    await engine.dispose()


@dataclass
class Checked:
    passages: Sequence[Passage]
    grounding: Grounding

    @property
    def shown(self) -> bool:
        """What the turn would show: grounded, and confident at the default threshold."""
        conf = assess(self.grounding.text, self.passages, None, self.grounding)
        return self.grounding.holds and conf.score >= 0.5

    @property
    def cited(self) -> list[str]:
        return [self.passages[i].title for i in self.grounding.cited]


def check(retriever: Retriever, embedder: Embedder, question: str, answer: str) -> Checked:
    bridged = retriever.bridged(question)
    passages = retriever.search_vec(bridged, embedder.queries([question])[0], PASSAGES)
    grounder = Grounder(
        passages, embedder, None, retriever.bridged, question, across=sentences_across()
    )
    return Checked(passages, grounder.ground(answer))


RIGHT = [
    ("How long is the password reset link valid?", "The link is valid for 60 minutes."),
    (
        "How long is the password reset link valid?",
        "The link to reset your password is valid for 60 minutes and can be used once.",
    ),
    ("Do you accept cash on delivery?", "No, we do not accept cash on delivery."),
    (
        "Hoe lang is de link om mijn wachtwoord te resetten geldig?",
        "De link is 60 minuten geldig en kan één keer worden gebruikt.",
    ),
    (
        "Combien de temps le lien de réinitialisation du mot de passe est-il valable ?",
        "Le lien est valable 60 minutes et ne peut être utilisé qu'une seule fois.",
    ),
    ("What payment methods do you accept?", "We accept iDEAL, Bancontact, PayPal and Klarna."),
    # A price list read out in one breath: each number is on the line its words come from.
    (
        "How much does shipping cost?",
        "Netherlands, Germany, Belgium, Luxembourg — Standard shipping: €4.95; Free shipping "
        "from: €50 Other EU countries — Standard shipping: €7.95; Free shipping from: €100",
    ),
    (
        "Up to what amount can I pay later with Klarna?",
        "Klarna is available for orders up to €1,500, and you pay within 30 days after your "
        "order has shipped.",
    ),
    # Answers in another language than the line they translate (aligned by `across`).
    (
        "Wie lange gilt die gesetzliche Gewährleistung?",
        "Die gesetzliche Gewährleistung gilt 2 Jahre ab Lieferung.",
    ),
    (
        "Quelle est la durée de la garantie du fabricant sur un cadre ?",
        "Les cadres et les fourches ont souvent une garantie du fabricant de 5 ans.",
    ),
    (  # the workshop's price list is Dutch
        "How much does a small service cost at your workshop in Utrecht?",
        "A small service (adjusting brakes and gears, lubricating the chain) costs €49.",
    ),
    (  # words of its own around the line's numbers ("from our warehouse")
        "Wie lange dauert die Lieferung nach Österreich?",
        "Die Lieferung nach Österreich dauert 2 bis 4 Werktage, ab dem Versand aus unserem Lager.",
    ),
    # "Other EU countries" / "the European Union" stand for the member states no other line of
    # the list names: France's price, Spain's delivery time.
    (
        "Et quels sont les frais de livraison vers la France ?",
        "La livraison standard vers la France coûte 7,95 €, et elle est gratuite dès 100 €.",
    ),
    ("¿Cuánto tarda el envío a España?", "El envío a España tarda de 3 a 6 días laborables."),
    (  # one statement split in two: the second holds with the first
        "Wat zijn de verzendkosten naar Nederland?",
        "Standaardverzending naar Nederland kost €4,95; vanaf €50 is de verzending gratis.",
    ),
    (  # a non-native question: the drop-off line's 14 days fits it, but so does the 30 days line
        "Is possible for me to return the product in 30 days after I receive it?",
        "You can return most products within 30 days.",
    ),
    (  # two lines naming Klarna, one number from each
        "Bis zu welchem Betrag kann ich mit Klarna bezahlen?",
        "Mit Klarna können Sie Bestellungen bis 1.500 € bezahlen, innerhalb von 30 Tagen.",
    ),
]

WRONG = [
    # SmolLM2, fourth session, for a question the help centre cannot answer: no number, no
    # words in common, only a closeness in meaning to the Dutch workshop page.
    ("Proposez-vous la location de vélos ?", "La location de vélos est lele à l'aborder."),
    # SmolLM2, fourth session: one end of "1 to 2 working days" (PayPal and iDEAL refunds).
    (
        "Once my returned parcel arrives at your warehouse, how long does it take before the "
        "money is paid back?",
        "The time it takes to pay the money back is 1 working day.",
    ),
    # SmolLM2's answer: "2 years" is in the privacy passage, about something else.
    ("How long is the password reset link valid?", "The password reset link is valid for 2 years."),
    ("How long is the password reset link valid?", "The link is valid for 10 minutes."),
    ("Hoe lang is de link om mijn wachtwoord te resetten geldig?", "De link is 2 jaar geldig."),
    ("Combien de temps le lien de réinitialisation est-il valable?", "Le lien est valable 2 ans."),
    # SmolLM2 again: the help centre lists eight methods.
    ("Do you accept cash on delivery?", "I only accept credit cards and PayPal."),
    ("Do you accept cash on delivery?", "Yes, we accept cash on delivery."),
    ("Can I pay with Klarna in France?", "Yes, Klarna is available in France."),
    # A neighbouring line's number: the small service is ready the same day, not the large one.
    (
        "Hoe lang duurt een grote onderhoudsbeurt?",
        "Een grote onderhoudsbeurt is dezelfde dag klaar als je je fiets voor 10:00 brengt.",
    ),
    # The confirmation link lasts 24 hours; 60 minutes is the password link's.
    (
        "Wie lange ist der Bestätigungslink für ein neues Konto gültig?",
        "Der Bestätigungslink ist 60 Minuten gültig.",
    ),
    ("Do you sell e-bikes?", "Yes, we sell e-bikes from all major brands with free delivery."),
    # SmolLM2 on the demo suite: the account's 30 days said of phone calls, and the order
    # confirmation's 15 minutes said of the shipping confirmation.
    (
        "How long do you keep recordings of my phone calls?",
        "You can ask me to delete your phone calls within 30 days.",
    ),
    (
        "How many minutes after ordering will I get the shipping confirmation email?",
        "You receive the shipping confirmation within 15 minutes after ordering.",
    ),
    # A price list: €49 is the small service's line, €15 the fitting of a part.
    ("Wat kost een grote onderhoudsbeurt?", "Een grote onderhoudsbeurt kost €49."),
    ("Wat kost het om een wiel op maat te laten bouwen?", "Een wiel op maat bouwen kost €15."),
    # The returns period is 30 days; 14 days is for dropping off a registered return.
    ("How many days do I have to return a product?", "You can return products within 14 days."),
    # Across languages: another number than the line it translates, or a neighbour's number.
    (
        "Wie lange gilt die gesetzliche Gewährleistung?",
        "Die gesetzliche Gewährleistung gilt 5 Jahre.",
    ),
    ("Was kostet eine große Inspektion?", "Eine große Inspektion kostet 49 €, Teile inklusive."),
    ("Quelle est la garantie du fabricant sur un cadre ?", "Les cadres ont une garantie de 2 ans."),
    ("Combien coûte le montage d'une pièce ?", "Le montage d'une pièce coûte 35 € par pièce."),
    (
        "How much does a small service cost at your workshop in Utrecht?",
        "A small service costs €119 at our Utrecht workshop.",
    ),
    # The EU's line is not the Netherlands' or Germany's: another line of the list names them.
    (
        "Wat zijn de verzendkosten naar Nederland?",
        "Standaardverzending naar Nederland kost €7,95; vanaf €100 is de verzending gratis.",
    ),
    ("What does standard shipping to Germany cost?", "Standard shipping to Germany costs €7.95."),
    ("¿Cuánto cuesta el envío estándar a España?", "El envío estándar a España cuesta 4,95 €."),
    # SmolLM2, sixth session: the legal guarantee's 2 years as how long a claim takes; close in
    # meaning to that line (0.876) but no translation of it.
    (
        "¿Cuánto tardan en evaluar una solicitud de garantía?",
        "La solicitud de garantía está en 2 años.",
    ),
    ("How long does delivery to Norway take?", "Delivery to Norway takes 3 to 6 working days."),
    # SmolLM2 on the demo suite, third session: the help centre never says "student"; and
    # 24 hours is the new account's link, while the line about changing your address is silent.
    ("Is there a student discount?", "Yes, there is a student discount."),
    (
        "How long is the link valid that confirms my new email address after I changed it?",
        "The link is valid for 24 hours.",
    ),
    (  # no line naming Klarna says 14 days
        "Bis zu welchem Betrag kann ich mit Klarna bezahlen?",
        "Mit Klarna können Sie bis 1.500 € bezahlen, innerhalb von 14 Tagen.",
    ),
]


@pytest.mark.parametrize(("question", "answer"), RIGHT)
def test_right_answers_are_grounded(
    retriever: Retriever, embedder: Embedder, question: str, answer: str
) -> None:
    checked = check(retriever, embedder, question, answer)
    assert checked.shown, checked.grounding


@pytest.mark.parametrize(("question", "answer"), WRONG)
def test_wrong_answers_are_not(
    retriever: Retriever, embedder: Embedder, question: str, answer: str
) -> None:
    checked = check(retriever, embedder, question, answer)
    assert not checked.shown, checked.grounding
    assert checked.grounding.problems


# SmolLM2 on the demo suite, third session: a true line of the help centre, but about the
# neighbouring question. Each sentence is grounded; only the question tells them apart.
NEIGHBOURS = [
    (
        "Once my returned parcel arrives at your warehouse, how long does it take before the "
        "money is paid back?",
        "You can return a product within 30 days of receiving it.",
        "pay the refund within 14 days",
    ),
    (
        "Wat kost een grote onderhoudsbeurt?",
        "Fietsen die na 14 dagen niet zijn opgehaald, bewaren we tegen €5 per dag.",
        "Grote onderhoudsbeurt (inclusief naven en balhoofd): €119",
    ),
]


def neighbour(retriever: Retriever, embedder: Embedder, question: str, answer: str) -> str | None:
    """The line that answers `question` if the grounded `answer` answers a neighbouring one."""
    checked = check(retriever, embedder, question, answer)
    assert checked.shown, checked.grounding  # grounding alone lets it through
    bridged = retriever.bridged(question)
    return answerability.neighbour(
        question, checked.grounding.text, checked.passages, sentences_across(), bridged
    )


@pytest.mark.parametrize(("question", "answer", "answering"), NEIGHBOURS)
def test_a_true_line_about_the_neighbouring_question_is_caught(
    retriever: Retriever, embedder: Embedder, question: str, answer: str, answering: str
) -> None:
    assert answering in (neighbour(retriever, embedder, question, answer) or "")


@pytest.mark.parametrize(("question", "answer"), RIGHT)
def test_right_answers_answer_their_own_question(
    retriever: Retriever, embedder: Embedder, question: str, answer: str
) -> None:
    assert neighbour(retriever, embedder, question, answer) is None


def test_the_unsupported_sentence_is_removed_and_not_cited(
    retriever: Retriever, embedder: Embedder
) -> None:
    answer = (
        "The link is valid for 60 minutes and can be used once. Check your spam folder if the "
        "email does not arrive within 10 minutes. Gift cards are valid for 5 years."
    )
    checked = check(retriever, embedder, "How long is the password reset link valid?", answer)
    assert checked.shown
    assert "Gift cards" not in checked.grounding.text
    assert "60 minutes" in checked.grounding.text and "10 minutes" in checked.grounding.text
    assert checked.cited == ["Your account and password"]  # not the payment page


def test_an_invented_condition_does_not_ride_on_the_supported_part_of_its_sentence(
    retriever: Retriever, embedder: Embedder
) -> None:
    """SmolLM2's answer, fourth session: the condition after "but" is in no passage. Its words
    ("return", "order") are, so it passed joined to the part before it. Now it is removed, and
    with half the answer invented the rest is not shown either (support = share^1.5)."""
    answer = (
        "You can return a product within 30 days of receiving it, but you must have returned "
        "the entire order before that."
    )
    checked = check(retriever, embedder, "How many days do I have to return a product?", answer)
    first, condition = checked.grounding.sentences
    assert first.supported and not condition.supported
    assert "entire order" not in checked.grounding.text
    assert not checked.shown


def test_one_word_of_the_lines_phrasing_swapped_for_another_is_caught(
    retriever: Retriever, embedder: Embedder
) -> None:
    """SmolLM2, fourth session: the return line copied word for word but for one, which moves
    the deadline. "ordered" is a help-centre word ("ordered the wrong part"), so it is no
    paraphrase of the model's own."""
    question = "How many days do I have to return brake pads that don't fit?"
    answer = (
        "You can return brake pads that don't fit within 30 days after the day you ordered them."
    )
    checked = check(retriever, embedder, question, answer)
    assert not checked.shown
    assert checked.grounding.problems == ["says 'ordered' where the help centre says 'received'"]


def test_a_bound_read_the_wrong_way_round_is_caught(
    retriever: Retriever, embedder: Embedder
) -> None:
    """SmolLM2, fifth session: "as soon as 48 hours" where the help centre says "within 48
    hours" turns a deadline into a waiting time."""
    question = "How quickly do I have to report a damaged parcel?"
    wrong = "You can report a damaged parcel as soon as 48 hours after delivery."
    checked = check(retriever, embedder, question, wrong)
    assert not checked.shown
    assert checked.grounding.problems == ["bound the other way round: 48 hours"]
    right = "You have to report a damaged parcel within 48 hours after delivery."
    assert check(retriever, embedder, question, right).shown


def test_a_statement_gathered_from_the_words_of_several_lines_is_not_shown(
    retriever: Retriever, embedder: Embedder
) -> None:
    """SmolLM2, sixth session: a second sentence with no number, made of words found across the
    damaged-parcel paragraph's lines (5 of its 8), promising what no line says. The first
    sentence, which its line says, is shown alone."""
    question = "How quickly do I have to report a damaged parcel?"
    invented = (
        "If your order has been lost or damaged, we will send a tracking confirmation with a "
        "claim date."
    )
    checked = check(
        retriever, embedder, question, f"You have to report it within 48 hours. {invented}"
    )
    first, second = checked.grounding.sentences
    assert first.supported and not second.supported
    assert "tracking confirmation" not in checked.grounding.text
    # SmolLM2, same session: a line's words with a claim of its own ("all"), which the
    # paragraph around the line let pass; the paragraph holds 4 of its 7 words.
    refund = (
        "If the product is damaged or has been used, we will refund the purchase price and all "
        "other costs;"
    )
    checked = check(
        retriever,
        embedder,
        "How many days do I have to return a product?",
        f"You can return a product within 30 days after you receive it. {refund}",
    )
    first, second = checked.grounding.sentences
    assert first.supported and not second.supported
    assert "refund" not in checked.grounding.text
    # A sentence without a number that a paragraph does hold, word for word, still aligns.
    listed = check(retriever, embedder, "What should I send you?", "Send us photos of the box.")
    assert listed.grounding.sentences[0].supported


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        # SmolLM2, fifth session: when the period starts, invented.
        (
            "How many days do I have to return a product?",
            "You can return a product within 30 days of the date you want it.",
        ),
        (
            "How long is a Velora gift card valid?",
            "A Velora gift card is valid for 3 years from the date of purchase.",
        ),
    ],
)
def test_an_invented_start_of_a_period_is_caught(
    retriever: Retriever, embedder: Embedder, question: str, answer: str
) -> None:
    checked = check(retriever, embedder, question, answer)
    assert not checked.shown
    assert checked.grounding.problems[0].startswith("not in the passage: ")


def test_the_start_of_a_period_the_help_centre_gives_passes(
    retriever: Retriever, embedder: Embedder
) -> None:
    for question, answer in [
        (
            "How many days do I have to return a product?",
            "You can return products within 30 days after the day you received them.",
        ),
        (
            "How long does delivery to Germany take?",
            "Delivery to Germany takes 1 to 2 working days from the moment your parcel leaves"
            " our warehouse.",
        ),
    ]:
        assert check(retriever, embedder, question, answer).shown, answer


def test_the_first_statement_unsupported_withholds_the_answer(
    retriever: Retriever, embedder: Embedder
) -> None:
    answer = "The link is valid for 2 years. Check your spam folder if it does not arrive."
    checked = check(retriever, embedder, "How long is the password reset link valid?", answer)
    assert not checked.grounding.holds and checked.grounding.text == ""


def test_courtesy_is_neither_a_claim_nor_a_citation(
    retriever: Retriever, embedder: Embedder
) -> None:
    answer = "I'm sorry for the trouble! The link is valid for 60 minutes. Have a nice day!"
    checked = check(retriever, embedder, "How long is the password reset link valid?", answer)
    assert checked.shown and checked.grounding.share == 1.0


class Doubting:
    """An entailment model that supports nothing."""

    name = "doubting"

    def __init__(self) -> None:
        self.pairs: list[tuple[str, str]] = []

    def support(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        self.pairs.extend(pairs)
        return [0.1 for _ in pairs]


def test_an_entailment_model_can_veto_an_aligned_sentence(
    retriever: Retriever, embedder: Embedder
) -> None:
    question = "How long is the password reset link valid?"
    passages = retriever.search(question, 4)
    model = Doubting()
    grounding = Grounder(passages, embedder, model).ground("The link is valid for 60 minutes.")
    assert grounding.problems == ["the passage does not entail it"]
    assert model.pairs and "60 minutes" in model.pairs[0][0]  # (passage sentence, answer)


def test_foreign_words_are_bridged_to_the_help_centres(embedder: Embedder) -> None:
    bridge = Bridge(embedder, ["password", "reset", "valid", "delivery", "warranty", "address"])
    found = bridge.translate("Passwort resetten? Livraison, garantía, gültig, adresse")
    assert {"password", "reset", "delivery", "warranty", "valid", "address"} <= set(found)
    assert bridge.translate("password reset") == []  # its own words need no bridge


def test_a_translation_is_aligned_only_when_it_states_the_lines_numbers(
    retriever: Retriever, embedder: Embedder
) -> None:
    """The encoder across languages vouches for the line a sentence translates only together
    with its numbers: a sentence without any, however close, is not aligned that way."""
    question = "Wie lange gilt die gesetzliche Gewährleistung?"
    right = check(retriever, embedder, question, "Die gesetzliche Gewährleistung gilt 2 Jahre.")
    (said,) = right.grounding.sentences
    assert (said.how, said.supported) == ("translation", True)
    assert right.cited == ["Warranty and faulty products"]
    vague = check(
        retriever, embedder, question, "Die gesetzliche Gewährleistung gilt ab Lieferung."
    )
    assert all(s.how != "translation" for s in vague.grounding.sentences)
