"""Job records: progress that pages poll, and the heartbeat that proves a worker is on it.

Each write commits on its own (the caller is not in a transaction), so a page sees progress
while the work runs. A job in flight (queued or running) whose heartbeat is older than
JOB_STALE_AFTER has no live worker: `jobs_watchdog` re-queues it (bounded by JOB_MAX_REQUEUES)
or fails it with a plain reason, and a job whose attempts died with their worker JOB_MAX_LOST
times is failed as such. Nothing waits for Celery's visibility timeout.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from engagements.beat import each_firm
from engagements.models import Engagement, Job, JobStatus

logger = logging.getLogger(__name__)

FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED)
IN_FLIGHT = (JobStatus.QUEUED, JobStatus.RUNNING)

# Told which job the current task claimed (job_start), so the shared task policy can beat its
# heartbeat, and put it back in the queue or fail it when the task retries or gives up.
claim_hook: ContextVar[Callable[[int], None] | None] = ContextVar("claim_hook", default=None)


# What else must happen when the watchdog fails a job of a kind (the phase app's own record of
# the work, e.g. an upload still "being checked"), registered from an AppConfig.ready.
_on_watchdog_failure: dict[str, Callable[[Job], None]] = {}


def job_kind_on_failure(kind: str, handler: Callable[[Job], None]) -> None:
    """Have `handler(job)` run (in the job's tenant scope) when the watchdog fails a `kind` job."""
    _on_watchdog_failure[kind] = handler


class JobAbandoned(Exception):
    """This attempt must not do the job's work: the job is finished, another live worker has it,
    or it was just failed for crashing its worker too often. The task ends quietly."""


def job_create(*, engagement: Engagement, kind: str) -> Job:
    return Job.objects.create(firm=engagement.firm, engagement=engagement, kind=kind)


def job_enqueue(*, job: Job, task: Any, args: Sequence[Any]) -> None:
    """Remember how to run the job (so the watchdog can queue it again) and queue `task` once
    the current transaction commits. If the broker cannot be reached the request still
    succeeds: the job stays queued and the watchdog queues it when its heartbeat is stale."""
    from engagements.taskpolicy import enqueue_on_commit

    Job.objects.filter(pk=job.pk).update(
        task_name=task.name, task_args=list(args), heartbeat_at=timezone.now()
    )
    job.task_name, job.task_args = task.name, list(args)
    enqueue_on_commit(task, args)


def _current_task_id() -> str:
    from celery import current_task

    request = getattr(current_task, "request", None)
    return (getattr(request, "id", None) or "") if request is not None else ""


def _stale_before() -> Any:
    return timezone.now() - timedelta(seconds=settings.JOB_STALE_AFTER)


def _lost_reason(lost: int) -> str:
    return (
        f"Stopped: the worker running this was lost {lost} times (it may be what crashes the "
        "worker). Retry it; if it stops again, tell support."
    )


def job_start(*, job: Job) -> None:
    """Claim the job for this attempt: running, attempts + 1, heartbeat now.

    Raises JobAbandoned instead when the job is finished (a late or duplicate delivery), when
    another attempt with a live heartbeat runs it (a duplicate queued by the watchdog), or when
    this would be the JOB_MAX_LOST-th attempt after ones that died with their worker (the job
    is then failed as crashing its worker, so it is never redelivered for ever). A job found
    running under this same task id was redelivered after its worker died: that counts as lost.
    """
    task_id = _current_task_id()
    now = timezone.now()
    found = Job.objects.filter(pk=job.pk).values("status", "task_id", "heartbeat_at", "lost").get()
    if found["status"] in FINISHED:
        raise JobAbandoned(f"job {job.pk} is {found['status']}")
    lost = found["lost"]
    if found["status"] == JobStatus.RUNNING:
        alive = found["heartbeat_at"] >= _stale_before()
        if alive and task_id and found["task_id"] and found["task_id"] != task_id:
            raise JobAbandoned(f"job {job.pk} is being run by task {found['task_id']}")
        lost += 1  # the attempt before this one never reported an end: its worker died
        if lost >= settings.JOB_MAX_LOST:
            Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
                status=JobStatus.FAILED,
                lost=lost,
                error=_lost_reason(lost),
                finished_at=now,
                updated_at=now,
            )
            raise JobAbandoned(f"job {job.pk} was lost with its worker {lost} times")
    # Compare-and-set on what was read, so two deliveries racing for the job cannot both win.
    claimed = Job.objects.filter(
        pk=job.pk, status=found["status"], heartbeat_at=found["heartbeat_at"]
    ).update(
        status=JobStatus.RUNNING,
        attempts=F("attempts") + 1,
        lost=lost,
        task_id=task_id,
        started_at=now,
        heartbeat_at=now,
        progress=0,
        error="",
        updated_at=now,
    )
    if not claimed:
        raise JobAbandoned(f"job {job.pk} was claimed by another attempt")
    hook = claim_hook.get()
    if hook is not None:
        hook(job.pk)


def job_progress(*, job: Job, percent: int, step: str) -> None:
    # Only while running: work given up on (failed) or finished must not look alive again.
    now = timezone.now()
    Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
        progress=max(0, min(percent, 100)), step=step, heartbeat_at=now, updated_at=now
    )


def job_beat(*, job_id: int) -> None:
    """The worker is alive and on it (written from the task's heartbeat thread)."""
    # Unscoped: a thread has no tenant scope; the worker writes its own job, found by its key.
    Job.unscoped.filter(pk=job_id, status=JobStatus.RUNNING).update(heartbeat_at=timezone.now())


def job_succeed(*, job: Job, step: str = "Done") -> None:
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.SUCCEEDED,
        progress=100,
        step=step,
        finished_at=now,
        heartbeat_at=now,
        updated_at=now,
    )


def job_fail(*, job: Job, error: str) -> None:
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED, error=error, finished_at=now, heartbeat_at=now, updated_at=now
    )


def job_requeue(*, job: Job) -> None:
    """A person's retry: queued again with fresh budgets (the caller queues the task)."""
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.QUEUED,
        progress=0,
        step="",
        error="",
        lost=0,
        requeues=0,
        finished_at=None,
        heartbeat_at=now,
        updated_at=now,
    )


def job_retrying(*, job_id: int, step: str) -> None:
    """The task retries after a transient error: the job waits in the queue, which is not a
    lost attempt (the next attempt finds it queued, not running)."""
    now = timezone.now()
    # Unscoped: called by the task policy after the task's tenant scope has ended; the task's
    # own job, found by its key.
    Job.unscoped.filter(pk=job_id, status=JobStatus.RUNNING).update(
        status=JobStatus.QUEUED, step=step, heartbeat_at=now, updated_at=now
    )


def job_give_up(*, job_id: int, error: str) -> None:
    """The task gave up: fail its job unless it finished meanwhile."""
    now = timezone.now()
    # Unscoped, as in job_retrying.
    Job.unscoped.filter(pk=job_id, status__in=IN_FLIGHT).update(
        status=JobStatus.FAILED, error=error, finished_at=now, heartbeat_at=now, updated_at=now
    )


def job_retry_allowed(*, job: Job) -> bool:
    """A person may retry a failed job, and a stalled one (in flight with a stale heartbeat)."""
    return job.status == JobStatus.FAILED or job.is_stalled


# --- the watchdog -------------------------------------------------------------------------------


def jobs_watchdog() -> dict[str, int]:
    """Every JOB_WATCHDOG_SECONDS (Celery beat): each firm's jobs in flight with a stale
    heartbeat are re-queued or failed. Returns the counts (for logs and tests)."""
    counts = {"requeued": 0, "failed": 0}
    for outcomes in each_firm(lambda firm: jobs_recover_stale(), "Job watchdog"):
        for outcome in outcomes:
            counts[outcome] += 1
    return counts


def jobs_recover_stale() -> list[str]:
    """The firm in scope's stale jobs, each re-queued ("requeued") or failed ("failed")."""
    from engagements.taskpolicy import enqueue_now

    minutes = max(1, settings.JOB_STALE_AFTER // 60)
    outcomes = []
    stale = Job.objects.filter(status__in=IN_FLIGHT, heartbeat_at__lt=_stale_before())
    for job in stale.order_by("heartbeat_at")[:500]:
        now = timezone.now()
        lost = job.lost + (1 if job.status == JobStatus.RUNNING else 0)
        reason = ""
        if lost >= settings.JOB_MAX_LOST:
            reason = _lost_reason(lost)
        elif not job.task_name:
            reason = f"Stopped: no worker reported on this for {minutes} minutes. Retry it."
        elif job.requeues >= settings.JOB_MAX_REQUEUES:
            reason = (
                f"Stopped: queued {job.requeues + 1} times, and no worker finished it. Check "
                "that the background workers are running, then retry."
            )
        # Compare-and-set: a worker that reports meanwhile keeps its job.
        unchanged = Job.objects.filter(pk=job.pk, status=job.status, heartbeat_at=job.heartbeat_at)
        if reason:
            if unchanged.update(
                status=JobStatus.FAILED,
                lost=lost,
                error=reason,
                finished_at=now,
                heartbeat_at=now,
                updated_at=now,
            ):
                logger.warning("Job %s (%s) failed by the watchdog: %s", job.pk, job.kind, reason)
                outcomes.append("failed")
                handler = _on_watchdog_failure.get(job.kind)
                if handler is not None:
                    job.status, job.error = JobStatus.FAILED, reason
                    handler(job)
            continue
        step = (
            "Queued again: the worker running it was lost"
            if job.status == JobStatus.RUNNING
            else "Queued again: no worker had picked it up"
        )
        if unchanged.update(
            status=JobStatus.QUEUED,
            lost=lost,
            requeues=F("requeues") + 1,
            step=step,
            progress=0,
            heartbeat_at=now,
            updated_at=now,
        ):
            logger.warning("Job %s (%s) re-queued by the watchdog: %s", job.pk, job.kind, step)
            enqueue_now(job.task_name, job.task_args)
            outcomes.append("requeued")
    return outcomes
