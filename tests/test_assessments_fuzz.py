"""Malformed and hostile bodies on the assessments API: 4xx problems, never a 5xx, on both databases."""

from __future__ import annotations

import json
import math

from tests.test_fuzz_bodies import WEIRD_VALUES, bodies

BASE = "/api/v1/assessments"
COMPLETE = {"scope": "ongoing_task", "partners": 30}


def check(response, allowed: set[int]) -> int:
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    assert response.status_code in allowed, response.get_data(as_text=True)[:300]
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"
    return response.status_code


def send(client, method: str, url: str, body: object):
    data = json.dumps(body, allow_nan=True).encode("utf-8", "surrogatepass")
    return client.open(url, method=method, data=data, content_type="application/json")


def test_malformed_creates_and_patches_never_give_5xx(store_app):
    client = store_app.test_client()
    url = client.post(BASE, json={"answers": COMPLETE}).json["url"]
    seen: set[int] = set()
    for body in bodies(600):
        seen.add(check(client.post(BASE, data=body, content_type="application/json"), {201, 400, 413, 422}))
        seen.add(check(client.patch(url, data=body, content_type="application/json"), {200, 400, 413, 422}))
    assert {400, 422} <= seen


def test_hostile_labels_are_refused_or_stored_as_given(store_app):
    client = store_app.test_client()
    url = client.post(BASE, json={"answers": COMPLETE}).json["url"]
    for label in WEIRD_VALUES + ["tab\there", "nul\u0000byte", "\ud800", "x" * 200, "Wijkteam 🏘️ Noord"]:
        created = send(client, "POST", BASE, {"answers": COMPLETE, "label": label})
        if isinstance(label, float) and not math.isfinite(label):   # NaN/Infinity are not JSON: 400
            check(created, {400})
            check(send(client, "PATCH", url, {"label": label}), {400})
            continue
        if check(created, {201, 422}) == 201:
            assert created.json["label"] == label
            assert client.get(created.json["url"]).json["label"] == label
        else:
            assert "label" in created.json["errors"]
        check(send(client, "PATCH", url, {"label": label}), {200, 422})


def test_hostile_ids_in_the_path_are_404(store_app):
    client = store_app.test_client()
    for assessment_id in ["%00", "%ff", "' OR 1=1 --", "..%2F..%2Fetc", "a" * 5000, "%F0%9F%98%80" * 10]:
        check(client.get(f"{BASE}/{assessment_id}"), {404})
        check(client.delete(f"{BASE}/{assessment_id}"), {404})
