"""What reading a pathological file costs, and that real datasets still load (issue 24 item 6).

    .venv/bin/python benchmarks/read_limits.py [--workdir DIR] [--repo CHECKOUT] [--skip-real]

Makes, once, in the work folder: the issue's files — a ``cases.csv`` of 1,000,000 one-character
lines (after its header; and one without a header), workbooks of ~5 MB and ~50 MB of tiny cells
(a ``cases`` sheet of "1"s under its header) and of empty ones (no problem in any cell) — and
real data: the demo's 1,000,000 cases as CSV and 100,000 cases as a workbook. Then, each in a
process of its own, with the code of ``--repo`` (default: this checkout; give an older checkout
for the "before" figures):

* ``validate``: the command line, wall time and peak RSS (the process's own, ``os.wait4``);
* ``upload``: the app's reading of an upload (``load_dataset_isolated``: the child process with
  its memory limit): wall time, the processor time and peak RSS of the child.

Each run is stopped after ``--timeout`` seconds (then its figures say so).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES_HEADER = ("case_id,process_id,officer_id,applicant_id,received_on,decided_on,outcome,discretion_used,"
                "legal_basis,reviewed_by,reviewed_on,deviation,via_it_system,override_reason,applicant_related,"
                "coi_declared,complete_on,applicant_kind,coi_permitted_by")
COLUMNS = "ABCDEFGHIJKLMNOPQRS"


def _demo(workdir: Path, cases: int) -> Path:
    data = workdir / f"demo-{cases}"
    if not (data / "manifest.json").exists():
        subprocess.run([sys.executable, "-m", "engine.cli", "demo-data", str(data), "--cases", str(cases), "--seed",
                        "5", "--as-of", "2025-06-30", "--no-progress"], check=True, stdout=subprocess.DEVNULL,
                       cwd=ROOT)
    return data


def _one_character_lines(workdir: Path, small: Path, header: bool) -> Path:
    out = workdir / ("csv-1M-lines" + ("-after-header" if header else ""))
    if not out.exists():
        shutil.copytree(small, out)
        with (out / "cases.csv").open("w", encoding="utf-8") as fh:
            if header:
                fh.write(CASES_HEADER + "\n")
            fh.write("x\n" * 1_000_000)
    return out


def _tiny_cells(path: Path, target: int, cell: str, kind: str = "") -> Path:
    """A workbook whose ``cases`` sheet holds, under its header, rows of 19 cells ``cell``, until the
    file is about ``target`` bytes (or Excel's last row), with no declared ``<dimension>``."""
    if path.exists():
        return path
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                   'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
                   'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                   'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
                   '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                   'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
                   'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
                   'relationships"><sheets><sheet name="cases" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                   'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                   '</Relationships>')
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                     b'2006/main"><sheetData><row r="1">' + b"".join(
                         f'<c r="{c}1" t="inlineStr"><is><t>{n}</t></is></c>'.encode()
                         for c, n in zip(COLUMNS, CASES_HEADER.split(","))) + b"</row>")
            for r in range(2, 1_048_577):
                fh.write(f'<row r="{r}">'.encode() + "".join(f'<c r="{c}{r}"{kind}>{cell}</c>' for c in COLUMNS).encode()
                         + b"</row>")
                if r % 20_000 == 0:
                    fh.flush()
                    if z.fp.tell() >= target:
                        break
            fh.write(b"</sheetData></worksheet>")
    return path


def _xlsx(demo: Path, out: Path) -> Path:
    """A demo dataset as one workbook, a sheet per file (openpyxl, text cells)."""
    if out.exists():
        return out
    import csv

    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    for f in sorted(demo.glob("*.csv")):
        sheet = book.create_sheet(f.stem)
        with f.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh):
                sheet.append(row)
    book.save(out)
    return out


UPLOAD = """
import json, resource, sys, time
from engine.ingest.isolated import load_dataset_isolated
start = time.perf_counter()
try:
    ds = load_dataset_isolated(sys.argv[1])
    outcome = "read: " + ", ".join(f"{k} {v}" for k, v in ds.counts().items() if v)
except Exception as exc:
    outcome = (str(getattr(exc, "problems", [exc])[-1]).split(" / ")[-1])
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": time.perf_counter() - start, "cpu": usage.ru_utime + usage.ru_stime,
                  "rss_mib": usage.ru_maxrss / 1024, "outcome": outcome}))
"""


def _run(cmd: list[str], repo: Path, timeout: float) -> dict:
    """``cmd`` with ``repo``'s code: its wall time, output, and its own peak RSS (``os.wait4``)."""
    env = {**os.environ, "PYTHONPATH": str(repo)}
    start = time.perf_counter()
    child = subprocess.Popen(cmd, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)
    read: dict[str, bytes] = {}

    def tail(name: str, stream) -> None:
        """The last 64 KiB only: a child forked later starts with this process's peak memory as
        its own (Linux copies it), so holding millions of problems here would inflate its figure."""
        kept = b""
        while chunk := stream.read(1 << 16):
            kept = (kept + chunk)[-(1 << 16):]
        read[name] = kept
    readers = [threading.Thread(target=tail, args=(name, f)) for name, f in (("out", child.stdout), ("err", child.stderr))]
    for r in readers:
        r.start()
    late = threading.Timer(timeout, lambda: os.killpg(child.pid, 9))
    late.start()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    late.cancel()
    child.returncode = os.waitstatus_to_exitcode(status)
    for r in readers:
        r.join()
    return {"wall": wall, "out": read["out"].decode(errors="replace"), "err": read["err"].decode(errors="replace"),
            "timed_out": child.returncode == -9, "code": child.returncode, "rss_mib": usage.ru_maxrss / 1024}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workdir", type=Path, default=Path("/tmp/discretion-read-limits"))
    p.add_argument("--repo", type=Path, default=ROOT, help="the checkout whose code is measured")
    p.add_argument("--timeout", type=float, default=600)
    p.add_argument("--skip-real", action="store_true", help="only the pathological files")
    p.add_argument("--only", nargs="*", default=None, help="names of the files to measure")
    args = p.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    small = _demo(args.workdir, 2000)
    files = {
        "cases.csv, 1M one-character lines": _one_character_lines(args.workdir, small, header=False),
        "cases.csv, header + 1M one-character lines": _one_character_lines(args.workdir, small, header=True),
        "xlsx ~5 MB of tiny cells": _tiny_cells(args.workdir / "tiny-5MB.xlsx", 5 << 20, "<v>1</v>"),
        "xlsx ~50 MB of tiny cells": _tiny_cells(args.workdir / "tiny-50MB.xlsx", 50 << 20, "<v>1</v>"),
        "xlsx ~5 MB of empty cells": _tiny_cells(args.workdir / "empty-5MB.xlsx", 5 << 20,
                                                  "<is><t></t></is>", ' t="inlineStr"'),
    }
    if not args.skip_real:
        files["demo 1,000,000 cases, CSV"] = _demo(args.workdir, 1_000_000)
        files["demo 100,000 cases, xlsx"] = _xlsx(_demo(args.workdir, 100_000), args.workdir / "demo-100000.xlsx")
    print(f"code: {args.repo} ({subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=args.repo, text=True, capture_output=True).stdout.strip()}); "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print(f"{'file':46} {'size':>9} | {'validate':>24} | {'upload (child)':>34} | outcome")
    for name, path in files.items():
        if args.only and not any(o in name for o in args.only):
            continue
        size = sum(f.stat().st_size for f in path.glob("*")) if path.is_dir() else path.stat().st_size
        v = _run([sys.executable, "-c", "from engine.cli import entry; entry()", "validate", str(path),
                  "--no-progress"], args.repo, args.timeout)
        shown_v = ("> " if v["timed_out"] else "") + f"{v['wall']:.1f} s, {v['rss_mib']:,.0f} MiB"
        lines = (v["out"].strip() or v["err"].strip()).splitlines()
        outcome = lines[-1] if lines else f"exit {v['code']}"
        u = _run([sys.executable, "-c", UPLOAD, str(path)], args.repo, args.timeout)
        try:
            up = json.loads(u["out"].strip().splitlines()[-1])
            shown_u = f"{up['wall']:.1f} s, cpu {up['cpu']:.1f} s, {up['rss_mib']:,.0f} MiB"
            outcome_u = up["outcome"]
        except (ValueError, IndexError):
            shown_u, outcome_u = ("> " if u["timed_out"] else "") + f"{u['wall']:.1f} s (no answer)", u["err"][-120:]
        print(f"{name:46} {size / 2**20:7.1f} MB | {shown_v:>24} | {shown_u:>34} | "
              f"validate: {outcome[-110:]} | upload: {outcome_u[-110:]}", flush=True)


if __name__ == "__main__":
    main()
