"""Where the knowledge base and the rule files are, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]  # engine/


def data_dir(name: str) -> Path:
    """``kb`` or ``rules``: inside the wheel (``engine/_data``) or at the checkout's root."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"cannot find the '{name}' folder next to the engine package ({_PACKAGE})")
