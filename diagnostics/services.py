"""Every write of Phase 2. Artifact edits go through `phase_edit`: a signed-off diagnostic is
read-only, and an open sign-off request goes stale when its evidence changes."""

from collections.abc import Sequence
from datetime import datetime

from diagnostics.models import (
    AgendaItem,
    DataSource,
    Finding,
    FindingCategory,
    FindingSeverity,
    PreworkAnswer,
    PromptTemplate,
    Recommendation,
    ReportDraft,
    ToolAssessment,
    Workshop,
    WorkshopGroup,
    WorkshopPrompt,
    WorkshopStatus,
)
from engagements.errors import ApplicationError
from engagements.models import (
    Engagement,
    Firm,
    Stakeholder,
    Tool,
    User,
)
from engagements.phases import Phase
from engagements.services.signoffs import phase_edit

DIAGNOSTIC = Phase.DIAGNOSTIC

DEFAULT_PROMPTS = {
    WorkshopGroup.REP: [
        "Walk us through your last deal: where did the process slow you down?",
        "Which steps do you do twice, or outside the CRM?",
        "What information do you hunt for before a call, and where?",
    ],
    WorkshopGroup.MANAGER: [
        "Where do you lack visibility into your team's pipeline?",
        "How do you build your forecast today, and how long does it take?",
        "Which questions about your team can you not answer without asking someone?",
    ],
    WorkshopGroup.OPS: [
        "Where does data integrity fall apart: which fields, which hand-offs?",
        "Which integrations break, and how do you find out?",
        "Which reports are rebuilt by hand, and how often?",
    ],
    WorkshopGroup.LEADERSHIP: [
        "Which metrics matter most to you, and do you trust them today?",
        "What decision did you last delay for lack of data?",
        "What must be true in a year for this project to have succeeded?",
    ],
}


# --- prompt library ---------------------------------------------------------------------------


def prompt_library_ensure(*, firm: Firm) -> None:
    """Seed the firm's library with the default prompts the first time it is needed."""
    if PromptTemplate.objects.exists():
        return
    PromptTemplate.objects.bulk_create(
        PromptTemplate(firm=firm, group=group, text=text, position=position)
        for group, texts in DEFAULT_PROMPTS.items()
        for position, text in enumerate(texts)
    )


def prompt_template_create(*, firm: Firm, group: str, text: str) -> PromptTemplate:
    position = PromptTemplate.objects.filter(group=group).count()
    return PromptTemplate.objects.create(
        firm=firm, group=group, text=text.strip(), position=position
    )


def prompt_template_update(*, prompt: PromptTemplate, text: str, is_active: bool) -> PromptTemplate:
    prompt.text, prompt.is_active = text.strip(), is_active
    prompt.save(update_fields=["text", "is_active", "updated_at"])
    return prompt


# --- workshops --------------------------------------------------------------------------------


def _check_attendees(engagement: Engagement, attendees: list[Stakeholder]) -> None:
    if any(s.engagement_id != engagement.pk for s in attendees):
        raise ApplicationError(
            "Attendees must be stakeholders of this engagement.", field="attendees"
        )


def workshop_create(
    *,
    engagement: Engagement,
    actor: User,
    title: str,
    group: str,
    objective: str,
    scope: str = "",
    facilitator: User | None = None,
    scheduled_at: datetime | None = None,
    attendees: Sequence[Stakeholder] = (),
) -> Workshop:
    """Plan a session; its capture sheet gets the library's prompts for its group."""
    with phase_edit(engagement=engagement, phase=DIAGNOSTIC, actor=actor) as locked:
        _check_attendees(locked, list(attendees))
        prompt_library_ensure(firm=locked.firm)
        workshop = Workshop.objects.create(
            firm=locked.firm, engagement=locked, title=title.strip(), group=group,
            objective=objective.strip(), scope=scope, facilitator=facilitator,
            scheduled_at=scheduled_at,
        )  # fmt: skip
        workshop.attendees.set(attendees, through_defaults={"firm": locked.firm})
        library = PromptTemplate.objects.filter(is_active=True)
        if group != WorkshopGroup.MIXED:
            library = library.filter(group=group)
        WorkshopPrompt.objects.bulk_create(
            WorkshopPrompt(
                firm=locked.firm, workshop=workshop, group=p.group, text=p.text, position=i
            )
            for i, p in enumerate(library)
        )
    return workshop


def workshop_update(*, workshop: Workshop, actor: User, attendees=None, **fields) -> Workshop:
    allowed = {"title", "group", "objective", "scope", "facilitator", "scheduled_at", "status"}
    if set(fields) - allowed:
        raise ApplicationError("Some of these fields cannot be edited.")
    with phase_edit(engagement=workshop.engagement, phase=DIAGNOSTIC, actor=actor) as locked:
        for name, value in fields.items():
            setattr(workshop, name, value)
        workshop.save()
        if attendees is not None:
            _check_attendees(locked, list(attendees))
            workshop.attendees.set(attendees, through_defaults={"firm": locked.firm})
    return workshop


def workshop_capture(
    *,
    workshop: Workshop,
    actor: User,
    notes: str,
    decisions: str,
    answers: dict[int, str],
    complete: bool = False,
) -> Workshop:
    """Save the session's documented output: notes, an answer per prompt, decisions."""
    with phase_edit(engagement=workshop.engagement, phase=DIAGNOSTIC, actor=actor):
        if complete and not (notes.strip() or any(a.strip() for a in answers.values())):
            raise ApplicationError(
                "A completed workshop needs its output: notes or at least one answer."
            )
        workshop.notes, workshop.decisions = notes, decisions
        if complete:
            workshop.status = WorkshopStatus.COMPLETED
        workshop.save()
        for prompt in workshop.prompts.all():
            if prompt.pk in answers and prompt.answer != answers[prompt.pk]:
                prompt.answer = answers[prompt.pk]
                prompt.save(update_fields=["answer", "updated_at"])
    return workshop


def agenda_item_add(*, workshop: Workshop, actor: User, title: str, minutes: int) -> AgendaItem:
    with phase_edit(engagement=workshop.engagement, phase=DIAGNOSTIC, actor=actor):
        return AgendaItem.objects.create(
            firm=workshop.firm, workshop=workshop, title=title.strip(), minutes=minutes,
            position=workshop.agenda.count(),
        )  # fmt: skip


def agenda_item_delete(*, item: AgendaItem, actor: User) -> None:
    with phase_edit(engagement=item.workshop.engagement, phase=DIAGNOSTIC, actor=actor):
        item.delete()


def prework_answer_save(
    *, prompt: WorkshopPrompt, stakeholder: Stakeholder, text: str
) -> PreworkAnswer:
    """A client stakeholder answers their role's questions in the portal before the session."""
    workshop = prompt.workshop
    if workshop.status != WorkshopStatus.PLANNED:
        raise ApplicationError("This workshop has already taken place; answers are closed.")
    if not workshop.attendees.filter(pk=stakeholder.pk).exists():
        raise ApplicationError("You are not invited to this workshop.")
    if (
        prompt.group not in (stakeholder.role, WorkshopGroup.MIXED)
        and workshop.group != WorkshopGroup.MIXED
    ):
        raise ApplicationError("This question is for another role.")
    answer, _ = PreworkAnswer.objects.update_or_create(
        prompt=prompt,
        stakeholder=stakeholder,
        defaults={"text": text.strip()},
        create_defaults={"firm": prompt.firm, "text": text.strip()},
    )
    return answer


# --- findings ---------------------------------------------------------------------------------


def _check_tools(engagement: Engagement, tools: list[Tool]) -> None:
    if any(tool.engagement_id != engagement.pk for tool in tools):
        raise ApplicationError("Affected tools must come from this engagement's inventory.")


def finding_create(
    *,
    engagement: Engagement,
    actor: User,
    title: str,
    category: str,
    severity: str,
    quote: str = "",
    workshop: Workshop | None = None,
    affected_roles: Sequence[str] = (),
    affected_tools: Sequence[Tool] = (),
    process_view: str = "actual",
) -> Finding:
    with phase_edit(engagement=engagement, phase=DIAGNOSTIC, actor=actor) as locked:
        if workshop is not None and workshop.engagement_id != locked.pk:
            raise ApplicationError("The session must belong to this engagement.", field="workshop")
        _check_tools(locked, list(affected_tools))
        finding = Finding.objects.create(
            firm=locked.firm, engagement=locked, title=title.strip(), category=category,
            severity=severity, quote=quote.strip(), workshop=workshop,
            affected_roles=list(affected_roles), process_view=process_view,
        )  # fmt: skip
        finding.affected_tools.set(affected_tools, through_defaults={"firm": locked.firm})
    return finding


def finding_from_notes(*, workshop: Workshop, actor: User, text: str) -> Finding:
    """One click from a line of session notes or a captured answer to a draft finding."""
    text = text.strip()
    if not text:
        raise ApplicationError("There is no text to turn into a finding.")
    title = text if len(text) <= 120 else text[:117].rsplit(" ", 1)[0] + "…"
    return finding_create(
        engagement=workshop.engagement,
        actor=actor,
        title=title,
        category=FindingCategory.PROCESS,
        severity=FindingSeverity.MEDIUM,
        quote=text,
        workshop=workshop,
        affected_roles=sorted(workshop.roles),
    )


def finding_update(*, finding: Finding, actor: User, affected_tools=None, **fields) -> Finding:
    with phase_edit(engagement=finding.engagement, phase=DIAGNOSTIC, actor=actor) as locked:
        workshop = fields.get("workshop")
        if workshop is not None and workshop.engagement_id != locked.pk:
            raise ApplicationError("The session must belong to this engagement.", field="workshop")
        for name, value in fields.items():
            setattr(finding, name, value)
        finding.save()
        if affected_tools is not None:
            _check_tools(locked, list(affected_tools))
            finding.affected_tools.set(affected_tools, through_defaults={"firm": locked.firm})
    return finding


def finding_delete(*, finding: Finding, actor: User) -> None:
    with phase_edit(engagement=finding.engagement, phase=DIAGNOSTIC, actor=actor):
        finding.delete()


# --- data landscape and tools -----------------------------------------------------------------


def data_source_save(
    *, engagement: Engagement, actor: User, source: DataSource | None = None, **fields
) -> DataSource:
    with phase_edit(engagement=engagement, phase=DIAGNOSTIC, actor=actor) as locked:
        source = source or DataSource(firm=locked.firm, engagement=locked)
        for name, value in fields.items():
            setattr(source, name, value)
        source.save()
    return source


def data_source_delete(*, source: DataSource, actor: User) -> None:
    with phase_edit(engagement=source.engagement, phase=DIAGNOSTIC, actor=actor):
        source.delete()


def tool_assessment_save(
    *,
    tool: Tool,
    actor: User,
    value: int,
    complexity: int,
    overlaps: Sequence[Tool] = (),
    active_seats: int | None = None,
    notes: str = "",
) -> ToolAssessment:
    with phase_edit(engagement=tool.engagement, phase=DIAGNOSTIC, actor=actor) as locked:
        if any(other.pk == tool.pk for other in overlaps):
            raise ApplicationError("A tool cannot overlap with itself.", field="overlaps")
        _check_tools(locked, list(overlaps))
        scores = {
            "value": value,
            "complexity": complexity,
            "active_seats": active_seats,
            "notes": notes,
        }
        assessment, _ = ToolAssessment.objects.update_or_create(
            tool=tool,
            defaults=scores,
            create_defaults={"firm": locked.firm, "engagement": locked, **scores},
        )
        assessment.overlaps.set(overlaps, through_defaults={"firm": locked.firm})
    return assessment


# --- the report -------------------------------------------------------------------------------


def report_draft_update(*, engagement: Engagement, actor: User, **fields) -> ReportDraft:
    with phase_edit(engagement=engagement, phase=DIAGNOSTIC, actor=actor) as locked:
        draft, _ = ReportDraft.objects.get_or_create(
            engagement=locked, defaults={"firm": locked.firm}
        )
        for name, value in fields.items():
            setattr(draft, name, value)
        draft.save()
    return draft


def recommendation_save(
    *,
    engagement: Engagement,
    actor: User,
    title: str,
    detail: str,
    findings: list[Finding],
    recommendation: Recommendation | None = None,
) -> Recommendation:
    with phase_edit(engagement=engagement, phase=DIAGNOSTIC, actor=actor) as locked:
        if not findings:
            raise ApplicationError(
                "Link the recommendation to the findings behind it.", field="findings"
            )
        if any(f.engagement_id != locked.pk for f in findings):
            raise ApplicationError(
                "Linked findings must belong to this engagement.", field="findings"
            )
        if recommendation is None:
            recommendation = Recommendation(
                firm=locked.firm, engagement=locked,
                position=Recommendation.objects.filter(engagement=locked).count(),
            )  # fmt: skip
        recommendation.title, recommendation.detail = title.strip(), detail
        recommendation.save()
        recommendation.findings.set(findings, through_defaults={"firm": locked.firm})
    return recommendation


def recommendation_delete(*, recommendation: Recommendation, actor: User) -> None:
    with phase_edit(engagement=recommendation.engagement, phase=DIAGNOSTIC, actor=actor):
        recommendation.delete()
