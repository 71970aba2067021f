"""Demo data of Phase 5 for `seed_demo`: a launch plan under way (runbook, rollback plan, a pilot
wave that went live and the wave after it), and the data-migration workbench with legacy
accounts and contacts uploaded, mapped and checked in a dry run.

The legacy exports (11 accounts, 32 contacts) are generated here, small and deterministic, with
the problems of a real export planted in them: the same company and people entered twice (email
in another case, phone in another format, typos in the name) — merged automatically; two
look-alike contacts left for a person to decide in the review queue; a contact pointing at an
account that is not in the export; and a contact without the required last name. Everything
goes through the services, as the consultant's clicks would."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from engagements.models import Engagement, Stakeholder, User
from launch import services
from launch.migration.mapping import FieldMapping
from launch.models import (
    Channel,
    Communication,
    MigrationObject,
    MigrationRun,
    MonitoringCheck,
    RollbackStep,
    RunbookStep,
    RunKind,
    WaveStatus,
)
from launch.workbench import services as workbench

CLIENT_TIME_ZONE = "America/Los_Angeles"
PILOT_EMAILS = ("tom.becker@acme.example", "priya.raman@acme.example")

# --- the legacy exports ----------------------------------------------------------------------

# (id, name, domain, area code, industry, city, state, employees)
ACCOUNTS = [
    ("ACC-001", "Bluebird Logistics", "bluebirdlogistics", "415", "Logistics", "Oakland", "CA",
     240),
    ("ACC-002", "Cobalt Machining", "cobaltmachining", "312", "Manufacturing", "Chicago", "IL", 85),
    ("ACC-003", "Delta Fasteners", "deltafasteners", "216", "Manufacturing", "Cleveland", "OH",
     130),
    ("ACC-004", "Evergreen Plastics", "evergreenplastics", "503", "Chemicals", "Portland", "OR",
     60),
    ("ACC-005", "Granite Tooling", "granitetooling", "603", "Manufacturing", "Concord", "NH", 45),
    ("ACC-006", "Harbor Automation", "harborautomation", "206", "Industrial automation",
     "Seattle", "WA", 320),
    ("ACC-007", "Juniper Controls", "junipercontrols", "512", "Electronics", "Austin", "TX", 150),
    ("ACC-008", "Keystone Motors", "keystonemotors", "717", "Automotive", "Harrisburg", "PA", 410),
    ("ACC-009", "Lakeside Sensors", "lakesidesensors", "414", "Electronics", "Milwaukee", "WI", 75),
    ("ACC-010", "Meridian Drives", "meridiandrives", "704", "Industrial automation",
     "Charlotte", "NC", 190),
]  # fmt: skip
# The same company entered twice by two reps: "Inc." added, the phone written another way.
ACCOUNT_DUPLICATE = (
    "ACC-011", "Harbor Automation Inc.", "harborautomation", "206", "", "Seattle", "WA", ""
)  # fmt: skip

FIRST_NAMES = ["Sarah", "Michael", "Elena", "David", "Grace", "Omar", "Linda", "Kevin", "Nina",
               "Paul", "Rita", "Samuel", "Tara", "Victor", "Wendy", "Yusuf", "Zoe", "Adam",
               "Bianca", "Carlos", "Diane", "Ethan", "Fiona", "George", "Hannah",
               "Ivan"]  # fmt: skip
LAST_NAMES = ["Chen", "Johnson", "Petrova", "Okafor", "Lindqvist", "Haddad", "Moreno", "Walsh",
              "Kowalski", "Brennan", "Desai", "Foster", "Nakamura", "Reyes", "Schmidt", "Yilmaz",
              "Larsen", "Murphy", "Costa", "Alvarez", "Fischer", "Grant", "Hughes", "Ibrahim",
              "Jensen", "Kim"]  # fmt: skip
TITLES = ["Operations Director", "Purchasing Manager", "Plant Manager", "Buyer", "CFO",
          "Engineering Lead"]  # fmt: skip
PHONE_FORMATS = ["({area}) 555-{line}", "{area}.555.{line}", "+1 {area} 555 {line}"]


def _phone(area: str, line: int, style: int) -> str:
    return PHONE_FORMATS[style % len(PHONE_FORMATS)].format(area=area, line=f"{line:04d}")


def accounts_csv() -> str:
    lines = ["Account ID,Account Name,Website,Phone,Industry,City,State,Employees"]
    for index, (key, name, domain, area, industry, city, state, staff) in enumerate(
        [*ACCOUNTS, ACCOUNT_DUPLICATE]
    ):
        # The duplicate shares its original's main line, written in another format.
        line = 1000 + (5 if key == ACCOUNT_DUPLICATE[0] else index)
        style = 0 if key == ACCOUNT_DUPLICATE[0] else index
        lines.append(
            f"{key},{name},www.{domain}.example,{_phone(area, line, style)},{industry},{city},"
            f"{state},{staff}"
        )
    return "\n".join(lines) + "\n"


# Contacts planted on purpose, after the generated ones: (id, first, last, email, phone, account).
PLANTED_CONTACTS = [
    # Sarah Chen (CON-001) again: name in lower case, email in capitals, phone in international
    # format. Merged automatically.
    ("CON-027", "sarah", "chen", "Sarah.Chen@BluebirdLogistics.example", "+1 415 555 0100",
     "ACC-001"),
    # Michael Johnson (CON-002) typed again with two typos, another email, the same phone
    # written another way. Merged automatically.
    ("CON-028", "Micheal", "Jonson", "mike.johnson@cobaltmachining.example", "(312) 555-0101",
     "ACC-002"),
    # Probably Tara Nakamura (CON-013) with another email: close, but for a person to decide.
    ("CON-029", "Tara", "Nakamura", "tnakamura@deltafasteners.example", "", "ACC-003"),
    # Elena Petrova (CON-003) or a relative? No email, another phone: for review too.
    ("CON-030", "Elena", "Petrov", "", "(216) 555-0177", "ACC-003"),
    # Points at an account that is not in the export: a broken reference.
    ("CON-031", "Quentin", "Marsh", "q.marsh@northstar-gears.example", "(901) 555-0177",
     "ACC-047"),
    # No last name: the new CRM requires one.
    ("CON-032", "Priscilla", "", "priscilla@keystonemotors.example", "(717) 555-0188", "ACC-008"),
]  # fmt: skip
GENERATED_CONTACTS = len(FIRST_NAMES)


def contacts_csv() -> str:
    lines = ["Contact ID,First Name,Last Name,Email,Phone,Title,Company,Account ID"]
    domains = {a[0]: (a[1], a[2]) for a in ACCOUNTS}
    for index in range(GENERATED_CONTACTS):
        account = ACCOUNTS[index % len(ACCOUNTS)]
        company, domain = domains[account[0]]
        first, last = FIRST_NAMES[index], LAST_NAMES[index]
        email = f"{first}.{last}@{domain}.example".lower()
        phone = _phone(account[3], 100 + index, index) if index % 4 != 3 else ""
        title = TITLES[index % len(TITLES)]
        lines.append(
            f"CON-{index + 1:03d},{first},{last},{email},{phone},{title},{company},{account[0]}"
        )
    for key, first, last, email, phone, account in PLANTED_CONTACTS:
        company = domains.get(account, ("Northstar Gears",))[0]
        lines.append(f"{key},{first},{last},{email},{phone},,{company},{account}")
    return "\n".join(lines) + "\n"


ACCOUNT_MAPPING = [
    FieldMapping("name", ("Account Name",), ({"op": "trim"},)),
    FieldMapping("website", ("Website",), ({"op": "trim"}, {"op": "case", "to": "lower"})),
    FieldMapping("phone", ("Phone",), ({"op": "trim"}, {"op": "phone", "region": "US"})),
    FieldMapping("industry", ("Industry",), ({"op": "trim"},)),
    FieldMapping("city", ("City",), ({"op": "trim"},)),
    FieldMapping("region", ("State",), ({"op": "trim"}, {"op": "case", "to": "upper"})),
    FieldMapping("employees", ("Employees",), ({"op": "trim"},)),
]
CONTACT_MAPPING = [
    FieldMapping("first_name", ("First Name",), ({"op": "trim"}, {"op": "case", "to": "title"})),
    FieldMapping("last_name", ("Last Name",), ({"op": "trim"}, {"op": "case", "to": "title"})),
    FieldMapping("email", ("Email",), ({"op": "trim"}, {"op": "email"})),
    FieldMapping("phone", ("Phone",), ({"op": "trim"}, {"op": "phone", "region": "US"})),
    FieldMapping("title", ("Title",), ({"op": "trim"},)),
    FieldMapping("company", ("Company",), ({"op": "trim"},)),
    FieldMapping("account", ("Account ID",), ({"op": "trim"},)),
]


# --- building it -------------------------------------------------------------------------------


def launch_demo(*, engagement: Engagement, actor: User) -> MigrationRun:
    """Fill a Phase 5 engagement; returns the migration's dry run (done)."""
    cutover = _plan(engagement, actor)
    _waves(engagement, actor, cutover.date())
    return migration_demo(engagement=engagement, actor=actor)


def _plan(engagement: Engagement, actor: User) -> datetime:
    # Friday evening at the client, one to two weeks from now.
    day = timezone.localdate() + timedelta(days=7)
    day += timedelta(days=(4 - day.weekday()) % 7)
    cutover = datetime.combine(day, time(18, 0), tzinfo=ZoneInfo(CLIENT_TIME_ZONE))
    services.plan_update(
        engagement=engagement,
        actor=actor,
        cutover_start=cutover,
        cutover_end=cutover + timedelta(hours=14),
        time_zone=CLIENT_TIME_ZONE,
        rollback_triggers="Deals or contacts fail to sync to Outreach for more than an hour, "
        "or more than 2% of records are missing after the import.",
    )
    steps = [
        ("Freeze edits in the old CRM", "Jonas Berg", 0, 15),
        ("Export the final legacy data", "Jonas Berg", 30, 45),
        ("Commit the migration dataset and import it", "Casey Consultant", 90, 120),
        ("Spot-check 20 accounts against the old CRM", "Priya Raman", 240, 60),
        ("Switch the Outreach sync to the new CRM", "Jonas Berg", 330, 30),
        ("Send the go-live email to every rep", "Dana Whitfield", 780, 15),
    ]
    for title, owner, offset, minutes in steps:
        services.item_save(
            engagement=engagement, actor=actor, model=RunbookStep, title=title, owner=owner,
            planned_at=cutover + timedelta(minutes=offset), minutes=minutes,
        )  # fmt: skip
    for title, owner in [
        ("Turn the Outreach sync back to the old CRM", "Jonas Berg"),
        ("Unfreeze the old CRM and tell the reps", "Dana Whitfield"),
    ]:
        services.item_save(
            engagement=engagement, actor=actor, model=RollbackStep, title=title, owner=owner
        )
    # A meeting, not an email: the demo's people are fictional and a planned email would be sent.
    services.item_save(
        engagement=engagement, actor=actor, model=Communication, channel=Channel.MEETING,
        audience_roles=["rep", "manager"], subject="Go-live briefing for the field team",
        message="What changes on Monday, where to find help, and how to report a problem.",
        send_at=cutover - timedelta(days=2),
    )  # fmt: skip
    services.item_save(
        engagement=engagement, actor=actor, model=MonitoringCheck,
        description="Sync error count in the integration log", owner="Jonas Berg",
        frequency="Hourly for the first three days",
    )  # fmt: skip
    return cutover


def _waves(engagement: Engagement, actor: User, cutover: date) -> None:
    """The pilot (a rep and their manager) went live on the new CRM last week; everyone else
    follows after the cutover."""
    people = list(Stakeholder.objects.filter(engagement=engagement))
    pilots = [p for p in people if p.email in PILOT_EMAILS]
    today = timezone.localdate()
    pilot = services.wave_save(
        engagement=engagement, actor=actor, members=pilots, name="Pilot: West team",
        planned_start=today - timedelta(days=10), planned_end=today - timedelta(days=3),
        go_criteria="The pilot reps log every call in the new CRM for a week, and no Sev 1 or "
        "Sev 2 incident is open.",
    )  # fmt: skip
    services.wave_decide(
        wave=pilot, actor=actor, decision="go",
        reason="Training done, sandbox sign-off from Priya, data spot-check clean.",
    )  # fmt: skip
    services.wave_set_status(wave=pilot, actor=actor, status=WaveStatus.LIVE)
    services.pilot_feedback_add(
        wave=pilot, actor=actor, source="Tom Becker",
        text="Logging a call from the deal takes two clicks now, down from six.",
        fix="",
    )  # fmt: skip
    services.pilot_feedback_add(
        wave=pilot, actor=actor, source="Priya Raman",
        text="The pipeline view hides deals without a close date.",
        fix="Make close date required from the Qualification stage on.",
    )  # fmt: skip
    services.wave_save(
        engagement=engagement, actor=actor, members=[p for p in people if p not in pilots],
        name="Everyone else", planned_start=cutover + timedelta(days=3),
        planned_end=cutover + timedelta(days=17),
        go_criteria="The migration dataset is committed with under 2% of rows rejected, and the "
        "pilot feedback is fixed.",
    )  # fmt: skip


def migration_demo(*, engagement: Engagement, actor: User) -> MigrationRun:
    """Set the workbench up, upload and map the legacy exports, and do a dry run now."""
    workbench.migration_start(engagement=engagement, actor=actor)
    workbench.migration_settings_update(
        engagement=engagement, actor=actor, auto_merge=0.92, review=0.80,
        default_rule="most_complete", survivorship={}, recency_field="", source_field="",
        source_priority=[], phone_region="US", rejected_threshold=Decimal("2"),
    )  # fmt: skip
    for name, filename, text, id_column, mapping in (
        ("account", "legacy-accounts.csv", accounts_csv(), "Account ID", ACCOUNT_MAPPING),
        ("contact", "legacy-contacts.csv", contacts_csv(), "Contact ID", CONTACT_MAPPING),
    ):
        target = MigrationObject.objects.get(engagement=engagement, name=name)
        upload = workbench.source_upload(
            engagement=engagement,
            actor=actor,
            target=target,
            uploaded=SimpleUploadedFile(filename, text.encode(), content_type="text/csv"),
        )
        workbench.mapping_save(
            target=target, actor=actor, id_column=id_column, fields=mapping,
            headers=upload.headers,
        )  # fmt: skip
    run = workbench.run_request(engagement=engagement, actor=actor, kind=RunKind.DRY)
    # Run it now rather than in a worker: the demo opens with its results. The job queued
    # after commit finds the run done and leaves it as it is.
    return workbench.run_execute(run_id=run.pk)
