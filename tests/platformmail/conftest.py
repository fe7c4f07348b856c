"""Fixtures for platform mail: raw messages (Chinese and English, multipart with a PDF, a
malformed one), and a real IMAP server — Debian's dovecot — on 127.0.0.1 with its own config in
a temporary folder."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

DOVECOT = shutil.which("dovecot") or (
    "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
)


@dataclass
class ImapServer:
    host: str
    port: int
    user: str
    password: str
    maildir: Path
    log: Path
    uid: int
    gid: int
    _counter: int = 0

    def deliver(self, raw: bytes) -> None:
        """Put one message into the Maildir (as a delivery agent would)."""
        self._counter += 1
        name = f"{int(time.time())}.M{self._counter}P{os.getpid()}.linkstar"
        tmp = self.maildir / "tmp" / name
        tmp.write_bytes(raw)
        os.chown(tmp, self.uid, self.gid) if os.getuid() == 0 else None
        tmp.rename(self.maildir / "new" / name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def imap_server():
    """dovecot on 127.0.0.1, a random port, plain login, one user with a Maildir."""
    if DOVECOT is None:
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd): IMAP tests skipped")
    root = Path(tempfile.mkdtemp(prefix="linkstar-dovecot-"))
    root.chmod(0o755)
    port = _free_port()
    if os.getuid() == 0:
        import grp
        import pwd

        mail_user = pwd.getpwnam("dovecot")
        uid, gid = mail_user.pw_uid, mail_user.pw_gid
        login_user, internal_user = "dovenull", "dovecot"
        internal_group = grp.getgrgid(gid).gr_name
    else:
        import grp
        import pwd

        uid, gid = os.getuid(), os.getgid()
        login_user = internal_user = pwd.getpwuid(uid).pw_name
        internal_group = grp.getgrgid(gid).gr_name
    user, password = "register", "imap-secret"
    maildir = root / "mail" / user / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (root / "run").mkdir()
    (root / "state").mkdir()
    (root / "passwd").write_text(f"{user}:{{PLAIN}}{password}\n")
    log = root / "dovecot.log"
    conf = root / "dovecot.conf"
    conf.write_text(
        f"""protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = linkstar-{port}
log_path = {log}
info_log_path = {log}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:{root}/mail/%u/Maildir
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = 1
first_valid_gid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""
    )
    if os.getuid() == 0:
        subprocess.run(["chown", "-R", f"{uid}:{gid}", str(root / "mail")], check=True)
    process = subprocess.Popen(
        [DOVECOT, "-c", str(conf), "-F"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                if s.recv(100).startswith(b"* OK"):
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            err = process.stderr.read().decode(errors="replace") if process.stderr else ""
            pytest.fail(f"dovecot did not start: {err} {log.read_text() if log.exists() else ''}")
        time.sleep(0.05)
    server = ImapServer(
        host="127.0.0.1",
        port=port,
        user=user,
        password=password,
        maildir=maildir,
        log=log,
        uid=uid,
        gid=gid,
    )
    try:
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        shutil.rmtree(root, ignore_errors=True)
