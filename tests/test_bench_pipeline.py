"""`python bench/pipeline.py --items N --json`, the load bench's interface, on a few items: the hub, the
generator process and the engine alone, and the fields later checks read."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.e2e


def test_the_pipeline_bench_prints_its_figures_and_loses_nothing() -> None:
    command = [sys.executable, "bench/pipeline.py", "--items", "6", "--engine-items", "8", "--engine-batch", "4"]
    run = subprocess.run([*command, "--json"], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout)
    for field in ("items", "pipeline_items_per_s", "engine_items_per_s", "ratio", "p50_ms", "p95_ms", "p99_ms"):
        assert result[field] is not None, field
    assert (result["items"], result["lost"], result["doubled"]) == (6, 0, 0)
    assert result["pipeline_items_per_s"] > 0 and result["engine"]["single_items_per_s"] > 0
    assert result["stages"]["cpu_ms_per_item"] > 0, "the hub's processes were measured"
    assert result["ratio"] == pytest.approx(result["pipeline_items_per_s"] / result["engine_items_per_s"], abs=0.01)
