"""The one retry policy every Celery task shares: `@waypoint_task` instead of `@shared_task`.

- Late acknowledgement, and a task whose worker dies is given back to the broker
  (`acks_late`, `reject_on_worker_lost`): a killed pool child's task is redelivered at once.
- Database errors a retry may fix (`OperationalError`, `InterfaceError`: the connection was
  cut, the server restarted) close every connection of the worker — the broken one is never
  used again — and retry with exponential backoff (TASK_DB_MAX_RETRIES). Meanwhile the task's
  job, if it claimed one (`job_start`), says it is waiting to retry.
- When the task gives up (retries used up, an unexpected error, the soft time limit), its job
  is failed with a plain reason through a fresh connection, so no page shows dead work running.
- While the task holds a job, a thread writes the job's heartbeat every JOB_HEARTBEAT_SECONDS,
  so a long step without progress writes is not mistaken for a lost worker by the watchdog.
- `JobAbandoned` (the job is finished, or another live worker has it) ends the task quietly.

Everything a user relies on is in the database (job records, outbox rows), and the watchdog and
the outbox sweeper recover what Celery cannot: a task lost with a worker killed outright, or
never delivered because Redis was down when it was queued.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
from collections.abc import Callable, Sequence
from typing import Any

from celery import Task, current_app, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, connections, transaction
from kombu.exceptions import OperationalError as BrokerUnavailable

from engagements.services import jobs

logger = logging.getLogger(__name__)

TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)


def drop_connections() -> None:
    """Close this worker's database connections, so the next query opens a fresh one. A
    connection inside a transaction is left alone: that is a test's transaction (eager tasks),
    never a worker's, whose tasks run in autocommit."""
    for conn in connections.all(initialized_only=True):
        if conn.in_atomic_block:
            continue
        # A dead connection may fail to close; it is gone either way.
        with contextlib.suppress(Exception):
            conn.close()


class _Heartbeat:
    """Writes the claimed job's heartbeat from a thread while the task runs."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.job_id: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def claimed(self, job_id: int) -> None:
        self.job_id = job_id
        if self.enabled and self._thread is None:
            self._thread = threading.Thread(
                target=self._run, args=(job_id,), name=f"job-{job_id}-heartbeat", daemon=True
            )
            self._thread.start()

    def _run(self, job_id: int) -> None:
        try:
            while not self._stop.wait(settings.JOB_HEARTBEAT_SECONDS):
                try:
                    jobs.job_beat(job_id=job_id)
                except Exception:
                    logger.warning("Heartbeat of job %s not written", job_id, exc_info=True)
                finally:
                    connection.close()  # this thread's own connection
        finally:
            connection.close()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


class PolicyTask(Task):
    """The base of every Waypoint task (see the module's docstring)."""

    acks_late = True
    reject_on_worker_lost = True
    # Retries are ours (below), not Celery's autoretry.
    max_retries = settings.TASK_DB_MAX_RETRIES
    retry_backoff_max = settings.TASK_DB_RETRY_BACKOFF_MAX

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        beat = _Heartbeat(enabled=not (self.request.is_eager or self.request.called_directly))
        token = jobs.claim_hook.set(beat.claimed)
        try:
            return super().__call__(*args, **kwargs)
        except jobs.JobAbandoned as why:
            logger.info("%s[%s] has nothing to do: %s", self.name, self.request.id, why)
            return None
        except TRANSIENT_DB_ERRORS as error:
            beat.stop()
            drop_connections()
            retries = self.request.retries
            if retries < self.max_retries:
                countdown = min(self.retry_backoff_max, 3 * 2**retries) * random.uniform(0.5, 1.0)  # noqa: S311
                logger.warning(
                    "%s[%s]: %s; retry %s of %s in %.0f s",
                    self.name, self.request.id, type(error).__name__, retries + 1,
                    self.max_retries, countdown,
                )  # fmt: skip
                self._record(
                    beat.job_id,
                    jobs.job_retrying,
                    step="Waiting to retry: the database connection was lost",
                )
                raise self.retry(exc=error, countdown=countdown) from error
            self._record(
                beat.job_id,
                jobs.job_give_up,
                error=(
                    "Stopped: the database could not be reached, and retrying did not help "
                    f"({type(error).__name__}). Retry it; if it stops again, tell support."
                ),
            )
            raise
        except SoftTimeLimitExceeded:
            minutes = max(
                1, round((self.soft_time_limit or settings.CELERY_TASK_SOFT_TIME_LIMIT) / 60)
            )
            self._record(
                beat.job_id,
                jobs.job_give_up,
                error=f"Stopped: it ran for longer than {minutes} minutes. Retry it; if it stops "
                "again, tell support.",
            )
            raise
        except Exception as error:
            # Services record the failures they expect on the job themselves; this is the rest.
            if not isinstance(error, self._retry_exceptions()):
                self._record(
                    beat.job_id,
                    jobs.job_give_up,
                    error=f"Stopped on an unexpected error ({type(error).__name__}, logged for "
                    "support). Retry it; if it stops again, tell support.",
                )
            raise
        finally:
            beat.stop()
            jobs.claim_hook.reset(token)

    @staticmethod
    def _retry_exceptions() -> tuple[type[BaseException], ...]:
        """Celery's own control flow, not failures: the task is retried, ignored or rejected."""
        from celery.exceptions import Ignore, Reject, Retry

        return (Retry, Ignore, Reject)

    @staticmethod
    def _record(job_id: int | None, write: Callable[..., None], **kwargs: Any) -> None:
        """Write to the job through a fresh connection; never let that failure hide the task's."""
        if job_id is None:
            return
        try:
            write(job_id=job_id, **kwargs)
        except Exception:
            logger.exception("Could not record the outcome on job %s", job_id)
            drop_connections()


def waypoint_task(*args: Any, **options: Any) -> Any:
    """`@shared_task` with the shared policy: `@waypoint_task` or `@waypoint_task(name=…)`."""
    options.setdefault("base", PolicyTask)
    return shared_task(*args, **options)


# --- queuing ------------------------------------------------------------------------------------


def enqueue_now(task: Any, args: Sequence[Any]) -> bool:
    """Queue `task` (a task or its name) now. False when the broker cannot be reached: the
    caller's rows are committed, and the watchdog or the outbox sweeper queues them later."""
    if isinstance(task, str):
        task = current_app.tasks[task]
    try:
        task.apply_async(args=list(args))
    except BrokerUnavailable:
        logger.warning("Broker unreachable: %s%s not queued now; it will be later", task.name, args)
        return False
    return True


def enqueue_on_commit(task: Any, args: Sequence[Any]) -> None:
    """Queue `task` once the current transaction commits (at once outside one)."""
    args = list(args)
    transaction.on_commit(lambda: enqueue_now(task, args))
