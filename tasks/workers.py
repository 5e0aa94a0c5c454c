"""Worker processes for the per-article work of a micro-batch, with one record's failure isolated.

Cleaning, parsing, extraction and enrichment of one article do not depend on any other article, so
a stage splits its batch into contiguous chunks and maps a module-level function over them in a
pool of worker processes; results come back in order. The pool lives as long as the process: each
worker loads spaCy once. Parsed docs never cross processes: a worker returns the extracted rows.

This module is also the one place where a bad record is isolated (issue 15). Every item of a
mapped stage comes back either as its result or as a `RecordFailure` (stage, kind, message), and
the pipeline quarantines the article with that reason; nothing a record does stops the others:

- An exception while handling a chunk makes the worker redo that chunk one item at a time; the
  item that raises again is a failure of kind `<ExceptionType>`.
- CPU: each item gets `cpu_seconds` of CPU per stage. Inside the worker an ITIMER_PROF timer raises
  `CpuBudgetExceeded` at a bytecode boundary (kind `cpu_budget`). Code stuck inside one C call
  (a regex, the tokenizer) never reaches such a boundary, so the parent also watches the worker's
  CPU time and kills it `HARD_GRACE` later.
- Memory: the parent reads each busy worker's resident memory every `WATCH_S` and kills a worker
  above `memory_bytes` (kind `memory_cap`).
- A worker that dies (killed for a bound, OOM-killed by the kernel, a segfault) is replaced; the
  unfinished records of its chunk are retried each alone, and a record whose lone retry kills a
  worker again is a failure (`cpu_budget`, `memory_cap` or `worker_died`).

A chunk runs first as a whole (the fast path: spaCy's `pipe` batches its documents), under one
item's budget; only a chunk that fails or overruns is redone item by item, so the normal path
costs what it did before isolation. `workers=0` runs the same loop in the calling process:
exceptions and (in the main thread) the soft CPU budget are isolated, memory and hard kills are not.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Several chunks per worker, so the last chunks to finish (one long article, say) leave the other
# workers idle only briefly; a chunk costs about a millisecond to send.
CHUNKS_PER_WORKER = 8
# How often the parent looks at its workers' CPU and memory while it waits for them.
WATCH_S = 0.1
# A worker whose item runs this long past its CPU budget (so the in-worker timer could not stop
# it) is killed: a fraction of the budget, at least 2 s.
HARD_GRACE_FRACTION = 0.5
HARD_GRACE_MIN_S = 2.0
# How often the wait hook (the flow's keep-alive and stop check) runs while workers are busy.
HOOK_EVERY_S = 1.0
MESSAGE_CHARS = 500
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Bounds:
    """What one record may cost per stage: CPU seconds, and the resident memory of its worker."""

    cpu_seconds: float = 60.0
    memory_bytes: int = 1536 * 1024 * 1024

    @property
    def hard_cpu_seconds(self) -> float:
        return self.cpu_seconds + max(HARD_GRACE_MIN_S, HARD_GRACE_FRACTION * self.cpu_seconds)


@dataclass(frozen=True)
class RecordFailure:
    """Why one record could not go through a stage; the article is quarantined with this reason."""

    stage: str
    kind: str  # an exception's type name | cpu_budget | memory_cap | worker_died
    message: str

    @property
    def label(self) -> str:
        return f"{self.stage}:{self.kind}"

    @property
    def reason(self) -> str:
        return f"{self.stage} failed: {self.kind}: {self.message}"


class CpuBudgetExceeded(Exception):
    """Raised inside a record's work when its CPU budget is spent."""


_bounds = Bounds()
_wait_hook: Callable[[], None] | None = None


def set_bounds(bounds: Bounds) -> None:
    """The bounds every later map uses (set once per run from the settings)."""
    global _bounds
    _bounds = bounds


def current_bounds() -> Bounds:
    return _bounds


@contextlib.contextmanager
def wait_hook(hook: Callable[[], None]) -> Iterator[None]:
    """Call `hook` about every HOOK_EVERY_S while a map waits for its workers.

    The ingest flow keeps its consumer-group membership alive there, and checks for a stop
    request: an exception raised by the hook abandons the map (its busy workers are killed)."""
    global _wait_hook
    previous, _wait_hook = _wait_hook, hook
    try:
        yield
    finally:
        _wait_hook = previous


# ----------------------------------------------------------------------------- the work itself


_budget_in_force = 0.0


def _over_budget(signum: int, frame: Any) -> None:
    raise CpuBudgetExceeded(f"used its CPU budget of {_budget_in_force:g} s")


@contextlib.contextmanager
def _cpu_budget(seconds: float) -> Iterator[None]:
    """Raise CpuBudgetExceeded once this process has spent `seconds` of CPU inside the block.
    Signals only reach the main thread: elsewhere the block runs unbounded (the parent's hard
    limit still applies to workers)."""
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return
    global _budget_in_force
    _budget_in_force = seconds
    previous = signal.signal(signal.SIGPROF, _over_budget)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _message(exc: BaseException) -> str:
    text = str(exc) or repr(exc)
    return text if len(text) <= MESSAGE_CHARS else text[:MESSAGE_CHARS] + "…"


def _failure_kind(exc: BaseException) -> str:
    return "cpu_budget" if isinstance(exc, CpuBudgetExceeded) else type(exc).__name__


def _work(
    function: Callable[[list[T]], list[R]], items: list[T], cpu_seconds: float, whole: bool = True
) -> Iterator[tuple]:
    """Run `function` over a chunk, yielding progress messages (the same in a worker, where they
    go to the parent, and in-process):

    ("items",) the chunk is being redone item by item; ("item", i) item i starts;
    ("result", i, value); ("failed", i, kind, message); ("done", values | None)."""
    if whole and len(items) > 1:
        try:
            with _cpu_budget(cpu_seconds):
                values = function(items)
            yield ("done", values)
            return
        except Exception:  # noqa: BLE001  (some item is bad: find which, one by one)
            yield ("items",)
    for i, item in enumerate(items):
        yield ("item", i)
        try:
            with _cpu_budget(cpu_seconds):
                value = function([item])[0]
        except Exception as exc:  # noqa: BLE001  (the record's failure is data: it is quarantined)
            yield ("failed", i, _failure_kind(exc), _message(exc))
            continue
        yield ("result", i, value)
    yield ("done", None)


def run_here(function: Callable[[list[T]], list[R]], items: Sequence[T], stage: str) -> list[R | RecordFailure]:
    """The isolation loop in this process (workers=0)."""
    out: list[R | RecordFailure] = []
    for message in _work(function, list(items), _bounds.cpu_seconds):
        if message[0] == "done" and message[1] is not None:
            return list(message[1])
        if message[0] == "result":
            out.append(message[2])
        elif message[0] == "failed":
            out.append(RecordFailure(stage, message[2], message[3]))
    return out


# ----------------------------------------------------------------------------- worker processes


def _exit_with_parent(parent: int) -> None:
    """A worker outlives a SIGKILLed parent otherwise (nothing tells it), holding memory and the
    parent's stdout/stderr: it checks once a second and exits when its parent is gone."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _warm_up() -> None:
    """Load the model, the cleaners' and the enrichment's lazy state before the first batch
    arrives, then exempt all of it from garbage collection."""
    from newsflow.tasks.clean import warm_up as warm_up_cleaning
    from newsflow.tasks.enrich import warm_up as warm_up_enrichment
    from newsflow.tasks.nlp import load_nlp

    load_nlp()
    warm_up_cleaning()
    warm_up_enrichment()
    # Millions of long-lived objects (model, vocabulary, gazetteer) would otherwise be traversed
    # by every full collection: measured 1.1 s instead of 0.2 s for extracting 52 parsed docs.
    gc.freeze()


def _worker_main(connection: Connection, parent: int, warm: bool = True) -> None:
    # Ctrl-C and systemd's stop signal the whole process group: the parent decides what happens
    # to the batch in hand and stops its workers itself, so workers ignore both.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True, name="exit-with-parent").start()
    if warm:
        _warm_up()
    connection.send(("ready",))
    while True:
        try:
            task = connection.recv()
        except (EOFError, OSError):
            os._exit(0)
        if task is None:
            os._exit(0)
        function, items, cpu_seconds = task
        _send_work(connection, _work(function, items, cpu_seconds), function, items, cpu_seconds)


def _send_work(connection: Connection, messages: Iterator[tuple], function: Callable, items: list,
               cpu_seconds: float) -> None:
    for message in messages:
        try:
            connection.send(message)
        except Exception as exc:  # noqa: BLE001  (a result that cannot be pickled)
            if message[0] == "result":
                connection.send(("failed", message[1], type(exc).__name__, _message(exc)))
            elif message[0] == "done" and message[1] is not None:
                # The chunk's results as a whole could not be sent: send them item by item.
                _send_work(connection, _work(function, items, cpu_seconds, whole=False), function, items,
                           cpu_seconds)
            else:
                raise


def _cpu_seconds_of(pid: int) -> float:
    """User + system CPU of a process, from /proc (no psutil)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def _resident_bytes_of(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * _PAGE_BYTES
    except (OSError, IndexError, ValueError):
        return 0


@dataclass
class _Task(Generic[T]):
    """A chunk of a map: the items' positions in the map's input, and the items."""

    positions: list[int]
    items: list[T]
    alone: bool = False  # a retry after a worker died: dying again condemns the record


@dataclass
class _Running:
    task: _Task
    cpu_start: float
    done: set[int] = field(default_factory=set)  # indexes into task.items
    current: int | None = None


class _Worker:
    def __init__(self, parent: int, warm: bool):
        context = multiprocessing.get_context("spawn")  # the parent holds threads a fork would copy mid-flight
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, parent, warm), daemon=True,
                                       name="newsflow-worker")
        self.process.start()
        child.close()
        self.ready = False
        self.running: _Running | None = None
        self.kill_reason: str | None = None

    def kill(self, reason: str) -> None:
        self.kill_reason = reason
        with contextlib.suppress(OSError):
            self.process.kill()

    def stop(self, timeout: float = 2.0) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.connection.send(None)
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(1.0)
        self.connection.close()


def _exit_description(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit code {exitcode}"


class WorkerPool:
    """`size` worker processes, replaced when they die, mapping stage functions with isolation."""

    def __init__(self, size: int, warm: bool = True):
        """warm: load the model and the cleaners' state in each worker before its first task
        (off only in tests of the pool itself)."""
        self.size = size
        self._warm = warm
        self._parent = os.getpid()
        self._workers = [_Worker(self._parent, warm) for _ in range(size)]
        self.deaths = 0

    def _replace(self, worker: _Worker) -> None:
        worker.process.join(1.0)
        worker.connection.close()
        self._workers[self._workers.index(worker)] = _Worker(self._parent, self._warm)
        self.deaths += 1

    def close(self) -> None:
        for worker in self._workers:
            worker.stop()
        self._workers = []

    def kill_all(self) -> None:
        for worker in self._workers:
            worker.kill("stopped")
        for worker in self._workers:
            worker.process.join(2.0)
            worker.connection.close()
        self._workers = []

    def wait_ready(self, timeout: float = 300.0) -> None:
        """Block until every worker has loaded its model (tests and the benchmark)."""
        deadline = time.monotonic() + timeout
        while not all(w.ready for w in self._workers) and time.monotonic() < deadline:
            self._receive(WATCH_S, "", {})

    def map(
        self, function: Callable[[list[T]], list[R]], items: Sequence[T], stage: str
    ) -> list[R | RecordFailure]:
        results: dict[int, R | RecordFailure] = {}
        pending: deque[_Task[T]] = deque(
            _Task(list(range(start, start + len(chunk))), chunk)
            for start, chunk in _chunk_starts(list(items), self.size)
        )
        hook_at = time.monotonic() + HOOK_EVERY_S
        watch_at = time.monotonic()
        try:
            while pending or any(w.running for w in self._workers):
                for worker in self._workers:
                    if worker.ready and worker.running is None and pending:
                        self._start(worker, pending.popleft(), function)
                if self._receive(WATCH_S, stage, results) or time.monotonic() >= watch_at:
                    self._watch(pending, stage, results)
                    watch_at = time.monotonic() + WATCH_S
                if _wait_hook is not None and time.monotonic() >= hook_at:
                    _wait_hook()
                    hook_at = time.monotonic() + HOOK_EVERY_S
        except BaseException:
            # Abandoned (a stop request, Ctrl-C): busy workers hold work nobody will collect.
            for worker in list(self._workers):
                if worker.running is not None:
                    worker.kill("abandoned")
                    self._replace(worker)
            raise
        return [results[i] for i in range(len(items))]

    def _start(self, worker: _Worker, task: _Task, function: Callable) -> None:
        worker.running = _Running(task, _cpu_seconds_of(worker.process.pid or 0))
        worker.connection.send((function, task.items, _bounds.cpu_seconds))

    def _receive(self, timeout: float, stage: str, results: dict) -> bool:
        """Handle what the workers sent within `timeout`; True if a worker process ended."""
        connections = {w.connection: w for w in self._workers}
        sentinels = {w.process.sentinel: w for w in self._workers}
        ended = False
        for ready in wait([*connections, *sentinels], timeout):
            worker = connections.get(ready)  # type: ignore[call-overload]
            if worker is None:
                ended = True  # a death is handled by _watch, after its last messages are read
                continue
            while worker.connection.poll():
                try:
                    message = worker.connection.recv()
                except (EOFError, OSError):
                    break
                self._handle(worker, message, stage, results)
        return ended

    def _handle(self, worker: _Worker, message: tuple, stage: str, results: dict) -> None:
        kind = message[0]
        if kind == "ready":
            worker.ready = True
            return
        running = worker.running
        if running is None:
            return
        positions = running.task.positions
        if kind == "items" or kind == "item":
            # A fresh budget from here: the parent's hard limit follows the worker's own timer.
            running.cpu_start = _cpu_seconds_of(worker.process.pid or 0)
            running.current = message[1] if kind == "item" else None
        elif kind == "result":
            results[positions[message[1]]] = message[2]
            running.done.add(message[1])
        elif kind == "failed":
            results[positions[message[1]]] = RecordFailure(stage, message[2], message[3])
            running.done.add(message[1])
        elif kind == "done":
            if message[1] is not None:
                for position, value in zip(positions, message[1], strict=True):
                    results[position] = value
            worker.running = None

    def _watch(self, pending: deque, stage: str, results: dict) -> None:
        """Kill busy workers over a bound; replace dead workers and requeue or condemn their work."""
        for worker in list(self._workers):
            pid = worker.process.pid or 0
            if worker.process.is_alive():
                if worker.running is None:
                    continue
                if _resident_bytes_of(pid) > _bounds.memory_bytes:
                    worker.kill("memory_cap")
                elif _cpu_seconds_of(pid) - worker.running.cpu_start > _bounds.hard_cpu_seconds:
                    worker.kill("cpu_budget")
                else:
                    continue
                worker.process.join(5.0)
            # The worker is dead: read what it managed to send, then account for the rest.
            with contextlib.suppress(EOFError, OSError):
                while worker.connection.poll():
                    self._handle(worker, worker.connection.recv(), stage, results)
            if not worker.ready and worker.running is None:
                raise RuntimeError(f"a worker process died while starting "
                                   f"({_exit_description(worker.process.exitcode)})")
            running, worker.running = worker.running, None
            if running is not None:
                self._after_death(worker, running, pending, stage, results)
            self._replace(worker)

    def _after_death(self, worker: _Worker, running: _Running, pending: deque, stage: str, results: dict) -> None:
        unfinished = [i for i in range(len(running.task.items)) if i not in running.done]
        cause = worker.kill_reason or "worker_died"
        if running.task.alone and len(unfinished) == 1:
            what = {
                "memory_cap": f"its worker went over the memory cap of {_bounds.memory_bytes // 2**20} MiB",
                "cpu_budget": f"it used over {_bounds.hard_cpu_seconds:.0f} s of CPU in one call "
                              f"(budget {_bounds.cpu_seconds:.0f} s)",
            }.get(cause, f"its worker process died ({_exit_description(worker.process.exitcode)})")
            results[running.task.positions[unfinished[0]]] = RecordFailure(
                stage, cause, f"{what}, twice: the second time alone")
            return
        for i in unfinished:
            pending.append(_Task([running.task.positions[i]], [running.task.items[i]], alone=True))


def _chunk_starts(items: list[T], workers: int) -> list[tuple[int, list[T]]]:
    out, start = [], 0
    for chunk in chunks(items, workers):
        out.append((start, chunk))
        start += len(chunk)
    return out


_pools: dict[int, WorkerPool] = {}


def pool(workers: int) -> WorkerPool:
    if workers not in _pools:
        _pools[workers] = WorkerPool(workers)
        atexit.register(shutdown)
    return _pools[workers]


def shutdown(kill: bool = False) -> None:
    """Stop every pool's workers (at exit, and on a stop request with kill=True)."""
    while _pools:
        _, running = _pools.popitem()
        running.kill_all() if kill else running.close()


def start_workers(workers: int) -> None:
    """Start the pool now, without waiting: its workers load spaCy while the flow joins the
    consumer group, instead of inside the first batch."""
    if workers >= 1:
        pool(workers)


def chunks(items: Sequence[T], workers: int) -> list[list[T]]:
    if not items:
        return []
    n_chunks = min(len(items), max(1, workers) * CHUNKS_PER_WORKER)
    size = -(-len(items) // n_chunks)
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def map_in_workers(
    function: Callable[[list[T]], list[R]], items: Sequence[T], workers: int, stage: str = "map"
) -> list[R | RecordFailure]:
    """function(items) with each item isolated: its result, or a RecordFailure saying why not.

    Computed in `workers` processes (even for one item: the flow's own process then never loads
    the model), or in this process when workers is 0. Order is kept. `function` maps a list to a
    list of the same length and must be importable by name (it is pickled by reference)."""
    if not items:
        return []
    if workers <= 0:
        return run_here(function, items, stage)
    return pool(workers).map(function, items, stage)


def successes(values: list[R | RecordFailure]) -> list[R]:
    """The results of a map that cannot fail (bare NLP in the benchmark); raises on a failure."""
    for value in values:
        if isinstance(value, RecordFailure):
            raise RuntimeError(value.reason)
    return values  # type: ignore[return-value]
