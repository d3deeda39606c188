"""The catalogue of problem types: one stable ``type`` URI per class of error, and its page.

A platform tells errors apart by ``type`` (RFC 9457), not by parsing ``title`` or ``detail``.
The types themselves, with their texts, are data in ``problem_types.toml`` beside this module.
Each type is a path-absolute URI (``/api/v1/problems/invalid-params``): the same string on every
deployment, and it resolves on the serving host to a page that explains it (RFC 9457 allows a
relative reference; it is resolved against the response's URL).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, abort, render_template

PROBLEMS_PREFIX = "/api/v1/problems"


@dataclass(frozen=True)
class ProblemType:
    slug: str
    status: int
    title: dict[str, str]
    description: dict[str, str]

    @property
    def uri(self) -> str:
        return f"{PROBLEMS_PREFIX}/{self.slug}"


CATALOGUE = Path(__file__).with_name("problem_types.toml")


def load_types(path: Path = CATALOGUE) -> tuple[ProblemType, ...]:
    """The catalogue as data (one table per type, in the order the docs page lists them), so a
    new class of error is a table added, not code."""
    with path.open("rb") as handle:
        tables = tomllib.load(handle)
    return tuple(ProblemType(slug, entry["status"], entry["title"], entry["description"])
                 for slug, entry in tables.items())


TYPES: tuple[ProblemType, ...] = load_types()
DUTCH_DETAILS: dict[str, str] = {
    "The request does not fit the API: see errors.": "Het verzoek past niet bij de API: zie errors.",
    "Some answers do not fit the questionnaire: see errors.":
        "Sommige antwoorden passen niet bij de vragenlijst: zie errors.",
    "A body is required: send a JSON object ({} when there is nothing else to send).":
        "Een body is verplicht: stuur een JSON-object ({} als er verder niets te sturen is).",
    "Send the body as application/json.": "Stuur de body als application/json.",
    "The rule set changed since the fingerprint you sent: this advice would come from other rules. "
    "Ask again without the precondition, or with currentRuleset.":
        "De regelset is veranderd sinds de vingerafdruk die je stuurde: dit advies zou uit andere regels "
        "komen. Vraag opnieuw zonder voorwaarde, of met currentRuleset.",
    "A rule plugin failed and strict mode is on.": "Een regelplugin faalde en de strikte modus staat aan.",
    "No assessment with this id: it was never stored, was erased, or has expired.":
        "Geen beoordeling met deze id: nooit opgeslagen, gewist of verlopen.",
    "No collaboration with this id: it was never made, was erased, or has expired.":
        "Geen samenwerking met deze id: nooit gemaakt, gewist of verlopen.",
    "No collaboration with this invitation token: it was never made, was erased, or has expired.":
        "Geen samenwerking met deze uitnodiging: nooit gemaakt, gewist of verlopen.",
    "No response with this id in this collaboration.": "Geen reactie met deze id in deze samenwerking.",
    "The open round already has a response with this label.":
        "De open ronde heeft al een reactie met dit label.",
    "No response of the open round is complete: there is nothing to keep yet.":
        "Geen reactie van de open ronde is compleet: er is nog niets te bewaren.",
    "A name or label that cannot be stored.": "Een naam of label die niet opgeslagen kan worden.",
    "The database cannot be reached; try again shortly.": "De database is niet bereikbaar; probeer het zo opnieuw.",
    "This item does not fit the API: see errors.": "Dit item past niet bij de API: zie errors.",
    "This line is not JSON: see errors.": "Deze regel is geen JSON: zie errors.",
    "Send the admin token as 'Authorization: Bearer <ADMIN_TOKEN>'.":
        "Stuur het beheertoken als 'Authorization: Bearer <ADMIN_TOKEN>'.",
    "The record this Idempotency-Key made has been erased since.":
        "Wat met deze Idempotency-Key is gemaakt, is inmiddels gewist.",
    "This response belongs to a round that has been closed: what was kept stays as it was. "
    "Answer again in the open round.":
        "Deze reactie hoort bij een ronde die gesloten is: wat bewaard is, blijft zoals het was. "
        "Antwoord opnieuw in de open ronde.",
    "This was changed since the version named in If-Match: read it again, then apply your change "
    "to the current version.":
        "Dit is veranderd sinds de versie in If-Match: lees het opnieuw en doe je wijziging dan op "
        "de huidige versie.",
    "Someone else changed these answers meanwhile.": "Iemand anders heeft deze antwoorden intussen veranderd.",
    "This collided with a change made at the same moment: read it again and retry.":
        "Dit botste met een wijziging op hetzelfde moment: lees het opnieuw en probeer het nog eens.",
    "This Idempotency-Key was used before with another body: use a new key for a new request.":
        "Deze Idempotency-Key is al gebruikt met een andere body: gebruik een nieuwe sleutel voor een "
        "nieuw verzoek.",
    # werkzeug's own descriptions, for the errors the API leaves to it
    "The browser (or proxy) sent a request that this server could not understand.":
        "Dit verzoek kan de server niet lezen.",
    "The requested URL was not found on the server. If you entered the URL manually please check "
    "your spelling and try again.":
        "Deze URL bestaat niet. Typte je hem zelf? Kijk dan of hij goed gespeld is.",
    "The method is not allowed for the requested URL.": "Deze methode kan niet op deze URL.",
    "The data value transmitted exceeds the capacity limit.": "Wat je stuurt, is groter dan de grens.",
    "The server encountered an internal error and was unable to complete your request. Either the "
    "server is overloaded or there is an error in the application.":
        "Er ging iets mis in de server, en je verzoek is niet uitgevoerd. De server is te druk, of "
        "er zit een fout in de toepassing.",
}
"""Dutch for the API's own fixed problem details (a Dutch request gets them in Dutch); the
reasons per field are :class:`~advisor.reasons.Reason`s, said in the request's language from
the catalogs (``advisor/translations``)."""

BY_STATUS = {problem_type.status: problem_type for problem_type in TYPES}
BY_SLUG = {problem_type.slug: problem_type for problem_type in TYPES}
GENERIC = {"nl": "Fout", "en": "Error"}


def for_status(status: int) -> ProblemType | None:
    """The type of an error with this status; None for a status without its own class."""
    return BY_STATUS.get(status)


bp = Blueprint("api_docs_problems", __name__, url_prefix=PROBLEMS_PREFIX,
               template_folder="templates")


@bp.route("")
def problem_types():
    """Every problem type the API answers with, on one page."""
    return render_template("api_docs/problem_types.html", types=TYPES)


@bp.route("/<slug>")
def problem_type(slug: str):
    """The page a problem's ``type`` URI points at."""
    if slug not in BY_SLUG:
        abort(404)
    return render_template("api_docs/problem_types.html", types=(BY_SLUG[slug],))
