"""Adoption alerts with time moved forward (freezegun): raised after N completed weeks below a
threshold, emailed once to the lead consultant and the client's managers, escalated, closed by
themselves on recovery; role alerts; thresholds switched off."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.template import engines
from freezegun import freeze_time

from enablement.models import AdoptionAlert, AlertSeverity
from enablement.selectors.adoption import open_critical_alerts
from enablement.services import alerts, metrics
from enablement.tasks import compute_adoption_metrics, evaluate_adoption_alerts
from engagements.models import Engagement, Stakeholder, StakeholderRole
from engagements.services import stakeholder_update
from tests.enablement.adoption_builders import HALF_RECORD, MONDAY, login, person, record, send

LEAD = "bob@alpha.example"
MANAGER = "mia@xylo.example"


def week(n: int) -> date:
    """The Monday of week n of the scenario (week 1 is MONDAY)."""
    return MONDAY + timedelta(days=7 * (n - 1))


def wednesday_of(n: int) -> date:
    return week(n) + timedelta(days=2)


def active(who, n: int, days: int) -> list[dict]:
    return [login(who, week(n) + timedelta(days=d)) for d in range(days)]


@pytest.fixture(autouse=True)
def _template_engines_loaded_before_time_is_frozen() -> None:
    # Loading the engines imports psycopg's C module, which refuses to import while freezegun
    # has swapped datetime.date for its fake.
    engines.all()


@pytest.fixture(autouse=True)
def _there_before_the_scenario(world):
    """The scenario's events are dated 2025: the engagement started, and its people were added,
    before them (events before the start are refused; nobody is measured before being added)."""
    started = datetime(2025, 1, 1, tzinfo=UTC)
    Engagement.unscoped.update(start_date=started.date())
    Stakeholder.unscoped.update(created_at=started)
    world.engagement.start_date = started.date()


@pytest.fixture
def team(firm_a_scope):
    """Ray (rep) and the engagement's other people; only active days are watched here (no key
    features, no required fields), so the scenario is about one metric."""
    world = firm_a_scope
    world.manager = person(world, "Mia Manager", role=StakeholderRole.MANAGER, email=MANAGER)
    return world


def a_week(world, n: int, ray_days: int) -> None:
    """Week n's usage: Ray active `ray_days` days; Mia (manager) 3 days; Vera (the other rep)
    enough for the reps' average to stay at the threshold (3 days): no role alert."""
    send(
        world.engagement,
        *active(world.rep_stakeholder, n, ray_days),
        *active(world.approver_stakeholder, n, max(5, 6 - ray_days)),
        *active(world.manager, n, 3),
    )


def run_jobs_on(day: date, committed) -> None:
    """What beat does, on `day`: the metrics job, then the alerts job."""
    with freeze_time(day), committed():
        compute_adoption_metrics.apply(throw=True)
        evaluate_adoption_alerts.apply(throw=True)


def ray_alerts():
    return list(AdoptionAlert.objects.filter(subject__startswith="stakeholder:").order_by("id"))


def sent_to() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_an_alert_opens_after_n_completed_weeks_below_and_is_emailed_once(team, committed):
    a_week(team, 1, ray_days=1)
    run_jobs_on(wednesday_of(2), committed)
    assert ray_alerts() == []  # one completed week below: not yet

    a_week(team, 2, ray_days=1)
    run_jobs_on(wednesday_of(3), committed)

    [alert] = ray_alerts()
    assert alert.title == "Ray Rep: active days below 3 days for 2 weeks"
    assert (alert.severity, alert.value, alert.weeks_below) == (AlertSeverity.WARNING, 1, 2)
    assert alert.first_week == week(1) and alert.closed_at is None
    assert "Manager follow-up: Mia Manager to check in with Ray Rep" in alert.intervention
    assert sent_to() == [LEAD, MANAGER]
    assert "Ray Rep: active days below 3 days" in mail.outbox[0].subject

    run_jobs_on(wednesday_of(3) + timedelta(hours=5), committed)  # the next runs that day
    run_jobs_on(wednesday_of(3) + timedelta(days=1), committed)

    assert len(ray_alerts()) == 1
    assert sent_to() == [LEAD, MANAGER]


def test_the_week_in_progress_does_not_count(team, committed):
    a_week(team, 1, ray_days=1)
    a_week(team, 2, ray_days=0)  # week 2 so far, on its Wednesday

    run_jobs_on(wednesday_of(2), committed)

    assert ray_alerts() == []


def test_the_alert_turns_critical_after_twice_n_weeks_without_a_second_email(team, committed):
    for n in (1, 2):
        a_week(team, n, ray_days=1)
    run_jobs_on(wednesday_of(3), committed)
    for n in (3, 4):
        a_week(team, n, ray_days=0)

    run_jobs_on(wednesday_of(5), committed)

    [alert] = ray_alerts()
    assert (alert.severity, alert.weeks_below, alert.value) == (AlertSeverity.CRITICAL, 4, 0)
    assert alert.title.endswith("for 4 weeks")
    assert list(open_critical_alerts(engagement=team.engagement)) == [alert]
    assert len(mail.outbox) == 2


def test_the_alert_closes_itself_when_the_metric_recovers(team, committed):
    for n in (1, 2):
        a_week(team, n, ray_days=1)
    run_jobs_on(wednesday_of(3), committed)

    a_week(team, 3, ray_days=4)
    run_jobs_on(wednesday_of(4), committed)

    [alert] = ray_alerts()
    assert alert.closed_at is not None
    assert alert.closed_reason.startswith("Recovered: 4 days in the week of 17 Mar 2025")
    assert len(mail.outbox) == 2  # closing is not emailed


def test_a_later_drop_opens_a_new_alert_with_a_new_email(team, committed):
    for n, days in ((1, 1), (2, 1), (3, 4), (4, 0), (5, 0)):
        a_week(team, n, ray_days=days)
        run_jobs_on(wednesday_of(n + 1), committed)

    first, second = ray_alerts()
    assert first.closed_at is not None and second.closed_at is None
    assert second.first_week == week(4)
    assert len(mail.outbox) == 4


def test_a_late_event_that_lifts_a_week_closes_the_alert_at_the_next_run(team, committed):
    for n in (1, 2):
        a_week(team, n, ray_days=1)
    run_jobs_on(wednesday_of(3), committed)

    # The CRM's export of week 2 arrives late and complete: Ray was in on three more days.
    send(team.engagement, *[login(team.rep_stakeholder, week(2) + timedelta(days=d), 15)
                            for d in (1, 2, 3)])  # fmt: skip
    run_jobs_on(wednesday_of(3) + timedelta(hours=1), committed)

    assert ray_alerts()[0].closed_at is not None


def test_a_whole_role_below_raises_a_critical_role_alert(team, committed):
    for n in (1, 2):
        send(team.engagement, *active(team.rep_stakeholder, n, 1),
             *active(team.approver_stakeholder, n, 2), *active(team.manager, n, 3))  # fmt: skip
    run_jobs_on(wednesday_of(3), committed)

    role_alert = AdoptionAlert.objects.get(subject="role:rep")
    assert role_alert.severity == AlertSeverity.CRITICAL
    assert role_alert.title == "Reps: active days below 3 days for 2 weeks"
    assert role_alert.stakeholder is None
    assert "the rep team" in role_alert.intervention


def test_switching_a_threshold_off_closes_its_alerts(team, committed):
    for n in (1, 2):
        a_week(team, n, ray_days=1)
    run_jobs_on(wednesday_of(3), committed)
    thresholds = alerts.thresholds_for(engagement=team.engagement)
    thresholds[("rep", "active_days")] = 0

    alerts.adoption_settings_update(
        engagement=team.engagement, actor=team.consultant, consecutive_weeks=2,
        thresholds=thresholds,
    )  # fmt: skip
    run_jobs_on(wednesday_of(3) + timedelta(hours=1), committed)

    assert ray_alerts()[0].closed_reason == "Closed: this metric is no longer watched for the role."


def test_more_weeks_required_before_an_alert(team, committed):
    alerts.adoption_settings_update(
        engagement=team.engagement, actor=team.consultant, consecutive_weeks=3,
        thresholds=alerts.thresholds_for(engagement=team.engagement),
    )  # fmt: skip
    for n in (1, 2):
        a_week(team, n, ray_days=1)
    run_jobs_on(wednesday_of(3), committed)
    assert ray_alerts() == []

    a_week(team, 3, ray_days=1)
    run_jobs_on(wednesday_of(4), committed)
    assert len(ray_alerts()) == 1


def test_the_intervention_names_the_roles_training_module(team, committed):
    from enablement.services import training
    from tests.enablement.training_builders import in_enablement

    in_enablement(team)
    training.module_create(
        engagement=team.engagement, actor=team.consultant, role="rep",
        title="Manage your pipeline", content="", minutes=15, pass_mark=80,
    )  # fmt: skip
    for n in (1, 2):
        a_week(team, n, ray_days=1)
    run_jobs_on(wednesday_of(3), committed)

    assert "Ray Rep to re-take the module “Manage your pipeline”" in ray_alerts()[0].intervention


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("rep-active_days", 8, "A week has 7 days."),
        ("rep-completeness", 120, "A percentage threshold is at most 100."),
        ("rep-score", -1, "A threshold cannot be negative."),
    ],
)
def test_impossible_thresholds_are_refused(team, field, value, message):
    from engagements.errors import ApplicationError

    thresholds = alerts.thresholds_for(engagement=team.engagement)
    thresholds[tuple(field.split("-"))] = value

    with pytest.raises(ApplicationError, match=message) as error:
        alerts.adoption_settings_update(
            engagement=team.engagement, actor=team.consultant, consecutive_weeks=2,
            thresholds=thresholds,
        )  # fmt: skip
    assert error.value.field == field


def test_a_stakeholder_added_later_gets_no_alert_for_the_weeks_before(team, committed):
    for n in (1, 2, 3, 4):
        a_week(team, n, ray_days=3)
    run_jobs_on(wednesday_of(5), committed)
    nina = person(team, "Nina New")
    Stakeholder.objects.filter(pk=nina.pk).update(
        created_at=datetime.combine(wednesday_of(5), datetime.min.time(), tzinfo=UTC)
    )
    # A key feature added: every computed week is recomputed, with Nina among the people now.
    metrics.key_feature_add(
        engagement=team.engagement, actor=team.consultant, role="leadership", name="Board pack"
    )

    run_jobs_on(wednesday_of(5) + timedelta(hours=1), committed)

    assert list(AdoptionAlert.objects.all()) == []
    assert mail.outbox == []


def completeness_below_for_two_weeks(world, committed) -> AdoptionAlert:
    """Ray fills half the required fields of his records in weeks 1 and 2 (active every day)."""
    metrics.required_fields_add_suggested(engagement=world.engagement, actor=world.consultant)
    for n in (1, 2):
        a_week(world, n, ray_days=5)
        send(world.engagement, record(world.rep_stakeholder, f"OPP-{n}", week(n), **HALF_RECORD))
    run_jobs_on(wednesday_of(3), committed)
    [alert] = ray_alerts()
    assert (alert.metric, alert.closed_at) == ("completeness", None)
    return alert


def test_an_alert_closes_when_its_metric_can_no_longer_be_measured(team, committed):
    alert = completeness_below_for_two_weeks(team, committed)

    a_week(team, 3, ray_days=5)  # in the system every day, but no record touched
    run_jobs_on(wednesday_of(4), committed)

    alert.refresh_from_db()
    assert alert.closed_at is not None
    assert alert.closed_reason == (
        "Closed: data-entry completeness could not be measured in the week of 17 Mar 2025 "
        "(no record with required fields was touched)."
    )


def test_an_alert_closes_when_the_stakeholder_moves_to_a_role_where_it_is_not_watched(
    team, committed
):
    alert = completeness_below_for_two_weeks(team, committed)

    stakeholder_update(stakeholder=team.rep_stakeholder, actor=team.consultant, role="ops")
    run_jobs_on(wednesday_of(3) + timedelta(hours=1), committed)

    alert.refresh_from_db()
    assert alert.closed_at is not None
    assert alert.closed_reason == (
        "Closed: Ray Rep is now Ops, whose data-entry completeness is not watched."
    )


def test_a_role_alert_closes_when_no_one_has_the_role_any_more(team, committed):
    for n in (1, 2):
        send(team.engagement, *active(team.rep_stakeholder, n, 1),
             *active(team.approver_stakeholder, n, 2), *active(team.manager, n, 3))  # fmt: skip
    run_jobs_on(wednesday_of(3), committed)
    role_alert = AdoptionAlert.objects.get(subject="role:rep")

    for rep in (team.rep_stakeholder, team.approver_stakeholder):
        stakeholder_update(stakeholder=rep, actor=team.consultant, role="manager")
    metrics.key_feature_add(  # recomputes every week, with the people's roles now
        engagement=team.engagement, actor=team.consultant, role="leadership", name="Board pack"
    )
    run_jobs_on(wednesday_of(3) + timedelta(hours=1), committed)

    role_alert.refresh_from_db()
    assert role_alert.closed_reason == (
        "Closed: no one with the role Rep was measured in the last 4 completed weeks."
    )


@pytest.mark.parametrize(
    ("status", "alerted"), [("on_hold", True), ("completed", False), ("cancelled", False)]
)
def test_only_engagements_not_closed_get_alerts(team, committed, status, alerted):
    for n in (1, 2):
        a_week(team, n, ray_days=1)
    Engagement.objects.filter(pk=team.engagement.pk).update(status=status)

    run_jobs_on(wednesday_of(3), committed)

    assert bool(ray_alerts()) is alerted
    assert bool(mail.outbox) is alerted
    team.engagement.refresh_from_db()
    with freeze_time(wednesday_of(3)):  # as the consultant's "recompute now" does
        outcome = alerts.alerts_evaluate(engagement=team.engagement)
    assert outcome.opened == []
