"""A temporary Prefect API for `newsflow ingest` when PREFECT_API_URL is not set, that survives
the run's own stop signal.

Prefect starts its temporary server as a child in the caller's process group, so Ctrl-C (SIGINT
to the whole group) or systemd's stop (SIGTERM to the whole control group) kills the server while
the flow is still reporting the batch in hand: in stream mode the run then hung. Here the server
runs in its own session (group signals do not reach it), is stopped by this process at exit (after
Prefect has sent its last logs to it: stopping it earlier made the exit wait on those), and dies
with this process if it is killed (PR_SET_PDEATHSIG), so it is never left behind.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

PR_SET_PDEATHSIG = 1

# Prefect's server records each task-run event in its own transaction by default (batch size 1):
# about 30 ms of server CPU per task run, which for a stream of one-event batches (five task runs
# each) was more CPU than the NLP itself, taken from the same cores. Written 25 at a time (or every
# second), the server's CPU per five task runs fell from 138 to 63 ms (docs/speed.md); the UI
# shows a task run's state up to a second later. The user's own settings win.
SERVER_DEFAULTS = {
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "25",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "1",
}


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _server_class() -> Any:
    import prefect
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import get_current_settings

    class DetachedServer(SubprocessASGIServer):
        """Prefect's temporary server, started in its own session."""

        def _run_uvicorn_command(self) -> subprocess.Popen[Any]:
            server_env = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
            return subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--app-dir", str(prefect.__module_path__.parent), "--factory",
                 "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(self.port),
                 "--log-level", "error", "--lifespan", "on"],
                env={**SERVER_DEFAULTS, **os.environ, **server_env,
                     **get_current_settings().to_environment_variables(exclude_unset=True)},
                start_new_session=True,
                preexec_fn=_die_with_parent,  # noqa: PLW1509  (only prctl: safe between fork and exec)
            )

    return DetachedServer


@contextmanager
def prefect_api() -> Iterator[None]:
    """Use PREFECT_API_URL if set; otherwise run a detached temporary server for the block."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if PREFECT_API_URL.value():
        yield
        return
    server = _server_class()()
    server.start()  # stopped at exit (Prefect registers that), after its log handler has flushed
    with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
        yield
