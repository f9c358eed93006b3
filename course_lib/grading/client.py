"""nbclient whose kernel replies cannot be missed: the executor behind ``make course``, the grader and the tests.

Why this exists. nbclient waits for a cell's ``execute_reply`` with ONE long poll of the shell
socket (``timeout`` seconds: an hour in ``make course``). That poll rests on pyzmq's asyncio
socket, which learns of new messages through ZeroMQ's *edge-triggered* file descriptor; when
that wake-up is missed, the poll sleeps on although the reply has arrived, and reads it only
when its time-out expires (pyzmq then looks once more). We measured it on notebook 06's
``playground.show()`` cell (an ``ipywidgets.interact`` with a figure; nbclient 0.11, pyzmq
27.3, ipykernel 7.4): cells up to the ring of Gaussians stuck there in 2 of 6 runs, and a
notebook of 20 such cells stuck in 7 of 10 runs. Each time the kernel was idle and had sent
the reply: reading the client's shell socket directly found that very ``execute_reply``
waiting in it. Other projects report the same symptom on cells with widgets
(jupyter/nbclient#312, ssciwr/lunch-time-python#102; pyzmq#2173 discusses missed wake-ups).
``benchmarks/missed_replies.py`` measures it with both clients.

The fix is at the level where the wait happens: every ``get_msg`` of the client's shell and
iopub channels is cut into polls of at most :data:`POLL_SLICE` seconds. Each new poll first
asks the socket whether a message is waiting (pyzmq does that before it sleeps), so a missed
wake-up now costs at most one slice instead of the whole cell time-out, and a real time-out
still ends when the caller's ``timeout`` says.
"""
from __future__ import annotations

import time
from queue import Empty

from jupyter_core.utils import run_sync
from nbclient import NotebookClient

__all__ = ["POLL_SLICE", "ReliableNotebookClient", "sliced_get_msg"]

POLL_SLICE = 1.0   # seconds: the longest a reply can sit unnoticed in the socket


def sliced_get_msg(get_msg, slice_seconds: float = POLL_SLICE):
    """Wrap an async ``get_msg(timeout=None)`` so that it never waits on one poll for longer than ``slice_seconds``.

    ``timeout=None`` waits for ever (in slices); a number waits that long in total, then
    raises ``queue.Empty`` as the original does.
    """
    if not slice_seconds > 0:
        raise ValueError(f"slice_seconds must be a positive number of seconds, got {slice_seconds!r}")

    async def get_msg_in_slices(timeout: float | None = None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                return await get_msg(timeout=slice_seconds if left is None else min(slice_seconds, left))
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    get_msg_in_slices.sliced = get_msg    # marks a wrapped channel, and keeps the original
    return get_msg_in_slices


class ReliableNotebookClient(NotebookClient):
    """A :class:`nbclient.NotebookClient` whose shell and iopub waits are polled in slices (see the module)."""

    poll_slice = POLL_SLICE

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        self.slice_waits(kc)
        return kc

    def slice_waits(self, kc) -> None:
        """Make the kernel client's shell and iopub ``get_msg`` poll in slices of ``poll_slice`` seconds."""
        for channel in (kc.shell_channel, kc.iopub_channel):
            if not hasattr(channel.get_msg, "sliced"):
                channel.get_msg = sliced_get_msg(channel.get_msg, self.poll_slice)

    start_new_kernel_client = run_sync(async_start_new_kernel_client)
