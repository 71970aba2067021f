"""Phase 6 — training: role-specific modules (Markdown content, attachments, an estimated
duration, an optional quiz with a pass mark), their assignment to stakeholders, and every quiz
attempt a client user makes in the portal."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from engagements.models import Engagement, Stakeholder, StakeholderRole, TenantModel

__all__ = [
    "DEFAULT_COMPLETION_THRESHOLD",
    "EnablementSettings",
    "QuizAttempt",
    "QuizChoice",
    "QuizQuestion",
    "TrainingAssignment",
    "TrainingAttachment",
    "TrainingModule",
]

DEFAULT_COMPLETION_THRESHOLD = 80
"""Share of a role's assignments that must be completed before the gate opens (percent)."""


class EnablementSettings(TenantModel):
    """Per-engagement settings of Phase 6 the consultant edits (created on first edit; until
    then the defaults apply)."""

    engagement = models.OneToOneField(
        Engagement, on_delete=models.CASCADE, related_name="enablement_settings"
    )
    completion_threshold = models.PositiveSmallIntegerField(
        "training completion required per role (%)",
        default=DEFAULT_COMPLETION_THRESHOLD,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )

    def __str__(self) -> str:
        return f"Enablement settings of {self.engagement}"


class TrainingModule(TenantModel):
    """One module of a role's training. `content` is Markdown, rendered and sanitised on
    display. A module with questions has a quiz; passing it (score ≥ pass mark) completes it."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="training_modules"
    )
    role = models.CharField(max_length=20, choices=StakeholderRole.choices)
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    content = models.TextField(blank=True, help_text="Markdown")
    minutes = models.PositiveSmallIntegerField(
        "estimated minutes", default=20, validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    pass_mark = models.PositiveSmallIntegerField(
        "quiz pass mark (%)",
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    position = models.PositiveSmallIntegerField(default=0)
    suggestion = models.CharField(
        max_length=60, blank=True, help_text="Key of the suggested module it was added from."
    )

    class Meta:
        ordering = ["role", "position", "id"]
        indexes = [models.Index(fields=["firm", "engagement", "role"])]
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "role", "title"], name="training_module_title_once_per_role"
            )
        ]

    def __str__(self) -> str:
        return self.title


class TrainingAttachment(TenantModel):
    """A file that goes with a module (a cheat sheet, a slide deck), stored in the default
    storage under `file` and downloaded through the workspace or the portal, never by URL."""

    module = models.ForeignKey(TrainingModule, on_delete=models.CASCADE, related_name="attachments")
    file = models.CharField(max_length=500, help_text="Name in the default storage.")
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class QuizQuestion(TenantModel):
    """One multiple-choice question of a module's quiz; exactly one choice is correct."""

    module = models.ForeignKey(TrainingModule, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField("question", max_length=500)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


class QuizChoice(TenantModel):
    question = models.ForeignKey(QuizQuestion, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField("answer", max_length=300)
    is_correct = models.BooleanField(default=False)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


class TrainingAssignment(TenantModel):
    """A module assigned to one stakeholder; `completed_at` is set once they complete it (read
    it, or pass its quiz) and never cleared."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="training_assignments"
    )
    module = models.ForeignKey(TrainingModule, on_delete=models.CASCADE, related_name="assignments")
    stakeholder = models.ForeignKey(
        Stakeholder, on_delete=models.CASCADE, related_name="training_assignments"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    best_score = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["module__role", "module__position", "id"]
        indexes = [models.Index(fields=["firm", "engagement", "stakeholder"])]
        constraints = [
            models.UniqueConstraint(fields=["module", "stakeholder"], name="training_assigned_once")
        ]

    def __str__(self) -> str:
        return f"{self.module} → {self.stakeholder.name}"


class QuizAttempt(TenantModel):
    """One submitted quiz: the answers given, the score and whether it passed. Never edited;
    every attempt is kept."""

    assignment = models.ForeignKey(
        TrainingAssignment, on_delete=models.CASCADE, related_name="attempts"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    answers = models.JSONField(default=dict, help_text="question public id → choice public id")
    correct = models.PositiveSmallIntegerField()
    total = models.PositiveSmallIntegerField()
    score = models.PositiveSmallIntegerField(help_text="percent")
    pass_mark = models.PositiveSmallIntegerField(help_text="the module's pass mark at the time")
    passed = models.BooleanField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.score}% ({'passed' if self.passed else 'not passed'})"
