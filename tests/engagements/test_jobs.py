"""Job records: the progress a page polls tells the truth about the work."""

from engagements.models import Job, JobStatus
from engagements.services import jobs


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
