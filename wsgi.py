"""The WSGI entry point for gunicorn: ``gunicorn wsgi:app``."""

from advisor import create_app

app = create_app()
