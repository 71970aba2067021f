"""Job records: progress that pages poll. Each write commits on its own (the caller is not in a
transaction), so a page sees progress while the work runs."""

from django.db.models import F
from django.utils import timezone

from engagements.models import Engagement, Job, JobStatus


def job_create(*, engagement: Engagement, kind: str) -> Job:
    return Job.objects.create(firm=engagement.firm, engagement=engagement, kind=kind)


def job_start(*, job: Job) -> None:
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING,
        attempts=F("attempts") + 1,
        started_at=timezone.now(),
        progress=0,
        error="",
        updated_at=timezone.now(),
    )


def job_progress(*, job: Job, percent: int, step: str) -> None:
    # Only while running: work given up on (failed) or finished must not look alive again.
    Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
        progress=max(0, min(percent, 100)), step=step, updated_at=timezone.now()
    )


def job_succeed(*, job: Job, step: str = "Done") -> None:
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.SUCCEEDED,
        progress=100,
        step=step,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )


def job_fail(*, job: Job, error: str) -> None:
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED, error=error, finished_at=timezone.now(), updated_at=timezone.now()
    )


def job_requeue(*, job: Job) -> None:
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.QUEUED, progress=0, step="", error="", updated_at=timezone.now()
    )
