from django.conf import settings
from django.db import models

from engagements.models.base import TenantModel
from engagements.models.jobs import Job


class DocumentVersion(TenantModel):
    """One rendered PDF of a phase (v1, v2, …), stored through Django's storage API; its job
    record carries the rendering progress. Each phase app subclasses it with its engagement
    link and `filename_stem`."""

    number = models.PositiveIntegerField()
    job = models.OneToOneField(Job, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.CharField(max_length=500, blank=True, help_text="Name in the default storage.")
    digest = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(default=0)
    page_count = models.PositiveIntegerField(default=0)

    filename_stem = "document"

    class Meta:
        abstract = True
        ordering = ["-number"]

    @property
    def is_ready(self) -> bool:
        return bool(self.file)

    @property
    def filename(self) -> str:
        return f"{self.filename_stem}-v{self.number}.pdf"
