"""Phase 6 — handoff: the checklist (documentation transferred, access consolidated, open
items), the ongoing support model, and the handoff pack PDF."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from engagements.models import DocumentVersion, Engagement, TenantModel

__all__ = [
    "AccessTransfer",
    "DocumentTransfer",
    "HandoffPackVersion",
    "HealthCheckCadence",
    "OpenItem",
    "OpenItemStatus",
    "SupportModel",
    "SupportPlan",
]


class DocumentTransfer(TenantModel):
    """A piece of documentation handed to the client: what, where it now lives, who received
    it, and when (empty until transferred)."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="document_transfers"
    )
    title = models.CharField("document", max_length=200)
    location = models.CharField(
        max_length=300, blank=True, help_text="Where the client finds it, e.g. a SharePoint link"
    )
    recipient = models.CharField("received by", max_length=120, blank=True)
    transferred_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class AccessTransfer(TenantModel):
    """An admin credential or account owner moved to the client: the system, the account, who
    held it, the client's new owner, and the date it moved (empty until moved)."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="access_transfers"
    )
    system = models.CharField(max_length=120, help_text="e.g. HubSpot, Gong, Zapier")
    account = models.CharField(max_length=200, help_text="e.g. super admin, billing owner")
    previous_owner = models.CharField(max_length=120)
    new_owner = models.CharField("new client owner", max_length=120)
    moved_on = models.DateField(null=True, blank=True)
    notes = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["system", "account", "id"]

    def __str__(self) -> str:
        return f"{self.system} — {self.account}"


class OpenItemStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"
    HANDED_OVER = "handed_over", "Handed over to the client"


class OpenItem(TenantModel):
    """Something not finished at handoff: resolved before sign-off, or explicitly handed over
    to a named client owner."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="open_items")
    title = models.CharField(max_length=200)
    owner = models.CharField(max_length=120, blank=True)
    due_on = models.DateField("due", null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=OpenItemStatus.choices, default=OpenItemStatus.OPEN
    )
    resolution = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["status", "due_on", "id"]

    def __str__(self) -> str:
        return self.title


class SupportModel(models.TextChoices):
    RETAINER = "retainer", "Retainer for continued optimisation"
    HEALTH_CHECKS = "health_checks", "Periodic health checks"
    SELF_SERVICE = "self_service", "Full self-service"


class HealthCheckCadence(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    TWICE_A_YEAR = "twice_a_year", "Twice a year"
    YEARLY = "yearly", "Yearly"


class SupportPlan(TenantModel):
    """The ongoing support model agreed with the client, with what it needs: hours for a
    retainer, a cadence for health checks, an internal owner for self-service."""

    engagement = models.OneToOneField(
        Engagement, on_delete=models.CASCADE, related_name="support_plan"
    )
    model = models.CharField("support model", max_length=20, choices=SupportModel.choices)
    retainer_hours = models.PositiveSmallIntegerField(
        "retainer hours per month",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(744)],
    )
    cadence = models.CharField(
        "health-check cadence", max_length=20, choices=HealthCheckCadence.choices, blank=True
    )
    client_owner = models.CharField("client owner of the system", max_length=120, blank=True)
    starts_on = models.DateField("starts", null=True, blank=True)
    details = models.TextField(
        blank=True, help_text="Scope, response times, escalation path, how to reach us"
    )
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return self.get_model_display()


class HandoffPackVersion(DocumentVersion):
    """One rendered handoff pack PDF: v1, v2, …"""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="handoff_pack_versions"
    )

    filename_stem = "handoff-pack"

    class Meta(DocumentVersion.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "number"], name="handoff_pack_version_number_once"
            )
        ]

    def __str__(self) -> str:
        return f"Handoff pack v{self.number}"
