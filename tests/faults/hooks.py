"""Fault points inside a real worker, chosen by the FAULT environment variable.

Imported by the worker processes of the fault suite (`celery -A config worker -I
tests.faults.hooks`), before the pool forks, so the pool's children have them too. Each fault
fires once per test: it leaves a marker file in FAULT_DIR, which also tells the test where the
worker is. Test code only; production never imports it.
"""

import os
import signal
import time
from pathlib import Path

import django

django.setup()  # normally done already by Celery's Django fix-up; needed for the imports below

FAULT = os.environ.get("FAULT", "")
FAULT_DIR = Path(os.environ.get("FAULT_DIR", "/nonexistent"))


def _first_time(name: str) -> bool:
    marker = FAULT_DIR / name
    try:
        marker.touch(exist_ok=False)
    except FileExistsError:
        return False
    return True


def _wait_for(name: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not (FAULT_DIR / name).exists():
        time.sleep(0.05)


def _mid_render(action) -> None:
    """Run `action` the first time a document render reports "Laying out the report"."""
    from engagements.services import documents

    real = documents.job_progress

    def progress(*, job, percent, step):
        if percent == 35 and _first_time("mid-render"):
            action()
        real(job=job, percent=percent, step=step)

    documents.job_progress = progress


def _kill_this_process() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _hang() -> None:
    time.sleep(120)  # the test kills the whole worker meanwhile


def _pause_for_the_cut() -> None:
    _wait_for("resume", 30)  # the test cuts our database connection meanwhile


def _crash_after_smtp_accepts() -> None:
    from django.core.mail.backends import smtp

    real = smtp.EmailBackend.send_messages

    def send_messages(self, messages):
        sent = real(self, messages)
        if _first_time("accepted"):
            _kill_this_process()  # accepted by the server, not yet recorded as sent
        return sent

    smtp.EmailBackend.send_messages = send_messages


def _pause_after_the_second_send() -> None:
    from django.core.mail.backends import smtp

    real = smtp.EmailBackend.send_messages

    def send_messages(self, messages):
        sent = real(self, messages)
        if _first_time("sent-1") or not _first_time("sent-2"):
            return sent
        _wait_for("resume", 30)  # accepted; the test cuts our database connection meanwhile
        return sent

    smtp.EmailBackend.send_messages = send_messages


if FAULT == "kill_child_mid_render":
    _mid_render(_kill_this_process)
elif FAULT == "hang_mid_render":
    _mid_render(_hang)
elif FAULT == "pause_mid_render":
    _mid_render(_pause_for_the_cut)
elif FAULT == "crash_after_smtp":
    _crash_after_smtp_accepts()
elif FAULT == "pause_after_second_send":
    _pause_after_the_second_send()
