"""Keys kept outside the database: the session secret, the server's key that signs the app's
session cookies (``ui/auth.py``), and the audit keys that key the audit trails' hash chains
(``engine/store/audit.py``; ``audit_keys`` below, docs/audit.md).

``DISCRETION_SECRET_KEY``, else a random key kept in ``DISCRETION_SECRET_FILE`` (default
``var/session-secret``), made on first use and readable by its owner only. The file is written
whole or not at all — a temporary file, flushed to the disk, then renamed — so a full disk or a
crash at the first start leaves no file rather than an empty key (a cookie signed with an empty
key can be made by anyone). A key shorter than ``MIN_SECRET_BYTES`` is refused: the app does
not start, and says in Thai and English what to do.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from engine.domain.errors import DiscretionReviewError
from engine.store.files import private_folder

MIN_SECRET_BYTES = 32  # HMAC-SHA1's block is 64 bytes; fewer than 32 random bytes can be guessed at
DEFAULT_FILE = "var/session-secret"
_MAKE_ONE = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'


class SecretKeyError(DiscretionReviewError):
    """The session secret is missing, too short, or could not be made: the app must not start."""


def session_secret() -> str:
    """The key that signs session cookies; ``SecretKeyError`` when it is shorter than
    ``MIN_SECRET_BYTES`` bytes or cannot be made."""
    given = os.environ.get("DISCRETION_SECRET_KEY")
    if given:
        if len(given.encode()) < MIN_SECRET_BYTES:
            raise SecretKeyError(
                f"กุญแจลับของระบบ (DISCRETION_SECRET_KEY) ยาว {len(given.encode())} ไบต์ ต้องยาวอย่างน้อย "
                f"{MIN_SECRET_BYTES} ไบต์: ตั้งเป็นข้อความสุ่ม เช่น จากคำสั่ง {_MAKE_ONE} หรือยกเลิกตัวแปรนี้ "
                f"ให้ระบบสร้างกุญแจเก็บไว้ในไฟล์ แล้วเริ่มแอปใหม่ / The session secret key (DISCRETION_SECRET_KEY) is "
                f"{len(given.encode())} bytes; at least {MIN_SECRET_BYTES} are needed: set it to a random value, "
                f"e.g. from {_MAKE_ONE}, or unset it to have a key made in a file, and start the app again.")
        return given
    path = Path(os.environ.get("DISCRETION_SECRET_FILE") or DEFAULT_FILE)
    if not path.exists():
        _write_new_key(path)
    key = path.read_text(encoding="utf-8").strip()
    if len(key.encode()) < MIN_SECRET_BYTES:
        raise SecretKeyError(
            f"ไฟล์กุญแจลับ {path} มีเพียง {len(key.encode())} ไบต์ (ต้องอย่างน้อย {MIN_SECRET_BYTES}) อาจเขียนไม่เสร็จ "
            "เพราะดิสก์เต็มหรือเครื่องดับ: ลบไฟล์นี้แล้วเริ่มแอปใหม่ ระบบจะสร้างกุญแจใหม่ (ผู้ใช้ทุกคนต้องเข้าสู่ระบบอีกครั้ง) "
            f"หรือกำหนด DISCRETION_SECRET_KEY / The session key file {path} holds {len(key.encode())} bytes (at "
            f"least {MIN_SECRET_BYTES} are needed), perhaps left unfinished by a full disk or a crash: delete it and "
            "start the app again to have a new key made (everyone logs in again), or set DISCRETION_SECRET_KEY.")
    return key


def _write_new_key(path: Path, label: tuple[str, str] = ("กุญแจลับ", "the session key file"),
                   env: str = "DISCRETION_SECRET_KEY") -> None:
    """A new random key at ``path`` (mode 0600), all of it or nothing (``label``, ``env``: what
    the key is, in Thai and English, and the variable that gives it instead, for the error)."""
    try:
        _write_whole(path, secrets.token_urlsafe(48))  # 64 characters
    except OSError as exc:
        raise SecretKeyError(
            f"เขียนไฟล์{label[0]} {path} ไม่ได้ ({exc}): ตรวจพื้นที่ว่างของดิสก์และสิทธิ์ของโฟลเดอร์ แล้วเริ่มแอปใหม่ "
            f"หรือกำหนด {env} / Could not write {label[1]} {path} ({exc}): check the "
            f"disk's free space and the folder's permissions and start the app again, or set {env}."
        ) from exc


def _write_whole(path: Path, text: str) -> None:
    """``text`` at ``path`` (mode 0600), all of it or nothing: a temporary file in the same
    folder, flushed to the disk, then renamed over ``path``. Raises ``OSError``."""
    tmp: str | None = None
    try:
        private_folder(path.parent)  # 0700 when made here (the store's files sit beside it)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)  # mode 0600
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())  # on the disk before its name is
        os.replace(tmp, path)
        tmp = None
        _sync_folder(path.parent)
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    """The rename itself on the disk (a folder's entry is flushed with the folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # not on every system
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- the key that hashes the names of failed logins (engine/store/access.py) ---

LOGIN_NAME_KEY_FILE = "var/login-name-key"


def login_name_key() -> bytes:
    """The key of the keyed hash under which a failed login's name is kept (a password typed in
    the name box must not be stored, nor anyone's mistyped name): ``DISCRETION_LOGIN_NAME_KEY``,
    else a random key kept in ``DISCRETION_LOGIN_NAME_KEY_FILE`` (default ``var/login-name-key``),
    made on first use like the session secret. Every app server and the command line that
    upgrades the store must share it: failures counted under another key are not counted."""
    given = os.environ.get("DISCRETION_LOGIN_NAME_KEY")
    if given:
        if len(given.encode()) < MIN_SECRET_BYTES:
            raise SecretKeyError(
                f"กุญแจสำหรับแฮชชื่อผู้ใช้ (DISCRETION_LOGIN_NAME_KEY) ต้องยาวอย่างน้อย {MIN_SECRET_BYTES} ไบต์ / "
                f"DISCRETION_LOGIN_NAME_KEY must have at least {MIN_SECRET_BYTES} bytes: set it to a random value, "
                f"e.g. from {_MAKE_ONE}, or unset it to have a key made in a file.")
        return given.encode()
    path = Path(os.environ.get("DISCRETION_LOGIN_NAME_KEY_FILE") or LOGIN_NAME_KEY_FILE)
    if not path.exists():
        _write_new_key(path, ("กุญแจสำหรับแฮชชื่อผู้ใช้", "the login-name key file"), "DISCRETION_LOGIN_NAME_KEY")
    key = path.read_text(encoding="utf-8").strip()
    if len(key.encode()) < MIN_SECRET_BYTES:
        raise SecretKeyError(
            f"ไฟล์กุญแจ {path} มีเพียง {len(key.encode())} ไบต์ (ต้องอย่างน้อย {MIN_SECRET_BYTES}): ลบไฟล์นี้แล้วเริ่มใหม่ "
            f"ระบบจะสร้างกุญแจใหม่ / The login-name key file {path} holds {len(key.encode())} bytes (at least "
            f"{MIN_SECRET_BYTES} are needed): delete it and start again to have a new key made.")
    return key.encode()


# ---------------------------------------------------------------------------------------------
# The audit keys: every event appended to an audit trail is hashed with HMAC-SHA256 under the
# newest of them (engine/store/audit.py), and its id is stored on the event, so that events
# hashed under an older key still verify after a rotation. They are kept in a file outside the
# database — whoever can only write to the database cannot make an event that verifies.

AUDIT_KEY_FILE = "var/audit-keys"
_AUDIT_HEADER = ("# discretion-review audit keys: one \"<id> <key>\" a line; the highest id keys new events.\n"
                 "# Never delete or change a line: events keyed with it would no longer verify. Back this file up\n"
                 "# apart from the database (docs/audit.md). Rotate with: discretion-review audit rotate-key\n")


class AuditKeyError(DiscretionReviewError):
    """The audit key file is unreadable, malformed or holds a key too short to key the trails."""


class AuditKeys:
    """The audit keys by id (1, 2, …), read from ``path``; the highest id is ``current``."""

    def __init__(self, path: Path, keys: dict[int, bytes]):
        self.path = path
        self.keys = keys

    @property
    def current(self) -> tuple[int, bytes]:
        """(id, key) that keys new events."""
        if not self.keys:
            raise AuditKeyError(
                f"ไม่มีไฟล์กุญแจของบันทึกการตรวจสอบ {self.path}: นำไฟล์เดิมกลับมาจากสำรอง หรือกำหนด "
                f"DISCRETION_AUDIT_KEY_FILE ให้ชี้ไปที่ไฟล์นั้น / the audit key file {self.path} is missing: restore "
                "it from its backup, or point DISCRETION_AUDIT_KEY_FILE at it (docs/audit.md).")
        key_id = max(self.keys)
        return key_id, self.keys[key_id]

    def get(self, key_id: int) -> bytes | None:
        return self.keys.get(key_id)


def audit_key_path() -> Path:
    return Path(os.environ.get("DISCRETION_AUDIT_KEY_FILE") or AUDIT_KEY_FILE)


def audit_keys(create: bool = True) -> AuditKeys:
    """The audit keys in ``DISCRETION_AUDIT_KEY_FILE`` (default ``var/audit-keys``). A missing
    file is made with a first random key (id 1, mode 0600, written whole or not at all) when
    ``create``; otherwise no keys are returned (``audit verify`` then names the file)."""
    path = audit_key_path()
    if not path.exists():
        if not create:
            return AuditKeys(path, {})
        try:
            _write_whole(path, _AUDIT_HEADER + f"1 {secrets.token_urlsafe(48)}\n")
        except OSError as exc:
            raise AuditKeyError(
                f"เขียนไฟล์กุญแจของบันทึกการตรวจสอบ {path} ไม่ได้ ({exc}): ตรวจพื้นที่ว่างของดิสก์และสิทธิ์ของโฟลเดอร์ / "
                f"could not write the audit key file {path} ({exc}): check the disk's free space and the "
                "folder's permissions.") from exc
    try:
        seen = path.stat()
    except OSError:
        return AuditKeys(path, _parse_audit_keys(path))  # says why it cannot be read
    stamp = (str(path), os.getcwd(), seen.st_ino, seen.st_mtime_ns, seen.st_size)
    if _READ.get("stamp") != stamp:  # read again whenever the file changes (a rotation renames a new one in)
        _READ.update(stamp=stamp, keys=_parse_audit_keys(path))
    return AuditKeys(path, dict(_READ["keys"]))


_READ: dict = {}  # the key file as last read, with its (path, inode, mtime, size): each event's writer asks


def _parse_audit_keys(path: Path) -> dict[int, bytes]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditKeyError(f"อ่านไฟล์กุญแจของบันทึกการตรวจสอบ {path} ไม่ได้ ({exc}) / could not read the audit key "
                            f"file {path} ({exc})") from exc
    keys: dict[int, bytes] = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2 or not parts[0].isdigit() or int(parts[0]) < 1 or int(parts[0]) in keys:
            raise AuditKeyError(
                f"ไฟล์กุญแจ {path} บรรทัด {n}: ต้องเป็น \"<เลขกุญแจ> <กุญแจ>\" เลขกุญแจเป็นจำนวนเต็มตั้งแต่ 1 ไม่ซ้ำกัน / "
                f"audit key file {path}, line {n}: expected \"<id> <key>\" with a whole id of 1 or more, "
                f"each id once (the line is not shown: it may hold a key)")
        key = parts[1].encode()
        if len(key) < MIN_SECRET_BYTES:
            raise AuditKeyError(
                f"ไฟล์กุญแจ {path} บรรทัด {n}: กุญแจเลข {parts[0]} ยาว {len(key)} ไบต์ ต้องอย่างน้อย {MIN_SECRET_BYTES} "
                f"ไบต์ / audit key file {path}, line {n}: key {parts[0]} is {len(key)} bytes; at least "
                f"{MIN_SECRET_BYTES} are needed")
        keys[int(parts[0])] = key
    if not keys:
        raise AuditKeyError(f"ไฟล์กุญแจ {path} ไม่มีกุญแจ / the audit key file {path} holds no key")
    return keys


def rotate_audit_key() -> int:
    """Add a new random key to the audit key file (written whole or not at all, mode 0600),
    keeping every older one; returns its id, which keys every event appended from now on."""
    import fcntl

    path = audit_key_path()
    if not path.exists():
        raise AuditKeyError(
            f"ไม่มีไฟล์กุญแจ {path} ให้เปลี่ยนกุญแจ: นำไฟล์เดิมกลับมาจากสำรอง หรือกำหนด DISCRETION_AUDIT_KEY_FILE / "
            f"there is no audit key file {path} to rotate: restore it from its backup, or set "
            "DISCRETION_AUDIT_KEY_FILE")
    lock = path.parent / f".{path.name}.lock"
    with open(lock, "a") as held:  # one rotation at a time: each reads what the last one wrote
        fcntl.flock(held, fcntl.LOCK_EX)
        keys = _parse_audit_keys(path)
        new_id = max(keys) + 1
        text = path.read_text(encoding="utf-8")
        try:
            _write_whole(path, text + ("" if text.endswith("\n") else "\n") + f"{new_id} {secrets.token_urlsafe(48)}\n")
        except OSError as exc:
            raise AuditKeyError(f"เขียนไฟล์กุญแจ {path} ไม่ได้ ({exc}) กุญแจเดิมยังใช้อยู่ / could not write the audit "
                                f"key file {path} ({exc}); the old key stays in use") from exc
    return new_id
