"""Error pages in HTML for everything outside the JSON API (404, 500, a failed CSRF check...)."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


def _explanation(code: int) -> tuple[str, str]:
    """A title and a sentence for the person in front of the screen."""
    if code == 404:
        return _("Page not found"), _("This page does not exist (any more). Check the address, or start again from the first page.")
    if code == 405:
        return _("This does not work here"), _("This page cannot be used like this. Start again from the first page.")
    if code == 429:
        return _("Too many requests"), _("You sent a lot in a short time. Wait a minute and try again; your answers are kept.")
    if code >= 500:
        return _("Something went wrong on our side"), _("Your answers are still there. Try again in a moment; if it keeps happening, tell the people who manage this tool.")
    return _("This request could not be handled"), _("Go back and try again, or start again from the first page.")


def render_error(error: HTTPException):
    code = error.code or 500
    title, text = _explanation(code)
    return render_template("error.html", code=code, title=title, text=text), code


def render_csrf_error(error: CSRFError):
    title = _("This form has expired")
    text = _("For your safety, a form only works for a limited time. What you sent from this page was not saved. Go back, reload the page and send it again. If your browser was closed in between, your earlier answers only come back through your private link, if you kept it.")
    return render_template("error.html", code=400, title=title, text=text), 400


def init_app(app: Flask) -> None:
    app.extensions["advisor_html_errors"] = render_error
    app.register_error_handler(CSRFError, render_csrf_error)
