"""Create the demo firm `make run` shows. Running it again creates nothing new.

One client, Acme Robotics, with an engagement in each of Phases 1, 2, 3, 5 and 6, and a second
Phase 1 one stalled with an overdue sign-off. The Phase 5 and Phase 6 ones are filled by
`launch.demo` and `enablement.demo`."""

import logging
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from config.celery import app as celery_app
from engagements import services
from engagements.models import (
    Decision,
    Engagement,
    Firm,
    Membership,
    PhaseState,
    PhaseStatus,
    Role,
    SignoffRequest,
    Stakeholder,
    StakeholderRole,
    Tool,
    User,
)
from engagements.phases import WORKING_PHASES, Phase
from engagements.services import charter, signoffs
from engagements.services.signoffs import live_snapshot
from engagements.tenancy import tenant_scope

DEMO_FIRM = "Northwind Sales Systems"
DEMO_PASSWORD = "waypoint-demo-2026"  # noqa: S105 - printed on purpose; demo data only
OWNER_EMAIL = "owner@northwind.example"
CONSULTANT_EMAIL = "consultant@northwind.example"
APPROVER_EMAIL = "dana.sponsor@acme.example"
REP_EMAIL = "tom.becker@acme.example"

STAKEHOLDERS = [
    ("Dana Whitfield", APPROVER_EMAIL, "VP Sales", StakeholderRole.LEADERSHIP, True),
    # Second on purpose: the demo usage (`enablement.services.usage.demo_events`) has the
    # second stakeholder drift away, which the Phase 6 adoption alerts catch.
    ("Aisha Okafor", "aisha.okafor@acme.example", "SDR", StakeholderRole.REP, False),
    ("Marcus Lee", "marcus.lee@acme.example", "CRO", StakeholderRole.LEADERSHIP, False),
    (
        "Priya Raman",
        "priya.raman@acme.example",
        "Sales Manager, West",
        StakeholderRole.MANAGER,
        False,
    ),
    ("Tom Becker", REP_EMAIL, "Account Executive", StakeholderRole.REP, False),
    ("Jonas Berg", "jonas.berg@acme.example", "Revenue Operations", StakeholderRole.OPS, False),
]

ENGAGEMENTS = [
    ("Sales system redesign", Phase.DIAGNOSTIC, 30),
    ("EMEA team onboarding", Phase.ONBOARDING, 5),
    ("Partner channel pipeline", Phase.ARCHITECTURE, 75),
    ("Field sales CRM migration", Phase.LAUNCH, 140),
    ("Inside sales rollout", Phase.ENABLEMENT, 165),
    ("APAC expansion", Phase.ONBOARDING, 45),
]
# Phase 1 engagements whose charter is done and waits on Dana: one due in two days, and one
# stalled in Phase 1 for five weeks with its request overdue, so reminders, overdue notices and
# escalations run in `make run` and the portfolio shows a stuck gate.
WAITING_ON_APPROVER = {"EMEA team onboarding": 2, "APAC expansion": -3}
STALLED_SINCE_DAYS = {"APAC expansion": 35}


class Command(BaseCommand):
    help = (
        "Create a demo firm with an owner, a consultant, a client with two portal users, and six "
        "engagements: two in Phase 1 awaiting the approver's sign-off (one due in two days, one "
        "overdue and stalled), and one each in Phases 2, 3, 5 (launch plan, pilot wave, data "
        "migration after a dry run) and 6 (training part-completed, eight weeks of adoption with "
        "alerts, handoff half done). Does nothing if the demo firm exists."
    )

    def handle(self, *args, **options) -> None:
        if Firm.objects.filter(name=DEMO_FIRM).exists():
            self.stdout.write("Demo data already present; nothing created.")
        else:
            # Demo people are fictional: their emails go nowhere. Tasks (sending those emails)
            # run here, not in a worker that would use the real email backend, and quietly.
            eager = celery_app.conf.task_always_eager
            trace = logging.getLogger("celery.app.trace")
            level = trace.level
            celery_app.conf.task_always_eager = True
            trace.setLevel(logging.WARNING)
            try:
                with override_settings(
                    EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"
                ):
                    self._create()
            finally:
                celery_app.conf.task_always_eager = eager
                trace.setLevel(level)
            self.stdout.write(self.style.SUCCESS("Demo data created."))
        self._print_sign_in()

    @transaction.atomic
    def _create(self) -> None:
        owner = services.firm_create(
            name=DEMO_FIRM,
            owner_email=OWNER_EMAIL,
            owner_name="Olivia Owner",
            owner_password=DEMO_PASSWORD,
        )
        firm = owner.firm
        with tenant_scope(firm):
            consultant = User.objects.create_user(
                CONSULTANT_EMAIL, DEMO_PASSWORD, full_name="Casey Consultant"
            )
            Membership.objects.create(firm=firm, user=consultant, role=Role.CONSULTANT)
            client = services.client_create(
                firm=firm, name="Acme Robotics", industry="Manufacturing"
            )
            approver = User.objects.create_user(
                APPROVER_EMAIL, DEMO_PASSWORD, full_name="Dana Whitfield"
            )
            Membership.objects.create(firm=firm, user=approver, role=Role.CLIENT, client=client)
            rep = User.objects.create_user(REP_EMAIL, DEMO_PASSWORD, full_name="Tom Becker")
            Membership.objects.create(firm=firm, user=rep, role=Role.CLIENT, client=client)
            for name, phase, days_ago in ENGAGEMENTS:
                self._engagement(client, consultant, approver, rep, name, phase, days_ago)

    def _engagement(self, client, consultant, approver, rep, name, phase, days_ago) -> Engagement:
        start = date.today() - timedelta(days=days_ago)
        engagement = services.engagement_create(
            actor=consultant,
            client=client,
            name=name,
            lead_consultant=consultant,
            start_date=start,
            target_date=start + timedelta(days=180),
        )
        for person, email, title, role, is_approver in STAKEHOLDERS:
            stakeholder = services.stakeholder_create(
                engagement=engagement,
                actor=consultant,
                name=person,
                email=email,
                title=title,
                role=role,
                is_approver=is_approver,
            )
            if email == APPROVER_EMAIL:
                stakeholder.user = approver
                stakeholder.save(update_fields=["user"])
            if email == REP_EMAIL and phase == Phase.ENABLEMENT:
                # The rep takes their training in the portal of the Phase 6 engagement.
                stakeholder.user = rep
                stakeholder.has_portal_access = True
                stakeholder.save(update_fields=["user", "has_portal_access"])
        waiting = WAITING_ON_APPROVER.get(name)
        self._charter(
            engagement, consultant, complete=phase != Phase.ONBOARDING or waiting is not None
        )
        if phase != Phase.ONBOARDING:
            self._sign_off_phase_one(engagement, consultant)
        if waiting is not None:
            self._request_phase_one(engagement, consultant, due_in_days=waiting)
        if phase in (Phase.DIAGNOSTIC, Phase.ARCHITECTURE):
            self._diagnostic(engagement, consultant)
        if phase == Phase.ARCHITECTURE:
            # Demo history, kept short: the diagnostic sign-off is recorded directly rather than
            # through rendering, sending and approving a report.
            PhaseState.objects.create(
                firm=engagement.firm,
                engagement=engagement,
                phase=Phase.DIAGNOSTIC,
                status=PhaseStatus.SIGNED_OFF,
            )
            signoffs.engagement_advance(engagement=engagement, actor=consultant)
            self._architecture(engagement, consultant)
        if phase in (Phase.LAUNCH, Phase.ENABLEMENT):
            # Demo history, kept short: the phases between are recorded as signed off directly.
            for earlier in WORKING_PHASES[1 : WORKING_PHASES.index(phase)]:
                PhaseState.objects.create(
                    firm=engagement.firm,
                    engagement=engagement,
                    phase=earlier,
                    status=PhaseStatus.SIGNED_OFF,
                )
                signoffs.engagement_advance(engagement=engagement, actor=consultant)
        if phase == Phase.LAUNCH:
            from launch.demo import launch_demo

            launch_demo(engagement=engagement, actor=consultant)
        if phase == Phase.ENABLEMENT:
            from enablement.demo import enablement_demo

            enablement_demo(engagement=engagement, actor=consultant)
        # Demo history: the engagement reached its phase a while ago (a third of its age), or
        # for the stalled one, five weeks ago.
        in_phase_days = STALLED_SINCE_DAYS.get(name, max(2, days_ago // 3))
        Engagement.objects.filter(pk=engagement.pk).update(
            phase_entered_at=timezone.now() - timedelta(days=in_phase_days)
        )
        return engagement

    def _architecture(self, engagement, consultant) -> None:
        """Decisions on the tools, a new capability, and a vendor evaluation part-way."""
        from architecture import services as architecture
        from architecture.models import Criterion, Stage
        from diagnostics.models import Finding

        findings = list(Finding.objects.filter(engagement=engagement))
        tools = {t.name: t for t in Tool.objects.filter(engagement=engagement)}
        capability = architecture.capability_save(
            engagement=engagement, actor=consultant, name="Conversation intelligence",
            tool_name="Call recorder", findings=findings, is_new_tool=True, seats=18,
            monthly_cost=Decimal("900"),
        )  # fmt: skip
        decisions = [
            ("Salesforce", "keep", findings, "The system of record: fix its stages, keep it."),
            ("Outreach", "keep", [], "Reps use it daily; sync it properly with Salesforce."),
            ("Forecast spreadsheet", "retire", findings, "Forecasts move into Salesforce."),
        ]
        for name, decision, linked, rationale in decisions:
            architecture.tool_decision_save(
                tool=tools[name], actor=consultant, decision=decision, findings=linked,
                rationale=rationale,
            )  # fmt: skip
        architecture.stages_ensure(engagement=engagement)

        for stage in Stage.objects.filter(engagement=engagement):
            system = "Outreach" if stage.position < 2 else "Salesforce"
            architecture.stage_save(
                engagement=engagement, actor=consultant, stage=stage, system_of_record=system,
                roles=["rep"] if stage.position < 5 else ["rep", "manager"],
            )  # fmt: skip
        architecture.integration_save(
            engagement=engagement, actor=consultant, source_system="Outreach",
            target_system="Salesforce", objects_carried="contacts, activities",
            direction="two_way", trigger="every 5 minutes", is_automated=True, owner="Jonas Berg",
        )  # fmt: skip
        architecture.reporting_item_save(
            engagement=engagement, actor=consultant, name="Pipeline coverage by rep",
            sources="Salesforce", success_metric=None,
        )  # fmt: skip
        evaluation = architecture.evaluation_create(
            engagement=engagement, actor=consultant, title="Conversation intelligence",
            capability=capability,
        )  # fmt: skip
        vendors = [
            architecture.vendor_add(evaluation=evaluation, actor=consultant, name=name)
            for name in ("Gong", "Chorus", "Avoma")
        ]
        criteria = list(Criterion.objects.filter(evaluation=evaluation))
        ratings = {"Gong": [5, 4, 2, 5, 5], "Chorus": [4, 4, 3, 4, 3], "Avoma": [3, 3, 5, 3, 3]}
        architecture.scores_save(
            evaluation=evaluation,
            evaluator=consultant,
            scores={
                (vendor.pk, criterion.pk): (ratings[vendor.name][i], "")
                for vendor in vendors
                for i, criterion in enumerate(criteria)
            },
        )

    def _charter(self, engagement, consultant, *, complete: bool) -> None:
        def add(section: str, **data) -> None:
            charter.charter_item_create(
                engagement=engagement, actor=consultant, section=section, data=data
            )

        charter.charter_summary_update(
            engagement=engagement,
            actor=consultant,
            current_process="Leads arrive by web form and events; reps qualify in spreadsheets "
            "and move deals in the CRM when they remember to.",
            sales_motion="mixed",
            goals="One pipeline everyone trusts, and a forecast leadership can act on.",
            project_purpose="Redesigning how Acme sells from first touch to renewal — not "
            "“fixing the CRM”.",
            scope_in="Pipeline stages, CRM, sales engagement, reporting.",
            scope_out="Marketing automation and billing.",
        )
        add(
            "tools",
            name="Salesforce",
            category="crm",
            monthly_cost=Decimal("4200"),
            seats=28,
            owner="Jonas Berg",
            satisfaction=2,
            is_system_of_record=True,
        )
        add(
            "tools",
            name="Outreach",
            category="engagement",
            monthly_cost=Decimal("1800"),
            seats=18,
            owner="Priya Raman",
            satisfaction=3,
            is_system_of_record=False,
        )
        add(
            "tools",
            name="Forecast spreadsheet",
            category="spreadsheet",
            monthly_cost=None,
            seats=None,
            owner="Marcus Lee",
            satisfaction=1,
            is_system_of_record=False,
        )
        add(
            "pain-points",
            role="rep",
            severity="high",
            description="Logging a call takes six clicks across two tools.",
        )
        add(
            "pain-points",
            role="manager",
            severity="critical",
            description="No view of pipeline coverage by rep without exporting.",
        )
        add("headcount", role="rep", team="West", headcount=12)
        add("headcount", role="manager", team="", headcount=3)
        add(
            "metrics",
            name="Forecast accuracy",
            unit="%",
            baseline=Decimal("55"),
            target=Decimal("80"),
            measurement="Quarter-end forecast vs closed-won",
            due_date=None,
        )
        phases = WORKING_PHASES if complete else WORKING_PHASES[:3]
        start = engagement.start_date
        for index, phase in enumerate(phases):
            add(
                "milestones",
                phase=phase.value,
                title=f"{phase.label} signed off",
                due_date=start + timedelta(days=30 * (index + 1)),
            )
        if complete:
            add(
                "meetings",
                name="Weekly steering",
                attendee_roles=["leadership", "ops"],
                cadence="weekly",
                channel="Zoom",
            )

    def _diagnostic(self, engagement, consultant) -> None:
        """Two sessions held and one planned, with findings drawn from what was said."""
        # Phase apps are optional to `engagements`; the demo uses one only if it is installed.
        from diagnostics import services as diagnostics

        stakeholders = {s.role: s for s in Stakeholder.objects.filter(engagement=engagement)}
        reps = diagnostics.workshop_create(
            engagement=engagement, actor=consultant, title="Reps: a day in the pipeline",
            group="rep", objective="Find where the process slows reps down.",
            facilitator=consultant, attendees=[stakeholders["rep"]],
        )  # fmt: skip
        answer = "I log every call twice: once in Outreach, once in Salesforce."
        first = reps.prompts.first()
        diagnostics.workshop_capture(
            workshop=reps, actor=consultant, complete=True,
            notes="Reps keep their own spreadsheets for next steps.\n"
            "Stage names mean different things to each rep.",
            decisions="Map the real stages before designing new ones.",
            answers={first.pk: answer},
        )  # fmt: skip
        diagnostics.finding_from_notes(workshop=reps, actor=consultant, text=answer)
        diagnostics.workshop_create(
            engagement=engagement, actor=consultant, title="Managers: forecast and visibility",
            group="manager", objective="Find where managers lack visibility.",
            facilitator=consultant, attendees=[stakeholders["manager"]],
        )  # fmt: skip

    def _sign_off_phase_one(self, engagement, consultant) -> None:
        request = signoffs.signoff_request_create(
            engagement=engagement, phase=Phase.ONBOARDING, actor=consultant
        )
        approver = Stakeholder.objects.get(engagement=engagement, is_approver=True)
        _, digest = live_snapshot(engagement=engagement, phase=Phase.ONBOARDING)
        signoffs.signoff_decide(
            request=request,
            stakeholder=approver,
            decision=Decision.APPROVE,
            reviewed_digest=digest,
            typed_name=approver.name,
            comment="Agreed — let's go.",
        )
        signoffs.engagement_advance(engagement=engagement, actor=consultant)

    def _request_phase_one(self, engagement, consultant, *, due_in_days: int) -> None:
        request = signoffs.signoff_request_create(
            engagement=engagement, phase=Phase.ONBOARDING, actor=consultant
        )
        if due_in_days >= 0:
            request.due_date = date.today() + timedelta(days=due_in_days)
            request.save(update_fields=["due_date"])
            return
        # Demo history: a request made nine days ago, and due some days ago, so it is overdue.
        asked = timezone.now() - timedelta(days=9)
        SignoffRequest.objects.filter(pk=request.pk).update(
            created_at=asked, due_date=date.today() + timedelta(days=due_in_days)
        )

    def _print_sign_in(self) -> None:
        self.stdout.write(
            f"\nSign in at {settings.SITE_URL}/accounts/login/ with password "
            f"{DEMO_PASSWORD!r} as:\n"
            f"  consultant (workspace):     {CONSULTANT_EMAIL}\n"
            f"  firm owner (workspace):     {OWNER_EMAIL}\n"
            f"  client approver (portal):   {APPROVER_EMAIL}\n"
            f"  client rep (portal):        {REP_EMAIL}"
            "  (takes training in “Inside sales rollout”)\n"
        )
