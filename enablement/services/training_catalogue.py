"""Suggested training modules per role, from the framework (Phase 6): a rep learns to manage the
pipeline, log activities and find information; a manager to use dashboards, run forecasts and
monitor team performance; ops to maintain configuration, troubleshoot integrations and pull
custom reports; leadership to read the adoption and pipeline picture. The consultant adds one
to an engagement and then adapts its content and quiz to the client's system."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SuggestedQuestion:
    text: str
    choices: tuple[str, ...]
    correct: int
    """Index of the correct choice."""


@dataclass(frozen=True)
class SuggestedModule:
    key: str
    role: str
    title: str
    summary: str
    minutes: int
    content: str
    questions: tuple[SuggestedQuestion, ...] = field(default_factory=tuple)


SUGGESTED_MODULES: tuple[SuggestedModule, ...] = (
    # --- reps ----------------------------------------------------------------------------------
    SuggestedModule(
        key="rep-pipeline",
        role="rep",
        title="Manage your pipeline",
        summary="Create deals, move them through the stages, and keep close dates honest.",
        minutes=20,
        content="""## Why it matters
Your pipeline is the forecast. When deals sit in the wrong stage, your manager plans on
numbers that are not real.

## Do this every day
1. Open **My open deals**, sorted by close date.
2. Move each deal to the stage its **exit criteria** say it has reached — not the one it feels like.
3. Update the **close date** and **amount** whenever the buyer changes either.
4. Close out deals that are dead: *Closed lost* with a reason.

> A deal without a next step is not a deal. Every open deal has a dated next step.
""",
        questions=(
            SuggestedQuestion(
                "When do you move a deal to the next stage?",
                (
                    "When its exit criteria are met",
                    "When the buyer sounds positive",
                    "At the end of every week",
                ),
                0,
            ),
            SuggestedQuestion(
                "What does every open deal need?",
                ("A dated next step", "A discount", "A manager's approval"),
                0,
            ),
        ),
    ),
    SuggestedModule(
        key="rep-activities",
        role="rep",
        title="Log your activities",
        summary="Calls, emails and meetings on the right record, as they happen.",
        minutes=15,
        content="""## Why it matters
Activity history is how the next person picks up a deal, and how your manager coaches you.

## How
- Calls and meetings: log them from the deal, with the outcome and the next step.
- Emails: use the inbox integration so they land on the contact automatically.
- Log on the **deal** when it is about the deal; on the **contact** otherwise.

**Rule of thumb:** if it is not in the system, it did not happen.
""",
        questions=(
            SuggestedQuestion(
                "Where do you log a call about a specific deal?",
                ("On the deal", "In a spreadsheet", "Nowhere, email is enough"),
                0,
            ),
        ),
    ),
    SuggestedModule(
        key="rep-find",
        role="rep",
        title="Find what you need",
        summary="Search, saved views and the account timeline.",
        minutes=10,
        content="""## Three ways in
- **Global search** finds any account, contact or deal by name, email or domain.
- **Saved views** keep your everyday lists one click away (e.g. *My deals closing this month*).
- The **account timeline** shows every touch across the team before you call.
""",
    ),
    # --- managers ------------------------------------------------------------------------------
    SuggestedModule(
        key="manager-dashboards",
        role="manager",
        title="Use the team dashboards",
        summary="Pipeline coverage, stage conversion and activity at a glance.",
        minutes=20,
        content="""## The dashboards you own
- **Pipeline coverage**: open pipeline against the quarter's remaining quota.
- **Stage conversion**: where deals stall, by rep.
- **Activity**: calls, meetings and emails per rep per week.

## Your weekly routine
Review coverage on Monday, conversion in 1:1s, activity when coaching.
""",
        questions=(
            SuggestedQuestion(
                "Which dashboard tells you whether the quarter is covered?",
                ("Pipeline coverage", "Activity", "Login history"),
                0,
            ),
        ),
    ),
    SuggestedModule(
        key="manager-forecast",
        role="manager",
        title="Run the forecast",
        summary="Commit, best case and pipeline, submitted on the new system.",
        minutes=25,
        content="""## Forecast categories
| Category | Means |
| --- | --- |
| Commit | You would bet your quota on it |
| Best case | Could close this period with effort |
| Pipeline | Real, but not this period |

Submit your forecast by **Thursday noon**; adjustments carry a note.
""",
        questions=(
            SuggestedQuestion(
                "A deal you would bet your quota on is…",
                ("Commit", "Best case", "Pipeline"),
                0,
            ),
            SuggestedQuestion(
                "What must an adjusted forecast carry?",
                ("A note explaining it", "The CFO's approval", "Nothing"),
                0,
            ),
        ),
    ),
    SuggestedModule(
        key="manager-team",
        role="manager",
        title="Monitor team performance",
        summary="Spot gaps early: logins, data quality and activity per rep.",
        minutes=15,
        content="""## What to look for
- Reps who have not logged in this week.
- Deals missing required fields (amount, close date, next step).
- A drop in logged activities — usually a habit slipping, not a quiet week.

Follow up in the next 1:1, with the report open.
""",
    ),
    # --- ops -----------------------------------------------------------------------------------
    SuggestedModule(
        key="ops-configuration",
        role="ops",
        title="Maintain the configuration",
        summary="Fields, stages, automations and permissions — and how to change them safely.",
        minutes=30,
        content="""## Change safely
1. Write the change down (what, why, who asked).
2. Try it in the **sandbox** first.
3. Release it at a quiet time and tell the users it affects.

## Never
- Delete a field that reports or integrations read.
- Give admin rights to fix a one-off problem.
""",
        questions=(
            SuggestedQuestion(
                "Where do you try a configuration change first?",
                ("In the sandbox", "In production, at night", "On a rep's account"),
                0,
            ),
        ),
    ),
    SuggestedModule(
        key="ops-integrations",
        role="ops",
        title="Troubleshoot integrations",
        summary="Read sync logs, replay failures and know when to escalate.",
        minutes=25,
        content="""## When a sync fails
1. Open the integration's **sync log** and find the failed record.
2. Read the error: most are a missing required field or a permission.
3. Fix the record, then **replay** the sync.
4. If the same error repeats for many records, escalate with the log attached.
""",
        questions=(
            SuggestedQuestion(
                "Most sync errors come from…",
                (
                    "A missing required field or a permission",
                    "The weather",
                    "Users logging in too often",
                ),
                0,
            ),
        ),
    ),
    SuggestedModule(
        key="ops-reports",
        role="ops",
        title="Build custom reports",
        summary="Report types, filters and scheduled sends.",
        minutes=20,
        content="""## Build a report
- Pick the **report type** that joins the objects you need.
- Filter on fields, not on names typed by hand.
- Save it in the shared folder and **schedule** it to the people who asked.
""",
    ),
    # --- leadership ----------------------------------------------------------------------------
    SuggestedModule(
        key="leadership-overview",
        role="leadership",
        title="Read the sales system at a glance",
        summary="The executive dashboard and what adoption tells you about the numbers.",
        minutes=10,
        content="""## Trust the numbers when
- adoption is healthy (reps log in and log activity every week), and
- required fields are filled on most deals.

The executive dashboard shows both beside the pipeline.
""",
    ),
)


def suggestion(key: str) -> SuggestedModule | None:
    return next((s for s in SUGGESTED_MODULES if s.key == key), None)
