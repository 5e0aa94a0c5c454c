"""What keeps an ingest run alive and stoppable while it works on a batch (issue 15).

- Membership: a batch may take long (a record near its CPU budget, a worker being replaced). While
  the stages wait for the workers, `RunGuard.tick` keeps the consumer's group membership alive
  (`Source.keep_alive`: pause the partitions and poll), so a slow batch never outlives the
  consumer's max poll interval and the member is never evicted for it.
- Stops: SIGINT/SIGTERM (Ctrl-C, systemd's stop, both sent to the whole process group) set a flag.
  The batch in hand is abandoned at the next tick (not landed, not committed: it is read again by
  the next run); a batch already validated is landed and committed; then the run ends normally.
  Workers ignore both signals (tasks.workers) and are stopped by this process.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from newsflow.source import Source
from newsflow.tasks.workers import wait_hook

# How often the consumer polls (partitions paused) while a batch is being worked on: well inside
# any max poll interval, and cheap (no records come back from paused partitions).
KEEP_ALIVE_EVERY_S = 3.0


class StopRequested(Exception):
    """A stop signal arrived while a batch was in hand: the batch is abandoned, not landed."""


class RunGuard:
    """Stop requests and the consumer's keep-alive for one ingest run."""

    def __init__(self, source: Source, on_stop: Callable[[str], None] | None = None):
        self._source = source
        self._on_stop = on_stop
        self.stop_requested = False
        self.signal_name: str | None = None
        self._kept_alive = time.monotonic()
        # The consumer is used only from the thread that runs the batch loop: a stage running on
        # a task-runner thread checks for stops but leaves the keep-alive to that thread.
        self._consumer_thread = threading.current_thread()

    def install(self) -> None:
        """Handle SIGINT and SIGTERM (only possible in the main thread; elsewhere a no-op)."""
        if threading.current_thread() is not threading.main_thread():
            return
        signal.signal(signal.SIGTERM, self._handle)
        signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum: int, frame: Any) -> None:
        self.stop_requested = True
        self.signal_name = signal.Signals(signum).name
        if self._on_stop is not None:
            self._on_stop(self.signal_name)

    def tick(self) -> None:
        """Called while a batch is being worked on: raise StopRequested after a stop signal, and
        keep the group membership alive."""
        if self.stop_requested:
            raise StopRequested(f"{self.signal_name or 'stop'} received")
        if threading.current_thread() is not self._consumer_thread:
            return
        if time.monotonic() - self._kept_alive >= KEEP_ALIVE_EVERY_S:
            self._source.keep_alive()
            self._kept_alive = time.monotonic()

    @contextmanager
    def working(self) -> Iterator[None]:
        """Around the stages of one batch: ticks while workers are busy; raises StopRequested at
        once if a stop was requested before the batch was started."""
        self.tick()
        self._kept_alive = time.monotonic()
        with wait_hook(self.tick):
            yield
