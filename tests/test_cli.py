"""The first README command: `prodops up` runs the whole hub with its demo data, and stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from libs.runtime.settings import SERVICES
from prodops.hub import free_port_block

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]

PRODOPS = str(Path(sys.executable).with_name("prodops"))


def start_up(data_dir: Path, port: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PRODOPS_KAFKA_SESSION_TIMEOUT_MS": "2000", "PRODOPS_KAFKA_HEARTBEAT_INTERVAL_MS": "500"}
    env.pop("PRODOPS_KAFKA_BOOTSTRAP", None)
    return subprocess.Popen(
        [PRODOPS, "up", "--data-dir", str(data_dir), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def read_until(process: subprocess.Popen[str], marker: str, timeout: float = 240.0) -> str:
    assert process.stdout is not None
    seen = []
    deadline = time.monotonic() + timeout
    for line in process.stdout:
        seen.append(line)
        if marker in line:
            return "".join(seen)
        assert time.monotonic() < deadline, "".join(seen)
    raise AssertionError(f"`prodops up` ended before {marker!r}:\n{''.join(seen)}")


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    return output


def token(data_dir: Path) -> str:
    created = subprocess.run(
        [PRODOPS, "token", "create", "--role", "viewer"],
        env={**os.environ, "PRODOPS_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        check=True,
    )
    return created.stdout.strip()


def test_up_serves_the_demo_and_a_second_up_reuses_the_data(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "data", free_port_block(len(SERVICES))
    hub = start_up(data_dir, port)
    try:
        banner = read_until(hub, "Ctrl-C stops everything")
        assert f"http://127.0.0.1:{port}" in banner and "420 feedback items" in banner
        headers = {"Authorization": f"Bearer {token(data_dir)}"}
        deadline = time.monotonic() + 180
        while True:
            # A gateway folding the demo on two busy cores may take a while to answer: wait, do not fail.
            overview = httpx.get(f"http://127.0.0.1:{port}/api/v1/overview", headers=headers, timeout=60).json()
            if overview["total"] == 420 and overview["sentiment"]["sample_size"] == 420:
                break
            assert time.monotonic() < deadline, overview
            time.sleep(1)
        assert set(overview["by_source"]) >= {"intercom", "zendesk", "github", "gong", "salesforce"}
        assert overview["volume"]["last_7_days"] > 0, "the demo is dated up to yesterday"
    finally:
        output = stop(hub)
    assert "Stopped." in output

    again = start_up(data_dir, port)
    try:
        banner = read_until(again, "Ctrl-C stops everything")
        assert "already loaded" in banner
        items = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/feedback",
            params={"limit": 1},
            headers={"Authorization": f"Bearer {token(data_dir)}"},
        ).json()
        assert items["total"] == 420, "the read model survived the restart, nothing doubled"
    finally:
        stop(again)
