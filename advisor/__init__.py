"""Samenwerkingswijzer: advises which collaboration form fits, and why.

``create_app`` builds the Flask application; importing this package starts nothing.
Plugin authors need one import: ``from advisor import hookimpl``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from .hookspecs import hookimpl

__all__ = ["create_app", "hookimpl"]
__version__ = "1.0.0"


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then a config file, then ``ADVISOR_*`` variables, or `test_config`."""
    from . import bodies, cli, config, extension, http, limits, security, storage, web
    from .api import register_api
    from .ops import init_app as init_ops
    from .sessions import LazySessionInterface
    from .app_class import AdvisorFlask

    instance = (test_config or {}).get("INSTANCE_DIR") or os.environ.get("ADVISOR_INSTANCE_DIR")
    app = AdvisorFlask(__name__, instance_relative_config=True, instance_path=instance or None)
    app.session_interface = LazySessionInterface()
    config.load(app, test_config)
    http.init_app(app)
    bodies.init_app(app)
    extension.init_app(app)
    storage.init_app(app)
    init_ops(app)  # metrics and request log: after the engine and the database they watch
    register_api(app)
    web.init_app(app)
    limits.init_app(app)
    cli.init_app(app)
    security.init_app(app)
    return app
