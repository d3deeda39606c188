"""How long the collaboration overview takes as respondents are added (in process, SQLite, the
built-in rules): GET /api/v1/collaborations/<id> without and with what would change the combined
advice, and GET .../history. Prints figures only.

    .venv/bin/python bench/collaboration_overview.py [REPEATS]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from advisor import create_app  # noqa: E402

ANSWERS = {"scope": "ongoing_task", "horizon": "years", "change_type": "known_goal",
           "domains": ["care", "welfare"], "partners": 6, "budget": "one_off"}
VARIANTS = [{"trust": t, "horizon": h} for t in ("high", "moderate", "low") for h in ("years", "permanent")]


def median_ms(client, url: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return statistics.median(times)


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"SECRET_KEY": "bench", "INSTANCE_DIR": instance, "RATELIMIT_ENABLED": False,
                          "PLUGINS_ENTRY_POINTS": False})
        client = app.test_client()
        created = client.post("/api/v1/collaborations", json={"name": "Bench"}).get_json()
        url, token = created["url"], created["invitation"]["token"]
        print(f"{'respondents':>11} {'overview ms':>12} {'+alternatives ms':>17} {'history ms':>11}")
        answered = 0
        for count in (1, 3, 10, 30):
            for n in range(answered, count):
                added = client.post(f"/api/v1/invitations/{token}/responses",
                                    json={"label": f"Partner {n}", "answers": {**ANSWERS, **VARIANTS[n % len(VARIANTS)]}})
                assert added.status_code == 201, added.get_json()
            answered = count
            print(f"{count:>11} {median_ms(client, url, repeats):>12.1f} "
                  f"{median_ms(client, url + '?alternatives=true', repeats):>17.1f} "
                  f"{median_ms(client, url + '/history', repeats):>11.1f}")


if __name__ == "__main__":
    main()
