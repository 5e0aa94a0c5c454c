"""The CLI against a real (embedded) broker: missing topics, the broker's own lifecycle."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsflow.broker import free_port
from newsflow.cli import main
from newsflow.config import KafkaSettings
from newsflow.preflight import kafka_topics
from tests.integration.kafka_helpers import ROOT

pytestmark = [pytest.mark.kafka]


def test_ingest_refuses_a_topic_that_does_not_exist(broker: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["ingest", "--bootstrap-servers", broker, "--topic", "no.such.topic", "--output", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert "topic 'no.such.topic' does not exist" in err and err.count("\n") == 1
    assert "no.such.topic" not in kafka_topics(KafkaSettings(bootstrap_servers=broker))  # not created either
    assert not list(tmp_path.iterdir())


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def _start_broker(port: int) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, "-m", "newsflow.cli", "broker", "--port", str(port)],
                               cwd=ROOT, env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("  export KAFKA_BOOTSTRAP_SERVERS"):
            break
    return process, "".join(lines)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_broker_stops_its_tansu_child_on_a_signal(stop_signal: signal.Signals) -> None:
    port = free_port()
    process, banner = _start_broker(port)
    try:
        assert f"listening on 127.0.0.1:{port}" in banner and "in memory" in banner
        tansu = _children(process.pid)
        assert len(tansu) == 1 and _alive(tansu[0])
        process.send_signal(stop_signal)
        assert process.wait(timeout=30) == 0
        deadline = time.monotonic() + 10
        while _alive(tansu[0]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(tansu[0]), "Tansu outlived `newsflow broker`"
        with socket.socket() as probe:  # the port is free again
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1", port))
    finally:
        process.kill()


def test_broker_killed_outright_takes_tansu_with_it() -> None:
    """SIGKILL cannot be handled: the kernel's parent-death signal stops Tansu instead."""
    process, _ = _start_broker(free_port())
    tansu = _children(process.pid)
    assert len(tansu) == 1
    process.kill()
    process.wait(timeout=30)
    deadline = time.monotonic() + 10
    while _alive(tansu[0]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(tansu[0])


def test_broker_on_a_taken_port_fails_clearly(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["broker", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"port {port} is already in use" in err
