from engagements.models.accounts import Client, Firm, Invitation, Membership, Role, User
from engagements.models.base import TenantManager, TenantModel
from engagements.models.engagement import (
    ActivityEvent,
    ActivityKind,
    Engagement,
    EngagementStatus,
    Stakeholder,
    StakeholderRole,
)
from engagements.models.outbox import EmailStatus, OutboundEmail

__all__ = [
    "ActivityEvent",
    "ActivityKind",
    "Client",
    "EmailStatus",
    "Engagement",
    "EngagementStatus",
    "Firm",
    "Invitation",
    "Membership",
    "OutboundEmail",
    "Role",
    "Stakeholder",
    "StakeholderRole",
    "TenantManager",
    "TenantModel",
    "User",
]
