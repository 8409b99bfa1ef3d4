"""Driving the pass: the logs cut into tasks, run in worker processes (or here, for small logs), in log order.

A plain file is split at line boundaries into byte ranges that workers read themselves; a compressed file is
decompressed by the parent and shipped as blocks. Results come back in log order, with at most twice as many
tasks in flight as there are workers.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from .chunk import ChunkAnalyzer
from .logparse import byte_ranges, compressed_blocks, opener, read_range
from .parts import Config, TaskResult

_worker: ChunkAnalyzer | None = None


def _init_worker(config: Config) -> None:
    global _worker
    _worker = ChunkAnalyzer(config)


def _task_block(task) -> bytes:
    """A task's bytes: a range of a plain file (read by the worker), or a block already decompressed."""
    return read_range(*task[1:]) if task[0] == "range" else task[1]


def _run_task(task) -> TaskResult:
    return _worker.run(_task_block(task))


@dataclass
class FileInfo:
    path: str
    compressed: bool
    bytes: int
    lines: int = 0
    blank: int = 0
    malformed: int = 0
    first: int | None = None
    last: int | None = None
    warning: str | None = None


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _tasks(files, openers, infos, task_bytes):
    """(file index, task) in log order; a damaged compressed file records its warning and stops early."""
    for fi, (path, open_fn) in enumerate(zip(files, openers)):
        if open_fn is None:
            for start, end in byte_ranges(path, infos[fi].bytes, task_bytes):
                yield fi, ("range", str(path), start, end)
        else:
            for block, error in compressed_blocks(path, open_fn, task_bytes):
                if block:
                    yield fi, ("bytes", block)
                if error:
                    infos[fi].warning = f"stopped reading: {error}"


def _start_method() -> str:
    """fork when it is safe (no other thread could hold a lock in the child), else forkserver/spawn, which
    re-import the caller's __main__ and so need its `if __name__ == "__main__":` guard."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def _in_pool(tasks, config: Config, workers: int):
    """(file index, TaskResult) of each task, run by `workers` processes, in the order of `tasks`."""
    ctx = multiprocessing.get_context(_start_method())
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(config,)) as ex:
        pending = deque()
        for fi, task in tasks:
            pending.append((fi, ex.submit(_run_task, task)))
            while len(pending) > 2 * workers:
                fi0, fut = pending.popleft()
                yield fi0, fut.result()
        while pending:
            fi0, fut = pending.popleft()
            yield fi0, fut.result()


def run_pass(files, config: Config, *, workers: int | None = None, task_bytes: int = 16 << 20):
    """(file infos, generator of (file index, TaskResult) in log order). Worker processes are used when
    the input is big enough to pay for starting them; small logs are analysed in this process."""
    openers = [opener(p) for p in files]
    infos = [FileInfo(str(p), fn is not None, p.stat().st_size) for p, fn in zip(files, openers)]
    workers = default_workers() if workers is None else max(1, workers)
    total = sum(i.bytes * (8 if i.compressed else 1) for i in infos)
    tasks = _tasks(files, openers, infos, task_bytes)
    if workers == 1 or total < 2 * task_bytes:
        analyzer = ChunkAnalyzer(config)
        return infos, ((fi, analyzer.run(_task_block(task))) for fi, task in tasks)
    return infos, _in_pool(tasks, config, workers)
