"""deploy/: the systemd units pass `systemd-analyze verify`, the shipped configuration serves the
staff site, and the restore drill of docs/deploy.md gives back the same `status --json` (issue 16, item 8).

The units are installed into a scratch root (``--root``) together with the host's own system
units (sysinit.target and friends) and a stand-in for /opt/hmisbot/.venv/bin/hmisbot, so verify
checks our files, not this machine's. The container files cannot be built here (no container
engine); they are only parsed.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot.demo import DEMO_NOW, run_demo
from tests.support.db import pg_database

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").iterdir())
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
HOST_UNITS = Path("/usr/lib/systemd/system")


def _scratch_root(tmp_path: Path) -> Path:
    """A filesystem root with our units installed as docs/deploy.md installs them."""
    root = tmp_path / "root"
    shutil.copytree(HOST_UNITS, root / "usr/lib/systemd/system", symlinks=True)
    units = root / "etc/systemd/system"
    units.mkdir(parents=True)
    for unit in UNITS:
        shutil.copy(unit, units / unit.name)
    for program in ("opt/hmisbot/.venv/bin/hmisbot", "opt/hmisbot/deploy/backup.sh", "bin/sh", "usr/bin/find"):
        (root / program).parent.mkdir(parents=True, exist_ok=True)
        (root / program).write_text("#!/bin/sh\n")
        (root / program).chmod(0o755)
    (root / "etc/hmisbot").mkdir(parents=True)
    (root / "etc/hmisbot/hmisbot.env").write_text("HMISBOT_GRAPH_SECRET=x\n")
    return root


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed (Debian package: systemd)")
@pytest.mark.skipif(not HOST_UNITS.is_dir(), reason="no /usr/lib/systemd/system to take sysinit.target from")
def test_unit_files_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    root = _scratch_root(tmp_path)
    names = [u.name for u in UNITS]
    assert {"hmisbot.service", "hmisbot-web.service", "hmisbot-backup.service", "hmisbot-backup.timer"} <= set(names)
    out = subprocess.run([str(SYSTEMD_ANALYZE), "verify", f"--root={root}", "--man=no", *names],
                         capture_output=True, text=True, timeout=120)
    # verify exits 0 on unknown keys and bad values too, warning on stderr: any line is a failure.
    assert out.returncode == 0 and not out.stderr.strip(), out.stderr


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed (Debian package: systemd)")
def test_services_are_hardened(tmp_path: Path) -> None:
    for unit in ("hmisbot.service", "hmisbot-web.service", "hmisbot-backup.service"):
        text = (DEPLOY / "systemd" / unit).read_text()
        for line in ("User=hmisbot", "EnvironmentFile=/etc/hmisbot/hmisbot.env", "ProtectSystem=strict",
                     "ReadWritePaths=/var/lib/hmisbot", "NoNewPrivileges=yes", "PrivateTmp=yes", "UMask=0077"):
            assert line in text, f"{unit}: {line}"
    root = _scratch_root(tmp_path)
    out = subprocess.run([str(SYSTEMD_ANALYZE), "security", "--offline=yes", f"--root={root}", "--no-pager",
                          "hmisbot.service", "hmisbot-web.service"], capture_output=True, text=True, timeout=120)
    scores = [line for line in out.stdout.splitlines() if "Overall exposure level" in line]
    if not scores:  # an older systemd-analyze without --offline
        pytest.skip(f"systemd-analyze security --offline unavailable: {out.stderr.strip()[:200]}")
    assert all(float(line.split(":")[1].split()[0]) <= 3.0 for line in scores), scores  # "OK" or better


def test_container_files_parse_and_name_the_same_paths() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert {"db", "init", "bot", "web"} <= set(compose["services"])
    assert compose["services"]["web"]["ports"] == ["127.0.0.1:8080:8080"]  # only the proxy on this host reaches it
    assert compose["services"]["bot"]["command"] == ["run"]
    containerfile = (DEPLOY / "Containerfile").read_text()
    assert "USER hmisbot" in containerfile and "HMISBOT_CONFIG=/etc/hmisbot/mailboxes.yaml" in containerfile
    assert "COPY templates" in containerfile  # mails are rendered from the checkout's templates/


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_shipped_configuration_serves_the_staff_site(tmp_path: Path) -> None:
    """mailboxes.yaml as shipped, its database swapped for a scratch SQLite file: `hmisbot web` starts."""
    data = yaml.safe_load((ROOT / "mailboxes.yaml").read_text())
    assert data["web"]["users"] and data["web"]["trusted_proxies"]
    data.update(database=f"sqlite:///{tmp_path / 'hmisbot.sqlite3'}", archive_dir=str(tmp_path / "archive"))
    (tmp_path / "mailboxes.yaml").write_text(yaml.safe_dump(data))
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "--config", str(tmp_path / "mailboxes.yaml"), "web",
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, "HMISBOT_GRAPH_SECRET": "unused"})
    try:
        page = _get(f"http://127.0.0.1:{port}/login", proc)
        assert "password" in page.lower()
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0].decode(errors="replace")
    assert "Traceback" not in output, output


def _get(url: str, proc: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return str(response.read().decode())
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# -- the restore drill ------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request: pytest.FixtureRequest) -> Iterator[tuple[str | None, str | None]]:
    """(production database, scratch database to restore into); None: the demo's own SQLite file."""
    if request.param == "sqlite":
        yield None, None
        return
    for production in pg_database():
        for scratch in pg_database():
            yield production, scratch


def _script(name: str, *args: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(DEPLOY / name), *map(str, args)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HMISBOT_PYTHON": sys.executable})


def _status(config: Path) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-m", "bot", "--config", str(config), "--now", DEMO_NOW, "status", "--json"],
                         capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_backup_then_restore_into_a_fresh_folder_gives_the_same_status(
        tmp_path: Path, databases: tuple[str | None, str | None]) -> None:
    production, scratch = databases
    site = tmp_path / "production"
    assert run_demo(site, production) == 0
    before = _status(site / "mailboxes.yaml")
    assert before["organizations"] and before["review"]

    backup = _script("backup.sh", site / "mailboxes.yaml", tmp_path / "backups" / "nightly")
    assert backup.returncode == 0, backup.stderr
    saved = tmp_path / "backups" / "nightly"
    assert {"archive.tar.gz", "mailboxes.yaml", "status.json", "now", "VERSION", "SHA256SUMS"} <= set(os.listdir(saved))
    assert (saved / ("database.sqlite3" if production is None else "database.pgdump")).exists()
    assert oct(saved.stat().st_mode & 0o777) == "0o700"

    # The drill: the backed-up configuration in a new folder, pointed at a scratch database.
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    config = yaml.safe_load((saved / "mailboxes.yaml").read_text())
    if scratch is not None:
        config["database"] = scratch
    (fresh / "mailboxes.yaml").write_text(yaml.safe_dump(config))
    restore = _script("restore.sh", saved, fresh / "mailboxes.yaml")
    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert "status --json is the backup's" in restore.stdout
    assert _status(fresh / "mailboxes.yaml") == before
    assert _files(fresh / "archive") == _files(site / "archive")

    # Never over live data: a second restore into the same places is refused and changes nothing.
    again = _script("restore.sh", saved, fresh / "mailboxes.yaml")
    assert again.returncode == 2 and "is not empty" in again.stderr
    assert _status(fresh / "mailboxes.yaml") == before
