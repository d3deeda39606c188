"""A few thousand malformed bodies: every one gets a 4xx problem, none a 5xx."""

from __future__ import annotations

import json
import random

import pytest


WEIRD_VALUES = [
    None, True, False, 0, -1, 2**63, 10**400, 1.5, float("inf"), float("nan"), "", " ", "\u0000",
    "\ud800", "é" * 300, "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd",
    [], [None], [[]], {}, {"a": {}}, ["care", "care"], ["x"] * 50, "ongoing_task", "individual_cases",
    "\u202eRTL", "𝕦𝕟𝕚𝕔𝕠𝕕𝕖", "1", "500", 500, 501, 0.0, -0.0,
]
WEIRD_KEYS = ["scope", "partners", "", "__proto__", "answers", "scope ", "SCOPE", "\ud83d", "a" * 300,
              "youth.safety_plan", "constructor", "0"]


def bodies(count: int, seed: int = 20261123):
    rng = random.Random(seed)
    raw = [b"", b"{", b"}", b"[]", b"null", b"\"answers\"", b"{\"answers\": }", b"\xff\xfe\x00",
           b"{\"answers\": {\"scope\": \"ongoing_task\"}", b"[" * 100_000 + b"]" * 100_000,
           b"{\"answers\": " + b"{\"a\": " * 50_000 + b"1" + b"}" * 50_000 + b"}",
           b"{\"answers\": {\"partners\": 1" + b"0" * 5000 + b"}}", b"NaN", b"{\"answers\": NaN}",
           "{\"answers\": {\"scope\": \"\udc80\"}}".encode("utf-8", "surrogatepass")]
    yield from raw
    for _ in range(count - len(raw)):
        shape = rng.random()
        if shape < 0.5:
            answers = {rng.choice(WEIRD_KEYS): rng.choice(WEIRD_VALUES) for _ in range(rng.randint(0, 6))}
            body = {"answers": answers}
            if rng.random() < 0.3:
                body["lang"] = rng.choice(WEIRD_VALUES)
        elif shape < 0.7:
            body = {"answers": rng.choice(WEIRD_VALUES)}
        elif shape < 0.85:
            body = rng.choice(WEIRD_VALUES)
        else:
            text = json.dumps({"answers": {"scope": "ongoing_task", "partners": rng.randint(-5, 600)}})
            cut = rng.randint(0, len(text))
            yield text[:cut].encode() + bytes([rng.randint(0, 255)]) + text[cut:].encode()
            continue
        yield json.dumps(body, allow_nan=True).encode("utf-8", "surrogatepass")


@pytest.mark.parametrize("route", ["/api/v1/advice"])
def test_malformed_bodies_never_give_5xx(mini_app, route):
    client = mini_app.test_client()
    seen: dict[int, int] = {}
    for body in bodies(3000):
        response = client.post(route, data=body, content_type="application/json")
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        assert response.status_code < 500, (body[:200], response.get_data(as_text=True)[:300])
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json"
    assert set(seen) <= {200, 400, 413, 422}
    assert seen.get(400) and seen.get(422)
