"""A private Dovecot for the integration tests: config, start, stop, restart, helpers.

Each `DovecotServer` lives in its own temp dir (config, base_dir, state_dir, logs,
Maildirs) and listens on free 127.0.0.1 ports, so it never touches the system's
Dovecot and several can run side by side. Plaintext login is allowed on the plain
port (the tests talk over loopback); with ``with_ssl=True`` it also gets an
implicit-TLS port and STARTTLS, with a self-signed certificate made by `openssl`.

The three LAHSA addresses are the users, all with the password "secret"; the
same password is also accepted as an XOAUTH2 bearer token by the passdb, which is
how the tests exercise the adapter's XOAUTH2 path without a real OAuth server.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from imapclient import IMAPClient

DOVECOT = os.environ.get("HMISBOT_TEST_DOVECOT", "/usr/sbin/dovecot")  # another build, if needed
USERS = ("LAHSA.Training@lahsa.org", "HMISsupport@lahsa.org", "JoinHMIS@lahsa.org")
PASSWORD = "secret"


def server_env() -> dict[str, str]:
    """The environment for a server the tests start: without a moved clock.

    ``scripts/test.sh --moved-clock`` runs the tests under libfaketime to find code that reads
    the machine's clock. Dovecot stands for another machine (LAHSA's mail server), whose
    clock is its own; its event loop also does not survive libfaketime's timer shims.
    """
    return {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD",) and not k.startswith("FAKETIME")}


class DovecotUnavailable(RuntimeError):
    """Dovecot is not installed (or cannot start) on this machine."""


def free_port() -> int:
    """A port nobody listens on right now (tiny race before the server binds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_self_signed_cert(directory: Path, name: str = "localhost") -> tuple[Path, Path]:
    """A self-signed cert valid for 127.0.0.1 and localhost; returns (cert, key)."""
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _user_or(name: str, fallback: str) -> str:
    try:
        pwd.getpwnam(name)
        return name
    except KeyError:
        return fallback


class DovecotServer:
    """One private Dovecot process; use as a context manager or call start()/stop()."""

    host = "127.0.0.1"

    def __init__(self, with_ssl: bool = True) -> None:
        if not os.path.exists(DOVECOT):
            raise DovecotUnavailable(f"{DOVECOT} not found (apt-get install dovecot-imapd)")
        # mkdtemp rather than pytest's tmp_path: pytest's is 0700 under /tmp/pytest-of-root,
        # and Dovecot's unprivileged processes must be able to walk into this dir.
        self.root = Path(tempfile.mkdtemp(prefix="hmisbot-dovecot-"))
        self.root.chmod(0o755)
        self.port = free_port()
        self.ssl_port: int | None = free_port() if with_ssl else None
        self.cafile: Path | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        # Dovecot refuses to run mail processes as root: use an existing unprivileged user.
        self.mail_user = "nobody"
        self.mail_uid = pwd.getpwnam(self.mail_user).pw_uid
        self.mail_gid = grp.getgrnam("nogroup").gr_gid if _has_group("nogroup") else self.mail_uid
        self._write_config(with_ssl)

    # -- configuration --------------------------------------------------------

    def home(self, user: str) -> Path:
        return self.root / "mail" / user.lower()

    def _write_config(self, with_ssl: bool) -> None:
        for sub in ("run", "state"):
            (self.root / sub).mkdir()
        lines = []
        for user in USERS:
            home = self.home(user)
            home.mkdir(parents=True)
            os.chown(home, self.mail_uid, self.mail_gid)
            # auth_username_format is %Lu (lower-cased), so store lower-cased names.
            lines.append(f"{user.lower()}:{{PLAIN}}{PASSWORD}:{self.mail_uid}:{self.mail_gid}::{home}::")
        (self.root / "users").write_text("\n".join(lines) + "\n")
        ssl_block = "ssl = no"
        imaps = ""
        if with_ssl:
            cert, key = make_self_signed_cert(self.root)
            self.cafile = cert
            ssl_block = f"ssl = yes\nssl_cert = <{cert}\nssl_key = <{key}"
            imaps = (
                f"  inet_listener imaps {{\n    address = {self.host}\n"
                f"    port = {self.ssl_port}\n    ssl = yes\n  }}\n"
            )
        internal = _user_or("dovecot", "nobody")
        login = _user_or("dovenull", "nobody")
        conf = f"""\
# Generated by tests/integration/dovecot.py for one test session.
instance_name = hmisbot-test-{self.port}
base_dir = {self.root}/run
state_dir = {self.root}/state
protocols = imap
listen = {self.host}
log_path = {self.root}/dovecot.log
info_log_path = {self.root}/dovecot.log
default_internal_user = {internal}
default_internal_group = {internal if _has_group(internal) else "nogroup"}
default_login_user = {login}
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2
# Tests check rejected logins: answer at once instead of the default 2 s delay.
auth_failure_delay = 0
{ssl_block}
mail_location = maildir:~/Maildir
mail_uid = {self.mail_uid}
mail_gid = {self.mail_gid}
first_valid_uid = 1
first_valid_gid = 1
# Wake IDLE clients quickly even where inotify is unavailable.
mailbox_idle_check_interval = 1 secs
# Tests stop the server while clients are connected: do not wait for them.
shutdown_clients = yes
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {self.root}/users
}}
userdb {{
  driver = passwd-file
  args = {self.root}/users
}}
service imap-login {{
  inet_listener imap {{
    address = {self.host}
    port = {self.port}
  }}
{imaps}}}
# Tests fail logins on purpose: no growing per-IP penalty for the logins after them.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0600
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""
        self.config = self.root / "dovecot.conf"
        self.config.write_text(conf)

    # -- process --------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> None:
        if self.proc is not None and self.proc.poll() is None:
            return
        log = open(self.root / "stderr.log", "ab")  # noqa: SIM115 - kept open for the child
        self.proc = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.config)],
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, so stop() reaches every child
            env=server_env(),
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise DovecotUnavailable(f"dovecot exited with {self.proc.returncode}:\n{self.logs()}")
            if self._answers():
                return
            time.sleep(0.02)
        self.stop()
        raise DovecotUnavailable(f"dovecot did not answer on port {self.port}:\n{self.logs()}")

    def _answers(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as s:
                return s.recv(100).startswith(b"* OK")
        except OSError:
            return False

    def stop(self) -> None:
        """Stop the master and every child: a stopped server must not keep serving clients.

        Dovecot's master exits on SIGTERM but leaves running imap processes (which keep
        serving their connection), so the whole process group gets the signal.
        """
        if self.proc is None:
            return
        pgid = self.proc.pid  # start_new_session: the master leads its own group
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)  # any child that outlived its master
        self.proc = None

    def restart(self) -> None:
        """Stop and start again on the same ports with the same mail (a server restart)."""
        self.stop()
        self.start()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def logs(self) -> str:
        out = []
        for name in ("dovecot.log", "stderr.log"):
            path = self.root / name
            if path.exists():
                out.append(path.read_text(errors="replace")[-4000:])
        return "\n".join(out)

    def __enter__(self) -> DovecotServer:
        self.start()
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.cleanup()

    # -- helpers for tests ----------------------------------------------------

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's self-signed certificate."""
        assert self.cafile is not None, "server started without SSL"
        return ssl.create_default_context(cafile=str(self.cafile))

    def client(self, user: str) -> IMAPClient:
        """A logged-in IMAPClient on the plain port (the test's 'other connection')."""
        c = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        c.login(user, PASSWORD)
        return c

    def append(self, user: str, message: bytes, folder: str = "INBOX", flags: tuple[bytes, ...] = ()) -> int | None:
        """APPEND one message; returns its UID (from APPENDUID) when the server says it."""
        with contextlib.closing(_Logout(self.client(user))) as c:
            if not c.client.folder_exists(folder):
                c.client.create_folder(folder)
            resp = c.client.append(folder, message, flags=flags)
        # resp is like b'[APPENDUID 1700000000 5] Append completed.'
        text = resp.decode() if isinstance(resp, bytes) else str(resp)
        if text.startswith("[APPENDUID"):
            return int(text.split()[2].rstrip("]"))
        return None

    def reset_account(self, user: str) -> None:
        """Empty a user's account (all folders but INBOX deleted, INBOX emptied)."""
        with contextlib.closing(_Logout(self.client(user))) as c:
            for _flags, _delim, name in c.client.list_folders():
                if name.upper() != "INBOX":
                    c.client.delete_folder(name)
            c.client.select_folder("INBOX")
            uids = c.client.search(["ALL"])
            if uids:
                c.client.delete_messages(uids)
                c.client.expunge()


class _Logout:
    """contextlib.closing adapter: log out, ignoring a dead connection."""

    def __init__(self, client: IMAPClient) -> None:
        self.client = client

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.logout()


def _has_group(name: str) -> bool:
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False
