"""Dispatching tasks to workers: a local process pool, or a Dask ``distributed`` cluster, one code path.

Both are :class:`concurrent.futures.Executor` s (``distributed.Client.get_executor()`` is one), so the loop
in :func:`graded` is the same for both: at most ``window`` tasks are submitted at a time, records are yielded
in the order they are finished, and a worker that dies costs only the tasks it held (records that are not
final, so the next run grades them again).
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, ProcessPoolExecutor, wait

from ..record import SubmissionRecord
from ..sandbox.limits import limit_this_process
from .worker import Task, grade_task


class Workers:
    """Where tasks run: ``jobs`` local processes, or the Dask cluster whose scheduler is at ``scheduler``
    (``tcp://host:8786``; every worker needs the course installed, and one thread: ``--nthreads 1``). Each
    grading process's address space is limited to ``memory_mb`` (0: no limit; on a cluster, the Dask worker
    process as a whole)."""

    def __init__(self, jobs: int, scheduler: str | None = None, memory_mb: int = 0):
        self.jobs, self.scheduler, self.client, self.memory_mb = max(1, jobs), scheduler, None, memory_mb
        if scheduler:
            try:
                from distributed import Client
            except ImportError:
                raise RuntimeError(
                    "--scheduler needs Dask's distributed: pip install 'minitorch-ad[cluster]'"
                ) from None
            self.client = Client(scheduler, timeout="30s")
            self.jobs = max(1, sum(self.client.nthreads().values()))
            if memory_mb:
                self.client.run(limit_this_process, memory_mb)
        self.executor = self._start()

    def describe(self) -> str:
        return f"Dask cluster at {self.scheduler} ({self.jobs} threads)" if self.client else f"{self.jobs} processes"

    def _start(self) -> Executor:
        if self.client is not None:
            return self.client.get_executor(pure=False)
        # Fresh interpreters (as on a cluster): nothing of the parent's state leaks into a grading process.
        return ProcessPoolExecutor(
            self.jobs,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_setup,
            initargs=(self.memory_mb,),
        )

    def restart(self) -> None:
        """A new pool after one of its processes died (the old one takes every task it held with it)."""
        self._stop(wait=False)
        self.executor = self._start()

    def close(self, interrupted: bool = False) -> None:
        """Stop; when ``interrupted``, abandon the tasks being graded (their records are simply not written)."""
        self._stop(wait=not interrupted)
        if self.client is not None:
            self.client.close()
        elif interrupted:
            for child in multiprocessing.active_children():
                child.kill()  # the sandboxed processes under it die with it (PR_SET_PDEATHSIG)

    def _stop(self, wait: bool) -> None:
        if self.client is not None:
            self.executor.shutdown(wait=wait)  # Dask's executor cancels what it holds unless it waits
        else:
            self.executor.shutdown(wait=wait, cancel_futures=True)


def _worker_setup(memory_mb: int) -> None:
    """A local grading process: Ctrl-C is for the parent to handle, the process dies with the parent, and its
    memory is limited to ``memory_mb`` (0: not limited)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if memory_mb:
        limit_this_process(memory_mb)
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


def graded(
    tasks: Iterable[Task], workers: Workers, grade: Callable[[Task], SubmissionRecord] = grade_task
) -> Iterator[SubmissionRecord]:
    """Grade the tasks on the workers; yield each record as soon as it is finished."""
    pending = iter(tasks)
    running: dict[Future, Task] = {}
    window = 2 * workers.jobs  # enough to keep every worker busy, few to abandon on Ctrl-C
    while True:
        for task in itertools.islice(pending, max(0, window - len(running))):
            running[workers.executor.submit(grade, task)] = task
        if not running:
            return
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        broken = False
        for future in done:
            task = running.pop(future)
            try:
                yield future.result()
            except BrokenExecutor as exc:
                broken = True
                yield task.record(f"the grading process died ({exc}); graded again by the next run", final=False)
            except Exception as exc:
                yield task.record(f"the grading worker failed: {type(exc).__name__}: {exc}", final=False)
        if broken:
            workers.restart()


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
