"""Speed and peak memory of `discretion-review check` on demo datasets of growing size.

    .venv/bin/python benchmarks/check_speed.py [--sizes 10000 100000 1000000] [--workdir DIR]

For each size it generates a demo dataset (kept in the work folder for the next run), then
runs the real command line end to end (read, validate, evaluate on every core, write JSON
lines) and prints wall time, cases per second, and the peak memory of the whole process
tree: the sum of PSS (proportional set size, so pages the forked workers share with the
parent are counted once) sampled every 100 ms in a second run, next to the peak RSS of the
largest process.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXE = Path(sys.executable).parent / "discretion-review"
AS_OF = "2025-06-30"


def demo_dataset(workdir: Path, cases: int, as_of: str = AS_OF) -> Path:
    """The demo dataset of ``cases`` cases (seed 5) in ``workdir``, generated once and kept."""
    data = workdir / f"demo-{cases}"
    if not (data / "manifest.json").exists():
        subprocess.run([str(EXE), "demo-data", str(data), "--cases", str(cases), "--seed", "5", "--as-of", as_of,
                        "--no-progress"], check=True, stdout=subprocess.DEVNULL)
    return data


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def _tree(pid: int) -> list[int]:
    seen, todo = [], [pid]
    while todo:
        p = todo.pop()
        seen.append(p)
        todo += _children(p)
    return seen


def _kib(pid: int, path: str, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/{path}").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# Commands run as installed code runs: with their modules compiled to bytecode once (pip compiles
# a wheel's modules when it installs them). A shell that sets PYTHONDONTWRITEBYTECODE would have
# every run compile the project's modules again (0.1-0.15 s of each `check`).
_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def _run(cmd: list[str], sample: bool, output: Path | None = None) -> tuple[float, int, int]:
    if output is not None:  # every run writes a new file: freeing the last one's pages is not the program's time
        output.unlink(missing_ok=True)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=_ENV)
    peak_pss = peak_rss = 0
    while proc.poll() is None:
        if sample:
            pids = _tree(proc.pid)
            peak_pss = max(peak_pss, sum(_kib(p, "smaps_rollup", "Pss:") for p in pids))
            peak_rss = max([peak_rss] + [_kib(p, "status", "VmRSS:") for p in pids])
        time.sleep(0.1 if sample else 0.02)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr.read()}")
    return seconds, peak_pss, peak_rss


def measure(cmd: list[str], repeat: int = 1, output: Path | None = None) -> tuple[float, int, int]:
    """(median seconds of ``repeat`` unobserved runs, peak total PSS KiB and peak single-process
    RSS KiB of one more, sampled run): reading /proc every 100 ms costs CPU, so time and memory
    are apart. A first run is not counted (``_ENV``). ``output``, the file the command writes, is removed before each run (on ext4,
    replacing a 400 MB file costs the replacing process 0.2 s: the old file's, not the new one's)."""
    _run(cmd, sample=False, output=output)  # not counted: compiles the modules, warms the page cache
    seconds = sorted(_run(cmd, sample=False, output=output)[0] for _ in range(repeat))[repeat // 2]
    _, pss, rss = _run(cmd, sample=True, output=output)
    return seconds, pss, rss


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "discretion-review-bench")
    ap.add_argument("--jobs", type=int, default=None)
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB; "
          f"as_of {AS_OF}; durable-rules in {args.jobs or os.cpu_count()} worker processes")
    print(f"{'cases':>10} {'flags':>9} {'check s':>8} {'cases/s':>9} {'peak PSS (tree)':>16} {'peak RSS (max proc)':>20}")
    for n in args.sizes:
        data = demo_dataset(args.workdir, n)
        out = args.workdir / f"flags-{n}.jsonl"
        cmd = [str(EXE), "check", str(data), "--as-of", AS_OF, "--output", str(out), "--no-progress"]
        if args.jobs:
            cmd += ["--jobs", str(args.jobs)]
        seconds, pss, rss = measure(cmd, output=out)
        flags = sum(1 for _ in out.open(encoding="utf-8"))
        print(f"{n:>10,} {flags:>9,} {seconds:>8.1f} {n / seconds:>9,.0f} {pss / 1024:>13,.0f} MiB {rss / 1024:>17,.0f} MiB",
              flush=True)


if __name__ == "__main__":
    main()
