"""What the firm's portfolio page costs with 500 engagements and their full gate history.

    .venv/bin/python bench/bench_portfolio.py                     # SQLite, 500 engagements
    .venv/bin/python bench/bench_portfolio.py --engagements 2000 --runs 7
    .venv/bin/python bench/bench_portfolio.py --database-url postgres://postgres@127.0.0.1:5432/portfolio_bench

It builds one firm with 40 clients and `--engagements` engagements spread over the six phases
and closed, each with six milestones, two approvers, every phase before its current one signed
off (an approved request, both approvers' decisions, the phase's state), and in most of them an
open request for the current phase that one approver has approved, with due dates from well past
to next week. Then it times, interleaved in the same process through Django's test client (the
whole middleware stack, no network), median of `--runs` after one warm-up:

- **(a)** the portfolio page (`/workspace/portfolio/`: first page of 25, the chart over every
  engagement);
- **(b)** the portfolio sorted by due date, page 3, filtered to one phase;
- **baseline**: a bare Django page (`/healthz`, through the same middleware and session);
- for reference, the engagements dashboard (`/workspace/`, 20 rows, no gate state).

It prints the server time per render, the queries per render, and each figure as a ratio to the
baseline. It also times one CSV export of every engagement, which runs the readiness checks
of each row. By default the database is a throwaway SQLite file; `--database-url` (re)creates a
PostgreSQL database whose name must end in `bench`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

REPO_ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 40
NOW = datetime.now(UTC)


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    if not name.endswith("bench"):
        sys.exit(f"Refusing to drop “{name}”: the bench database's name must end in “bench”.")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DEBUG"] = "true"
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(REPO_ROOT))

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def build(count: int):
    """The firm, its owner, and `count` engagements with their gate history (bulk inserts)."""
    from engagements.models import (
        Client,
        Engagement,
        EngagementStatus,
        Milestone,
        PhaseState,
        PhaseStatus,
        RequestStatus,
        SignoffDecision,
        SignoffRequest,
        Stakeholder,
        StakeholderRole,
    )
    from engagements.phases import WORKING_PHASES, Phase
    from engagements.services import firm_create
    from engagements.tenancy import tenant_scope

    membership = firm_create(
        name="Bench Consulting",
        owner_email="owner@bench.test",
        owner_name="Bea Bench",
        owner_password="bench-password-not-secret",  # noqa: S106 - throwaway database
    )
    firm, owner = membership.firm, membership.user
    phases = list(Phase)  # the six working phases, then closed
    with tenant_scope(firm):
        clients = Client.objects.bulk_create(
            Client(firm=firm, name=f"Client {n:02d}") for n in range(CLIENTS)
        )
        engagements = []
        for n in range(count):
            phase = phases[n % len(phases)]
            engagements.append(
                Engagement(
                    firm=firm,
                    client=clients[n % CLIENTS],
                    name=f"Engagement {n:04d}",
                    lead_consultant=owner,
                    current_phase=phase,
                    status=EngagementStatus.COMPLETED
                    if phase == Phase.CLOSED
                    else EngagementStatus.ACTIVE,
                    phase_entered_at=NOW - timedelta(days=(n * 7) % 50),
                )
            )
        engagements = Engagement.objects.bulk_create(engagements)
        # bulk_create leaves created_at at insertion time: put the starts back in time.
        for n, engagement in enumerate(engagements):
            engagement.created_at = NOW - timedelta(days=200 + n % 60)
        Engagement.objects.bulk_update(engagements, ["created_at"])

        stakeholders = Stakeholder.objects.bulk_create(
            Stakeholder(
                firm=firm,
                engagement=engagement,
                name=f"Approver {i} of {engagement.name}",
                email=f"approver{i}-{engagement.pk}@client.test",
                role=StakeholderRole.LEADERSHIP,
                is_approver=True,
            )
            for engagement in engagements
            for i in range(2)
        )
        approvers = {e.pk: stakeholders[2 * i : 2 * i + 2] for i, e in enumerate(engagements)}
        Milestone.objects.bulk_create(
            Milestone(
                firm=firm,
                engagement=engagement,
                phase=phase,
                title=f"{phase.label} done",
                due_date=(NOW + timedelta(days=30 * index - 90)).date(),
            )
            for engagement in engagements
            for index, phase in enumerate(WORKING_PHASES)
        )
        states, requests = [], []
        for n, engagement in enumerate(engagements):
            current = phases.index(Phase(engagement.current_phase))
            ids = [s.pk for s in approvers[engagement.pk]]
            for index, phase in enumerate(WORKING_PHASES[:current]):
                signed_at = engagement.created_at + timedelta(days=20 * (index + 1) + n % 9)
                states.append(
                    PhaseState(
                        firm=firm,
                        engagement=engagement,
                        phase=phase,
                        status=PhaseStatus.SIGNED_OFF,
                        signed_off_at=signed_at,
                    )
                )
                requests.append(
                    SignoffRequest(
                        firm=firm,
                        engagement=engagement,
                        phase=phase,
                        snapshot={"charter": []},
                        digest=f"{n}-{index}",
                        approver_ids=ids,
                        status=RequestStatus.APPROVED,
                        due_date=signed_at.date(),
                        closed_at=signed_at,
                    )
                )
            if engagement.current_phase != Phase.CLOSED and n % 4:
                requests.append(
                    SignoffRequest(
                        firm=firm,
                        engagement=engagement,
                        phase=engagement.current_phase,
                        snapshot={"charter": []},
                        digest=f"{n}-open",
                        approver_ids=ids,
                        due_date=(NOW + timedelta(days=n % 12 - 4)).date(),
                    )
                )
        PhaseState.objects.bulk_create(states)
        requests = SignoffRequest.objects.bulk_create(requests)
        decisions = []
        for request in requests:
            deciders = approvers[request.engagement_id]
            if request.status == RequestStatus.OPEN:
                deciders = deciders[:1]
            for stakeholder in deciders:
                decisions.append(
                    SignoffDecision(
                        firm=firm,
                        request=request,
                        stakeholder=stakeholder,
                        user=owner,
                        decision="approve",
                        typed_name=stakeholder.name,
                        reviewed_digest=request.digest,
                    )
                )
        SignoffDecision.objects.bulk_create(decisions)
    return firm, owner, len(states), len(requests), len(decisions)


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
    parser.add_argument("--engagements", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each (default 5)")
    parser.add_argument("--database-url", help="a PostgreSQL database to (re)create and use")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="waypoint-bench-") as db_dir:
        url = args.database_url or f"sqlite:///{Path(db_dir) / 'bench.sqlite3'}"
        if args.database_url:
            recreate_database(url)
        setup_django(url)

        from django.db import connection
        from django.test import Client as HttpClient
        from django.test.utils import CaptureQueriesContext

        firm, owner, states, requests, decisions = build(args.engagements)
        http = HttpClient(SERVER_NAME="localhost")
        http.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
        pages = {
            "(a) portfolio, page 1": "/workspace/portfolio/",
            "(b) portfolio, build phase, by due date, page 3": (
                "/workspace/portfolio/?phase=build&sort=due&page=3"
            ),
            "baseline: bare page (/healthz)": "/healthz",
            "reference: engagements dashboard": "/workspace/",
        }
        queries = {}
        for label, path in pages.items():  # warm-up, and the query count of each
            with CaptureQueriesContext(connection) as captured:
                response = http.get(path)
            if response.status_code != 200:
                sys.exit(f"{path} answered {response.status_code}")
            queries[label] = len(captured)

        def get(path: str) -> Callable[[], object]:
            return lambda: http.get(path)

        medians = dict(
            zip(
                pages, interleaved_medians([get(p) for p in pages.values()], args.runs), strict=True
            )
        )
        from engagements import portfolio
        from engagements.portfolio_chart import phase_durations_svg
        from engagements.tenancy import tenant_scope

        with tenant_scope(firm):
            page = list(portfolio.portfolio_list()[:25])
            parts = {
                "the count of engagements (SQL)": lambda: portfolio.portfolio_list().count(),
                "the firm's status, sorted, first 25 (SQL)": lambda: list(
                    portfolio.portfolio_list()[:25]
                ),
                "the 25 rows' gate data, without readiness": lambda: portfolio.portfolio_rows(
                    page, with_readiness=False
                ),
                "the 25 rows' readiness checks": lambda: [
                    portfolio.readiness_of(engagement) for engagement in page
                ],
                "the chart: time in each phase (SQL and SVG)": lambda: phase_durations_svg(
                    portfolio.phase_durations()
                ),
            }
            part_medians = dict(
                zip(parts, interleaved_medians(list(parts.values()), args.runs), strict=True)
            )
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            export = http.get("/workspace/portfolio/export.csv")
            export_s = time.perf_counter() - started
        export_rows = export.content.decode().count("\n") - 1
        connection.close()

    vendor = "PostgreSQL" if args.database_url else "SQLite"
    baseline = medians["baseline: bare page (/healthz)"]
    print(
        f"Portfolio: {args.engagements} engagements, {states} signed-off phases, {requests} "
        f"requests, {decisions} decisions on {vendor}; median of {args.runs} runs after a warm-up"
    )
    for label, seconds in medians.items():
        print(
            f"  {label:<50} {seconds * 1000:8.1f} ms  {queries[label]:4d} queries  "
            f"× {seconds / baseline:6.1f}"
        )
    print("  where the time of (a) goes:")
    for label, seconds in part_medians.items():
        print(f"    {label:<48} {seconds * 1000:8.1f} ms")
    print(
        f"  CSV export of all {export_rows} rows (readiness of each):  {export_s * 1000:8.1f} ms  "
        f"{len(captured):4d} queries"
    )


if __name__ == "__main__":
    main()
