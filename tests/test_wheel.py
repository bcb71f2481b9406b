"""`pip install .` as a wheel: the command finds the knowledge base and the rules from any folder."""

from __future__ import annotations

import json
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

from engine.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_carries_kb_and_rules_and_runs_elsewhere(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                    "-w", str(dist), str(ROOT)], check=True, capture_output=True, timeout=600)
    wheel = next(dist.glob("discretion_review-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "engine/_data/kb/measures.yaml" in names and "engine/_data/kb/agencies.yaml" in names
    assert sum(n.startswith("engine/_data/rules/") and n.endswith(".yaml") for n in names) == 9
    assert "engine/_data/ui/app.py" in names and "engine/_data/ui/views/flag.py" in names
    assert "engine/store/migrations/versions/0001_initial_schema.py" in names

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    # dependencies come from the test environment; the package itself only from the wheel
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    (Path(purelib) / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True, capture_output=True,
                   timeout=300)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    exe = env_dir / "bin" / "discretion-review"
    where = subprocess.run([str(py), "-c", "import engine; print(engine.__file__)"], cwd=elsewhere,
                           capture_output=True, text=True, check=True).stdout
    assert str(env_dir) in where
    rules = subprocess.run([str(exe), "rules", "--format", "json"], cwd=elsewhere, capture_output=True, text=True)
    assert rules.returncode == 0, rules.stderr
    assert len(json.loads(rules.stdout)) == 28
    demo = subprocess.run([str(exe), "demo-data", "demo", "--cases", "300", "--as-of", "2025-01-15"], cwd=elsewhere,
                          capture_output=True, text=True)
    assert demo.returncode == 0, demo.stderr
    sets = [a for x in json.loads((elsewhere / "demo" / "manifest.json").read_text(encoding="utf-8"))["set"]
            for a in ("--set", x)]  # the demo's acknowledgement round
    check = subprocess.run([str(exe), "check", "demo", "--as-of", "2025-01-15", "--output", "flags.jsonl", *sets],
                           cwd=elsewhere, capture_output=True, text=True)
    assert check.returncode == 1, check.stderr
    # the same check by the checkout's engine: the installed one evaluates the whole catalogue too
    assert main(["check", str(elsewhere / "demo"), "--as-of", "2025-01-15", "--no-progress", "--output",
                 str(tmp_path / "here.jsonl"), *sets]) == 1
    assert len((elsewhere / "flags.jsonl").read_text(encoding="utf-8").splitlines()) == \
        len((tmp_path / "here.jsonl").read_text(encoding="utf-8").splitlines()) > 20
