"""Workspace pages of Phase 1 — Onboarding & Alignment (the charter), and the gate actions every
phase shares: request sign-off, reopen, advance."""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods, require_POST

from engagements import registry, selectors
from engagements.access import workspace_view
from engagements.document_pages import document_section
from engagements.forms import (
    CharterSummaryForm,
    HeadcountForm,
    MeetingForm,
    MilestoneForm,
    PainPointForm,
    ReopenForm,
    RoleExclusionForm,
    SignoffRequestForm,
    SuccessMetricForm,
    ToolForm,
)
from engagements.models import (
    Charter,
    Engagement,
    HeadcountLine,
    Meeting,
    Milestone,
    PainPoint,
    RaciAssignment,
    Responsibility,
    RoleExclusion,
    SuccessMetric,
    Tool,
)
from engagements.pages import engagement_or_404, refusal_on
from engagements.phases import WORKING_PHASES, Phase
from engagements.services import charter as charter_services
from engagements.services import signoffs

TEMPLATE = "engagements/onboarding.html"


@dataclass(frozen=True)
class Section:
    """One editable list of the charter: its model, form, and how its rows read."""

    slug: str
    title: str
    intro: str
    model: type[Model]
    form: type[forms.ModelForm]
    columns: tuple[tuple[str, Callable[[Model], object]], ...]


def _yes(value: bool) -> str:
    return "Yes" if value else "—"


SECTIONS: dict[str, Section] = {
    section.slug: section
    for section in (
        Section(
            "headcount",
            "Team structure",
            "Headcount by role, and by team where it helps.",
            HeadcountLine,
            HeadcountForm,
            (
                ("Role", lambda h: h.get_role_display()),
                ("Team", lambda h: h.team or "—"),
                ("Headcount", lambda h: h.headcount),
            ),
        ),
        Section(
            "tools",
            "Tools in use",
            "Every tool the team uses today; later phases assess and decide on each.",
            Tool,
            ToolForm,
            (
                ("Tool", lambda t: t.name),
                ("Category", lambda t: t.get_category_display()),
                ("Monthly cost", lambda t: t.monthly_cost if t.monthly_cost is not None else "—"),
                ("Seats", lambda t: t.seats or "—"),
                ("Owner", lambda t: t.owner or "—"),
                ("Satisfaction", lambda t: f"{t.satisfaction}/5" if t.satisfaction else "—"),
                ("System of record", lambda t: _yes(t.is_system_of_record)),
            ),
        ),
        Section(
            "pain-points",
            "Pain points",
            "What hurts today, by the role that feels it.",
            PainPoint,
            PainPointForm,
            (
                ("Role", lambda p: p.get_role_display()),
                ("Pain point", lambda p: p.description),
                ("Severity", lambda p: p.get_severity_display()),
            ),
        ),
        Section(
            "metrics",
            "Success metrics",
            "What success looks like in measurable terms: a baseline today and a target.",
            SuccessMetric,
            SuccessMetricForm,
            (
                ("Metric", lambda m: m.name),
                ("Baseline", lambda m: _measure(m.baseline, m.unit)),
                ("Target", lambda m: _measure(m.target, m.unit)),
                ("Measured by", lambda m: m.measurement or "—"),
                ("Due", lambda m: m.due_date or "—"),
            ),
        ),
        Section(
            "milestones",
            "Timeline",
            "A milestone for every phase, with its date.",
            Milestone,
            MilestoneForm,
            (
                ("Phase", lambda m: m.get_phase_display()),
                ("Milestone", lambda m: m.title),
                ("Date", lambda m: m.due_date),
            ),
        ),
        Section(
            "meetings",
            "Communication rhythm",
            "The recurring meetings and updates that keep everyone aligned.",
            Meeting,
            MeetingForm,
            (
                ("Meeting", lambda m: m.name),
                ("Attendees", lambda m: m.attendee_role_labels),
                ("Cadence", lambda m: m.get_cadence_display()),
                ("Channel", lambda m: m.channel),
            ),
        ),
        Section(
            "roles-out-of-scope",
            "Roles out of scope",
            "A stakeholder role this project deliberately leaves out, and why.",
            RoleExclusion,
            RoleExclusionForm,
            (("Role", lambda r: r.get_role_display()), ("Why", lambda r: r.reason)),
        ),
    )
}


def _day(value) -> str:
    return date_format(value, "j M Y") if value else "—"


def _measure(value, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value.normalize():f} {unit}".strip()


def _section(slug: str) -> Section:
    if slug not in SECTIONS:
        raise Http404
    return SECTIONS[slug]


def _item(engagement: Engagement, section: Section, item_id) -> Model:
    return get_object_or_404(section.model.objects, engagement=engagement, public_id=item_id)


def _rows(section: Section, items) -> list[dict]:
    return [
        {"item": item, "cells": [getter(item) for _, getter in section.columns]} for item in items
    ]


def _section_context(
    engagement: Engagement, section: Section, add_form=None, editable=True
) -> dict:
    items = section.model.objects.filter(engagement=engagement)
    return {
        "section": section,
        "headers": [header for header, _ in section.columns],
        "rows": _rows(section, items),
        "add_form": add_form or section.form(prefix=section.slug),
        "editable": editable,
    }


def _raci_grid(engagement: Engagement) -> list[dict]:
    assigned = {
        (r.stakeholder_id, r.phase): r.responsibility
        for r in RaciAssignment.objects.filter(engagement=engagement)
    }
    return [
        {
            "stakeholder": stakeholder,
            "cells": [
                {
                    "phase": phase,
                    "field": f"raci-{stakeholder.public_id}-{phase.value}",
                    "value": assigned.get((stakeholder.pk, phase.value), ""),
                }
                for phase in WORKING_PHASES
            ],
        }
        for stakeholder in selectors.stakeholder_list(engagement=engagement)
    ]


def _page_context(engagement: Engagement, *, add_forms: dict | None = None, **overrides) -> dict:
    """The whole Phase 1 page; `add_forms` carries a rejected add form back to its section."""
    gate = selectors.gate_overview(engagement=engagement, phase=Phase.ONBOARDING)
    charter = Charter.objects.filter(engagement=engagement).first()
    add_forms = add_forms or {}
    context = {
        "engagement": engagement,
        "gate": gate,
        "sections": [
            _section_context(
                engagement, section, add_form=add_forms.get(section.slug), editable=gate["editable"]
            )
            for section in SECTIONS.values()
        ],
        "summary_form": CharterSummaryForm(instance=charter, prefix="summary"),
        "summary_readonly": _summary_readonly(charter),
        "raci": _raci_grid(engagement),
        "phases": WORKING_PHASES,
        "responsibilities": Responsibility.choices,
        "reopen_form": ReopenForm(),
        "charter_document": document_section("charter", engagement),
    }
    context.update(overrides)
    return context


def _summary_readonly(charter: Charter | None) -> list[tuple[str, str]]:
    form = CharterSummaryForm(instance=charter)
    values = {name: getattr(charter, name, "") for name in form.fields}
    if charter and charter.sales_motion:
        values["sales_motion"] = charter.get_sales_motion_display()
    return [(form.fields[name].label, values[name]) for name in form.fields]


@workspace_view
def onboarding(request: HttpRequest, public_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    return render(request, TEMPLATE, _page_context(engagement))


@workspace_view
@require_POST
def onboarding_summary(request: HttpRequest, public_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    form = CharterSummaryForm(request.POST, prefix="summary")
    if form.is_valid():
        with refusal_on(form):
            charter_services.charter_summary_update(
                engagement=engagement, actor=request.user, **form.cleaned_data
            )
            if not request.htmx:
                messages.success(request, "Charter saved.")
                return redirect("onboarding", engagement.public_id)
    context = _page_context(engagement, summary_form=form, saved=not form.errors)
    if request.htmx:
        return render(request, f"{TEMPLATE}#summary", context)
    return render(request, TEMPLATE, context, status=400)


@workspace_view
@require_POST
def onboarding_item_add(request: HttpRequest, public_id, section: str) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    spec = _section(section)
    form = spec.form(request.POST, prefix=spec.slug)
    if form.is_valid():
        with refusal_on(form):
            charter_services.charter_item_create(
                engagement=engagement, actor=request.user, section=spec.slug, data=form.cleaned_data
            )
            if not request.htmx:
                return redirect("onboarding", engagement.public_id)
            form = None
    return _render_section(request, engagement, spec, form)


def _render_section(request, engagement, spec: Section, form) -> HttpResponse:
    if request.htmx:
        # The gate panel depends on the charter: htmx refreshes it out of band.
        gate = selectors.gate_overview(engagement=engagement, phase=Phase.ONBOARDING)
        context = {
            **_section_context(engagement, spec, add_form=form, editable=gate["editable"]),
            "engagement": engagement,
            "gate": gate,
            "reopen_form": ReopenForm(),
            "oob": True,
        }
        return render(request, f"{TEMPLATE}#section-with-gate", context)
    status = 400 if form is not None and form.errors else 200
    context = _page_context(engagement, add_forms={spec.slug: form} if form else None)
    return render(request, TEMPLATE, context, status=status)


@workspace_view
@require_http_methods(["GET", "POST"])
def onboarding_item_edit(request: HttpRequest, public_id, section: str, item_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    spec = _section(section)
    item = _item(engagement, spec, item_id)
    form = spec.form(request.POST or None, instance=item, prefix=f"edit-{spec.slug}")
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            charter_services.charter_item_update(
                item=item, actor=request.user, section=spec.slug, data=form.cleaned_data
            )
            if not request.htmx:
                return redirect("onboarding", engagement.public_id)
            return _render_section(request, engagement, spec, None)
    context = {
        "engagement": engagement,
        "section": spec,
        "item": item,
        "form": form,
        "colspan": len(spec.columns) + 1,
    }
    if request.htmx:
        return render(request, f"{TEMPLATE}#item-edit-row", context)
    status = 400 if form.errors else 200
    return render(request, "engagements/charter_item_edit.html", context, status=status)


@workspace_view
@require_http_methods(["GET", "POST"])
def onboarding_item_delete(request: HttpRequest, public_id, section: str, item_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    spec = _section(section)
    item = _item(engagement, spec, item_id)
    if request.method == "GET":
        return render(
            request,
            "engagements/charter_item_confirm_delete.html",
            {"engagement": engagement, "section": spec, "item": item},
        )
    charter_services.charter_item_delete(item=item, actor=request.user)
    if request.htmx:
        return _render_section(request, engagement, spec, None)
    return redirect("onboarding", engagement.public_id)


@workspace_view
@require_POST
def onboarding_raci(request: HttpRequest, public_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    valid_codes = {code for code, _ in Responsibility.choices} | {""}
    assignments, invalid = {}, False
    for stakeholder in selectors.stakeholder_list(engagement=engagement):
        for phase in WORKING_PHASES:
            code = request.POST.get(f"raci-{stakeholder.public_id}-{phase.value}", "")
            invalid |= code not in valid_codes
            assignments[(stakeholder.pk, phase.value)] = code
    if invalid:
        messages.error(request, "Each RACI cell must be R, A, C, I or empty. Nothing was saved.")
    else:
        charter_services.raci_update(
            engagement=engagement, actor=request.user, assignments=assignments
        )
        messages.success(request, "RACI saved.")
    return redirect(f"{_onboarding_url(engagement)}#raci")


def _onboarding_url(engagement: Engagement) -> str:
    return reverse("onboarding", args=[engagement.public_id])


# --- gate actions, shared by every phase --------------------------------------------------------


def _phase(phase: str) -> registry.PhaseSpec:
    spec = registry.spec_for(phase) if phase in Phase.values else None
    if spec is None:
        raise Http404
    return spec


@workspace_view
@require_POST
def signoff_request(request: HttpRequest, public_id, phase: str) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    spec = _phase(phase)
    form = SignoffRequestForm(request.POST)
    if not form.is_valid():
        typed = request.POST.get("due_date", "")
        messages.error(request, f"“{typed}” is not a date: choose the day the decision is due.")
        return redirect(spec.workspace_url_name, engagement.public_id)
    signoff = signoffs.signoff_request_create(
        engagement=engagement,
        phase=phase,
        actor=request.user,
        due_date=form.cleaned_data["due_date"],
    )
    messages.success(
        request,
        f"Sign-off requested, due {signoff.due_date:%-d %b %Y}. The approvers have been emailed.",
    )
    return redirect(spec.workspace_url_name, engagement.public_id)


@workspace_view
@require_POST
def phase_reopen(request: HttpRequest, public_id, phase: str) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    spec = _phase(phase)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the phase is reopened.")
        return redirect(spec.workspace_url_name, engagement.public_id)
    signoffs.phase_reopen(
        engagement=engagement,
        phase=phase,
        actor=request.user,
        reason=form.cleaned_data["reason"],
    )
    messages.success(request, f"{Phase(phase).label} reopened.")
    return redirect(spec.workspace_url_name, engagement.public_id)


@workspace_view
@require_POST
def engagement_advance(request: HttpRequest, public_id) -> HttpResponse:
    engagement = engagement_or_404(public_id)
    engagement = signoffs.engagement_advance(engagement=engagement, actor=request.user)
    messages.success(
        request, f"The engagement moved on to {engagement.get_current_phase_display()}."
    )
    return redirect("engagement_detail", engagement.public_id)
