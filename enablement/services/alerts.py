"""Adoption thresholds and alerts.

Each role has a threshold per metric (the defaults below, overridden per engagement; 0 means
the metric is not watched). Only completed ISO weeks count: the week in progress is partial.

Rules (documented on the settings page too):
- A stakeholder whose metric is below their role's threshold for N consecutive completed weeks
  (N = the engagement's "weeks below a threshold", default 2) gets an alert for that metric.
- A role whose average (over its stakeholders) is below the threshold for N weeks gets a role
  alert: the new way of working is not landing with a whole team.
- Severity: a role alert is critical. A stakeholder alert is a warning, and turns critical when
  the run reaches 2 × N weeks. Open critical alerts block the Phase 6 sign-off.
- An alert is emailed once, when it opens, to the lead consultant and the client's managers
  (the engagement's manager stakeholders), with the suggested intervention.
- An alert closes itself, with the reason, when its metric is back at or above the threshold
  in the latest completed week; when the metric could not be measured that week (no record with
  required fields touched, no key features for the role); when it is no longer watched for the
  subject's role (threshold switched off, or the stakeholder moved to a role where it is not);
  or when the subject has no metrics left in the window. A later drop opens a new alert.
- Only engagements still tracking adoption (not completed or cancelled, see
  `metrics.TRACKING_STATUSES`) are evaluated: a closed engagement gets no new alert or email.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Avg
from django.urls import reverse
from django.utils import timezone

from enablement.models import (
    AdoptionAlert,
    AdoptionSettings,
    AdoptionThreshold,
    AlertSeverity,
    KeyFeature,
    Metric,
    RequiredField,
    TrainingModule,
    WeeklyMetric,
    metric_value_text,
)
from enablement.services.metrics import engagement_is_tracking
from enablement.services.usage import week_of
from engagements.errors import ApplicationError
from engagements.models import Engagement, Stakeholder, StakeholderRole, User
from engagements.services import email_queue

DEFAULT_CONSECUTIVE_WEEKS = 2
WATCHABLE = ("active_days", "logins", "completeness", "utilisation", "score")
DEFAULT_THRESHOLDS: dict[str, dict[str, float]] = {
    # Active days catch people who stop logging in; logins and the score are shown on the
    # dashboard but not watched by default (a login threshold would double the active-days
    # alert, and the score summarises the three watched metrics).
    # role: active days, logins, completeness %, utilisation %, score
    role: dict(zip(WATCHABLE, values, strict=True))
    for role, values in (
        (StakeholderRole.REP, (3, 0, 80, 60, 0)),
        (StakeholderRole.MANAGER, (3, 0, 70, 60, 0)),
        (StakeholderRole.OPS, (2, 0, 0, 50, 0)),
        (StakeholderRole.LEADERSHIP, (1, 0, 0, 50, 0)),
    )
}
WEEKLY_FIELDS = [m.value for m in Metric]
format_value = metric_value_text


# --- settings -------------------------------------------------------------------------------------


def consecutive_weeks(*, engagement: Engagement) -> int:
    row = AdoptionSettings.objects.filter(engagement=engagement).first()
    return row.consecutive_weeks if row else DEFAULT_CONSECUTIVE_WEEKS


def thresholds_for(*, engagement: Engagement) -> dict[tuple[str, str], float]:
    """(role, metric) → threshold: the defaults with the engagement's overrides."""
    values = {
        (role, metric): value
        for role, metrics in DEFAULT_THRESHOLDS.items()
        for metric, value in metrics.items()
    }
    for role, metric, value in AdoptionThreshold.objects.filter(engagement=engagement).values_list(
        "role", "metric", "value"
    ):
        values[(role, metric)] = value
    return values


@transaction.atomic
def adoption_settings_update(
    *,
    engagement: Engagement,
    actor: User,
    consecutive_weeks: int,
    thresholds: dict[tuple[str, str], float],
) -> None:
    """Save the weeks rule and every threshold. Takes effect at the next alerts run."""
    if not 1 <= consecutive_weeks <= 12:
        raise ApplicationError("Choose between 1 and 12 weeks.", field="consecutive_weeks")
    for (role, metric), value in thresholds.items():
        if role not in StakeholderRole.values or metric not in Metric.values:
            raise ApplicationError("Unknown role or metric.")
        if value is None or value < 0:
            raise ApplicationError("A threshold cannot be negative.", field=f"{role}-{metric}")
        if metric in (Metric.COMPLETENESS, Metric.UTILISATION, Metric.SCORE) and value > 100:
            raise ApplicationError(
                "A percentage threshold is at most 100.", field=f"{role}-{metric}"
            )
        if metric == Metric.ACTIVE_DAYS and value > 7:
            raise ApplicationError("A week has 7 days.", field=f"{role}-{metric}")
    AdoptionSettings.objects.update_or_create(
        engagement=engagement,
        defaults={"consecutive_weeks": consecutive_weeks},
        create_defaults={"firm": engagement.firm, "consecutive_weeks": consecutive_weeks},
    )
    for (role, metric), value in thresholds.items():
        AdoptionThreshold.objects.update_or_create(
            engagement=engagement,
            role=role,
            metric=metric,
            defaults={"value": value},
            create_defaults={"firm": engagement.firm, "value": value},
        )


# --- evaluating -----------------------------------------------------------------------------------


@dataclass
class _Subject:
    key: str
    role: str
    name: str
    stakeholder: Stakeholder | None
    series: dict[date, dict]  # week → metric values


@dataclass
class AlertsOutcome:
    opened: list[AdoptionAlert]
    closed: list[AdoptionAlert]


def _run_below(series: dict[date, dict], metric: str, threshold: float, weeks: list[date]) -> int:
    """Consecutive weeks, newest first, with the metric measured and below the threshold."""
    run = 0
    for week in weeks:
        value = series.get(week, {}).get(metric)
        if value is None or value >= threshold:
            break
        run += 1
    return run


def _subjects(engagement: Engagement, window: list[date]) -> list[_Subject]:
    rows = (
        WeeklyMetric.objects.filter(engagement=engagement, week__in=window)
        .values("stakeholder_id", "role", "week", *WEEKLY_FIELDS)
        .order_by()
    )
    people = {s.pk: s for s in Stakeholder.objects.filter(engagement=engagement)}
    by_person: dict[int, _Subject] = {}
    for row in rows:
        person = people.get(row["stakeholder_id"])
        if person is None:
            continue
        subject = by_person.setdefault(
            person.pk,
            _Subject(f"stakeholder:{person.pk}", person.role, person.name, person, {}),
        )
        subject.series[row["week"]] = row
    by_role: dict[str, _Subject] = {}
    averages = (
        WeeklyMetric.objects.filter(engagement=engagement, week__in=window)
        .values("role", "week")
        .annotate(**{field: Avg(field) for field in WEEKLY_FIELDS})
        .order_by()
    )
    for row in averages:
        label = StakeholderRole(row["role"]).label
        subject = by_role.setdefault(
            row["role"], _Subject(f"role:{row['role']}", row["role"], f"{label}s", None, {})
        )
        subject.series[row["week"]] = row
    return [*by_person.values(), *by_role.values()]


def _intervention(engagement: Engagement, subject: _Subject, metric: str) -> str:
    """The suggested intervention: re-training with the role's first module, and a follow-up
    by the client's managers (named when there are one or two, other than the subject)."""
    module = (
        TrainingModule.objects.filter(engagement=engagement, role=subject.role)
        .order_by("position", "id")
        .first()
    )
    role_label = StakeholderRole(subject.role).label.lower()
    who = subject.name if subject.stakeholder else f"the {role_label} team"
    training = (
        f"{who} to re-take the module “{module.title}”"
        if module
        else f"add a {role_label} training module and assign it to {who} (there is none yet)"
    )
    managers = list(
        Stakeholder.objects.filter(engagement=engagement, role=StakeholderRole.MANAGER)
        .exclude(pk=getattr(subject.stakeholder, "pk", None))
        .values_list("name", flat=True)[:3]
    )
    follow_up = " or ".join(managers) if 0 < len(managers) <= 2 else "their manager"
    if metric == Metric.COMPLETENESS:
        fields = ", ".join(
            RequiredField.objects.filter(engagement=engagement).values_list("field_name", flat=True)
        )
        what = f"fill in the required fields ({fields})" if fields else "fill in required fields"
    elif metric == Metric.UTILISATION:
        features = ", ".join(
            KeyFeature.objects.filter(engagement=engagement, role=subject.role).values_list(
                "name", flat=True
            )
        )
        what = f"use the key features ({features})" if features else "use the key features"
    else:
        what = "work in the new system every day"
    if subject.stakeholder is None:
        return (
            f"Re-training: {training}, in a refresher session on how to {what}. "
            f"Manager follow-up: {follow_up} to review it in the next team meeting."
        )
    return (
        f"Re-training: {training}, focusing on how to {what}. "
        f"Manager follow-up: {follow_up} to check in with {subject.name} this week."
    )


def _recipients(engagement: Engagement) -> list[str]:
    emails = []
    if engagement.lead_consultant is not None:
        emails.append(engagement.lead_consultant.email.lower())
    emails += [
        e.lower()
        for e in Stakeholder.objects.filter(
            engagement=engagement, role=StakeholderRole.MANAGER
        ).values_list("email", flat=True)
    ]
    return list(dict.fromkeys(emails))


def _title(subject: _Subject, metric: str, threshold: float, weeks: int) -> str:
    return (
        f"{subject.name}: {Metric(metric).label.lower()} below "
        f"{format_value(metric, threshold)} for {weeks} week{'s' if weeks != 1 else ''}"
    )


def alerts_evaluate(*, engagement: Engagement, today: date | None = None) -> AlertsOutcome:
    """Open, update and close the engagement's alerts from its completed weeks' metrics.
    Nothing for an engagement no longer tracking adoption (module docstring)."""
    if not engagement_is_tracking(engagement):
        return AlertsOutcome(opened=[], closed=[])
    today = today or timezone.localdate()
    n = consecutive_weeks(engagement=engagement)
    last_complete = week_of(today) - timedelta(days=7)
    window = [last_complete - timedelta(days=7 * i) for i in range(2 * n)]
    thresholds = thresholds_for(engagement=engagement)
    open_alerts = {
        (alert.subject, alert.metric): alert
        for alert in AdoptionAlert.objects.filter(engagement=engagement, closed_at__isnull=True)
    }
    outcome = AlertsOutcome(opened=[], closed=[])
    seen: set[tuple[str, str]] = set()
    subjects = {subject.key: subject for subject in _subjects(engagement, window)}
    for subject in subjects.values():
        for metric in WEEKLY_FIELDS:
            threshold = thresholds[(subject.role, metric)]
            key = (subject.key, metric)
            alert = open_alerts.get(key)
            if threshold <= 0:
                continue  # not watched; an open alert is closed below
            seen.add(key)
            latest_row = subject.series.get(last_complete)
            latest = latest_row.get(metric) if latest_row else None
            run = _run_below(subject.series, metric, threshold, window)
            if run >= n:
                severity = (
                    AlertSeverity.CRITICAL
                    if subject.stakeholder is None or run >= 2 * n
                    else AlertSeverity.WARNING
                )
                fields = {
                    "severity": severity,
                    "title": _title(subject, metric, threshold, run),
                    "threshold": threshold,
                    "value": latest,
                    "weeks_below": run,
                    "first_week": window[run - 1],
                    "last_week": last_complete,
                    "role": subject.role,
                }
                if alert is None:
                    created = _alert_open(engagement, subject, metric, fields)
                    if created is not None:
                        outcome.opened.append(created)
                else:
                    if alert.first_week < fields["first_week"]:
                        fields["first_week"] = alert.first_week
                    for name, value in fields.items():
                        setattr(alert, name, value)
                    alert.save()
            elif alert is not None and latest is not None and latest >= threshold:
                _alert_close(
                    alert,
                    f"Recovered: {format_value(metric, latest)} in the week of "
                    f"{last_complete:%d %b %Y}, at or above {format_value(metric, threshold)}.",
                )
                outcome.closed.append(alert)
            elif alert is not None and latest_row is not None and latest is None:
                # The week is computed but the metric had nothing to measure: the alert's
                # premise is gone (a run below restarts from the next measured week).
                _alert_close(
                    alert,
                    f"Closed: {Metric(metric).label.lower()} could not be measured in the week "
                    f"of {last_complete:%d %b %Y} "
                    f"({UNMEASURED.get(metric, 'nothing to measure')}).",
                )
                outcome.closed.append(alert)
    for key, alert in open_alerts.items():
        if key not in seen:
            _alert_close(alert, _unwatched_reason(alert, subjects.get(alert.subject), len(window)))
            outcome.closed.append(alert)
    return outcome


UNMEASURED = {
    # Why a metric is null in a computed week (see services/metrics.py); the others never are.
    Metric.COMPLETENESS: "no record with required fields was touched",
    Metric.UTILISATION: "the role has no key features",
}


def _unwatched_reason(alert: AdoptionAlert, subject: _Subject | None, weeks: int) -> str:
    """Why an open alert that was not evaluated this run closes."""
    if subject is None:
        who = (
            f"{alert.stakeholder.name} was not"
            if alert.stakeholder_id
            else f"no one with the role {StakeholderRole(alert.role).label} was"
        )
        return f"Closed: {who} measured in the last {weeks} completed weeks."
    if subject.stakeholder is not None and subject.role != alert.role:
        role = StakeholderRole(subject.role).label
        return (
            f"Closed: {subject.name} is now {role}, whose "
            f"{Metric(alert.metric).label.lower()} is not watched."
        )
    return "Closed: this metric is no longer watched for the role."


def _alert_open(
    engagement: Engagement, subject: _Subject, metric: str, fields: dict
) -> AdoptionAlert | None:
    try:
        with transaction.atomic():
            alert = AdoptionAlert.objects.create(
                firm=engagement.firm,
                engagement=engagement,
                subject=subject.key,
                stakeholder=subject.stakeholder,
                metric=metric,
                intervention=_intervention(engagement, subject, metric),
                **fields,
            )
            # One email per recipient per alert, ever: the dedupe key is the alert's id.
            lead = engagement.lead_consultant.email.lower() if engagement.lead_consultant else ""
            for recipient in _recipients(engagement):
                page = "adoption" if recipient == lead else "portal_adoption"
                email_queue(
                    firm=engagement.firm,
                    dedupe_key=f"adoption-alert:{alert.public_id}:{recipient}",
                    to=recipient,
                    template="emails/adoption_alert",
                    context={
                        "alert": alert,
                        "engagement": engagement,
                        "value": format_value(metric, alert.value),
                        "threshold": format_value(metric, alert.threshold),
                        "link": settings.SITE_URL + reverse(page, args=[engagement.public_id]),
                    },
                )
    except IntegrityError:
        return None  # a concurrent run opened it first: one open alert per subject and metric
    return alert


def _alert_close(alert: AdoptionAlert, reason: str) -> None:
    alert.closed_at = timezone.now()
    alert.closed_reason = reason
    alert.save(update_fields=["closed_at", "closed_reason", "updated_at"])
