"""Does a knowledge-base sentence support an answer sentence? An optional `transformers` model.

`TANDEM_GROUNDING_MODEL` empty (the default): no model, nothing imported, nothing loaded; the
grounding checks compare words and numbers on their own. Set to a local folder or a name fetched
by `tandem models fetch NAME`, it is one of:
- an NLI model (sequence classification with an "entailment" label: cross-encoder/nli-*,
  *-mnli): support is the softmax probability of that label;
- a cross-encoder with a single logit (a relevance model such as ms-marco): support is the
  sigmoid of the logit. A weaker signal: a related passage is not always a supporting one.

torch and transformers are imported inside the loader, so a default start pays nothing.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from app.checks.model_files import local_folder

log = logging.getLogger("tandem.entailment")

# Pairs per forward pass: enough to amortise the call, few enough that padding to the longest
# pair of a batch stays cheap (pairs are sorted by length first).
BATCH = 16
# No check needs more than 512 tokens of one passage sentence and one answer sentence.
MAX_TOKENS = 512
# A hub id is `name` or `org/name`; anything else (./x, /x, a/b/c, ~/x) is meant as a folder.
HUB_ID = re.compile(r"[\w-][\w.-]*(/[\w.-]+)?")


class Entailment(Protocol):
    """premise (a knowledge-base sentence), hypothesis (an answer sentence) → support in 0..1."""

    name: str  # what TANDEM_GROUNDING_MODEL said, for the decision record

    def support(self, pairs: Sequence[tuple[str, str]]) -> list[float]: ...


class EntailmentUnavailable(RuntimeError):
    """The configured model's outputs say nothing about entailment (no such label)."""


def _is_entailment(label: str) -> bool:
    # "ENTAILMENT", "entailment", "Entailed"; not "not_entailment" of the two-class models.
    return re.sub(r"[^a-z]", "", label.lower()).startswith("entail")


def entailment_index(id2label: Mapping[int, str]) -> int | None:
    """The output whose softmax probability means "supported"; None for a single logit (sigmoid).

    Raises EntailmentUnavailable for several outputs without exactly one entailment label.
    """
    if len(id2label) == 1:
        return None
    found = [int(i) for i, label in id2label.items() if _is_entailment(str(label))]
    if len(found) != 1:
        raise EntailmentUnavailable(
            f"labels {sorted(id2label.values())} need exactly one entailment label "
            "(an NLI model) or a single output (a cross-encoder)"
        )
    return found[0]


def _max_length(tokenizer: Any, config: Any) -> int:
    # Tokenizers saved without a limit report a huge sentinel; the position embeddings bound
    # what the model can read (RoBERTa's 514 include 2 reserved, hence MAX_TOKENS first).
    limits = [MAX_TOKENS, int(tokenizer.model_max_length)]
    positions = getattr(config, "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 0:
        limits.append(positions)
    return min(limits)


class TransformersEntailment:
    """Any local sequence-classification model read as NLI (softmax) or a cross-encoder
    (sigmoid). CPU-bound: call `support` off the event loop (`anyio.to_thread.run_sync`)."""

    def __init__(self, folder: str, name: str) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        # Two cores: more threads per call would starve the event loop and other requests.
        torch.set_num_threads(1)
        self._tokenizer: Any = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        self._model: Any = AutoModelForSequenceClassification.from_pretrained(
            folder, local_files_only=True
        )
        self._model.eval()
        self._index = entailment_index(self._model.config.id2label)
        self._max_length = _max_length(self._tokenizer, self._model.config)
        # One call at a time: a fast tokenizer refuses concurrent use ("Already borrowed").
        self._lock = threading.Lock()
        self.name = name
        self.kind = "cross-encoder" if self._index is None else "nli"

    def support(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """P(premise supports hypothesis) for each (premise, hypothesis), in the given order."""
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        out = [0.0] * len(pairs)
        with self._lock:
            for start in range(0, len(order), BATCH):
                chunk = order[start : start + BATCH]
                for i, score in zip(chunk, self._batch([pairs[i] for i in chunk]), strict=True):
                    out[i] = score
        return out

    def _batch(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        import torch

        encoded = self._tokenizer(
            [premise for premise, _ in pairs],
            [hypothesis for _, hypothesis in pairs],
            padding=True,
            truncation=True,
            max_length=self._max_length,
            return_tensors="pt",
        )
        with torch.inference_mode():
            logits = self._model(**encoded).logits.float()
        if self._index is None:
            probs = torch.sigmoid(logits[:, 0])
        else:
            probs = torch.softmax(logits, dim=-1)[:, self._index]
        return [float(p) for p in probs.tolist()]


def load_entailment(setting: str) -> Entailment | None:
    """The configured model, or None: unset, or unusable (logged; the service starts without)."""
    name = setting.strip()
    if not name:
        return None
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    folder = local_folder(name)
    if not HUB_ID.fullmatch(name) and not Path(folder).is_dir():
        log.warning(
            "TANDEM_GROUNDING_MODEL: no such folder %s; grounding runs without a model", name
        )
        return None
    try:
        model = TransformersEntailment(folder, name)
    except OSError as exc:
        log.warning(
            "TANDEM_GROUNDING_MODEL: %s is neither a local folder nor fetched (%s); run "
            "`tandem models fetch %s` first. Grounding runs without a model",
            name,
            exc,
            name,
        )
        return None
    except Exception as exc:  # any model may fail its own way; the service must still start
        log.warning(
            "TANDEM_GROUNDING_MODEL: %s cannot be used (%s); grounding runs without a model",
            name,
            exc,
        )
        return None
    log.info("grounding: %s model %s", model.kind, name)
    return model
