"""Configuration: one list of defaults, then a file, then the environment, or the test mapping.

Every key can be set in the environment by prefixing it with ``ADVISOR_`` (``ADVISOR_TIE_MARGIN``).
Values from the environment are parsed as JSON where they can be (numbers, booleans, lists),
and list settings also accept a comma-separated string.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

REPO_ROOT = Path(__file__).resolve().parent.parent


def _builtin_rules() -> Path:
    """The core packs: ``advisor/rules`` in an installed package (the build copies them there,
    see setup.py), else ``rules/`` of the checkout."""
    packaged = Path(__file__).resolve().parent / "rules"
    return packaged if packaged.is_dir() else REPO_ROOT / "rules"


BUILTIN_RULES = _builtin_rules()

DEFAULTS: dict[str, Any] = {
    # Plugins
    "RULES_DIR": str(BUILTIN_RULES),
    "PLUGINS_DIR": None,
    "PLUGINS_ALLOW": [],
    "PLUGINS_DENY": [],
    "PLUGINS_ENTRY_POINTS": True,
    "PLUGINS_STRICT": False,
    "PLUGIN_ERRORS": "stop",  # "skip": start without a broken directory plugin, health degraded
    "PLUGINS_TRACE": False,
    "RULES_MAX_PER_PACK": 10_000,  # rules in one TOML pack; 0: no limit (see README "Limits")
    "COMPILED_PACKS_DIR": None,  # None: <instance>/compiled-packs; False: compile at every start
    # The advice
    "TIE_MARGIN": 1.0,
    "ADVICE_TIME_BUDGET_MS": 2000,  # per advice and per what-if search, for Python plugins' calls; 0: none
    "DEFAULT_LANG": "nl",
    "LANGUAGES": ["nl", "en"],
    # Storage (see README "Storage")
    "DATABASE_URL": None,  # None: a SQLite file in the instance folder
    "RETENTION_DAYS": 365,  # days since the last change; 0 keeps assessments forever
    "COLLABORATION_RULES": str(BUILTIN_RULES / "collaboration" / "findings.toml"),
    # HTTP
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "CORS_ORIGINS": [],
    "PROXY_COUNT": 0,
    "SESSION_COOKIE_SECURE": False,  # set it behind HTTPS (with PROXY_COUNT behind a proxy)
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",  # here, not setdefault: Flask's own default (None) is already set
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_WRITES": "120 per minute;2000 per hour",  # one budget per client across all writes
    "RATELIMIT_ADVICE": "600 per minute;20000 per hour",  # advice (stateless): a class of its own
    "RATELIMIT_DEFAULT": None,  # before 1.1: when set, the limit of both classes
    "API_KEYS": {},  # bearer key -> its limit for both classes, e.g. {"<key>": "6000 per minute"}
    "RATELIMIT_STORAGE_URI": "memory-sweep://",
    "SECRET_KEY": None,
    "ADMIN_TOKEN": None,  # None: the admin export (/api/v1/admin) is off
    # The organisation running the service: theme, statements, embedding (README "Your own site")
    "THEME_CSS": None,  # a CSS file of design tokens, loaded after the default theme
    "THEME_CLASS": None,  # the class that file's tokens hang on (e.g. "denhaag-theme")
    "ORGANISATION_NAME": None,
    "ORGANISATION_URL": None,
    "ORGANISATION_CONTACT": None,  # an e-mail address or a URL, named in both statements
    "PRIVACY_STATEMENT_URL": None,  # the operator's own privacy statement instead of ours
    "ACCESSIBILITY_STATEMENT_URL": None,  # likewise for the accessibility statement
    "FRAME_ANCESTORS": [],  # origins that may show the /embed/ pages in an iframe
}

LIST_KEYS = ("PLUGINS_ALLOW", "PLUGINS_DENY", "LANGUAGES", "CORS_ORIGINS", "FRAME_ANCESTORS")


def load(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        config_file = os.environ.get("ADVISOR_CONFIG_FILE")
        if config_file:
            app.config.from_pyfile(config_file)
        else:
            app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("ADVISOR")
    else:
        app.config.from_mapping(test_config)
    for key in LIST_KEYS:
        value = app.config.get(key)
        if isinstance(value, str):
            app.config[key] = [part.strip() for part in value.split(",") if part.strip()]
    if not app.config.get("SECRET_KEY"):
        # A random key per process would break sessions across gunicorn workers; derive one
        # from the instance folder instead and tell operators to set their own.
        app.config["SECRET_KEY"] = _instance_secret(app)


def _instance_secret(app: Flask) -> str:
    """The instance folder's secret, created once and then read by every worker and restart.

    Workers that start together race to create it: each writes its own temporary file (owner
    only) and hard-links it into place, which fails when another was first, so all read one key.
    """
    path = Path(app.instance_path) / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"secret_key.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(32))
        os.link(tmp, path)
    except FileExistsError:
        pass  # another worker's key is in place: use it
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text().strip()
