"""Upgrading stores made by earlier releases (issue 21, item 1).

Each fixture under tests/fixtures/upgrade/ is a dump of a store that an early release built
(``make_fixture.py``: its demo data, its evaluation, 24 decisions on flags of as many rules,
a second run), on SQLite and on PostgreSQL. The test loads it into a fresh database, upgrades
it with today's ``db upgrade`` and runs today's ``run`` on the same data at the same date."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from conftest import pg_base_url, scratch_pg_database
from sqlalchemy import select, text

from engine.cli import main
from engine.store.db import transaction
from engine.store.sync import VOLATILE_EVIDENCE
from engine.store.schema import EvaluationRun, FlagEvent, FlagRow

UPGRADE = Path(__file__).parent / "fixtures" / "upgrade"
RELEASES = ["c5d6ef8", "3d2d81f"]
MIGRATIONS = Path(__file__).parent.parent / "engine" / "store" / "migrations"

# Released migrations never change: a store upgraded by one release must be upgradable by the
# next, and a migration edited after its release runs on stores it was not written for (0001 was
# edited after c5d6ef8, and 0004 then failed on every PostgreSQL store of that release). A
# migration is pinned in the commit that adds it: add its file's SHA-256 here (the failure
# message prints the line). 0004 was changed once more, knowingly, to handle both names of
# 0001's trigger. append_only.py is pinned too: migrations call it.
PINNED = {
    "versions/0001_initial_schema.py": "5ace04b00912aacd9c37c98ee2ad8b1d073af7b8e83718109665dfa9f02bda27",
    "versions/0002_app_analyses_and_self_assessment.py": "845e0bfb6aa16f3fc3f9037752040f75faceb027eea53b32fe1b4d261441040d",
    "versions/0003_login_attempts.py": "0dd7b64fc00755f6aaed4346c756ab138fae9416abd9d6a8a552f25b2ac92697",
    "versions/0004_audit_hardening.py": "17a80dc0e2ccf62450eb646bbc7cced4fcf21c53206abdb884f4b67903156a16",
    "versions/0005_catalogue_v2.py": "cb9b692c737009f2fba089f02a3fdb551df8700f6f59f6fb2325f4474150c57a",
    "versions/0006_run_liveness.py": "c7b237b054ec897af21df78c616133a43bde137ecd883db2b4f9898abf54e43c",
    "versions/0007_queue_speed.py": "d7a1a560d4942fda13032e82ea939fcb3d22176aa20c4210c13116eb1908447c",
    "versions/0008_calendar_and_rounds.py": "5aa411b01789341c82d6ddcfe996f9a652aa6e02c60574425fd211b497642466",
    "versions/0009_run_rewrites_what_changed.py": "6cae03b1bb237917c2c4e5f6dcbedaca43e10c7b10cef2cbf436566250f92f76",
    "versions/0010_evidence_keys_kind_2.py": "f91df33d50c1fbc552b24a3086c3cd81c3e0d42df220fe3f79d32ccddea58cc8",
    "versions/0011_catalogue_v3.py": "da0e6ff1c29ceb8dbdc57d285e72b50576e3add2045e29d69e9cdb4b3d73e1fc",
    "versions/0014_store_releases.py": "61bbab221c50257993f732ef1da07c301a0e91dd6f1507811b5c159e464a1c5a",
    "versions/0015_evidence_keys_kind_3.py": "034457e8a55002ca4d03bd28103ff25f6fbe342cf09993488f4ec18c913e4ca8",
    "versions/0016_login_attempts_by_source.py": "0005f07368e9e578eec8506ade6353d5e1f2ac4452801b71c25c865643d77a5f",
    "versions/0017_keyed_audit_trails.py": "2f44201c6df9da9472553ce5df5f69dc007c43f9b0a5c6fc1ed743c50cc030fa",
    "versions/0018_round_letters_ita_items_campaign_entries.py": "aac051ffd5c01baa0894d94883b4421d8f2b99e6f20883bc2ca00ad956176e90",
    "versions/0019_user_officer_and_unique_names.py": "10c06981c3c65c393f54726e4c3ec7709f34efbd78084674ea3580db018b5bac",
    "versions/0020_intake_api.py": "0ffc4a49761efba14baa4f801fa74880062398f18e4f1dea117740545a110847",
    "versions/0021_duties_requests_and_digests.py": "37907c418600221332da6164a558713dec0394868a3810509985159f58ddf27e",
    "append_only.py": "39ff1164190d67921ce6bab262eb5f834bb1e4eb3c81b06f23568ebad76e7044",
}


def test_released_migrations_are_pinned_by_their_hash():
    files = {str(p.relative_to(MIGRATIONS)): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in [*sorted((MIGRATIONS / "versions").glob("*.py")), MIGRATIONS / "append_only.py"]}
    unpinned = [f'    "{name}": "{digest}",' for name, digest in files.items() if name not in PINNED]
    assert not unpinned, "pin each new migration in PINNED (tests/test_upgrade.py):\n" + "\n".join(unpinned)
    changed = [name for name, digest in PINNED.items() if files.get(name) != digest]
    assert not changed, (f"released migrations changed: {changed}. A released migration never changes: "
                         "write a new migration instead")


def _load_dump(kind: str, dump: Path, url: str) -> None:
    text = dump.read_text(encoding="utf-8")
    if kind == "sqlite":
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        conn.executescript(text)
        conn.close()
        return
    import psycopg
    from sqlalchemy.engine import make_url

    # pg_dump's psql meta-commands (\restrict, \unrestrict) are for psql; the rest is plain SQL
    sql = "\n".join(line for line in text.splitlines() if not line.startswith("\\"))
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(params=[(r, k) for r in RELEASES for k in ("sqlite", "postgresql")], ids=lambda p: f"{p[0]}-{p[1]}")
def old_store(request, tmp_path):
    """(release, a database loaded with that release's dump, its decisions)."""
    release, kind = request.param
    dump = UPGRADE / f"{release}.{kind}.sql"
    decisions = json.loads((UPGRADE / f"{release}.{kind}.decisions.json").read_text(encoding="utf-8"))
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path}/old.db"
        _load_dump(kind, dump, url)
        yield release, url, decisions
        return
    base = pg_base_url()
    if not base:
        pytest.skip("no PostgreSQL server: set DISCRETION_TEST_PG_URL (bash scripts/services.sh)")
    with scratch_pg_database(base) as url:
        _load_dump(kind, dump, url)
        yield release, url, decisions


def _facts(evidence: dict) -> dict:
    """Evidence as facts: without the fields that move with the date alone, or that are empty."""
    return {k: v for k, v in (evidence or {}).items()
            if k not in VOLATILE_EVIDENCE and v not in (None, "", [], {})}


def test_an_old_store_upgrades_and_a_rerun_keeps_every_decision_whose_facts_did_not_change(old_store, capsys):
    release, url, fixture = old_store
    as_of, decisions = fixture["as_of"], fixture["decisions"]
    with transaction(url) as s:  # the old schema: read by SQL
        stored = {f: (version, severity) for f, version, severity in
                  s.execute(text("SELECT flag_id, version, severity FROM flags")).all()}
    assert main(["db", "upgrade", "--db", url]) == 0
    assert main(["run", "--as-of", as_of, "--db", url, "--user", "admin"]) == 0
    matrix = {"kept": [], "reopened": [], "cleared": []}
    with transaction(url) as s:
        for d in decisions:
            flag = s.get(FlagRow, d["flag_id"])
            events = s.scalars(select(FlagEvent).where(FlagEvent.flag_id == d["flag_id"]).order_by(FlagEvent.id)).all()
            # the decision is in the flag's history whatever the run did
            assert any(e.to_status == d["status"] and e.actor == "system" and e.run_id is None for e in events), d
            if flag.status == d["status"]:
                matrix["kept"].append(d["rule_id"])
                version, severity = stored[d["flag_id"]]  # a kept decision's open form does not go stale
                assert flag.version == version + (flag.severity != severity), d
            elif flag.status == "cleared_by_data":  # the rule no longer finds it (catalogue v1 -> v2)
                matrix["cleared"].append(d["rule_id"])
            else:  # reopened: only for a fact that changed, and saying which
                assert flag.status == "open", d
                last = events[-1]
                assert last.action == "evidence_changed" and last.details["changed"], (d, last.details)
                before, after = _facts(flag.previous_evidence), _facts(flag.evidence)
                for field in last.details["changed"]:
                    assert field == "parameters" or before.get(field) != after.get(field), (d, field)
                matrix["reopened"].append(d["rule_id"])
    with capsys.disabled():
        print(f"\n{release} on {url.split(':')[0]}: {len(decisions)} decisions, kept {len(matrix['kept'])}, "
              f"reopened {len(matrix['reopened'])} {matrix['reopened']}, cleared by data {len(matrix['cleared'])} "
              f"{matrix['cleared']}")
    if release == "3d2d81f":  # catalogue v2: every decision stands but where v3 changed the rule's law
        # 1.5-ethics-not-acknowledged is an officer's flag now (its case flags are cleared by data);
        # a delay notice given early moves the next one on (1.6); monitoring is six-monthly (1.8)
        changed_by_v3 = {"1.5-ethics-not-acknowledged", "1.6-delay-not-notified", "1.8-no-monitoring"}
        assert not {r for r in matrix["reopened"] + matrix["cleared"]} - changed_by_v3, matrix
        assert [d["rule_id"] for d in decisions if d["rule_id"] == "1.5-ethics-not-acknowledged"] == \
            [r for r in matrix["cleared"] if r == "1.5-ethics-not-acknowledged"]
        assert len(matrix["kept"]) >= len(decisions) - 3
    else:
        # catalogue v2 and v3 added to these rules' evidence only empty fields (coi_permitted_by: null)
        # or the parameters' sources, with the values the old run applied: their decisions stand
        for rule in ("1.5-conflict-of-interest", "1.2-manual-outdated", "1.4-no-risk-analysis"):
            assert rule in matrix["kept"], (rule, matrix)
    # a second run on the same data changes nothing, and the trail holds
    assert main(["run", "--as-of", as_of, "--db", url, "--user", "admin"]) == 0
    with transaction(url) as s:
        last = s.scalars(select(EvaluationRun).order_by(EvaluationRun.id.desc())).first()
        assert (last.flags_new, last.flags_reopened, last.flags_cleared) == (0, 0, 0)
    assert main(["audit", "verify", "--db", url]) == 0


def test_a_field_only_added_or_dropped_empty_is_no_change_in_the_facts():
    from engine.store.sync import changed_facts

    before = {"case_id": "C1", "decided_on": "2025-01-02"}
    for empty in (None, "", [], {}):
        assert changed_facts(before, {**before, "coi_permitted_by": empty}) == []  # a release added the field
        assert changed_facts({**before, "gone": empty}, before) == []  # a release dropped an empty field
    assert changed_facts(before, {**before, "coi_permitted_by": "OFF2"}) == ["coi_permitted_by"]
    assert changed_facts(before, {**before, "late_investigations": [{"report": "R1"}]}) == ["late_investigations"]
    assert changed_facts({**before, "reviewed_by": "OFF3"}, {**before, "reviewed_by": None}) == ["reviewed_by"]
    assert changed_facts(before, {**before, "days_since_decision": 40}) == []  # moves with as_of alone
    # catalogue v1 recorded no parameters in a flag: the same values as the old run applied are no change
    params = {"review_within_days": {"value": 7, "from": "kb", "source_th": "…", "source_en": "…"}}
    assert changed_facts(before, {**before, "parameters": params}, {"review_within_days": "7"}) == []
    assert changed_facts(before, {**before, "parameters": params}, {"review_within_days": "5"}) == ["parameters"]
    assert changed_facts(before, {**before, "parameters": params}, None) == ["parameters"]
    assert changed_facts({**before, "parameters": {}}, {**before, "parameters": params}, {"review_within_days": 7}) \
        == ["parameters"]  # stored with parameters: compared as they are
