"""Chunked request bodies through live gunicorn on 127.0.0.1, sent on a raw socket (the Flask
test client never chunks): over the limit is a 413, broken chunking a 400, and a body within
the limit arrives whole, exactly as for bodies with a Content-Length."""

from __future__ import annotations

import json
import socket

import pytest

from tests.test_storage_concurrency import gunicorn  # noqa: F401  (the fixture)

ANSWERS = {"scope": "individual_cases", "horizon": "months", "change_type": "known_route",
           "domains": ["care", "welfare"], "partners": 3, "budget": "none"}
MIB = 1024 * 1024


def send(base: str, path: str, chunks: list[bytes], *, raw_tail: bytes | None = None) -> tuple[int, dict, bytes]:
    """POST `chunks` with Transfer-Encoding: chunked; (status, headers, body) of the answer.
    `raw_tail` replaces the proper ending (the last chunk) with bytes of the test's choosing."""
    host, port = base.removeprefix("http://").split(":")
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode()
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks)
    body += raw_tail if raw_tail is not None else b"0\r\n\r\n"
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall(head)
        try:
            sock.sendall(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer 413 and close before reading it all
        answer = b""
        while True:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            answer += data
    head_part, _, payload = answer.partition(b"\r\n\r\n")
    lines = head_part.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers, payload


def split(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


@pytest.mark.live
def test_chunked_bodies_are_limited_checked_and_whole(gunicorn):  # noqa: F811
    base, _database = gunicorn
    padding = "x" * (3 * MIB)
    too_large = json.dumps({"answers": ANSWERS, "label": padding}).encode()
    status, headers, body = send(base, "/api/v1/assessments", split(too_large, 64 * 1024))
    assert status == 413, body[:300]
    assert headers["Content-Type"].startswith("application/problem+json")

    # Valid JSON in its first MiB: cut at the limit, it used to be accepted as if it were whole.
    padded = json.dumps({"answers": ANSWERS}).encode() + b" " * (3 * MIB)
    status, _, body = send(base, "/api/v1/advice", split(padded, 64 * 1024))
    assert status == 413, body[:300]

    status, _, body = send(base, "/api/v1/advice", [b'{"answers": '], raw_tail=b"zz\r\n}\r\n0\r\n\r\n")
    assert status == 400, body[:300]
    assert b"chunked request body is malformed" in body

    whole = json.dumps({"lang": "en", "answers": ANSWERS}).encode()
    status, _, body = send(base, "/api/v1/advice", split(whole, 7))
    assert status == 200, body[:300]
    assert json.loads(body)["recommended"] == "informal"

    label = "gesplitst " * 15
    status, _, body = send(base, "/api/v1/assessments", split(json.dumps(
        {"answers": ANSWERS, "label": label.strip()}).encode(), 5))
    assert status == 201, body[:300]
    assert json.loads(body)["label"] == label.strip()
