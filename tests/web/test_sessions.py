"""Sessions end when they should: at logout, after 30 idle minutes, 8 hours after login.

The server keeps the sessions (issue 14, row 5): a cookie copied before logout must
be worthless after it, the cookie is set at login and not re-sent on every answer,
and it is Secure whenever the site is reached over https (directly, or through the
trusted proxy's X-Forwarded-Proto).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot.config import parse_config
from tests.web.conftest import WEB, Site, client_for, csrf_of, demo_site, login
from tests.web.test_auth import BASE

pytestmark = pytest.mark.slow  # builds the demo once per session


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _clock(client: TestClient) -> Clock:
    clock = Clock()
    client.app.state.web.sessions.clock = clock  # type: ignore[attr-defined]
    return clock


def test_a_cookie_copied_before_logout_is_worthless_after_it(site: Site, staff: TestClient) -> None:
    stolen = staff.cookies.get("hmisbot_session")
    token = csrf_of(staff.get("/").text)
    assert staff.post("/logout", data={"csrf": token}).status_code == 303
    replay = TestClient(staff.app, base_url="http://127.0.0.1", follow_redirects=False)
    replay.cookies.set("hmisbot_session", str(stolen))
    assert replay.get("/").status_code == 303
    assert replay.post("/orgs/1/countersign", data={"csrf": token}).status_code == 403
    assert site.sql("SELECT agreement FROM organization WHERE id = 1") == [("accepted",)]


def test_a_session_ends_after_30_idle_minutes(client: TestClient) -> None:
    clock = _clock(client)
    login(client)
    clock.now += 29 * 60
    assert client.get("/").status_code == 200  # used: the idle time starts again
    clock.now += 29 * 60
    assert client.get("/").status_code == 200
    clock.now += 31 * 60
    assert client.get("/").status_code == 303


def test_a_session_ends_8_hours_after_login_however_busy(client: TestClient) -> None:
    clock = _clock(client)
    login(client)
    for _ in range(16):  # every 29 minutes for 7 h 44 min
        clock.now += 29 * 60
        assert client.get("/").status_code == 200
    clock.now += 17 * 60  # 8 h 01 min after login
    assert client.get("/").status_code == 303


def test_session_lifetimes_are_configurable() -> None:
    web = parse_config(BASE + "web: {users: [], session_idle: 10m, session_max: 4h}").web
    assert web is not None and (web.session_idle, web.session_max) == (600, 4 * 3600)
    default = parse_config(BASE + "web: {users: []}").web
    assert default is not None and (default.session_idle, default.session_max) == (1800, 8 * 3600)


def test_the_cookie_is_set_at_login_only_and_a_new_one_each_login(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    before = client.cookies.get("hmisbot_session")
    r = client.post("/login", data={"csrf": token, "email": "ana.staff@lahsa.org",
                                    "password": "correct horse battery staple"})
    assert r.status_code == 303 and "max-age" not in r.headers["set-cookie"].lower()
    assert client.cookies.get("hmisbot_session") != before  # the key known before login ends at login
    for path in ("/", "/review", "/orgs/1"):
        assert "set-cookie" not in client.get(path).headers, path  # never re-issued


def _session_cookie(client: TestClient, **headers: str) -> str:
    r = client.get("/login", headers=headers)
    return next(v for k, v in r.headers.multi_items() if k == "set-cookie" and "hmisbot_session=" in v)


def test_the_cookie_is_secure_over_https(demo_master: Path, tmp_path: Path) -> None:
    web = WEB.rstrip("\n") + "\n  trusted_proxies: [10.0.0.1]\n"
    site = demo_site(demo_master, tmp_path / "tls", web=web)
    assert "Secure" in _session_cookie(client_for(site.bot, base_url="https://hmisbot.lahsa.org"))
    assert "Secure" in _session_cookie(client_for(site.bot, peer="10.0.0.1"), **{"X-Forwarded-Proto": "https"})
    assert "Secure" not in _session_cookie(client_for(site.bot, peer="10.0.0.9"), **{"X-Forwarded-Proto": "https"})
    assert "Secure" not in _session_cookie(client_for(site.bot))  # plain http on 127.0.0.1 (the default)
    site.bot.close()
