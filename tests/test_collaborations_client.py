"""The client's collaboration calls against the app on a real 127.0.0.1 socket."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from advisor.client import AdvisorAPIError, AdvisorClient
from tests.test_client import serve
from tests.test_collaborations_api import GEMEENTE, SCHOOL, WIJKTEAM


@pytest.fixture
def api(app) -> Iterator[AdvisorClient]:
    for url in serve(app.wsgi_app):
        with AdvisorClient(url, timeout=10, retries=0) as client:
            yield client


def test_a_collaboration_from_creation_to_erasure(api):
    collaboration = api.create_collaboration("Wijkaanpak Noord", lang="en")
    token, cid = collaboration["invitation"]["token"], collaboration["id"]
    responses = [api.respond(token, label, answers)
                 for label, answers in (("Gemeente", GEMEENTE), ("Wijkteam", WIJKTEAM), ("School", SCHOOL))]
    seen = api.get_collaboration(cid, alternatives=True)
    assert seen["counted"] == 3 and seen["combined"]["advice"]["alternatives"]
    assert {f["id"] for f in seen["findings"]} >= {"divergent_trust"}
    assert api.update_collaboration(cid, name="Noord")["name"] == "Noord"
    assert api.update_response(cid, responses[2]["id"], label="Basisschool")["label"] == "Basisschool"
    api.delete_response(cid, responses[1]["id"])
    closed = api.close_round(cid, note="Evaluatie 2026")
    assert closed["closed"]["note"] == "Evaluatie 2026" and closed["round"] == 2
    history = api.collaboration_history(cid, lang="nl")
    assert [r["round"] for r in history["rounds"]] == [1, 2]
    with pytest.raises(AdvisorAPIError) as caught:
        api.respond(token, "Gemeente", {"horizon": "forever"})
    assert caught.value.status == 422 and "answers.horizon" in caught.value.errors
    api.delete_collaboration(cid)
    with pytest.raises(AdvisorAPIError) as caught:
        api.get_collaboration(cid)
    assert caught.value.status == 404
