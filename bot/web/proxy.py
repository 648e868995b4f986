"""Which connections come from the configured reverse proxy, and what that proxy may tell us.

Only the socket's peer address counts (uvicorn runs with ``proxy_headers`` off), so a
header such as ``X-Forwarded-User`` or ``X-Forwarded-Proto`` is believed only when the
connection itself comes from one of ``web.trusted_proxies``; from anyone else it is
ignored, since anyone who reaches the port can write any header.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Proxies:
    """The trusted proxy networks, parsed once."""

    def __init__(self, networks: Iterable[str]) -> None:
        self.networks: tuple[Network, ...] = tuple(ipaddress.ip_network(n, strict=False) for n in networks)

    def trusts(self, scope: Mapping[str, Any]) -> bool:
        """True when the connection's peer is one of the trusted proxies."""
        client = scope.get("client")
        if not self.networks or not client:
            return False
        try:
            peer = ipaddress.ip_address(str(client[0]))
        except ValueError:  # a Unix socket or a test client: no address, no trust
            return False
        return any(peer in net for net in self.networks)

    def header(self, scope: Mapping[str, Any], name: str) -> str | None:
        """A request header's value, only when a trusted proxy sent the request."""
        if not self.trusts(scope):
            return None
        wanted = name.lower().encode("latin-1")
        for key, value in scope.get("headers", ()):
            if key.lower() == wanted:
                return bytes(value).decode("latin-1")
        return None

    def is_https(self, scope: Mapping[str, Any]) -> bool:
        """The site was reached over https: directly, or at a trusted proxy that says so."""
        if scope.get("scheme") == "https":
            return True
        proto = self.header(scope, "x-forwarded-proto") or ""
        return proto.split(",")[0].strip().lower() == "https"
