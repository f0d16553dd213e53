"""The widget and the consoles as static files, shipped inside the wheel so that an installed
Tandem serves its pages from any folder (`FILES` is where they are)."""

from pathlib import Path

FILES = Path(__file__).resolve().parent
