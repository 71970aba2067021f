"""Adoption metric maths on hand-made event sets: what a week of events gives per stakeholder,
with duplicates, late events, silent weeks, and the documented score."""

import logging
from datetime import UTC, date, datetime, timedelta

import pytest

from enablement.models import DirtyWeek, UsageEvent, WeeklyMetric
from enablement.services import alerts, metrics
from enablement.services.metrics import adoption_score
from enablement.tasks import compute_adoption_metrics, evaluate_adoption_alerts
from engagements.models import Engagement, Job, JobStatus, Stakeholder, StakeholderRole
from engagements.tenancy import tenant_scope
from tests.enablement.adoption_builders import (
    FULL_RECORD,
    HALF_RECORD,
    MONDAY,
    WEEK_2,
    WEEK_3,
    feature,
    login,
    person,
    record,
    send,
    with_measures,
)

TODAY = WEEK_3 + timedelta(days=2)  # a Wednesday: weeks 1 and 2 are complete
WEEK_4 = WEEK_3 + timedelta(days=7)
SCENARIO_START = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _there_before_the_scenario(world):
    """The hand-made events are dated 2025: the engagements started, and their people were
    added, before them. (Events before a start date are refused, and nobody is measured in the
    weeks before they were added.)"""
    Engagement.unscoped.update(start_date=SCENARIO_START.date())
    Stakeholder.unscoped.update(created_at=SCENARIO_START)
    for engagement in (world.engagement, world.engagement_y, world.engagement_b):
        engagement.start_date = SCENARIO_START.date()


def added_on(who: Stakeholder, day: date) -> Stakeholder:
    """`who` was added to the engagement on `day`."""
    Stakeholder.objects.filter(pk=who.pk).update(
        created_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    )
    return who


def weeks_of(who: Stakeholder) -> list[date]:
    rows = WeeklyMetric.objects.filter(stakeholder=who).order_by("week")
    return list(rows.values_list("week", flat=True))


@pytest.fixture
def ray(firm_a_scope):
    with_measures(firm_a_scope)
    return firm_a_scope.rep_stakeholder


def week_of(stakeholder, week) -> WeeklyMetric:
    return WeeklyMetric.objects.get(stakeholder=stakeholder, week=week)


def compute():
    return metrics.metrics_compute(today=TODAY)


def test_active_days_count_distinct_days_and_logins_count_login_events(firm_a_scope, ray):
    send(
        firm_a_scope.engagement,
        login(ray, MONDAY, 8),
        login(ray, MONDAY, 14),
        login(ray, MONDAY + timedelta(days=2)),
        feature(ray, "pipeline", MONDAY + timedelta(days=3)),
    )

    compute()

    row = week_of(ray, MONDAY)
    assert (row.active_days, row.logins, row.events) == (3, 3, 4)


def test_completeness_is_required_fields_filled_over_required_on_the_records_they_own(
    firm_a_scope, ray
):
    send(
        firm_a_scope.engagement,
        record(ray, "OPP-1", MONDAY, **FULL_RECORD),
        record(ray, "OPP-2", MONDAY + timedelta(days=1), **HALF_RECORD),
    )

    compute()

    row = week_of(ray, MONDAY)
    assert (row.records, row.required_filled, row.required_total) == (2, 6, 8)
    assert row.completeness == 75.0


def test_utilisation_is_the_share_of_the_roles_key_features_used(firm_a_scope, ray):
    send(
        firm_a_scope.engagement,
        feature(ray, "pipeline", MONDAY),
        feature(ray, "Pipeline ", MONDAY + timedelta(days=1)),  # same feature, other spelling
        feature(ray, "search", MONDAY + timedelta(days=2)),
        feature(ray, "forecast", MONDAY + timedelta(days=2)),  # a manager's key feature
        feature(ray, "email sync", MONDAY + timedelta(days=2)),  # no one's key feature
    )

    compute()

    row = week_of(ray, MONDAY)
    assert (row.features_used, row.features_expected) == (2, 3)
    assert row.utilisation == 66.7


def test_the_score_weighs_activity_completeness_and_utilisation_as_documented(firm_a_scope, ray):
    send(
        firm_a_scope.engagement,
        login(ray, MONDAY),
        login(ray, MONDAY + timedelta(days=1)),
        feature(ray, "pipeline", MONDAY + timedelta(days=2)),
        feature(ray, "search", MONDAY + timedelta(days=2)),
        record(ray, "OPP-1", MONDAY, **FULL_RECORD),
        record(ray, "OPP-2", MONDAY, **HALF_RECORD),
    )

    compute()

    # activity 3/5 = 0.6, completeness 0.75, utilisation 2/3:
    # 100 × (0.4 × 0.6 + 0.3 × 0.75 + 0.3 × 0.667) = 66.5
    assert week_of(ray, MONDAY).score == 66.5


def test_a_part_that_cannot_be_measured_is_left_out_of_the_score():
    assert adoption_score(active_days=5, completeness=None, utilisation=None) == 100.0
    assert adoption_score(active_days=0, completeness=None, utilisation=50) == 21.4
    assert adoption_score(active_days=7, completeness=100, utilisation=100) == 100.0


def test_an_event_sent_twice_is_stored_and_counted_once(firm_a_scope, ray):
    batch = [login(ray, MONDAY), login(ray, MONDAY + timedelta(days=1), id="crm-42")]

    first = send(firm_a_scope.engagement, *batch)
    again = send(firm_a_scope.engagement, *batch, login(ray, MONDAY))
    compute()

    assert (first.stored, first.duplicates) == (2, 0)
    assert (again.stored, again.duplicates) == (0, 3)
    assert UsageEvent.objects.count() == 2
    assert week_of(ray, MONDAY).logins == 2


def test_an_event_with_a_source_id_is_recognised_even_if_its_content_changed(firm_a_scope, ray):
    send(firm_a_scope.engagement, login(ray, MONDAY, id="crm-7"))
    again = send(firm_a_scope.engagement, login(ray, MONDAY, 10, id="crm-7"))

    assert (again.stored, again.duplicates) == (0, 1)


def test_a_late_event_recomputes_its_week_and_only_that_week(firm_a_scope, ray):
    send(firm_a_scope.engagement, login(ray, MONDAY), login(ray, WEEK_2))
    compute()
    week_two_computed_at = week_of(ray, WEEK_2).updated_at
    assert not DirtyWeek.objects.exists()

    send(firm_a_scope.engagement, login(ray, MONDAY + timedelta(days=4)))  # arrives a week late
    assert list(DirtyWeek.objects.values_list("week", flat=True)) == [MONDAY]
    compute()

    assert week_of(ray, MONDAY).active_days == 2
    assert week_of(ray, WEEK_2).updated_at == week_two_computed_at
    assert not DirtyWeek.objects.exists()


def test_a_stakeholder_without_events_gets_a_zero_week_beside_active_colleagues(firm_a_scope, ray):
    quiet = added_on(person(firm_a_scope, "Quinn Quiet"), SCENARIO_START.date())
    send(firm_a_scope.engagement, login(ray, MONDAY))

    compute()

    row = week_of(quiet, MONDAY)
    assert (row.active_days, row.logins, row.score) == (0, 0, 0)
    assert row.completeness is None  # no record: not measured, not zero
    assert row.utilisation == 0.0  # reps have key features, and used none


def test_a_completed_week_without_any_event_is_filled_with_zeros(firm_a_scope, ray):
    send(firm_a_scope.engagement, login(ray, MONDAY))
    compute()

    compute()  # nothing new arrived; week 2 is complete and silent

    assert week_of(ray, WEEK_2).active_days == 0
    assert not WeeklyMetric.objects.filter(week=WEEK_3).exists()  # in progress: not filled


def test_a_role_without_key_features_has_no_utilisation(firm_a_scope, ray):
    ops = person(firm_a_scope, "Olga Ops", role=StakeholderRole.OPS)
    send(firm_a_scope.engagement, feature(ops, "configuration", MONDAY))

    compute()

    assert week_of(ops, MONDAY).utilisation is None
    assert week_of(ops, MONDAY).score == 20.0  # activity only: 1 day of 5


def test_changing_key_features_recomputes_every_week(firm_a_scope, ray):
    send(firm_a_scope.engagement, feature(ray, "email sync", MONDAY), login(ray, WEEK_2))
    compute()
    assert week_of(ray, MONDAY).utilisation == 0.0

    metrics.key_feature_add(
        engagement=firm_a_scope.engagement, actor=firm_a_scope.consultant, role="rep",
        name="Email Sync",
    )  # fmt: skip
    compute()

    assert week_of(ray, MONDAY).utilisation == 25.0
    assert week_of(ray, WEEK_2).features_expected == 4


def test_events_of_other_engagements_and_firms_do_not_count(firm_a_scope, ray):
    from engagements.tenancy import tenant_scope
    from tests.factories import StakeholderFactory

    other = StakeholderFactory(engagement=firm_a_scope.engagement_y, email=ray.email)
    send(firm_a_scope.engagement_y, login(other, MONDAY), login(other, MONDAY + timedelta(1)))
    with tenant_scope(firm_a_scope.firm_b):
        b = StakeholderFactory(engagement=firm_a_scope.engagement_b, email=ray.email)
        send(firm_a_scope.engagement_b, login(b, MONDAY + timedelta(days=2)))
        metrics.metrics_compute(today=TODAY)
    send(firm_a_scope.engagement, login(ray, MONDAY))

    compute()

    assert week_of(ray, MONDAY).active_days == 1


def test_the_computation_is_a_fixed_number_of_grouped_queries_whatever_the_events(
    firm_a_scope, ray, django_assert_num_queries
):
    def run_with(events: int) -> int:
        WeeklyMetric.objects.all().delete()
        send(
            firm_a_scope.engagement,
            *[feature(ray, "pipeline", MONDAY, hour=h % 24) | {"id": f"e{events}-{h}"}
              for h in range(events)],
        )  # fmt: skip
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            compute()
        return len(queries)

    assert run_with(3) == run_with(300)


def test_an_event_arriving_while_its_week_is_computed_leaves_the_week_dirty(
    firm_a_scope, ray, monkeypatch
):
    send(firm_a_scope.engagement, login(ray, MONDAY))
    original = metrics.metrics_compute_weeks

    def compute_while_an_event_arrives(**kwargs):
        written = original(**kwargs)
        send(firm_a_scope.engagement, login(ray, MONDAY + timedelta(days=1)))
        return written

    monkeypatch.setattr(metrics, "metrics_compute_weeks", compute_while_an_event_arrives)
    compute()
    monkeypatch.undo()

    assert list(DirtyWeek.objects.values_list("week", flat=True)) == [MONDAY]
    compute()
    assert week_of(ray, MONDAY).active_days == 2


def test_the_adoption_jobs_command_runs_the_beat_jobs_once(firm_a_scope, ray):
    from io import StringIO

    from django.core.management import call_command

    from engagements.tenancy import tenant_scope

    send(firm_a_scope.engagement, login(ray, MONDAY))
    out = StringIO()

    with tenant_scope(None):  # as from cron: no firm in scope, each firm's work in its own
        call_command("adoption_jobs", stdout=out)

    assert "Adoption metrics and alerts are up to date." in out.getvalue()
    assert week_of(ray, MONDAY).active_days == 1
    assert not DirtyWeek.objects.exists()


# --- people added later, and the start of the engagement ----------------------------------------


def test_a_stakeholder_added_later_is_not_measured_in_the_weeks_before_they_were_added(
    firm_a_scope, ray
):
    send(firm_a_scope.engagement, login(ray, MONDAY), login(ray, WEEK_2))
    nina = added_on(person(firm_a_scope, "Nina New"), WEEK_3 + timedelta(days=1))
    metrics.metrics_compute(today=WEEK_4 + timedelta(days=2))

    # A change of what is measured recomputes every earlier week, with Nina there now.
    metrics.key_feature_add(
        engagement=firm_a_scope.engagement, actor=firm_a_scope.consultant, role="rep",
        name="Email Sync",
    )  # fmt: skip
    metrics.metrics_compute(today=WEEK_4 + timedelta(days=2))

    assert weeks_of(nina) == [WEEK_3]  # the week she was added, silent: a zero
    assert week_of(nina, WEEK_3).active_days == 0
    assert weeks_of(ray) == [MONDAY, WEEK_2, WEEK_3]


def test_a_stakeholder_added_later_with_earlier_usage_is_measured_from_their_first_event(
    firm_a_scope, ray
):
    nina = added_on(person(firm_a_scope, "Nina New"), WEEK_3 + timedelta(days=1))
    send(firm_a_scope.engagement, login(ray, MONDAY), login(nina, MONDAY))  # her history

    for _ in range(2):  # the second run fills the silent weeks
        metrics.metrics_compute(today=WEEK_4 + timedelta(days=2))

    assert weeks_of(nina) == [MONDAY, WEEK_2, WEEK_3]
    assert [week_of(nina, w).active_days for w in (MONDAY, WEEK_2)] == [1, 0]
    assert metrics.engagements_to_compute(today=WEEK_4 + timedelta(days=2)) == []

    # A later recompute of week 2 alone still finds her history in week 1's metrics.
    send(firm_a_scope.engagement, login(ray, WEEK_2))
    metrics.metrics_compute(today=WEEK_4 + timedelta(days=2))
    assert weeks_of(nina) == [MONDAY, WEEK_2, WEEK_3]


def test_silent_weeks_are_not_filled_before_the_engagement_started(firm_a_scope, ray):
    send(firm_a_scope.engagement, login(ray, MONDAY))
    compute()
    # The start date is corrected to a later one after that usage was stored.
    Engagement.objects.filter(pk=firm_a_scope.engagement.pk).update(
        start_date=WEEK_3 + timedelta(days=3)
    )

    metrics.metrics_compute(today=WEEK_4 + timedelta(days=9))  # weeks 2, 3 and 4 complete

    assert weeks_of(ray) == [MONDAY, WEEK_3, WEEK_4]


# --- the recompute request and the beat jobs --------------------------------------------------


def test_a_recompute_request_queues_the_job_once_the_request_commits(firm_a_scope, ray, committed):
    send(firm_a_scope.engagement, login(ray, MONDAY))

    with committed():
        job = metrics.metrics_recompute_request(
            engagement=firm_a_scope.engagement, actor=firm_a_scope.consultant
        )
        assert (job.kind, job.status) == (metrics.METRICS_JOB, JobStatus.QUEUED)
        assert not WeeklyMetric.objects.exists()  # nothing runs before the commit

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert Job.objects.filter(kind=metrics.METRICS_JOB).count() == 1
    assert week_of(ray, MONDAY).logins == 1


@pytest.fixture
def two_firms(firm_a_scope, ray):
    """A login waiting to be computed in firm A and in firm B."""
    from tests.factories import StakeholderFactory

    send(firm_a_scope.engagement, login(ray, MONDAY))
    with tenant_scope(firm_a_scope.firm_b):
        bea = StakeholderFactory(engagement=firm_a_scope.engagement_b, email="bea@b.example")
        added_on(bea, SCENARIO_START.date())
        send(firm_a_scope.engagement_b, login(bea, MONDAY))
    return firm_a_scope


def failing_for(world, original):
    def fail_for_firm_a(*, engagement, **kwargs):
        if engagement.firm_id == world.firm_a.pk:
            raise RuntimeError("firm A's data is broken")
        return original(engagement=engagement, **kwargs)

    return fail_for_firm_a


def test_one_engagements_failure_does_not_stop_the_metrics_of_the_others(
    two_firms, monkeypatch, caplog
):
    monkeypatch.setattr(
        metrics, "metrics_compute_weeks", failing_for(two_firms, metrics.metrics_compute_weeks)
    )

    with tenant_scope(None), caplog.at_level(logging.ERROR):
        compute_adoption_metrics.apply(throw=True)

    assert WeeklyMetric.unscoped.filter(firm=two_firms.firm_b).exists()
    assert not WeeklyMetric.unscoped.filter(firm=two_firms.firm_a).exists()
    assert DirtyWeek.unscoped.filter(firm=two_firms.firm_a).exists()  # for the next run
    assert "Xylo sales system" in caplog.text and "firm A's data is broken" in caplog.text


def test_one_engagements_failure_does_not_stop_the_alerts_of_the_others(
    two_firms, monkeypatch, caplog
):
    evaluated = []
    original = failing_for(two_firms, alerts.alerts_evaluate)

    def evaluate(*, engagement, **kwargs):
        outcome = original(engagement=engagement, **kwargs)
        evaluated.append(engagement.name)
        return outcome

    monkeypatch.setattr(alerts, "alerts_evaluate", evaluate)

    with tenant_scope(None), caplog.at_level(logging.ERROR):
        evaluate_adoption_alerts.apply(throw=True)

    assert evaluated == ["Beta secret deal"]
    assert WeeklyMetric.unscoped.filter(firm=two_firms.firm_a).exists()
    assert "Xylo sales system" in caplog.text and "firm A's data is broken" in caplog.text
