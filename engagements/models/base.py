import uuid

from django.db import models

from engagements.tenancy import require_current_firm


class TenantManager(models.Manager):
    """Default manager of tenant-owned models: only the active firm's rows, or an error."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(firm=require_current_firm())

    def none(self) -> models.QuerySet:
        """An empty queryset, with or without a firm in scope: it reads no row, so it cannot
        leak one. For placeholders built before any request (a form field's choices, which
        the form replaces with the scoped queryset when it is built for a request)."""
        return super().get_queryset().none()


class UnscopedManager(models.Manager):
    """Every firm's rows. Only for migrations, the platform admin and cross-tenant jobs."""


class TenantModel(models.Model):
    """Base of every tenant-owned table: the firm, a public id for URLs, timestamps.

    `firm` is copied from the parent object in the service that creates the row, never taken
    from user input. `unscoped` is the named escape hatch for migrations, the platform admin
    and cross-tenant jobs; every use carries a comment saying why it is safe.
    """

    firm = models.ForeignKey("engagements.Firm", on_delete=models.CASCADE, related_name="+")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()
    unscoped = UnscopedManager()

    class Meta:
        abstract = True
