"""PostgreSQL roles: the schema's owner runs the migrations; the app and every command connect
as a role with data rights only, which cannot alter or drop a table, drop or disable a trigger,
or change or delete an audit row (docs/audit.md):

* audit trails (append-only): SELECT, INSERT;
* dataset tables, which an import replaces agency by agency, and ``duties``, which a run
  replaces agency by agency: SELECT, INSERT, UPDATE, DELETE;
* every other table (flags, users, runs, assessments, …): SELECT, INSERT, UPDATE;
* ``alembic_version``: SELECT (a command checks the schema is current); the schema's
  sequences: USAGE, SELECT (new ids); ``discretion_analyze_flags()``: EXECUTE (statistics
  after a run: only the owner may VACUUM or ANALYZE).

Whatever else the role held on these tables is revoked first, so ``grant`` can be run again at
any time; after a migration the owner's ``upgrade`` grants the same to every role that had
them (``regrant``), so tables a migration makes are covered.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from engine.domain.errors import UsageError
from engine.store.audit import APPEND_ONLY
from engine.store.schema import DATASET_ROWS, Base

ANALYZE = "discretion_analyze_flags()"
REPLACED = frozenset({"duties"})  # tables whose rows a run replaces, agency by agency


def rights() -> dict[str, tuple[str, ...]]:
    """The app role's rights on each table of the schema."""
    dataset = {m.__tablename__ for m in DATASET_ROWS.values()}
    out = {}
    for name in Base.metadata.tables:
        if name in APPEND_ONLY:
            out[name] = ("SELECT", "INSERT")
        elif name in dataset or name in REPLACED:
            out[name] = ("SELECT", "INSERT", "UPDATE", "DELETE")
        else:
            out[name] = ("SELECT", "INSERT", "UPDATE")
    out["alembic_version"] = ("SELECT",)
    return out


def statements(conn: Connection, role: str) -> list[str]:
    """The SQL that gives ``role`` the app's rights in the connection's current schema."""
    quote = conn.dialect.identifier_preparer.quote
    schema, who = quote(conn.exec_driver_sql("SELECT current_schema()").scalar()), quote(role)
    out = [f"GRANT USAGE ON SCHEMA {schema} TO {who}",
           f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {who}",
           f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {who}"]
    out += [f"GRANT {', '.join(privileges)} ON {schema}.{quote(table)} TO {who}"
            for table, privileges in sorted(rights().items())]
    out.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {who}")
    out.append(f"GRANT EXECUTE ON FUNCTION {schema}.{ANALYZE} TO {who}")
    return out


def grant(conn: Connection, role: str) -> list[str]:
    """Give ``role`` the app's rights (run as the schema's owner, in ``conn``'s transaction);
    the statements run. Refused for a role that owns the tables or is a superuser: either can
    alter the tables and switch the triggers off, which is what the split is for."""
    if conn.dialect.name != "postgresql":
        raise UsageError("SQLite ไม่มีบทบาทผู้ใช้ฐานข้อมูล: ผู้ที่เขียนไฟล์ได้แก้ได้ทุกอย่าง ป้องกันด้วยสิทธิ์ของไฟล์ กุญแจ และหมุดยึด "
                         "(docs/audit.md) / SQLite has no database roles: whoever can write the file can change "
                         "anything in it; it is protected by the file's permissions, the audit key and anchors "
                         "(docs/audit.md)")
    found = conn.execute(text("SELECT rolsuper, pg_has_role(:r, (SELECT relowner FROM pg_class WHERE oid = "
                              "'flags'::regclass), 'USAGE') FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
    if found is None:
        raise UsageError(f"ไม่มีบทบาท {role} ในฐานข้อมูล: สร้างก่อนด้วย CREATE ROLE … LOGIN (docs/audit.md) / no role "
                         f"{role!r} on this server: create it first (CREATE ROLE {role} LOGIN PASSWORD '…', "
                         "docs/audit.md)")
    if found[0] or found[1]:
        raise UsageError(f"บทบาท {role} เป็น{'ผู้ดูแลสูงสุด (superuser)' if found[0] else 'เจ้าของตาราง'} จึงแก้ตารางและปิดทริกเกอร์ได้: "
                         f"ใช้บทบาทแยกที่มีสิทธิ์เฉพาะข้อมูล / role {role!r} "
                         f"{'is a superuser' if found[0] else 'owns the tables (or is a member of their owner)'}, "
                         "so it can alter them and switch their triggers off: give the app a separate role with "
                         "data rights only (docs/audit.md)")
    done = statements(conn, role)
    for sql in done:
        conn.exec_driver_sql(sql)
    return done


def granted(conn: Connection) -> list[str]:
    """The roles other than the tables' owner that hold the app's rights on ``flags``."""
    return list(conn.execute(text(
        "SELECT DISTINCT p.grantee FROM information_schema.table_privileges p JOIN pg_tables t "
        "ON t.schemaname = p.table_schema AND t.tablename = p.table_name "
        "WHERE p.table_schema = current_schema() AND p.table_name = 'flags' AND p.privilege_type = 'UPDATE' "
        "AND p.grantee <> t.tableowner AND p.grantee <> 'PUBLIC' ORDER BY 1")).scalars())


def regrant(url: str) -> list[str]:
    """After a migration (as the owner): the app's rights again for every role that had them."""
    from engine.store.db import make_engine

    engine = make_engine(url)
    try:
        if engine.dialect.name != "postgresql":
            return []
        with engine.begin() as conn:
            roles = granted(conn)
            for role in roles:
                for sql in statements(conn, role):
                    conn.exec_driver_sql(sql)
        return roles
    finally:
        engine.dispose()
