"""The intake API (``discretion-review api``): other systems post an agency's records as decisions
are made, and get back the flags the agency's evaluation opened, reopened and cleared.

``app.py`` serves it (FastAPI), ``openapi.py`` describes the request (from the exchange format's
models) with an example, ``throttle.py`` holds the rate limits, ``wording.py`` says the engine's
problems in Thai and English, ``commands.py`` holds the ``api`` and ``tokens`` commands. What a post
does to the store is engine/store/intake.py; tokens are engine/store/tokens.py. The contract:
docs/api.md.
"""
