"""The optional grounding model: any local NLI model or cross-encoder, read offline, scoring how
well a knowledge-base sentence supports an answer sentence; and nothing at all when unset."""

from __future__ import annotations

import asyncio
import logging
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.checks.entailment import (
    BATCH,
    EntailmentUnavailable,
    TransformersEntailment,
    entailment_index,
    load_entailment,
)
from app.checks.model_files import local_folder
from app.cli import model_uses
from app.db import migrate
from app.main import create_app
from tests.conftest import settings_for

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
NLI = ["entailment", "neutral", "contradiction"]
WORDS = ["refund", "refunds", "take", "takes", "five", "ten", "days", "the", "order", "is", "a"]
PAIRS = [
    ("refunds take five days", "the refund takes five days"),
    ("refunds take five days", "the refund takes ten days"),
    ("the order is a refund", "refund"),
]


def _tiny_model(folder: Path, labels: list[str], bias: list[float] | None = None) -> Path:
    """A 1-layer BERT (hidden size 16) with a WordPiece vocab. With `bias`, the classifier's
    weights are zero, so its logits are exactly `bias` and the expected support is known."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    folder.mkdir(parents=True)
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]) + "\n")
    tokenizer = BertTokenizer(str(vocab), model_max_length=32)
    config = BertConfig(
        vocab_size=len(WORDS) + 5,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )
    torch.manual_seed(0)
    model = BertForSequenceClassification(config)
    if bias is not None:
        with torch.no_grad():
            model.classifier.weight.zero_()
            model.classifier.bias.copy_(torch.tensor(bias))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def nli_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _tiny_model(tmp_path_factory.mktemp("nli") / "model", NLI)


def _load(folder: Path) -> TransformersEntailment:
    model = load_entailment(str(folder))
    assert isinstance(model, TransformersEntailment)
    return model


@pytest.mark.parametrize(
    ("labels", "bias", "expected"),
    [
        (NLI, [4.0, 0.0, 0.0], math.exp(4) / (math.exp(4) + 2)),  # 0.965
        (["CONTRADICTION", "ENTAILMENT", "NEUTRAL"], [0.0, 4.0, 0.0], 0.965),
        (NLI, [0.0, 0.0, 4.0], 1 / (math.exp(4) + 2)),  # contradiction: 0.018
        (["not_entailment", "entailment"], [0.0, 3.0], 1 / (1 + math.exp(-3))),
    ],
)
def test_an_nli_model_gives_the_entailment_probability(
    tmp_path: Path, labels: list[str], bias: list[float], expected: float
) -> None:
    model = _load(_tiny_model(tmp_path / "model", labels, bias))
    assert model.kind == "nli" and model.name == str(tmp_path / "model")
    assert model.support(PAIRS) == pytest.approx([expected] * 3, abs=1e-3)


def test_a_single_logit_cross_encoder_takes_the_sigmoid(tmp_path: Path) -> None:
    model = _load(_tiny_model(tmp_path / "model", ["LABEL_0"], [2.0]))
    assert model.kind == "cross-encoder"
    assert model.support(PAIRS) == pytest.approx([1 / (1 + math.exp(-2))] * 3, abs=1e-4)


def test_support_is_one_probability_per_pair_in_order_and_deterministic(nli_folder: Path) -> None:
    model = _load(nli_folder)
    assert model.support([]) == []
    # More pairs than one batch, of uneven lengths: sorted by length inside, given back in order.
    pairs = [(" ".join(WORDS[: 1 + i % 9]), WORDS[i % len(WORDS)]) for i in range(BATCH * 2 + 7)]
    scores = model.support(pairs)
    assert len(scores) == len(pairs)
    assert all(isinstance(s, float) and 0.0 <= s <= 1.0 for s in scores)
    assert model.support(pairs) == scores
    one_by_one = [model.support([pair])[0] for pair in pairs[:12]]
    assert scores[:12] == pytest.approx(one_by_one, abs=1e-5)  # padding changes nothing
    assert len({round(s, 6) for s in scores}) > 1  # the random head does read the text


def test_long_pairs_are_truncated_to_the_model_length(nli_folder: Path) -> None:
    model = _load(nli_folder)  # 32 positions: 200 words would not fit
    [score] = model.support([(" ".join(["refund"] * 200), " ".join(["days"] * 200))])
    assert 0.0 <= score <= 1.0


@pytest.mark.parametrize("setting", ["", "   "])
def test_unset_loads_nothing(setting: str) -> None:
    assert load_entailment(setting) is None


def test_unset_imports_neither_torch_nor_transformers() -> None:
    code = (
        "import sys\n"
        "from app.checks.entailment import load_entailment\n"
        "from app.services import Services\n"
        "assert load_entailment('') is None\n"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_a_missing_folder_is_logged_and_the_service_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="tandem.entailment"):
        assert load_entailment(str(tmp_path / "no-such-model")) is None
    assert "no such folder" in caplog.text and "no-such-model" in caplog.text


def test_a_name_never_fetched_fails_fast_offline(caplog: pytest.LogCaptureFixture) -> None:
    start = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="tandem.entailment"):
        assert load_entailment("tandem-test/not-fetched-nli-model") is None
    assert time.perf_counter() - start < 10
    assert "tandem models fetch tandem-test/not-fetched-nli-model" in caplog.text


def test_a_model_without_an_entailment_label_is_refused_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = _tiny_model(tmp_path / "model", ["negative", "neutral", "positive"])
    with caplog.at_level(logging.WARNING, logger="tandem.entailment"):
        assert load_entailment(str(folder)) is None
    assert "entailment label" in caplog.text


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({0: "entailment", 1: "neutral", 2: "contradiction"}, 0),
        ({0: "CONTRADICTION", 1: "NEUTRAL", 2: "ENTAILMENT"}, 2),
        ({0: "not_entailment", 1: "entailment"}, 1),
        ({0: "Entailed", 1: "Not entailed"}, 0),
        ({0: "LABEL_0"}, None),
    ],
)
def test_the_entailment_output_is_found_by_its_label(
    labels: dict[int, str], expected: int | None
) -> None:
    assert entailment_index(labels) == expected


@pytest.mark.parametrize(
    "labels", [{0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, {0: "entailment", 1: "entails"}]
)
def test_outputs_without_exactly_one_entailment_label_are_refused(labels: dict[int, str]) -> None:
    with pytest.raises(EntailmentUnavailable):
        entailment_index(labels)


def test_a_fetched_name_is_read_from_its_fetched_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _tiny_model(tmp_path / "var" / "models" / "org--tiny-nli", NLI, [4.0, 0.0, 0.0])
    assert local_folder("org/tiny-nli", tmp_path / "var" / "models") == str(folder)
    assert local_folder("org/other", tmp_path / "var" / "models") == "org/other"
    monkeypatch.chdir(tmp_path)  # `tandem models fetch` saves under ./var/models by default
    model = _load(Path("org/tiny-nli"))
    assert model.name == "org/tiny-nli" and model.support(PAIRS[:1])[0] > 0.9


@pytest.mark.parametrize(
    ("labels", "uses"),
    [
        (NLI, ["TANDEM_GROUNDING_MODEL"]),
        (["LABEL_0"], ["TANDEM_GROUNDING_MODEL"]),
        (["negative", "neutral", "positive"], ["TANDEM_SENTIMENT_MODEL"]),
        (["spam", "ham"], []),
    ],
)
def test_models_fetch_names_the_settings_a_model_fits(
    tmp_path: Path, labels: list[str], uses: list[str]
) -> None:
    assert model_uses(_tiny_model(tmp_path / "model", labels)) == uses


async def test_the_lifespan_puts_the_configured_model_on_services(
    tmp_path: Path, nli_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'tandem.db'}"
    await asyncio.to_thread(migrate, url)  # migrate runs its own event loop
    monkeypatch.delenv("TANDEM_GROUNDING_MODEL", raising=False)
    assert settings_for(url).grounding_model == ""
    monkeypatch.setenv("TANDEM_GROUNDING_MODEL", str(nli_folder))
    app = create_app(settings_for(url, embedding_model="none"))  # the env var, not an argument
    async with app.router.lifespan_context(app):
        entailment = app.state.services.entailment
        assert entailment is not None and entailment.name == str(nli_folder)
        assert len(entailment.support(PAIRS)) == 3
