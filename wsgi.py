"""The WSGI entry point for gunicorn: ``gunicorn wsgi:app``."""

import gc

from advisor import create_app

app = create_app()

# The loaded rules live as long as the worker: keep the garbage collector from walking them on
# every collection (about 20 % of an advice's time with 10,000 rules; see bench/engine).
gc.freeze()
