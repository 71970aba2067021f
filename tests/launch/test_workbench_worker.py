"""Crash and retry on a real Celery worker (PostgreSQL and Redis, as CI runs them).

A worker process runs a commit run and is killed outright (SIGKILL, as the kernel's OOM killer
or a lost machine would), once in the middle of the engine's work and once after the dataset's
files are written but before the transaction that records them. Nothing of a dataset may be
visible then. A fresh worker, started afterwards, gets the unacknowledged task back from Redis
once the broker's visibility timeout has passed (a few seconds here, instead of production's
hour) and completes the run: one dataset, its files, no orphans, no duplicate rows.

The worker is a real `celery worker` process on the test database; the kill point is chosen by
a hook in the worker's start-up script (test code, below), so the test does not race the work.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from config.celery import app
from engagements.models import Job, JobStatus
from engagements.tenancy import tenant_scope
from launch.models import DatasetFile, MigrationDataset, MigrationRun, RejectedRow
from launch.workbench import services
from tests.conftest import requires_postgres
from tests.launch.test_workbench_services import prepared

pytestmark = [
    requires_postgres,
    pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs Redis (set REDIS_URL)"),
]

VISIBILITY_TIMEOUT = 3  # seconds before an unacknowledged task goes back to the queue

WORKER = """
import os, signal, sys
import django

django.setup()
from config.celery import app

# A short visibility timeout, and unacknowledged messages looked for every second (kombu's
# default sweep is every 100 s), so the test waits seconds instead of production's hour.
app.conf.broker_transport_options = {
    "visibility_timeout": VISIBILITY_TIMEOUT,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
kill_at = os.environ.get("KILL_AT", "")
if kill_at:
    from launch.workbench import services

    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    if kill_at == "after_files":
        services._store = die  # the files are written; the dataset's transaction never starts
    elif kill_at == "mid_engine":
        real_progress = services.job_progress

        def progress(*, job, percent, step):
            real_progress(job=job, percent=percent, step=step)
            if 30 <= percent < 90:
                die()

        services.job_progress = progress
app.worker_main(["worker", "--pool=solo", "--loglevel=WARNING", "--without-heartbeat",
                 "--without-mingle", "--without-gossip", "--prefetch-multiplier=1"])
""".replace("VISIBILITY_TIMEOUT", str(VISIBILITY_TIMEOUT))


def _start_worker(tmp_path: Path, kill_at: str = "") -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "KILL_AT": kill_at,
        "CONN_MAX_AGE": "0",
    }
    log = open(tmp_path / f"worker-{kill_at or 'fresh'}.log", "w")  # noqa: SIM115
    return subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", WORKER],
        env=env,
        cwd=django_settings.BASE_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _stored_files(tmp_path: Path) -> set[str]:
    root = tmp_path / "media"
    return {
        str(p.relative_to(root))
        for p in (root / "migrations").rglob("*")
        if p.is_file() and "/runs/" in str(p)
    }


@pytest.fixture
def broker():
    """Tasks go to the Redis broker (not run in-process); the queue starts empty."""
    app.conf.task_always_eager = False
    with app.connection_for_write() as conn:
        conn.default_channel.client.flushdb()
    yield app


@pytest.mark.parametrize("kill_at", ["mid_engine", "after_files"])
def test_a_worker_killed_mid_run_leaves_no_dataset_and_a_fresh_worker_completes_it(
    transactional_db, world, broker, settings, tmp_path, kill_at
):
    settings.MEDIA_ROOT = tmp_path / "media"
    with tenant_scope(world.firm_a):
        prepared(world)
        doomed = _start_worker(tmp_path, kill_at=kill_at)
        try:
            run = services.run_request(
                engagement=world.engagement, actor=world.consultant, kind="commit"
            )
            assert doomed.wait(timeout=60) == -signal.SIGKILL
        finally:
            if doomed.poll() is None:
                doomed.kill()

        # Killed: the job still says running, and no dataset (not even a partial one) exists.
        job = Job.objects.get(pk=run.job_id)
        assert (job.status, job.attempts) == (JobStatus.RUNNING, 1)
        assert not MigrationDataset.objects.exists()
        assert not DatasetFile.objects.exists()
        assert not RejectedRow.objects.filter(run=run).exists()
        orphans = _stored_files(tmp_path)
        assert len(orphans) == (8 if kill_at == "after_files" else 0)

        fresh = _start_worker(tmp_path)
        try:
            _wait(
                lambda: Job.objects.get(pk=run.job_id).status == JobStatus.SUCCEEDED,
                timeout=90,
                what="the fresh worker to complete the run",
            )
        finally:
            fresh.send_signal(signal.SIGTERM)
            fresh.wait(timeout=30)

        job = Job.objects.get(pk=run.job_id)
        assert job.attempts == 2
        dataset = MigrationDataset.objects.get()
        assert dataset.run_id == run.pk and dataset.number == 1
        stored = set(DatasetFile.objects.values_list("file", flat=True))
        assert len(stored) == 8
        assert _stored_files(tmp_path) == stored  # the killed attempt's files are gone
        assert not orphans & stored
        assert RejectedRow.objects.filter(run=run).count() == 3
        assert MigrationRun.objects.get(pk=run.pk).rows_in == 10
