"""Group commit: one thread writes queued audit entries in batches, one transaction per batch.

A caller's future resolves to its entry's index only after the batch's transaction committed, so
an index is never handed out for an entry that could still be lost. Batching needs no waiting:
while one batch commits, the next one fills (``max_wait`` can hold a batch open a little longer
for more company).
"""

from __future__ import annotations

import atexit
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future

from veil.audit._entry import AuditEntry
from veil.errors import StorageError, VeilError

WriteBatch = Callable[[Sequence[AuditEntry]], list[int]]
_STOP = object()


class Sequencer:
    """Queues entries and commits them in batches of up to ``max_batch`` from one writer thread."""

    def __init__(self, write: WriteBatch, *, max_batch: int = 100, max_wait: float = 0.0) -> None:
        if max_batch < 1 or max_wait < 0:
            raise ValueError("max_batch must be positive and max_wait not negative")
        self._write = write
        self.max_batch = max_batch
        self.max_wait = max_wait
        self._queue: queue.SimpleQueue[tuple[AuditEntry, Future[int]] | object] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="veil-audit-sequencer", daemon=True)
        self._thread.start()
        atexit.register(self.close)  # entries submitted without waiting still get written at exit

    def submit(self, entry: AuditEntry) -> Future[int]:
        """Queue ``entry``; the future gives its index once it is durable."""
        future: Future[int] = Future()
        with self._lock:
            if self._closed:
                raise StorageError("the audit log is closed")
            self._queue.put((entry, future))
        return future

    def close(self) -> None:
        """Write what is queued, then stop the writer thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        self._thread.join()
        atexit.unregister(self.close)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch, stopping = self._next_batch()
            if batch:
                self._commit(batch)

    def _next_batch(self) -> tuple[list[tuple[AuditEntry, Future[int]]], bool]:
        item = self._queue.get()
        if item is _STOP:
            return [], True
        batch = [item]
        deadline = time.monotonic() + self.max_wait
        while len(batch) < self.max_batch:
            try:
                timeout = deadline - time.monotonic()
                item = self._queue.get(timeout=timeout) if timeout > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                return _typed(batch), True
            batch.append(item)
        return _typed(batch), False

    def _commit(self, batch: list[tuple[AuditEntry, Future[int]]]) -> None:
        try:
            indexes = self._write([entry for entry, _ in batch])
        except VeilError as exc:
            for _, future in batch:
                future.set_exception(exc)
            return
        except Exception as exc:  # never let the writer thread die with callers waiting
            for _, future in batch:
                future.set_exception(StorageError(f"audit append failed ({type(exc).__name__})"))
            return
        for (_, future), index in zip(batch, indexes, strict=True):
            future.set_result(index)


def _typed(batch: list[object]) -> list[tuple[AuditEntry, Future[int]]]:
    return batch  # type: ignore[return-value]  # only (entry, future) pairs are queued besides _STOP
