"""Micro-batching: concurrent requests share model calls instead of each calling the model alone.

Requests enqueue their texts and await a future. One worker task drains the queue: it takes what
is waiting (waiting at most ``max_wait_s`` for more once the first text arrives, and never more
than ``max_batch`` texts), runs one model call in a worker thread so the event loop never blocks,
and hands each request its rows. While the model runs, new requests pile up and form the next
batch, so under load batches fill by themselves (the pattern of NVIDIA Triton's dynamic batcher).
A call is shared max-min fairly between the waiting requests (:func:`fair_shares`), so one huge
request cannot hold the model for everyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from service.domain.ports import Embedder


@dataclass(slots=True)
class _Job:
    texts: Sequence[str]
    future: asyncio.Future[NDArray[np.float32]]
    taken: int = 0
    parts: list[NDArray[np.float32]] = field(default_factory=list)


def fair_shares(jobs: Sequence[_Job], room: int) -> list[int]:
    """Texts each job gets in the next call: max-min fair (water-filling) over ``room``.

    Every job gets an equal share, and what a small job does not need goes to the others, so
    a request of a few paragraphs is never queued behind all of a huge one's (a 400-paragraph
    article held a small one back for 45 s: issue 13). Shares are in job order.
    """
    remaining = [len(j.texts) - j.taken for j in jobs]
    shares = [0] * len(jobs)
    while room > 0:
        open_ = [i for i, r in enumerate(remaining) if r > shares[i]]
        if not open_:
            break
        each = max(1, room // len(open_))
        for i in open_:
            give = min(each, remaining[i] - shares[i], room)
            shares[i] += give
            room -= give
            if room == 0:
                break
    return shares


class BatchingEmbedder:
    """Async front of an :class:`Embedder` that merges concurrent calls into shared batches."""

    def __init__(self, embedder: Embedder, max_batch: int = 64, max_wait_s: float = 0.002) -> None:
        self._embedder = embedder
        self._max_batch = max_batch
        self._max_wait_s = max_wait_s
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self.calls = 0
        self.texts = 0
        self.busy_s = 0.0  # wall seconds spent inside model calls

    @property
    def dim(self) -> int:
        """Vector dimension of the wrapped embedder."""
        return self._embedder.dim

    async def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Embed ``texts`` (shape ``(len(texts), dim)``, input order), sharing model calls."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._run(), name="embed-batcher")
        job = _Job(texts, asyncio.get_running_loop().create_future())
        await self._queue.put(job)
        return await job.future

    async def close(self) -> None:
        """Stop the worker; pending jobs fail with CancelledError."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        while not self._queue.empty():
            self._queue.get_nowait().future.cancel()

    async def _gather(self, pending: list[_Job]) -> None:
        """Add to ``pending`` every job already queued, then more for up to ``max_wait_s``."""
        if not pending:
            pending.append(await self._queue.get())
        while not self._queue.empty():  # everyone already waiting gets a share now
            pending.append(self._queue.get_nowait())
        deadline = asyncio.get_running_loop().time() + self._max_wait_s
        while sum(len(j.texts) - j.taken for j in pending) < self._max_batch:
            timeout = deadline - asyncio.get_running_loop().time()
            if timeout <= 0:
                break
            try:
                pending.append(await asyncio.wait_for(self._queue.get(), timeout))
            except TimeoutError:
                break

    async def _run(self) -> None:
        pending: list[_Job] = []
        while True:
            await self._gather(pending)
            # Cut one batch of at most max_batch texts, shared fairly across the pending jobs.
            batch: list[str] = []
            slices: list[tuple[_Job, int, int]] = []
            for job, count in zip(pending, fair_shares(pending, self._max_batch), strict=True):
                if count:
                    part = list(job.texts[job.taken : job.taken + count])
                    slices.append((job, len(batch), len(part)))
                    batch.extend(part)
            try:
                vectors = await self._encode_timed(batch)
            except Exception as exc:  # a model failure fails its jobs, not the worker
                for job, _, _ in slices:
                    if not job.future.done():
                        job.future.set_exception(exc)
                pending = [j for j in pending if not j.future.done()]
                continue
            self.calls += 1
            self.texts += len(batch)
            # Smallest jobs are resolved first: awaiting requests resume in this order, so a
            # short article finished in the same call reaches the write lock before a huge one.
            for job, start, count in sorted(slices, key=lambda s: len(s[0].texts)):
                job.parts.append(vectors[start : start + count])
                job.taken += count
                if job.taken == len(job.texts) and not job.future.done():
                    job.future.set_result(np.concatenate(job.parts))
            pending = [j for j in pending if not j.future.done()]

    async def _encode_timed(self, batch: list[str]) -> NDArray[np.float32]:
        """One model call in a worker thread, its wall time added to :attr:`busy_s`."""
        started = time.perf_counter()
        try:
            return await asyncio.to_thread(self._embedder.encode, batch)
        finally:
            self.busy_s += time.perf_counter() - started
