"""Reads of the training part of Phase 6: completion by role (the gate, the adoption
dashboard), the training matrix, a stakeholder's modules in the portal, and module content
rendered from Markdown. Each reads in a fixed number of queries, whatever the number of rows."""

from __future__ import annotations

from dataclasses import dataclass, field

import markdown
import nh3
from django.db.models import Count, Prefetch, Q
from django.utils.safestring import SafeString, mark_safe

from enablement.models import (
    DEFAULT_COMPLETION_THRESHOLD,
    EnablementSettings,
    QuizAttempt,
    QuizQuestion,
    TrainingAssignment,
    TrainingModule,
)
from engagements.models import Engagement, Stakeholder, StakeholderRole

ROLE_LABELS = dict(StakeholderRole.choices)
ROLE_ORDER = ["rep", "manager", "ops", "leadership"]
"""Roles in the order training is usually rolled out: the people who use the system most first."""

# What module content may contain once rendered: text structure, links, tables, images.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "i", "img",
    "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "abbr": {"title"}}


def render_markdown(text: str) -> SafeString:
    """Module content as HTML: Markdown rendered, then sanitised, so a script or an event
    handler typed into the content never reaches a client's browser."""
    html = markdown.markdown(text or "", extensions=["tables", "sane_lists"], output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308 — sanitised by nh3 just above


def completion_threshold(*, engagement: Engagement) -> int:
    row = EnablementSettings.objects.filter(engagement=engagement).first()
    return row.completion_threshold if row else DEFAULT_COMPLETION_THRESHOLD


def enablement_settings(*, engagement: Engagement) -> EnablementSettings:
    """The stored settings, or unsaved defaults."""
    return EnablementSettings.objects.filter(engagement=engagement).first() or EnablementSettings(
        firm=engagement.firm, engagement=engagement
    )


def training_completion_by_role(*, engagement: Engagement) -> dict[str, tuple[int, int]]:
    """role → (completed, assigned) over the engagement's assignments, in one grouped query.
    Roles without any assignment are absent."""
    rows = (
        TrainingAssignment.objects.filter(engagement=engagement)
        .values("module__role")
        .annotate(
            assigned=Count("id"),
            completed=Count("id", filter=Q(completed_at__isnull=False)),
        )
        .order_by("module__role")
    )
    return {row["module__role"]: (row["completed"], row["assigned"]) for row in rows}


def percent(completed: int, assigned: int) -> int:
    return round(100 * completed / assigned) if assigned else 0


@dataclass
class RoleCompletion:
    role: str
    label: str
    completed: int
    assigned: int
    threshold: int

    @property
    def percent(self) -> int:
        return percent(self.completed, self.assigned)

    @property
    def meets_threshold(self) -> bool:
        return self.assigned > 0 and self.percent >= self.threshold


def completion_summary(*, engagement: Engagement) -> list[RoleCompletion]:
    """Completion of each role with assignments, against the engagement's threshold (two
    queries)."""
    threshold = completion_threshold(engagement=engagement)
    by_role = training_completion_by_role(engagement=engagement)
    return [
        RoleCompletion(role, ROLE_LABELS[role], *by_role[role], threshold)
        for role in ROLE_ORDER
        if role in by_role
    ]


def training_roles(*, engagement: Engagement) -> list[str]:
    """The roles that must be trained: rep, manager and ops when the engagement has
    stakeholders in them. Leadership is trained when modules are assigned to it, but not
    required."""
    present = set(
        Stakeholder.objects.filter(engagement=engagement).values_list("role", flat=True).distinct()
    )
    return [role for role in ROLE_ORDER if role in present and role != StakeholderRole.LEADERSHIP]


def module_list(*, engagement: Engagement) -> list[TrainingModule]:
    """Every module, by role, each with its question, attachment, assignment and completion
    counts (one query)."""
    modules = TrainingModule.objects.filter(engagement=engagement).annotate(
        question_count=Count("questions", distinct=True),
        attachment_count=Count("attachments", distinct=True),
        assigned_count=Count("assignments", distinct=True),
        completed_count=Count(
            "assignments", filter=Q(assignments__completed_at__isnull=False), distinct=True
        ),
    )
    return sorted(modules, key=lambda m: (ROLE_ORDER.index(m.role), m.position, m.pk))


def modules_by_role(modules: list[TrainingModule]) -> list[dict]:
    """[{role, label, modules}] for each role, in training order (roles without modules too)."""
    return [
        {
            "role": role,
            "label": ROLE_LABELS[role],
            "modules": [m for m in modules if m.role == role],
        }
        for role in ROLE_ORDER
    ]


def module_detail(*, engagement: Engagement, public_id) -> TrainingModule | None:
    """One module with its questions (and their choices) and attachments (three queries)."""
    return (
        TrainingModule.objects.filter(engagement=engagement, public_id=public_id)
        .prefetch_related(
            Prefetch("questions", queryset=QuizQuestion.objects.prefetch_related("choices")),
            "attachments",
        )
        .first()
    )


# --- the training matrix ------------------------------------------------------------------------


@dataclass
class MatrixCell:
    assignment: TrainingAssignment | None

    @property
    def state(self) -> str:
        a = self.assignment
        if a is None:
            return "unassigned"
        if a.completed_at:
            return "completed"
        if a.attempt_count:
            return "failed"
        return "pending"


@dataclass
class MatrixRow:
    stakeholder: Stakeholder
    cells: list[MatrixCell]

    @property
    def assigned(self) -> int:
        return sum(1 for c in self.cells if c.assignment is not None)

    @property
    def completed(self) -> int:
        return sum(1 for c in self.cells if c.state == "completed")

    @property
    def percent(self) -> int:
        return percent(self.completed, self.assigned)


@dataclass
class MatrixSection:
    role: str
    label: str
    modules: list[TrainingModule]
    rows: list[MatrixRow] = field(default_factory=list)
    completion: RoleCompletion | None = None


def training_matrix(*, engagement: Engagement) -> list[MatrixSection]:
    """Stakeholders × modules, one section per role: each cell is the stakeholder's assignment
    of that module (with its attempt count), or empty when not assigned. Four queries whatever
    the number of stakeholders and modules."""
    threshold = completion_threshold(engagement=engagement)
    modules = list(TrainingModule.objects.filter(engagement=engagement))
    stakeholders = list(Stakeholder.objects.filter(engagement=engagement).order_by("name", "id"))
    assignments = {
        (a.stakeholder_id, a.module_id): a
        for a in TrainingAssignment.objects.filter(engagement=engagement).annotate(
            attempt_count=Count("attempts")
        )
    }
    sections = []
    for role in ROLE_ORDER:
        role_modules = [m for m in modules if m.role == role]
        module_ids = {m.pk for m in role_modules}
        # A stakeholder shows under a role when they have that role, or hold one of its modules
        # (e.g. after their role changed).
        people = [
            s
            for s in stakeholders
            if s.role == role or any((s.pk, mid) in assignments for mid in module_ids)
        ]
        if not role_modules and not people:
            continue
        section = MatrixSection(role, ROLE_LABELS[role], role_modules)
        section.rows = [
            MatrixRow(s, [MatrixCell(assignments.get((s.pk, m.pk))) for m in role_modules])
            for s in people
        ]
        assigned = sum(row.assigned for row in section.rows)
        completed = sum(row.completed for row in section.rows)
        section.completion = RoleCompletion(role, ROLE_LABELS[role], completed, assigned, threshold)
        sections.append(section)
    return sections


# --- the portal ----------------------------------------------------------------------------------


def my_assignments(*, engagement: Engagement, stakeholder: Stakeholder) -> list[TrainingAssignment]:
    """A stakeholder's modules in training order, each with its module, question count and
    attempt count (one query)."""
    rows = (
        TrainingAssignment.objects.filter(engagement=engagement, stakeholder=stakeholder)
        .select_related("module")
        .annotate(
            question_count=Count("module__questions", distinct=True),
            attempt_count=Count("attempts", distinct=True),
        )
    )
    return sorted(
        rows, key=lambda a: (ROLE_ORDER.index(a.module.role), a.module.position, a.module_id)
    )


def my_assignment(
    *, engagement: Engagement, stakeholder: Stakeholder, module_public_id
) -> TrainingAssignment | None:
    return (
        TrainingAssignment.objects.filter(
            engagement=engagement, stakeholder=stakeholder, module__public_id=module_public_id
        )
        .select_related("module", "engagement")
        .first()
    )


def attempt_list(*, assignment: TrainingAssignment) -> list[QuizAttempt]:
    return list(QuizAttempt.objects.filter(assignment=assignment))
