"""Adoption metrics: per stakeholder and ISO week, computed in the database from usage events.

The metrics of a stakeholder's week (`WeeklyMetric`):

- **active days**: distinct days with any event (0–7); **logins**: login events.
- **data-entry completeness** (%): required fields filled over required fields, summed over
  the record events they own that week (record events carry both counts from ingestion).
  Null when they touched no record of an object with required fields.
- **feature utilisation** (%): distinct key features of their role used that week over the
  role's key features. Null when the role has no key features.
- **adoption score** (0–100) = 100 × the weighted mean of
  activity = min(active days / 5, 1) (weight 0.4), completeness / 100 (weight 0.3) and
  utilisation / 100 (weight 0.3). A component that could not be measured (null) is left out
  and the weights of the others are rescaled, so nobody is marked down for what does not apply.

Who is measured when: a stakeholder has a row for every week from the week they were added to
the engagement on, or from the week of their first event if that is earlier (usage history
imported for them: silent weeks after it are real zeros); never before. Someone added today
without history is not marked down, or alerted on, for the weeks before they were there.

How it is computed: ingestion marks every week that received a new event dirty. A run
recomputes only dirty weeks (and fills completed weeks that got no event at all with zeros, so a
silent week shows as one), each from scratch: one grouped query per metric over that
engagement's events of those weeks, then the rows of the engagement's stakeholders are replaced
in one transaction. A week recomputed from scratch cannot double count an event that arrived
twice (it is stored once) or miss one that arrived late (its week was marked dirty). Silent
weeks are filled only for engagements still tracking adoption (not completed or cancelled), and
never before the engagement's start (`usage.earliest_event_day`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, timedelta

from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from enablement.models import DirtyWeek, KeyFeature, RequiredField, UsageEvent, WeeklyMetric
from enablement.services.usage import dirty_weeks_mark, earliest_event_day, normalise, week_of
from engagements.errors import ApplicationError
from engagements.models import (
    Engagement,
    EngagementStatus,
    Job,
    JobStatus,
    Stakeholder,
    StakeholderRole,
    User,
)
from engagements.services import jobs

METRICS_JOB = "adoption_metrics"
"""The kind of the job record of a consultant's "recompute now"."""
TRACKING_STATUSES = (EngagementStatus.ACTIVE, EngagementStatus.ON_HOLD)
"""Engagements still tracking adoption: not closed. Only they get silent weeks filled and alerts
evaluated (and emailed); a completed or cancelled engagement's metrics still take late events."""
WEIGHTS = {"activity": 0.4, "completeness": 0.3, "utilisation": 0.3}
FULL_ACTIVITY_DAYS = 5
"""Active days in a week that count as fully active (a working week)."""

DEFAULT_KEY_FEATURES: dict[str, list[str]] = {
    # From the framework: what each role needs to do in the new system.
    StakeholderRole.REP: ["pipeline", "activity logging", "search"],
    StakeholderRole.MANAGER: ["dashboards", "forecast", "team performance"],
    StakeholderRole.OPS: ["configuration", "integrations", "custom reports"],
    StakeholderRole.LEADERSHIP: ["dashboards", "forecast"],
}
DEFAULT_REQUIRED_FIELDS: dict[str, list[str]] = {
    "opportunity": ["amount", "close date", "stage", "next step"],
}


def default_key_features() -> dict[str, list[str]]:
    return {role: list(names) for role, names in DEFAULT_KEY_FEATURES.items()}


def adoption_score(
    *, active_days: int, completeness: float | None, utilisation: float | None
) -> float:
    """The documented score (module docstring): 0–100, rounded to one decimal."""
    parts = [(WEIGHTS["activity"], min(active_days / FULL_ACTIVITY_DAYS, 1.0))]
    if completeness is not None:
        parts.append((WEIGHTS["completeness"], completeness / 100))
    if utilisation is not None:
        parts.append((WEIGHTS["utilisation"], utilisation / 100))
    total_weight = sum(weight for weight, _ in parts)
    return round(100 * sum(weight * value for weight, value in parts) / total_weight, 1)


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def engagement_is_tracking(engagement: Engagement) -> bool:
    return engagement.status in TRACKING_STATUSES


def _first_weeks(
    engagement: Engagement, stakeholders: list[dict], weeks: list[date], activity: dict
) -> dict[int, date]:
    """Each stakeholder's first measured week (module docstring): the week they were added, or
    of their first event if earlier. Events of the weeks computed now are in `activity`; those
    of weeks computed before show as rows with events, one grouped query over the metrics (far
    fewer rows than events), made only when someone was added after the first week computed."""
    first = {
        person["pk"]: week_of(person["created_at"].astimezone(UTC).date())
        for person in stakeholders
    }
    late = {pk for pk, week in first.items() if week > weeks[0]}
    if not late:
        return first
    for pk, week in activity:
        if pk in late and week < first[pk]:
            first[pk] = week
    for pk, week in (
        WeeklyMetric.objects.filter(
            engagement=engagement,
            stakeholder_id__in=sorted(late),
            events__gt=0,
            week__lt=max(first[pk] for pk in late),
        )
        .values("stakeholder_id")
        .annotate(first=Min("week"))
        .values_list("stakeholder_id", "first")
        .order_by()
    ):
        first[pk] = min(first[pk], week)
    return first


def metrics_compute_weeks(*, engagement: Engagement, weeks: set[date]) -> int:
    """Recompute the engagement's metrics of `weeks` from its events; returns rows written."""
    if not weeks:
        return 0
    weeks = sorted(weeks)
    stakeholders = list(
        Stakeholder.objects.filter(engagement=engagement).values("pk", "role", "created_at")
    )
    key_features: dict[str, set[str]] = defaultdict(set)
    for role, name in KeyFeature.objects.filter(engagement=engagement).values_list("role", "name"):
        key_features[role].add(name)
    expected = {role: len(names) for role, names in key_features.items()}
    events = UsageEvent.objects.filter(engagement=engagement, week__in=weeks)

    # One grouped query per metric; nothing below loops over events. Activity is grouped down
    # to the day (at most 7 rows per person-week) rather than counting distinct days: a
    # COUNT(DISTINCT) makes the database sort every event, a plain GROUP BY hashes them.
    activity: dict[tuple, dict] = defaultdict(lambda: {"n": 0, "logins": 0, "days": 0})
    for row in (
        events.values("stakeholder_id", "week", "day")
        .annotate(n=Count("id"), logins=Count("id", filter=Q(kind="login")))
        .order_by()
    ):
        totals = activity[(row["stakeholder_id"], row["week"])]
        totals["n"] += row["n"]
        totals["logins"] += row["logins"]
        totals["days"] += 1
    completeness = {
        (row["stakeholder_id"], row["week"]): row
        for row in events.filter(required_total__isnull=False)
        .values("stakeholder_id", "week")
        .annotate(records=Count("id"), filled=Sum("required_filled"), total=Sum("required_total"))
        .order_by()
    }
    # "A key feature of the stakeholder's own role": one condition per role on the stakeholder
    # ids and feature names (a handful of each), so the database needs no join or subquery.
    ids_by_role: dict[str, list[int]] = defaultdict(list)
    for person in stakeholders:
        ids_by_role[person["role"]].append(person["pk"])
    own_key_feature = Q(pk__in=[])
    for role, names in key_features.items():
        if ids_by_role.get(role):
            own_key_feature |= Q(stakeholder_id__in=ids_by_role[role], feature__in=sorted(names))
    utilisation: dict[tuple, int] = defaultdict(int)
    for row in (
        events.filter(own_key_feature, kind="feature_used")
        .values("stakeholder_id", "week", "feature")
        .annotate(n=Count("id"))
        .order_by()
    ):
        utilisation[(row["stakeholder_id"], row["week"])] += 1  # one row per distinct feature

    first_week = _first_weeks(engagement, stakeholders, weeks, activity)
    rows = []
    for person in stakeholders:
        for week in weeks:
            if week < first_week[person["pk"]]:
                continue  # not there yet (module docstring)
            key = (person["pk"], week)
            act = activity.get(key, {})
            comp = completeness.get(key)
            completeness_pct = _percent(comp["filled"], comp["total"]) if comp else None
            features_expected = expected.get(person["role"], 0)
            used = utilisation.get(key, 0)
            utilisation_pct = _percent(used, features_expected)
            rows.append(
                WeeklyMetric(
                    firm=engagement.firm,
                    engagement=engagement,
                    stakeholder_id=person["pk"],
                    role=person["role"],
                    week=week,
                    events=act.get("n", 0),
                    logins=act.get("logins", 0),
                    active_days=act.get("days", 0),
                    records=comp["records"] if comp else 0,
                    required_filled=comp["filled"] if comp else 0,
                    required_total=comp["total"] if comp else 0,
                    completeness=completeness_pct,
                    features_used=used,
                    features_expected=features_expected,
                    utilisation=utilisation_pct,
                    score=adoption_score(
                        active_days=act.get("days", 0),
                        completeness=completeness_pct,
                        utilisation=utilisation_pct,
                    ),
                )
            )
    with transaction.atomic():
        WeeklyMetric.objects.filter(engagement=engagement, week__in=weeks).delete()
        WeeklyMetric.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _silent_weeks(today: date, engagement: Engagement | None = None) -> dict[int, set[date]]:
    """Per tracking engagement with metrics (or just `engagement`): completed weeks since its
    first computed week, and not before the engagement's start, that have no metrics (no event
    at all arrived for them), so they show as zeros. (Whoever has a row in the first computed
    week has one in every later week, so a filled gap does not stay one.)"""
    last_complete = week_of(today) - timedelta(days=7)
    rows = WeeklyMetric.objects.filter(engagement__status__in=TRACKING_STATUSES)
    if engagement is not None:
        rows = rows.filter(engagement=engagement)
    computed: dict[int, set[date]] = defaultdict(set)
    for engagement_id, week in rows.values_list("engagement_id", "week").distinct():
        computed[engagement_id].add(week)
    if not computed:
        return {}
    starts = {
        tracked.pk: week_of(earliest_event_day(engagement=tracked, today=today))
        for tracked in Engagement.objects.filter(pk__in=list(computed)).only("pk", "start_date")
    }
    missing: dict[int, set[date]] = {}
    for engagement_id, weeks in computed.items():
        week, gaps = max(min(weeks), starts[engagement_id]), set()
        while week <= last_complete:
            if week not in weeks:
                gaps.add(week)
            week += timedelta(days=7)
        if gaps:
            missing[engagement_id] = gaps
    return missing


def _pending(
    today: date, engagement: Engagement | None = None
) -> tuple[dict[int, set[date]], dict[int, list[tuple]]]:
    """Weeks to compute per engagement (dirty, or silent), and the dirty marks read."""
    dirty = DirtyWeek.objects.all()
    if engagement is not None:
        dirty = dirty.filter(engagement=engagement)
    todo: dict[int, set[date]] = defaultdict(set)
    marks: dict[int, list[tuple]] = defaultdict(list)
    for pk, engagement_id, week, marked_at in dirty.values_list(
        "pk", "engagement_id", "week", "marked_at"
    ):
        todo[engagement_id].add(week)
        marks[engagement_id].append((pk, marked_at))
    for engagement_id, weeks in _silent_weeks(today, engagement).items():
        todo[engagement_id] |= weeks
    return todo, marks


def _marks_clear(marks: list[tuple]) -> None:
    """One statement: each mark goes only if it did not move while its week was computed."""
    by_time: dict = defaultdict(list)
    for pk, marked_at in marks:
        by_time[marked_at].append(pk)
    if by_time:
        done = Q()
        for marked_at, pks in by_time.items():
            done |= Q(pk__in=pks, marked_at=marked_at)
        DirtyWeek.objects.filter(done).delete()


def metrics_compute(*, engagement: Engagement | None = None, today: date | None = None) -> list:
    """Recompute every dirty week of the firm in scope (or of one engagement), and fill silent
    weeks. A week marked dirty again while it was computed stays dirty for the next run; an
    engagement whose computation fails keeps its marks (the ones done before it are cleared).
    Returns the engagements whose metrics changed."""
    today = today or timezone.localdate()
    todo, marks = _pending(today, engagement)
    engagements = Engagement.objects.in_bulk(list(todo))
    for engagement_id, weeks in todo.items():
        metrics_compute_weeks(engagement=engagements[engagement_id], weeks=weeks)
        _marks_clear(marks.get(engagement_id, []))
    return [engagements[pk] for pk in todo]


def engagements_to_compute(*, today: date | None = None) -> list[Engagement]:
    """Engagements of the firm in scope with weeks waiting: dirty, or silent ones to fill."""
    todo, _ = _pending(today or timezone.localdate())
    return list(Engagement.objects.filter(pk__in=list(todo)).order_by("pk"))


def engagements_tracked() -> list[Engagement]:
    """Engagements of the firm in scope still tracking adoption that have adoption metrics."""
    ids = WeeklyMetric.objects.values_list("engagement_id", flat=True).distinct().order_by()
    return list(
        Engagement.objects.filter(status__in=TRACKING_STATUSES, pk__in=list(ids)).order_by("pk")
    )


def metrics_recompute_request(*, engagement: Engagement, actor: User) -> Job:
    """A consultant's "recompute now": a job record the page polls, and its task queued once
    the request's transaction commits (so the worker finds the job)."""
    from enablement.tasks import recompute_adoption  # the tasks module imports this one

    with transaction.atomic():
        job = jobs.job_create(engagement=engagement, kind=METRICS_JOB)
        jobs.job_enqueue(
            job=job, task=recompute_adoption, args=(engagement.pk, engagement.firm_id, job.pk)
        )
    return job


def metrics_recompute_job(*, engagement_id: int, job_id: int) -> None:
    """Run one engagement's metrics then alerts now, reporting progress on its job record.
    A retry starts over; recomputing is idempotent."""
    from enablement.services.alerts import alerts_evaluate

    engagement = Engagement.objects.get(pk=engagement_id)
    job = Job.objects.get(pk=job_id)
    if job.status == JobStatus.SUCCEEDED:
        return
    jobs.job_start(job=job)
    try:
        jobs.job_progress(job=job, percent=10, step="Recomputing the weeks that received events")
        metrics_compute(engagement=engagement)
        jobs.job_progress(job=job, percent=80, step="Checking thresholds and alerts")
        outcome = alerts_evaluate(engagement=engagement)
    except (OperationalError, InterfaceError):
        raise  # the connection was lost: the task policy retries, or fails the job
    except Exception as error:
        jobs.job_fail(job=job, error=f"The recompute failed: {error}")
        raise
    jobs.job_succeed(
        job=job,
        step=f"Metrics up to date; {len(outcome.opened)} alerts opened, "
        f"{len(outcome.closed)} closed.",
    )


def metrics_mark_all(*, engagement: Engagement) -> None:
    """Mark every computed week dirty: after a change to what metrics measure (key features)."""
    weeks = set(
        WeeklyMetric.objects.filter(engagement=engagement).values_list("week", flat=True).distinct()
    )
    if weeks:
        dirty_weeks_mark(engagement=engagement, weeks=weeks)


# --- what metrics measure: key features and required fields ---------------------------------------


@transaction.atomic
def key_feature_add(*, engagement: Engagement, actor: User, role: str, name: str) -> KeyFeature:
    name = normalise(name)
    if not name:
        raise ApplicationError("Name the feature.", field="name")
    if role not in StakeholderRole.values:
        raise ApplicationError("Choose a role.", field="role")
    if KeyFeature.objects.filter(engagement=engagement, role=role, name=name).exists():
        raise ApplicationError(
            f"“{name}” is already a key feature of {StakeholderRole(role).label}.", field="name"
        )
    feature = KeyFeature.objects.create(
        firm=engagement.firm, engagement=engagement, role=role, name=name
    )
    metrics_mark_all(engagement=engagement)
    return feature


@transaction.atomic
def key_features_add_suggested(*, engagement: Engagement, actor: User, role: str) -> int:
    """Add the framework's key features of `role` that are not there yet; returns how many."""
    have = set(
        KeyFeature.objects.filter(engagement=engagement, role=role).values_list("name", flat=True)
    )
    new = [name for name in DEFAULT_KEY_FEATURES.get(role, []) if name not in have]
    KeyFeature.objects.bulk_create(
        [KeyFeature(firm=engagement.firm, engagement=engagement, role=role, name=n) for n in new]
    )
    if new:
        metrics_mark_all(engagement=engagement)
    return len(new)


@transaction.atomic
def key_feature_remove(*, feature: KeyFeature, actor: User) -> None:
    engagement = feature.engagement
    feature.delete()
    metrics_mark_all(engagement=engagement)


def required_field_add(
    *, engagement: Engagement, actor: User, object_name: str, field_name: str
) -> RequiredField:
    """Records received from now on are measured against it (received ones keep their counts)."""
    object_name, field_name = normalise(object_name), normalise(field_name)
    if not object_name or not field_name:
        raise ApplicationError("Name both the object and the field.")
    if RequiredField.objects.filter(
        engagement=engagement, object_name=object_name, field_name=field_name
    ).exists():
        raise ApplicationError(
            f"“{field_name}” is already required on {object_name}.", field="field_name"
        )
    return RequiredField.objects.create(
        firm=engagement.firm,
        engagement=engagement,
        object_name=object_name,
        field_name=field_name,
    )


def required_fields_add_suggested(*, engagement: Engagement, actor: User) -> int:
    have = set(
        RequiredField.objects.filter(engagement=engagement).values_list("object_name", "field_name")
    )
    new = [
        RequiredField(firm=engagement.firm, engagement=engagement, object_name=o, field_name=f)
        for o, names in DEFAULT_REQUIRED_FIELDS.items()
        for f in names
        if (o, f) not in have
    ]
    RequiredField.objects.bulk_create(new)
    return len(new)


def required_field_remove(*, field: RequiredField, actor: User) -> None:
    field.delete()
