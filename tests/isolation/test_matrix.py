"""The tenant isolation matrix: every workspace and portal URL, for every persona, both methods.

The matrix is data (`MATRIX`); one parametrized test runs it. A URL added to the
`workspace_patterns` or `portal_patterns` of `engagements.urls`, `diagnostics.urls`,
`architecture.urls` or `sprints.urls` without a row for every persona fails
`test_every_workspace_and_portal_url_is_in_the_matrix`.

Personas of firm A allowed in post empty data (the view must answer with its form, not a 404).
Personas refused, and another firm's personas even where allowed, post a *valid* payload, so a
broken guard would show up as a changed row; after any request but firm A staff's own, firm A's
data must be exactly as before. Before each case, `arrange` puts firm A's engagement in the state
where that URL's action would take effect (a tool to edit, a ready charter to request sign-off
of, a signed-off phase to advance or reopen, an open request to decide on; for Phase 2, the
engagement in the diagnostic phase with a workshop, a finding, a data source, a recommendation
and a rendered report version shared with the approver; for Phase 3, the engagement in the
architecture phase with a tool decision, a capability, a stage, an integration, a dashboard, a
scored evaluation the approver is invited to score, and a rendered blueprint version shared with
the approver; for Phase 4, the engagement in the build phase with a sprint and its deliverable, a
scenario with a step for the approver's role, a run of it with stored evidence, an open UAT round
the approver takes part in, and the approver's feedback awaiting triage; for Phase 5, the
engagement in the launch phase with a launch plan, a runbook step, a sent communication, a
monitoring check, a rollback step, a wave with the approver as member, an incident a consultant
reported, and a rendered launch plan version).
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.http import HttpResponse
from django.urls import URLPattern, resolve, reverse
from django.utils import timezone

from architecture import urls as architecture_urls
from architecture.models import (
    DEFAULT_CRITERIA,
    BlueprintVersion,
    Capability,
    CapabilityFinding,
    Criterion,
    Evaluation,
    EvaluationEvaluator,
    Integration,
    ReportingItem,
    Score,
    Stage,
    ToolDecision,
    ToolDecisionFinding,
    Vendor,
)
from diagnostics import urls as diagnostics_urls
from diagnostics.models import (
    AgendaItem,
    DataSource,
    Finding,
    FindingTool,
    PreworkAnswer,
    PromptTemplate,
    Recommendation,
    RecommendationFinding,
    ReportDraft,
    ReportVersion,
    ToolAssessment,
    ToolOverlap,
    Workshop,
    WorkshopAttendee,
    WorkshopPrompt,
)
from enablement import urls as enablement_urls
from enablement.models import (
    AccessTransfer,
    AdoptionAlert,
    AdoptionSettings,
    AdoptionThreshold,
    ApiKey,
    DirtyWeek,
    DocumentTransfer,
    EnablementSettings,
    HandoffPackVersion,
    KeyFeature,
    OpenItem,
    QuizAttempt,
    QuizChoice,
    QuizQuestion,
    RequiredField,
    SupportPlan,
    TrainingAssignment,
    TrainingAttachment,
    TrainingModule,
    UsageEvent,
    UsageUpload,
    WeeklyMetric,
)
from enablement.services.usage import week_of
from engagements import registry
from engagements import urls as engagement_urls
from engagements.models import (
    ActivityEvent,
    Charter,
    CharterVersion,
    Client,
    EmailStatus,
    Engagement,
    GateSettings,
    HeadcountLine,
    Invitation,
    Job,
    JobStatus,
    Meeting,
    Membership,
    Milestone,
    OutboundEmail,
    PainPoint,
    PhaseState,
    PhaseStatus,
    RaciAssignment,
    Role,
    RoleExclusion,
    SignoffDecision,
    SignoffRequest,
    Stakeholder,
    StakeholderRole,
    SuccessMetric,
    TenantModel,
    Tool,
    User,
)
from engagements.phases import WORKING_PHASES, Phase
from engagements.services import signoffs
from engagements.tenancy import tenant_scope
from launch import urls as launch_urls
from launch.models import (
    Communication,
    DataMigration,
    DatasetFile,
    DuplicatePair,
    Escalation,
    EscalationPolicy,
    Incident,
    LaunchPlan,
    LaunchPlanVersion,
    MigrationDataset,
    MigrationField,
    MigrationMapping,
    MigrationObject,
    MigrationRun,
    MonitoringCheck,
    PilotFeedback,
    RejectedRow,
    RollbackStep,
    RunbookStep,
    SourceUpload,
    Wave,
    WaveDecision,
    WaveMember,
)
from sprints import urls as sprints_urls
from sprints.models import (
    CheckIn,
    Deliverable,
    Feedback,
    RunOutcome,
    Scenario,
    ScenarioStep,
    Sprint,
    StepResult,
    TestRun,
    UatParticipant,
    UatRound,
    UatScenario,
)
from tests.builders import ready_charter
from tests.conftest import World, signed_in
from tests.factories import EngagementFactory, MembershipFactory, StakeholderFactory

LOGIN_PREFIX = "/accounts/login/"

# Every document kind (slug → label), and the URLs they share: `arrange` stores each kind's v1
# in its phase's arrangement, sent to the approver (or, for a retry, failed to render).
DOCUMENT_KINDS = {
    "charter": "Alignment charter",
    "report": "Diagnostic report",
    "blueprint": "Architecture blueprint",
    "launch-plan": "Launch plan",
    "handoff-pack": "Handoff pack",
}
DOCUMENT_URLS = frozenset(
    {
        "document_render", "document_progress", "document_retry", "document_download",
        "document_send", "portal_document_download",
    }
)  # fmt: skip
DOCUMENT_PDFS = {
    "charter": b"%PDF-1.4 charter",
    "report": b"%PDF-1.4 test",
    "blueprint": b"%PDF-1.4 blueprint",
    "launch-plan": b"%PDF-1.4 launch plan",
    "handoff-pack": b"%PDF-1.4 handoff pack",
}

FIRM_A_DATA = ("Xylo sales system", "Xylo Corp", "Yonder")
FIRM_A_STAFF_EMAILS = ("alice@alpha.example", "bob@alpha.example")

PERSONAS = ("owner", "consultant", "approver", "other_client_user", "consultant_b", "anonymous")
FIRM_A_STAFF = ("owner", "consultant")
FIRM_A_USERS = (*FIRM_A_STAFF, "approver", "other_client_user")

# The URL patterns the matrix must cover, of every app that adds workspace or portal pages.
WORKSPACE_AND_PORTAL_PATTERNS: tuple[URLPattern, ...] = (
    *engagement_urls.workspace_patterns,
    *engagement_urls.portal_patterns,
    *diagnostics_urls.workspace_patterns,
    *diagnostics_urls.portal_patterns,
    *architecture_urls.workspace_patterns,
    *architecture_urls.portal_patterns,
    *sprints_urls.workspace_patterns,
    *sprints_urls.portal_patterns,
    *launch_urls.workspace_patterns,
    *launch_urls.portal_patterns,
    *enablement_urls.workspace_patterns,
    *enablement_urls.portal_patterns,
)
DIAGNOSTIC_URLS = frozenset(
    pattern.name
    for pattern in (*diagnostics_urls.workspace_patterns, *diagnostics_urls.portal_patterns)
)
ARCHITECTURE_URLS = frozenset(
    pattern.name
    for pattern in (*architecture_urls.workspace_patterns, *architecture_urls.portal_patterns)
)
SPRINTS_URLS = frozenset(
    pattern.name for pattern in (*sprints_urls.workspace_patterns, *sprints_urls.portal_patterns)
)
LAUNCH_URLS = frozenset(
    pattern.name for pattern in (*launch_urls.workspace_patterns, *launch_urls.portal_patterns)
)

# What `arrange` stores for Phase 2, so pages can be checked for it.
FIRM_A_PROMPT = "Alpha house question: which spreadsheet rules your quota?"
FIRM_B_DEFAULT_PROMPT = "Walk us through your last deal"
WORKSHOP_TITLE = "Rep deep dive"
WORKSHOP_PROMPT = "Which steps do you do twice, or outside the CRM?"
FINDING_TITLE = "Deals stall at legal review"
DATA_SOURCE = "Legacy ERP"
RECOMMENDATION_TITLE = "Automate the legal hand-off"
PDF = b"%PDF-1.4 test"

# What `arrange` stores for Phase 3.
DECISION_RATIONALE = "HubSpot stays the CRM of record"
CAPABILITY_NAME = "Conversation intelligence"
STAGE_NAME = "Lead capture"
STAGE_SYSTEM = "Webflow forms"
INTEGRATION_TARGET = "Stripe billing"
DASHBOARD = "Pipeline coverage dashboard"
EVALUATION_TITLE = "Call recording platform"
VENDOR = "Gong"
BLUEPRINT_PDF = b"%PDF-1.4 blueprint"
# The `kind` each blueprint part URL is checked with in the matrix: every kind at least once.
BLUEPRINT_KINDS = {
    "blueprint_part_add": "integration",
    "blueprint_part_edit": "stage",
    "blueprint_part_delete": "reporting",
}

# What `arrange` stores for Phase 4.
SPRINT_NAME = "Sprint 1: CRM core"
DELIVERABLE_TITLE = "Deal stages configured"
SCENARIO_TITLE = "Lead to closed deal"
STEP_ACTION = "Log the discovery call on the deal"
UAT_ROUND_NAME = "UAT round 1"
FEEDBACK_LOCATION = "Deal form, close date field"
EVIDENCE = b"PNG evidence of step one"
EVIDENCE_NAME = "step-one.png"

# What `arrange` stores for Phase 5.
RUNBOOK_TITLE = "Freeze legacy CRM writes"
COMMUNICATION_SUBJECT = "The new CRM goes live Monday"
MONITORING_CHECK = "Order sync error rate"
ROLLBACK_TITLE = "Re-enable legacy CRM writes"
ROLLBACK_TRIGGERS = "Orders fail for 15 minutes"
WAVE_NAME = "Pilot wave"
INCIDENT_TITLE = "Quotes lose their line items"
LAUNCH_PLAN_PDF = b"%PDF-1.4 launch plan"
# Launch plan items by the `kind` their URLs carry; every kind is checked with every item URL.
LAUNCH_ITEM_MODELS = {
    "runbook": RunbookStep,
    "communication": Communication,
    "monitoring": MonitoringCheck,
    "rollback": RollbackStep,
}
LAUNCH_ITEM_URLS = ("launch_item_add", "launch_item_delete")

# Phase 6, training and handoff: their URL names (the adoption part of the app has its own), and
# what `arrange_training` stores.
TRAINING_URLS = frozenset(
    {
        "enablement", "enablement_settings", "training_assign", "training_matrix",
        "training_suggestion_add", "training_module", "training_module_delete",
        "training_question_add", "training_question_delete", "training_attachment_add",
        "training_attachment_download", "training_attachment_delete", "training_unassign",
        "handoff", "handoff_item_add", "handoff_item_edit", "handoff_item_delete",
        "portal_enablement", "portal_training_module", "portal_training_attachment",
    }
)  # fmt: skip
MODULE_TITLE = "Pipeline basics for Xylo reps"
QUESTION_TEXT = "Which stage comes after discovery?"
ATTACHMENT = b"%PDF-1.4 training cheat sheet"
DOCUMENT_TITLE = "Xylo admin guide"
ACCESS_SYSTEM = "Xylo HubSpot portal"
OPEN_ITEM_TITLE = "Quote template for Xylo"
HANDOFF_PACK_PDF = b"%PDF-1.4 handoff pack"
# Handoff checklist items by the `kind` their URLs carry; every kind is checked with every URL.
HANDOFF_ITEM_MODELS = {"documents": DocumentTransfer, "access": AccessTransfer,
                       "open-items": OpenItem}  # fmt: skip
HANDOFF_ITEM_URLS = ("handoff_item_add", "handoff_item_edit", "handoff_item_delete")

# Phase 6, adoption: its URL names and what `arrange_adoption` stores.
ADOPTION_URLS = frozenset(
    {
        "adoption", "adoption_recompute", "adoption_job", "adoption_data", "adoption_upload",
        "adoption_alerts", "adoption_settings", "adoption_feature_add", "adoption_feature_delete",
        "adoption_field_add", "adoption_field_delete", "api_keys", "api_key_revoke",
        "portal_adoption",
    }
)  # fmt: skip
ADOPTION_ALERT = "Ray Rep: active days below 3 days for 2 weeks"
ADOPTION_UPLOAD = "xylo-logins.csv"
ADOPTION_KEY = "Xylo HubSpot usage sync"

PERSONA_NAMES = {
    "owner": "the firm owner",
    "consultant": "a consultant",
    "approver": "the client approver",
    "other_client_user": "a user of another client",
    "consultant_b": "a consultant of another firm",
    "owner_b": "the owner of another firm",
    "anonymous": "an anonymous visitor",
}


class Outcome(Enum):
    ALLOWED = "is allowed"
    NOT_FOUND = "gets 404"
    LOGIN = "is sent to sign in"


@dataclass(frozen=True)
class Case:
    url_name: str
    method: str  # "GET" or "POST"
    persona: str
    outcome: Outcome
    contains: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    kind: str | None = None  # the `kind` the URL carries, where it takes one

    def __str__(self) -> str:
        url = f"{self.url_name}({self.kind})" if self.kind else self.url_name
        words = f"{PERSONA_NAMES[self.persona]} {self.outcome.value} on {self.method} {url}"
        if self.excludes:
            words += " and sees none of the others' data"
        return words.replace(" ", "_")


def _cases(
    url_name: str, methods: tuple[str, ...], kind: str | None = None, **outcomes
) -> list[Case]:
    """One row per method and persona; an outcome is an Outcome or (Outcome, contains, excludes)."""
    rows = []
    for method in methods:
        for persona, outcome in outcomes.items():
            contains: tuple[str, ...] = ()
            excludes: tuple[str, ...] = ()
            if isinstance(outcome, tuple):
                outcome, contains, excludes = outcome
            rows.append(Case(url_name, method, persona, outcome, contains, excludes, kind))
    return rows


ALLOWED, NOT_FOUND, LOGIN = Outcome.ALLOWED, Outcome.NOT_FOUND, Outcome.LOGIN


def _workspace_object_url(
    url_name: str, methods: tuple[str, ...], kind: str | None = None
) -> list[Case]:
    return _cases(
        url_name,
        methods,
        kind,
        owner=ALLOWED,
        consultant=ALLOWED,
        approver=NOT_FOUND,
        other_client_user=NOT_FOUND,
        consultant_b=NOT_FOUND,
        anonymous=LOGIN,
    )


def _workspace_list_url(url_name: str, methods: tuple[str, ...], **firm_a_sees) -> list[Case]:
    """A page without an object: another firm's consultant reaches it, but sees only their firm."""
    return _cases(
        url_name,
        methods,
        **{
            "owner": firm_a_sees.get("owner", ALLOWED),
            "consultant": firm_a_sees.get("consultant", ALLOWED),
            "approver": NOT_FOUND,
            "other_client_user": NOT_FOUND,
            "consultant_b": (ALLOWED, firm_a_sees.get("b_contains", ()), FIRM_A_DATA),
            "anonymous": LOGIN,
        },
    )


GET, POST, BOTH = ("GET",), ("POST",), ("GET", "POST")
SEES_ITS_ENGAGEMENT = (ALLOWED, ("Xylo sales system",), ("Beta secret deal",))


def _workspace_page(
    url_name: str, methods: tuple[str, ...], sees: tuple[str, ...], kind: str | None = None
) -> list[Case]:
    """A page of firm A's engagement: its staff see `sees` on GET; everyone else as for any
    object of firm A."""
    rows = []
    for method in methods:
        staff = (ALLOWED, sees, ("Beta secret deal",)) if method == "GET" else ALLOWED
        rows += _cases(
            url_name,
            (method,),
            kind,
            owner=staff,
            consultant=staff,
            approver=NOT_FOUND,
            other_client_user=NOT_FOUND,
            consultant_b=NOT_FOUND,
            anonymous=LOGIN,
        )
    return rows


def _approver_only(
    url_name: str, methods: tuple[str, ...], sees: tuple[str, ...] = (), kind: str | None = None
) -> list[Case]:
    """A portal page of firm A's engagement: its approver only; staff of either firm get 404."""
    return _cases(
        url_name,
        methods,
        kind,
        owner=NOT_FOUND,
        consultant=NOT_FOUND,
        approver=(ALLOWED, sees, ("Yonder rollout", "Beta secret deal")),
        other_client_user=NOT_FOUND,
        consultant_b=NOT_FOUND,
        anonymous=LOGIN,
    )


MATRIX: list[Case] = [
    # Workspace: pages without an object.
    *_workspace_list_url(
        "dashboard",
        GET,
        owner=SEES_ITS_ENGAGEMENT,
        consultant=SEES_ITS_ENGAGEMENT,
        b_contains=("Beta secret deal",),
    ),
    *_workspace_list_url("client_list", BOTH),
    # My work: what waits on the firm's staff; another firm's consultant sees only their firm's.
    *_workspace_list_url(
        "my_work",
        GET,
        owner=SEES_ITS_ENGAGEMENT,
        consultant=SEES_ITS_ENGAGEMENT,
    ),
    # The portfolio and its CSV: each firm's staff see their own engagements only.
    *_workspace_list_url(
        "portfolio",
        GET,
        owner=(ALLOWED, ("Xylo sales system", "Yonder rollout"), ("Beta secret deal",)),
        consultant=(ALLOWED, ("Xylo sales system", "Yonder rollout"), ("Beta secret deal",)),
        b_contains=("Beta secret deal",),
    ),
    *_workspace_list_url(
        "portfolio_export",
        GET,
        owner=(ALLOWED, ("Xylo sales system", "Yonder rollout"), ("Beta secret deal",)),
        consultant=(ALLOWED, ("Xylo sales system", "Yonder rollout"), ("Beta secret deal",)),
        b_contains=("Beta secret deal",),
    ),
    *_workspace_list_url("engagement_create", BOTH),
    # Workspace: pages of firm A's engagement and its stakeholder.
    *_workspace_object_url("engagement_detail", GET),
    *_workspace_object_url("engagement_edit", BOTH),
    *_workspace_object_url("stakeholder_add", POST),
    *_workspace_object_url("stakeholder_edit", BOTH),
    *_workspace_object_url("stakeholder_delete", BOTH),
    *_workspace_object_url("stakeholder_invite", POST),
    # Workspace: a failed email's resend button (an outbox row of firm A).
    *_workspace_object_url("email_resend", POST),
    # Workspace: the gate actions, and Phase 1's charter and its items (a tool of firm A).
    *_workspace_object_url("engagement_advance", POST),
    *_workspace_object_url("signoff_request", POST),
    *_workspace_object_url("phase_reopen", POST),
    *_cases(
        "onboarding",
        GET,
        owner=(ALLOWED, ("Xylo sales system", "HubSpot"), ("Beta secret deal",)),
        consultant=(ALLOWED, ("Xylo sales system", "HubSpot"), ("Beta secret deal",)),
        approver=NOT_FOUND,
        other_client_user=NOT_FOUND,
        consultant_b=NOT_FOUND,
        anonymous=LOGIN,
    ),
    *_workspace_object_url("onboarding_summary", POST),
    *_workspace_object_url("onboarding_raci", POST),
    *_workspace_object_url("onboarding_item_add", POST),
    *_workspace_object_url("onboarding_item_edit", BOTH),
    *_workspace_object_url("onboarding_item_delete", BOTH),
    # Team: firm owners only. A consultant of firm B is not an owner, so 404 like firm A's
    # consultant; the owner of firm B reaches their own team page only.
    *_cases(
        "team",
        BOTH,
        owner=ALLOWED,
        consultant=NOT_FOUND,
        approver=NOT_FOUND,
        other_client_user=NOT_FOUND,
        consultant_b=NOT_FOUND,
        owner_b=(ALLOWED, (), FIRM_A_STAFF_EMAILS),
        anonymous=LOGIN,
    ),
    # Sign-off rules: firm owners only, each changing only their own firm's rules.
    *_cases(
        "gate_settings",
        BOTH,
        owner=ALLOWED,
        consultant=NOT_FOUND,
        approver=NOT_FOUND,
        other_client_user=NOT_FOUND,
        consultant_b=NOT_FOUND,
        owner_b=ALLOWED,
        anonymous=LOGIN,
    ),
    # Email preferences: each person's own; staff in the workspace, clients in the portal.
    *_workspace_list_url("notification_settings", BOTH),
    *_cases(
        "portal_notification_settings",
        BOTH,
        owner=NOT_FOUND,
        consultant=NOT_FOUND,
        approver=ALLOWED,
        other_client_user=ALLOWED,
        consultant_b=NOT_FOUND,
        anonymous=LOGIN,
    ),
    # Portal: client users only, each seeing only their own engagements.
    *_cases(
        "portal_home",
        GET,
        owner=NOT_FOUND,
        consultant=NOT_FOUND,
        approver=(ALLOWED, ("Xylo sales system",), ("Yonder rollout",)),
        other_client_user=(ALLOWED, ("Yonder rollout",), ("Xylo sales system",)),
        consultant_b=NOT_FOUND,
        anonymous=LOGIN,
    ),
    *_cases(
        "portal_engagement",
        GET,
        owner=NOT_FOUND,
        consultant=NOT_FOUND,
        approver=(ALLOWED, ("Xylo sales system",), ()),
        other_client_user=NOT_FOUND,
        consultant_b=NOT_FOUND,
        anonymous=LOGIN,
    ),
    # Portal: Phase 1 and its sign-off, for the approver of firm A's engagement only.
    *_cases(
        "portal_onboarding",
        GET,
        owner=NOT_FOUND,
        consultant=NOT_FOUND,
        approver=(ALLOWED, ("Xylo sales system", "HubSpot"), ("Yonder rollout",)),
        other_client_user=NOT_FOUND,
        consultant_b=NOT_FOUND,
        anonymous=LOGIN,
    ),
    *_cases(
        "portal_signoff_decide",
        POST,
        owner=NOT_FOUND,
        consultant=NOT_FOUND,
        approver=ALLOWED,
        other_client_user=NOT_FOUND,
        consultant_b=NOT_FOUND,
        anonymous=LOGIN,
    ),
    # Phase 2, workspace: the firm's prompt library. Another firm's consultant reaches it, but
    # sees (and seeds) only their own firm's library.
    *_cases(
        "prompt_library",
        GET,
        owner=(ALLOWED, (FIRM_A_PROMPT,), ()),
        consultant=(ALLOWED, (FIRM_A_PROMPT,), ()),
        approver=NOT_FOUND,
        other_client_user=NOT_FOUND,
        consultant_b=(ALLOWED, (FIRM_B_DEFAULT_PROMPT,), (FIRM_A_PROMPT, *FIRM_A_DATA)),
        anonymous=LOGIN,
    ),
    *_workspace_list_url("prompt_library", POST),
    # Phase 2, workspace: the pages of firm A's engagement and the objects under it.
    *_workspace_page("diagnostic", BOTH, sees=(WORKSHOP_TITLE,)),
    *_workspace_page("workshop", BOTH, sees=(WORKSHOP_TITLE, WORKSHOP_PROMPT)),
    *_workspace_object_url("workshop_agenda_add", POST),
    *_workspace_object_url("workshop_finding", POST),
    *_workspace_page("findings", BOTH, sees=(FINDING_TITLE,)),
    *_workspace_page("finding_edit", BOTH, sees=(FINDING_TITLE,)),
    *_workspace_page("landscape", BOTH, sees=(DATA_SOURCE, "HubSpot")),
    *_workspace_object_url("data_source_delete", POST),
    *_workspace_object_url("tool_assess", POST),
    *_workspace_page("report", BOTH, sees=(RECOMMENDATION_TITLE, "Diagnostic report v1")),
    *_workspace_object_url("recommendation_delete", POST),
    # Phase 2, portal: the approver of firm A's engagement only.
    *_approver_only("portal_diagnostic", GET, sees=("Download the report v1", WORKSHOP_PROMPT)),
    *_approver_only("portal_prework", POST),
    # Phase 3, workspace: the pages of firm A's engagement and the objects under it.
    *_workspace_page("architecture", BOTH, sees=("HubSpot", DECISION_RATIONALE, CAPABILITY_NAME)),
    *_workspace_object_url("tool_decide", POST),
    *_workspace_object_url("capability_delete", POST),
    *_workspace_page("blueprint", GET, sees=(STAGE_NAME, INTEGRATION_TARGET, DASHBOARD)),
    *_workspace_object_url("blueprint_part_add", POST),
    *_workspace_object_url("blueprint_part_edit", POST),
    *_workspace_object_url("blueprint_part_delete", POST),
    *_workspace_page("evaluations", BOTH, sees=(EVALUATION_TITLE,)),
    *_workspace_page("evaluation", BOTH, sees=(EVALUATION_TITLE, VENDOR)),
    *_workspace_page("evaluation_csv", GET, sees=(VENDOR,)),
    # Phase 3, portal: the approver of firm A's engagement only (invited to score).
    *_approver_only(
        "portal_architecture",
        GET,
        sees=(
            f"Your scores: {EVALUATION_TITLE}",
            f"{EVALUATION_TITLE}: ranking",
            "Download the blueprint v1",
        ),
    ),
    *_approver_only("portal_scores", POST),
    # Phase 4, workspace: the pages of firm A's engagement and the objects under it.
    *_workspace_page("sprints", BOTH, sees=(SPRINT_NAME,)),
    *_workspace_page("sprint", BOTH, sees=(SPRINT_NAME, DELIVERABLE_TITLE)),
    *_workspace_object_url("check_in", POST),
    *_workspace_object_url("deliverable_move", POST),
    *_workspace_page("scenarios", BOTH, sees=(SCENARIO_TITLE,)),
    *_workspace_page("scenario", BOTH, sees=(SCENARIO_TITLE, STEP_ACTION)),
    *_workspace_page("scenario_run", BOTH, sees=(SCENARIO_TITLE, STEP_ACTION)),
    *_workspace_object_url("evidence_download", GET),
    *_workspace_page("uat", BOTH, sees=(UAT_ROUND_NAME, FEEDBACK_LOCATION)),
    *_workspace_object_url("feedback_triage", POST),
    # Phase 4, portal: the approver of firm A's engagement only (a participant of the round,
    # with a step of the scenario for their role).
    *_approver_only(
        "portal_build", GET, sees=(SPRINT_NAME, UAT_ROUND_NAME, SCENARIO_TITLE, FEEDBACK_LOCATION)
    ),
    *_approver_only("portal_uat_run", BOTH, sees=(SCENARIO_TITLE, STEP_ACTION)),
    *_approver_only("portal_feedback", POST),
    # Phase 5, workspace: the pages of firm A's engagement and the objects under it; every
    # launch plan item URL with every kind.
    *_workspace_page(
        "launch",
        BOTH,
        sees=(
            RUNBOOK_TITLE,
            COMMUNICATION_SUBJECT,
            MONITORING_CHECK,
            ROLLBACK_TITLE,
            "Launch plan v1",
        ),
    ),
    *[
        row
        for url_name in LAUNCH_ITEM_URLS
        for kind in LAUNCH_ITEM_MODELS
        for row in _workspace_object_url(url_name, POST, kind)
    ],
    *_workspace_object_url("runbook_tick", POST),
    *_workspace_page("waves", BOTH, sees=(WAVE_NAME, "Vera Vice")),
    *_workspace_page("wave", BOTH, sees=(WAVE_NAME, "Vera Vice")),
    *_workspace_page("hypercare", BOTH, sees=(INCIDENT_TITLE,)),
    *_workspace_page("incident", BOTH, sees=(INCIDENT_TITLE,)),
    # Phase 5, portal: the approver of firm A's engagement only (a member of the wave); the
    # incident a consultant reported is not theirs to follow.
    *_cases(
        "portal_launch",
        GET,
        owner=NOT_FOUND,
        consultant=NOT_FOUND,
        approver=(
            ALLOWED,
            (WAVE_NAME, "Your wave", COMMUNICATION_SUBJECT),
            ("Yonder rollout", "Beta secret deal", INCIDENT_TITLE),
        ),
        other_client_user=NOT_FOUND,
        consultant_b=NOT_FOUND,
        anonymous=LOGIN,
    ),
    *_approver_only("portal_incident_report", POST),
    # Phase 5, the data-migration workbench: its pages, objects and every file download.
    *_workspace_page("migration", BOTH, sees=("contacts.csv", "Dataset v1")),
    *_workspace_object_url("migration_start", POST),
    *_workspace_page("migration_sources", BOTH, sees=("contacts.csv",)),
    *_workspace_page("migration_source", GET, sees=("smith@xylo.example",)),
    *_workspace_page("migration_schema", BOTH, sees=("Work email",)),
    *_workspace_object_url("migration_field_add", POST),
    *_workspace_page("migration_field_edit", BOTH, sees=("Last name",)),
    *_workspace_object_url("migration_field_delete", POST),
    *_workspace_page("migration_mapping", BOTH, sees=("contacts.csv", "Work email")),
    *_workspace_page("migration_runs", BOTH, sees=("Commit run #1",)),
    *_workspace_page("migration_run", GET, sees=("not-an-email",)),
    *_workspace_page("migration_review", GET, sees=("C9",)),
    *_workspace_object_url("migration_pair_decide", POST),
    *_workspace_page("migration_datasets", GET, sees=("Dataset v1", "contact-import-v1.csv")),
    *_workspace_page("migration_dataset", BOTH, sees=("contact-rejected-v1.csv",)),
    *_workspace_page("migration_rollback", BOTH, sees=("Roll back Dataset v1",)),
    *_workspace_object_url("migration_file_download", GET),
    # Phase 6, training and handoff, workspace: the pages of firm A's engagement and the objects
    # under it; every handoff checklist URL with every kind.
    *_workspace_page("enablement", BOTH, sees=(MODULE_TITLE,)),
    *_workspace_object_url("enablement_settings", POST),
    *_workspace_object_url("training_assign", POST),
    *_workspace_page("training_matrix", GET, sees=(MODULE_TITLE, "Vera Vice")),
    *_workspace_object_url("training_suggestion_add", POST),
    *_workspace_page("training_module", BOTH, sees=(MODULE_TITLE, QUESTION_TEXT)),
    *_workspace_object_url("training_module_delete", BOTH),
    *_workspace_object_url("training_question_add", POST),
    *_workspace_object_url("training_question_delete", BOTH),
    *_workspace_object_url("training_attachment_add", POST),
    *_workspace_object_url("training_attachment_download", GET),
    *_workspace_object_url("training_attachment_delete", BOTH),
    *_workspace_object_url("training_unassign", BOTH),
    *_workspace_page("handoff", BOTH, sees=(DOCUMENT_TITLE, ACCESS_SYSTEM, OPEN_ITEM_TITLE)),
    *[
        row
        for url_name in HANDOFF_ITEM_URLS
        for kind in HANDOFF_ITEM_MODELS
        for row in _workspace_object_url(
            url_name, POST if url_name == "handoff_item_add" else BOTH, kind
        )
    ],
    # Phase 6, portal: the approver of firm A's engagement only (a rep with the module assigned,
    # who received the handoff pack).
    *_approver_only("portal_enablement", GET, sees=(MODULE_TITLE, "Download the handoff pack v1")),
    *_approver_only("portal_training_module", BOTH, sees=(MODULE_TITLE, QUESTION_TEXT)),
    *_approver_only("portal_training_attachment", GET),
    # Phase 6, adoption, workspace: the pages of firm A's engagement and the objects under it;
    # the firm's API keys (another firm's consultant reaches the page but sees only their own).
    *_workspace_page("adoption", GET, sees=(ADOPTION_ALERT, "Ray Rep")),
    *_workspace_object_url("adoption_recompute", POST),
    *_workspace_object_url("adoption_job", GET),
    *_workspace_page("adoption_data", BOTH, sees=(ADOPTION_UPLOAD,)),
    *_workspace_page("adoption_upload", GET, sees=(ADOPTION_UPLOAD,)),
    *_workspace_page("adoption_alerts", GET, sees=(ADOPTION_ALERT,)),
    *_workspace_page("adoption_settings", BOTH, sees=("activity logging",)),
    *_workspace_object_url("adoption_feature_add", POST),
    *_workspace_object_url("adoption_feature_delete", POST),
    *_workspace_object_url("adoption_field_add", POST),
    *_workspace_object_url("adoption_field_delete", POST),
    *_workspace_list_url("api_keys", BOTH),
    *_workspace_object_url("api_key_revoke", BOTH),
    # Phase 6, adoption, portal: the approver of firm A's engagement (who sees the team).
    *_approver_only("portal_adoption", GET, sees=(ADOPTION_ALERT, "Ray Rep")),
    # Every document kind: its versions in the workspace, and what was sent in the portal.
    *[
        row
        for kind, label in DOCUMENT_KINDS.items()
        for row in (
            *_workspace_object_url("document_render", POST, kind),
            *_workspace_page("document_progress", GET, sees=(f"{label} v1",), kind=kind),
            *_workspace_object_url("document_retry", POST, kind),
            *_workspace_object_url("document_download", GET, kind),
            *_workspace_object_url("document_send", POST, kind),
            *_approver_only("portal_document_download", GET, kind=kind),
        )
    ],
]


def persona(world: World, name: str) -> User | None:
    if name == "anonymous":
        return None
    if name == "owner_b":
        return MembershipFactory(
            firm=world.firm_b, role=Role.OWNER, user__email="dana@beta.example"
        ).user
    return getattr(world, name)


def _pattern(url_name: str) -> URLPattern:
    return next(pattern for pattern in WORKSPACE_AND_PORTAL_PATTERNS if pattern.name == url_name)


def _tool(world: World) -> Tool:
    return Tool.unscoped.get(engagement=world.engagement, name="HubSpot")


def arrange(world: World, url_name: str, kind: str | None = None) -> None:
    """Firm A's engagement with a tool, in the gate state where `url_name` (of document `kind`)
    takes effect."""
    Tool.unscoped.create(
        firm=world.firm_a, engagement=world.engagement, name="HubSpot", category="crm"
    )
    if url_name == "email_resend":
        OutboundEmail.unscoped.create(
            firm=world.firm_a,
            dedupe_key="isolation:failed",
            message_id="<isolation@waypoint>",
            to=world.rep_stakeholder.email,
            subject="Failed",
            body_text="Failed",
            status=EmailStatus.FAILED,
            attempts=9,
            last_error="Gave up",
        )
    failed = url_name == "document_retry"
    document = kind if url_name in DOCUMENT_URLS else None
    if url_name in DIAGNOSTIC_URLS or document == "report":
        arrange_diagnostic(world, failed_render=failed)
    if url_name in ARCHITECTURE_URLS or document == "blueprint":
        arrange_architecture(world, failed_render=failed)
    if url_name in SPRINTS_URLS:
        arrange_sprints(world)
    if url_name in LAUNCH_URLS or document == "launch-plan":
        arrange_launch(world, failed_render=failed)
    if url_name in MIGRATION_URLS:
        arrange_migration(world, started=url_name != "migration_start")
    if url_name in TRAINING_URLS or document == "handoff-pack":
        arrange_training(world, failed_render=failed)
    if document == "charter":
        arrange_charter(world, failed_render=failed)
    if url_name in ADOPTION_URLS:
        arrange_adoption(world)
    status = PhaseStatus.IN_PROGRESS
    if url_name in ("signoff_request", "portal_signoff_decide"):
        ready_charter(world)
    if url_name in ("engagement_advance", "phase_reopen"):
        status = PhaseStatus.SIGNED_OFF
    # Stored up front also when in progress, so every case starts from the same rows.
    PhaseState.unscoped.update_or_create(
        engagement=world.engagement,
        phase=Phase.ONBOARDING,
        defaults={"status": status},
        create_defaults={"firm": world.firm_a, "status": status},
    )
    if url_name == "portal_signoff_decide":
        with tenant_scope(world.firm_a):
            signoffs.signoff_request_create(
                engagement=world.engagement, phase=Phase.ONBOARDING, actor=world.consultant
            )


def arrange_charter(world: World, *, failed_render: bool = False) -> None:
    """Firm A's engagement in Phase 1 with alignment charter v1: rendered to a stored PDF and
    sent to the approver, or (`failed_render`) failed to render, so it can be retried."""
    firm, engagement = world.firm_a, world.engagement
    job = Job.unscoped.create(
        firm=firm,
        engagement=engagement,
        kind="alignment_charter",
        status=JobStatus.FAILED if failed_render else JobStatus.SUCCEEDED,
        error="ValueError: broken table" if failed_render else "",
    )
    pdf = DOCUMENT_PDFS["charter"]
    stored = "" if failed_render else default_storage.save("charters/test.pdf", ContentFile(pdf))
    version = CharterVersion.unscoped.create(
        firm=firm, engagement=engagement, number=1, job=job, requested_by=world.consultant,
        file=stored, size=len(pdf) if stored else 0, page_count=1 if stored else 0,
    )  # fmt: skip
    if not failed_render:
        OutboundEmail.unscoped.create(
            firm=firm,
            dedupe_key=f"charter:{version.public_id}:{world.approver.email}",
            to=world.approver.email,
            subject="Alignment charter v1",
            body_text="Your charter.",
            status=EmailStatus.SENT,
            sent_at=timezone.now(),
        )


def arrange_diagnostic(world: World, *, failed_render: bool = False) -> None:
    """Firm A's engagement in Phase 2, with a custom library prompt, a planned rep workshop the
    approver is invited to (with a rep prompt), a finding from it, a data source, a
    recommendation behind the finding, and report v1: rendered to a stored PDF and sent to the
    approver, or (`failed_render`) failed to render, so it can be retried."""
    firm, engagement = world.firm_a, world.engagement
    Engagement.unscoped.filter(pk=engagement.pk).update(current_phase=Phase.DIAGNOSTIC)
    PromptTemplate.unscoped.create(firm=firm, group="rep", text=FIRM_A_PROMPT)
    workshop = Workshop.unscoped.create(
        firm=firm,
        engagement=engagement,
        title=WORKSHOP_TITLE,
        group="rep",
        objective="Find where deals stall.",
    )
    WorkshopAttendee.unscoped.create(
        firm=firm, workshop=workshop, stakeholder=world.approver_stakeholder
    )
    WorkshopPrompt.unscoped.create(firm=firm, workshop=workshop, group="rep", text=WORKSHOP_PROMPT)
    finding = Finding.unscoped.create(
        firm=firm,
        engagement=engagement,
        title=FINDING_TITLE,
        category="process",
        severity="high",
        workshop=workshop,
    )
    DataSource.unscoped.create(
        firm=firm, engagement=engagement, system=DATA_SOURCE, objects_held="orders"
    )
    recommendation = Recommendation.unscoped.create(
        firm=firm, engagement=engagement, title=RECOMMENDATION_TITLE
    )
    RecommendationFinding.unscoped.create(firm=firm, recommendation=recommendation, finding=finding)
    job = Job.unscoped.create(
        firm=firm,
        engagement=engagement,
        kind="diagnostic_report",
        status=JobStatus.FAILED if failed_render else JobStatus.SUCCEEDED,
        error="ValueError: broken chart" if failed_render else "",
    )
    version = ReportVersion.unscoped.create(
        firm=firm,
        engagement=engagement,
        number=1,
        job=job,
        requested_by=world.consultant,
        file="" if failed_render else default_storage.save("reports/test.pdf", ContentFile(PDF)),
        size=0 if failed_render else len(PDF),
        page_count=0 if failed_render else 1,
    )
    if not failed_render:
        OutboundEmail.unscoped.create(
            firm=firm,
            dedupe_key=f"report:{version.public_id}:{world.approver.email}",
            to=world.approver.email,
            subject="Diagnostic report v1",
            body_text="Your diagnostic report.",
            status=EmailStatus.SENT,
            sent_at=timezone.now(),
        )


def arrange_architecture(world: World, *, failed_render: bool = False) -> None:
    """Firm A's engagement in Phase 3: a finding behind a decision to keep the tool and behind a
    new capability, a stage, an integration, a dashboard, an evaluation of that capability with
    the five default criteria, a vendor scored by the consultant and the approver invited to
    score, and blueprint v1: rendered to a stored PDF and sent to the approver, or
    (`failed_render`) failed to render, so it can be retried."""
    firm, engagement = world.firm_a, world.engagement
    Engagement.unscoped.filter(pk=engagement.pk).update(current_phase=Phase.ARCHITECTURE)
    finding = Finding.unscoped.create(
        firm=firm, engagement=engagement, title=FINDING_TITLE, category="process", severity="high"
    )
    decision = ToolDecision.unscoped.create(
        firm=firm, engagement=engagement, tool=_tool(world), decision="keep",
        rationale=DECISION_RATIONALE,
    )  # fmt: skip
    ToolDecisionFinding.unscoped.create(firm=firm, tool_decision=decision, finding=finding)
    capability = Capability.unscoped.create(
        firm=firm, engagement=engagement, name=CAPABILITY_NAME, tool_name="Call recorder"
    )
    CapabilityFinding.unscoped.create(firm=firm, capability=capability, finding=finding)
    Stage.unscoped.create(
        firm=firm, engagement=engagement, name=STAGE_NAME, system_of_record=STAGE_SYSTEM
    )
    Integration.unscoped.create(
        firm=firm, engagement=engagement, source_system="HubSpot",
        target_system=INTEGRATION_TARGET, objects_carried="closed deals", trigger="nightly",
    )  # fmt: skip
    ReportingItem.unscoped.create(
        firm=firm, engagement=engagement, name=DASHBOARD, sources="HubSpot"
    )
    evaluation = Evaluation.unscoped.create(
        firm=firm, engagement=engagement, title=EVALUATION_TITLE, capability=capability
    )
    criteria = [
        Criterion.unscoped.create(
            firm=firm, evaluation=evaluation, name=name, weight=weight, position=index
        )
        for index, (name, weight) in enumerate(DEFAULT_CRITERIA)
    ]
    vendor = Vendor.unscoped.create(firm=firm, evaluation=evaluation, name=VENDOR)
    Score.unscoped.create(
        firm=firm, vendor=vendor, criterion=criteria[0], evaluator=world.consultant, score=4
    )
    EvaluationEvaluator.unscoped.create(
        firm=firm, evaluation=evaluation, stakeholder=world.approver_stakeholder
    )
    job = Job.unscoped.create(
        firm=firm,
        engagement=engagement,
        kind="architecture_blueprint",
        status=JobStatus.FAILED if failed_render else JobStatus.SUCCEEDED,
        error="ValueError: broken diagram" if failed_render else "",
    )
    stored = (
        "" if failed_render
        else default_storage.save("blueprints/test.pdf", ContentFile(BLUEPRINT_PDF))
    )  # fmt: skip
    version = BlueprintVersion.unscoped.create(
        firm=firm,
        engagement=engagement,
        number=1,
        job=job,
        requested_by=world.consultant,
        file=stored,
        size=len(BLUEPRINT_PDF) if stored else 0,
        page_count=1 if stored else 0,
    )
    if not failed_render:
        OutboundEmail.unscoped.create(
            firm=firm,
            dedupe_key=f"blueprint:{version.public_id}:{world.approver.email}",
            to=world.approver.email,
            subject="Architecture blueprint v1",
            body_text="Your blueprint.",
            status=EmailStatus.SENT,
            sent_at=timezone.now(),
        )


def arrange_sprints(world: World) -> None:
    """Firm A's engagement in Phase 4: a sprint with a deliverable, a critical scenario with a
    step for the approver's role, a passed run of it whose step result carries evidence stored in
    the default storage, an open UAT round with the approver as participant and the scenario, and
    the approver's feedback on it, awaiting triage."""
    firm, engagement = world.firm_a, world.engagement
    Engagement.unscoped.filter(pk=engagement.pk).update(current_phase=Phase.BUILD)
    today = timezone.localdate()
    sprint = Sprint.unscoped.create(
        firm=firm, engagement=engagement, name=SPRINT_NAME, focus="crm",
        goal="Deal pipeline live", start_date=today, end_date=today, status="active",
    )  # fmt: skip
    Deliverable.unscoped.create(
        firm=firm, engagement=engagement, sprint=sprint, title=DELIVERABLE_TITLE
    )
    scenario = Scenario.unscoped.create(
        firm=firm, engagement=engagement, title=SCENARIO_TITLE, changed_at=timezone.now()
    )
    step = ScenarioStep.unscoped.create(
        firm=firm, scenario=scenario, action=STEP_ACTION, expected_result="The call is logged",
        role=world.approver_stakeholder.role,
    )  # fmt: skip
    run = TestRun.unscoped.create(
        firm=firm, scenario=scenario, run_by=world.consultant, outcome=RunOutcome.PASSED
    )
    stored = default_storage.save(
        f"evidence/{engagement.public_id}/{EVIDENCE_NAME}", ContentFile(EVIDENCE)
    )
    StepResult.unscoped.create(
        firm=firm, run=run, step=step, status=RunOutcome.PASSED, evidence=stored,
        evidence_name=EVIDENCE_NAME,
    )  # fmt: skip
    uat_round = UatRound.unscoped.create(firm=firm, engagement=engagement, name=UAT_ROUND_NAME)
    UatParticipant.unscoped.create(
        firm=firm, uat_round=uat_round, stakeholder=world.approver_stakeholder
    )
    UatScenario.unscoped.create(firm=firm, uat_round=uat_round, scenario=scenario)
    Feedback.unscoped.create(
        firm=firm, engagement=engagement, uat_round=uat_round, scenario=scenario,
        reporter=world.approver_stakeholder, category="field_name", severity="medium",
        location=FEEDBACK_LOCATION, description="Unclear label", expected="Expected close date",
    )  # fmt: skip


def arrange_launch(world: World, *, failed_render: bool = False) -> None:
    """Firm A's engagement in Phase 5: a launch plan with rollback triggers, a runbook step, a
    communication already sent to reps, a monitoring check, a rollback step, a planned pilot
    wave with the approver as member, an open incident a consultant reported, and launch plan v1
    rendered to a stored PDF."""
    firm, engagement = world.firm_a, world.engagement
    Engagement.unscoped.filter(pk=engagement.pk).update(current_phase=Phase.LAUNCH)
    now = timezone.now()
    today = timezone.localdate()
    LaunchPlan.unscoped.create(
        firm=firm, engagement=engagement, cutover_start=now, cutover_end=now + timedelta(hours=4),
        time_zone="UTC", rollback_triggers=ROLLBACK_TRIGGERS,
    )  # fmt: skip
    RunbookStep.unscoped.create(
        firm=firm, engagement=engagement, title=RUNBOOK_TITLE, owner="Bob", planned_at=now
    )
    Communication.unscoped.create(
        firm=firm, engagement=engagement, audience_roles=["rep"], subject=COMMUNICATION_SUBJECT,
        message="Log in on Monday.", send_at=now, sent_at=now,
    )  # fmt: skip
    MonitoringCheck.unscoped.create(
        firm=firm, engagement=engagement, description=MONITORING_CHECK, owner="Bob"
    )
    RollbackStep.unscoped.create(
        firm=firm, engagement=engagement, title=ROLLBACK_TITLE, owner="Bob"
    )
    wave = Wave.unscoped.create(
        firm=firm, engagement=engagement, name=WAVE_NAME, planned_start=today,
        planned_end=today, go_criteria="Reps can log a call",
    )  # fmt: skip
    WaveMember.unscoped.create(firm=firm, wave=wave, stakeholder=world.approver_stakeholder)
    Incident.unscoped.create(
        firm=firm, engagement=engagement, title=INCIDENT_TITLE, category="data_sync",
        severity="sev2", reported_by=world.consultant,
    )  # fmt: skip
    job = Job.unscoped.create(
        firm=firm,
        engagement=engagement,
        kind="launch_plan",
        status=JobStatus.FAILED if failed_render else JobStatus.SUCCEEDED,
        error="ValueError: broken plan" if failed_render else "",
    )
    stored = (
        "" if failed_render
        else default_storage.save("launch-plans/test.pdf", ContentFile(LAUNCH_PLAN_PDF))
    )  # fmt: skip
    version = LaunchPlanVersion.unscoped.create(
        firm=firm, engagement=engagement, number=1, job=job, requested_by=world.consultant,
        file=stored, size=len(LAUNCH_PLAN_PDF) if stored else 0, page_count=1 if stored else 0,
    )  # fmt: skip
    if not failed_render:
        OutboundEmail.unscoped.create(
            firm=firm,
            dedupe_key=f"launch-plan:{version.public_id}:{world.approver.email}",
            to=world.approver.email,
            subject="Launch plan v1",
            body_text="Your launch plan.",
            status=EmailStatus.SENT,
            sent_at=timezone.now(),
        )


def arrange_training(world: World, *, failed_render: bool = False) -> None:
    """Firm A's engagement in Phase 6: a rep module with a one-question quiz and a stored
    attachment, assigned to the approver (a rep) but not yet to Ray Rep, a documentation
    transfer, an access transfer, an open item, a support plan, and handoff pack v1: rendered
    and sent to the approver, or (`failed_render`) failed to render, so it can be retried."""
    firm, engagement = world.firm_a, world.engagement
    Engagement.unscoped.filter(pk=engagement.pk).update(current_phase=Phase.ENABLEMENT)
    module = TrainingModule.unscoped.create(
        firm=firm, engagement=engagement, role="rep", title=MODULE_TITLE, content="Read me."
    )
    question = QuizQuestion.unscoped.create(firm=firm, module=module, text=QUESTION_TEXT)
    QuizChoice.unscoped.create(firm=firm, question=question, text="Proposal", is_correct=True)
    QuizChoice.unscoped.create(firm=firm, question=question, text="Lost", position=1)
    TrainingAttachment.unscoped.create(
        firm=firm, module=module, name="cheat.pdf", size=len(ATTACHMENT),
        file=default_storage.save("training/cheat.pdf", ContentFile(ATTACHMENT)),
    )  # fmt: skip
    TrainingAssignment.unscoped.create(
        firm=firm, engagement=engagement, module=module, stakeholder=world.approver_stakeholder
    )
    DocumentTransfer.unscoped.create(firm=firm, engagement=engagement, title=DOCUMENT_TITLE)
    AccessTransfer.unscoped.create(
        firm=firm, engagement=engagement, system=ACCESS_SYSTEM, account="Super admin",
        previous_owner="Bob", new_owner="Olga",
    )  # fmt: skip
    OpenItem.unscoped.create(firm=firm, engagement=engagement, title=OPEN_ITEM_TITLE)
    SupportPlan.unscoped.create(
        firm=firm, engagement=engagement, model="retainer", retainer_hours=10
    )
    job = Job.unscoped.create(
        firm=firm,
        engagement=engagement,
        kind="handoff_pack",
        status=JobStatus.FAILED if failed_render else JobStatus.SUCCEEDED,
        error="ValueError: broken chart" if failed_render else "",
    )
    stored = (
        "" if failed_render
        else default_storage.save("handoff-packs/test.pdf", ContentFile(HANDOFF_PACK_PDF))
    )  # fmt: skip
    version = HandoffPackVersion.unscoped.create(
        firm=firm, engagement=engagement, number=1, job=job, requested_by=world.consultant,
        file=stored, size=len(HANDOFF_PACK_PDF) if stored else 0, page_count=1 if stored else 0,
    )  # fmt: skip
    if not failed_render:
        OutboundEmail.unscoped.create(
            firm=firm,
            dedupe_key=f"handoff-pack:{version.public_id}:{world.approver.email}",
            to=world.approver.email,
            subject="Handoff pack v1",
            body_text="Your handoff pack.",
            status=EmailStatus.SENT,
            sent_at=timezone.now(),
        )


def _handoff_item(world: World, kind: str):
    return HANDOFF_ITEM_MODELS[kind].unscoped.filter(engagement=world.engagement).get()


def _training_payloads(world: World, kind: str) -> dict[str, dict]:
    question = QuizQuestion.unscoped.get(module__engagement=world.engagement)
    right = QuizChoice.unscoped.get(question=question, is_correct=True)
    item_fields = {
        "documents": {"title": "Intruder doc", "recipient": "Mallory"},
        "access": {"system": "Intruder", "account": "Root", "previous_owner": "Bob",
                   "new_owner": "Mallory"},
        "open-items": {"title": "Intruder item", "status": "open"},
    }[kind]  # fmt: skip
    return {
        "enablement": {"module-role": "rep", "module-title": "Intruder module",
                       "module-minutes": "10", "module-pass_mark": "80"},
        "enablement_settings": {"settings-completion_threshold": "55"},
        # Ray Rep has not got the module yet: assigning the reps gives it to him.
        "training_assign": {"assign-role": "rep"},
        "training_module": {"module-role": "rep", "module-title": "Taken over",
                            "module-minutes": "10", "module-pass_mark": "80"},
        "training_question_add": {"question-text": "Intruder?", "question-choice_0": "A",
                                  "question-choice_1": "B", "question-correct": "0"},
        "training_attachment_add": {
            "attachment-file": SimpleUploadedFile("intruder.pdf", b"%PDF-1.4 intruder")
        },
        "handoff": {"support-model": "self_service", "support-client_owner": "Mallory"},
        "handoff_item_add": {f"{kind}-{name}": value for name, value in item_fields.items()},
        "handoff_item_edit": {f"edit-{name}": value for name, value in item_fields.items()},
        # The approver already has v1; the rep does not, so a send writes a new email.
        "portal_training_module": {"action": "quiz",
                                   f"question-{question.public_id}": str(right.public_id)},
    }  # fmt: skip


def arrange_adoption(world: World) -> None:
    """Firm A's adoption tracking: the suggested rep key features and required fields, a login
    history upload (Ray and Vera in each of the last two completed weeks), its metrics, an open
    alert on Ray, a finished recompute job, and the firm's API key."""
    from enablement.services import api_keys, metrics, usage

    firm, engagement = world.firm_a, world.engagement
    last = week_of(timezone.localdate()) - timedelta(days=7)
    rows = "".join(
        f"{who.email},{monday + timedelta(days=day)} 09:00\n"
        for monday in (last - timedelta(days=7), last)
        for who, days in ((world.rep_stakeholder, 1), (world.approver_stakeholder, 5))
        for day in range(days)
    )
    with tenant_scope(firm):
        metrics.key_features_add_suggested(
            engagement=engagement, actor=world.consultant, role="rep"
        )
        metrics.required_fields_add_suggested(engagement=engagement, actor=world.consultant)
        usage.login_csv_ingest(
            engagement=engagement, data=f"Email,Login Time\n{rows}".encode(),
            filename=ADOPTION_UPLOAD, actor=world.consultant,
        )  # fmt: skip
        metrics.metrics_compute()
        api_keys.api_key_create(firm=firm, actor=world.owner, name=ADOPTION_KEY)
    AdoptionAlert.unscoped.create(
        firm=firm, engagement=engagement, subject=f"stakeholder:{world.rep_stakeholder.pk}",
        stakeholder=world.rep_stakeholder, role="rep", metric="active_days", severity="warning",
        title=ADOPTION_ALERT, threshold=3, value=1, weeks_below=2, first_week=last - timedelta(7),
        last_week=last,
    )  # fmt: skip
    Job.unscoped.create(
        firm=firm, engagement=engagement, kind="adoption_metrics", status=JobStatus.SUCCEEDED
    )


def _adoption_url_values(world: World) -> dict:
    engagement = world.engagement
    return {
        "metrics_job_id": lambda: (
            Job.unscoped.get(engagement=engagement, kind="adoption_metrics").public_id
        ),
        "usage_upload_id": lambda: UsageUpload.unscoped.get(engagement=engagement).public_id,
        "key_feature_id": lambda: (
            KeyFeature.unscoped.filter(engagement=engagement).first().public_id
        ),
        "required_field_id": lambda: (
            RequiredField.unscoped.filter(engagement=engagement).first().public_id
        ),
        "api_key_id": lambda: ApiKey.unscoped.get(firm=world.firm_a).public_id,
    }


def _adoption_payloads(world: World) -> dict[str, dict]:
    thresholds = {
        f"t-{role}-{metric}": "1"
        for role in StakeholderRole.values
        for metric in ("active_days", "logins", "completeness", "utilisation", "score")
    }
    yesterday = timezone.now() - timedelta(days=1)  # recent: old events are refused
    login = f"Email,Login Time\n{world.rep_stakeholder.email},{yesterday:%Y-%m-%d %H:%M}\n"
    return {
        # Posting alone takes effect for recompute, feature and field deletion, key revocation.
        "adoption_data": {
            "form": "logins",
            "logins-file": SimpleUploadedFile("intruder.csv", login.encode()),
        },
        "adoption_settings": {**thresholds, "settings-consecutive_weeks": "5"},
        "adoption_feature_add": {"feature-role": "rep", "feature-name": "intruder feature"},
        "adoption_field_add": {"field-object_name": "opportunity", "field-field_name": "intruder"},
        "api_keys": {"name": "Intruder key"},
    }  # fmt: skip


def _launch_item(world: World, kind: str):
    return LAUNCH_ITEM_MODELS[kind].unscoped.filter(engagement=world.engagement).get()


def _step(world: World) -> ScenarioStep:
    return ScenarioStep.unscoped.get(scenario__engagement=world.engagement)


BLUEPRINT_MODELS = {"stage": Stage, "integration": Integration, "reporting": ReportingItem}


def _blueprint_item(world: World, kind: str):
    return BLUEPRINT_MODELS[kind].unscoped.filter(engagement=world.engagement).get()


def url_for(world: World, url_name: str, kind: str | None = None) -> str:
    """The URL of firm A's engagement, of its (non-portal) stakeholder, of its tool, of Phase 1,
    and of the Phase 2, 3 and 4 objects `arrange_diagnostic`, `arrange_architecture` and
    `arrange_sprints` stored. A blueprint part URL takes `kind`, by default its kind in
    `BLUEPRINT_KINDS`."""
    engagement = world.engagement
    if url_name in LAUNCH_URLS:
        kind = kind or "runbook"
    elif url_name in HANDOFF_ITEM_URLS:
        kind = kind or "documents"
    else:
        kind = kind or BLUEPRINT_KINDS.get(url_name, "stage")

    def first(model: type[Model]):
        return lambda: model.unscoped.filter(engagement=engagement).get().public_id

    values = {
        "public_id": engagement.public_id,
        "stakeholder_id": world.rep_stakeholder.public_id,
        "phase": Phase.ONBOARDING.value,
        "section": "tools",
        "item_id": (
            (lambda: _blueprint_item(world, kind).public_id)
            if url_name in BLUEPRINT_KINDS
            else (lambda: _launch_item(world, kind).public_id)
            if url_name in LAUNCH_URLS
            else (lambda: _handoff_item(world, kind).public_id)
            if url_name in HANDOFF_ITEM_URLS
            else (lambda: _tool(world).public_id)
        ),
        "tool_id": lambda: _tool(world).public_id,
        "email_id": lambda: (
            OutboundEmail.unscoped.get(firm=world.firm_a, dedupe_key="isolation:failed").public_id
        ),
        "workshop_id": first(Workshop),
        "finding_id": first(Finding),
        "source_id": first(DataSource),
        "recommendation_id": first(Recommendation),
        "version_id": (
            first(registry.document_kind(kind).model) if url_name in DOCUMENT_URLS else None
        ),
        "prompt_id": lambda: WorkshopPrompt.unscoped.get(workshop__engagement=engagement).public_id,
        "kind": kind,
        "capability_id": first(Capability),
        "evaluation_id": first(Evaluation),
        "sprint_id": first(Sprint),
        "deliverable_id": first(Deliverable),
        "scenario_id": first(Scenario),
        "run_id": lambda: TestRun.unscoped.get(scenario__engagement=engagement).public_id,
        "result_id": lambda: (
            StepResult.unscoped.get(run__scenario__engagement=engagement).public_id
        ),
        "round_id": first(UatRound),
        "feedback_id": first(Feedback),
        "step_id": first(RunbookStep),
        "wave_id": first(Wave),
        "incident_id": first(Incident),
        **_migration_url_values(world),
        "module_id": first(TrainingModule),
        "question_id": lambda: QuizQuestion.unscoped.get(module__engagement=engagement).public_id,
        "attachment_id": lambda: (
            TrainingAttachment.unscoped.get(module__engagement=engagement).public_id
        ),
        "assignment_id": first(TrainingAssignment),
        **_adoption_url_values(world),
        "key": "rep-pipeline",
    }
    kwargs = {
        key: value() if callable(value) else value
        for key, value in values.items()
        if key in _pattern(url_name).pattern.converters
    }
    return reverse(url_name, kwargs=kwargs)


def hostile_payload(world: World, url_name: str, kind: str | None = None) -> dict:
    """Valid data for each form: if a guard let it through, firm A's data would change."""
    engagement_fields = {
        "client": world.client_x.pk,
        "name": "Taken over",
        "status": "cancelled",
    }
    stakeholder_fields = {"name": "Mallory", "email": "mallory@evil.example", "role": "rep"}
    payloads = {
        "client_list": {"name": "Intruder Ltd"},
        "team": {"email": "newhire@evil.example"},
        "gate_settings": {
            "due_business_days": "2",
            "reminder_days_before": "1",
            "escalation_days_after_due": "1",
        },
        "notification_settings": {"wants_daily_digest": "on"},
        "portal_notification_settings": {"wants_daily_digest": "on"},
        "engagement_create": engagement_fields,
        "engagement_edit": engagement_fields,
        "stakeholder_add": {**stakeholder_fields, "has_portal_access": "on"},
        "stakeholder_edit": stakeholder_fields,
        "phase_reopen": {"reason": "Taken over"},
        "onboarding_summary": {"summary-project_purpose": "Taken over"},
        "onboarding_raci": {f"raci-{world.rep_stakeholder.public_id}-onboarding": "A"},
        "onboarding_item_add": {"tools-name": "Intruder CRM", "tools-category": "crm"},
        "onboarding_item_edit": {"edit-tools-name": "Taken over", "edit-tools-category": "other"},
        "document_send": {"send-recipients": [world.rep_stakeholder.pk]},
    }
    if url_name in DIAGNOSTIC_URLS:
        payloads.update(_diagnostic_payloads(world))
    if url_name in ARCHITECTURE_URLS:
        payloads.update(_architecture_payloads(world))
    if url_name in SPRINTS_URLS:
        payloads.update(_sprints_payloads(world))
    if url_name in LAUNCH_URLS:
        payloads.update(_launch_payloads(world, kind or "runbook"))
    if url_name in MIGRATION_URLS:
        payloads.update(_migration_payloads(world))
    if url_name in TRAINING_URLS:
        payloads.update(_training_payloads(world, kind or "documents"))
    if url_name in ADOPTION_URLS:
        payloads.update(_adoption_payloads(world))
    if url_name == "portal_signoff_decide":
        digest = SignoffRequest.unscoped.get(engagement=world.engagement).digest
        # A valid rejection, with and without the form's prefix.
        reject = {"comment": "Taken over", "reviewed_digest": digest}
        payloads[url_name] = {
            "decision": "reject",
            **reject,
            **{f"reject-{name}": value for name, value in reject.items()},
        }
    return payloads.get(url_name, {})


def _diagnostic_payloads(world: World) -> dict[str, dict]:
    tool = f"tool-{_tool(world).public_id}"
    return {
        # Another firm's consultant adds to their own library; firm A's must not change.
        "prompt_library": {"group": "rep", "text": "Intruder prompt"},
        "diagnostic": {
            "plan-title": "Intruder session",
            "plan-group": "rep",
            "plan-objective": "Taken over",
        },
        "workshop": {"notes": "Taken over", "decisions": "Taken over"},
        "workshop_agenda_add": {"title": "Intruder item", "minutes": "15"},
        "workshop_finding": {"text": "Taken over"},
        "findings": {
            "finding-title": "Intruder finding",
            "finding-category": "process",
            "finding-severity": "high",
            "finding-process_view": "actual",
        },
        "finding_edit": {
            "finding-title": "Taken over",
            "finding-category": "data",
            "finding-severity": "low",
            "finding-process_view": "supposed",
        },
        "landscape": {"source-system": "Intruder DB", "source-objects_held": "everything"},
        "tool_assess": {f"{tool}-value": "5", f"{tool}-complexity": "1"},
        "report": {"save_draft": "", "draft-executive_summary": "Taken over"},
        # The approver already has v1; the rep does not, so a send writes a new email.
        "portal_prework": {"text": "Taken over"},
    }


def _architecture_payloads(world: World) -> dict[str, dict]:
    tool = f"tool-{_tool(world).public_id}"
    stage = f"stage-{_blueprint_item(world, 'stage').public_id}"
    evaluation = Evaluation.unscoped.get(engagement=world.engagement)
    criterion = Criterion.unscoped.filter(evaluation=evaluation).first()
    vendor = Vendor.unscoped.get(evaluation=evaluation)
    finding = Finding.unscoped.get(engagement=world.engagement)
    return {
        "architecture": {
            "add_capability": "",
            "capability-name": "Intruder capability",
            "capability-is_new_tool": "on",
            "capability-findings": [finding.pk],
        },
        "tool_decide": {f"{tool}-decision": "retire", f"{tool}-rationale": "Taken over"},
        "blueprint_part_add": {
            "integration-source_system": "Intruder DB",
            "integration-target_system": "HubSpot",
            "integration-objects_carried": "everything",
            "integration-direction": "one_way",
            "integration-trigger": "hourly",
        },
        "blueprint_part_edit": {f"{stage}-name": "Taken over", f"{stage}-system_of_record": "X"},
        # The approver already has v1; the rep does not, so a send writes a new email.
        "evaluations": {"title": "Intruder evaluation"},
        "evaluation": {"action": "vendor", "name": "Intruder vendor"},
        # The approver has no score yet: this one would be their first.
        "portal_scores": {f"score-{vendor.public_id}-{criterion.public_id}": "1"},
    }


def _sprints_payloads(world: World) -> dict[str, dict]:
    step = _step(world)
    scenario = step.scenario
    today = timezone.localdate().isoformat()
    return {
        "sprints": {
            "sprint-name": "Intruder sprint",
            "sprint-focus": "data",
            "sprint-goal": "Taken over",
            "sprint-start_date": today,
            "sprint-end_date": today,
            "sprint-status": "planned",
        },
        "sprint": {"deliverable-title": "Intruder deliverable"},
        "check_in": {"check_in-date": today, "check_in-progress": "Taken over"},
        "deliverable_move": {"status": "done"},
        "scenarios": {"scenario-title": "Intruder scenario", "scenario-is_critical": "on"},
        "scenario": {
            "add_step": "",
            "step-action": "Intruder step",
            "step-expected_result": "Taken over",
            "step-role": "rep",
        },
        "scenario_run": {f"status-{step.public_id}": "failed"},
        # The approver takes part already; the scenario is the one `arrange_sprints` stored.
        "uat": {
            "round-name": "Intruder round",
            "round-participants": [world.approver_stakeholder.pk],
            "round-scenarios": [scenario.pk],
        },
        "feedback_triage": {"triage": "wont_fix", "reason": "Taken over"},
        "portal_uat_run": {f"status-{step.public_id}": "failed"},
        "portal_feedback": {
            "category": "bug",
            "severity": "blocker",
            "location": "Taken over",
            "description": "Taken over",
            "expected": "Taken over",
        },
    }


def _launch_item_data(kind: str, name: str) -> dict:
    fields = {
        "runbook": {"title": name, "owner": "Mallory", "planned_at": "2030-01-01T09:00",
                    "minutes": "15"},
        "communication": {"audience_roles": ["rep"], "subject": name, "message": "Taken over",
                          "channel": "chat", "send_at": "2030-01-01T09:00"},
        "monitoring": {"description": name, "owner": "Mallory", "frequency": "hourly"},
        "rollback": {"title": name, "owner": "Mallory"},
    }[kind]  # fmt: skip
    return {f"{kind}-{field}": value for field, value in fields.items()}


def _launch_payloads(world: World, kind: str) -> dict[str, dict]:
    today = timezone.localdate().isoformat()
    return {
        "launch": {
            "plan-cutover_start": "2030-01-01T09:00",
            "plan-cutover_end": "2030-01-01T17:00",
            "plan-time_zone": "Europe/Paris",
            "plan-rollback_triggers": "Taken over",
        },
        "launch_item_add": _launch_item_data(kind, "Intruder item"),
        # Deleting, ticking and rendering need no data: the post alone would take effect.
        "runbook_tick": {"done": "1"},
        "waves": {
            "wave-name": "Intruder wave",
            "wave-planned_start": today,
            "wave-planned_end": today,
            "wave-go_criteria": "Taken over",
            "wave-members": [world.approver_stakeholder.pk],
        },
        "wave": {"decide": "", "decision-decision": "no_go", "decision-reason": "Taken over"},
        "hypercare": {
            "incident-title": "Intruder incident",
            "incident-category": "access",
            "incident-severity": "sev1",
        },
        "incident": {"update-status": "resolved"},
        "portal_incident_report": {"title": "Taken over", "category": "access", "severity": "sev1"},
    }


TENANT_MODELS: list[type[Model]] = [
    Client,
    GateSettings,
    Engagement,
    Stakeholder,
    Invitation,
    Membership,
    ActivityEvent,
    OutboundEmail,
    Charter,
    CharterVersion,
    HeadcountLine,
    Tool,
    PainPoint,
    SuccessMetric,
    Milestone,
    Meeting,
    RoleExclusion,
    RaciAssignment,
    PhaseState,
    SignoffRequest,
    SignoffDecision,
    Job,
    PromptTemplate,
    Workshop,
    WorkshopAttendee,
    AgendaItem,
    WorkshopPrompt,
    PreworkAnswer,
    Finding,
    FindingTool,
    DataSource,
    ToolAssessment,
    ToolOverlap,
    ReportDraft,
    Recommendation,
    RecommendationFinding,
    ReportVersion,
    ToolDecision,
    ToolDecisionFinding,
    Capability,
    CapabilityFinding,
    Stage,
    Integration,
    ReportingItem,
    Evaluation,
    EvaluationEvaluator,
    Criterion,
    Vendor,
    Score,
    BlueprintVersion,
    Sprint,
    Deliverable,
    CheckIn,
    Scenario,
    ScenarioStep,
    UatRound,
    UatParticipant,
    UatScenario,
    TestRun,
    StepResult,
    Feedback,
    LaunchPlan,
    RunbookStep,
    Communication,
    MonitoringCheck,
    RollbackStep,
    Wave,
    WaveMember,
    WaveDecision,
    PilotFeedback,
    Incident,
    EscalationPolicy,
    Escalation,
    LaunchPlanVersion,
    DataMigration,
    MigrationObject,
    MigrationField,
    SourceUpload,
    MigrationMapping,
    MigrationRun,
    RejectedRow,
    DuplicatePair,
    MigrationDataset,
    DatasetFile,
    EnablementSettings,
    TrainingModule,
    TrainingAttachment,
    QuizQuestion,
    QuizChoice,
    TrainingAssignment,
    QuizAttempt,
    DocumentTransfer,
    AccessTransfer,
    OpenItem,
    SupportPlan,
    HandoffPackVersion,
    ApiKey,
    AdoptionSettings,
    AdoptionThreshold,
    KeyFeature,
    RequiredField,
    UsageEvent,
    WeeklyMetric,
    DirtyWeek,
    UsageUpload,
    AdoptionAlert,
]


def firm_a_state(world: World) -> list:
    """Every firm A row of every tenant table, and its people's own preferences, for
    before/after comparison."""
    preferences = User.objects.filter(membership__firm=world.firm_a).order_by("pk")
    return [
        *(
            list(model.unscoped.filter(firm=world.firm_a).order_by("pk").values())
            for model in TENANT_MODELS
        ),
        list(preferences.values("pk", "wants_daily_digest")),
    ]


def response_text(response: HttpResponse) -> str:
    """The body, also of a streamed (file) response. Reading it to the end closes it; closing it
    again by hand would fire request_finished and close the test's database connection."""
    if not response.streaming:
        return response.content.decode()
    return b"".join(response.streaming_content).decode(errors="replace")


def assert_outcome(case: Case, response: HttpResponse) -> None:
    location = response.headers.get("Location", "")
    if case.outcome is Outcome.NOT_FOUND:
        assert response.status_code == 404
    elif case.outcome is Outcome.LOGIN:
        assert response.status_code == 302
        assert location.startswith(LOGIN_PREFIX)
    elif case.method == "GET":
        assert response.status_code == 200
    else:
        assert response.status_code in (200, 302, 400)
        assert not location.startswith(LOGIN_PREFIX)
    body = response_text(response)
    for text in case.contains:
        assert text in body
    for text in case.excludes:
        assert text not in body


@pytest.fixture(autouse=True)
def _media_in_a_temporary_directory(settings, tmp_path):
    """Report PDFs `arrange` stores go to a directory of the test's own."""
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.parametrize("case", MATRIX, ids=str)
def test_isolation_matrix(world, case):
    http = signed_in(persona(world, case.persona))
    arrange(world, case.url_name, case.kind)
    url = url_for(world, case.url_name, case.kind)
    before = firm_a_state(world)

    if case.method == "GET":
        response = http.get(url)
    elif case.outcome is Outcome.ALLOWED and case.persona in FIRM_A_USERS:
        response = http.post(url, {})
    else:
        response = http.post(url, hostile_payload(world, case.url_name, case.kind))

    assert_outcome(case, response)
    if case.outcome is not Outcome.ALLOWED or case.persona not in FIRM_A_STAFF:
        assert firm_a_state(world) == before


def test_every_workspace_and_portal_url_is_in_the_matrix():
    covered = {(case.url_name, case.persona) for case in MATRIX}
    names = [pattern.name for pattern in WORKSPACE_AND_PORTAL_PATTERNS]
    assert all(names), "every workspace and portal URL needs a name"
    missing = sorted(
        (name, who) for name in names for who in PERSONAS if (name, who) not in covered
    )
    assert missing == []


def test_the_matrix_compares_every_tenant_table():
    tenant_models = {
        model
        for model in apps.get_models()
        if issubclass(model, TenantModel) and hasattr(model, "unscoped")
    }

    assert sorted(m.__name__ for m in tenant_models - set(TENANT_MODELS)) == []


POSTED_URLS = sorted(
    {(case.url_name, case.kind) for case in MATRIX if case.method == "POST"},
    key=lambda posted: (posted[0], posted[1] or ""),
)


@pytest.mark.parametrize(
    ("url_name", "kind"), POSTED_URLS, ids=[f"{u}-{k}" if k else u for u, k in POSTED_URLS]
)
def test_each_hostile_payload_would_change_firm_a_data_if_a_guard_let_it_through(
    world, url_name, kind
):
    """A refused case proves something only if its payload, posted by someone allowed, takes
    effect in the arranged state."""
    allowed = next(
        case.persona
        for case in MATRIX
        if case.url_name == url_name
        and case.kind == kind
        and case.method == "POST"
        and case.outcome is Outcome.ALLOWED
        and case.persona in FIRM_A_USERS
    )
    arrange(world, url_name, kind)
    before = firm_a_state(world)

    signed_in(persona(world, allowed)).post(
        url_for(world, url_name, kind), hostile_payload(world, url_name, kind)
    )

    assert firm_a_state(world) != before


def sign_off_every_phase(world: World) -> None:
    """Every phase of firm A's engagement signed off: each phase's services refuse to edit."""
    for phase in WORKING_PHASES:
        PhaseState.unscoped.update_or_create(
            engagement=world.engagement,
            phase=phase,
            defaults={"status": PhaseStatus.SIGNED_OFF, "signed_off_at": timezone.now()},
            create_defaults={"firm": world.firm_a, "status": PhaseStatus.SIGNED_OFF},
        )


@pytest.mark.parametrize(
    ("url_name", "kind"), POSTED_URLS, ids=[f"{u}-{k}" if k else u for u, k in POSTED_URLS]
)
def test_no_post_is_a_server_error_when_the_service_refuses(world, url_name, kind):
    """Every POST endpoint, posted by someone allowed with a payload that would take effect,
    with every phase signed off: a refusal is shown to the user, never a 500 (the test client
    raises what a view lets through)."""
    allowed = next(
        case.persona
        for case in MATRIX
        if case.url_name == url_name
        and case.kind == kind
        and case.method == "POST"
        and case.outcome is Outcome.ALLOWED
        and case.persona in FIRM_A_USERS
    )
    arrange(world, url_name, kind)
    sign_off_every_phase(world)

    response = signed_in(persona(world, allowed)).post(
        url_for(world, url_name, kind), hostile_payload(world, url_name, kind)
    )

    assert response.status_code < 500


@pytest.mark.parametrize("who", ["consultant_b", "approver", "other_client_user", "anonymous"])
def test_a_forbidden_persona_cannot_delete_a_stakeholder(world, who):
    http = signed_in(persona(world, who))

    http.post(url_for(world, "stakeholder_delete"))

    assert Stakeholder.unscoped.filter(pk=world.rep_stakeholder.pk).exists()


def test_a_consultant_gets_404_on_an_unknown_engagement_id(world):
    response = signed_in(world.consultant).get(reverse("engagement_detail", args=[uuid.uuid4()]))

    assert response.status_code == 404


def test_the_404_page_says_page_not_found(world):
    response = signed_in(world.consultant_b).get(url_for(world, "engagement_detail"))

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "Xylo" not in response.content.decode()


def test_a_consultant_gets_404_on_another_firms_engagement(world):
    url = reverse("engagement_detail", args=[world.engagement_b.public_id])

    assert signed_in(world.consultant).get(url).status_code == 404


def test_a_stakeholder_of_another_engagement_gets_404_under_this_engagement(world):
    other = StakeholderFactory(engagement=world.engagement_y, name="Olga Other")
    url = reverse("stakeholder_edit", args=[world.engagement.public_id, other.public_id])

    assert signed_in(world.consultant).get(url).status_code == 404


def test_a_client_user_who_is_not_a_stakeholder_gets_404_on_the_portal_engagement(world):
    outsider = MembershipFactory(firm=world.firm_a, role=Role.CLIENT, client=world.client_x).user

    response = signed_in(outsider).get(url_for(world, "portal_engagement"))

    assert response.status_code == 404


def test_a_stakeholder_without_portal_access_gets_404_on_the_portal_engagement(world):
    user = MembershipFactory(firm=world.firm_a, role=Role.CLIENT, client=world.client_x).user
    StakeholderFactory(
        engagement=world.engagement, email=user.email, user=user, has_portal_access=False
    )

    response = signed_in(user).get(url_for(world, "portal_engagement"))

    assert response.status_code == 404


def test_a_user_of_another_client_linked_to_this_engagement_still_gets_404(world):
    StakeholderFactory(
        engagement=world.engagement,
        email=world.other_client_user.email,
        user=world.other_client_user,
        has_portal_access=True,
    )

    response = signed_in(world.other_client_user).get(url_for(world, "portal_engagement"))

    assert response.status_code == 404


def test_the_portal_stakeholder_page_does_not_list_another_clients_engagement(world):
    response = signed_in(world.approver).get(url_for(world, "portal_engagement"))

    assert response.status_code == 200
    assert "Yonder" not in response.content.decode()


# --- Phase 1: objects and names the URLs carry -------------------------------------------------


def test_an_unknown_charter_section_is_404(world):
    url = reverse("onboarding_item_add", args=[world.engagement.public_id, "bogus"])

    response = signed_in(world.consultant).post(url, {"bogus-name": "Anything"})

    assert response.status_code == 404


def test_a_tool_under_another_section_is_404(world):
    arrange(world, "onboarding_item_edit")
    url = reverse(
        "onboarding_item_edit",
        args=[world.engagement.public_id, "metrics", _tool(world).public_id],
    )

    assert signed_in(world.consultant).get(url).status_code == 404


def _other_tool(engagement: Engagement) -> Tool:
    return Tool.unscoped.create(
        firm=engagement.firm, engagement=engagement, name="Secret CRM", category="crm"
    )


@pytest.mark.parametrize("url_name", ["onboarding_item_edit", "onboarding_item_delete"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_tool_of_another_firms_engagement_is_404_under_this_engagement(world, url_name, method):
    tool = _other_tool(world.engagement_b)
    url = reverse(url_name, args=[world.engagement.public_id, "tools", tool.public_id])
    http = signed_in(world.consultant)

    response = http.get(url) if method == "GET" else http.post(url, {"edit-tools-name": "Mine"})

    assert response.status_code == 404
    tool.refresh_from_db()
    assert tool.name == "Secret CRM"


def test_another_firm_cannot_reach_its_own_tool_through_this_engagement(world):
    tool = _other_tool(world.engagement_b)
    url = reverse(
        "onboarding_item_delete", args=[world.engagement.public_id, "tools", tool.public_id]
    )

    assert signed_in(world.consultant_b).post(url).status_code == 404
    assert Tool.unscoped.filter(pk=tool.pk).exists()


def test_a_tool_of_another_engagement_of_the_same_firm_is_404_under_this_engagement(world):
    tool = _other_tool(world.engagement_y)
    url = reverse(
        "onboarding_item_delete", args=[world.engagement.public_id, "tools", tool.public_id]
    )

    assert signed_in(world.consultant).post(url).status_code == 404
    assert Tool.unscoped.filter(pk=tool.pk).exists()


# A phase whose app has not registered yet (the last one, as long as one is left).
UNREGISTERED = [p.value for p in WORKING_PHASES if not registry.is_available(p)][-1:]


@pytest.mark.parametrize("phase", ["bogus", *UNREGISTERED, "closed"])
@pytest.mark.parametrize("url_name", ["signoff_request", "phase_reopen"])
def test_an_unknown_or_unavailable_phase_is_404(world, url_name, phase):
    arrange(world, "signoff_request")
    url = reverse(url_name, args=[world.engagement.public_id, phase])

    response = signed_in(world.consultant).post(url, {"reason": "Because"})

    assert response.status_code == 404
    assert not SignoffRequest.unscoped.exists()


@pytest.mark.parametrize("phase", ["bogus", *UNREGISTERED])
def test_deciding_on_an_unknown_or_unavailable_phase_is_404(world, phase):
    url = reverse("portal_signoff_decide", args=[world.engagement.public_id, phase])

    response = signed_in(world.approver).post(url, {"decision": "approve"})

    assert response.status_code == 404


def test_a_client_user_gets_404_on_the_portal_charter_of_an_engagement_they_are_not_on(world):
    colleague = MembershipFactory(firm=world.firm_a, role=Role.CLIENT, client=world.client_x).user
    other = EngagementFactory(client=world.client_x, name="Xylo other project")
    StakeholderFactory(
        engagement=other, email=colleague.email, user=colleague, has_portal_access=True
    )

    response = signed_in(colleague).get(url_for(world, "portal_onboarding"))

    assert response.status_code == 404


# --- documents of every kind, and Phase 2's objects of another engagement ------------------


@pytest.mark.parametrize("kind", DOCUMENT_KINDS)
@pytest.mark.parametrize(
    ("url_name", "who"), [("document_download", "owner"), ("portal_document_download", "approver")]
)
def test_a_document_downloads_as_a_pdf_attachment(world, kind, url_name, who):
    arrange(world, url_name, kind)

    response = signed_in(persona(world, who)).get(url_for(world, url_name, kind))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    filename = registry.document_kind(kind).model.filename_stem + "-v1.pdf"
    assert filename in response["Content-Disposition"]
    assert response_text(response) == DOCUMENT_PDFS[kind].decode()


@pytest.mark.parametrize("kind", DOCUMENT_KINDS)
@pytest.mark.parametrize("url_name", ["document_download", "portal_document_download"])
@pytest.mark.parametrize("who", ["consultant_b", "other_client_user", "owner_b", "anonymous"])
def test_others_cannot_download_a_document(world, kind, who, url_name):
    arrange(world, url_name, kind)

    response = signed_in(persona(world, who)).get(url_for(world, url_name, kind))

    if who == "anonymous":
        assert response.status_code == 302
        assert response.headers["Location"].startswith(LOGIN_PREFIX)
    else:
        assert response.status_code == 404
    assert "%PDF" not in response_text(response)


@pytest.mark.parametrize("kind", DOCUMENT_KINDS)
def test_the_approver_cannot_download_a_version_that_was_not_sent(world, kind):
    arrange(world, "portal_document_download", kind)
    OutboundEmail.unscoped.filter(dedupe_key__startswith=f"{kind}:").delete()
    document = registry.document_kind(kind)

    response = signed_in(world.approver).get(url_for(world, "portal_document_download", kind))

    assert response.status_code == 404
    portal = registry.spec_for(document.phase).portal_url_name
    page = signed_in(world.approver).get(url_for(world, portal)).content.decode()
    assert f"The {document.noun} has not been shared yet." in page
    assert f"Download the {document.noun}" not in page


def test_an_unknown_document_kind_is_404(world):
    arrange(world, "document_download", "report")
    url = url_for(world, "document_download", "report").replace("/report/", "/bogus/")

    assert signed_in(world.owner).get(url).status_code == 404


def test_another_firms_consultant_cannot_edit_a_library_prompt_of_firm_a(world):
    arrange(world, "prompt_library")
    prompt = PromptTemplate.unscoped.get(firm=world.firm_a, text=FIRM_A_PROMPT)

    response = signed_in(world.consultant_b).post(
        reverse("prompt_library"), {"prompt": prompt.public_id, "text": "Taken over"}
    )

    assert response.status_code == 404
    prompt.refresh_from_db()
    assert prompt.text == FIRM_A_PROMPT


def _objects_of(engagement: Engagement) -> dict[str, str]:
    """A workshop, finding, data source, tool, recommendation and report version of another
    engagement, by the URL keyword each goes in."""
    firm = engagement.firm
    workshop = Workshop.unscoped.create(
        firm=firm, engagement=engagement, title="Other session", group="rep", objective="Other"
    )
    finding = Finding.unscoped.create(
        firm=firm, engagement=engagement, title="Other finding", category="data", severity="low"
    )
    job = Job.unscoped.create(
        firm=firm, engagement=engagement, kind="diagnostic_report", status=JobStatus.SUCCEEDED
    )
    version = ReportVersion.unscoped.create(
        firm=firm,
        engagement=engagement,
        number=1,
        job=job,
        file=default_storage.save("reports/other.pdf", ContentFile(PDF)),
        size=len(PDF),
    )
    return {
        "workshop_id": workshop.public_id,
        "finding_id": finding.public_id,
        "source_id": DataSource.unscoped.create(
            firm=firm, engagement=engagement, system="Other DB", objects_held="x"
        ).public_id,
        "tool_id": _other_tool(engagement).public_id,
        "recommendation_id": Recommendation.unscoped.create(
            firm=firm, engagement=engagement, title="Other recommendation"
        ).public_id,
        "version_id": version.public_id,
    }


OBJECT_URLS = [
    (pattern.name, keyword)
    for pattern in diagnostics_urls.workspace_patterns
    for keyword in pattern.pattern.converters
    if keyword != "public_id"
]


@pytest.mark.parametrize("other", ["engagement_y", "engagement_b"])
@pytest.mark.parametrize(("url_name", "keyword"), OBJECT_URLS)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_phase_2_object_of_another_engagement_is_404_under_this_engagement(
    world, url_name, keyword, method, other
):
    arrange(world, url_name)
    other_engagement = getattr(world, other)
    ids = _objects_of(other_engagement)
    url = reverse(url_name, kwargs={"public_id": world.engagement.public_id, keyword: ids[keyword]})
    other_rows = [
        list(model.unscoped.filter(firm=other_engagement.firm).order_by("pk").values())
        for model in TENANT_MODELS
    ]
    http = signed_in(world.consultant)

    response = http.get(url) if method == "GET" else http.post(url, {"delete": "", "text": "Mine"})

    assert response.status_code in (404, 405)
    assert [
        list(model.unscoped.filter(firm=other_engagement.firm).order_by("pk").values())
        for model in TENANT_MODELS
    ] == other_rows


def test_the_approver_cannot_answer_a_prompt_of_a_workshop_they_are_not_invited_to(world):
    arrange(world, "portal_prework")
    WorkshopAttendee.unscoped.all().delete()

    response = signed_in(world.approver).post(
        url_for(world, "portal_prework"), {"text": "Let me in"}
    )

    assert response.status_code == 404
    assert not PreworkAnswer.unscoped.exists()


# --- Phase 3: downloads, blueprint part kinds, and objects of another engagement ----------------


def test_the_owner_exports_the_evaluation_as_a_csv_attachment(world):
    arrange(world, "evaluation_csv")

    response = signed_in(world.owner).get(url_for(world, "evaluation_csv"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    assert ".csv" in response["Content-Disposition"]
    header, row = response_text(response).splitlines()[:2]
    assert header.startswith("Rank,Vendor,")
    assert row.startswith(f"1,{VENDOR},")


@pytest.mark.parametrize("who", ["approver", "other_client_user", "consultant_b", "anonymous"])
def test_others_cannot_export_the_evaluation(world, who):
    arrange(world, "evaluation_csv")

    response = signed_in(persona(world, who)).get(url_for(world, "evaluation_csv"))

    if who == "anonymous":
        assert response.status_code == 302
        assert response.headers["Location"].startswith(LOGIN_PREFIX)
    else:
        assert response.status_code == 404
    assert VENDOR not in response_text(response)


def _part_data(kind: str, prefix: str, name: str) -> dict:
    fields = {
        "stage": {"name": name, "system_of_record": "HubSpot"},
        "integration": {
            "source_system": name,
            "target_system": "HubSpot",
            "objects_carried": "contacts",
            "direction": "two_way",
            "trigger": "real time",
        },
        "reporting": {"name": name, "sources": "HubSpot"},
    }[kind]
    return {f"{prefix}-{field}": value for field, value in fields.items()}


def _part_names(world: World, kind: str) -> list[str]:
    field = "source_system" if kind == "integration" else "name"
    rows = BLUEPRINT_MODELS[kind].unscoped.filter(engagement=world.engagement)
    return sorted(rows.values_list(field, flat=True))


@pytest.mark.parametrize("kind", sorted(BLUEPRINT_MODELS))
def test_the_consultant_adds_edits_and_deletes_every_kind_of_blueprint_part(world, kind):
    arrange(world, "blueprint")
    http = signed_in(world.consultant)
    item = _blueprint_item(world, kind)

    added = http.post(url_for(world, "blueprint_part_add", kind), _part_data(kind, kind, "Added"))
    edited = http.post(
        reverse("blueprint_part_edit", args=[world.engagement.public_id, kind, item.public_id]),
        _part_data(kind, f"{kind}-{item.public_id}", "Edited"),
    )

    assert (added.status_code, edited.status_code) == (302, 302)
    assert _part_names(world, kind) == ["Added", "Edited"]
    deleted = http.post(
        reverse("blueprint_part_delete", args=[world.engagement.public_id, kind, item.public_id])
    )
    assert deleted.status_code == 302
    assert _part_names(world, kind) == ["Added"]


@pytest.mark.parametrize("kind", sorted(BLUEPRINT_MODELS))
@pytest.mark.parametrize("url_name", sorted(BLUEPRINT_KINDS))
@pytest.mark.parametrize("who", ["approver", "consultant_b"])
def test_no_kind_of_blueprint_part_is_reachable_by_a_client_or_another_firm(
    world, kind, url_name, who
):
    arrange(world, url_name)
    before = firm_a_state(world)
    item = _blueprint_item(world, kind)
    prefix = kind if url_name == "blueprint_part_add" else f"{kind}-{item.public_id}"

    response = signed_in(persona(world, who)).post(
        url_for(world, url_name, kind), _part_data(kind, prefix, "Taken over")
    )

    assert response.status_code == 404
    assert firm_a_state(world) == before


@pytest.mark.parametrize("url_name", sorted(BLUEPRINT_KINDS))
def test_an_unknown_blueprint_part_kind_is_404(world, url_name):
    arrange(world, url_name)
    before = firm_a_state(world)
    kwargs = {"public_id": world.engagement.public_id, "kind": "tool"}
    if url_name != "blueprint_part_add":
        kwargs["item_id"] = _tool(world).public_id

    response = signed_in(world.consultant).post(
        reverse(url_name, kwargs=kwargs), {"tool-name": "Taken over", "tool-category": "crm"}
    )

    assert response.status_code == 404
    assert firm_a_state(world) == before


def test_a_blueprint_part_under_another_kind_is_404(world):
    arrange(world, "blueprint_part_edit")
    stage = _blueprint_item(world, "stage")
    url = reverse(
        "blueprint_part_edit", args=[world.engagement.public_id, "reporting", stage.public_id]
    )

    response = signed_in(world.consultant).post(url, _part_data("reporting", "x", "Taken over"))

    assert response.status_code == 404


def _architecture_objects_of(engagement: Engagement) -> dict[str, object]:
    """A tool, capability, stage, integration, dashboard, blueprint version and evaluation of
    another engagement, by the URL keyword each goes in (blueprint parts by kind)."""
    firm = engagement.firm
    job = Job.unscoped.create(
        firm=firm, engagement=engagement, kind="architecture_blueprint", status=JobStatus.FAILED
    )
    return {
        "tool_id": _other_tool(engagement).public_id,
        "capability_id": Capability.unscoped.create(
            firm=firm, engagement=engagement, name="Other capability"
        ).public_id,
        "item_id": {
            "stage": Stage.unscoped.create(
                firm=firm, engagement=engagement, name="Other"
            ).public_id,
            "integration": Integration.unscoped.create(
                firm=firm,
                engagement=engagement,
                source_system="A",
                target_system="B",
                objects_carried="x",
                trigger="y",
            ).public_id,
            "reporting": ReportingItem.unscoped.create(
                firm=firm, engagement=engagement, name="Other board", sources="A"
            ).public_id,
        },
        "version_id": BlueprintVersion.unscoped.create(
            firm=firm, engagement=engagement, number=1, job=job
        ).public_id,
        "evaluation_id": Evaluation.unscoped.create(
            firm=firm, engagement=engagement, title="Other evaluation"
        ).public_id,
    }


PHASE_3_OBJECT_URLS = [
    (pattern.name, keyword, kind)
    for pattern in architecture_urls.workspace_patterns
    for keyword in pattern.pattern.converters
    if keyword not in ("public_id", "kind")
    for kind in (sorted(BLUEPRINT_MODELS) if keyword == "item_id" else [None])
]


@pytest.mark.parametrize("other", ["engagement_y", "engagement_b"])
@pytest.mark.parametrize(("url_name", "keyword", "kind"), PHASE_3_OBJECT_URLS)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_phase_3_object_of_another_engagement_is_404_under_this_engagement(
    world, url_name, keyword, kind, method, other
):
    arrange(world, url_name)
    other_engagement = getattr(world, other)
    ids = _architecture_objects_of(other_engagement)
    kwargs = {
        "public_id": world.engagement.public_id,
        keyword: ids[keyword][kind] if kind else ids[keyword],
    }
    if kind:
        kwargs["kind"] = kind
    url = reverse(url_name, kwargs=kwargs)
    other_rows = [
        list(model.unscoped.filter(firm=other_engagement.firm).order_by("pk").values())
        for model in TENANT_MODELS
    ]
    http = signed_in(world.consultant)

    response = (
        http.get(url)
        if method == "GET"
        else http.post(url, {"action": "vendor", "name": "Mine", f"{kind}-name": "Mine"})
    )

    assert response.status_code in (404, 405)
    assert [
        list(model.unscoped.filter(firm=other_engagement.firm).order_by("pk").values())
        for model in TENANT_MODELS
    ] == other_rows


def test_the_approver_cannot_score_an_evaluation_they_are_not_invited_to(world):
    arrange(world, "portal_scores")
    EvaluationEvaluator.unscoped.all().delete()
    payload = hostile_payload(world, "portal_scores")

    response = signed_in(world.approver).post(url_for(world, "portal_scores"), payload)

    assert response.status_code == 404
    assert not Score.unscoped.filter(evaluator=world.approver).exists()


def test_the_approver_cannot_score_an_evaluation_of_another_engagement(world):
    arrange(world, "portal_scores")
    other = EngagementFactory(client=world.client_x, name="Xylo other project")
    evaluation = Evaluation.unscoped.create(
        firm=world.firm_a, engagement=other, title="Other evaluation"
    )
    url = reverse("portal_scores", args=[world.engagement.public_id, evaluation.public_id])

    response = signed_in(world.approver).post(url, hostile_payload(world, "portal_scores"))

    assert response.status_code == 404
    assert not Score.unscoped.filter(evaluator=world.approver).exists()


# --- Phase 4: evidence downloads -----------------------------------------------------------------


def test_the_owner_downloads_the_evidence_as_an_attachment(world):
    arrange(world, "evidence_download")

    response = signed_in(world.owner).get(url_for(world, "evidence_download"))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert EVIDENCE_NAME in response["Content-Disposition"]
    assert response_text(response) == EVIDENCE.decode()


@pytest.mark.parametrize(
    "who", ["approver", "other_client_user", "consultant_b", "owner_b", "anonymous"]
)
def test_others_cannot_download_the_evidence(world, who):
    arrange(world, "evidence_download")

    response = signed_in(persona(world, who)).get(url_for(world, "evidence_download"))

    if who == "anonymous":
        assert response.status_code == 302
        assert response.headers["Location"].startswith(LOGIN_PREFIX)
    else:
        assert response.status_code == 404
    assert EVIDENCE.decode() not in response_text(response)


def _sprints_objects_of(engagement: Engagement) -> dict[str, object]:
    """A sprint, deliverable, scenario, run with evidence, UAT round and feedback item of another
    engagement, by the URL keyword each goes in."""
    firm = engagement.firm
    today = timezone.localdate()
    sprint = Sprint.unscoped.create(
        firm=firm, engagement=engagement, name="Other sprint", focus="crm", goal="Other",
        start_date=today, end_date=today,
    )  # fmt: skip
    scenario = Scenario.unscoped.create(
        firm=firm, engagement=engagement, title="Other scenario", changed_at=timezone.now()
    )
    step = ScenarioStep.unscoped.create(
        firm=firm, scenario=scenario, action="Other step", expected_result="x", role="rep"
    )
    run_by = Membership.unscoped.filter(firm=firm).exclude(role=Role.CLIENT).first().user
    run = TestRun.unscoped.create(
        firm=firm, scenario=scenario, run_by=run_by, outcome=RunOutcome.PASSED
    )
    result = StepResult.unscoped.create(
        firm=firm, run=run, step=step, status=RunOutcome.PASSED,
        evidence=default_storage.save("evidence/other.png", ContentFile(b"other evidence")),
    )  # fmt: skip
    uat_round = UatRound.unscoped.create(firm=firm, engagement=engagement, name="Other round")
    reporter = StakeholderFactory(engagement=engagement, name="Other reporter")
    return {
        "sprint_id": sprint.public_id,
        "deliverable_id": Deliverable.unscoped.create(
            firm=firm, engagement=engagement, sprint=sprint, title="Other deliverable"
        ).public_id,
        "scenario_id": scenario.public_id,
        "run_id": run.public_id,
        "result_id": result.public_id,
        "round_id": uat_round.public_id,
        "feedback_id": Feedback.unscoped.create(
            firm=firm, engagement=engagement, uat_round=uat_round, reporter=reporter,
            category="bug", severity="low", location="Other", description="x", expected="y",
        ).public_id,
    }  # fmt: skip


PHASE_4_OBJECT_URLS = [
    (pattern.name, keyword, who)
    for patterns, who in (
        (sprints_urls.workspace_patterns, "consultant"),
        (sprints_urls.portal_patterns, "approver"),
    )
    for pattern in patterns
    for keyword in pattern.pattern.converters
    if keyword != "public_id"
]


@pytest.mark.parametrize("other", ["engagement_y", "engagement_b"])
@pytest.mark.parametrize(("url_name", "keyword", "who"), PHASE_4_OBJECT_URLS)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_phase_4_object_of_another_engagement_is_404_under_this_engagement(
    world, url_name, keyword, who, method, other
):
    arrange(world, url_name)
    other_engagement = getattr(world, other)
    ids = _sprints_objects_of(other_engagement)
    # Every other keyword of the URL names firm A's own object: only `keyword` is foreign.
    kwargs = {**resolve(url_for(world, url_name)).kwargs, keyword: ids[keyword]}
    url = reverse(url_name, kwargs=kwargs)
    payload = hostile_payload(world, url_name)
    before = firm_a_state(world)
    other_rows = [
        list(model.unscoped.filter(firm=other_engagement.firm).order_by("pk").values())
        for model in TENANT_MODELS
    ]
    http = signed_in(persona(world, who))

    response = http.get(url) if method == "GET" else http.post(url, payload)

    assert response.status_code in (404, 405)
    assert b"other evidence" not in response_text(response).encode()
    assert firm_a_state(world) == before
    assert [
        list(model.unscoped.filter(firm=other_engagement.firm).order_by("pk").values())
        for model in TENANT_MODELS
    ] == other_rows


# --- Phase 5: launch plan item kinds, and objects of another engagement --------------


def _launch_item_names(world: World, kind: str) -> list[str]:
    field = {"communication": "subject", "monitoring": "description"}.get(kind, "title")
    rows = LAUNCH_ITEM_MODELS[kind].unscoped.filter(engagement=world.engagement)
    return sorted(rows.values_list(field, flat=True))


@pytest.mark.parametrize("kind", sorted(LAUNCH_ITEM_MODELS))
def test_the_consultant_adds_and_deletes_every_kind_of_launch_plan_item(world, kind):
    arrange(world, "launch")
    http = signed_in(world.consultant)
    item = _launch_item(world, kind)
    delete_url = url_for(world, "launch_item_delete", kind)

    added = http.post(url_for(world, "launch_item_add", kind), _launch_item_data(kind, "Added"))
    deleted = http.post(delete_url)

    assert (added.status_code, deleted.status_code) == (302, 302)
    assert _launch_item_names(world, kind) == ["Added"]
    assert not LAUNCH_ITEM_MODELS[kind].unscoped.filter(pk=item.pk).exists()


@pytest.mark.parametrize("kind", ["tool", "wave", "incident", "bogus"])
@pytest.mark.parametrize("url_name", LAUNCH_ITEM_URLS)
def test_an_unknown_launch_plan_item_kind_is_404(world, url_name, kind):
    arrange(world, url_name)
    before = firm_a_state(world)
    kwargs = {"public_id": world.engagement.public_id, "kind": kind}
    if url_name == "launch_item_delete":
        kwargs["item_id"] = {
            "tool": _tool(world).public_id,
            "wave": Wave.unscoped.get(engagement=world.engagement).public_id,
            "incident": Incident.unscoped.get(engagement=world.engagement).public_id,
            "bogus": _launch_item(world, "runbook").public_id,
        }[kind]

    response = signed_in(world.consultant).post(
        reverse(url_name, kwargs=kwargs), {f"{kind}-name": "Taken over", f"{kind}-title": "X"}
    )

    assert response.status_code == 404
    assert firm_a_state(world) == before


@pytest.mark.parametrize("kind", sorted(LAUNCH_ITEM_MODELS))
def test_a_launch_plan_item_under_another_kind_is_404(world, kind):
    arrange(world, "launch_item_delete")
    before = firm_a_state(world)
    other_kind = next(k for k in sorted(LAUNCH_ITEM_MODELS) if k != kind)
    url = reverse(
        "launch_item_delete",
        args=[world.engagement.public_id, other_kind, _launch_item(world, kind).public_id],
    )

    response = signed_in(world.consultant).post(url)

    assert response.status_code == 404
    assert firm_a_state(world) == before


@pytest.mark.parametrize("kind", sorted(LAUNCH_ITEM_MODELS))
@pytest.mark.parametrize("url_name", LAUNCH_ITEM_URLS)
@pytest.mark.parametrize("who", ["approver", "consultant_b"])
def test_no_kind_of_launch_plan_item_is_reachable_by_a_client_or_another_firm(
    world, kind, url_name, who
):
    arrange(world, url_name)
    before = firm_a_state(world)

    response = signed_in(persona(world, who)).post(
        url_for(world, url_name, kind), _launch_item_data(kind, "Taken over")
    )

    assert response.status_code == 404
    assert firm_a_state(world) == before


def _launch_objects_of(engagement: Engagement) -> dict[str, object]:
    """A launch plan item of every kind, a runbook step, a wave, an incident and a stored launch
    plan version of another engagement, by the URL keyword each goes in (items by kind)."""
    firm = engagement.firm
    now = timezone.now()
    reporter = Membership.unscoped.filter(firm=firm).exclude(role=Role.CLIENT).first().user
    step = RunbookStep.unscoped.create(
        firm=firm, engagement=engagement, title="Other step", owner="x", planned_at=now
    )
    job = Job.unscoped.create(
        firm=firm, engagement=engagement, kind="launch_plan", status=JobStatus.SUCCEEDED
    )
    return {
        "item_id": {
            "runbook": step.public_id,
            "communication": Communication.unscoped.create(
                firm=firm, engagement=engagement, subject="Other", message="x", send_at=now
            ).public_id,
            "monitoring": MonitoringCheck.unscoped.create(
                firm=firm, engagement=engagement, description="Other check"
            ).public_id,
            "rollback": RollbackStep.unscoped.create(
                firm=firm, engagement=engagement, title="Other rollback", owner="x"
            ).public_id,
        },
        "step_id": step.public_id,
        "wave_id": Wave.unscoped.create(
            firm=firm,
            engagement=engagement,
            name="Other wave",
            planned_start=now.date(),
            planned_end=now.date(),
            go_criteria="x",
        ).public_id,
        "incident_id": Incident.unscoped.create(
            firm=firm,
            engagement=engagement,
            title="Other incident",
            category="access",
            severity="sev1",
            reported_by=reporter,
        ).public_id,
        "version_id": LaunchPlanVersion.unscoped.create(
            firm=firm,
            engagement=engagement,
            number=1,
            job=job,
            file=default_storage.save("launch-plans/other.pdf", ContentFile(b"%PDF other plan")),
            size=15,
        ).public_id,
        **_migration_objects_of(engagement),
    }


PHASE_5_OBJECT_URLS = [
    (pattern.name, keyword, kind)
    for pattern in launch_urls.workspace_patterns
    for keyword in pattern.pattern.converters
    if keyword not in ("public_id", "kind")
    for kind in (sorted(LAUNCH_ITEM_MODELS) if keyword == "item_id" else [None])
]


@pytest.mark.parametrize("other", ["engagement_y", "engagement_b"])
@pytest.mark.parametrize(("url_name", "keyword", "kind"), PHASE_5_OBJECT_URLS)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_phase_5_object_of_another_engagement_is_404_under_this_engagement(
    world, url_name, keyword, kind, method, other
):
    arrange(world, url_name)
    other_engagement = getattr(world, other)
    ids = _launch_objects_of(other_engagement)
    # Every other keyword of the URL names firm A's own object: only `keyword` is foreign.
    kwargs = {
        **resolve(url_for(world, url_name, kind)).kwargs,
        keyword: ids[keyword][kind] if kind else ids[keyword],
    }
    url = reverse(url_name, kwargs=kwargs)
    payload = hostile_payload(world, url_name, kind)
    before = firm_a_state(world)
    other_rows = [
        list(model.unscoped.filter(firm=other_engagement.firm).order_by("pk").values())
        for model in TENANT_MODELS
    ]
    http = signed_in(world.consultant)

    response = http.get(url) if method == "GET" else http.post(url, payload)

    assert response.status_code in (404, 405)
    assert "other plan" not in response_text(response)
    assert firm_a_state(world) == before
    assert [
        list(model.unscoped.filter(firm=other_engagement.firm).order_by("pk").values())
        for model in TENANT_MODELS
    ] == other_rows


def test_the_approver_does_not_follow_an_incident_reported_by_someone_else(world):
    arrange(world, "portal_launch")
    http = signed_in(world.approver)

    reported = http.post(
        url_for(world, "portal_incident_report"),
        {"title": "My quote is empty", "category": "user_error", "severity": "sev3"},
    )
    page = http.get(url_for(world, "portal_launch")).content.decode()

    assert reported.status_code == 302
    assert "My quote is empty" in page
    assert INCIDENT_TITLE not in page


@pytest.mark.parametrize("who", ["consultant_b", "approver"])
def test_an_incident_cannot_be_assigned_to_another_firm_or_a_client_user(world, who):
    arrange(world, "incident")

    response = signed_in(world.consultant).post(
        url_for(world, "incident"),
        {"update-status": "responded", "update-assignee": persona(world, who).pk},
    )

    assert response.status_code == 400
    assert Incident.unscoped.get(engagement=world.engagement).assignee is None


# --- Phase 5: the data-migration workbench ------------------------------------------------------

MIGRATION_URLS = frozenset(
    pattern.name
    for pattern in launch_urls.workspace_patterns
    if pattern.name.startswith("migration")
)
MIGRATION_CSV = (
    "Contact ID,Last Name,E-mail\n"
    "C1,Smith,smith@xylo.example\n"
    "C2,Jones,not-an-email\n"
    "C3,Smith,smith@xylo.example\n"
)
MIGRATION_FIELD = "Work email"
MIGRATION_REVIEW_ID = "C9"
# Every file a committed dataset stores: (kind, download name, content).
MIGRATION_FILES = (
    ("clean", "contact-import-v1.csv", "legacy_id,last_name\r\nC1,Smith\r\n"),
    ("rejected", "contact-rejected-v1.csv", "row,legacy_id,reasons\r\n3,C2,Email: invalid\r\n"),
    ("outcomes", "contact-outcomes-v1.csv", "row,legacy_id,status\r\n2,C1,clean\r\n"),
    ("reconciliation", "reconciliation-v1.csv", "object,measure,rows\r\ncontact,rows_in,3\r\n"),
    ("reconciliation", "reconciliation-v1.json", '{"objects": []}\n'),
)
MIGRATION_MAPPING = [
    {"target": "last_name", "sources": ["Last Name"], "transforms": [{"op": "trim"}]},
    {"target": "email", "sources": ["E-mail"], "transforms": [{"op": "email"}]},
]


def arrange_migration(world: World, *, started: bool = True) -> None:
    """Firm A's engagement (in Phase 5, by `arrange_launch`) with its data migration set up: a
    deduplicated contact object with two fields, contacts.csv uploaded, checked and stored, its
    saved mapping, commit run #1 finished with a rejected row and a pair waiting for review, and
    dataset v1 with every kind of file stored. Nothing of it when `started` is False (the state
    where `migration_start` takes effect)."""
    if not started:
        return
    firm, engagement = world.firm_a, world.engagement
    DataMigration.unscoped.create(firm=firm, engagement=engagement)
    contact = MigrationObject.unscoped.create(
        firm=firm, engagement=engagement, name="contact", label="Contact", deduplicate=True
    )
    MigrationField.unscoped.create(
        firm=firm, target=contact, name="last_name", label="Last name", required=True, position=0
    )
    MigrationField.unscoped.create(
        firm=firm, target=contact, name="email", label=MIGRATION_FIELD, type="email", position=1
    )
    rows = [line.split(",") for line in MIGRATION_CSV.splitlines()]
    upload = SourceUpload.unscoped.create(
        firm=firm, engagement=engagement, target=contact, filename="contacts.csv",
        file=default_storage.save("migrations/test/contacts.csv", ContentFile(MIGRATION_CSV)),
        size=len(MIGRATION_CSV), status="ready", format="csv", encoding="utf-8", delimiter=",",
        headers=rows[0], preview=rows[1:], row_count=3, uploaded_by=world.consultant,
    )  # fmt: skip
    MigrationMapping.unscoped.create(
        firm=firm, target=contact, id_column="Contact ID", fields=MIGRATION_MAPPING
    )
    job = Job.unscoped.create(
        firm=firm, engagement=engagement, kind="migration_commit", status=JobStatus.SUCCEEDED
    )
    run = MigrationRun.unscoped.create(
        firm=firm, engagement=engagement, number=1, kind="commit", job=job,
        requested_by=world.consultant, rows_in=3, clean_count=1, merged_count=1,
        rejected_count=1, review_count=1,
        inputs={"objects": {"contact": {"upload": upload.pk, "filename": "contacts.csv",
                                        "rows": 3, "mapping": {}}}, "skipped": []},
        reconciliation={"objects": [{"object": "contact", "rows_in": 3, "clean": 1, "merged": 1,
                                     "rejected": 1, "review_pairs": 1,
                                     "rejected_by_reason": []}]},
    )  # fmt: skip
    RejectedRow.unscoped.create(
        firm=firm, run=run, object_name="contact", row_number=3, legacy_id="C2",
        reasons=[{"code": "invalid", "field": "email", "message": "Email: invalid."}],
        values={"Contact ID": "C2", "Last Name": "Jones", "E-mail": "not-an-email"},
    )  # fmt: skip
    DuplicatePair.unscoped.create(
        firm=firm, engagement=engagement, object_name="contact", left_id="C1",
        right_id=MIGRATION_REVIEW_ID, score=0.85, field_scores={"last_name": 1.0},
        left_values={"last_name": "Smith"}, right_values={"last_name": "Smith"}, run=run,
    )  # fmt: skip
    dataset = MigrationDataset.unscoped.create(
        firm=firm, engagement=engagement, number=1, run=run, rows_in=3, rejected_count=1
    )
    for position, (kind, filename, content) in enumerate(MIGRATION_FILES):
        DatasetFile.unscoped.create(
            firm=firm, dataset=dataset, kind=kind, object_name="contact", position=position,
            file=default_storage.save(f"migrations/test/{filename}", ContentFile(content)),
            filename=filename, size=len(content), digest="0" * 64, rows=1,
        )  # fmt: skip


def _migration_url_values(world: World) -> dict:
    """URL keywords of the workbench's objects `arrange_migration` stored (lazily)."""
    engagement = world.engagement
    return {
        "target_id": lambda: MigrationObject.unscoped.get(engagement=engagement).public_id,
        "field_id": lambda: (
            MigrationField.unscoped.filter(target__engagement=engagement)
            .order_by("position")
            .first()
            .public_id
        ),
        "upload_id": lambda: SourceUpload.unscoped.get(engagement=engagement).public_id,
        "migration_run_id": lambda: MigrationRun.unscoped.get(engagement=engagement).public_id,
        "pair_id": lambda: DuplicatePair.unscoped.get(engagement=engagement).public_id,
        "dataset_id": lambda: MigrationDataset.unscoped.get(engagement=engagement).public_id,
        "dataset_file_id": lambda: (
            DatasetFile.unscoped.filter(dataset__engagement=engagement)
            .order_by("position")
            .first()
            .public_id
        ),
    }


def _migration_payloads(world: World) -> dict[str, dict]:
    return {
        "migration": {
            "settings-auto_merge": "0.95",
            "settings-review": "0.5",
            "settings-default_rule": "most_recent",
            "settings-phone_region": "US",
            "settings-rejected_threshold": "50",
        },
        # Starting needs no data: `arrange` leaves the migration not set up for it.
        "migration_sources": {
            "upload-target": "contact",
            "upload-file": SimpleUploadedFile("intruder.csv", MIGRATION_CSV.encode()),
        },
        "migration_schema": {"object-name": "ticket", "object-label": "Ticket"},
        "migration_field_add": {
            "field-contact-name": "intruder",
            "field-contact-label": "Intruder",
            "field-contact-type": "text",
        },
        "migration_field_edit": {"field-label": "Taken over", "field-type": "text"},
        "migration_mapping": {
            "map-id_column": "Contact ID",
            "map-last_name-source": "Last Name",
            "map-last_name-transforms": "case upper",
        },
        "migration_runs": {"kind": "dry"},
        "migration_pair_decide": {"decision": "split"},
        "migration_dataset": {"note-note": "Taken over"},
        "migration_rollback": {"rollback-reason": "Taken over", "rollback-confirm": "on"},
    }


def _migration_objects_of(engagement: Engagement) -> dict[str, object]:
    """One of each workbench object of another engagement, by the URL keyword it goes in."""
    firm = engagement.firm
    contact = MigrationObject.unscoped.create(
        firm=firm, engagement=engagement, name="contact", label="Other contact"
    )
    field = MigrationField.unscoped.create(firm=firm, target=contact, name="x", label="Other")
    upload = SourceUpload.unscoped.create(
        firm=firm, engagement=engagement, target=contact, file="x.csv", filename="other.csv"
    )
    job = Job.unscoped.create(
        firm=firm, engagement=engagement, kind="migration_commit", status=JobStatus.SUCCEEDED
    )
    run = MigrationRun.unscoped.create(
        firm=firm, engagement=engagement, number=1, kind="commit", job=job
    )
    pair = DuplicatePair.unscoped.create(
        firm=firm, engagement=engagement, object_name="contact", left_id="a", right_id="b",
        score=0.9,
    )  # fmt: skip
    dataset = MigrationDataset.unscoped.create(firm=firm, engagement=engagement, number=1, run=run)
    stored = DatasetFile.unscoped.create(
        firm=firm, dataset=dataset, kind="clean", filename="other.csv",
        file=default_storage.save("migrations/other.csv", ContentFile(b"other plan")), digest="",
    )  # fmt: skip
    return {
        "target_id": contact.public_id,
        "field_id": field.public_id,
        "upload_id": upload.public_id,
        "migration_run_id": run.public_id,
        "pair_id": pair.public_id,
        "dataset_id": dataset.public_id,
        "dataset_file_id": stored.public_id,
    }


def _migration_file(world: World, filename: str) -> DatasetFile:
    return DatasetFile.unscoped.get(dataset__engagement=world.engagement, filename=filename)


@pytest.mark.parametrize("who", ["owner", "consultant"])
@pytest.mark.parametrize(("kind", "filename", "content"), MIGRATION_FILES)
def test_firm_staff_download_every_migration_file_as_an_attachment(
    world, who, kind, filename, content
):
    arrange(world, "migration_file_download")
    stored = _migration_file(world, filename)

    response = signed_in(persona(world, who)).get(
        reverse("migration_file_download", args=[world.engagement.public_id, stored.public_id])
    )

    assert response.status_code == 200
    assert f'attachment; filename="{filename}"' in response["Content-Disposition"]
    assert response_text(response) == content


@pytest.mark.parametrize(
    "who", ["approver", "other_client_user", "consultant_b", "owner_b", "anonymous"]
)
def test_nobody_else_downloads_any_migration_file(world, who):
    arrange(world, "migration_file_download")
    http = signed_in(persona(world, who))

    for _, filename, content in MIGRATION_FILES:
        stored = _migration_file(world, filename)
        response = http.get(
            reverse("migration_file_download", args=[world.engagement.public_id, stored.public_id])
        )
        assert response.status_code in (302, 404)
        assert content not in response_text(response)


def test_a_migration_file_of_another_firm_is_404_even_under_its_own_engagement(world):
    """Firm B's consultant cannot reach firm A's file through firm B's own engagement."""
    arrange(world, "migration_file_download")
    stored = _migration_file(world, "contact-import-v1.csv")

    response = signed_in(world.consultant_b).get(
        reverse("migration_file_download", args=[world.engagement_b.public_id, stored.public_id])
    )

    assert response.status_code == 404


# --- Phase 6 adoption: the REST API, every URL with every credential ------------------------------

API_URLS = ("api_engagements", "api_usage_events", "api_weekly_metrics")
# credential → (outcome on firm A's engagement URLs, outcome on the engagement list)
API_CREDENTIALS = {
    "firm A's key": (200, 200),
    "firm A's revoked key": (401, 401),
    "firm B's key": (404, 200),
    "no credential": (401, 401),
    "owner": (200, 200),
    "consultant": (200, 200),
    "approver": (403, 403),
    "other_client_user": (403, 403),
    "consultant_b": (404, 200),
}


def _api_request(world: World, credential: str, url_name: str):
    from django.test import Client as HttpClient

    from enablement.services import api_keys

    headers, http = {}, HttpClient()
    if credential.endswith("key"):
        firm = world.firm_b if credential.startswith("firm B") else world.firm_a
        actor = world.consultant_b if firm == world.firm_b else world.owner
        with tenant_scope(firm):
            row, key = api_keys.api_key_create(firm=firm, actor=actor, name=credential)
            if "revoked" in credential:
                api_keys.api_key_revoke(api_key=row, actor=actor)
        headers = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
    elif credential != "no credential":
        http = signed_in(persona(world, credential))
    if url_name == "api_engagements":
        return http.get(reverse(url_name), **headers)
    url = reverse(url_name, args=[world.engagement.public_id])
    if url_name == "api_weekly_metrics":
        return http.get(url, **headers)
    yesterday = (timezone.now() - timedelta(days=1)).isoformat()  # recent: old events are refused
    body = {"events": [{"user": world.rep_stakeholder.email, "kind": "login",
                        "timestamp": yesterday}]}  # fmt: skip
    return http.post(url, body, content_type="application/json", **headers)


@pytest.mark.parametrize("url_name", API_URLS)
@pytest.mark.parametrize("credential", API_CREDENTIALS)
def test_every_api_url_with_every_credential(world, credential, url_name):
    arrange(world, "adoption")
    allowed_statuses = {"api_usage_events": 201}
    engagement_outcome, list_outcome = API_CREDENTIALS[credential]
    expected = list_outcome if url_name == "api_engagements" else engagement_outcome
    expected = allowed_statuses.get(url_name, 200) if expected == 200 else expected
    before = firm_a_state(world)

    response = _api_request(world, credential, url_name)

    assert response.status_code == expected
    body = response.content.decode()
    mine = credential in ("firm A's key", "owner", "consultant")
    if not mine:
        for text in (*FIRM_A_DATA, world.rep_stakeholder.email, world.engagement.name):
            assert text not in body
        state = firm_a_state(world)
        # A key created for the case is firm A's own row (and its last use); nothing else moves.
        # The tenant tables come first in the state, the people's preferences last.
        tables = len(TENANT_MODELS)
        assert [rows for model, rows in zip(TENANT_MODELS, state[:tables], strict=True)
                if model is not ApiKey] == [
            rows for model, rows in zip(TENANT_MODELS, before[:tables], strict=True)
            if model is not ApiKey
        ]  # fmt: skip
        assert state[tables:] == before[tables:]
    elif url_name == "api_usage_events":
        assert firm_a_state(world) != before
    else:
        assert "Xylo sales system" in body or world.rep_stakeholder.email in body
