"""How much the diagnostic report costs beyond WeasyPrint itself.

Builds one engagement with 60 findings and 8 workshops in a throwaway SQLite database, then
times, in the same process, (a) the whole `document_pdf(REPORT, …)` (queries, template, WeasyPrint)
and (b) WeasyPrint alone on the same pre-rendered HTML. It prints medians, pages per second
and the ratio (a)/(b). No absolute-time thresholds: machines differ, the ratio travels.

Run from the repository root:  .venv/bin/python bench/bench_report.py [--runs 3]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

FINDINGS = 60
WORKSHOPS = 8
PLANNED_WORKSHOPS = 2
TOOLS = 12
RECOMMENDATIONS = 8
DATA_SOURCES = 6


def setup_django(db_dir: str) -> None:
    # Must happen before Django reads its settings: a private database, development defaults.
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DEBUG"] = "true"
    os.environ["DATABASE_URL"] = f"sqlite:///{Path(db_dir) / 'bench.sqlite3'}"
    sys.path.insert(0, str(REPO_ROOT))

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    # WeasyPrint reports every layout step at INFO; the bench prints its own summary.
    logging.getLogger("weasyprint").setLevel(logging.WARNING)


def build_engagement():
    """The engagement to render; models are importable only once Django is set up."""
    from diagnostics.models import (
        AgendaItem,
        DataSource,
        Finding,
        FindingCategory,
        FindingTool,
        ProcessView,
        Recommendation,
        RecommendationFinding,
        ReportDraft,
        ToolAssessment,
        ToolOverlap,
        Workshop,
        WorkshopGroup,
        WorkshopPrompt,
        WorkshopStatus,
    )
    from engagements.models import Client, Engagement, Tool, ToolCategory
    from engagements.services import firm_create
    from engagements.tenancy import tenant_scope

    membership = firm_create(
        name="Bench Consulting",
        owner_email="owner@bench.test",
        owner_name="Bea Bench",
        owner_password="bench-password-not-secret",  # noqa: S106 - throwaway database
    )
    firm, lead = membership.firm, membership.user
    sentence = (
        "We re-enter the same numbers in three places, and by Friday nobody is sure which one "
        "is right, so the Monday meeting starts with reconciling instead of selling."
    )
    with tenant_scope(firm):
        client = Client.objects.create(firm=firm, name="Bench Industries")
        engagement = Engagement.objects.create(
            firm=firm, client=client, name="Bench diagnostic", lead_consultant=lead
        )
        categories = list(ToolCategory.values)
        tools = [
            Tool.objects.create(
                firm=firm,
                engagement=engagement,
                name=f"Tool {n:02d} {'Suite' if n % 3 == 0 else ''}".strip(),
                category=categories[n % len(categories)],
                monthly_cost=Decimal(250 * (n + 1)),
                seats=10 + 5 * n,
            )
            for n in range(TOOLS)
        ]
        for n, tool in enumerate(tools):
            assessment = ToolAssessment.objects.create(
                firm=firm,
                engagement=engagement,
                tool=tool,
                value=1 + (n * 3) % 5,
                complexity=1 + (n * 2) % 5,
                active_seats=5 + 4 * n,
                notes="Used mostly by managers." if n % 4 == 0 else "",
            )
            ToolOverlap.objects.create(
                firm=firm, assessment=assessment, tool=tools[(n + 1) % TOOLS]
            )

        groups = list(WorkshopGroup.values)
        start = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
        workshops = []
        for n in range(WORKSHOPS):
            completed = n < WORKSHOPS - PLANNED_WORKSHOPS
            workshop = Workshop.objects.create(
                firm=firm,
                engagement=engagement,
                title=f"Session {n + 1}: how the pipeline really moves",
                group=groups[n % len(groups)],
                objective="Walk a recent deal end to end and note every re-keyed field.",
                status=WorkshopStatus.COMPLETED if completed else WorkshopStatus.PLANNED,
                facilitator=lead,
                scheduled_at=start + timedelta(days=2 * n),
                notes=f"{sentence}\n\n{sentence}" if completed else "",
                decisions="Ops will publish the stage definitions.\nManagers pilot one view."
                if completed
                else "",
            )
            workshops.append(workshop)
            for i in range(5):
                AgendaItem.objects.create(
                    firm=firm,
                    workshop=workshop,
                    title=f"Agenda item {i + 1}",
                    minutes=15,
                    position=i,
                )
            for i in range(6):
                WorkshopPrompt.objects.create(
                    firm=firm,
                    workshop=workshop,
                    group=workshop.group,
                    text=f"Prompt {i + 1}: where do you enter this, and who reads it?",
                    position=i,
                    answer=sentence if completed else "",
                )

        severities = ["critical", "high", "medium", "low"]
        finding_categories = list(FindingCategory.values)
        findings = []
        for n in range(FINDINGS):
            finding = Finding.objects.create(
                firm=firm,
                engagement=engagement,
                title=f"Finding {n + 1}: deal data is re-keyed between systems",
                category=finding_categories[n % len(finding_categories)],
                severity=severities[(n // 5) % len(severities)],
                quote=sentence if n % 3 else "",
                workshop=workshops[n % (WORKSHOPS - PLANNED_WORKSHOPS)],
                affected_roles=["rep", "manager"] if n % 2 else ["ops"],
                process_view=ProcessView.ACTUAL if n % 4 else ProcessView.SUPPOSED,
            )
            for tool in (tools[n % TOOLS], tools[(n + 5) % TOOLS]):
                FindingTool.objects.create(firm=firm, finding=finding, tool=tool)
            findings.append(finding)

        for n in range(DATA_SOURCES):
            DataSource.objects.create(
                firm=firm,
                engagement=engagement,
                system=f"System {n + 1}",
                objects_held="accounts, contacts, opportunities",
                owner="Sales ops",
                record_count=10_000 * (n + 1),
                quality_notes=sentence,
            )
        for n in range(RECOMMENDATIONS):
            recommendation = Recommendation.objects.create(
                firm=firm,
                engagement=engagement,
                title=f"Recommendation {n + 1}: one place to enter each number",
                detail=sentence,
                position=n,
            )
            for finding in findings[n::RECOMMENDATIONS][:5]:
                RecommendationFinding.objects.create(
                    firm=firm, recommendation=recommendation, finding=finding
                )
        ReportDraft.objects.create(
            firm=firm,
            engagement=engagement,
            executive_summary="\n\n".join([sentence] * 4),
            current_state="\n\n".join([sentence] * 6),
            gaps="\n\n".join([sentence] * 3),
        )
    return firm, engagement


def interleaved_medians(works: list[Callable[[], object]], runs: int) -> list[float]:
    """Median seconds of each callable, run in turns so drift (thermal, other load) hits all."""
    timings: list[list[float]] = [[] for _ in works]
    for _ in range(runs):
        for work, samples in zip(works, timings, strict=True):
            started = time.perf_counter()
            work()
            samples.append(time.perf_counter() - started)
    return [statistics.median(samples) for samples in timings]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (default 3)")
    parser.add_argument("--pdf", type=Path, help="also write the rendered PDF here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="waypoint-bench-") as db_dir:
        setup_django(db_dir)

        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from diagnostics.documents import REPORT
        from engagements.pdf import document_html, document_pdf, html_to_document
        from engagements.tenancy import tenant_scope

        firm, engagement = build_engagement()
        with tenant_scope(firm):
            html = document_html(REPORT, engagement, version_number=1)

            def full() -> None:
                document_pdf(REPORT, engagement, version_number=1)

            def weasyprint_only() -> None:
                html_to_document(html).write_pdf()

            def html_only() -> None:
                document_html(REPORT, engagement, version_number=1)

            # Warm-up: the first render loads fonts and fills caches in both paths.
            with CaptureQueriesContext(connection) as queries:
                pdf, pages = document_pdf(REPORT, engagement, version_number=1)
            weasyprint_only()

            full_s, alone_s, html_s = interleaved_medians(
                [full, weasyprint_only, html_only], args.runs
            )

        connection.close()

    print(
        f"Diagnostic report: {FINDINGS} findings, {WORKSHOPS} workshops, {TOOLS} tools; "
        f"median of {args.runs} runs after one warm-up"
    )
    print(f"  pages {pages}, PDF {len(pdf) / 1024:.0f} KiB, queries per render {len(queries)}")
    print(
        f"  (a) document_pdf (queries + template + WeasyPrint):      {full_s:6.3f} s  "
        f"{pages / full_s:6.1f} pages/s"
    )
    print(
        f"  (b) WeasyPrint alone on the same HTML:                  {alone_s:6.3f} s  "
        f"{pages / alone_s:6.1f} pages/s"
    )
    print(f"  context queries + template alone:                       {html_s:6.3f} s")
    print(f"  overhead ratio (a)/(b): {full_s / alone_s:.3f}")
    if args.pdf:
        args.pdf.write_bytes(pdf)
        print(f"  wrote {args.pdf}")


if __name__ == "__main__":
    main()
