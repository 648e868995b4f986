"""OAuth2 access tokens for Microsoft 365 mailboxes (IMAP/SMTP XOAUTH2, EWS, Graph).

`MsalTokenProvider` is a zero-argument callable returning a bearer token, which is
what `ImapMailbox(token_provider=...)` and `SmtpSender(token_provider=...)` take.
It uses MSAL's client-credentials flow, whose in-memory cache hands back the same
token until shortly before it expires and then fetches a new one, so callers may
ask for a token before every login; ``invalidate()`` drops a token the server refused
(the Graph adapters call it on a 401). It owns nothing else: no config reading, no
retry policy (a failure is an `OAuthError` for the caller to retry later).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used: together ~19 MB resident, which IMAP-only deployments never need
    import msal
    import requests

log = logging.getLogger(__name__)

DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"
# Exchange Online's resource: covers IMAP.AccessAsApp / SMTP.SendAsApp / EWS.
OUTLOOK_SCOPE = "https://outlook.office365.com/.default"


class OAuthError(Exception):
    """No token could be had: bad tenant/client/secret, or the endpoint unreachable."""


class _PinnedVerifySession:
    """The HTTP client handed to MSAL: a requests.Session that passes `verify` per request.

    requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override Session.verify, so a CA
    bundle given in the configuration would be silently ignored where those are set;
    a per-request value is honoured. Proxies from the environment still apply.
    """

    def __init__(self, verify: bool | str, timeout: float) -> None:
        import requests

        self._session = requests.Session()
        self._verify = verify
        self._timeout = timeout

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        kwargs["verify"] = self._verify
        kwargs.setdefault("timeout", self._timeout)
        return self._session.get(url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        kwargs["verify"] = self._verify
        kwargs.setdefault("timeout", self._timeout)
        return self._session.post(url, **kwargs)

    def close(self) -> None:
        self._session.close()


class MsalTokenProvider:
    """Client-credentials tokens for one app registration; call it to get a token.

    The MSAL application is built on first use, not in the constructor, because
    building it already talks to the authority (OIDC discovery): constructing the
    app's adapters must stay free of network I/O.
    """

    def __init__(
        self,
        tenant: str,
        client_id: str,
        secret: str,
        scopes: Sequence[str] = (OUTLOOK_SCOPE,),
        *,
        authority_host: str = DEFAULT_AUTHORITY_HOST,
        verify: bool | str = True,
        timeout: float = 30.0,
    ) -> None:
        if not tenant or not client_id or not secret:
            raise ValueError("tenant, client_id and secret are all required")
        self.tenant = tenant
        self.client_id = client_id
        self.scopes = list(scopes)
        self.authority = f"{authority_host.rstrip('/')}/{tenant}"
        self._secret = secret
        self._verify = verify  # a CA bundle path in tests against a local token endpoint
        self._timeout = timeout
        self._app: msal.ConfidentialClientApplication | None = None
        # Pollers for several mailboxes may share one provider from different threads.
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never show the secret
        return f"MsalTokenProvider(tenant={self.tenant!r}, client_id={self.client_id!r})"

    def _application(self) -> msal.ConfidentialClientApplication:
        import msal

        if self._app is None:
            # Only the default Microsoft host is "known"; any other (a sovereign cloud,
            # or a local test endpoint) must skip MSAL's authority validation.
            known = self.authority.startswith(DEFAULT_AUTHORITY_HOST + "/")
            self._app = msal.ConfidentialClientApplication(
                self.client_id,
                client_credential=self._secret,
                authority=self.authority,
                validate_authority=known,
                instance_discovery=known,
                http_client=_PinnedVerifySession(self._verify, self._timeout),
            )
        return self._app

    def invalidate(self) -> None:
        """Drop the cached access tokens, so the next call asks the authority for a new one.

        For a token the resource server refused (a 401) although MSAL still thinks it
        valid: revoked consent, a changed secret, clock skew. Without this, MSAL's cache
        would hand the same refused token back until it neared expiry. The application
        (and its OIDC discovery) is kept: only the tokens are stale.
        """
        import msal

        with self._lock:
            if self._app is None:
                return
            cache = self._app.token_cache
            # list(): removing while the search generator runs would skip entries.
            stale = list(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN,
                                      query={"client_id": self.client_id}))
            for token in stale:
                cache.remove_at(token)
        log.debug("dropped %d cached token(s) for client %s", len(stale), self.client_id)

    def __call__(self) -> str:
        """A valid access token (cached by MSAL until near expiry); raises OAuthError."""
        with self._lock:
            try:
                result: dict[str, Any] | None = self._application().acquire_token_for_client(scopes=self.scopes)
            except (OSError, ValueError, RuntimeError, KeyError) as e:
                # OSError covers requests' exceptions (network, TLS); ValueError/RuntimeError/KeyError
                # are how MSAL reports a failed or malformed OIDC discovery.
                self._app = None  # rebuild next time: discovery may succeed then
                raise OAuthError(f"token request to {self.authority} failed: {e}") from e
        if not result or "access_token" not in result:
            result = result or {}
            error = result.get("error", "no_token")
            desc = str(result.get("error_description", "")).splitlines()[0:1]
            raise OAuthError(f"token refused by {self.authority}: {error}: {' '.join(desc)}".rstrip(": "))
        token = result["access_token"]
        if not isinstance(token, str):
            raise OAuthError(f"token response from {self.authority} has no string access_token")
        log.debug(
            "got token for client %s from %s (%s)",
            self.client_id,
            self.authority,
            result.get("token_source", "identity_provider"),
        )
        return token
