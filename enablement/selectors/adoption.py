"""Reads of the adoption part of Phase 6 that pages, the portal, the API and the gate share.
Each dashboard read is one grouped query, whatever the number of people, weeks or events."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Avg, Count, Exists, Max, OuterRef, Q, QuerySet

from enablement.models import (
    AdoptionAlert,
    AlertSeverity,
    DirtyWeek,
    KeyFeature,
    Metric,
    TrainingAssignment,
    UsageEvent,
    UsageKind,
    UsageUpload,
    WeeklyMetric,
)
from enablement.services.usage import week_of
from engagements.models import Engagement, Stakeholder, StakeholderRole

RECENT_WEEKS = 4
"""Completed weeks the "weakest" lists look back over."""
WEAKEST_USERS = 10
CHART_METRICS = (Metric.SCORE, Metric.ACTIVE_DAYS, Metric.COMPLETENESS, Metric.UTILISATION)


def open_alerts(*, engagement: Engagement) -> QuerySet[AdoptionAlert]:
    """The engagement's open alerts, critical first, newest first."""
    return (
        AdoptionAlert.objects.filter(engagement=engagement, closed_at__isnull=True)
        .select_related("stakeholder")
        .order_by("severity", "-created_at", "-id")  # "critical" sorts before "warning"
    )


def open_critical_alerts(*, engagement: Engagement) -> QuerySet[AdoptionAlert]:
    """Open critical alerts: while there is one, Phase 6 cannot be sent for sign-off."""
    return AdoptionAlert.objects.filter(
        engagement=engagement, severity=AlertSeverity.CRITICAL, closed_at__isnull=True
    ).order_by("-created_at", "-id")


def closed_alerts(*, engagement: Engagement) -> QuerySet[AdoptionAlert]:
    return (
        AdoptionAlert.objects.filter(engagement=engagement, closed_at__isnull=False)
        .select_related("stakeholder")
        .order_by("-closed_at", "-id")
    )


def upload_list(*, engagement: Engagement) -> QuerySet[UsageUpload]:
    return UsageUpload.objects.filter(engagement=engagement).select_related(
        "uploaded_by", "api_key"
    )


def chart_weeks(*, today: date, count: int) -> list[date]:
    """The last `count` ISO weeks up to the current one, oldest first."""
    current = week_of(today)
    return [current - timedelta(days=7 * i) for i in range(count - 1, -1, -1)]


def completed_weeks(*, today: date, count: int) -> list[date]:
    last = week_of(today) - timedelta(days=7)
    return [last - timedelta(days=7 * i) for i in range(count)]


def role_trends(*, engagement: Engagement, weeks: list[date]) -> dict[str, dict[str, list]]:
    """metric → role → the role's average per week (None where nothing was measured)."""
    rows = (
        WeeklyMetric.objects.filter(engagement=engagement, week__in=weeks)
        .values("role", "week")
        .annotate(**{m.value: Avg(m.value) for m in Metric})
        .order_by()
    )
    index = {(row["role"], row["week"]): row for row in rows}
    roles = [role for role in StakeholderRole.values if any(r == role for r, _ in index)]
    return {
        metric.value: {
            role: [
                (index[(role, week)][metric.value] if (role, week) in index else None)
                for week in weeks
            ]
            for role in roles
        }
        for metric in Metric
    }


def weakest_users(
    *, engagement: Engagement, weeks: list[date], limit: int = WEAKEST_USERS, only=None
) -> list[dict]:
    """Stakeholders by their average score over `weeks`, lowest first, with their averages,
    their training (completed of assigned) and their open alerts. Three queries."""
    rows = WeeklyMetric.objects.filter(engagement=engagement, week__in=weeks)
    if only is not None:
        rows = rows.filter(stakeholder=only)
    people = list(
        rows.values(
            "stakeholder_id", "stakeholder__name", "stakeholder__role", "stakeholder__public_id"
        )
        .annotate(
            score=Avg("score"),
            active_days=Avg("active_days"),
            logins=Avg("logins"),
            completeness=Avg("completeness"),
            utilisation=Avg("utilisation"),
        )
        .order_by("score", "stakeholder__name")[:limit]
    )
    ids = [p["stakeholder_id"] for p in people]
    training = {
        row["stakeholder_id"]: (row["completed"], row["assigned"])
        for row in TrainingAssignment.objects.filter(engagement=engagement, stakeholder_id__in=ids)
        .values("stakeholder_id")
        .annotate(assigned=Count("id"), completed=Count("id", filter=Q(completed_at__isnull=False)))
        .order_by()
    }
    alerts = {
        row["stakeholder_id"]: row["n"]
        for row in AdoptionAlert.objects.filter(
            engagement=engagement, stakeholder_id__in=ids, closed_at__isnull=True
        )
        .values("stakeholder_id")
        .annotate(n=Count("id"))
        .order_by()
    }
    for person in people:
        person["role_label"] = StakeholderRole(person["stakeholder__role"]).label
        person["training"] = training.get(person["stakeholder_id"])
        person["open_alerts"] = alerts.get(person["stakeholder_id"], 0)
    return people


def weakest_features(*, engagement: Engagement, weeks: list[date]) -> list[dict]:
    """Each key feature with the share of its role's stakeholders who used it in `weeks`,
    least used first. Three queries."""
    headcount = dict(
        Stakeholder.objects.filter(engagement=engagement)
        .values_list("role")
        .annotate(n=Count("id"))
        .order_by()
    )
    key_feature = KeyFeature.objects.filter(
        engagement=engagement, role=OuterRef("stakeholder__role"), name=OuterRef("feature")
    )
    users = {
        (row["stakeholder__role"], row["feature"]): row["users"]
        for row in UsageEvent.objects.filter(
            engagement=engagement, week__in=weeks, kind=UsageKind.FEATURE_USED
        )
        .filter(Exists(key_feature))
        .values("stakeholder__role", "feature")
        .annotate(users=Count("stakeholder", distinct=True))
        .order_by()
    }
    features = []
    for feature in KeyFeature.objects.filter(engagement=engagement):
        people = headcount.get(feature.role, 0)
        used = users.get((feature.role, feature.name), 0)
        features.append(
            {
                "name": feature.name,
                "role": feature.role,
                "role_label": feature.get_role_display(),
                "users": used,
                "people": people,
                "share": round(100 * used / people, 1) if people else None,
            }
        )
    features.sort(key=lambda f: (f["share"] is None, f["share"] or 0, f["name"]))
    return features


def adoption_summary(*, engagement: Engagement, today: date) -> dict:
    """The headline figures: last completed week's average score and active people, events
    this week, weeks waiting for the metrics job, and when metrics were last computed."""
    last_week = week_of(today) - timedelta(days=7)
    week = WeeklyMetric.objects.filter(engagement=engagement, week=last_week).aggregate(
        score=Avg("score"),
        people=Count("id"),
        active=Count("id", filter=Q(active_days__gt=0)),
        computed_at=Max("updated_at"),
    )
    latest = WeeklyMetric.objects.filter(engagement=engagement).aggregate(
        computed_at=Max("updated_at")
    )
    return {
        "last_week": last_week,
        "score": week["score"],
        "people": week["people"],
        "active": week["active"],
        "events_this_week": UsageEvent.objects.filter(
            engagement=engagement, week=week_of(today)
        ).count(),
        "pending_weeks": DirtyWeek.objects.filter(engagement=engagement).count(),
        "computed_at": latest["computed_at"],
    }


def training_beside_adoption(
    *, engagement: Engagement, completion: dict[str, tuple[int, int]], week: date
) -> list[dict]:
    """Per role: training completed of assigned, and the role's average score and active
    days in `week`. One query (plus the training helper's completion, passed in)."""
    averages = {
        row["role"]: row
        for row in WeeklyMetric.objects.filter(engagement=engagement, week=week)
        .values("role")
        .annotate(score=Avg("score"), active_days=Avg("active_days"), people=Count("id"))
        .order_by()
    }
    rows = []
    for role, label in StakeholderRole.choices:
        done, assigned = completion.get(role, (0, 0))
        average = averages.get(role)
        if not assigned and average is None:
            continue
        rows.append(
            {
                "role": role,
                "label": label,
                "completed": done,
                "assigned": assigned,
                "training_pct": round(100 * done / assigned) if assigned else None,
                "score": average["score"] if average else None,
                "active_days": average["active_days"] if average else None,
                "people": average["people"] if average else 0,
            }
        )
    return rows
