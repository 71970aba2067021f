"""Create the demo firm `make run` shows. Running it again creates nothing new."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand
from django.db import transaction

from engagements import services
from engagements.models import Engagement, Firm, Membership, Role, StakeholderRole, User
from engagements.phases import Phase
from engagements.tenancy import tenant_scope

DEMO_FIRM = "Northwind Sales Systems"
DEMO_PASSWORD = "waypoint-demo-2026"  # noqa: S105 - printed on purpose; demo data only
OWNER_EMAIL = "owner@northwind.example"
CONSULTANT_EMAIL = "consultant@northwind.example"
APPROVER_EMAIL = "dana.sponsor@acme.example"

STAKEHOLDERS = [
    ("Dana Whitfield", APPROVER_EMAIL, "VP Sales", StakeholderRole.LEADERSHIP, True),
    ("Marcus Lee", "marcus.lee@acme.example", "CRO", StakeholderRole.LEADERSHIP, False),
    (
        "Priya Raman",
        "priya.raman@acme.example",
        "Sales Manager, West",
        StakeholderRole.MANAGER,
        False,
    ),
    ("Tom Becker", "tom.becker@acme.example", "Account Executive", StakeholderRole.REP, False),
    ("Aisha Okafor", "aisha.okafor@acme.example", "SDR", StakeholderRole.REP, False),
    ("Jonas Berg", "jonas.berg@acme.example", "Revenue Operations", StakeholderRole.OPS, False),
]

ENGAGEMENTS = [
    ("Sales system redesign", Phase.DIAGNOSTIC, 30),
    ("EMEA team onboarding", Phase.ONBOARDING, 5),
    ("Partner channel pipeline", Phase.ARCHITECTURE, 75),
]


class Command(BaseCommand):
    help = "Create a demo firm with an owner, a consultant, a client and three engagements."

    def handle(self, *args, **options) -> None:
        if Firm.objects.filter(name=DEMO_FIRM).exists():
            self.stdout.write("Demo data already present; nothing created.")
        else:
            self._create()
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
            for name, phase, days_ago in ENGAGEMENTS:
                self._engagement(client, consultant, approver, name, phase, days_ago)

    def _engagement(self, client, consultant, approver, name, phase, days_ago) -> Engagement:
        start = date.today() - timedelta(days=days_ago)
        engagement = services.engagement_create(
            actor=consultant,
            client=client,
            name=name,
            lead_consultant=consultant,
            start_date=start,
            target_date=start + timedelta(days=180),
        )
        engagement.current_phase = phase
        engagement.save(update_fields=["current_phase"])
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
        return engagement

    def _print_sign_in(self) -> None:
        self.stdout.write(
            "\nSign in at http://127.0.0.1:8000/accounts/login/ with password "
            f"{DEMO_PASSWORD!r} as:\n"
            f"  consultant (workspace):     {CONSULTANT_EMAIL}\n"
            f"  firm owner (workspace):     {OWNER_EMAIL}\n"
            f"  client approver (portal):   {APPROVER_EMAIL}\n"
        )
