"""How long the reports page takes to build its four files for one agency.

    .venv/bin/python benchmarks/report_speed.py [--cases 2000] [--repeat 5]

Builds a demo database in a temporary folder (33 agencies, a submitted self-assessment with a file,
a URL and a note for the Land Office), then times the acknowledgement form and the O48 evidence
pack, PDF and XLSX, as the page builds them: the first build in the process (it loads PyThaiNLP's
dictionary) and the median of the warm builds after it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.demo.store import setup_demo  # noqa: E402
from engine.store import assessment as sa  # noqa: E402
from engine.store import reports as sr
from engine.store.db import transaction  # noqa: E402
from engine.store.scope import SYSTEM, Scope  # noqa: E402

HEAD = Scope("head.land", "agency_head", "kk-land")
TODAY = dt.date(2026, 11, 25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    url = f"sqlite:///{tempfile.mkdtemp(prefix='report-speed-')}/demo.db"
    list(setup_demo(url, cases=args.cases, as_of=TODAY))
    with transaction(url) as s:
        campaign = sa.create_campaign(s, SYSTEM, 2569, dt.date(2026, 9, 30))
        a = sa.assessment(s, HEAD, campaign.id, "kk-land")
        item = next(i for i in sa.items(s, HEAD, a.id) if i.measure_id == "1.4")
        sa.update_item(s, HEAD, item.id, item.proposed_status, evidence_url="https://land.example.go.th/risk-2569",
                       evidence_note="รายงานการประชุมคณะกรรมการจริยธรรม ครั้งที่ 2/2569",
                       evidence_file=("บันทึกการประชุม.pdf", b"%PDF-1.4 " + b"x" * 200_000))
        sa.submit(s, HEAD, a.id)
        campaign_id = campaign.id

    def build() -> dict[str, float]:
        times = {}
        t = time.perf_counter()
        with transaction(url) as s:
            ack = sr.acknowledgement_data(s, HEAD, "kk-land", 2570)  # the demo's round
            pack = sr.evidence_data(s, HEAD, "kk-land", campaign_id)
        times["data"] = time.perf_counter() - t
        for name, make in (("ack.pdf", lambda: sr.acknowledgement_pdf(ack, TODAY)),
                           ("ack.xlsx", lambda: sr.acknowledgement_xlsx(ack)),
                           ("pack.pdf", lambda: sr.evidence_pdf(pack, TODAY)),
                           ("pack.xlsx", lambda: sr.evidence_xlsx(pack))):
            t = time.perf_counter()
            make()
            times[name] = time.perf_counter() - t
        times["total"] = sum(times.values())
        return times

    first = build()
    warm = [build() for _ in range(args.repeat)]
    print(f"{'':10} {'first':>8} {'warm (median)':>14}")
    for key in first:
        print(f"{key:10} {first[key]:7.3f}s {statistics.median(w[key] for w in warm):13.3f}s")


if __name__ == "__main__":
    main()
