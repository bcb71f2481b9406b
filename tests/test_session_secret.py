"""The session secret (issue 24, item 1): never empty, never short, and no cookie from the future.

A secret file left empty by a full disk at the app's first start made the empty string the
key, and a cookie anyone can sign with "" opened the admin's pages."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer

from engine.cli import main

APP = str(Path(__file__).resolve().parents[1] / "ui" / "app.py")
sys.path.insert(0, str(Path(APP).parent))  # the app's own modules (auth)
SALT = "discretion-review.session"
KEY = "k" * 32  # the shortest key accepted


@pytest.fixture
def key_file(tmp_path, monkeypatch) -> Path:
    """The secret kept in a file of its own (no DISCRETION_SECRET_KEY)."""
    path = tmp_path / "var" / "session-secret"
    monkeypatch.setenv("DISCRETION_SECRET_FILE", str(path))
    monkeypatch.delenv("DISCRETION_SECRET_KEY", raising=False)
    return path


def _first_start_on_a_full_disk(path: Path) -> subprocess.CompletedProcess:
    """The app's first start (a login signs its first cookie) in a process that can write no byte
    to any file: the file-size limit at 0, as on a full disk, each write fails (EFBIG)."""
    script = ("import resource, signal, sys; sys.path.insert(0, sys.argv[1]); import auth; "
              "signal.signal(signal.SIGXFSZ, signal.SIG_IGN); resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0)); "
              "auth.issue('admin')")
    env = {**os.environ, "DISCRETION_SECRET_FILE": str(path)}
    env.pop("DISCRETION_SECRET_KEY", None)
    return subprocess.run([sys.executable, "-c", script, str(Path(APP).parent)], env=env, capture_output=True,
                          text=True, timeout=120)


def test_a_full_disk_at_the_first_start_leaves_no_empty_secret(key_file):
    failed = _first_start_on_a_full_disk(key_file)
    assert failed.returncode != 0 and "Could not write the session key file" in failed.stderr
    assert "เขียนไฟล์กุญแจลับ" in failed.stderr
    assert not key_file.exists() and list(key_file.parent.iterdir()) == []  # nor a temporary file left
    import auth

    token, issued = auth.issue("admin")  # the next start, with room on the disk: a whole key
    assert auth.verify(token) == ("admin", issued)
    assert len(key_file.read_bytes()) >= 32 and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    forged = URLSafeTimedSerializer("", salt=SALT).dumps({"u": "admin", "t": time.time()})
    assert auth.verify(forged) is None


def test_a_failure_before_the_key_is_on_the_disk_leaves_no_file(key_file, monkeypatch):
    """The key is flushed to the disk (fsync) before it gets its name: a failure there (a full
    disk often shows only then) leaves nothing behind, and says so."""
    import auth

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(Exception, match="No space left on device") as refused:
        auth._secret()
    assert type(refused.value).__name__ == "SecretKeyError"
    assert not key_file.exists() and list(key_file.parent.iterdir()) == []
    monkeypatch.undo()
    monkeypatch.setenv("DISCRETION_SECRET_FILE", str(key_file))
    monkeypatch.delenv("DISCRETION_SECRET_KEY", raising=False)
    assert auth._secret() == auth._secret() == key_file.read_text() and len(key_file.read_text()) == 64


def test_an_empty_or_short_secret_file_is_refused_and_signs_nothing(key_file):
    """The file an earlier version left empty: no cookie is accepted, and the message says what to do."""
    import auth

    key_file.parent.mkdir(parents=True)
    key_file.write_text("")
    forged = URLSafeTimedSerializer("", salt=SALT).dumps({"u": "admin", "t": time.time()})
    with pytest.raises(Exception) as refused:  # not a login: no page at all
        auth.verify(forged)
    assert type(refused.value).__name__ == "SecretKeyError"
    message = str(refused.value)
    assert f"The session key file {key_file} holds 0 bytes (at least 32 are needed)" in message
    assert "delete it and start the app again" in message and f"ไฟล์กุญแจลับ {key_file} มีเพียง 0 ไบต์" in message
    with pytest.raises(type(refused.value)):
        auth.issue("admin")
    key_file.write_text("x" * 31 + "\n")
    assert "holds 31 bytes" in auth.refusal()


@pytest.mark.parametrize("key,accepted", [("x" * 31, False), ("", True), (KEY, True), ("ก" * 11, True)])
def test_a_key_under_32_bytes_refuses_to_start(key_file, monkeypatch, key, accepted):
    """Bytes, not characters (a Thai letter is three); an empty variable is no key: the file's is used."""
    import auth

    monkeypatch.setenv("DISCRETION_SECRET_KEY", key)
    if accepted:
        token, issued = auth.issue("admin")
        assert auth.verify(token) == ("admin", issued) and auth.refusal() is None
        return
    with pytest.raises(Exception) as refused:
        auth.issue("admin")
    assert type(refused.value).__name__ == "SecretKeyError" and str(refused.value) == auth.refusal() == (
        "กุญแจลับของระบบ (DISCRETION_SECRET_KEY) ยาว 31 ไบต์ ต้องยาวอย่างน้อย 32 ไบต์: ตั้งเป็นข้อความสุ่ม เช่น จากคำสั่ง "
        "python -c \"import secrets; print(secrets.token_urlsafe(48))\" หรือยกเลิกตัวแปรนี้ ให้ระบบสร้างกุญแจเก็บไว้ในไฟล์ "
        "แล้วเริ่มแอปใหม่ / The session secret key (DISCRETION_SECRET_KEY) is 31 bytes; at least 32 are needed: set "
        "it to a random value, e.g. from python -c \"import secrets; print(secrets.token_urlsafe(48))\", or unset it "
        "to have a key made in a file, and start the app again.")


def test_discretion_review_app_with_a_short_key_exits_non_zero_and_starts_nothing(tmp_path, monkeypatch, capsys):
    started: list[list[str]] = []
    monkeypatch.setattr(os, "execve", lambda exe, cmd, env: started.append(cmd))  # `app` execs Streamlit
    monkeypatch.setenv("DISCRETION_SECRET_KEY", "short-key")
    assert main(["db", "upgrade", "--create", "--db", f"sqlite:///{tmp_path}/store.db"]) == 0
    code = main(["app", "--db", f"sqlite:///{tmp_path}/store.db"])
    err = capsys.readouterr().err
    assert code == 2 and started == []
    assert "(DISCRETION_SECRET_KEY) is 9 bytes; at least 32 are needed" in err and "ยาว 9 ไบต์" in err
    monkeypatch.setenv("DISCRETION_SECRET_KEY", KEY)
    assert main(["app", "--db", f"sqlite:///{tmp_path}/store.db"]) == 0 and len(started) == 1


def test_the_app_with_a_short_key_shows_why_and_offers_no_login(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DISCRETION_DB_URL", f"sqlite:///{tmp_path}/never-opened.db")
    monkeypatch.setenv("DISCRETION_SECRET_KEY", "short-key")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception and "at least 32 are needed" in at.error[0].value
    assert not at.text_input and not (tmp_path / "never-opened.db").exists()


def test_a_cookie_issued_in_the_future_is_refused(key_file):
    """A time of issue ahead of now would outlive a logout (a session stands while it was issued
    after the user's sessions_valid_after); one older than a working day has ended."""
    import auth

    now = time.time()
    signer = URLSafeTimedSerializer(auth._secret(), salt=SALT)
    assert auth.verify(signer.dumps({"u": "admin", "t": now + 3600})) is None
    assert auth.verify(signer.dumps({"u": "admin", "t": now + 10 * 365 * 86400})) is None
    assert auth.verify(signer.dumps({"u": "admin", "t": now - auth.WORKING_DAY - 60})) is None
    assert auth.verify(signer.dumps({"u": "admin", "t": now - 60})) == ("admin", now - 60)
