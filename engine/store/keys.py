"""Keys kept outside the database: the session secret, the server's key that signs the app's
session cookies (``ui/auth.py``).

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
    tmp: str | None = None
    try:
        private_folder(path.parent)  # 0700 when made here (the store's files sit beside it)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)  # mode 0600
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_urlsafe(48))  # 64 characters
            fh.flush()
            os.fsync(fh.fileno())  # on the disk before its name is
        os.replace(tmp, path)
        tmp = None
        _sync_folder(path.parent)
    except OSError as exc:
        raise SecretKeyError(
            f"เขียนไฟล์{label[0]} {path} ไม่ได้ ({exc}): ตรวจพื้นที่ว่างของดิสก์และสิทธิ์ของโฟลเดอร์ แล้วเริ่มแอปใหม่ "
            f"หรือกำหนด {env} / Could not write {label[1]} {path} ({exc}): check the "
            f"disk's free space and the folder's permissions and start the app again, or set {env}."
        ) from exc
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
