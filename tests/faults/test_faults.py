"""The fault suite: real worker processes are killed, their database connection cut, Redis and
the SMTP server stopped, on purpose; then we count.

Every case asserts what a user would see: each job finished, or visibly failed, within the
watchdog's interval (plus the work itself); nothing left queued, running or sending; no email
lost; any email that arrived twice carries the same Message-ID both times.

Runs on PostgreSQL with real `celery -A config worker` and `celery -A config beat` processes, a
redis-server of its own (ports 6390-6399) and an aiosmtpd server (ports 8025-8035); see
conftest.py for the short settings that keep it to a couple of minutes. Skipped, with the
reason, on SQLite or without REDIS_URL (CI runs it: it starts PostgreSQL and Redis).
"""

import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from diagnostics.documents import REPORT
from diagnostics.models import ReportVersion
from engagements import services
from engagements.models import EmailStatus, Job, JobStatus, OutboundEmail
from engagements.services import documents
from engagements.tenancy import tenant_scope
from tests.conftest import requires_postgres
from tests.diagnostics.test_report import fill_the_diagnostic, recipients
from tests.faults.conftest import wait_for

pytestmark = [
    pytest.mark.worker,
    requires_postgres,
    pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs Redis (set REDIS_URL)"),
]

# A stranded job is re-queued once its heartbeat is JOB_STALE_AFTER (6 s) old, checked every
# JOB_WATCHDOG_SECONDS (2 s); then the render itself (a few seconds) and a worker's start.
WITHIN_THE_WATCHDOG = 45


def _request_render(world) -> ReportVersion:
    with tenant_scope(world.firm_a):
        fill_the_diagnostic(world)
        return documents.document_request(
            kind=REPORT, engagement=world.engagement, actor=world.consultant
        )


def _job(version: ReportVersion) -> Job:
    return Job.unscoped.get(pk=version.job_id)


def _pdfs(world) -> list[Path]:
    folder = Path(django_settings.MEDIA_ROOT) / "reports" / str(world.engagement.public_id)
    return sorted(folder.glob("*.pdf")) if folder.exists() else []


def _rendered(version: ReportVersion) -> bool:
    return _job(version).status == JobStatus.SUCCEEDED


def _assert_rendered_once(world, version: ReportVersion) -> Job:
    job = _job(version)
    stored = ReportVersion.unscoped.get(pk=version.pk)
    assert (job.status, job.progress, job.error) == (JobStatus.SUCCEEDED, 100, "")
    assert [p.name for p in _pdfs(world)] == [Path(stored.file).name]  # one PDF per version
    return job


def _nothing_in_flight() -> None:
    assert not Job.unscoped.exclude(status__in=(JobStatus.SUCCEEDED, JobStatus.FAILED)).exists()
    assert set(OutboundEmail.unscoped.values_list("status", flat=True)) <= {
        EmailStatus.SENT,
        EmailStatus.FAILED,
    }


def _queue_emails(world, count: int) -> list[OutboundEmail]:
    with tenant_scope(world.firm_a):
        return [
            services.email_queue(
                firm=world.firm_a,
                dedupe_key=f"fault:{n}",
                to=f"person{n}@xylo.example",
                template="emails/invitation",
                context={
                    "invitation": {"role": "client", "expires_at": None},
                    "link": "http://x/invitations/t/",
                    "inviter": "Bob",
                    "firm": world.firm_a,
                },
            )[0]
            for n in range(count)
        ]


def _all_sent(rows: list[OutboundEmail]) -> bool:
    pks = [row.pk for row in rows]
    return OutboundEmail.unscoped.filter(pk__in=pks, status=EmailStatus.SENT).count() == len(pks)


def _assert_each_once_or_same_id(smtp, rows: list[OutboundEmail]) -> None:
    """No email lost; a duplicate is only ever a copy with the row's own Message-ID."""
    received = smtp.inbox.ids_by_recipient()
    for row in OutboundEmail.unscoped.filter(pk__in=[r.pk for r in rows]):
        assert row.status == EmailStatus.SENT, (row.to, row.status, row.last_error)
        assert received.get(row.to), f"{row.to} never received its email"
        assert set(received[row.to]) == {row.message_id}


def _cut_the_workers_connections() -> int:
    """pg_terminate_backend on every other session of the test database (the worker's)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        (cut,) = cursor.fetchone()
    return cut


# --- renders --------------------------------------------------------------------------------


def test_a_pool_child_killed_mid_render_is_redelivered_at_once(faults, world):
    faults.worker(fault="kill_child_mid_render")
    version = _request_render(world)

    wait_for(lambda: _rendered(version), 60, "the render after its pool child was killed")

    assert faults.marker("mid-render").exists()  # the child really died mid-render
    job = _assert_rendered_once(world, version)
    assert (job.attempts, job.lost) == (2, 1)
    _nothing_in_flight()


def test_a_whole_worker_killed_mid_render_is_finished_by_another_within_the_watchdog(faults, world):
    faults.beat()
    doomed = faults.worker(fault="hang_mid_render")
    version = _request_render(world)
    wait_for(faults.marker("mid-render").exists, 60, "the render to start")
    faults.kill(doomed)  # main process and pool: nothing can reject the task back to Redis
    assert _job(version).status == JobStatus.RUNNING

    faults.worker()
    took = wait_for(lambda: _rendered(version), WITHIN_THE_WATCHDOG, "the re-queued render")

    job = _assert_rendered_once(world, version)
    assert (job.lost, job.requeues) == (1, 1)
    assert took < int(django_settings.CELERY_VISIBILITY_TIMEOUT)  # not waiting for Redis
    _nothing_in_flight()


def test_a_database_connection_cut_mid_render_is_retried_on_a_fresh_one(faults, world):
    faults.worker(fault="pause_mid_render")
    version = _request_render(world)
    wait_for(faults.marker("mid-render").exists, 60, "the render to start")

    cut = _cut_the_workers_connections()
    faults.marker("resume").touch()

    wait_for(lambda: _rendered(version), 60, "the render retried after the cut")
    assert cut >= 1
    job = _assert_rendered_once(world, version)
    assert job.attempts == 2
    assert job.lost == 0  # a retry after a lost connection, not a lost worker
    _nothing_in_flight()


def test_a_render_requested_while_redis_is_down_is_queued_once_it_is_back(
    faults, world, redis_server
):
    faults.beat()
    faults.worker()
    redis_server.stop()

    started = time.monotonic()
    version = _request_render(world)  # the request still succeeds
    assert time.monotonic() - started < 15
    assert _job(version).status == JobStatus.QUEUED

    time.sleep(2)
    redis_server.start()
    wait_for(lambda: _rendered(version), WITHIN_THE_WATCHDOG, "the render once Redis was back")

    job = _assert_rendered_once(world, version)
    assert job.requeues >= 1
    _nothing_in_flight()


# --- email ----------------------------------------------------------------------------------


def test_smtp_stopped_mid_send_then_started_loses_nothing_and_says_retrying_meanwhile(
    faults, world, smtp_server
):
    faults.beat()
    faults.worker()
    smtp_server.inbox.delay = 0.4
    rows = _queue_emails(world, 5)
    wait_for(lambda: len(smtp_server.inbox.received) >= 2, 30, "the first two emails")
    smtp_server.stop()

    def waiting_to_retry() -> bool:
        statuses = set(OutboundEmail.unscoped.values_list("status", flat=True))
        return EmailStatus.RETRYING in statuses

    wait_for(waiting_to_retry, 20, "an email to show it is retrying")
    assert not OutboundEmail.unscoped.filter(status=EmailStatus.FAILED).exists()
    smtp_server.inbox.delay = 0
    smtp_server.start()

    wait_for(lambda: _all_sent(rows), 60, "every email once the server was back")
    _assert_each_once_or_same_id(smtp_server, rows)
    _nothing_in_flight()


def test_a_database_connection_cut_mid_send_to_five_loses_nobody(faults, world, smtp_server):
    """The cut comes after the server accepted the second email and before we recorded it: the
    task retries on a fresh connection and sends the other three; the second is "sending" until
    the sweeper sends it again, with its Message-ID."""
    faults.beat()
    faults.worker(fault="pause_after_second_send")
    version = _request_render(world)
    wait_for(lambda: _rendered(version), 60, "the render")
    with tenant_scope(world.firm_a):
        people = recipients(world, 5)
        version = ReportVersion.objects.get(pk=version.pk)
        rows = documents.document_send(
            kind=REPORT, version=version, actor=world.consultant, recipients=people
        )
    wait_for(faults.marker("sent-2").exists, 60, "the second email to be accepted")

    cut = _cut_the_workers_connections()
    faults.marker("resume").touch()

    wait_for(lambda: _all_sent(rows), 60, "every delivery after the cut")
    assert cut >= 1
    _assert_each_once_or_same_id(smtp_server, rows)
    # The one accepted but not recorded arrived twice, both copies with its Message-ID.
    assert sorted(len(ids) for ids in smtp_server.inbox.ids_by_recipient().values()) == [
        1,
        1,
        1,
        1,
        2,
    ]
    _nothing_in_flight()


def test_a_crash_after_the_server_accepted_an_email_sends_a_copy_with_the_same_message_id(
    faults, world, smtp_server
):
    faults.beat()
    faults.worker(fault="crash_after_smtp")
    [row] = _queue_emails(world, 1)

    wait_for(lambda: _all_sent([row]), 60, "the email sent again after the crash")

    assert faults.marker("accepted").exists()
    row.refresh_from_db()
    received = smtp_server.inbox.ids_by_recipient()[row.to]
    assert received == [row.message_id, row.message_id]  # twice, recognisably one message
    assert row.attempts == 2
    _nothing_in_flight()
