"""Usage events in: one validation and storage path for the REST API, a CRM's login-history CSV
and a record export CSV.

Rules every source shares:
- Each row is validated and every bad row is reported with its number and reason. A batch with
  any bad row stores nothing (all or nothing), so fixing the file and sending it again is safe.
- The user is matched to a stakeholder of the engagement by email (case-insensitive). A row of
  someone who is not a stakeholder is an error, or is skipped (and counted) when asked to, for
  integration users and admins.
- Ingestion is idempotent: each event has a dedupe key (a digest of its source id when it has
  one, else of its content), unique per firm. An event sent twice is stored once and counted as
  a duplicate. A source id is only unique within the integration that sent it, so an API
  event's id is scoped to the API key that posted it (or, posted from a browser session, to the
  user): two integrations may both send "id": "1". The same key posting again stays idempotent;
  a replacement key is a new sender (its re-posts of the old key's events are stored again).
- Times without a zone are read as UTC; the ISO week (its Monday) and the day are stored on the
  event in UTC, so metrics group by plain columns on every database.
- Timestamps are bounded: not more than a day in the future (clock skew), and not before the
  engagement's start date — the new system's usage cannot predate the engagement. An
  engagement without a start date refuses events more than two years old (`MAX_EVENT_AGE`).
  Without a floor, one mistyped date (0001-01-01) would make the metrics job fill every silent
  week from then to now for everyone.
- Every week that received a new event is marked dirty; the metrics job recomputes those weeks.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from charset_normalizer import from_bytes
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from enablement.models import (
    ApiKey,
    DirtyWeek,
    KeyFeature,
    RequiredField,
    UploadStatus,
    UsageEvent,
    UsageKind,
    UsageSource,
    UsageUpload,
)
from engagements.errors import ApplicationError
from engagements.models import Engagement, Stakeholder, User
from engagements.uploads import upload_name

MAX_API_EVENTS = 5000
"""Events per API request; larger batches are refused whole (send them in several posts)."""
MAX_REPORTED_ERRORS = 1000
FUTURE_TOLERANCE = timedelta(hours=24)
"""Clock skew accepted before a timestamp counts as "in the future"."""
MAX_EVENT_AGE = timedelta(days=730)
"""How far back events go when the engagement has no start date (the module docstring)."""
INSERT_BATCH = 2000
RECORD_KINDS = (UsageKind.RECORD_CREATED, UsageKind.RECORD_UPDATED)


def normalise(name: str) -> str:
    """Feature, object and field names compare trimmed and case-insensitively."""
    return " ".join(str(name).split()).lower()


def week_of(day: date) -> date:
    """The Monday of `day`'s ISO week."""
    return day - timedelta(days=day.weekday())


def earliest_event_day(*, engagement: Engagement, today: date | None = None) -> date:
    """The first day (UTC) an event of the engagement may be on: its start date, or two years
    back when it has none. Metrics never fill silent weeks before it either."""
    if engagement.start_date is not None:
        return engagement.start_date
    return (today or timezone.now().date()) - MAX_EVENT_AGE


@dataclass
class RowError:
    row: int
    reason: str

    def as_dict(self) -> dict:
        return {"row": self.row, "reason": self.reason}


@dataclass
class _Batch:
    events: list[UsageEvent] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped: int = 0
    unknown_users: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


# --- parsing one row ---------------------------------------------------------------------------


def _parse_time(value) -> datetime:
    """An aware UTC datetime from an ISO 8601 string (a date alone means midnight), or an
    aware/naive datetime. Naive times are read as UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time.min)
    else:
        text = str(value or "").strip()
        if not text:
            raise ValueError("the timestamp is missing")
        moment = parse_datetime(text.replace(" UTC", "Z").replace("/", "-"))
        if moment is None:
            only_date = parse_date(text.replace("/", "-"))
            if only_date is None:
                raise ValueError(
                    f"“{text}” is not a date and time (use ISO 8601, e.g. 2025-03-04T09:15:00Z)"
                )
            moment = datetime.combine(only_date, time.min)
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+05:00: before the first representable time
        raise ValueError(f"“{value}” is out of range") from None


def _dedupe_key(engagement: Engagement, parts: Iterable) -> str:
    text = json.dumps([str(engagement.public_id), *[str(p) for p in parts]])
    return hashlib.sha256(text.encode()).hexdigest()


class _Context:
    """What validating a batch needs, read once: stakeholders by email, required fields."""

    def __init__(
        self, engagement: Engagement, source: str, skip_unknown_users: bool, sender: str
    ) -> None:
        self.engagement = engagement
        self.source = source
        self.skip_unknown_users = skip_unknown_users
        self.sender = sender  # who a source id is unique within (see the module docstring)
        self.stakeholders = {
            email.lower(): pk
            for pk, email in Stakeholder.objects.filter(engagement=engagement).values_list(
                "pk", "email"
            )
        }
        self.required: dict[str, set[str]] = {}
        for object_name, field_name in RequiredField.objects.filter(
            engagement=engagement
        ).values_list("object_name", "field_name"):
            self.required.setdefault(object_name, set()).add(field_name)
        now = timezone.now()
        self.latest = now + FUTURE_TOLERANCE
        self.earliest = earliest_event_day(engagement=engagement, today=now.date())


def _event(context: _Context, number: int, raw: dict, batch: _Batch) -> None:
    """Validate one row and add its event to the batch, or its error, or count it skipped."""
    if not isinstance(raw, dict):
        batch.errors.append(RowError(number, "each event must be an object"))
        return
    problems = []
    email = str(raw.get("user") or "").strip().lower()
    stakeholder_id = context.stakeholders.get(email)
    if not email:
        problems.append("the user's email is missing")
    elif "@" not in email:
        problems.append(f"“{email}” is not an email address")
    elif stakeholder_id is None:
        if context.skip_unknown_users:
            batch.skipped += 1
            batch.unknown_users.add(email)
            return
        problems.append(f"{email} is not a stakeholder of this engagement")
    kind = str(raw.get("kind") or "").strip().lower()
    if kind not in UsageKind.values:
        problems.append(
            f"kind “{kind}” is not one of {', '.join(UsageKind.values)}"
            if kind
            else "the kind is missing"
        )
    feature = normalise(raw.get("feature") or "")
    object_name = normalise(raw.get("object") or "")
    record_id = str(raw.get("record_id") or "").strip()
    if kind == UsageKind.FEATURE_USED and not feature:
        problems.append("a feature_used event needs the feature's name")
    if kind in RECORD_KINDS and not object_name:
        problems.append("a record event needs its object, e.g. “opportunity”")
    if len(feature) > 120 or len(object_name) > 80 or len(record_id) > 120:
        problems.append("feature, object or record id is too long")
    try:
        occurred_at = _parse_time(raw.get("timestamp"))
    except ValueError as error:
        problems.append(str(error))
        occurred_at = None
    else:
        # isoformat: strftime does not zero-pad years before 1000 on every platform.
        shown = f"{occurred_at.date().isoformat()} {occurred_at:%H:%M} UTC"
        if occurred_at > context.latest:
            problems.append(f"the timestamp {shown} is in the future")
        elif occurred_at.date() < context.earliest:
            problems.append(
                f"the timestamp {shown} is before the engagement started "
                f"({context.earliest.isoformat()})"
                if context.engagement.start_date is not None
                else f"the timestamp {shown} is more than two years old; set the "
                "engagement's start date to accept older usage"
            )
    fields = raw.get("fields")
    if fields is not None and not isinstance(fields, dict):
        problems.append("fields must be an object of field name → value")
        fields = None
    if problems:
        batch.errors.append(RowError(number, "; ".join(problems)))
        return
    required_total = required_filled = None
    required = context.required.get(object_name)
    if kind in RECORD_KINDS and fields is not None and required:
        filled = {
            normalise(k) for k, v in fields.items() if str(v if v is not None else "").strip()
        }
        required_total, required_filled = len(required), len(required & filled)
    source_id = str(raw.get("id") or "").strip()
    identity = (
        ("id", context.source, context.sender, source_id)
        if source_id
        else (email, kind, feature, object_name, record_id, occurred_at.isoformat())
    )
    day = occurred_at.date()
    batch.events.append(
        UsageEvent(
            firm=context.engagement.firm,
            engagement=context.engagement,
            stakeholder_id=stakeholder_id,
            kind=kind,
            feature=feature,
            object_name=object_name,
            record_id=record_id,
            occurred_at=occurred_at,
            day=day,
            week=week_of(day),
            required_total=required_total,
            required_filled=required_filled,
            source=context.source,
            dedupe_key=_dedupe_key(context.engagement, identity),
        )
    )


# --- storing a batch ---------------------------------------------------------------------------


def _existing_keys(keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        found.update(
            UsageEvent.objects.filter(dedupe_key__in=keys[start : start + 500]).values_list(
                "dedupe_key", flat=True
            )
        )
    return found


def dirty_weeks_mark(*, engagement: Engagement, weeks: Iterable[date]) -> None:
    """Mark weeks for the metrics job; an already dirty week just moves its `marked_at`."""
    now = timezone.now()
    DirtyWeek.objects.bulk_create(
        [
            DirtyWeek(firm=engagement.firm, engagement=engagement, week=week, marked_at=now)
            for week in sorted(set(weeks))
        ],
        update_conflicts=True,
        update_fields=["marked_at"],
        unique_fields=["firm", "engagement", "week"],
    )


def usage_ingest(
    *,
    engagement: Engagement,
    rows: Iterable[tuple[int, dict]],
    source: str,
    actor: User | None = None,
    api_key: ApiKey | None = None,
    filename: str = "",
    skip_unknown_users: bool = False,
) -> UsageUpload:
    """Validate every (row number, event) and store the batch, all or nothing. Returns the
    upload record: accepted with its counts, or rejected with each bad row and its reason."""
    # Who the events' own ids are unique within: the API key, else the signed-in user.
    sender = ""
    if api_key is not None:
        sender = f"key:{api_key.public_id}"
    elif actor is not None:
        sender = f"user:{actor.pk}"
    context = _Context(engagement, source, skip_unknown_users, sender)
    batch = _Batch()
    received = 0
    for number, raw in rows:
        received += 1
        _event(context, number, raw, batch)
    if batch.unknown_users:
        shown = sorted(batch.unknown_users)[:20]
        more = len(batch.unknown_users) - len(shown)
        batch.notes.append(
            f"Skipped {batch.skipped} rows of people who are not stakeholders: "
            + ", ".join(shown)
            + (f" and {more} more" if more > 0 else "")
            + "."
        )
    upload = UsageUpload(
        firm=engagement.firm,
        engagement=engagement,
        source=source,
        filename=upload_name(filename, max_length=255, default=""),
        uploaded_by=actor,
        api_key=api_key,
        received=received,
        skipped=batch.skipped,
        rejected=len(batch.errors),
        errors=[e.as_dict() for e in batch.errors[:MAX_REPORTED_ERRORS]],
        notes=batch.notes,
    )
    if received == 0:
        upload.errors = [{"row": 0, "reason": "there are no events in it"}]
    if upload.errors:
        upload.status = UploadStatus.REJECTED
        upload.save()
        return upload
    with transaction.atomic():
        unique: dict[str, UsageEvent] = {}
        for event in batch.events:
            unique.setdefault(event.dedupe_key, event)
        known = _existing_keys(list(unique))
        new = [event for key, event in unique.items() if key not in known]
        # ignore_conflicts covers a concurrent batch storing the same event meanwhile.
        UsageEvent.objects.bulk_create(new, batch_size=INSERT_BATCH, ignore_conflicts=True)
        dirty_weeks_mark(engagement=engagement, weeks={event.week for event in new})
        upload.status = UploadStatus.ACCEPTED
        upload.stored = len(new)
        upload.duplicates = len(batch.events) - len(new)
        upload.save()
    return upload


# --- the three sources -------------------------------------------------------------------------


def api_events_ingest(
    *,
    engagement: Engagement,
    events: list,
    api_key: ApiKey | None,
    actor: User | None,
    skip_unknown_users: bool = False,
) -> UsageUpload:
    """Events posted to the API: row numbers are positions in the posted list, from 1."""
    if len(events) > MAX_API_EVENTS:
        raise ApplicationError(
            f"{len(events):,} events in one request; send at most {MAX_API_EVENTS:,} per request."
        )
    return usage_ingest(
        engagement=engagement,
        rows=enumerate(events, start=1),
        source=UsageSource.API,
        actor=actor,
        api_key=api_key,
        skip_unknown_users=skip_unknown_users,
    )


def _decode(data: bytes) -> str:
    """CRM exports come in UTF-8 (with or without BOM), UTF-16 or a Windows code page."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        best = from_bytes(data).best()
        if best is None:
            raise ApplicationError(
                "The file is not readable text. Export it from the CRM as CSV.", field="file"
            ) from None
        text = str(best)
    return text.lstrip("\ufeff")


def _csv_rows(data: bytes) -> tuple[list[str], Iterator[tuple[int, dict]]]:
    """The header (normalised) and each (line number, row by normalised header) of a CSV."""
    text = _decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = [normalise(h) for h in next(reader)]
    except StopIteration:
        raise ApplicationError("The file is empty.", field="file") from None
    except csv.Error as error:
        raise ApplicationError(f"The file is not valid CSV: {error}.", field="file") from None

    def rows() -> Iterator[tuple[int, dict]]:
        try:
            for values in reader:
                if not any(v.strip() for v in values):
                    continue
                yield reader.line_num, dict(zip(header, values, strict=False))
        except csv.Error as error:
            raise ApplicationError(
                f"The file is not valid CSV near line {reader.line_num}: {error}.", field="file"
            ) from None

    return header, rows()


def _column(header: list[str], candidates: tuple[str, ...], what: str, required: bool = True):
    for name in candidates:
        if name in header:
            return name
    if required:
        raise ApplicationError(
            f"No column with {what} found. Name it one of: "
            + ", ".join(f"“{c}”" for c in candidates)
            + f". The file's columns are: {', '.join(header) or 'none'}.",
            field="file",
        )
    return None


LOGIN_EMAIL_COLUMNS = ("email", "user email", "username", "user name", "user", "login")
LOGIN_TIME_COLUMNS = (
    "login time", "login at", "logged in at", "login date", "timestamp", "time", "date",
)  # fmt: skip
LOGIN_STATUS_COLUMNS = ("status", "login status", "result")
SUCCESSFUL_LOGIN = {"", "success", "succeeded", "successful", "ok", "true", "yes"}


def login_csv_ingest(
    *,
    engagement: Engagement,
    data: bytes,
    filename: str,
    actor: User,
    skip_unknown_users: bool = False,
) -> UsageUpload:
    """A CRM's login-history export: one row per login. Failed login attempts (a status column
    other than success) are skipped: they are not use of the system."""
    header, rows = _csv_rows(data)
    email_col = _column(header, LOGIN_EMAIL_COLUMNS, "the user's email")
    time_col = _column(header, LOGIN_TIME_COLUMNS, "the login time")
    status_col = _column(header, LOGIN_STATUS_COLUMNS, "the status", required=False)
    failed = 0

    def events() -> Iterator[tuple[int, dict]]:
        nonlocal failed
        for number, row in rows:
            if status_col and normalise(row.get(status_col, "")) not in SUCCESSFUL_LOGIN:
                failed += 1
                continue
            yield (
                number,
                {
                    "user": row.get(email_col, ""),
                    "kind": UsageKind.LOGIN,
                    "timestamp": row.get(time_col, ""),
                },
            )

    upload = usage_ingest(
        engagement=engagement,
        rows=events(),
        source=UsageSource.LOGIN_CSV,
        actor=actor,
        filename=filename,
        skip_unknown_users=skip_unknown_users,
    )
    if failed:
        upload.received += failed
        upload.skipped += failed
        upload.notes = [
            *upload.notes,
            f"Skipped {failed} failed login attempt{'s' if failed != 1 else ''}.",
        ]
        upload.save(update_fields=["received", "skipped", "notes", "updated_at"])
    return upload


RECORD_OWNER_COLUMNS = ("owner email", "owner", "email", "user email", "user")
RECORD_ID_COLUMNS = ("id", "record id")
RECORD_MODIFIED_COLUMNS = (
    "last modified date", "last modified", "modified", "modified at", "updated at", "updated",
)  # fmt: skip


def record_export_ingest(
    *,
    engagement: Engagement,
    data: bytes,
    filename: str,
    actor: User,
    object_name: str,
    snapshot_date: date,
    skip_unknown_users: bool = False,
) -> UsageUpload:
    """A record export, e.g. opportunities: each row becomes a "record updated" event of the
    record's owner, with how many of the object's required fields it has filled. The same
    record in the same state (same last-modified time) uploaded again is a duplicate."""
    object_key = normalise(object_name)
    required = set(
        RequiredField.objects.filter(engagement=engagement, object_name=object_key).values_list(
            "field_name", flat=True
        )
    )
    if not required:
        raise ApplicationError(
            f"No required fields are set for “{object_name}”. Add them under Adoption settings "
            "first: completeness is measured against them.",
            field="object_name",
        )
    header, rows = _csv_rows(data)
    owner_col = _column(header, RECORD_OWNER_COLUMNS, "the record owner's email")
    id_col = _column(
        header, (*RECORD_ID_COLUMNS, f"{object_key} id"), "the record id", required=True
    )
    modified_col = _column(header, RECORD_MODIFIED_COLUMNS, "", required=False)
    missing = sorted(required - set(header))
    if missing:
        raise ApplicationError(
            "The export has no column for these required fields: "
            + ", ".join(f"“{m}”" for m in missing)
            + ". Export them too, or change the required fields.",
            field="file",
        )
    snapshot = datetime.combine(snapshot_date, time(12, 0), tzinfo=UTC)

    def events() -> Iterator[tuple[int, dict]]:
        for number, row in rows:
            modified = (row.get(modified_col) or "").strip() if modified_col else ""
            yield (
                number,
                {
                    "user": row.get(owner_col, ""),
                    "kind": UsageKind.RECORD_UPDATED,
                    "object": object_key,
                    "record_id": row.get(id_col, ""),
                    "timestamp": modified or snapshot,
                    "fields": {name: row.get(name, "") for name in required},
                },
            )

    return usage_ingest(
        engagement=engagement,
        rows=events(),
        source=UsageSource.RECORD_EXPORT,
        actor=actor,
        filename=filename,
        skip_unknown_users=skip_unknown_users,
    )


# --- demo data -----------------------------------------------------------------------------------


def demo_events(*, engagement: Engagement, weeks: int = 8, seed: int = 6) -> UsageUpload:
    """Plausible usage for the engagement's stakeholders over the last `weeks` weeks, for the
    demo (`make run`): most people settle in, one rep drifts away, ops barely records. Goes
    through the same ingestion as real data, so it is idempotent for a given seed and day.
    Adds the suggested key features and required fields first if the engagement has none."""
    from enablement.services import metrics

    if not KeyFeature.objects.filter(engagement=engagement).exists():
        for role in metrics.DEFAULT_KEY_FEATURES:
            metrics.key_features_add_suggested(engagement=engagement, actor=None, role=role)
    if not RequiredField.objects.filter(engagement=engagement).exists():
        metrics.required_fields_add_suggested(engagement=engagement, actor=None)

    rng = random.Random(seed)  # noqa: S311 - demo data, not a secret
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(weeks=weeks)
    features = metrics.default_key_features()
    events: list[dict] = []
    people = list(Stakeholder.objects.filter(engagement=engagement).order_by("pk"))
    for index, person in enumerate(people):
        # One in five fades out over the period: the gap the dashboard should show.
        fading = index % 5 == 1
        for offset in range((today - start).days):
            day = start + timedelta(days=offset)
            if day.weekday() >= 5:
                continue
            progress = offset / max((today - start).days, 1)
            chance = (0.85 - 0.8 * progress) if fading else (0.55 + 0.35 * progress)
            if rng.random() > chance:
                continue
            moment = day + timedelta(hours=8, minutes=rng.randrange(0, 600))
            events.append({"user": person.email, "kind": "login", "timestamp": moment})
            for name in features.get(person.role, []):
                if rng.random() < chance * 0.6:
                    events.append(
                        {"user": person.email, "kind": "feature_used", "feature": name,
                         "timestamp": moment + timedelta(minutes=rng.randrange(1, 120))}
                    )  # fmt: skip
            if person.role in ("rep", "manager") and rng.random() < 0.5:
                filled = rng.random() < (0.5 if fading else 0.85)
                events.append(
                    {"user": person.email, "kind": "record_updated", "object": "opportunity",
                     "record_id": f"OPP-{index}-{offset}",
                     "timestamp": moment + timedelta(minutes=30),
                     "fields": {"amount": "1000", "close date": "2025-01-01",
                                "stage": "Proposal", "next step": "Call" if filled else ""}}
                )  # fmt: skip
    return usage_ingest(
        engagement=engagement,
        rows=enumerate(events, start=1),
        source=UsageSource.DEMO,
    )
