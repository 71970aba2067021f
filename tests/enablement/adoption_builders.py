"""Builders for the adoption tests: stakeholders of each role on firm A's engagement, usage
events sent through the same ingestion as the API, key features and required fields."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from enablement.models import UsageUpload
from enablement.services import metrics, usage
from engagements.models import Engagement, Stakeholder, StakeholderRole
from tests.conftest import World
from tests.factories import StakeholderFactory

MONDAY = date(2025, 3, 3)
"""Monday of ISO week 10 of 2025: week one of the hand-made event sets."""
WEEK_2 = MONDAY + timedelta(days=7)
WEEK_3 = MONDAY + timedelta(days=14)


def at(day: date, hour: int = 9, minute: int = 0) -> str:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC).isoformat()


def person(world: World, name: str, role: str = StakeholderRole.REP, **fields) -> Stakeholder:
    email = fields.pop("email", f"{name.split()[0].lower()}@xylo.example")
    return StakeholderFactory(
        engagement=world.engagement, name=name, email=email, role=role, **fields
    )


def send(engagement: Engagement, *events: dict, **options) -> UsageUpload:
    """Post events as the API does (a consultant's session)."""
    return usage.api_events_ingest(
        engagement=engagement, events=list(events), api_key=None, actor=None, **options
    )


def login(who: Stakeholder, day: date, hour: int = 9, **extra) -> dict:
    return {"user": who.email, "kind": "login", "timestamp": at(day, hour), **extra}


def feature(who: Stakeholder, name: str, day: date, hour: int = 10) -> dict:
    return {"user": who.email, "kind": "feature_used", "feature": name, "timestamp": at(day, hour)}


def record(who: Stakeholder, record_id: str, day: date, **fields) -> dict:
    return {
        "user": who.email,
        "kind": "record_updated",
        "object": "opportunity",
        "record_id": record_id,
        "timestamp": at(day, 11),
        "fields": fields,
    }


def with_measures(world: World) -> None:
    """The suggested key features of reps and managers and the opportunity's required fields
    (amount, close date, stage, next step)."""
    for role in (StakeholderRole.REP, StakeholderRole.MANAGER):
        metrics.key_features_add_suggested(
            engagement=world.engagement, actor=world.consultant, role=role
        )
    metrics.required_fields_add_suggested(engagement=world.engagement, actor=world.consultant)


FULL_RECORD = {
    "amount": "5000",
    "close date": "2025-04-01",
    "stage": "Proposal",
    "next step": "Demo",
}
HALF_RECORD = {"amount": "5000", "close date": "", "stage": "Proposal", "next step": ""}
