"""The benchmarks keep running: a quick pass of bench/engine on small generated packs.

Only that it runs and prints its figures is checked; speed is never asserted in tests.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_engine_quick_runs_and_prints_figures():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "engine"), "--quick", "--sizes", "10,100", "--startup", "1"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "engine.advise:" in out and "us/advice" in out
    assert "x per 10x" in out and "Start-up" in out and "MiB" in out
    assert "engine.advise_valid:" in out and "cold ms" in out and "warm ms" in out
    assert out.count("target:") == 3
    what_if = out.split("What would change the advice", 1)[1].split("Start-up", 1)[0]
    rows = [line.split() for line in what_if.splitlines()[2:] if line.strip() and "target:" not in line]
    assert [row[0] for row in rows] == ["built-in", "10", "100"]
    assert all(0 < float(row[3]) <= 400 for row in rows)   # evaluations stay within the bound


def test_bench_load_explains_itself():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load"), "--help"], capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0 and "--duration" in result.stdout


def test_bench_peers_explains_itself_and_names_its_peer():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "peers"), "--help"], capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0
    assert "--openfisca-venv" in result.stdout and "/calculate" in result.stdout


def test_bench_request_costs_takes_the_request_apart():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "request_costs"), "--requests", "20", "--rounds", "1"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    figures = {}
    for line in out.splitlines():
        label, _, number = line.strip().rpartition(" ")
        if label and number.replace(".", "", 1).lstrip("-").isdigit():
            figures[label.strip()] = float(number)
    for label in ("minimal Flask app (bench/minimal_app.py)", "real app, rate limiter counting",
                  "real app, rate limiter off", "the engine (advise_valid)", "encode the JSON"):
        assert figures.get(label, 0) > 0, (label, out)
    assert "rules fired" in out and "risks" in out


def test_bench_integrity_explains_itself():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "integrity.py"), "--help"], capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0 and "--database-url" in result.stdout and "--rounds" in result.stdout
