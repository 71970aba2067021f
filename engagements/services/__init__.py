"""Every write in the engagements app. Services validate, keep the tenant invariant and record
activity; views and the API call them and nothing else writes."""

import hashlib
import secrets
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from engagements.errors import ApplicationError
from engagements.models import (
    ActivityEvent,
    ActivityKind,
    Client,
    Engagement,
    Firm,
    Invitation,
    Membership,
    Role,
    SignoffDecision,
    Stakeholder,
    User,
)
from engagements.services.outbox import email_deliver as email_deliver
from engagements.services.outbox import email_queue as email_queue
from engagements.services.outbox import email_resend as email_resend
from engagements.services.outbox import email_write as email_write
from engagements.tenancy import tenant_scope

# --- activity -------------------------------------------------------------------------------


def activity_record(
    *,
    engagement: Engagement,
    actor: User | None,
    kind: str,
    message: str,
    visible_to_client: bool = True,
) -> ActivityEvent:
    return ActivityEvent.objects.create(
        firm=engagement.firm,
        engagement=engagement,
        actor=actor,
        kind=kind,
        message=message,
        visible_to_client=visible_to_client,
    )


# --- firms and clients -----------------------------------------------------------------------


@transaction.atomic
def firm_create(*, name: str, owner_email: str, owner_name: str, owner_password: str) -> Membership:
    """A new firm with its owner. Used by the platform (and the demo), not by tenants."""
    firm = Firm.objects.create(name=name)
    owner = User.objects.create_user(owner_email, owner_password, full_name=owner_name)
    # Unscoped create: the firm did not exist a moment ago, so no scope can be active for it.
    return Membership.unscoped.create(firm=firm, user=owner, role=Role.OWNER)


def client_create(*, firm: Firm, name: str, industry: str = "", website: str = "") -> Client:
    name = name.strip()
    if Client.objects.filter(name__iexact=name).exists():
        raise ApplicationError(f"A client named “{name}” already exists.", field="name")
    return Client.objects.create(firm=firm, name=name, industry=industry, website=website)


# --- engagements -----------------------------------------------------------------------------


def _check_dates(start_date: date | None, target_date: date | None) -> None:
    if start_date and target_date and target_date < start_date:
        raise ApplicationError(
            "The target date cannot be before the start date.", field="target_date"
        )


@transaction.atomic
def engagement_create(
    *,
    actor: User,
    client: Client,
    name: str,
    lead_consultant: User | None = None,
    start_date: date | None = None,
    target_date: date | None = None,
) -> Engagement:
    _check_dates(start_date, target_date)
    engagement = Engagement.objects.create(
        firm=client.firm,
        client=client,
        name=name.strip(),
        lead_consultant=lead_consultant,
        start_date=start_date,
        target_date=target_date,
    )
    activity_record(
        engagement=engagement,
        actor=actor,
        kind=ActivityKind.ENGAGEMENT_CREATED,
        message=f"{actor} created the engagement.",
    )
    return engagement


ENGAGEMENT_EDITABLE_FIELDS = (
    "client",
    "name",
    "lead_consultant",
    "status",
    "start_date",
    "target_date",
)


@transaction.atomic
def engagement_update(*, engagement: Engagement, actor: User, **changes) -> Engagement:
    unknown = set(changes) - set(ENGAGEMENT_EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
    _check_dates(
        changes.get("start_date", engagement.start_date),
        changes.get("target_date", engagement.target_date),
    )
    changed = [field for field, value in changes.items() if getattr(engagement, field) != value]
    if not changed:
        return engagement
    for field in changed:
        setattr(engagement, field, changes[field])
    engagement.save(update_fields=[*changed, "updated_at"])
    labels = ", ".join(Engagement._meta.get_field(f).verbose_name for f in changed)
    activity_record(
        engagement=engagement,
        actor=actor,
        kind=ActivityKind.ENGAGEMENT_UPDATED,
        message=f"{actor} changed {labels}.",
    )
    return engagement


# --- stakeholders ----------------------------------------------------------------------------

STAKEHOLDER_FIELDS = ("name", "email", "title", "role", "is_approver", "has_portal_access")


def _check_email_free(engagement: Engagement, email: str, *, exclude_id: int | None = None) -> None:
    taken = Stakeholder.objects.filter(engagement=engagement, email__iexact=email)
    if exclude_id is not None:
        taken = taken.exclude(pk=exclude_id)
    if taken.exists():
        raise ApplicationError(
            f"{email} is already a stakeholder on this engagement.", field="email"
        )


@transaction.atomic
def stakeholder_create(
    *,
    engagement: Engagement,
    actor: User,
    name: str,
    email: str,
    role: str,
    title: str = "",
    is_approver: bool = False,
    has_portal_access: bool = False,
) -> Stakeholder:
    email = email.strip().lower()
    engagement = _lock(engagement)
    _check_email_free(engagement, email)
    stakeholder = Stakeholder.objects.create(
        firm=engagement.firm,
        engagement=engagement,
        name=name.strip(),
        email=email,
        title=title.strip(),
        role=role,
        is_approver=is_approver,
        has_portal_access=has_portal_access or is_approver,
    )
    activity_record(
        engagement=engagement,
        actor=actor,
        kind=ActivityKind.STAKEHOLDER_ADDED,
        message=f"{actor} added {stakeholder.name} ({stakeholder.get_role_display()}).",
    )
    _refresh_signoffs(engagement, actor)
    return stakeholder


@transaction.atomic
def stakeholder_update(*, stakeholder: Stakeholder, actor: User, **changes) -> Stakeholder:
    unknown = set(changes) - set(STAKEHOLDER_FIELDS)
    if unknown:
        raise ApplicationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
    _lock(stakeholder.engagement)
    if "email" in changes:
        changes["email"] = changes["email"].strip().lower()
        _check_email_free(stakeholder.engagement, changes["email"], exclude_id=stakeholder.pk)
    if changes.get("is_approver"):
        # An approver signs off in the portal, so approving implies portal access.
        changes["has_portal_access"] = True
    for field, value in changes.items():
        setattr(stakeholder, field, value)
    stakeholder.save()
    activity_record(
        engagement=stakeholder.engagement,
        actor=actor,
        kind=ActivityKind.STAKEHOLDER_UPDATED,
        message=f"{actor} updated {stakeholder.name}.",
    )
    _refresh_signoffs(stakeholder.engagement, actor)
    return stakeholder


@transaction.atomic
def stakeholder_delete(*, stakeholder: Stakeholder, actor: User) -> None:
    engagement, name = _lock(stakeholder.engagement), stakeholder.name
    if SignoffDecision.objects.filter(stakeholder=stakeholder).exists():
        raise ApplicationError(
            f"{name} has decided on a sign-off, and that record must stay. "
            "Remove their approver flag instead."
        )
    stakeholder.delete()
    activity_record(
        engagement=engagement,
        actor=actor,
        kind=ActivityKind.STAKEHOLDER_REMOVED,
        message=f"{actor} removed {name}.",
    )
    _refresh_signoffs(engagement, actor)


def _lock(engagement: Engagement) -> Engagement:
    """Stakeholder writes queue behind sign-off decisions on the same engagement (and vice
    versa), so an approval never counts a snapshot that a concurrent change made obsolete."""
    return Engagement.objects.select_for_update().get(pk=engagement.pk)


def _refresh_signoffs(engagement: Engagement, actor: User) -> None:
    """Stakeholders are part of Phase 1's snapshot (roles, approvers, RACI)."""
    from engagements.services.signoffs import signoff_refresh_staleness

    signoff_refresh_staleness(engagement=engagement, actor=actor)


# --- invitations -----------------------------------------------------------------------------


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_not_member_elsewhere(email: str) -> None:
    user = User.objects.filter(email__iexact=email).first()
    # Unscoped on purpose: a person belongs to one firm only, so we must see memberships in any
    # firm to refuse a second one. Nothing of the other firm is revealed beyond "has an account".
    if user and Membership.unscoped.filter(user=user).exists():
        raise ApplicationError(
            f"{email} already has a Waypoint account. Ask them to sign in instead.", field="email"
        )


def _invitation_create(
    *,
    firm: Firm,
    inviter: User,
    email: str,
    role: str,
    client: Client | None = None,
    stakeholder: Stakeholder | None = None,
) -> Invitation:
    email = email.strip().lower()
    _check_not_member_elsewhere(email)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        firm=firm,
        email=email,
        role=role,
        client=client,
        stakeholder=stakeholder,
        token_digest=_token_digest(token),
        invited_by=inviter,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    link = settings.SITE_URL + reverse("invitation_accept", args=[token])
    email_queue(
        firm=firm,
        dedupe_key=f"invitation:{invitation.public_id}",
        to=email,
        template="emails/invitation",
        context={"invitation": invitation, "link": link, "inviter": inviter, "firm": firm},
    )
    return invitation


@transaction.atomic
def consultant_invite(*, inviter: Membership, email: str) -> Invitation:
    if not inviter.is_owner:
        raise ApplicationError("Only the firm owner can invite consultants.")
    return _invitation_create(
        firm=inviter.firm, inviter=inviter.user, email=email, role=Role.CONSULTANT
    )


@transaction.atomic
def stakeholder_invite(*, stakeholder: Stakeholder, actor: User) -> Invitation:
    """Invite a stakeholder to the client portal; an earlier unused link stops working."""
    if stakeholder.user_id is not None:
        raise ApplicationError(f"{stakeholder.name} already has portal access.")
    Invitation.objects.filter(stakeholder=stakeholder, accepted_at__isnull=True).update(
        expires_at=timezone.now()
    )
    if not stakeholder.has_portal_access:
        stakeholder.has_portal_access = True
        stakeholder.save(update_fields=["has_portal_access", "updated_at"])
    invitation = _invitation_create(
        firm=stakeholder.firm,
        inviter=actor,
        email=stakeholder.email,
        role=Role.CLIENT,
        client=stakeholder.engagement.client,
        stakeholder=stakeholder,
    )
    activity_record(
        engagement=stakeholder.engagement,
        actor=actor,
        kind=ActivityKind.PORTAL_INVITATION_SENT,
        message=f"{actor} invited {stakeholder.name} to the client portal.",
    )
    return invitation


def invitation_for_token(*, token: str) -> Invitation:
    """The pending invitation behind a link, or an ApplicationError that says why not."""
    # Unscoped on purpose: whoever opens the link is not signed in yet, so no firm is in scope;
    # the row is found only by the digest of a secret the link carries.
    invitation = (
        Invitation.unscoped.select_related("firm", "stakeholder")
        .filter(token_digest=_token_digest(token))
        .first()
    )
    if invitation is None:
        raise ApplicationError("This invitation link is not valid. Check that you copied it whole.")
    if invitation.is_used:
        raise ApplicationError(
            "This invitation has already been used. Sign in with the password you chose, "
            "or reset it if you have forgotten it."
        )
    if invitation.is_expired:
        raise ApplicationError(
            "This invitation has expired. Ask the person who invited you to send a new one."
        )
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, full_name: str, password: str) -> User:
    invitation = invitation_for_token(token=token)
    # Lock the row so that two submissions of the same link cannot both succeed. Unscoped for
    # the reason above: the person is not signed in, and the row is the one the link proved.
    invitation = Invitation.unscoped.select_for_update().get(pk=invitation.pk)
    if invitation.is_used:
        raise ApplicationError("This invitation has already been used.")
    _check_not_member_elsewhere(invitation.email)
    user = User.objects.filter(email__iexact=invitation.email).first() or User(
        email=invitation.email
    )
    user.full_name = full_name.strip()
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ApplicationError(" ".join(error.messages), field="password1") from error
    user.set_password(password)
    user.save()
    # The invitee is not signed in yet, so no firm is in scope: the invitation names it.
    with tenant_scope(invitation.firm):
        Membership.objects.create(
            firm=invitation.firm, user=user, role=invitation.role, client=invitation.client
        )
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at", "updated_at"])
        if invitation.stakeholder is not None:
            _link_stakeholder(invitation.stakeholder, user)
    return user


def _link_stakeholder(stakeholder: Stakeholder, user: User) -> None:
    stakeholder.user = user
    stakeholder.has_portal_access = True
    stakeholder.save(update_fields=["user", "has_portal_access", "updated_at"])
    activity_record(
        engagement=stakeholder.engagement,
        actor=user,
        kind=ActivityKind.PORTAL_INVITATION_ACCEPTED,
        message=f"{stakeholder.name} joined the client portal.",
    )


def user_notifications_update(*, user: User, wants_daily_digest: bool) -> User:
    user.wants_daily_digest = wants_daily_digest
    user.save(update_fields=["wants_daily_digest"])
    return user
