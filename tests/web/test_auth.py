"""Only LAHSA staff get in: logins, sessions, CSRF and the trusted header, over plain HTTP.

Starlette's TestClient drives the real application in process (no browser): every
route but the login page needs a session, a wrong password or a missing/wrong CSRF
token changes nothing, and the reverse-proxy header is ignored unless configured.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from bot.config import ConfigError, parse_config
from bot.web.app import check_config
from bot.web.auth import hash_password, verify_password
from tests.web.conftest import EMAIL, PASSWORD, WEB, Site, client_for, csrf_of, demo_site, login, review_of

pytestmark = pytest.mark.slow  # builds the demo once per session


def _paths(client: TestClient) -> list[tuple[str, str]]:
    """Every route of the site, with 1 for each id, and its methods."""
    out = []
    for route in client.app.routes:  # type: ignore[attr-defined]
        assert isinstance(route, Route)
        path = route.path.replace("{org_id}", "1").replace("{user_id}", "1").replace(
            "{item_id}", "2").replace("{doc_id}", "1").replace("{page}", "1")
        out += [(method, path) for method in sorted(route.methods or ()) if method != "HEAD"]
    return out


def _open_review(site: Site) -> int:
    return int(site.sql("SELECT count(*) FROM review_item WHERE resolved_at IS NULL")[0][0])


def test_every_page_and_form_needs_a_login(site: Site, client: TestClient) -> None:
    # /healthz is public by design (no data); /metrics answers the host, the proxy or a token (test_watch.py).
    routes = [(m, p) for m, p in _paths(client) if p not in ("/login", "/healthz", "/metrics")]
    assert client.get("/metrics").status_code == 403
    assert len(routes) >= 11  # the five pages, the preview and the forms: a new route is covered automatically
    before = _open_review(site)
    for method, path in routes:
        r = client.request(method, path, data={"csrf": "x", "reason": "no", "note": "no"})
        if method == "GET":
            assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), (method, path)
        else:
            assert r.status_code == 403, (method, path)
    assert _open_review(site) == before
    assert site.sql("SELECT agreement FROM organization WHERE id = 1") == [("accepted",)]


def test_a_wrong_password_or_address_gets_nobody_in(client: TestClient) -> None:
    for email, password in ((EMAIL, "wrong password"), ("someone@lahsa.org", PASSWORD), (EMAIL, "")):
        token = csrf_of(client.get("/login").text)
        r = client.post("/login", data={"csrf": token, "email": email, "password": password})
        assert r.status_code == 401 and "Wrong email or password" in r.text
        assert client.get("/").status_code == 303


def test_login_gives_a_strict_httponly_session_and_logout_ends_it(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"csrf": token, "email": EMAIL.upper(), "password": PASSWORD, "next": "/review"})
    assert r.status_code == 303 and r.headers["location"] == "/review"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "hmisbot_session=" in cookie
    page = client.get("/")
    assert page.status_code == 200 and "Ana Staff" in page.text and "Agreement missing" in page.text
    r = client.post("/logout", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 303 and client.get("/").status_code == 303


def test_a_forged_or_foreign_cookie_is_worthless(site: Site, client: TestClient) -> None:
    login(client)
    stolen = client.cookies.get("hmisbot_session")
    assert stolen
    other = client_for(site.bot)  # same app, new client
    other.cookies.set("hmisbot_session", stolen[:-4] + "AAAA")
    assert other.get("/").status_code == 303


def test_missing_or_wrong_csrf_token_is_403_and_changes_nothing(site: Site, staff: TestClient) -> None:
    nina = review_of(site, "nina@brightpath.org")
    outbox = site.sql("SELECT count(*) FROM outbox")
    open_items = _open_review(site)
    assert open_items >= 2
    for data in ({"reason": "broken"}, {"reason": "broken", "csrf": "not-the-token"}):
        r = staff.post(f"/review/{nina}/reject", data=data)
        assert r.status_code == 403 and "CSRF" in r.text
        assert staff.post("/orgs/1/countersign", data=data).status_code == 403
    assert _open_review(site) == open_items and site.sql("SELECT count(*) FROM outbox") == outbox
    assert site.sql("SELECT agreement FROM organization WHERE id = 1") == [("accepted",)]
    # The login form is protected too (login CSRF: nobody can log a victim into the attacker's account).
    assert staff.post("/login", data={"email": EMAIL, "password": PASSWORD}).status_code == 403


def test_the_trusted_header_is_ignored_unless_configured(demo_master: Path, tmp_path: Path) -> None:
    plain = demo_site(demo_master, tmp_path / "plain")
    assert client_for(plain.bot, peer="10.0.0.2").get("/", headers={"X-Forwarded-User": EMAIL}).status_code == 303
    plain.bot.close()


PROXIED = "\n  trusted_header: X-Forwarded-User\n  trusted_proxies: [10.0.0.0/24, '::1']\n"


def test_the_trusted_header_counts_only_from_the_proxy_and_only_for_listed_staff(demo_master: Path,
                                                                                 tmp_path: Path) -> None:
    proxied = demo_site(demo_master, tmp_path / "proxied", web=WEB.rstrip("\n") + PROXIED)
    as_ana = {"X-Forwarded-User": EMAIL}
    # Straight to the port, from anywhere but the proxy: the header is nobody.
    for peer in ("203.0.113.9", "10.0.1.2", "testclient"):
        assert client_for(proxied.bot, peer=peer).get("/", headers=as_ana).status_code == 303, peer
    proxy = client_for(proxied.bot, peer="10.0.0.2")
    assert proxy.get("/", headers=as_ana).status_code == 200
    # Only configured staff: the header must name one of web.users.
    assert proxy.get("/", headers={"X-Forwarded-User": "intruder@example.org"}).status_code == 303
    proxied.bot.close()
    # With no web.users, no header value is staff (the site itself refuses to start: nobody can log in).
    nobody = demo_site(demo_master, tmp_path / "nobody", web="\nweb:\n  users: []" + PROXIED)
    assert client_for(nobody.bot, peer="10.0.0.2").get("/", headers=as_ana).status_code == 303
    with pytest.raises(ConfigError, match="no way to log in"):
        check_config(nobody.bot)
    nobody.bot.close()


def test_pages_forbid_framing_scripts_and_caching(staff: TestClient) -> None:
    r = staff.get("/")
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert "script-src" not in r.headers["content-security-policy"]  # default-src 'none': no script at all
    assert r.headers["cache-control"] == "no-store" and r.headers["x-frame-options"] == "DENY"


def test_login_only_redirects_within_the_site(client: TestClient) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        token = csrf_of(client.get("/login").text)
        r = client.post("/login", data={"csrf": token, "email": EMAIL, "password": PASSWORD, "next": target})
        assert r.headers["location"] == "/", target
        client.cookies.clear()


def test_scrypt_hashes_verify_and_malformed_ones_fail_closed() -> None:
    stored = hash_password("s3cret passphrase", n=2**10)
    assert verify_password("s3cret passphrase", stored) and not verify_password("s3cret passphrasE", stored)
    assert stored != hash_password("s3cret passphrase", n=2**10)  # salted
    for bad in ("", "scrypt$", "md5$1$1$1$AA==$AA==", "scrypt$1048576$64$1$AA==$AA==", "scrypt$1000$8$1$AA==$AA=="):
        assert not verify_password("x", bad)


BASE = """\
database: sqlite:///x.sqlite3
archive_dir: archive
send: {backend: outbox_dir, path: outbox, from: "LAHSA HMIS <HMISsupport@lahsa.org>"}
mailboxes:
  support: {address: HMISsupport@lahsa.org, backend: maildir, path: mail}
staff:
  implementation: {primary: impl@lahsa.org}
  training: {primary: training@lahsa.org}
  access: {primary: access@lahsa.org}
"""


@pytest.mark.parametrize(("web", "problem"), [
    ("web: {users: [{name: A, email: a@lahsa.org, password: hunter2}]}", "secrets must not be written"),
    ("web: {users: [{name: A, email: a@lahsa.org, password_hash: hunter2}]}", "not an scrypt hash"),
    ("web: {users: [], trusted_header: 'X Bad'}", "trusted_header"),
    ("web: {users: [], colour: blue}", "web.colour: unknown key"),
    ("web: {users: [], trusted_header: X-Forwarded-User}", "trusted_header needs trusted_proxies"),
    ("web: {users: [], trusted_header: X-User, trusted_proxies: [10.0.0.300]}", "not an IP address or CIDR"),
    ("web: {users: [{name: A, email: a@lahsa.org, password_hash: 'scrypt$1$1$1$AA==$AA==', duties: [payroll]}]}",
     "web.users.0.duties.0"),
    ("web: {users: [], session_idle: soon}", "web.session_idle"),
])
def test_the_web_section_is_validated_like_the_rest(web: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        parse_config(BASE + web)


def test_web_command_refuses_a_site_nobody_can_log_in_to(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from bot.cli import app

    (tmp_path / "mailboxes.yaml").write_text(BASE)
    result = CliRunner().invoke(app, ["--config", str(tmp_path / "mailboxes.yaml"), "web", "--port", "1"])
    assert result.exit_code == 2
    assert parse_config(BASE + WEB).web is not None  # and the tests' own section is valid
