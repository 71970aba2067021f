"""The daily digest: one morning email per person who chose it, listing what waits on them,
instead of a reminder for each item. Sent once per person and day (the outbox dedupe key names
both), and only when something waits."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from engagements.models import Firm, Membership
from engagements.services import email_queue
from engagements.waiting import WaitingItem, waiting_for_client, waiting_for_staff


def digest_items(*, membership: Membership) -> list[WaitingItem]:
    if membership.is_staff_member:
        return waiting_for_staff(user=membership.user, membership=membership, mine_only=True)
    return waiting_for_client(membership=membership)


def digests_send(*, firm: Firm) -> int:
    """Write and queue today's digest of every member of `firm` who chose one. Returns how
    many were new; running again the same day sends nothing more."""
    members = Membership.objects.filter(user__wants_daily_digest=True, user__is_active=True)
    return sum(_digest_send(membership) for membership in members.select_related("user"))


def _digest_send(membership: Membership) -> int:
    items = digest_items(membership=membership)
    if not items:
        return 0
    today = timezone.localdate()
    user = membership.user
    _, created = email_queue(
        firm=membership.firm,
        dedupe_key=f"digest:{user.pk}:{today:%Y-%m-%d}",
        to=user.email,
        template="emails/daily_digest",
        context={
            "recipient_name": user.get_short_name(),
            "items": items,
            "today": today,
            "preferences_url": settings.SITE_URL + reverse(_preferences_url_name(membership)),
        },
    )
    return int(created)


def _preferences_url_name(membership: Membership) -> str:
    if membership.is_staff_member:
        return "notification_settings"
    return "portal_notification_settings"
