"""The IMAP mailbox adapter (imapclient): list, fetch with BODY.PEEK, move, IDLE.

It owns one IMAP connection per watched folder and nothing else: it never parses,
decides, flags as seen or deletes mail. Finished mail is MOVEd to the processed or
review folder (COPY + \\Deleted + UID EXPUNGE of that one UID where the server has
no MOVE), and those folders are created on first use.

Failures surface as `MailboxError`; a refused login is `LoginFailed`, whose message
names the account and where its secret comes from (``password from HMISBOT_JOIN_PASSWORD``),
since that is what the person reading it has to fix. A call that finds its connection broken
(server restart, idle timeout, a cut in the middle of a FETCH) reconnects and
retries once, since every operation here is safe to repeat; if the fresh connection
fails too, the error goes to the caller, whose next call reconnects (pace those
calls with `bot.mailboxes.backoff.Backoff`). Not thread-safe: one instance per poller.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from email.parser import BytesHeaderParser
from typing import Any, Literal, TypeVar

from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from .base import Listing, LoginFailed, MailboxError, Outcome, RawMessage
from .oauth import OAuthError

log = logging.getLogger(__name__)

Security = Literal["none", "starttls", "ssl"]
T = TypeVar("T")

# RFC 2177: clients must re-issue IDLE at least every 29 minutes; stay well inside.
MAX_IDLE_SECONDS = 25 * 60
_DELETED = b"\\Deleted"
# Errors that mean "this connection or this command failed": socket/TLS errors
# (OSError) and IMAP NO/BAD/abort (imaplib.IMAP4.error, base of IMAPClientError).
_IMAP_ERRORS = (OSError, imaplib.IMAP4.error, OAuthError)


class ImapMailbox:
    """One watched IMAP folder plus its processed and review folders."""

    def __init__(
        self,
        name: str,
        address: str,
        host: str,
        port: int,
        security: Security,
        username: str,
        password: str | None = None,
        token_provider: Callable[[], str] | None = None,
        folder: str = "INBOX",
        processed_folder: str = "Processed",
        review_folder: str = "Needs Review",
        batch: int = 25,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 30.0,
        credential: str | None = None,
    ) -> None:
        if security not in ("none", "starttls", "ssl"):
            raise ValueError(f"security must be none, starttls or ssl, not {security!r}")
        if (password is None) == (token_provider is None):
            raise ValueError("give exactly one of password and token_provider")
        if batch < 1:
            raise ValueError("batch must be at least 1")
        self.name, self.address = name, address
        self.host, self.port, self.security = host, port, security
        self.username = username
        self._password = password
        self._token_provider = token_provider
        # Where the secret comes from, for a login failure's message (never the secret).
        self.credential = credential or ("password" if password is not None else "XOAUTH2 token")
        self.folder, self.processed_folder, self.review_folder = folder, processed_folder, review_folder
        # 25 a FETCH: ~10 MB of ~420 KB messages held at once; bench/fetch.py measured the
        # same throughput as 50 (200-330 msgs/s on loopback, either way) at half the memory.
        self.batch = batch
        self.timeout = timeout
        self._ssl_context = ssl_context
        self._client: IMAPClient | None = None
        self._selected = False
        self._uidvalidity: str | None = None
        self._known_folders: set[str] = set()

    def __repr__(self) -> str:  # no credentials in logs or tracebacks
        return f"ImapMailbox({self.name!r}, {self.username}@{self.host}:{self.port}/{self.folder})"

    # -- connection ---------------------------------------------------------

    def _connect(self) -> IMAPClient:
        context = None
        if self.security != "none":
            context = self._ssl_context or ssl.create_default_context()
        client = IMAPClient(
            self.host, port=self.port, ssl=self.security == "ssl", ssl_context=context, timeout=self.timeout
        )
        try:
            client.normalise_times = False  # keep INTERNALDATE timezone-aware
            if self.security == "starttls":
                client.starttls(context)
            self._login(client)
        except BaseException:
            with contextlib.suppress(Exception):
                client.shutdown()
            raise
        log.info("%s: connected to %s:%s (%s) as %s", self.name, self.host, self.port, self.security, self.username)
        return client

    def _login(self, client: IMAPClient) -> None:
        """Log in; a refused login or token is `LoginFailed`, which no retry on a new connection can fix."""
        try:
            if self._token_provider is not None:
                client.oauth2_login(self.username, self._token_provider())
            else:
                client.login(self.username, self._password)
        except (LoginError, OAuthError) as e:
            raise LoginFailed(f"{self.name}: login failed for {self.username} ({self.credential}):"
                              f" {_server_said(e)}") from e

    def _drop(self) -> None:
        """Forget the connection (closing the socket without LOGOUT: it may be dead)."""
        client, self._client = self._client, None
        self._selected = False
        self._known_folders.clear()  # folders may have changed while we were away
        if client is not None:
            with contextlib.suppress(Exception):
                client.shutdown()

    def _ensure(self) -> IMAPClient:
        if self._client is None:
            self._client = self._connect()
        if not self._selected:
            self._select(self._client)
        return self._client

    def _select(self, client: IMAPClient) -> None:
        info = client.select_folder(self.folder)
        value = str(info[b"UIDVALIDITY"])
        if self._uidvalidity not in (None, value):
            log.warning(
                "%s: UIDVALIDITY of %s changed from %s to %s",
                self.name,
                self.folder,
                self._uidvalidity,
                value,
            )
        self._uidvalidity = value
        self._selected = True

    def _call(self, what: str, op: Callable[[IMAPClient], T]) -> T:
        """Run op on a live, selected connection; reconnect and retry once if a reused one broke."""
        reused = self._client is not None
        while True:
            try:
                return op(self._ensure())
            except _IMAP_ERRORS as e:
                self._drop()
                if not reused:
                    raise MailboxError(f"{self.name}: {what} failed on {self.host}:{self.port}: {e}") from e
                log.warning("%s: %s failed on a reused connection (%s); reconnecting once", self.name, what, e)
                reused = False

    # -- Mailbox protocol -------------------------------------------------------

    def list_pending(self, after_uid: int | None = None) -> Listing:
        """UIDs in the watched folder, oldest first; with after_uid, only those above it.

        Messages flagged \\Deleted are left out: on a server without MOVE they are the
        copies already settled (see _move) or mail a person has deleted.
        """

        def op(client: IMAPClient) -> list[int]:
            if after_uid is None:
                return list(client.search(["UNDELETED"]))
            # "n:*" always matches the highest UID even when it is below n: filter.
            found = client.search(["UID", f"{after_uid + 1}:*", "UNDELETED"])
            return [u for u in found if u > after_uid]

        self._selected = False  # a fresh SELECT each time: new counts, current UIDVALIDITY
        uids = sorted(self._call("list", op))
        return Listing(uidvalidity=self._uidvalidity, keys=tuple(str(u) for u in uids))

    def fetch(self, keys: Sequence[str]) -> Iterator[RawMessage]:
        """The raw messages in `batch`-sized FETCHes of BODY.PEEK[] (never sets \\Seen).

        UIDs no longer in the folder (moved by someone else) are skipped.
        """
        uids = [int(k) for k in keys]
        for start in range(0, len(uids), self.batch):
            chunk = uids[start : start + self.batch]
            found = self._call("fetch", _fetcher(chunk))
            for uid in chunk:
                item = found.pop(uid, None) or {}  # popped: the caller's copy is then the only one
                data = item.get(b"BODY[]")
                if data is None:
                    log.info("%s: uid %s is no longer in %s; skipped", self.name, uid, self.folder)
                    continue
                yield RawMessage(
                    mailbox=self.name,
                    key=str(uid),
                    data=bytes(data),
                    uidvalidity=self._uidvalidity,
                    received_at=_as_datetime(item.get(b"INTERNALDATE")),
                )

    def settle(self, msg: RawMessage, outcome: Outcome) -> None:
        """Move a message to the processed or review folder; a message already gone is fine."""
        target = self.processed_folder if outcome == "processed" else self.review_folder

        def op(client: IMAPClient) -> list[int]:
            self._ensure_folder(client, target)
            uids = self._locate(client, msg)
            if uids:
                self._move(client, uids, target)
            return uids

        # Re-SELECT first: the folder may have been recreated (new UIDVALIDITY) under our
        # old selection, and then msg.key could name another message.
        self._selected = False
        uids = self._call("settle", op)
        if uids:
            log.info("%s: moved uid %s to %s", self.name, ",".join(map(str, uids)), target)
        else:
            log.warning("%s: message %s not found in %s; nothing moved", self.name, msg.key, self.folder)

    def wait(self, timeout: float) -> bool:
        """IDLE up to min(timeout, 25 min); True when the server announced new mail.

        Without IDLE on the server this just sleeps and returns False.
        """
        cap = min(timeout, MAX_IDLE_SECONDS)
        if cap <= 0:
            return False
        client = self._call("connect", lambda c: c)
        if not client.has_capability("IDLE"):
            time.sleep(cap)
            return False
        return self._call("idle", lambda c: self._idle(c, cap))

    def close(self) -> None:
        client, self._client = self._client, None
        self._selected = False
        if client is not None:
            with contextlib.suppress(Exception):
                client.logout()

    # -- helpers ----------------------------------------------------------------

    def _idle(self, client: IMAPClient, seconds: float) -> bool:
        # Mail that arrived since our last command is reported to NOOP, not to IDLE.
        _text, pending = client.noop()
        if _announces_mail(pending):
            return True
        deadline = time.monotonic() + seconds
        client.idle()
        woke = False
        while (remaining := deadline - time.monotonic()) > 0:
            responses = client.idle_check(timeout=remaining)
            if _announces_mail(responses):
                woke = True
                break
            if not responses or _says_bye(responses):
                # Timed out, or returned early and empty (imapclient's sign of EOF), or BYE:
                # stop idling; on a dead connection idle_done raises and _call reconnects.
                break
        _text, rest = client.idle_done()
        return woke or _announces_mail(rest)

    def _ensure_folder(self, client: IMAPClient, folder: str) -> None:
        if folder in self._known_folders:
            return
        if not client.folder_exists(folder):
            try:
                client.create_folder(folder)
                log.info("%s: created folder %s", self.name, folder)
            except imaplib.IMAP4.error:
                if not client.folder_exists(folder):  # another poller may have just made it
                    raise
        self._known_folders.add(folder)

    def _locate(self, client: IMAPClient, msg: RawMessage) -> list[int]:
        """The UID(s) of msg now; by Message-ID and identical bytes if UIDVALIDITY changed."""
        if msg.uidvalidity is None or msg.uidvalidity == self._uidvalidity:
            return [int(msg.key)]
        message_id = BytesHeaderParser().parsebytes(msg.data).get("Message-ID")
        if not message_id:
            log.warning("%s: UIDVALIDITY changed and uid %s has no Message-ID", self.name, msg.key)
            return []
        candidates = client.search(["HEADER", "Message-ID", str(message_id).strip(), "UNDELETED"])
        if not candidates:
            return []
        # Another message could carry the same Message-ID: move only byte-identical copies.
        bodies = client.fetch(candidates, [b"BODY.PEEK[]"])
        return sorted(u for u, item in bodies.items() if bytes(item.get(b"BODY[]", b"")) == msg.data)

    def _move(self, client: IMAPClient, uids: list[int], target: str) -> None:
        if client.has_capability("MOVE"):
            client.move(uids, target)
            return
        client.copy(uids, target)
        client.add_flags(uids, [_DELETED])
        if client.has_capability("UIDPLUS"):
            client.uid_expunge(uids)  # only these UIDs, never others' \Deleted mail
        else:
            # A plain EXPUNGE would also remove mail other people flagged \Deleted: leave
            # ours flagged; list_pending skips \Deleted messages.
            log.info("%s: server lacks UIDPLUS; uid %s left flagged \\Deleted", self.name, uids)


def _fetcher(uids: list[int]) -> Callable[[IMAPClient], dict[int, dict[bytes, Any]]]:
    def op(client: IMAPClient) -> dict[int, dict[bytes, Any]]:
        return dict(client.fetch(uids, [b"BODY.PEEK[]", b"INTERNALDATE"]))

    return op


def _announces_mail(responses: Sequence[Any]) -> bool:
    """True for "* n EXISTS" or "* n RECENT" with n > 0 (what IDLE sends for new mail)."""
    return any(
        isinstance(r, tuple)
        and len(r) >= 2
        and isinstance(r[0], int)
        and r[1] in (b"EXISTS", b"RECENT")
        and (r[1] == b"EXISTS" or r[0] > 0)
        for r in responses
    )


def _says_bye(responses: Sequence[Any]) -> bool:
    return any(isinstance(r, tuple) and r and r[0] == b"BYE" for r in responses)


def _server_said(error: Exception) -> str:
    """The server's words without Python's bytes quoting: b'[AUTHENTICATIONFAILED] ...' -> [AUTHENTICATIONFAILED] ..."""
    text = str(error)
    quoted = re.fullmatch(r"""b(['"])(.*)\1""", text, re.DOTALL)
    return quoted.group(2) if quoted else text


def _as_datetime(value: object) -> datetime | None:
    return value if isinstance(value, datetime) else None
