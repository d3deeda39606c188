"""A Python client for the Samenwerkingswijzer JSON API (``/api/v1``), for other platforms.

Built on a ``requests.Session``: every call has a timeout, idempotent GETs are retried on
connection errors and 502/503/504 (with backoff, honouring ``Retry-After``), a POST, PATCH or
DELETE is never sent twice (except a create given an ``idempotency_key``: the service makes one
record however often it arrives), and every 4xx/5xx answer raises :class:`AdvisorAPIError`
carrying the RFC 9457 problem details (``errors`` by field for refused answers).

    from advisor.client import AdvisorClient

    with AdvisorClient("http://127.0.0.1:8000") as api:
        advice = api.advice({"scope": "individual_cases", ...}, lang="en")

Only ``requests`` is needed: the module imports nothing else from the service.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

import time

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ReadTimeoutError
from urllib3.util.retry import Retry

__all__ = ["AdvisorAPIError", "AdvisorClient", "IDEMPOTENT_METHODS"]

API_PREFIX = "/api/v1"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD"})
RETRY_STATUSES = (502, 503, 504)
BATCH_MAX_ITEMS = 1000
"""Items the service takes in one JSON batch; the client streams larger sets as NDJSON."""
NDJSON = "application/x-ndjson"
Answers = Mapping[str, Any]


class AdvisorAPIError(Exception):
    """The API answered 4xx or 5xx; ``problem`` is its problem-details body."""

    def __init__(self, status: int, problem: Mapping[str, Any], *, method: str, url: str) -> None:
        self.status = status
        self.problem = dict(problem)
        self.method = method
        self.url = url
        super().__init__(f"{method} {url} -> {status} {self.title}: {self.detail}")

    @property
    def title(self) -> str:
        return str(self.problem.get("title", ""))

    @property
    def detail(self) -> str:
        return str(self.problem.get("detail", ""))

    @property
    def errors(self) -> dict[str, list[str]]:
        """Field (``answers.horizon``) to the reasons it was refused; empty when none."""
        return dict(self.problem.get("errors") or {})

    @property
    def type(self) -> str:
        """The problem's type URI (``/api/v1/problems/invalid-params``): what kind of error it is."""
        return str(self.problem.get("type", "about:blank"))

    @property
    def invalid_params(self) -> list[dict[str, str]]:
        """One ``{"name": JSON Pointer, "reason"}`` per refused field; empty when none."""
        return list(self.problem.get("invalidParams") or [])


class GetOnlyRetry(Retry):
    """urllib3's Retry repeats a request after a connection error whatever its method; this one
    retries only ``allowed_methods`` and gives other methods requests' default: no retry.

    A read timeout that uses up the retries is raised as itself, so callers get
    ``requests.ReadTimeout`` rather than a ``ConnectionError`` wrapping it.
    """

    def increment(self, method=None, url=None, response=None, error=None, _pool=None,
                  _stacktrace=None):
        if method is not None and not self._is_method_retryable(method):
            return Retry(0, read=False).increment(method, url, response, error, _pool, _stacktrace)
        try:
            return super().increment(method, url, response, error, _pool, _stacktrace)
        except MaxRetryError:
            if isinstance(error, ReadTimeoutError):
                raise error from None
            raise


class AdvisorClient:
    """The /api/v1 calls as methods returning the decoded JSON bodies.

    `timeout` is seconds (or a ``(connect, read)`` pair) per request; `retries` is how often an
    idempotent GET is repeated after a connection error or a 502/503/504.
    """

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        *,
        timeout: float | tuple[float, float] = 10.0,
        retries: int = 3,
        backoff_factor: float = 0.2,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries, self.backoff_factor = retries, backoff_factor
        self.session = session or requests.Session()
        retry = GetOnlyRetry(
            total=retries, connect=retries, read=retries, status=retries, other=0,
            allowed_methods=IDEMPOTENT_METHODS, status_forcelist=RETRY_STATUSES,
            backoff_factor=backoff_factor, respect_retry_after_header=True, raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"Accept": "application/json",
                                     "User-Agent": "samenwerkingswijzer-client/1"})

    # --- Questionnaire and advice ---------------------------------------------------------

    def questionnaire(self, lang: str | None = None) -> dict[str, Any]:
        """Steps, questions, options and help texts; `lang` is ``nl`` or ``en``."""
        return self._call("GET", "/questionnaire", params=_lang(lang))

    def forms(self, lang: str | None = None) -> dict[str, Any]:
        """The collaboration forms from light to heavy."""
        return self._call("GET", "/forms", params=_lang(lang))

    def advice(self, answers: Answers, lang: str | None = None) -> dict[str, Any]:
        """The advice for complete answers (question id to option id, list or number)."""
        return self._call("POST", "/advice", json=_body(answers, lang=lang))

    def advice_batch(self, items: Iterable[Mapping[str, Any]], *, lang: str | None = None,
                     ruleset: str | None = None) -> list[dict[str, Any]]:
        """Advice for many answer sets (``{"ref": ..., "answers": {...}}`` each): one result per
        item in order, ``{"ref", "status": 200, "advice"}`` or ``{"ref", "status", "problem"}``.

        Up to 1,000 items go as one JSON request; more are streamed as NDJSON (one request, the
        items sent and the results read line by line). `ruleset` is the fingerprint you expect:
        when the service's rules changed, AdvisorAPIError with status 412 (and
        ``problem["currentRuleset"]``) instead of advice on other rules.
        """
        items = list(items)
        if len(items) <= BATCH_MAX_ITEMS:
            body = {"items": [dict(item) for item in items], **_fields(lang=lang, ruleset=ruleset)}
            return self._call("POST", "/advice/batch", json=body)["results"]
        headers = {"Content-Type": NDJSON, "Accept": NDJSON}
        if ruleset:
            headers["If-Match"] = f'"{ruleset}"'
        lines = (json.dumps(dict(item), ensure_ascii=False).encode() + b"\n" for item in items)
        url = f"{self.base_url}{API_PREFIX}/advice/batch"
        with self.session.post(url, data=lines, params=_lang(lang), headers=headers,
                               timeout=self.timeout, stream=True) as response:
            if response.status_code >= 400:
                raise AdvisorAPIError(response.status_code, _problem(response), method="POST", url=url)
            return [json.loads(line) for line in response.iter_lines() if line]

    def plugins(self) -> dict[str, Any]:
        """The loaded plugins and the rule set fingerprint."""
        return self._call("GET", "/plugins")

    def health(self) -> dict[str, Any]:
        """``{"status": "ok", ...}``; a degraded service raises AdvisorAPIError with status 503."""
        return self._call("GET", "/health")

    # --- Stored assessments ---------------------------------------------------------------

    def create_assessment(self, answers: Answers, *, label: str | None = None,
                          lang: str | None = None, idempotency_key: str | None = None) -> dict[str, Any]:
        """Store answers (unfinished ones as a draft); the reply has ``id`` and ``url``.

        With an `idempotency_key` of your own (``str(uuid.uuid4())``, kept with your record) the
        create is retried like a GET, and the service answers a repeat with the first record."""
        return self._call("POST", "/assessments", json=_body(answers, lang=lang, label=label),
                          idempotency_key=idempotency_key)

    def get_assessment(self, assessment_id: str) -> dict[str, Any]:
        """A stored assessment with the advice as it was given."""
        return self._call("GET", _assessment(assessment_id))

    def update_assessment(self, assessment_id: str, answers: Answers | None = None, *,
                          label: str | None = None, lang: str | None = None,
                          if_match: int | None = None) -> dict[str, Any]:
        """Add or change answers (resume a draft); only what is given is sent. With `if_match`
        (the ``version`` of an earlier reply) an assessment changed since raises AdvisorAPIError
        412, and nothing is changed."""
        body = _body(answers, lang=lang, label=label) if answers is not None else \
            {key: value for key, value in (("lang", lang), ("label", label)) if value is not None}
        return self._call("PATCH", _assessment(assessment_id), json=body, if_match=if_match)

    def delete_assessment(self, assessment_id: str, *, if_match: int | None = None) -> None:
        """Erase a stored assessment for good (with `if_match`, a version: only that one, else 412)."""
        self._call("DELETE", _assessment(assessment_id), if_match=if_match)

    def replay_assessment(self, assessment_id: str) -> dict[str, Any]:
        """The stored answers evaluated on the current rules, with what changed."""
        return self._call("GET", _assessment(assessment_id) + "/replay")

    # --- Collaborations with several respondents ------------------------------------------

    def create_collaboration(self, name: str, *, lang: str | None = None) -> dict[str, Any]:
        """Start a collaboration; the reply has ``id``, ``url`` and ``invitation`` (``token``, ``url``)."""
        return self._call("POST", "/collaborations", json=_fields(name=name, lang=lang))

    def get_collaboration(self, collaboration_id: str, *, lang: str | None = None,
                          alternatives: bool = False) -> dict[str, Any]:
        """The open round side by side: divergence per question, advice per respondent and combined,
        findings, the risks only some see; ``alternatives=True`` adds what would change the combined advice."""
        params = {**_lang(lang), **({"alternatives": "true"} if alternatives else {})}
        return self._call("GET", _collaboration(collaboration_id), params=params)

    def update_collaboration(self, collaboration_id: str, *, name: str | None = None,
                             lang: str | None = None) -> dict[str, Any]:
        """Rename the collaboration or change its language."""
        return self._call("PATCH", _collaboration(collaboration_id), json=_fields(name=name, lang=lang))

    def delete_collaboration(self, collaboration_id: str) -> None:
        """Erase the collaboration with every response and round, for good."""
        self._call("DELETE", _collaboration(collaboration_id))

    def respond(self, token: str, label: str, answers: Answers, *, lang: str | None = None) -> dict[str, Any]:
        """A partner's answers under its label, with the invitation token; the reply's ``url`` is its own."""
        return self._call("POST", _invitation(token) + "/responses", json=_body(answers, label=label, lang=lang))

    def add_response(self, collaboration_id: str, label: str, answers: Answers, *,
                     lang: str | None = None) -> dict[str, Any]:
        """The coordinator adds a partner's answers (e.g. collected elsewhere)."""
        return self._call("POST", _collaboration(collaboration_id) + "/responses",
                          json=_body(answers, label=label, lang=lang))

    def update_response(self, collaboration_id: str, respondent_id: str, answers: Answers | None = None, *,
                        label: str | None = None, lang: str | None = None) -> dict[str, Any]:
        """Change a response (null in `answers` removes one); only what is given is sent."""
        body = _fields(label=label, lang=lang)
        if answers is not None:
            body["answers"] = dict(answers)
        return self._call("PATCH", _response(collaboration_id, respondent_id), json=body)

    def delete_response(self, collaboration_id: str, respondent_id: str) -> None:
        """Erase one response for good."""
        self._call("DELETE", _response(collaboration_id, respondent_id))

    def close_round(self, collaboration_id: str, *, note: str | None = None) -> dict[str, Any]:
        """Keep the open round's combined advice and open the next round."""
        return self._call("POST", _collaboration(collaboration_id) + "/rounds", json=_fields(note=note))

    def collaboration_history(self, collaboration_id: str, *, lang: str | None = None) -> dict[str, Any]:
        """The form round by round, and drift warnings (creeping verkokering)."""
        return self._call("GET", _collaboration(collaboration_id) + "/history", params=_lang(lang))

    # --- Plumbing -------------------------------------------------------------------------

    def spec(self) -> dict[str, Any]:
        """The served OpenAPI document."""
        return self._call("GET", "/openapi.json")

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> AdvisorClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _call(self, method: str, path: str, *, idempotency_key: str | None = None,
              if_match: int | None = None, **kwargs: Any) -> Any:
        url = f"{self.base_url}{API_PREFIX}{path}"
        headers = {} if idempotency_key is None else {"Idempotency-Key": idempotency_key}
        if if_match is not None:
            headers["If-Match"] = f'"{int(if_match)}"'   # the ETag of that version
        if idempotency_key is None:
            response = self.session.request(method, url, timeout=self.timeout, headers=headers, **kwargs)
        else:
            response = self._retried(method, url, headers, kwargs)
        if response.status_code >= 400:
            raise AdvisorAPIError(response.status_code, _problem(response), method=method, url=url)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()


    def _retried(self, method: str, url: str, headers: dict[str, str], kwargs: dict[str, Any]) -> requests.Response:
        """A request that is safe to repeat (it carries an Idempotency-Key), repeated as GETs are:
        after a connection error or a 502/503/504, with backoff, honouring Retry-After."""
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self.session.request(method, url, timeout=self.timeout, headers=headers, **kwargs)
            except requests.ConnectionError:
                if last:
                    raise
                response = None
            if response is not None and (response.status_code not in RETRY_STATUSES or last):
                return response
            after = response.headers.get("Retry-After", "") if response is not None else ""
            time.sleep(min(int(after), 60) if after.isascii() and after.isdigit() else
                       self.backoff_factor * (2 ** attempt))
        raise AssertionError("unreachable")


def _lang(lang: str | None) -> dict[str, str]:
    return {"lang": lang} if lang else {}


def _body(answers: Answers | None, **optional: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"answers": dict(answers or {})}
    body.update({key: value for key, value in optional.items() if value is not None})
    return body


def _fields(**optional: Any) -> dict[str, Any]:
    return {key: value for key, value in optional.items() if value is not None}


def _collaboration(collaboration_id: str) -> str:
    return f"/collaborations/{quote(str(collaboration_id), safe='')}"


def _response(collaboration_id: str, respondent_id: str) -> str:
    return f"{_collaboration(collaboration_id)}/responses/{quote(str(respondent_id), safe='')}"


def _invitation(token: str) -> str:
    return f"/invitations/{quote(str(token), safe='')}"


def _assessment(assessment_id: str) -> str:
    return f"/assessments/{quote(str(assessment_id), safe='')}"


def _problem(response: requests.Response) -> dict[str, Any]:
    """The problem-details body, or one made from the status when the body is not JSON."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    return {"type": "about:blank", "title": response.reason or "Error",
            "status": response.status_code, "detail": response.text[:500]}
