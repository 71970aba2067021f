"""Personas (STYLE.md): owner and consultant of firm A, the client approver and a client user of
another client of firm A, a consultant of firm B."""

from dataclasses import dataclass

# Imported before any test freezes time: psycopg's C extension checks the size of `datetime.date`
# when it is first imported, and freezegun's fake date would fail that check.
import django.contrib.postgres.fields  # noqa: F401
import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client as HttpClient

from engagements.models import Client, Engagement, Firm, Role, Stakeholder, User
from engagements.tenancy import tenant_scope
from tests.factories import (
    ClientFactory,
    EngagementFactory,
    FirmFactory,
    MembershipFactory,
    StakeholderFactory,
)


@dataclass
class World:
    firm_a: Firm
    firm_b: Firm
    owner: User
    consultant: User
    approver: User
    other_client_user: User
    consultant_b: User
    client_x: Client
    client_y: Client
    engagement: Engagement
    approver_stakeholder: Stakeholder
    rep_stakeholder: Stakeholder
    engagement_y: Engagement
    engagement_b: Engagement


@pytest.fixture
def world(db) -> World:
    firm_a, firm_b = FirmFactory(name="Alpha Advisors"), FirmFactory(name="Beta Partners")
    client_x = ClientFactory(firm=firm_a, name="Xylo Corp")
    client_y = ClientFactory(firm=firm_a, name="Yonder Inc")
    owner = MembershipFactory(firm=firm_a, role=Role.OWNER, user__email="alice@alpha.example").user
    consultant = MembershipFactory(firm=firm_a, user__email="bob@alpha.example").user
    approver = MembershipFactory(
        firm=firm_a, role=Role.CLIENT, client=client_x, user__email="vp@xylo.example"
    ).user
    other_client_user = MembershipFactory(
        firm=firm_a, role=Role.CLIENT, client=client_y, user__email="rep@yonder.example"
    ).user
    consultant_b = MembershipFactory(firm=firm_b, user__email="charlie@beta.example").user
    engagement = EngagementFactory(
        client=client_x, name="Xylo sales system", lead_consultant=consultant
    )
    approver_stakeholder = StakeholderFactory(
        engagement=engagement,
        name="Vera Vice",
        email=approver.email,
        user=approver,
        is_approver=True,
        has_portal_access=True,
    )
    rep_stakeholder = StakeholderFactory(engagement=engagement, name="Ray Rep")
    engagement_y = EngagementFactory(client=client_y, name="Yonder rollout")
    StakeholderFactory(
        engagement=engagement_y,
        email=other_client_user.email,
        user=other_client_user,
        has_portal_access=True,
    )
    engagement_b = EngagementFactory(client=ClientFactory(firm=firm_b), name="Beta secret deal")
    return World(
        firm_a=firm_a,
        firm_b=firm_b,
        owner=owner,
        consultant=consultant,
        approver=approver,
        other_client_user=other_client_user,
        consultant_b=consultant_b,
        client_x=client_x,
        client_y=client_y,
        engagement=engagement,
        approver_stakeholder=approver_stakeholder,
        rep_stakeholder=rep_stakeholder,
        engagement_y=engagement_y,
        engagement_b=engagement_b,
    )


def signed_in(user: User | None) -> HttpClient:
    http = HttpClient()
    if user is not None:
        http.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return http


@pytest.fixture
def as_consultant(world) -> HttpClient:
    return signed_in(world.consultant)


@pytest.fixture
def as_owner(world) -> HttpClient:
    return signed_in(world.owner)


@pytest.fixture
def as_approver(world) -> HttpClient:
    return signed_in(world.approver)


@pytest.fixture
def firm_a_scope(world):
    with tenant_scope(world.firm_a):
        yield world


# Tests run with DEBUG off like production, but over plain HTTP, without collectstatic, and with
# a fast password hash. Set once for the session: the live server's middleware reads them at start.
django_settings.SECURE_SSL_REDIRECT = False
django_settings.STORAGES = {
    **django_settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
django_settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

requires_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"
)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the block, then what it queued for after commit (e.g. sending email), as in production.

    Each test runs inside a transaction that never commits, so on-commit work must be let out.
    """
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture(autouse=True)
def _eager_tasks_unless_a_worker_runs(request):
    """Tasks run in-process unless the test starts a real worker (`celery_worker_thread`)."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = "celery_worker_thread" not in request.fixturenames
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def celery_worker_thread(transactional_db, settings):
    """A real Celery worker consuming from the Redis broker in REDIS_URL, in a thread."""
    if not settings.REDIS_URL:
        pytest.skip("needs a Redis broker and a Celery worker (set REDIS_URL)")
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun
    from django.db import connections

    from config.celery import app

    def close_worker_connections(**kwargs) -> None:
        # The worker thread's own connections would otherwise outlive the test database.
        connections.close_all()

    task_postrun.connect(close_worker_connections, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            yield app
    finally:
        task_postrun.disconnect(close_worker_connections)
