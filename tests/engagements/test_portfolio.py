"""The firm's portfolio: each red/amber/green rule as time moves, filters, sorting, pages, the CSV
export and the chart of time spent in each phase."""

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from engagements import registry
from engagements.models import (
    Engagement,
    EngagementStatus,
    Milestone,
    PhaseState,
    PhaseStatus,
    RequestStatus,
    SignoffDecision,
    SignoffRequest,
)
from engagements.phases import WORKING_PHASES, Phase
from engagements.portfolio import phase_durations
from engagements.tenancy import tenant_scope
from tests.conftest import signed_in
from tests.factories import ClientFactory, EngagementFactory, StakeholderFactory

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.get_default_timezone())


def _at(days: float) -> datetime:
    return START + timedelta(days=days)


def _engagement(world, name: str, *, client=None, lead=None, phase=Phase.ONBOARDING, **fields):
    return EngagementFactory(
        client=client or world.client_x,
        name=name,
        lead_consultant=lead,
        current_phase=phase,
        **fields,
    )


def _request(engagement, *, due: date | None, approvers=(), phase=None, **fields):
    return SignoffRequest.unscoped.create(
        firm=engagement.firm,
        engagement=engagement,
        phase=phase or engagement.current_phase,
        snapshot={},
        digest="requested",
        approver_ids=[a.pk for a in approvers],
        due_date=due,
        **fields,
    )


def _approve(request, stakeholder, digest="requested"):
    SignoffDecision.unscoped.create(
        firm=request.firm,
        request=request,
        stakeholder=stakeholder,
        user=stakeholder.user,
        decision="approve",
        typed_name=stakeholder.name,
        reviewed_digest=digest,
    )


def _rows(http, **params) -> list[dict]:
    """The result rows as the page shows them: (engagement, status, reason, …) in order."""
    response = http.get(reverse("portfolio"), params)
    assert response.status_code == 200
    return response.context["page"].object_list


def _row(http, name: str, **params):
    return next(row for row in _rows(http, **params) if row.engagement.name == name)


# --- red / amber / green -------------------------------------------------------------------------


def test_a_new_engagement_is_green_and_on_track(as_consultant, world):
    row = _row(as_consultant, "Xylo sales system")
    assert (row.colour, row.reason) == ("green", "On track")
    assert row.days_in_phase == 0


def test_an_engagement_turns_amber_then_red_as_it_sits_in_its_phase(world):
    with freeze_time(START):
        _engagement(world, "Slowcoach")
    http = signed_in(world.consultant)
    with freeze_time(_at(14)):
        assert _row(http, "Slowcoach").colour == "green"
    with freeze_time(_at(15)):
        row = _row(http, "Slowcoach")
        assert row.colour == "amber"
        assert row.reason == "15 days in Onboarding & Alignment and not yet sent for sign-off"
    with freeze_time(_at(30)):
        assert _row(http, "Slowcoach").colour == "amber"
    with freeze_time(_at(31)):
        row = _row(http, "Slowcoach")
        assert row.colour == "red"
        assert row.reason == "Stalled: 31 days in Onboarding & Alignment"


def test_an_open_request_due_later_keeps_a_slow_phase_green(world):
    with freeze_time(START):
        engagement = _engagement(world, "Asked")
    with freeze_time(_at(10)):
        _request(engagement, due=_at(20).date(), approvers=[world.approver_stakeholder])
    with freeze_time(_at(16)):
        row = _row(signed_in(world.consultant), "Asked")
    assert row.colour == "green"
    assert row.reason == "On track: sign-off due in 4 days; waiting on Vera Vice"


def test_a_sign_off_due_within_two_days_is_amber_and_past_its_date_is_red(world):
    with freeze_time(START):
        engagement = _engagement(world, "Deadline")
        dana = StakeholderFactory(engagement=engagement, name="Dana Decider", is_approver=True)
        _request(engagement, due=_at(5).date(), approvers=[dana])
    http = signed_in(world.consultant)
    with freeze_time(_at(2)):
        assert (
            _row(http, "Deadline").reason
            == "On track: sign-off due in 3 days; waiting on Dana Decider"
        )
    with freeze_time(_at(3)):
        row = _row(http, "Deadline")
        assert (row.colour, row.reason) == (
            "amber",
            "Sign-off due in 2 days; waiting on Dana Decider",
        )
    with freeze_time(_at(5)):
        assert _row(http, "Deadline").reason == "Sign-off due today; waiting on Dana Decider"
    with freeze_time(_at(7)):
        row = _row(http, "Deadline")
        assert row.colour == "red"
        assert row.reason == "Sign-off overdue: was due 7 Mar, 2 days ago; waiting on Dana Decider"


def test_an_overdue_sign_off_outranks_a_stall(world):
    with freeze_time(START):
        engagement = _engagement(world, "Both")
        _request(engagement, due=_at(3).date())
    with freeze_time(_at(40)):
        assert _row(signed_in(world.consultant), "Both").reason_code == "overdue"


def test_a_passed_milestone_of_a_phase_not_signed_off_is_amber(world):
    with freeze_time(START):
        engagement = _engagement(world, "Late", phase=Phase.DIAGNOSTIC)
        for phase, title, day in [
            (Phase.ONBOARDING, "Charter agreed", 1),
            (Phase.DIAGNOSTIC, "Workshops held", 4),
            (Phase.ARCHITECTURE, "Blueprint", 20),
        ]:
            Milestone.unscoped.create(
                firm=engagement.firm,
                engagement=engagement,
                phase=phase,
                title=title,
                due_date=_at(day).date(),
            )
        PhaseState.unscoped.create(
            firm=engagement.firm,
            engagement=engagement,
            phase=Phase.ONBOARDING,
            status=PhaseStatus.SIGNED_OFF,
            signed_off_at=START,
        )
    http = signed_in(world.consultant)
    with freeze_time(_at(3)):
        row = _row(http, "Late")
        assert (row.colour, row.milestone_title, row.milestone_days_late) == (
            "green",
            "Workshops held",
            None,
        )
    with freeze_time(_at(6)):
        row = _row(http, "Late")
        assert row.colour == "amber"
        assert row.reason == "Milestone “Workshops held” is 2 days past its date"
        assert row.milestone_days_late == 2
        assert "2 days past" in http.get(reverse("portfolio")).content.decode()


def test_a_signed_off_phase_not_moved_on_says_so(world):
    with freeze_time(START):
        engagement = _engagement(world, "Waiting to advance")
        PhaseState.unscoped.create(
            firm=engagement.firm,
            engagement=engagement,
            phase=Phase.ONBOARDING,
            status=PhaseStatus.SIGNED_OFF,
            signed_off_at=START,
        )
    with freeze_time(_at(20)):
        row = _row(signed_in(world.consultant), "Waiting to advance")
    assert row.reason == "20 days in Onboarding & Alignment: signed off but not moved on"


@pytest.mark.parametrize(
    ("fields", "label"),
    [
        ({"status": EngagementStatus.ON_HOLD}, "On hold"),
        ({"status": EngagementStatus.COMPLETED, "current_phase": Phase.CLOSED}, "Closed"),
        ({"status": EngagementStatus.CANCELLED}, "Cancelled"),
    ],
)
def test_an_engagement_not_in_motion_has_no_colour_and_sorts_last(world, fields, label):
    fields = {"current_phase": Phase.ONBOARDING, **fields}
    with freeze_time(START):
        _engagement(world, "Parked", phase=fields.pop("current_phase"), **fields)
    with freeze_time(_at(90)):
        rows = _rows(signed_in(world.consultant))
    assert rows[-1].engagement.name == "Parked"
    assert (rows[-1].colour, rows[-1].reason) == ("none", label)


def test_only_approvers_who_have_not_approved_are_waited_on(world):
    engagement = world.engagement
    second = StakeholderFactory(engagement=engagement, name="Sam Second", is_approver=True)
    request = _request(
        engagement,
        due=date.today() + timedelta(days=9),
        approvers=[world.approver_stakeholder, second],
    )
    _approve(request, world.approver_stakeholder)
    assert _row(signed_in(world.consultant), "Xylo sales system").pending == ["Sam Second"]


def test_after_a_change_an_approval_of_the_old_content_no_longer_counts(world):
    request = _request(
        world.engagement,
        due=date.today() + timedelta(days=9),
        approvers=[world.approver_stakeholder],
    )
    _approve(request, world.approver_stakeholder, digest="requested")
    SignoffRequest.unscoped.filter(pk=request.pk).update(is_stale=True)
    http = signed_in(world.consultant)
    assert _row(http, "Xylo sales system").pending == ["Vera Vice"]
    _approve(request, world.approver_stakeholder, digest="changed")
    assert _row(http, "Xylo sales system").pending == []


def test_a_request_of_another_phase_is_not_the_current_gate(world):
    _request(world.engagement, phase=Phase.DIAGNOSTIC, due=date.today() - timedelta(days=3))
    row = _row(signed_in(world.consultant), "Xylo sales system")
    assert row.request is None
    assert row.colour == "green"


def test_the_row_shows_readiness_of_the_current_phase(as_consultant, world):
    with tenant_scope(world.firm_a):
        checks = registry.spec_for("onboarding").readiness(world.engagement)
    row = _row(as_consultant, "Xylo sales system")
    assert (row.readiness.passed, row.readiness.total) == (sum(c.passed for c in checks), 5)
    assert (
        f"Readiness <strong>{row.readiness.passed}/5</strong>"
        in as_consultant.get(reverse("portfolio")).content.decode()
    )


def test_the_page_shows_who_it_waits_on_and_since_when(world):
    with freeze_time(START):
        _request(world.engagement, due=_at(6).date(), approvers=[world.approver_stakeholder])
    with freeze_time(_at(3)):
        text = signed_in(world.consultant).get(reverse("portfolio")).content.decode()
    assert "Requested 3 days ago" in text
    assert "Waiting on Vera Vice" in text
    assert "8 Mar 2026" in text  # the due date, as the shared _due.html shows it


# --- filters, sorting, pages ---------------------------------------------------------------------


@pytest.fixture
def spread(world):
    """Four engagements of firm A besides the world's two, in different states, 31 days on."""
    with freeze_time(START):
        _engagement(world, "Stalled one", lead=world.consultant, phase=Phase.BUILD)
        overdue = _engagement(world, "Overdue one", client=world.client_y)
        _request(overdue, due=_at(10).date())
    with freeze_time(_at(20)):
        _engagement(world, "Fresh one", lead=world.owner, phase=Phase.BUILD)
        soon = _engagement(world, "Due soon one", client=world.client_y, lead=world.consultant)
        _request(soon, due=_at(31).date())
    # the world's own two were created "now" (before the freeze): move them to the start too
    Engagement.unscoped.filter(pk__in=[world.engagement.pk, world.engagement_y.pk]).update(
        phase_entered_at=_at(25)
    )
    with freeze_time(_at(31)):
        yield world


def _names(http, **params) -> list[str]:
    return [row.engagement.name for row in _rows(http, **params)]


def test_sorting_by_status_puts_the_most_urgent_first(spread):
    names = _names(signed_in(spread.consultant))
    assert names[:3] == ["Overdue one", "Stalled one", "Due soon one"]


def test_sorting_by_days_in_phase_puts_the_longest_first(spread):
    names = _names(signed_in(spread.consultant), sort="days")
    assert names[:2] == ["Overdue one", "Stalled one"]
    assert names[2:4] == ["Due soon one", "Fresh one"]


def test_sorting_by_client_and_by_due_date(spread):
    http = signed_in(spread.consultant)
    clients = [row.engagement.client.name for row in _rows(http, sort="client")]
    assert clients == sorted(clients)
    assert _names(http, sort="due")[:2] == ["Overdue one", "Due soon one"]


def test_filter_mine_shows_the_engagements_i_lead(spread):
    names = _names(signed_in(spread.consultant), mine="on")
    assert sorted(names) == ["Due soon one", "Stalled one", "Xylo sales system"]
    assert _names(signed_in(spread.owner), mine="on") == ["Fresh one"]


def test_filter_stalled_for_more_than_n_days(spread):
    http = signed_in(spread.consultant)
    assert sorted(_names(http, stalled_days=20)) == ["Overdue one", "Stalled one"]
    assert sorted(_names(http, stalled_days=4)) == [
        "Due soon one",
        "Fresh one",
        "Overdue one",
        "Stalled one",
        "Xylo sales system",
        "Yonder rollout",
    ]


def test_filter_overdue_phase_and_client(spread):
    http = signed_in(spread.consultant)
    assert _names(http, overdue="on") == ["Overdue one"]
    assert sorted(_names(http, phase="build")) == ["Fresh one", "Stalled one"]
    client_y = str(spread.client_y.public_id)
    assert sorted(_names(http, client=client_y)) == [
        "Due soon one",
        "Overdue one",
        "Yonder rollout",
    ]
    assert _names(http, client=client_y, overdue="on", phase="onboarding") == ["Overdue one"]


def test_a_bad_filter_value_is_explained_and_ignored(as_consultant, world):
    response = as_consultant.get(reverse("portfolio"), {"stalled_days": "-3", "sort": "nonsense"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Ensure this value is greater than or equal to 1." in text
    assert len(response.context["page"].object_list) == 2


def test_another_firms_client_is_not_a_filter_choice(as_consultant, world):
    other = world.engagement_b.client
    response = as_consultant.get(reverse("portfolio"), {"client": str(other.public_id)})
    assert other.name not in response.content.decode()
    assert "Select a valid choice" in response.content.decode()


def test_pages_of_25_keep_the_filters(world):
    EngagementFactory.create_batch(30, client=world.client_x, lead_consultant=world.consultant)
    http = signed_in(world.consultant)
    first = http.get(reverse("portfolio"), {"mine": "on", "sort": "client"})
    assert len(first.context["page"].object_list) == 25
    text = first.content.decode()
    assert 'href="?mine=on&amp;sort=client&amp;page=2"' in text
    assert "/workspace/portfolio/export.csv?mine=on&amp;sort=client" in text
    second = http.get(reverse("portfolio"), {"mine": "on", "sort": "client", "page": 2})
    assert len(second.context["page"].object_list) == 6  # 30 + the world's engagement
    assert 'href="?mine=on&amp;sort=client&amp;page=1"' in second.content.decode()


def test_a_filter_change_from_htmx_returns_only_the_results(as_consultant, world):
    response = as_consultant.get(
        reverse("portfolio"), {"phase": "build"}, headers={"HX-Request": "true"}
    )
    text = response.content.decode()
    assert text.lstrip().startswith('<section id="portfolio-results"')
    assert "No engagement matches these filters." in text
    assert "<svg" not in text


def test_no_engagement_yet_says_how_to_start(world):
    with tenant_scope(world.firm_b):
        Engagement.objects.all().delete()
    response = signed_in(world.consultant_b).get(reverse("portfolio"))
    assert "No engagements yet." in response.content.decode()


# --- who may see it ------------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["portfolio", "portfolio_export"])
def test_a_client_user_gets_404(world, url_name):
    assert signed_in(world.approver).get(reverse(url_name)).status_code == 404


@pytest.mark.parametrize("url_name", ["portfolio", "portfolio_export"])
def test_an_anonymous_visitor_is_sent_to_sign_in(world, url_name):
    response = signed_in(None).get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_another_firms_engagements_never_appear(world):
    http = signed_in(world.consultant_b)
    page = http.get(reverse("portfolio")).content.decode()
    export = http.get(reverse("portfolio_export")).content.decode()
    for text in (page, export):
        assert "Beta secret deal" in text
        assert "Xylo sales system" not in text
        assert "Yonder rollout" not in text


def test_the_chart_counts_only_the_firms_own_engagements(world):
    with tenant_scope(world.firm_b):
        durations = {d.phase: d for d in phase_durations()}
    assert len(durations[Phase.ONBOARDING].ongoing) == 1


def test_the_portfolio_is_in_the_workspace_navigation(as_owner):
    assert f'href="{reverse("portfolio")}"' in as_owner.get(reverse("dashboard")).content.decode()


# --- CSV -----------------------------------------------------------------------------------------


def _csv(http, **params) -> list[list[str]]:
    response = http.get(reverse("portfolio_export"), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="portfolio-')
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_csv_has_a_row_per_filtered_engagement_with_its_gate(world):
    with freeze_time(START):
        _request(world.engagement, due=_at(1).date(), approvers=[world.approver_stakeholder])
    with freeze_time(_at(4)):
        rows = _csv(signed_in(world.consultant), client=str(world.client_x.public_id))
    header, *body = rows
    assert header[:7] == [
        "Engagement",
        "Client",
        "Lead",
        "Phase",
        "Days in phase",
        "Status",
        "Reason",
    ]
    assert len(body) == 1
    record = dict(zip(header, body[0], strict=True))
    assert record["Engagement"] == "Xylo sales system"
    assert record["Client"] == "Xylo Corp"
    assert record["Phase"] == "Onboarding & Alignment"
    assert record["Status"] == "Red"
    assert record["Reason"] == "Sign-off overdue: was due 3 Mar, 3 days ago; waiting on Vera Vice"
    assert record["Readiness checks"] == "5"
    assert record["Sign-off requested on"] == "2026-03-02"
    assert record["Sign-off due"] == "2026-03-03"
    assert record["Waiting on"] == "Vera Vice"


def test_a_hostile_client_name_cannot_run_as_a_formula_in_the_csv(world):
    hostile = ClientFactory(firm=world.firm_a, name='=HYPERLINK("http://evil.example","x")')
    EngagementFactory(client=hostile, name="@SUM(A1:A9)")
    EngagementFactory(client=hostile, name="\tTabbed")
    rows = _csv(signed_in(world.consultant), client=str(hostile.public_id), sort="client")
    cells = [cell for row in rows[1:] for cell in row[:2]]
    assert '\'=HYPERLINK("http://evil.example","x")' in cells
    assert "'@SUM(A1:A9)" in cells
    assert "'\tTabbed" in cells
    assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for row in rows for cell in row)


# --- the chart of time in each phase -------------------------------------------------------------


def _signed(engagement, phase, at):
    PhaseState.unscoped.create(
        firm=engagement.firm,
        engagement=engagement,
        phase=phase,
        status=PhaseStatus.SIGNED_OFF,
        signed_off_at=at,
    )


@pytest.fixture
def history(world):
    """Three engagements created on START: onboarding took them 10, 20 and 60 days; the first
    also finished the diagnostic in 5 days and is in architecture since day 15."""
    Engagement.unscoped.filter(firm=world.firm_a).delete()
    with freeze_time(START):
        quick = _engagement(world, "Quick", phase=Phase.ARCHITECTURE)
        medium = _engagement(world, "Medium", phase=Phase.DIAGNOSTIC)
        slow = _engagement(world, "Slow", phase=Phase.DIAGNOSTIC)
        _engagement(world, "Stuck")
    _signed(quick, Phase.ONBOARDING, _at(10))
    _signed(quick, Phase.DIAGNOSTIC, _at(15))
    _signed(medium, Phase.ONBOARDING, _at(20))
    _signed(slow, Phase.ONBOARDING, _at(60))
    Engagement.unscoped.filter(pk=quick.pk).update(phase_entered_at=_at(15))
    Engagement.unscoped.filter(pk=medium.pk).update(phase_entered_at=_at(20))
    Engagement.unscoped.filter(pk=slow.pk).update(phase_entered_at=_at(60))
    return world


def test_phase_durations_measure_each_phase_between_sign_offs(history):
    with tenant_scope(history.firm_a), freeze_time(_at(70)):
        durations = {d.phase: d for d in phase_durations()}
    onboarding = durations[Phase.ONBOARDING]
    assert sorted(onboarding.finished) == [10, 20, 60]
    assert (onboarding.median, onboarding.shortest, onboarding.longest) == (20, 10, 60)
    assert onboarding.ongoing == [70]  # "Stuck", still in onboarding
    assert durations[Phase.DIAGNOSTIC].finished == [5]
    assert sorted(durations[Phase.DIAGNOSTIC].ongoing) == [10, 50]
    assert durations[Phase.ARCHITECTURE].ongoing == [55]
    assert durations[Phase.BUILD].finished == durations[Phase.BUILD].ongoing == []


def test_a_reopened_phase_without_both_sign_offs_is_left_out(world):
    Engagement.unscoped.filter(firm=world.firm_a).delete()
    with freeze_time(START):
        engagement = _engagement(world, "Gap", phase=Phase.ARCHITECTURE)
    _signed(engagement, Phase.DIAGNOSTIC, _at(30))  # onboarding's sign-off is not recorded
    with tenant_scope(world.firm_a), freeze_time(_at(40)):
        durations = {d.phase: d for d in phase_durations()}
    assert durations[Phase.ONBOARDING].finished == []
    assert durations[Phase.DIAGNOSTIC].finished == []


def test_the_page_draws_the_chart_and_its_numbers(history):
    with freeze_time(_at(70)):
        text = signed_in(history.consultant).get(reverse("portfolio")).content.decode()
    assert 'role="img"' in text
    assert '<title id="phase-time-title">Days spent in each phase' in text
    assert (
        "Onboarding &amp; Alignment: 3 finished it in a median of 20 days "
        "(from 10 days to 60 days); 1 in it now, the longest for 70 days."
    ) in text
    assert "they spend longest in <strong>Onboarding &amp; Alignment</strong>" in text
    assert text.count('class="ongoing"') == 4
    assert text.count('class="range"') == 2
    # the table beside the chart says the same in numbers
    assert (
        '<th scope="row">Onboarding &amp; Alignment</th>\n        <td>3</td>\n        <td>20</td>'
        in text
    )


def test_the_chart_scales_to_the_longest_time(history):
    from engagements.portfolio_chart import LEFT, RIGHT, phase_durations_svg

    with tenant_scope(history.firm_a), freeze_time(_at(70)):
        svg = phase_durations_svg(phase_durations())
    # 70 days → a 90-day axis: the median of 20 days sits at 20/90 of the plot
    assert f'x1="{LEFT + 20 * (RIGHT - LEFT) / 90:.1f}"' in svg
    assert ">90</text>" in svg


def test_the_chart_says_when_there_is_nothing_to_show(world):
    from engagements.portfolio_chart import phase_durations_svg

    svg = phase_durations_svg(_empty_durations())
    assert "No engagement has time in a phase yet" in svg


def _empty_durations():
    from engagements.portfolio import PhaseDurations

    return [PhaseDurations(phase, [], []) for phase in WORKING_PHASES]


# --- queries -------------------------------------------------------------------------------------


def _full_history(world, count: int) -> None:
    """`count` engagements in the build phase, each with onboarding, diagnostic and architecture
    signed off (request, decision, phase state), milestones for every phase, two approvers and
    an open build request one of them has approved."""
    firm = world.firm_a
    for n in range(count):
        engagement = EngagementFactory(
            client=world.client_x, lead_consultant=world.consultant, current_phase=Phase.BUILD
        )
        approvers = [
            StakeholderFactory(engagement=engagement, is_approver=True, user=world.approver),
            StakeholderFactory(engagement=engagement, is_approver=True),
        ]
        for phase in WORKING_PHASES:
            Milestone.unscoped.create(
                firm=firm,
                engagement=engagement,
                phase=phase,
                title=f"{phase.label} {n}",
                due_date=date(2030, 1, 1),
            )
        for phase in (Phase.ONBOARDING, Phase.DIAGNOSTIC, Phase.ARCHITECTURE):
            request = _request(
                engagement,
                phase=phase,
                due=date(2030, 1, 1),
                approvers=approvers,
                status=RequestStatus.APPROVED,
                closed_at=timezone.now(),
            )
            for approver in approvers[:1]:
                _approve(request, approver)
            _signed(engagement, phase, timezone.now())
        request = _request(engagement, due=date(2030, 1, 1), approvers=approvers)
        _approve(request, approvers[0])


def _count(http, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert http.get(url).status_code == 200
    return len(captured)


def test_the_portfolio_query_count_does_not_grow_beyond_a_page(world):
    """At 1, 25 and 50 engagements with full gate history.

    Everything but readiness is batched: a constant number of queries whatever the number of
    engagements. Readiness runs each row's phase checks (several queries each, from the phase
    app's `gate.py`), and only for the rows of the page shown, so the count grows with the rows
    on the page up to 25 and then stays constant: the same at 50 engagements as at 25, and the
    growth from 1 to 25 is exactly 24 rows' readiness checks."""
    Engagement.unscoped.filter(firm=world.firm_a).delete()
    http = signed_in(world.consultant)
    url = reverse("portfolio")
    _full_history(world, 1)
    one = _count(http, url)
    with tenant_scope(world.firm_a):
        sample = Engagement.objects.get()
        with CaptureQueriesContext(connection) as readiness:
            registry.spec_for(Phase.BUILD).readiness(sample)
    _full_history(world, 24)
    page = _count(http, url)
    assert page == one + 24 * len(readiness)
    _full_history(world, 25)
    assert _count(http, url) == page
    assert _count(http, url + "?sort=due&page=2") == page


def test_the_export_query_count_grows_only_by_readiness(world):
    """The export runs readiness for every row it writes; nothing else grows."""
    Engagement.unscoped.filter(firm=world.firm_a).delete()
    http = signed_in(world.consultant)
    url = reverse("portfolio_export")
    _full_history(world, 1)
    one = _count(http, url)
    with tenant_scope(world.firm_a):
        sample = Engagement.objects.get()
        with CaptureQueriesContext(connection) as readiness:
            registry.spec_for(Phase.BUILD).readiness(sample)
    _full_history(world, 9)
    assert _count(http, url) == one + 9 * len(readiness)


@pytest.mark.parametrize("url_name", ["portfolio", "portfolio_export"])
def test_the_portfolio_only_answers_reads(as_consultant, url_name):
    assert as_consultant.post(reverse(url_name)).status_code == 405


def test_the_dashboard_counts_red_amber_and_green(spread):
    text = signed_in(spread.consultant).get(reverse("dashboard")).content.decode()
    assert "2 red</span>" in text  # overdue, stalled
    assert "1 amber</span>" in text  # due today
    assert "3 green</span>" in text


def test_a_bad_filter_from_htmx_is_explained_in_the_results(as_consultant):
    response = as_consultant.get(
        reverse("portfolio"), {"stalled_days": "0"}, headers={"HX-Request": "true"}
    )
    assert "These filters were ignored" in response.content.decode()
