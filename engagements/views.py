"""Workspace pages: owners and consultants run engagements here."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from engagements import portfolio as portfolio_selectors
from engagements import selectors, services
from engagements.access import owner_view, workspace_view
from engagements.errors import ApplicationError
from engagements.forms import (
    ClientForm,
    EngagementFilterForm,
    EngagementForm,
    GateSettingsForm,
    InviteConsultantForm,
    NotificationSettingsForm,
    PortfolioFilterForm,
    StakeholderForm,
)
from engagements.models import Engagement, OutboundEmail, Role, Stakeholder
from engagements.pages import refusal_on
from engagements.portfolio_chart import phase_durations_svg, slowest_phase
from engagements.services import signoffs
from engagements.waiting import waiting_for_staff

PAGE_SIZE = 20


def _engagement(public_id) -> Engagement:
    return get_object_or_404(Engagement.objects.select_related("client"), public_id=public_id)


def _stakeholder(engagement: Engagement, public_id) -> Stakeholder:
    return get_object_or_404(
        Stakeholder.objects.select_related("engagement"), engagement=engagement, public_id=public_id
    )


def _page(request: HttpRequest, items):
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


@workspace_view
def dashboard(request: HttpRequest) -> HttpResponse:
    filters = EngagementFilterForm(request.GET or None)
    client = phase = None
    if filters.is_valid():
        client, phase = filters.cleaned_data["client"], filters.cleaned_data["phase"]
    engagements = selectors.engagement_list(client=client, phase=phase)
    page = _page(request, engagements)
    context = {"filters": filters, "page": page, "is_filtered": bool(client or phase)}
    if request.htmx:
        return render(request, "engagements/dashboard.html#engagement-results", context)
    context["portfolio"] = portfolio_selectors.portfolio_summary()
    return render(request, "engagements/dashboard.html", context)


@workspace_view
@require_http_methods(["GET", "POST"])
def client_list(request: HttpRequest) -> HttpResponse:
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            client = services.client_create(firm=request.membership.firm, **form.cleaned_data)
            messages.success(request, f"Client “{client.name}” added.")
            return redirect("client_list")
    page = _page(request, selectors.client_list())
    status = 400 if request.method == "POST" else 200
    return render(
        request, "engagements/client_list.html", {"form": form, "page": page}, status=status
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def engagement_create(request: HttpRequest) -> HttpResponse:
    form = EngagementForm(request.POST or None, initial={"lead_consultant": request.user})
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            engagement = services.engagement_create(
                actor=request.user,
                client=form.cleaned_data["client"],
                name=form.cleaned_data["name"],
                lead_consultant=form.cleaned_data["lead_consultant"],
                start_date=form.cleaned_data["start_date"],
                target_date=form.cleaned_data["target_date"],
            )
            messages.success(request, "Engagement created. Add its stakeholders next.")
            return redirect("engagement_detail", engagement.public_id)
    has_clients = selectors.client_list().exists()
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "engagements/engagement_form.html",
        {"form": form, "engagement": None, "has_clients": has_clients},
        status=status,
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def engagement_edit(request: HttpRequest, public_id) -> HttpResponse:
    engagement = _engagement(public_id)
    form = EngagementForm(request.POST or None, instance=engagement)
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            services.engagement_update(
                engagement=engagement, actor=request.user, **form.cleaned_data
            )
            messages.success(request, "Engagement saved.")
            return redirect("engagement_detail", engagement.public_id)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "engagements/engagement_form.html",
        {"form": form, "engagement": engagement, "has_clients": True},
        status=status,
    )


def _detail_context(engagement: Engagement, request: HttpRequest, **extra) -> dict:
    return {
        "engagement": engagement,
        "stakeholders": selectors.stakeholder_list(engagement=engagement),
        "activity": _page(request, selectors.activity_list(engagement=engagement)),
        "add_form": StakeholderForm(),
        **extra,
    }


@workspace_view
def engagement_detail(request: HttpRequest, public_id) -> HttpResponse:
    engagement = _engagement(public_id)
    waiting = waiting_for_staff(
        user=request.user, membership=request.membership, engagement=engagement
    )
    return render(
        request,
        "engagements/engagement_detail.html",
        _detail_context(engagement, request, waiting=waiting),
    )


@workspace_view
@require_POST
def stakeholder_add(request: HttpRequest, public_id) -> HttpResponse:
    engagement = _engagement(public_id)
    form = StakeholderForm(request.POST)
    if form.is_valid():
        with refusal_on(form):
            stakeholder = services.stakeholder_create(
                engagement=engagement, actor=request.user, **form.cleaned_data
            )
            if not request.htmx:
                messages.success(request, f"{stakeholder.name} added.")
                return redirect("engagement_detail", engagement.public_id)
            form = StakeholderForm()
    status = 200 if not form.errors else 400
    context = _detail_context(engagement, request, add_form=form)
    template = "engagements/engagement_detail.html"
    # htmx swaps only the stakeholders section; it needs a 200 to swap in the errors.
    if request.htmx:
        return render(request, f"{template}#stakeholders", context)
    return render(request, template, context, status=status)


@workspace_view
@require_http_methods(["GET", "POST"])
def stakeholder_edit(request: HttpRequest, public_id, stakeholder_id) -> HttpResponse:
    engagement = _engagement(public_id)
    stakeholder = _stakeholder(engagement, stakeholder_id)
    form = StakeholderForm(request.POST or None, instance=stakeholder)
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            services.stakeholder_update(
                stakeholder=stakeholder, actor=request.user, **form.cleaned_data
            )
            if request.htmx:
                return render(
                    request,
                    "engagements/engagement_detail.html#stakeholder-row",
                    {"engagement": engagement, "stakeholder": stakeholder},
                )
            messages.success(request, f"{stakeholder.name} saved.")
            return redirect("engagement_detail", engagement.public_id)
    context = {"engagement": engagement, "stakeholder": stakeholder, "form": form}
    if request.htmx:
        return render(request, "engagements/engagement_detail.html#stakeholder-edit-row", context)
    status = 400 if request.method == "POST" else 200
    return render(request, "engagements/stakeholder_edit.html", context, status=status)


@workspace_view
@require_http_methods(["GET", "POST"])
def stakeholder_delete(request: HttpRequest, public_id, stakeholder_id) -> HttpResponse:
    engagement = _engagement(public_id)
    stakeholder = _stakeholder(engagement, stakeholder_id)
    if request.method == "GET":
        return render(
            request,
            "engagements/stakeholder_confirm_delete.html",
            {"engagement": engagement, "stakeholder": stakeholder},
        )
    services.stakeholder_delete(stakeholder=stakeholder, actor=request.user)
    if request.htmx:
        return HttpResponse("")
    messages.success(request, f"{stakeholder.name} removed.")
    return redirect("engagement_detail", engagement.public_id)


@workspace_view
@require_POST
def stakeholder_invite(request: HttpRequest, public_id, stakeholder_id) -> HttpResponse:
    engagement = _engagement(public_id)
    stakeholder = _stakeholder(engagement, stakeholder_id)
    services.stakeholder_invite(stakeholder=stakeholder, actor=request.user)
    messages.success(request, f"Portal invitation sent to {stakeholder.email}.")
    return redirect("engagement_detail", engagement.public_id)


@workspace_view
@require_POST
def email_resend(request: HttpRequest, email_id) -> HttpResponse:
    """Send a failed email again (a delivery row's resend button), then back to its page."""
    email = get_object_or_404(OutboundEmail, public_id=email_id)
    try:
        services.email_resend(email=email, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Sending to {email.to} again.")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("dashboard")
    return redirect(back)


@owner_view
@require_http_methods(["GET", "POST"])
def team(request: HttpRequest) -> HttpResponse:
    form = InviteConsultantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            services.consultant_invite(inviter=request.membership, email=form.cleaned_data["email"])
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect("team")
    context = {
        "form": form,
        "members": selectors.team_list(),
        "pending": selectors.pending_invitation_list(role=Role.CONSULTANT),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "engagements/team.html", context, status=status)


@owner_view
@require_http_methods(["GET", "POST"])
def gate_settings(request: HttpRequest) -> HttpResponse:
    current = signoffs.gate_settings_get(firm=request.membership.firm)
    form = GateSettingsForm(request.POST if request.method == "POST" else None, instance=current)
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            signoffs.gate_settings_update(
                firm=request.membership.firm, actor=request.user, **form.cleaned_data
            )
            messages.success(request, "Sign-off reminders saved.")
            return redirect("gate_settings")
    status = 400 if request.method == "POST" else 200
    return render(request, "engagements/gate_settings.html", {"form": form}, status=status)


def notification_settings_page(request: HttpRequest, template: str, url_name: str) -> HttpResponse:
    """The signed-in person's own choice of a daily digest, for staff and client users alike."""
    form = NotificationSettingsForm(
        request.POST if request.method == "POST" else None,
        initial={"wants_daily_digest": request.user.wants_daily_digest},
    )
    if request.method == "POST" and form.is_valid():
        services.user_notifications_update(
            user=request.user, wants_daily_digest=form.cleaned_data["wants_daily_digest"]
        )
        messages.success(request, "Email preferences saved.")
        return redirect(url_name)
    return render(request, template, {"form": form})


@workspace_view
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    return notification_settings_page(
        request, "engagements/notification_settings.html", "notification_settings"
    )


# --- the portfolio -------------------------------------------------------------------------------

PORTFOLIO_PAGE_SIZE = 25


def _portfolio_filters(
    request: HttpRequest,
) -> tuple[PortfolioFilterForm, portfolio_selectors.PortfolioFilters]:
    """The filters asked for; a field with a bad value is reported on the form and ignored."""
    form = PortfolioFilterForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    return form, portfolio_selectors.PortfolioFilters(
        mine=request.user if data.get("mine") else None,
        stalled_days=data.get("stalled_days"),
        overdue=bool(data.get("overdue")),
        phase=data.get("phase") or None,
        client=data.get("client"),
        sort=data.get("sort") or "status",
    )


def _query_without_page(request: HttpRequest) -> str:
    query: QueryDict = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@workspace_view
@require_safe
def portfolio(request: HttpRequest) -> HttpResponse:
    form, filters = _portfolio_filters(request)
    engagements = portfolio_selectors.portfolio_list(filters=filters)
    page = Paginator(engagements, PORTFOLIO_PAGE_SIZE).get_page(request.GET.get("page"))
    # Readiness runs each phase's checks: only for the rows on this page.
    page.object_list = portfolio_selectors.portfolio_rows(page.object_list)
    context = {
        "filters": form,
        "page": page,
        "query": _query_without_page(request),
        "is_filtered": filters != portfolio_selectors.PortfolioFilters(sort=filters.sort),
        "stalled_after": portfolio_selectors.STALLED_AFTER_DAYS,
        "slow_after": portfolio_selectors.SLOW_AFTER_DAYS,
        "due_soon": portfolio_selectors.DUE_SOON_DAYS,
    }
    if request.htmx:
        return render(request, "engagements/portfolio.html#portfolio-results", context)
    phases = portfolio_selectors.phase_durations()
    context.update(
        chart=phase_durations_svg(phases),
        phases=phases,
        slowest=slowest_phase(phases),
    )
    return render(request, "engagements/portfolio.html", context)


@workspace_view
@require_safe
def portfolio_export(request: HttpRequest) -> HttpResponse:
    """The filtered list as CSV, every row (readiness runs for each: an export, not a page)."""
    _, filters = _portfolio_filters(request)
    engagements = portfolio_selectors.portfolio_list(filters=filters)
    rows = portfolio_selectors.portfolio_rows(engagements)
    response = HttpResponse(
        portfolio_selectors.portfolio_csv(rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="portfolio-{timezone.localdate():%Y-%m-%d}.csv"'
    )
    return response
