"""Reads of Phase 4 that the pages and the gate share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engagements.models import Engagement
from sprints.models import RunOutcome, Scenario, TestRun


def run_proves(*, outcome: str, run_at: datetime, changed_at: datetime) -> bool:
    """The one definition of a proven scenario, for its page, the coverage matrix and the
    gate: its latest run passed, and started after its last change. A later failure unproves
    it, even after an earlier pass — the pass no longer says the scenario works."""
    return outcome == RunOutcome.PASSED and run_at >= changed_at


@dataclass(frozen=True)
class RunState:
    """A scenario's latest run (if any) and whether it proves the scenario."""

    latest: TestRun | None = None

    @property
    def outcome(self) -> str:
        return self.latest.outcome if self.latest else ""

    @property
    def last(self) -> str:
        return RunOutcome(self.latest.outcome).label if self.latest else ""

    @property
    def proven(self) -> bool:
        return self.latest is not None and run_proves(
            outcome=self.latest.outcome,
            run_at=self.latest.created_at,
            changed_at=self.latest.scenario.changed_at,
        )


def scenario_run_states(*, engagement: Engagement) -> dict[int, RunState]:
    """Per scenario id that has a run: its run state, in one query over the engagement's
    runs. A scenario never run is absent (and not proven)."""
    states: dict[int, RunState] = {}
    runs = (
        TestRun.objects.filter(scenario__engagement=engagement)
        .select_related("scenario")
        .order_by("scenario_id", "-created_at", "-id")
    )
    for run in runs:
        states.setdefault(run.scenario_id, RunState(latest=run))  # the first is the latest
    return states


def scenario_run_state(*, scenario: Scenario) -> RunState:
    latest = (
        TestRun.objects.filter(scenario=scenario)
        .select_related("scenario")
        .order_by("-created_at", "-id")
        .first()
    )
    return RunState(latest=latest)


def unproven_critical_scenarios(*, engagement: Engagement) -> list[Scenario]:
    """Critical scenarios whose latest run does not prove them (or that were never run)."""
    states = scenario_run_states(engagement=engagement)
    return [
        s
        for s in Scenario.objects.filter(engagement=engagement, is_critical=True)
        if not states.get(s.pk, RunState()).proven
    ]
