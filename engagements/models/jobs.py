from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from engagements.models.base import TenantModel
from engagements.models.engagement import Engagement


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Done"
    FAILED = "failed", "Failed"


class Job(TenantModel):
    """A record of long background work, what pages poll for progress. Nothing a user sees
    depends on Celery's result backend.

    `heartbeat_at` is written whenever the work reports (queued, started, progress): a job in
    flight whose heartbeat is older than JOB_STALE_AFTER has lost its worker (or never reached
    one), and the watchdog re-queues it (`task_name`/`task_args` say how) or fails it.
    `lost` counts the attempts that ended without reporting (a killed worker): past
    JOB_MAX_LOST the job is failed as crashing its worker, never redelivered forever.
    """

    engagement = models.ForeignKey(
        Engagement, null=True, blank=True, on_delete=models.CASCADE, related_name="jobs"
    )
    kind = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    task_name = models.CharField(max_length=200, blank=True)
    task_args = models.JSONField(default=list, blank=True)
    task_id = models.CharField(
        max_length=100, blank=True, help_text="The Celery task id of the attempt running it."
    )
    lost = models.PositiveSmallIntegerField(default=0)
    requeues = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["firm", "status", "heartbeat_at"], name="job_in_flight"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)

    @property
    def is_stalled(self) -> bool:
        """In flight, but nothing has reported for JOB_STALE_AFTER: the page offers a retry
        (the watchdog will re-queue or fail it shortly anyway)."""
        if self.is_finished:
            return False
        return self.heartbeat_at < timezone.now() - timedelta(seconds=settings.JOB_STALE_AFTER)
