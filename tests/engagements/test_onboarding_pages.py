"""Phase 1 — Onboarding & Alignment, as the consultant and the client see it in their pages."""

import re
from html import unescape
from html.parser import HTMLParser

from django.urls import reverse

from engagements import registry
from engagements.models import (
    Charter,
    Engagement,
    PhaseState,
    PhaseStatus,
    RaciAssignment,
    RequestStatus,
    Role,
    SignoffDecision,
    SignoffRequest,
    Tool,
)
from engagements.phases import WORKING_PHASES, Phase
from tests.builders import ready_charter
from tests.conftest import World, signed_in
from tests.factories import MembershipFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def _text(response) -> str:
    return unescape(response.content.decode())


def _onboarding(world: World) -> str:
    return reverse("onboarding", args=[world.engagement.public_id])


def _portal_onboarding(world: World) -> str:
    return reverse("portal_onboarding", args=[world.engagement.public_id])


def _add(world: World, section: str = "tools") -> str:
    return reverse("onboarding_item_add", args=[world.engagement.public_id, section])


def _edit(world: World, item) -> str:
    return reverse(
        "onboarding_item_edit", args=[world.engagement.public_id, "tools", item.public_id]
    )


def _delete(world: World, item) -> str:
    return reverse(
        "onboarding_item_delete", args=[world.engagement.public_id, "tools", item.public_id]
    )


def _decide(world: World) -> str:
    return reverse("portal_signoff_decide", args=[world.engagement.public_id, "onboarding"])


def _request_signoff(http, world: World):
    return http.post(reverse("signoff_request", args=[world.engagement.public_id, "onboarding"]))


def _tool(world: World, name: str = "HubSpot", **fields) -> Tool:
    return Tool.unscoped.create(
        firm=world.firm_a, engagement=world.engagement, name=name, category="crm", **fields
    )


def _tools(world: World) -> list[str]:
    return list(Tool.unscoped.filter(engagement=world.engagement).values_list("name", flat=True))


def _open_request(world: World) -> SignoffRequest:
    return SignoffRequest.unscoped.get(engagement=world.engagement, status=RequestStatus.OPEN)


def _onboarding_state(world: World) -> PhaseState:
    return PhaseState.unscoped.get(engagement=world.engagement, phase=Phase.ONBOARDING)


def _request_button(body: str) -> str:
    match = re.search(r"<button[^>]*>\s*Request sign-off\s*</button>", body)
    assert match, "no Request sign-off button"
    return match.group(0)


class _Forms(HTMLParser):
    """A page's forms by aria-label: each field's name and the value the page gives it."""

    def __init__(self, body: str) -> None:
        super().__init__()
        self.forms: dict[str, dict[str, str]] = {}
        self._form: dict[str, str] | None = None
        self._textarea: str | None = None
        self.feed(body)

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if tag == "form":
            self._form = self.forms.setdefault(attrs.get("aria-label") or "", {})
        elif self._form is not None and tag in ("input", "textarea") and attrs.get("name"):
            self._form[attrs["name"]] = attrs.get("value") or ""
            self._textarea = attrs["name"] if tag == "textarea" else None

    def handle_data(self, data) -> None:
        if self._form is not None and self._textarea:
            self._form[self._textarea] += data

    def handle_endtag(self, tag) -> None:
        if tag == "form":
            self._form = None
        if tag == "textarea":
            self._textarea = None


def _portal_form(http, world: World, label: str, **typed) -> dict[str, str]:
    """The approver's Approve or Reject form as the portal page renders it, with `typed` filled
    into the fields of those names (whatever prefix the form gives them)."""
    fields = _Forms(_text(http.get(_portal_onboarding(world)))).forms[label]
    for name in fields:
        for field, value in typed.items():
            if name == field or name.endswith(f"-{field}"):
                fields[name] = value
    return fields


def _sign_off(world: World, as_consultant, as_approver) -> None:
    ready_charter(world)
    _request_signoff(as_consultant, world)
    approve = _portal_form(as_approver, world, "Approve", typed_name="Vera Vice")
    assert as_approver.post(_decide(world), approve).status_code == 302
    assert _onboarding_state(world).status == PhaseStatus.SIGNED_OFF


# --- readiness ---------------------------------------------------------------------------------


def test_the_onboarding_page_lists_each_failing_readiness_check_in_plain_words(
    as_consultant, world
):
    body = _text(as_consultant.get(_onboarding(world)))

    assert "Add at least one success metric with both a baseline and a target." in body
    assert "missing leadership, manager, ops." in body
    assert "Give the timeline a milestone for every phase: missing Onboarding & Alignment," in body
    assert "Add at least one communication rhythm (a recurring meeting or update)." in body
    assert "An approver is named." in body  # Vera Vice is one: that check passes
    assert "Finish the items marked ✗ first." in body


def test_request_sign_off_is_disabled_until_the_charter_is_ready(as_consultant, world):
    assert "disabled" in _request_button(_text(as_consultant.get(_onboarding(world))))

    ready_charter(world)
    body = _text(as_consultant.get(_onboarding(world)))

    assert "disabled" not in _request_button(body)
    assert "Finish the items marked ✗ first." not in body


def test_requesting_sign_off_of_an_unready_charter_says_what_is_missing(as_consultant, world):
    response = as_consultant.post(
        reverse("signoff_request", args=[world.engagement.public_id, "onboarding"]), follow=True
    )

    assert "Not ready for sign-off:" in _text(response)
    assert not SignoffRequest.unscoped.filter(engagement=world.engagement).exists()


# --- the tools section, inline -----------------------------------------------------------------


def test_adding_a_tool_with_htmx_returns_the_section_with_the_row_and_a_fresh_gate_panel(
    as_consultant, world
):
    data = {"tools-name": "HubSpot", "tools-category": "crm", "tools-monthly_cost": "450"}

    response = as_consultant.post(_add(world), data, **HTMX)

    body = _text(response)
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="section-tools"')
    assert "<td>HubSpot</td>" in body and "<td>450.00</td>" in body
    assert re.search(r'<section id="gate-panel"[^>]*hx-swap-oob="true"', body)
    assert "<nav" not in body
    assert _tools(world) == ["HubSpot"]


def test_adding_a_tool_without_htmx_redirects_to_the_page_that_lists_it(as_consultant, world):
    response = as_consultant.post(
        _add(world), {"tools-name": "HubSpot", "tools-category": "crm"}, follow=True
    )

    assert response.redirect_chain[-1][0] == _onboarding(world)
    assert "<td>HubSpot</td>" in _text(response)


def test_a_duplicate_tool_name_in_another_case_is_refused_in_place_with_the_input_kept(
    as_consultant, world
):
    _tool(world)

    response = as_consultant.post(
        _add(world), {"tools-name": "hubspot", "tools-category": "crm"}, **HTMX
    )

    body = _text(response)
    assert "“hubspot” is already in the tools inventory." in body
    assert 'value="hubspot"' in body
    assert "<details open>" in body
    assert _tools(world) == ["HubSpot"]


BAD_NUMBERS = {
    "tools-name": "Gong",
    "tools-category": "engagement",
    "tools-satisfaction": "9",
    "tools-monthly_cost": "-5",
}


def test_a_satisfaction_of_9_and_a_negative_cost_show_field_errors_and_keep_the_input(
    as_consultant, world
):
    response = as_consultant.post(_add(world), BAD_NUMBERS, **HTMX)

    body = _text(response)
    assert "Ensure this value is less than or equal to 5." in body
    assert "Ensure this value is greater than or equal to 0." in body
    assert 'value="9"' in body and 'value="-5"' in body
    assert _tools(world) == []


def test_a_bad_add_without_htmx_is_a_400_page_with_the_errors(as_consultant, world):
    response = as_consultant.post(_add(world), BAD_NUMBERS)

    assert response.status_code == 400
    body = _text(response)
    assert "<nav" in body  # the whole page
    assert "Ensure this value is less than or equal to 5." in body
    assert _tools(world) == []


def test_a_bad_add_without_htmx_is_a_400_page_with_the_field_errors_and_the_input(
    as_consultant, world
):
    response = as_consultant.post(
        _add(world), {"tools-name": "", "tools-category": "crm", "tools-owner": "Dana Ops"}
    )

    assert response.status_code == 400
    body = _text(response)
    assert "<h1>Phase 1 · Onboarding & Alignment</h1>" in body
    assert 'id="id_tools-name_error"' in body and "This field is required." in body
    assert 'value="Dana Ops"' in body
    assert _tools(world) == []


def test_an_htmx_edit_shows_the_row_as_a_form_with_the_current_values(as_consultant, world):
    tool = _tool(world, owner="Dana Ops")

    response = as_consultant.get(_edit(world, tool), **HTMX)

    body = _text(response)
    assert body.lstrip().startswith(f'<tr id="item-{tool.public_id}">')
    assert 'name="edit-tools-name"' in body and 'value="HubSpot"' in body
    assert 'value="Dana Ops"' in body


def test_saving_an_inline_edit_shows_the_section_with_the_new_values(as_consultant, world):
    tool = _tool(world)

    response = as_consultant.post(
        _edit(world, tool),
        {
            "edit-tools-name": "HubSpot Sales Hub",
            "edit-tools-category": "crm",
            "edit-tools-seats": "40",
        },
        **HTMX,
    )

    body = _text(response)
    assert body.lstrip().startswith('<section id="section-tools"')
    assert "<td>HubSpot Sales Hub</td>" in body and "<td>40</td>" in body
    tool.refresh_from_db()
    assert (tool.name, tool.seats) == ("HubSpot Sales Hub", 40)


def test_an_invalid_inline_edit_keeps_what_was_typed(as_consultant, world):
    tool = _tool(world)
    _tool(world, "Gong")

    response = as_consultant.post(
        _edit(world, tool),
        {"edit-tools-name": "GONG", "edit-tools-category": "crm", "edit-tools-owner": "Sam Sales"},
        **HTMX,
    )

    body = _text(response)
    assert body.lstrip().startswith(f'<tr id="item-{tool.public_id}">')
    assert "“GONG” is already in the tools inventory." in body
    assert 'value="GONG"' in body and 'value="Sam Sales"' in body
    tool.refresh_from_db()
    assert tool.name == "HubSpot"


def test_an_invalid_edit_without_htmx_is_a_400_page_that_keeps_the_input(as_consultant, world):
    tool = _tool(world)

    response = as_consultant.post(
        _edit(world, tool), {"edit-tools-name": "HubSpot", "edit-tools-category": "fax"}
    )

    assert response.status_code == 400
    body = _text(response)
    assert "Select a valid choice. fax is not one of the available choices." in body
    assert 'value="HubSpot"' in body


def test_removing_a_tool_asks_first_and_then_removes_it(as_consultant, world):
    tool = _tool(world)

    confirm = as_consultant.get(_delete(world, tool))

    assert confirm.status_code == 200
    assert "Remove “HubSpot”?" in _text(confirm)
    assert _tools(world) == ["HubSpot"]

    response = as_consultant.post(_delete(world, tool))

    assert response.status_code == 302
    assert response["Location"] == _onboarding(world)
    assert _tools(world) == []


def test_removing_a_tool_with_htmx_returns_the_section_without_its_row(as_consultant, world):
    tool = _tool(world)
    _tool(world, "Gong")

    response = as_consultant.post(_delete(world, tool), **HTMX)

    body = _text(response)
    assert body.lstrip().startswith('<section id="section-tools"')
    assert f'id="item-{tool.public_id}"' not in body
    assert "<td>Gong</td>" in body and "<td>HubSpot</td>" not in body
    assert _tools(world) == ["Gong"]


# --- the charter summary and the RACI ----------------------------------------------------------


def test_saving_the_charter_summary_persists_it_and_says_saved(as_consultant, world):
    data = {
        "summary-project_purpose": "Redesign how the team sells",
        "summary-sales_motion": "outbound",
    }

    response = as_consultant.post(
        reverse("onboarding_summary", args=[world.engagement.public_id]), data, **HTMX
    )

    body = _text(response)
    assert body.lstrip().startswith('<section id="summary"')
    assert "Saved." in body
    assert "Redesign how the team sells" in body
    charter = Charter.unscoped.get(engagement=world.engagement)
    assert (charter.project_purpose, charter.sales_motion) == (
        "Redesign how the team sells",
        "outbound",
    )


def test_an_htmx_save_of_the_summary_leaves_no_stale_message_for_the_next_page(
    as_consultant, world
):
    as_consultant.post(
        reverse("onboarding_summary", args=[world.engagement.public_id]),
        {"summary-goals": "Shorter cycles"},
        **HTMX,
    )

    assert "Charter saved." not in _text(as_consultant.get(_onboarding(world)))


def test_saving_the_summary_without_htmx_redirects_with_a_message(as_consultant, world):
    response = as_consultant.post(
        reverse("onboarding_summary", args=[world.engagement.public_id]),
        {"summary-goals": "Shorter cycles"},
        follow=True,
    )

    assert "Charter saved." in _text(response)
    assert Charter.unscoped.get(engagement=world.engagement).goals == "Shorter cycles"


def test_an_invalid_sales_motion_shows_an_error_and_saves_nothing(as_consultant, world):
    response = as_consultant.post(
        reverse("onboarding_summary", args=[world.engagement.public_id]),
        {"summary-goals": "Shorter cycles", "summary-sales_motion": "door_to_door"},
    )

    assert response.status_code == 400
    body = _text(response)
    assert "Select a valid choice. door_to_door is not one of the available choices." in body
    assert "Shorter cycles" in body
    assert not Charter.unscoped.filter(engagement=world.engagement).exists()


def _raci(world: World, code: str, follow: bool = True):
    field = f"raci-{world.rep_stakeholder.public_id}-onboarding"
    return signed_in(world.consultant).post(
        reverse("onboarding_raci", args=[world.engagement.public_id]), {field: code}, follow=follow
    )


def test_a_raci_cell_is_saved_and_shown_selected(world):
    response = _raci(world, "A")

    body = _text(response)
    assert "RACI saved." in body
    assert re.search(
        rf'name="raci-{world.rep_stakeholder.public_id}-onboarding"[^>]*>'
        r'(?:(?!</select>).)*<option value="A" selected>',
        body,
        re.S,
    )
    assert list(
        RaciAssignment.unscoped.filter(engagement=world.engagement).values_list(
            "stakeholder", "phase", "responsibility"
        )
    ) == [(world.rep_stakeholder.pk, "onboarding", "A")]


def test_an_invalid_raci_code_saves_nothing_and_says_so_after_the_redirect(world):
    _raci(world, "A")

    response = _raci(world, "Z")

    assert response.redirect_chain[-1][0] == _onboarding(world) + "#raci"
    assert "Each RACI cell must be R, A, C, I or empty. Nothing was saved." in _text(response)
    assert list(
        RaciAssignment.unscoped.filter(engagement=world.engagement).values_list(
            "responsibility", flat=True
        )
    ) == ["A"]


# --- sign-off, through the pages ---------------------------------------------------------------


def test_a_consultant_requests_sign_off_of_a_ready_charter(as_consultant, world):
    ready_charter(world)

    response = as_consultant.post(
        reverse("signoff_request", args=[world.engagement.public_id, "onboarding"]), follow=True
    )

    body = _text(response)
    assert response.redirect_chain[-1][0] == _onboarding(world)
    assert "Sign-off requested, due " in body
    assert "… waiting for: Vera Vice" in re.sub(r"<[^>]+>", "", body)
    assert _onboarding_state(world).status == PhaseStatus.AWAITING_SIGNOFF


def test_the_approver_sees_the_approve_form_with_the_digest_they_review(
    as_consultant, as_approver, world
):
    ready_charter(world)
    _request_signoff(as_consultant, world)

    body = _text(as_approver.get(_portal_onboarding(world)))

    assert 'aria-label="Approve"' in body
    digest = _open_request(world).digest
    assert re.search(rf'<input type="hidden" name="[\w-]*reviewed_digest" value="{digest}"', body)
    assert "Type your full name to approve" in body
    assert "The full charter" in body and "Weekly steering" in body


def test_approving_with_a_wrong_name_is_refused_and_keeps_the_comment(
    as_consultant, as_approver, world
):
    ready_charter(world)
    _request_signoff(as_consultant, world)
    data = _portal_form(
        as_approver, world, "Approve", typed_name="Vera Vance", comment="Looks right to me"
    )

    response = as_approver.post(_decide(world), data)

    assert response.status_code == 400
    body = _text(response)
    assert "To approve, type your full name exactly as “Vera Vice”." in body
    assert "Looks right to me</textarea>" in body
    assert not SignoffDecision.unscoped.exists()
    assert _onboarding_state(world).status == PhaseStatus.AWAITING_SIGNOFF


def test_approving_with_the_right_name_signs_off_and_the_engagement_moves_on(
    as_consultant, as_approver, world
):
    ready_charter(world)
    _request_signoff(as_consultant, world)
    data = _portal_form(
        as_approver, world, "Approve", typed_name="  vera  VICE ", comment="Looks right to me"
    )

    approved = as_approver.post(_decide(world), data, follow=True)

    assert approved.redirect_chain[-1][0] == _portal_onboarding(world)
    assert "You approved Onboarding & Alignment. Thank you." in _text(approved)
    assert "Signed off by:" in _text(approved)
    workspace = _text(as_consultant.get(_onboarding(world)))
    assert '<span class="badge">Signed off</span>' in workspace
    assert "Move the engagement on to the next phase" in workspace

    moved = as_consultant.post(
        reverse("engagement_advance", args=[world.engagement.public_id]), follow=True
    )

    assert moved.redirect_chain[-1][0] == reverse(
        "engagement_detail", args=[world.engagement.public_id]
    )
    assert "The engagement moved on to Diagnostic Workshops." in _text(moved)
    assert Engagement.unscoped.get(pk=world.engagement.pk).current_phase == Phase.DIAGNOSTIC


def test_the_engagement_does_not_move_on_before_sign_off(as_consultant, world):
    response = as_consultant.post(
        reverse("engagement_advance", args=[world.engagement.public_id]), follow=True
    )

    assert "Onboarding & Alignment must be signed off by the client" in _text(response)
    assert Engagement.unscoped.get(pk=world.engagement.pk).current_phase == Phase.ONBOARDING


def test_rejecting_without_a_reason_is_refused(as_consultant, as_approver, world):
    ready_charter(world)
    _request_signoff(as_consultant, world)
    data = _portal_form(as_approver, world, "Reject", comment="  ")

    response = as_approver.post(_decide(world), data)

    assert response.status_code == 400
    body = _text(response)
    assert re.search(r'id="id_[\w-]*comment_error" role="alert">.*This field is required\.', body)
    assert "<details open>" in body  # the reject form stays open
    assert _open_request(world).status == RequestStatus.OPEN


def test_a_rejection_shows_its_reason_on_the_consultants_page(as_consultant, as_approver, world):
    ready_charter(world)
    _request_signoff(as_consultant, world)
    data = _portal_form(
        as_approver, world, "Reject", comment="The launch date clashes with our holiday freeze."
    )

    rejected = as_approver.post(_decide(world), data, follow=True)

    assert "You rejected Onboarding & Alignment. Thank you." in _text(rejected)
    body = _text(as_consultant.get(_onboarding(world)))
    assert "Rejected" in body
    assert "The launch date clashes with our holiday freeze." in body
    assert "disabled" not in _request_button(body)  # the consultant can ask again


def test_a_charter_changed_after_the_request_shows_the_approver_what_changed(
    as_consultant, as_approver, world
):
    ready_charter(world)
    _request_signoff(as_consultant, world)

    as_consultant.post(_add(world), {"tools-name": "Gong", "tools-category": "engagement"})

    body = _text(as_approver.get(_portal_onboarding(world)))
    assert "This phase changed after sign-off was requested." in body
    assert "Added: Gong" in body
    workspace = _text(as_consultant.get(_onboarding(world)))
    assert "The charter changed after sign-off was requested." in workspace


def test_an_approval_of_what_the_approver_saw_before_a_change_is_refused(
    as_consultant, as_approver, world
):
    ready_charter(world)
    _request_signoff(as_consultant, world)
    seen = _portal_form(as_approver, world, "Approve", typed_name="Vera Vice")
    as_consultant.post(_add(world), {"tools-name": "Gong", "tools-category": "engagement"})

    response = as_approver.post(_decide(world), seen)

    assert response.status_code == 400
    assert "The phase changed while you were reviewing it." in _text(response)
    assert _onboarding_state(world).status == PhaseStatus.AWAITING_SIGNOFF


# --- signed off: read-only ---------------------------------------------------------------------


def test_a_signed_off_charter_has_no_add_forms(as_consultant, as_approver, world):
    _sign_off(world, as_consultant, as_approver)

    body = _text(as_consultant.get(_onboarding(world)))

    assert "Signed off — read-only." in body
    assert 'aria-label="Add to' not in body
    assert "Save charter" not in body and "Save RACI" not in body
    assert "Reopen this phase" in body


def test_adding_to_a_signed_off_charter_is_refused_and_creates_nothing(
    as_consultant, as_approver, world
):
    _sign_off(world, as_consultant, as_approver)

    response = as_consultant.post(
        _add(world), {"tools-name": "Gong", "tools-category": "engagement"}
    )

    assert response.status_code == 400
    assert "Onboarding & Alignment is signed off and read-only." in _text(response)
    assert _tools(world) == []


def test_the_page_that_refuses_an_add_to_a_signed_off_charter_stays_read_only(
    as_consultant, as_approver, world
):
    _sign_off(world, as_consultant, as_approver)
    _tool(world)

    response = as_consultant.post(
        _add(world), {"tools-name": "Gong", "tools-category": "engagement"}
    )

    body = _text(response)
    assert "Signed off — read-only." in body
    assert 'aria-label="Add to meetings"' not in body  # another section than the one refused
    assert ">Remove<" not in body


def test_reopening_a_signed_off_charter_needs_a_reason_and_makes_it_editable(
    as_consultant, as_approver, world
):
    _sign_off(world, as_consultant, as_approver)
    url = reverse("phase_reopen", args=[world.engagement.public_id, "onboarding"])

    refused = as_consultant.post(url, {"reason": ""}, follow=True)

    assert "Say why the phase is reopened." in _text(refused)
    assert _onboarding_state(world).status == PhaseStatus.SIGNED_OFF

    reopened = as_consultant.post(url, {"reason": "The client added a team."}, follow=True)

    assert "Onboarding & Alignment reopened." in _text(reopened)
    assert 'aria-label="Add to tools in use"' in _text(reopened)
    assert _onboarding_state(world).status == PhaseStatus.IN_PROGRESS


# --- the engagement page and the portal --------------------------------------------------------


def test_phases_not_built_yet_show_as_not_available_and_onboarding_links_to_its_page(
    as_consultant, world, monkeypatch
):
    # Every phase is registered now: the last one, taken out of the registry, stands for a phase
    # whose app is not built.
    unregistered = WORKING_PHASES[-1]
    monkeypatch.delitem(registry._specs, unregistered)

    body = _text(as_consultant.get(reverse("engagement_detail", args=[world.engagement.public_id])))

    assert body.count("(not available yet)") == 1
    assert f'<a href="{_onboarding(world)}">Onboarding & Alignment</a>' in body
    assert f"{unregistered.label}</a>" not in body


def test_with_every_phase_built_none_shows_as_not_available(as_consultant, world):
    body = _text(as_consultant.get(reverse("engagement_detail", args=[world.engagement.public_id])))

    assert all(registry.is_available(phase) for phase in WORKING_PHASES)
    assert "(not available yet)" not in body


def test_a_stakeholder_who_is_not_an_approver_sees_their_role_and_the_timeline_but_cannot_approve(
    as_consultant, world
):
    ray = MembershipFactory(
        firm=world.firm_a, role=Role.CLIENT, client=world.client_x, user__email="ray@xylo.example"
    ).user
    stakeholder = world.rep_stakeholder
    stakeholder.user, stakeholder.email, stakeholder.has_portal_access = ray, ray.email, True
    stakeholder.save()
    ready_charter(world)
    _raci(world, "R")
    _request_signoff(as_consultant, world)

    response = signed_in(ray).get(_portal_onboarding(world))

    assert response.status_code == 200
    body = _text(response)
    assert "You take part as <strong>rep</strong>" in body
    assert "Onboarding & Alignment: <strong>Responsible</strong>" in body
    assert "Weekly steering — weekly, Zoom" in body  # a meeting for reps
    assert "Onboarding & Alignment: Onboarding & Alignment done" in body  # the timeline
    assert "Your approvers are reviewing this phase." in body
    assert 'aria-label="Approve"' not in body and 'aria-label="Reject"' not in body
    assert "The full charter" not in body


def test_a_stakeholder_who_is_not_an_approver_cannot_decide_by_posting(as_consultant, world):
    ray = MembershipFactory(
        firm=world.firm_a, role=Role.CLIENT, client=world.client_x, user__email="ray@xylo.example"
    ).user
    stakeholder = world.rep_stakeholder
    stakeholder.user, stakeholder.email, stakeholder.has_portal_access = ray, ray.email, True
    stakeholder.save()
    ready_charter(world)
    _request_signoff(as_consultant, world)
    data = {"decision": "reject", "comment": "No.", "reviewed_digest": _open_request(world).digest}

    response = signed_in(ray).post(_decide(world), data, follow=True)

    assert "There is no open sign-off request for you to decide on." in _text(response)
    assert _open_request(world).status == RequestStatus.OPEN
    assert not SignoffDecision.unscoped.exists()
