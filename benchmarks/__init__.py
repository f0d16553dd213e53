"""Benchmarks: one command each (`python benchmarks/NAME.py`), printing figures."""
