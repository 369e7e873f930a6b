"""Engines: where the per-document work of a build runs.

An engine maps a function over a stream of work items and yields the results **in the
order of the items**, keeping only a bounded number of items in flight, so that a build
streams a corpus of any size through a fixed amount of memory and writes its tables in a
deterministic order whatever the number of workers.

- ``InlineEngine`` — this process, one item after another (``--jobs 1``).
- ``LocalEngine`` — a pool of worker processes on this machine (``--jobs N``).
- ``DaskEngine`` — the workers of a ``dask.distributed`` cluster (``--engine dask``): a
  ``LocalCluster`` when no scheduler address is given, else the cluster at that address.

``fn`` must be importable by name (a module-level function) so that worker processes and
remote workers can run it; its arguments and results must pickle.
"""
from __future__ import annotations

import itertools
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

ENGINES = ("local", "dask")


def default_jobs() -> int:
    """All the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _n_jobs(jobs: int | None) -> int:
    """jobs as asked (None or 0: every core), at least 1."""
    return max(1, int(jobs or default_jobs()))


class Engine:
    """Base: ordered, bounded ``imap``; subclasses provide ``_submit`` and ``_wait``."""

    name = "engine"
    workers = 1

    def imap(self, fn: Callable, items: Iterable, window: int | None = None) -> Iterator:
        """``fn(item)`` for every item, yielded in item order. At most ``window`` items are
        submitted and not yet yielded at any time (default: twice the workers, plus one)."""
        window = max(1, window or 2 * self.workers + 1)
        pending: deque = deque()
        for item in items:
            pending.append(self._submit(fn, item))
            if len(pending) >= window:
                yield self._wait(pending.popleft())
        while pending:
            yield self._wait(pending.popleft())

    def _submit(self, fn: Callable, item: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _wait(self, handle: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:
        return f"{self.name} ({self.workers} worker{'s' if self.workers != 1 else ''})"

    def close(self, abort: bool = False) -> None:
        """Release the workers; ``abort``: stop work in progress rather than wait for it."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(abort=exc_type is not None)


class InlineEngine(Engine):
    """No pool: the work runs in this process, item after item."""

    name = "inline"
    workers = 1

    def imap(self, fn: Callable, items: Iterable, window: int | None = None) -> Iterator:
        for item in items:
            yield fn(item)


def _mp_context():
    methods = multiprocessing.get_all_start_methods()
    # forkserver: workers start from a clean single-threaded server (no fork of a process
    # that runs threads, such as the progress display); spawn where it is not available.
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["tongji.preload"])  # imported and warmed once, before the workers fork
        return ctx
    return multiprocessing.get_context("spawn")


class LocalEngine(Engine):
    """A pool of ``jobs`` worker processes, started on first use.

    A stream of a single item runs in this process: a pool is not worth starting for it.
    The workers start in the background (the fork server loads tongji first: about half a
    second) while this process runs the first items itself.
    """

    name = "local"

    def __init__(self, jobs: int | None = None):
        self.workers = _n_jobs(jobs)
        self._pool = None
        self._starting = None  # the thread that starts the pool
        self._failed: BaseException | None = None

    def imap(self, fn: Callable, items: Iterable, window: int | None = None) -> Iterator:
        it = iter(items)
        head = list(itertools.islice(it, 2))
        if len(head) < 2 or self.workers == 1:
            for item in itertools.chain(head, it):
                yield fn(item)
            return
        self._start()
        it = itertools.chain(head, it)
        for item in it:
            if not self._starting.is_alive():  # the workers are up: on to them
                yield from super().imap(fn, itertools.chain([item], it), window)
                return
            yield fn(item)

    def _start(self) -> None:
        """Start the pool in a thread: starting a process waits for the fork server."""
        import threading

        if self._starting is None:
            self._starting = threading.Thread(target=self._make_pool, name="tongji-start-workers",
                                              daemon=True)
            self._starting.start()

    def _make_pool(self) -> None:
        import time
        from concurrent.futures import ProcessPoolExecutor

        try:
            with _worker_environment():
                pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=_mp_context(),
                                           initializer=_watch_parent, initargs=(os.getpid(),))
                # a process is started when a task is sent and none is idle (none has returned
                # a result it was not given a task for): a short task for each
                for task in [pool.submit(time.sleep, 0.05) for _ in range(self.workers)]:
                    task.result()
            self._pool = pool
        except BaseException as e:  # raised where the pool is needed
            self._failed = e

    def _submit(self, fn: Callable, item: Any):
        self._start()
        self._starting.join()
        if self._pool is None:
            raise RuntimeError("the worker processes did not start") from self._failed
        return self._pool.submit(fn, item)

    def _wait(self, handle):
        return handle.result()

    def close(self, abort: bool = False) -> None:
        if self._starting is not None:
            self._starting.join()
        pool, self._pool, self._starting = self._pool, None, None
        if pool is None:
            return
        if abort:  # an error or Ctrl-C: do not wait for the pages in progress
            procs = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for p in procs:
                if p.is_alive():
                    p.terminate()
            for p in procs:
                p.join(timeout=5)
        else:
            pool.shutdown(wait=True, cancel_futures=True)


class DaskEngine(Engine):
    """The workers of a dask.distributed cluster.

    ``scheduler``: address of a running scheduler (``tcp://host:8786``); when None a
    ``LocalCluster`` of ``workers`` processes (threads when ``processes=False``) is started
    and stopped with the engine. Workers read the input pages themselves, so the input
    paths must name the same files on every worker (shared storage); only this process
    writes the output.
    """

    name = "dask"

    def __init__(self, scheduler: str | None = None, workers: int | None = None,
                 processes: bool = True, client=None):
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as e:  # pragma: no cover - depends on the install
            raise RuntimeError("the dask engine needs dask.distributed: "
                               "pip install 'tongji[dask]'") from e
        import logging

        self._cluster = None
        self._own_client = client is None
        if client is not None:
            self.client = client
        elif scheduler:
            self.client = Client(scheduler, set_as_default=False)
        else:
            n = _n_jobs(workers)
            self._cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=processes,
                                         dashboard_address=None, silence_logs=logging.ERROR)
            self.client = Client(self._cluster, set_as_default=False)
        self.address = scheduler or self.client.scheduler.address
        self.workers = max(1, sum(self.client.nthreads().values()))

    def describe(self) -> str:
        where = "local cluster" if self._cluster is not None else self.address
        return f"dask at {where} ({self.workers} thread{'s' if self.workers != 1 else ''})"

    def _submit(self, fn: Callable, item: Any):
        return self.client.submit(fn, item, pure=False)

    def _wait(self, handle):
        try:
            return handle.result()
        finally:
            handle.release()

    def close(self, abort: bool = False) -> None:
        if self._own_client:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


# Arrow's memory pool in the worker processes (unless the environment names one): pyarrow's
# jemalloc hands freed pages back to the system at once; its default, mimalloc, kept them, and
# a worker, which makes and drops Arrow tables chunk after chunk and then makes observations,
# held 50-100 MB more (same speed). Only the environment chooses the pool of Arrow's own C++
# code (the Parquet reader and writer, compute functions): pa.set_memory_pool does not.
WORKER_ARROW_POOL = "jemalloc"


@contextmanager
def _worker_environment():
    """The environment the fork server (and so every worker) starts with: ARROW_DEFAULT_MEMORY_POOL
    set to WORKER_ARROW_POOL where pyarrow has that pool. Restored afterwards."""
    key = "ARROW_DEFAULT_MEMORY_POOL"
    before = os.environ.get(key)
    if before is None and _has_arrow_pool(WORKER_ARROW_POOL):
        os.environ[key] = WORKER_ARROW_POOL
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(key, None)


def _has_arrow_pool(name: str) -> bool:
    import pyarrow as pa

    try:
        getattr(pa, f"{name}_memory_pool")()
    except (AttributeError, NotImplementedError):
        return False
    return True


def _watch_parent(build_pid: int) -> None:
    """In each worker process: exit when the build process is gone (killed, or stopped
    without a chance to stop its workers), even in the middle of a long page."""
    import threading
    import time

    def watch():
        while True:
            time.sleep(1.0)
            try:
                os.kill(build_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except OSError:
                pass

    threading.Thread(target=watch, name="tongji-watch-parent", daemon=True).start()


def make_engine(engine: str | Engine = "local", jobs: int | None = None,
                scheduler: str | None = None) -> Engine:
    """An engine by name: ``local`` (``jobs`` processes; 1 runs inline) or ``dask``."""
    if isinstance(engine, Engine):
        return engine
    if engine == "local":
        if scheduler:
            raise ValueError("--scheduler needs --engine dask")
        n = _n_jobs(jobs)
        return InlineEngine() if n == 1 else LocalEngine(n)
    if engine == "dask":
        return DaskEngine(scheduler=scheduler, workers=jobs)
    raise ValueError(f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")
