"""The adoption beat job through the real broker: a Celery worker (Redis, REDIS_URL) computes
the weeks that received events, opens the alert and delivers its emails, once; the consultant's
"recompute now" runs there too and its job record shows the outcome."""

import time
from datetime import timedelta

from celery.signals import task_postrun
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from enablement.models import AdoptionAlert, DirtyWeek, WeeklyMetric
from enablement.services.usage import week_of
from enablement.tasks import compute_adoption_metrics
from engagements.models import Job, JobStatus
from engagements.tenancy import tenant_scope
from tests.conftest import signed_in
from tests.enablement.adoption_builders import login, send


def _wait_for(condition, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def _run_on_the_worker(task) -> None:
    finished = []
    record = lambda task_id, **kwargs: finished.append(task_id)  # noqa: E731
    task_postrun.connect(record, weak=False)
    try:
        result = task.apply_async()
        assert _wait_for(lambda: result.id in finished), "the worker never ran the task"
    finally:
        task_postrun.disconnect(record)


def _two_quiet_weeks(world) -> None:
    """Ray logs in once in each of the last two completed weeks; Vera, the other rep, every
    weekday, so only Ray is below (and the reps' average is not)."""
    last = week_of(timezone.localdate()) - timedelta(days=7)
    with tenant_scope(world.firm_a):
        for monday in (last - timedelta(days=7), last):
            send(
                world.engagement,
                login(world.rep_stakeholder, monday),
                *[login(world.approver_stakeholder, monday + timedelta(days=d)) for d in range(6)],
            )


def test_the_beat_job_on_a_real_worker_computes_metrics_and_emails_the_alert_once(
    celery_worker_thread, world
):
    _two_quiet_weeks(world)

    _run_on_the_worker(compute_adoption_metrics)

    rows = WeeklyMetric.unscoped.filter(firm=world.firm_a, stakeholder=world.rep_stakeholder)
    assert sorted(rows.values_list("active_days", flat=True)) == [1, 1]
    assert not DirtyWeek.unscoped.filter(firm=world.firm_a).exists()
    alert = AdoptionAlert.unscoped.get(firm=world.firm_a)
    assert alert.stakeholder == world.rep_stakeholder
    assert _wait_for(lambda: len(mail.outbox) == 1), "the worker never delivered the alert"
    assert mail.outbox[0].to == ["bob@alpha.example"]  # the lead; the engagement has no manager

    _run_on_the_worker(compute_adoption_metrics)  # the next beat: nothing new

    assert AdoptionAlert.unscoped.filter(firm=world.firm_a).count() == 1
    assert rows.count() == 2
    time.sleep(0.5)
    assert len(mail.outbox) == 1


def test_recompute_now_runs_on_the_worker_and_its_job_says_so(celery_worker_thread, world):
    _two_quiet_weeks(world)
    http = signed_in(world.consultant)

    response = http.post(reverse("adoption_recompute", args=[world.engagement.public_id]))

    assert response.status_code == 302
    job = Job.unscoped.get(firm=world.firm_a, kind="adoption_metrics")
    assert _wait_for(lambda: Job.unscoped.get(pk=job.pk).status == JobStatus.SUCCEEDED)
    job.refresh_from_db()
    assert job.step == "Metrics up to date; 1 alerts opened, 0 closed."
    page = http.get(reverse("adoption_job", args=[world.engagement.public_id, job.public_id]))
    assert "hx-trigger" not in page.content.decode()
