"""Job records: the progress a page polls tells the truth about the work, and no job stays in
flight without a live worker."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from config.celery import app as celery_app
from engagements.models import Firm, Job, JobStatus
from engagements.services import jobs
from engagements.taskpolicy import PolicyTask, waypoint_task
from engagements.tenancy import tenant_scope


@pytest.fixture
def eager_retries():
    """In-process tasks retry in place, as a worker would, until their retries are used up."""
    previous = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = previous


def started(world) -> Job:
    job = jobs.job_create(engagement=world.engagement, kind="report")
    jobs.job_start(job=job)
    return job


def test_progress_is_recorded_while_the_job_runs(firm_a_scope):
    job = started(firm_a_scope)

    jobs.job_progress(job=job, percent=40, step="Rendering page 4")

    job.refresh_from_db()
    assert (job.status, job.progress, job.step) == (JobStatus.RUNNING, 40, "Rendering page 4")


def test_progress_is_kept_between_0_and_100(firm_a_scope):
    job = started(firm_a_scope)

    jobs.job_progress(job=job, percent=140, step="Nearly")

    job.refresh_from_db()
    assert job.progress == 100


def test_late_progress_from_work_given_up_on_does_not_change_the_failed_job(firm_a_scope):
    job = started(firm_a_scope)
    jobs.job_progress(job=job, percent=30, step="Reading the sources")
    jobs.job_fail(job=job, error="Stopped: a newer run replaced it.")

    jobs.job_progress(job=job, percent=80, step="Writing the import files")

    job.refresh_from_db()
    assert (job.status, job.progress, job.step) == (JobStatus.FAILED, 30, "Reading the sources")
    assert job.error == "Stopped: a newer run replaced it."


# --- heartbeat, watchdog and the shared task policy ---------------------------------------------


def _stale(job: Job, **fields) -> None:
    Job.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=settings.JOB_STALE_AFTER + 60), **fields
    )


@waypoint_task(name="tests.engagements.test_jobs.record_attempt")
def record_attempt(job_id: int, firm_id: int) -> None:
    with tenant_scope(Firm.objects.get(pk=firm_id)):
        job = Job.objects.get(pk=job_id)
        jobs.job_start(job=job)
        ATTEMPTS.append(job_id)
        if FAILURES:
            raise FAILURES.pop(0)
        jobs.job_succeed(job=job)


@waypoint_task(name="tests.engagements.test_jobs.lost_in_transit")
def lost_in_transit(job_id: int, firm_id: int) -> None:
    """A delivery that never reaches a worker (Redis was down, or lost it)."""


ATTEMPTS: list[int] = []
FAILURES: list[Exception] = []


@pytest.fixture
def recorded():
    ATTEMPTS.clear()
    FAILURES.clear()
    yield ATTEMPTS
    FAILURES.clear()


def test_progress_is_a_heartbeat(firm_a_scope):
    job = started(firm_a_scope)
    _stale(job)
    job.refresh_from_db()
    assert job.is_stalled

    jobs.job_progress(job=job, percent=50, step="Half way")

    job.refresh_from_db()
    assert not job.is_stalled


def test_the_watchdog_queues_a_job_whose_worker_was_lost_and_it_completes(
    firm_a_scope, committed, recorded
):
    world = firm_a_scope
    job = jobs.job_create(engagement=world.engagement, kind="report")
    with committed():
        jobs.job_enqueue(job=job, task=record_attempt, args=(job.pk, world.firm_a.pk))
    assert recorded == [job.pk]
    # The worker died mid-way: the job says running, and nothing reports any more.
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    _stale(job)

    assert jobs.jobs_watchdog() == {"requeued": 1, "failed": 0}

    job.refresh_from_db()
    assert recorded == [job.pk, job.pk]
    assert (job.status, job.lost, job.requeues) == (JobStatus.SUCCEEDED, 1, 1)


def test_a_job_never_picked_up_is_queued_again_then_failed_with_a_plain_reason(
    firm_a_scope, settings
):
    world = firm_a_scope
    job = jobs.job_create(engagement=world.engagement, kind="report")
    jobs.job_enqueue(job=job, task=lost_in_transit, args=(job.pk, world.firm_a.pk))
    for round_ in range(settings.JOB_MAX_REQUEUES):
        _stale(job)
        Job.objects.filter(pk=job.pk).update(requeues=round_)
        assert jobs.jobs_watchdog()["requeued"] == 1
        job.refresh_from_db()
        assert (job.status, job.step) == (
            JobStatus.QUEUED,
            "Queued again: no worker had picked it up",
        )

    _stale(job)
    assert jobs.jobs_watchdog() == {"requeued": 0, "failed": 1}

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "no worker finished it" in job.error
    assert jobs.job_retry_allowed(job=job)


def test_a_job_that_keeps_crashing_its_worker_is_failed_as_such(firm_a_scope, settings, recorded):
    world = firm_a_scope
    job = jobs.job_create(engagement=world.engagement, kind="report")
    jobs.job_enqueue(job=job, task=record_attempt, args=(job.pk, world.firm_a.pk))
    # Each delivery claims the job and then the worker dies (the job stays running).
    for _ in range(settings.JOB_MAX_LOST):
        jobs.job_start(job=job)

    with pytest.raises(jobs.JobAbandoned):
        jobs.job_start(job=job)

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error.startswith(
        f"Stopped: the worker running this was lost {settings.JOB_MAX_LOST} times"
    )
    record_attempt.apply(args=(job.pk, world.firm_a.pk))  # a late redelivery does nothing
    assert recorded == []


def test_a_finished_job_is_not_run_again_by_a_late_delivery(firm_a_scope, recorded):
    world = firm_a_scope
    job = jobs.job_create(engagement=world.engagement, kind="report")
    record_attempt.apply(args=(job.pk, world.firm_a.pk))
    record_attempt.apply(args=(job.pk, world.firm_a.pk))
    assert recorded == [job.pk]


def test_a_lost_database_connection_is_retried_and_the_job_completes(
    firm_a_scope, recorded, eager_retries
):
    world = firm_a_scope
    job = jobs.job_create(engagement=world.engagement, kind="report")
    FAILURES.append(OperationalError("server closed the connection unexpectedly"))

    record_attempt.apply(args=(job.pk, world.firm_a.pk))

    job.refresh_from_db()
    assert recorded == [job.pk, job.pk]
    assert (job.status, job.attempts, job.lost) == (JobStatus.SUCCEEDED, 2, 0)


def test_when_database_retries_run_out_the_job_is_failed_with_a_plain_reason(
    firm_a_scope, recorded, eager_retries, settings
):
    world = firm_a_scope
    job = jobs.job_create(engagement=world.engagement, kind="report")
    FAILURES.extend(InterfaceError("connection already closed") for _ in range(20))

    record_attempt.apply(args=(job.pk, world.firm_a.pk))

    job.refresh_from_db()
    assert len(recorded) == 1 + record_attempt.max_retries
    assert job.status == JobStatus.FAILED
    assert job.error.startswith("Stopped: the database could not be reached")


def test_an_unexpected_error_fails_the_job_instead_of_leaving_it_running(firm_a_scope, recorded):
    world = firm_a_scope
    job = jobs.job_create(engagement=world.engagement, kind="report")
    FAILURES.append(ZeroDivisionError("bug"))

    with pytest.raises(ZeroDivisionError):
        record_attempt.apply(args=(job.pk, world.firm_a.pk)).get()

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "unexpected error (ZeroDivisionError" in job.error


def test_every_task_of_every_app_is_on_the_shared_policy():
    from config.celery import app

    app.loader.import_default_modules()
    ours = [t for name, t in app.tasks.items() if not name.startswith("celery.")]
    assert len(ours) >= 15
    assert [t.name for t in ours if not isinstance(t, PolicyTask)] == []
    assert all(t.acks_late and t.reject_on_worker_lost for t in ours)
