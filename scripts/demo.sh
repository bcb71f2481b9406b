#!/usr/bin/env bash
# The main job on embedded defaults: set up, create the SQLite database with the demo dataset
# of the 33 Khon Kaen agencies, evaluate it, add demo users (printed with their password),
# and start the app. Stop it with Ctrl-C; the database (var/) stays for the next start.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh ui
.venv/bin/discretion-review demo-setup --cases "${CASES:-5000}"
exec .venv/bin/discretion-review app --port "${PORT:-8501}"
