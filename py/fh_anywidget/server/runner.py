"""Where widget Python runs in server mode: in a pool of threads (``threads``, default 8), not on
the event loop, so that a handler that computes for seconds holds up only its own page; or, with
``threads=0``, on the event loop (a little faster per message; one slow handler stalls everyone)."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor

from .connection import OUTGOING_SECONDS, Connection, Outgoing, outgoing

QUICK_WAIT_SECONDS = 0.001
"""How long the event loop waits for a widget handler before it serves other pages meanwhile."""


class Runner:
    """Runs one page message's handler; its answers wait in the connection's outbox for the
    reader's flush that follows (a send from the thread reaches the outbox before :meth:`run`
    returns: both go through the event loop's queue, in order)."""

    def __init__(self, threads: int) -> None:
        if not isinstance(threads, int) or isinstance(threads, bool) or threads < 0:
            raise ValueError(f"[fh-anywidget] server_threads must be a whole number, 0 or more; got {threads!r} "
                             "(0 runs the widgets' Python on the event loop)")
        self.executor = ThreadPoolExecutor(threads, thread_name_prefix="fh-anywidget") if threads else None

    async def run(self, connection: Connection, work: Callable[[], None]) -> None:
        connection.reading = True
        try:
            if self.executor is None:
                work()
                return
            loop = asyncio.get_running_loop()
            kept = Outgoing(loop)

            def running_long() -> None:  # what it sent so far goes now; the rest as it comes
                connection.reading = False
                kept.release(wake=True)

            timer = loop.call_later(OUTGOING_SECONDS, running_long)
            run = contextvars.copy_context().run
            try:
                future = self.executor.submit(run, _in_thread, kept, work)
                # Most handlers take well under a millisecond: wait for those here, with the
                # GIL released (one thread wake-up instead of a trip through the event loop's
                # queue); a longer one is awaited, and the loop serves the other pages meanwhile.
                done, _ = futures.wait([future], timeout=QUICK_WAIT_SECONDS)
                if done:
                    future.result()
                else:
                    await asyncio.wrap_future(future)
            finally:
                timer.cancel()
                kept.release()
        finally:
            connection.reading = False


def _in_thread(kept: Outgoing, work: Callable[[], None]) -> None:
    outgoing.set(kept)  # in this call's own context (copied by run)
    work()
