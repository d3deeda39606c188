"""The files of ``deploy/`` hold up: nginx accepts the site (``nginx -t``), gunicorn accepts the
systemd unit's command line, and the environment template names every setting an operator must
choose, each one a setting the app knows."""

from __future__ import annotations

import re
import subprocess

import pytest

from advisor import create_app
from advisor.config import DEFAULTS
from tests.conftest import ROOT, require
from tests.ops_support import (
    ENV_TEMPLATE,
    GUNICORN,
    NGINX,
    OPENSSL,
    SERVICE_UNIT,
    nginx_test,
    self_signed_certificate,
    unit_command,
    write_nginx_config,
)

NEEDS_NGINX = "needs Debian's nginx and openssl: run scripts/setup-nginx"
MUST_CHOOSE = {
    "ADVISOR_SECRET_KEY", "ADVISOR_DATABASE_URL", "ADVISOR_RATELIMIT_STORAGE_URI", "ADVISOR_PUBLIC_URL",
    "ADVISOR_PROXY_COUNT", "ADVISOR_SESSION_COOKIE_SECURE", "ADVISOR_ADMIN_TOKEN", "ADVISOR_RETENTION_DAYS",
    "ADVISOR_METRICS_ENABLED", "ADVISOR_METRICS_TOKEN", "WEB_CONCURRENCY",
}
READ_ELSEWHERE = {"PUBLIC_URL"}
"""Settings read by parts of the app that may not set a default (the API's absolute URLs)."""


def test_nginx_accepts_the_site_config(tmp_path):
    require(NGINX is not None and OPENSSL is not None, NEEDS_NGINX)
    cert, key = self_signed_certificate(tmp_path)
    config = write_nginx_config(tmp_path / "nginx", {
        "/etc/ssl/advisor/fullchain.pem": str(cert),
        "/etc/ssl/advisor/privkey.pem": str(key),
        "/srv/advisor/advisor/static/": f"{ROOT / 'advisor' / 'static'}/",
    })
    checked = nginx_test(config)
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


def test_nginx_refuses_a_broken_site(tmp_path):
    """The check above can fail: a site without its certificate does not pass `nginx -t`."""
    require(NGINX is not None, NEEDS_NGINX)
    config = write_nginx_config(tmp_path / "nginx", {"/etc/ssl/advisor/fullchain.pem": str(tmp_path / "missing.pem")})
    assert nginx_test(config).returncode != 0


def test_gunicorn_accepts_the_unit_command_line(tmp_path):
    require(GUNICORN.exists(), "gunicorn next to the interpreter")
    command = [*unit_command(workers=2), "--bind", "127.0.0.1:0", "--check-config"]
    assert "--max-requests" in command and "python:advisor.ops.gunicorn_config" in command
    checked = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120,
                             env={"PATH": "/usr/bin:/bin", "ADVISOR_INSTANCE_DIR": str(tmp_path),
                                  "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")})
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_unit_recycles_workers_and_reloads_gracefully():
    unit = SERVICE_UNIT.read_text()
    assert "ExecReload=/bin/kill -HUP $MAINPID" in unit
    assert "EnvironmentFile=/etc/advisor/advisor.env" in unit
    assert re.search(r"--max-requests \d+", unit)
    assert "Requires=advisor@%i.socket" in unit


def test_the_environment_template_names_every_setting_to_choose(tmp_path):
    names = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", ENV_TEMPLATE.read_text(), re.MULTILINE))
    assert MUST_CHOOSE <= names, MUST_CHOOSE - names
    known = set(DEFAULTS) | set(create_app({"TESTING": True, "SECRET_KEY": "x", "INSTANCE_DIR": str(tmp_path),
                                            "PLUGINS_ENTRY_POINTS": False}).config) | READ_ELSEWHERE
    unknown = {name for name in names if name.startswith("ADVISOR_") and name.removeprefix("ADVISOR_") not in known}
    assert not unknown, f"not settings of the app: {unknown}"


def test_the_environment_template_reads_alike_in_systemd_and_a_shell():
    """systemd strips the quotes; a shell that sources the file must see the same values."""
    shown = subprocess.run(["bash", "-c", f"set -a; . {ENV_TEMPLATE}; printf %s \"$ADVISOR_RATELIMIT_DEFAULT\""],
                           capture_output=True, text=True, timeout=30)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == "120 per minute;2000 per hour"


@pytest.mark.parametrize("name", ["advisor-purge.service", "advisor-purge.timer", "advisor@.socket",
                                  "advisor-migrate.service"])
def test_the_other_units_are_there(name):
    text = (ROOT / "deploy" / "systemd" / name).read_text()
    assert text.startswith("#") and "[Unit]" in text
    if name == "advisor-purge.service":
        assert "assessments purge" in text
    if name == "advisor-migrate.service":
        assert "db upgrade" in text and "Type=oneshot" in text
    if name == "advisor-purge.timer":
        assert "OnCalendar=" in text and "Persistent=true" in text
