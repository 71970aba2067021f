"""The daily digest: one morning email per person who chose it, listing what waits on them,
instead of a reminder for each item. Sent once per person and day (the outbox dedupe key names
both), and only when something waits."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from engagements.models import Firm, Membership
from engagements.services import email_write
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
    from engagements.taskpolicy import enqueue_on_commit
    from engagements.tasks import deliver_email

    items = digest_items(membership=membership)
    if not items:
        return 0
    today = timezone.localdate()
    user = membership.user
    with transaction.atomic():
        email, created = email_write(
            firm=membership.firm,
            dedupe_key=f"digest:{user.pk}:{today:%Y-%m-%d}",
            to=user.email,
            template="emails/daily_digest",
            context={
                "recipient_name": user.get_short_name(),
                "items": items,
                "today": today,
                "site_url": settings.SITE_URL,
                "preferences_url": settings.SITE_URL + _preferences_path(membership),
            },
        )
        if created:
            enqueue_on_commit(deliver_email, (email.pk, membership.firm_id))
    return int(created)


def _preferences_path(membership: Membership) -> str:
    from django.urls import reverse

    name = "notification_settings" if membership.is_staff_member else "portal_notification_settings"
    return reverse(name)
