#!/usr/bin/env bash
# Sets up the test environment (Python packages, a PostgreSQL server and Chromium from
# Debian's packages when run as root) and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test ui
eval "$(bash scripts/services.sh)"
.venv/bin/ruff check engine ui tests benchmarks
exec .venv/bin/python -m pytest -q "$@"
