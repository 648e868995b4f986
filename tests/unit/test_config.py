"""mailboxes.yaml: every key validated, secrets refused inline, the shipped example valid."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from bot.config import ConfigError, load_config, parse_config, parse_duration

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = {
    "database": "sqlite:///x.sqlite3",
    "archive_dir": "archive",
    "send": {"backend": "outbox_dir", "path": "outbox", "from": "LAHSA HMIS <HMISsupport@lahsa.org>"},
    "mailboxes": {
        "training": {"address": "LAHSA.Training@lahsa.org", "backend": "maildir", "path": "m/t"},
        "support": {"address": "HMISsupport@lahsa.org", "backend": "maildir", "path": "m/s"},
        "join": {"address": "JoinHMIS@lahsa.org", "backend": "maildir", "path": "m/j"},
    },
    "staff": {d: {"primary": f"{d}@lahsa.org"} for d in ("implementation", "training", "access")},
}


def _text(data: dict) -> str:  # type: ignore[type-arg]
    return yaml.safe_dump(data)


def _with(path: str, value: object) -> dict:  # type: ignore[type-arg]
    data = yaml.safe_load(_text(MINIMAL))
    node = data
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[key]
    if value is None:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return data


def test_shipped_example_is_valid_and_uses_the_three_real_addresses() -> None:
    config = load_config(ROOT / "mailboxes.yaml")
    assert {str(b.address) for b in config.mailboxes.values()} == {
        "LAHSA.Training@lahsa.org", "HMISsupport@lahsa.org", "JoinHMIS@lahsa.org"}
    assert {b.effective_role for b in config.mailboxes.values()} == {"training", "support", "join"}
    assert config.schedule.escalation_after_business_days == 3
    # `hmisbot web` refuses a site nobody can log in to: the example has users, and names its proxy.
    assert config.web is not None and config.web.users and config.web.trusted_proxies == ("127.0.0.1",)
    assert {d for u in config.web.users for d in u.duties} == {"implementation", "training", "access"}


@pytest.mark.parametrize(("value", "expect"), [
    ({"format": "xml"}, "logging.format"), ({"level": "loud"}, "logging.level"), ({"colour": 1}, "unknown key")])
def test_the_logging_section_is_validated(value: object, expect: str) -> None:
    assert parse_config(_text(_with("logging", {"format": "json", "level": "info"})), "m.yaml").logging.format == "json"
    with pytest.raises(ConfigError, match=expect):
        parse_config(_text(_with("logging", value)), "m.yaml")


def test_minimal_config_and_roles_by_address() -> None:
    config = parse_config(_text(MINIMAL), "m.yaml")
    assert config.mailbox_for_role("support")[0] == "support"  # type: ignore[index]
    assert config.mailboxes["join"].poll_every == 60.0


@pytest.mark.parametrize(
    ("path", "value", "expect"),
    [
        ("database", None, "database: missing key"),
        ("send.from", None, "send.from: missing key"),
        ("staff.access", None, "staff.access: missing key"),
        ("colour", "blue", "colour: unknown key"),
        ("mailboxes.join.pol_every", "60s", "mailboxes.join.pol_every: unknown key"),
        ("mailboxes.join.poll_every", "often", "mailboxes.join.poll_every"),
        ("mailboxes.join.security", "tls", "mailboxes.join.security"),
        ("mailboxes.join.port", 70000, "mailboxes.join.port"),
        ("timezone", "Mars/Olympus", "unknown time zone"),
        ("send.backend", "pigeon", "send.backend"),
        ("mailboxes.join.address", "someone@else.org", "not one of LAHSA's three inboxes"),
        ("schedule", {"digest": "sometimes"}, "schedule.digest"),
        ("staff.access", {"primary": "not an address"}, "staff.access.primary"),
    ],
)
def test_bad_values_name_file_key_and_problem(path: str, value: object, expect: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(_text(_with(path, value)), "m.yaml")
    assert str(err.value).startswith("m.yaml: ")
    assert expect in str(err.value)


@pytest.mark.parametrize("key", ["password", "secret"])
def test_inline_secret_is_refused(key: str) -> None:
    data = _with(f"mailboxes.join.{key}", "hunter2")
    with pytest.raises(ConfigError, match=rf"mailboxes.join.{key}: secrets must not be written"):
        parse_config(_text(data), "m.yaml")


def test_imap_without_credentials_is_refused() -> None:
    data = _with("mailboxes.join", {"address": "JoinHMIS@lahsa.org", "backend": "imap", "host": "h"})
    with pytest.raises(ConfigError, match="password_env"):
        parse_config(_text(data), "m.yaml")


def test_durations() -> None:
    assert parse_duration("90s") == 90 and parse_duration("5m") == 300 and parse_duration("1h") == 3600
    with pytest.raises(ValueError):
        parse_duration("0s")


def test_cli_exits_2_with_one_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(_text(_with("mailboxes.join.password", "x")))
    result = subprocess.run([sys.executable, "-m", "bot", "--config", str(bad), "init"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "bad.yaml: mailboxes.join.password" in result.stderr
    assert "Traceback" not in result.stderr
    missing = subprocess.run([sys.executable, "-m", "bot", "--config", str(tmp_path / "nope.yaml"), "init"],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "nope.yaml: cannot read" in missing.stderr
    assert "$HMISBOT_CONFIG" in missing.stderr and "hmisbot demo" in missing.stderr  # the two ways to get one


# -- Graph and EWS: what each backend needs ------------------------------------------------------

OAUTH = {"tenant": "lahsa.onmicrosoft.com", "client_id": "app-id", "secret_env": "HMISBOT_GRAPH_SECRET"}
EWS_BOX = {"address": "JoinHMIS@lahsa.org", "backend": "ews", "service_endpoint": "https://mail.lahsa.org/EWS/Exchange.asmx",
           "username": "LAHSA\\svc-hmisbot", "password_env": "HMISBOT_EWS_PASSWORD"}


def _refused(data: dict, *expect: str) -> str:  # type: ignore[type-arg]
    with pytest.raises(ConfigError) as err:
        parse_config(_text(data), "m.yaml")
    message = str(err.value)
    assert message.startswith("m.yaml: ")
    for part in expect:
        assert part in message, message
    return message


def test_graph_and_ews_backends_are_accepted_when_complete() -> None:
    data = _with("mailboxes.join", EWS_BOX)
    data["mailboxes"]["support"] = {"address": "HMISsupport@lahsa.org", "backend": "graph", "oauth2": OAUTH}
    data["send"] = {"backend": "graph", "oauth2": OAUTH, "from": "LAHSA HMIS <HMISsupport@lahsa.org>"}
    config = parse_config(_text(data), "m.yaml")
    assert config.mailboxes["join"].auth_type == "NTLM"  # the default
    assert config.send.sending_address == "HMISsupport@lahsa.org"


@pytest.mark.parametrize("section", ["mailboxes.support", "send"])
def test_graph_without_oauth2_is_refused(section: str) -> None:
    if section == "send":
        data = _with("send", {"backend": "graph", "from": "LAHSA HMIS <HMISsupport@lahsa.org>"})
    else:
        data = _with(section, {"address": "HMISsupport@lahsa.org", "backend": "graph"})
    _refused(data, f"m.yaml: {section}: ", "backend graph needs 'oauth2'")


def test_graph_with_a_password_instead_is_refused() -> None:
    data = _with("mailboxes.support", {"address": "HMISsupport@lahsa.org", "backend": "graph",
                                       "password_env": "HMISBOT_PASSWORD"})
    _refused(data, "mailboxes.support: ", "'oauth2'")


@pytest.mark.parametrize("section", ["mailboxes.join", "send"])
def test_ews_without_service_endpoint_is_refused(section: str) -> None:
    value = {k: v for k, v in EWS_BOX.items() if k != "service_endpoint"}
    if section == "send":
        value = {**{k: v for k, v in value.items() if k != "address"}, "from": "LAHSA HMIS <JoinHMIS@lahsa.org>"}
    _refused(_with(section, value), f"m.yaml: {section}: ", "backend ews needs 'service_endpoint'")


def test_ews_needs_a_password_and_refuses_oauth2_and_ca_file() -> None:
    no_password = {k: v for k, v in EWS_BOX.items() if k != "password_env"}
    _refused(_with("mailboxes.join", no_password), "mailboxes.join: ", "backend ews needs 'password_env'")
    _refused(_with("mailboxes.join", {**no_password, "oauth2": OAUTH}), "mailboxes.join: ", "not 'oauth2'",
             "backend graph")
    _refused(_with("mailboxes.join", {**EWS_BOX, "ca_file": "ca.pem"}), "mailboxes.join: ", "'ca_file'",
             "REQUESTS_CA_BUNDLE")


@pytest.mark.parametrize(("section", "value"), [("mailboxes.join", EWS_BOX), ("send", {
    "backend": "ews", "service_endpoint": "https://mail.lahsa.org/EWS/Exchange.asmx",
    "password_env": "HMISBOT_EWS_PASSWORD", "from": "LAHSA HMIS <JoinHMIS@lahsa.org>"})])
@pytest.mark.parametrize("auth_type", ["ntlm", "Kerberos", "NEGOTIATE"])
def test_a_bad_auth_type_is_refused(section: str, value: dict, auth_type: str) -> None:  # type: ignore[type-arg]
    message = _refused(_with(section, {**value, "auth_type": auth_type}), f"m.yaml: {section}.auth_type: ")
    assert "'NTLM' or 'basic'" in message


def test_auth_type_basic_is_kept() -> None:
    config = parse_config(_text(_with("mailboxes.join", {**EWS_BOX, "auth_type": "basic"})), "m.yaml")
    assert config.mailboxes["join"].auth_type == "basic"


def test_scopes_must_match_the_resource() -> None:
    outlook = {**OAUTH, "scopes": ["https://outlook.office365.com/.default"]}
    graph = {**OAUTH, "scopes": ["https://graph.microsoft.com/.default"]}
    _refused(_with("mailboxes.support", {"address": "HMISsupport@lahsa.org", "backend": "graph", "oauth2": outlook}),
             "mailboxes.support: ", "oauth2.scopes", "needs a Graph scope")
    _refused(_with("mailboxes.support", {"address": "HMISsupport@lahsa.org", "backend": "imap", "host": "h",
                                         "oauth2": graph}), "mailboxes.support: ", "needs the Outlook scope")
    _refused(_with("send", {"backend": "smtp", "host": "h", "oauth2": graph, "from": "HMISsupport@lahsa.org"}),
             "m.yaml: send: ", "needs the Outlook scope")


def test_password_and_oauth2_together_are_refused() -> None:
    data = _with("mailboxes.support", {"address": "HMISsupport@lahsa.org", "backend": "imap", "host": "h",
                                       "password_env": "P", "oauth2": OAUTH})
    _refused(data, "mailboxes.support: ", "not both")


def test_authority_must_be_https() -> None:
    data = _with("send", {"backend": "graph", "oauth2": {**OAUTH, "authority": "http://login.example"},
                          "from": "HMISsupport@lahsa.org"})
    _refused(data, "m.yaml: send.oauth2.authority: ", "https://")


def test_a_graph_sender_needs_an_address_to_send_as() -> None:
    data = _with("send", {"backend": "graph", "oauth2": OAUTH, "from": "LAHSA HMIS"})
    _refused(data, "m.yaml: send: ", "'from' or 'username' needs an address")
    data["send"]["username"] = "HMISsupport@lahsa.org"
    assert parse_config(_text(data), "m.yaml").send.sending_address == "HMISsupport@lahsa.org"


# -- hostile files given as --config (issue 14, row 8) ---------------------------------------------

def _laughs() -> str:
    """"Billion laughs" with mappings: the inline-secret scan walks every mapping, so 9**9 of them."""
    lines, below = [], "lol"
    for key in "abcdefghi":
        lines.append(f"{key}: &{key} {{" + ", ".join(f"{key}{n}: {below}" for n in range(1, 10)) + "}")
        below = f"*{key}"
    return "\n".join(lines) + "\n"


LAUGHS = _laughs()


def _hostile(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"{kind}.yaml"
    if kind == "alias-bomb":  # "billion laughs": 9**9 strings from a few hundred bytes
        path.write_text(LAUGHS + "database: x\n")
    elif kind == "not-utf8":  # a UTF-16 file, as some Windows editors save
        path.write_bytes(_text(MINIMAL).encode("utf-16"))
    else:  # 50 MB
        with path.open("wb") as fh:
            fh.write(_text(MINIMAL).encode())
            fh.write(b"# padding\n" * 5_000_000)
    return path


@pytest.mark.parametrize(("kind", "expect"), [
    ("alias-bomb", "aliases expand it to more than"),
    ("not-utf8", "not UTF-8 text: byte 0xff at offset 0"),
    ("50mb", "too large: more than 1024 KB"),
])
def test_a_hostile_config_file_exits_2_with_one_line_within_a_second(tmp_path: Path, kind: str, expect: str) -> None:
    path = _hostile(tmp_path, kind)
    assert len(LAUGHS) < 900
    # A subprocess first: on a loader that hangs, the timeout ends it (before this, the bomb ran for ever).
    result = subprocess.run([sys.executable, "-m", "bot", "--config", str(path), "init"],
                            capture_output=True, text=True, timeout=20)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and expect in result.stderr, result.stderr
    started = time.monotonic()
    with pytest.raises(ConfigError, match=expect):
        load_config(path)
    assert time.monotonic() - started < 1.0


def test_aliases_within_reason_still_work() -> None:
    data = yaml.safe_load(_text(MINIMAL))
    del data["mailboxes"]
    text = _text(data) + """mailboxes:
  training: &box {address: LAHSA.Training@lahsa.org, backend: maildir, path: m/t}
  support: {<<: *box, address: HMISsupport@lahsa.org, path: m/s}
  join: {<<: *box, address: JoinHMIS@lahsa.org, path: m/j}
"""
    config = parse_config(text, "m.yaml")
    assert {b.backend for b in config.mailboxes.values()} == {"maildir"} and len(config.mailboxes) == 3
