"""course_lib.grading.client: a kernel reply that arrives while its wake-up is lost is still read.

The hang this guards against (notebook 06 waiting an hour for an ``execute_reply`` that sat
in the client's socket) is intermittent, so the tests make it certain: a channel whose first
poll is *deaf* (it sleeps its whole time-out and reports nothing although the message is
there), as a missed edge-triggered wake-up behaves.
"""
import asyncio
import time
from queue import Empty

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError
from nbformat.v4 import new_code_cell, new_notebook

from course_lib.grading import execute, grade
from course_lib.grading.client import POLL_SLICE, ReliableNotebookClient, sliced_get_msg


class FakeChannel:
    """``get_msg(timeout)`` that misses the message on its first ``deaf`` calls, then returns it."""

    def __init__(self, deaf: int = 1, message=None):
        self.deaf, self.message, self.timeouts = deaf, message or {"msg_type": "execute_reply"}, []

    async def get_msg(self, timeout=None):
        self.timeouts.append(timeout)
        if len(self.timeouts) <= self.deaf:
            await asyncio.sleep(timeout if timeout is not None else 3600)
            raise Empty
        return self.message


def run(coro):
    return asyncio.run(coro)


def test_a_missed_wake_up_costs_one_slice_not_the_whole_timeout():
    channel = FakeChannel(deaf=1)
    started = time.monotonic()
    assert run(sliced_get_msg(channel.get_msg, 0.05)(timeout=30)) == channel.message
    assert time.monotonic() - started < 5          # unsliced, this poll sleeps 30 s
    assert channel.timeouts[0] == pytest.approx(0.05) and len(channel.timeouts) == 2


def test_a_real_timeout_still_ends_on_time_in_slices_no_longer_than_the_slice():
    channel = FakeChannel(deaf=10 ** 6)
    started = time.monotonic()
    with pytest.raises(Empty):
        run(sliced_get_msg(channel.get_msg, 0.1)(timeout=0.35))
    elapsed = time.monotonic() - started
    assert 0.35 <= elapsed < 3
    assert len(channel.timeouts) >= 4 and all(t <= 0.1 + 1e-9 for t in channel.timeouts)
    assert channel.timeouts[-1] < 0.1              # the last slice is what was left, not a whole one


def test_no_timeout_keeps_polling_in_slices_until_a_message_comes():
    channel = FakeChannel(deaf=4)
    assert run(sliced_get_msg(channel.get_msg, 0.01)(timeout=None)) == channel.message
    assert channel.timeouts == [0.01] * 5


def test_a_zero_timeout_polls_once():
    channel = FakeChannel(deaf=1)
    with pytest.raises(Empty):
        run(sliced_get_msg(channel.get_msg, 1.0)(timeout=0))
    assert channel.timeouts == [0]


@pytest.mark.parametrize("bad", [0, -1.0, float("nan")])
def test_a_slice_must_be_positive(bad):
    with pytest.raises(ValueError, match="positive number of seconds"):
        sliced_get_msg(FakeChannel().get_msg, bad)


def test_the_course_runner_and_the_grader_use_the_reliable_client():
    assert issubclass(grade._make_client_class(), ReliableNotebookClient)
    assert "ReliableNotebookClient(" in (execute.__file__ and open(execute.__file__).read())
    assert 0 < POLL_SLICE <= 2


def deafen_first_reply_wait(kc):
    """Make the shell channel miss the wake-up of the first wait after a cell is sent, as pyzmq did."""
    original_get, original_execute, sent, calls = kc.shell_channel.get_msg, kc.execute, [], []

    def execute(*args, **kwargs):
        sent.append(True)
        return original_execute(*args, **kwargs)

    async def deaf_once(timeout=None):
        if sent and not calls:
            calls.append(timeout)
            await asyncio.sleep(timeout if timeout is not None else 3600)
            raise Empty
        return await original_get(timeout=timeout)

    kc.execute, kc.shell_channel.get_msg = execute, deaf_once
    return calls


def notebook():
    nb = new_notebook(cells=[new_code_cell("x = 6 * 7"), new_code_cell("print(x)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def test_a_real_kernel_reply_missed_by_the_socket_is_read_within_a_slice(tmp_path):
    """With the wake-up of the cell's reply lost, nbclient waits its whole time-out; ours does not."""

    class Deaf(NotebookClient):
        async def async_start_new_kernel_client(self):
            kc = await super().async_start_new_kernel_client()
            self.deaf_calls = deafen_first_reply_wait(kc)
            return kc

    class DeafButSliced(ReliableNotebookClient):
        def slice_waits(self, kc):
            self.deaf_calls = deafen_first_reply_wait(kc)
            super().slice_waits(kc)

    plain = Deaf(notebook(), timeout=4, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    with pytest.raises(CellTimeoutError):          # the reply was there; nbclient never read it
        plain.execute()
    assert plain.deaf_calls == [4]

    ours = DeafButSliced(notebook(), timeout=60, kernel_name="python3",
                         resources={"metadata": {"path": str(tmp_path)}})
    started = time.monotonic()
    executed = ours.execute()
    assert time.monotonic() - started < 30         # a lost wake-up cost one slice, not 60 s
    assert ours.deaf_calls == [POLL_SLICE]
    assert executed.cells[1].outputs[0]["text"] == "42\n"
    nbformat.validate(executed)


def test_the_missed_replies_benchmark_runs_and_rejects_bad_arguments():
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "missed_replies.py"
    done = subprocess.run([sys.executable, str(script), "--runs", "1", "--cells", "2", "--client", "course"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "course run 1:" in done.stdout and "course: " in done.stdout and "of 3 replies missed" in done.stdout
    bad = subprocess.run([sys.executable, str(script), "--timeout", "1"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--timeout >= 5" in bad.stderr
