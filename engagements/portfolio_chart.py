"""Time in each phase across the firm's engagements, as one self-contained SVG (no script, no
external reference): per phase, the range of days the engagements that finished it took, their
median, and a dot for each engagement in it now at its days so far — where a dot sits past the
range, an engagement is stalling there.

Geometry is computed here and formatted as strings, so the template never localizes a
coordinate. Shapes differ (bar, tick, circle) so colour is never the only cue."""

from __future__ import annotations

from collections import Counter

from django.template.loader import render_to_string

from engagements.portfolio import PhaseDurations

TEMPLATE = "engagements/_phase_durations.svg"
WIDTH = 640
LEFT, RIGHT, TOP = 110, 610, 16
ROW = 44
SHORT_LABELS = {
    "onboarding": "Onboarding",
    "diagnostic": "Diagnostic",
    "architecture": "Architecture",
    "build": "Build & test",
    "launch": "Launch",
    "enablement": "Enablement",
}


def _fmt(number: float) -> str:
    return f"{number:.1f}"


def _days(value: float) -> str:
    rounded = round(value)
    return f"{rounded} day{'' if rounded == 1 else 's'}"


def _nice_top(value: float) -> int:
    """The axis end: a round number of days at or above `value`."""
    for step in (7, 14, 30, 60, 90, 120, 180, 365, 730):
        if value <= step:
            return step
    return int(-(-value // 365) * 365)


def phase_summary(phase: PhaseDurations) -> str:
    """One phase in words: what the chart and the table beside it say."""
    label = phase.phase.label
    parts = []
    if phase.finished:
        parts.append(
            f"{len(phase.finished)} finished it in a median of {_days(phase.median)} "
            f"(from {_days(phase.shortest)} to {_days(phase.longest)})"
        )
    else:
        parts.append("none has finished it yet")
    if phase.ongoing:
        parts.append(
            f"{len(phase.ongoing)} in it now, the longest for {_days(phase.longest_ongoing)}"
        )
    return f"{label}: {'; '.join(parts)}."


def slowest_phase(phases: list[PhaseDurations]) -> PhaseDurations | None:
    finished = [p for p in phases if p.finished]
    return max(finished, key=lambda p: p.median) if finished else None


def phase_durations_svg(phases: list[PhaseDurations], *, chart_id: str = "phase-time") -> str:
    values = [v for p in phases for v in (*p.finished, *p.ongoing)]
    top = _nice_top(max(values, default=0) or 1)
    bottom = TOP + ROW * len(phases)
    height = bottom + 64

    def x(days: float) -> float:
        return LEFT + min(days, top) * (RIGHT - LEFT) / top

    rows = []
    for index, phase in enumerate(phases):
        band = TOP + ROW * index
        # Two lanes: the finished range and median above, the engagements in it now below.
        finished_y, ongoing_y = band + 14, band + 31
        row = {
            "label": SHORT_LABELS.get(phase.phase.value, phase.phase.label),
            "text_y": _fmt(band + ROW / 2 + 4),
            "band_y": _fmt(band),
            "shade": index % 2 == 0,
            "summary": phase_summary(phase),
            "range": None,
            "median": None,
            "dots": [],
        }
        if phase.finished:
            start, end = x(phase.shortest), x(phase.longest)
            row["range"] = {
                "x": _fmt(start),
                "y": _fmt(finished_y - 5),
                "width": _fmt(max(end - start, 2)),
            }
            row["median"] = {
                "x": _fmt(x(phase.median)),
                "y1": _fmt(finished_y - 9),
                "y2": _fmt(finished_y + 9),
            }
        # One dot per whole day, larger when several engagements share it: a firm of hundreds
        # of engagements stays a readable strip (and a small document).
        for days, count in sorted(Counter(round(d) for d in phase.ongoing).items()):
            who = "1 engagement" if count == 1 else f"{count} engagements"
            row["dots"].append(
                {
                    "x": _fmt(x(days)),
                    "y": _fmt(ongoing_y),
                    "r": _fmt(min(3.5 + (count - 1) ** 0.5, 7)),
                    "label": f"{who} in {row['label']} for {_days(days)}",
                }
            )
        rows.append(row)
    ticks = [{"at": _fmt(x(top * i / 4)), "label": f"{round(top * i / 4)}"} for i in range(5)]
    slowest = slowest_phase(phases)
    description = (
        "No engagement has time in a phase yet."
        if not values
        else " ".join(phase_summary(p) for p in phases)
        + (f" Engagements spend longest in {slowest.phase.label}." if slowest else "")
    )
    legend_y = bottom + 48
    return render_to_string(
        TEMPLATE,
        {
            "chart_id": chart_id,
            "width": WIDTH,
            "height": height,
            "empty": not values,
            "description": description,
            "rows": rows,
            "ticks": ticks,
            "plot": {
                "left": LEFT,
                "right": RIGHT,
                "top": TOP,
                "bottom": bottom,
                "width": RIGHT - LEFT,
                "height": bottom - TOP,
                "centre_x": _fmt((LEFT + RIGHT) / 2),
                "centre_y": _fmt((TOP + bottom) / 2),
                "tick_label_y": bottom + 16,
                "axis_title_y": bottom + 32,
                "legend_y": legend_y,
                "legend_text_y": legend_y + 4,
            },
        },
    )
