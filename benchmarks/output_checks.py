"""CPU that the output checks (promises, canary, leaks, profanity) cost on one long drafted
reply, next to what reading the reply costs (`words`: the normalisation every check starts
from), in the same run.

    python benchmarks/output_checks.py

This was a timed test (median under 1 ms) until it failed CI on a loaded machine at 1.13 ms;
the base commit measured 0.58 to 1.04 ms there within minutes. The figure lives here now, as a
ratio to the baseline, which a shared, noisy machine keeps steady. Nothing leaves the machine.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.checks.output import check_output, words

CANARY = "tandem-canary-0a1b2c3d4e5f6789"
REPLY = (
    "Thanks for your message! Refunds for returned items are processed within 5 business "
    "days after the parcel reaches our warehouse. If your item arrived damaged, keep the "
    "packaging and send us a photo; a colleague will review your case and get back to you. "
    "Shipping within the Netherlands costs €4.95 and is free over €50. We are available "
    "Monday to Friday from 9:00 to 17:00. Is there anything else I can help you with today?"
)[:600]
ROUNDS, CALLS = 5, 200


def _median_ms(run: Callable[[], object]) -> float:
    times = []
    for _ in range(CALLS):
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
    return statistics.median(times) * 1000


def main() -> None:
    checks, reading = [], []
    for _ in range(ROUNDS):  # interleaved, so both see the same load
        checks.append(_median_ms(lambda: check_output(REPLY, CANARY)))
        reading.append(_median_ms(lambda: words(REPLY)))
    c, r = statistics.median(checks), statistics.median(reading)
    print(f"reply of {len(REPLY)} characters, {ROUNDS} rounds of {CALLS} calls, CPU")
    print(f"  baseline: reading it (words)  median {r:.3f} ms")
    print(f"  output checks (check_output)  median {c:.3f} ms  ({c / r:.1f}x the baseline)")


if __name__ == "__main__":
    main()
