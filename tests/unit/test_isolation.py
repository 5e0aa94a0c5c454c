"""One bad record costs itself: exceptions, CPU and memory bounds and dying workers, per record."""

from __future__ import annotations

import hashlib
import os
import signal
import time
from collections.abc import Iterator

import pytest

from newsflow.tasks.workers import Bounds, RecordFailure, WorkerPool, map_in_workers, set_bounds, wait_hook

SMALL = Bounds(cpu_seconds=1.0, memory_bytes=400 * 1024 * 1024)


def behave(items: list[str]) -> list[str]:
    """The stage under test: each item names what it does to its worker."""
    out = []
    for item in items:
        if item == "raise":
            raise ValueError("bad record")
        if item == "spin":  # pure Python: the worker's own CPU timer stops it
            while True:
                pass
        if item == "c_call":  # one C call that never checks for signals (about a minute): only the
            hashlib.pbkdf2_hmac("sha256", b"p", b"s", 100_000_000)  # parent's hard limit stops it
        if item == "eat":  # grows until the memory cap
            blocks = []
            while True:
                blocks.append(bytearray(20 * 1024 * 1024))
                time.sleep(0.005)
        if item == "segfault":
            os.kill(os.getpid(), signal.SIGSEGV)
        out.append(item.upper())
    return out


@pytest.fixture(scope="module")
def pool() -> Iterator[WorkerPool]:
    set_bounds(SMALL)
    running = WorkerPool(2, warm=False)
    running.wait_ready()
    yield running
    running.close()
    set_bounds(Bounds())


def _kinds(values: list) -> list[str]:  # type: ignore[type-arg]
    return [v.kind if isinstance(v, RecordFailure) else v for v in values]


def test_an_exception_fails_its_record_only(pool: WorkerPool) -> None:
    items = ["a", "b", "raise", "c"] * 5
    values = pool.map(behave, items, "clean")
    assert _kinds(values) == ["A", "B", "ValueError", "C"] * 5
    failure = values[2]
    assert isinstance(failure, RecordFailure)
    assert failure.reason == "clean failed: ValueError: bad record"
    assert failure.label == "clean:ValueError"


def test_pure_python_over_budget_is_stopped_inside_the_worker(pool: WorkerPool) -> None:
    deaths = pool.deaths
    assert _kinds(pool.map(behave, ["a", "spin", "b"], "extract")) == ["A", "cpu_budget", "B"]
    assert pool.deaths == deaths  # the worker survived its record


@pytest.mark.parametrize(("item", "kind"), [("c_call", "cpu_budget"), ("eat", "memory_cap"),
                                            ("segfault", "worker_died")])
def test_a_record_that_kills_its_worker_twice_is_quarantined(pool: WorkerPool, item: str, kind: str) -> None:
    deaths = pool.deaths
    items = ["a", "b", item, "c", "d"]
    values = pool.map(behave, items, "extract")
    assert _kinds(values) == ["A", "B", kind, "C", "D"]
    assert "twice" in values[2].message  # type: ignore[union-attr]
    assert pool.deaths == deaths + 2  # once in its chunk, once alone; both workers replaced
    assert _kinds(pool.map(behave, ["e", "f"], "extract")) == ["E", "F"]  # the pool still works


def test_in_process_isolates_exceptions_and_the_soft_budget() -> None:
    set_bounds(SMALL)
    try:
        assert _kinds(map_in_workers(behave, ["a", "raise", "spin", "b"], 0, "enrich")) == [
            "A", "ValueError", "cpu_budget", "B"]
    finally:
        set_bounds(Bounds())


def test_wait_hook_can_abandon_a_map(pool: WorkerPool) -> None:
    class Stop(Exception):
        pass

    def stop() -> None:
        raise Stop

    started = time.monotonic()
    with wait_hook(stop), pytest.raises(Stop):
        pool.map(behave, ["spin", "spin"], "extract")
    assert time.monotonic() - started < 5
    assert _kinds(pool.map(behave, ["a"], "extract")) == ["A"]  # busy workers were replaced


class CountingSource:
    """Stands in for the consumer: counts keep-alive polls."""

    kept_alive = 0

    def keep_alive(self) -> None:
        self.kept_alive += 1


def test_a_stop_request_abandons_the_batch_and_keep_alive_is_paced() -> None:
    from newsflow.supervision import RunGuard, StopRequested

    source = CountingSource()
    guard = RunGuard(source)  # type: ignore[arg-type]
    with guard.working():
        guard.tick()  # right after the start: no keep-alive poll yet
    assert source.kept_alive == 0
    guard._kept_alive -= 10  # as if the batch had been working for 10 s
    guard.tick()
    assert source.kept_alive == 1
    guard._handle(signal.SIGTERM, None)
    with pytest.raises(StopRequested, match="SIGTERM"), guard.working():
        pass


def test_drain_does_not_report_success_for_batches_it_did_not_land() -> None:
    from newsflow.flows.ingest import RunTotals, UnlandedWork, unlanded_work_error

    unlanded_work_error(RunTotals())  # nothing read and not landed: an ordinary stop
    with pytest.raises(UnlandedWork, match="not landed"):
        unlanded_work_error(RunTotals(redone_batches=2))


def test_only_the_consumers_thread_keeps_the_consumer_alive() -> None:
    """kafka-python's consumer is not thread-safe: a stage ticking on a task-runner thread checks
    for stops but leaves the keep-alive poll to the batch loop's thread."""
    import threading

    from newsflow.supervision import RunGuard, StopRequested

    source = CountingSource()
    guard = RunGuard(source)  # type: ignore[arg-type]
    guard._kept_alive -= 10  # due for a keep-alive
    errors: list[BaseException] = []

    def tick_elsewhere() -> None:
        try:
            guard.tick()
        except BaseException as error:  # noqa: BLE001 - handed to the test's thread
            errors.append(error)

    worker = threading.Thread(target=tick_elsewhere)
    worker.start()
    worker.join()
    assert source.kept_alive == 0 and errors == []
    guard.tick()
    assert source.kept_alive == 1
    guard._handle(signal.SIGTERM, None)  # a stop is still seen from any thread
    worker = threading.Thread(target=tick_elsewhere)
    worker.start()
    worker.join()
    assert len(errors) == 1 and isinstance(errors[0], StopRequested)
