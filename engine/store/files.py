"""The store's files on this machine: readable by their owner only.

An SQLite store holds password hashes, applicants' ids, officers' names and the evidence of
every flag; the process's umask (commonly 022) would make the file and its WAL readable by
every local user. The file is made 0600 before SQLite first opens it (SQLite gives its
``-wal``, ``-shm`` and ``-journal`` files the mode of the database file), a folder made for it
is 0700, and an existing store (or the default ``var/`` folder) left readable by others by an
older release is closed to them when it is opened.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700
_COMPANIONS = ("", "-wal", "-shm", "-journal")  # the files SQLite keeps beside a database
DEFAULT_FOLDER = Path("var")  # the default store's and keys' folder (db.DEFAULT_URL, keys.DEFAULT_FILE)


def private_folder(folder: Path) -> None:
    """``folder`` made (with its parents) if missing, the last one 0700."""
    if not folder.exists():
        folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
        _tighten(folder, PRIVATE_FOLDER)  # mkdir's mode is reduced by the umask, never widened: be sure


def private_sqlite_file(url: str) -> None:
    """For an SQLite URL naming a file: its folder made 0700 if missing, the file made 0600 if
    missing, and the file and its companions closed to group and others if they are ours."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # not a URL SQLAlchemy reads: create_engine says so
        return
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name)
    private_folder(path.parent)
    if path.parent.resolve() == DEFAULT_FOLDER.resolve():
        _tighten(path.parent, PRIVATE_FOLDER)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE))  # empty: a new SQLite store
    except FileExistsError:
        pass
    except OSError:  # a read-only folder: SQLite says what it can and cannot do
        return
    for suffix in _COMPANIONS:
        _tighten(Path(f"{path}{suffix}"), PRIVATE_FILE)


def _tighten(path: Path, mode: int) -> None:
    """No permission for group or others on ``path`` if it exists and is ours."""
    try:
        st = path.stat()
    except OSError:
        return
    if st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) & 0o077:
        try:
            os.chmod(path, stat.S_IMODE(st.st_mode) & mode)
        except OSError:
            pass
