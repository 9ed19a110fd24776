"""The worker thread: requests preempt background work between its chunks; cancellation is per document."""

from __future__ import annotations

import asyncio
import threading
import time

from compilot.lsp.worker import Worker


def chunked_job(done: list[int], started: threading.Event, chunks: int = 50, chunk_s: float = 0.02):
    """A background prefill stand-in: `chunks` pieces of work, stopping between two when preempted and going on
    from where it stopped when run again."""

    def job(preempt: threading.Event) -> bool:
        started.set()
        while len(done) < chunks:
            if preempt.is_set():
                return False
            time.sleep(chunk_s)
            done.append(len(done))
        return True

    return job


def test_a_request_preempts_background_work_which_then_goes_on():
    async def main():
        worker = Worker()
        done: list[int] = []
        started = threading.Event()
        worker.background(chunked_job(done, started))
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 5)
        await asyncio.sleep(0.1)
        chunks_before = len(done)
        seen_by_request = await worker.run(lambda: len(done))
        for _ in range(100):
            if len(done) == 50:
                break
            await asyncio.sleep(0.05)
        worker.shutdown()
        return chunks_before, seen_by_request, done

    chunks_before, seen_by_request, done = asyncio.run(main())
    assert 0 < chunks_before < 50
    assert seen_by_request <= chunks_before + 1  # the request waited for one chunk at most
    assert done == list(range(50))  # resumed after the request, each chunk done once


def test_background_work_due_while_a_request_waits_runs_after_it():
    async def main():
        worker = Worker()
        gate = threading.Event()
        done: list[int] = []
        started = threading.Event()
        order: list[str] = []
        running = asyncio.ensure_future(worker.run(gate.wait, 5))
        await asyncio.sleep(0.05)
        worker.background(chunked_job(done, started, chunks=3))  # queued while a request runs...
        waiting = asyncio.ensure_future(worker.run(lambda: order.append(f"request saw {len(done)}")))
        await asyncio.sleep(0.05)
        gate.set()
        await running
        await waiting
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 5)
        await asyncio.sleep(0.3)
        worker.shutdown()
        return order, done

    order, done = asyncio.run(main())
    assert order == ["request saw 0"]  # the request that waited went first
    assert done == [0, 1, 2]


def test_a_cancelled_request_that_never_started_releases_the_preemption():
    async def main():
        worker = Worker()
        gate = threading.Event()
        first = asyncio.ensure_future(worker.run(gate.wait, 5))
        second = asyncio.ensure_future(worker.run(lambda: "never"))
        await asyncio.sleep(0.05)
        second.cancel()
        gate.set()
        await first
        await asyncio.sleep(0.05)
        preempted = worker.preempt.is_set()
        worker.shutdown()
        return preempted

    assert asyncio.run(main()) is False


def test_an_edit_cancels_only_its_own_documents_generation():
    worker = Worker()
    a = worker.new_generation("file:///a.java")
    worker.cancel_generation("file:///b.java")
    assert not a.is_set()
    worker.cancel_generation("file:///a.java")
    assert a.is_set()
    b = worker.new_generation("file:///b.java")
    c = worker.new_generation("file:///c.java")  # the newest request wins
    assert b.is_set() and not c.is_set()
    worker.shutdown()
