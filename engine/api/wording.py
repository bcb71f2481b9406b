"""The engine's problems and warnings in Thai and English, as the app says them.

The loader words a problem in English (the command line's language); the app says it in Thai
with ``ui/messages.py``. The API answers both, from that same table (loaded from the app's
folder, which the wheel carries: ``engine.kb.resources.data_dir("ui")``), so that a person reads
the same words in the app and in what another system shows them from the API.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from types import ModuleType

from engine.kb.resources import data_dir


@lru_cache(maxsize=1)
def _messages() -> ModuleType:
    spec = importlib.util.spec_from_file_location("discretion_review_app_messages", data_dir("ui") / "messages.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def both(message: str) -> tuple[str, str]:
    """(Thai, English) of one of the engine's messages: a message given as ``ไทย / English`` is
    split; an English one is put in Thai by the app's table."""
    say = _messages().say
    return say(message, "th"), say(message, "en")
