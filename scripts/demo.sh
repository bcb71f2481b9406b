#!/usr/bin/env bash
# The main job on embedded defaults: build a demo dataset for the 33 Khon Kaen agencies and check it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh ui
out=demo-output
.venv/bin/discretion-review demo-data "$out/dataset" --cases "${CASES:-5000}" --seed "${SEED:-1}"
set +e
.venv/bin/discretion-review check "$out/dataset" --format jsonl --output "$out/flags.jsonl"
code=$?
set -e
[ "$code" -le 1 ] || exit "$code"
.venv/bin/discretion-review check "$out/dataset" --format table --output "$out/flags.txt" 2>/dev/null || true
head -n 12 "$out/flags.txt"
echo "..."
echo "All flags: $out/flags.jsonl (JSON lines) and $out/flags.txt (table)."
