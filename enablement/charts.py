"""Adoption trend charts: one metric per chart, one line per role, one point per ISO week, as a
self-contained SVG (no script, no external reference), for the workspace and the portal.

Geometry is computed here and formatted as strings, so the template never localizes a
coordinate. A week with nothing measured leaves a gap in its role's line."""

from __future__ import annotations

from datetime import date

from django.template.loader import render_to_string

from engagements.models import StakeholderRole

TEMPLATE = "enablement/_adoption_trend.svg"
WIDTH, HEIGHT = 480, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 444, 12, 172
MAX_X_LABELS = 5
# Colour-blind-safe (Okabe–Ito), with a distinct dash per role so colour is not the only cue.
ROLE_STYLE = {
    StakeholderRole.REP: ("#0072b2", ""),
    StakeholderRole.MANAGER: ("#d55e00", "6 3"),
    StakeholderRole.OPS: ("#009e73", "2 3"),
    StakeholderRole.LEADERSHIP: ("#6a3d9a", "10 3 2 3"),
}


def _fmt(number: float) -> str:
    return f"{number:.1f}"


def role_trend_svg(
    *,
    title: str,
    weeks: list[date],
    series: dict[str, list[float | None]],
    top: float,
    unit: str = "",
    threshold_note: str = "",
    chart_id: str,
) -> str:
    """Lines of `series` (role → value per week) over `weeks`, on a 0–`top` scale."""
    slot = (RIGHT - LEFT) / max(len(weeks) - 1, 1)
    values = [v for line in series.values() for v in line if v is not None]
    top = max([top, *values]) if values else top

    def x(index: int) -> float:
        return LEFT + index * slot if len(weeks) > 1 else (LEFT + RIGHT) / 2

    def y(value: float) -> float:
        return BOTTOM - value * (BOTTOM - TOP) / top

    lines = []
    for role, points in series.items():
        colour, dash = ROLE_STYLE.get(role, ("#333333", ""))
        segments, current = [], []
        dots = []
        for index, value in enumerate(points):
            if value is None:
                if current:
                    segments.append(current)
                current = []
                continue
            current.append(f"{_fmt(x(index))},{_fmt(y(value))}")
            dots.append(
                {
                    "x": _fmt(x(index)),
                    "y": _fmt(y(value)),
                    "label": f"{StakeholderRole(role).label}, week of {weeks[index]:%d %b}: "
                    f"{value:.1f}{unit}",
                }
            )
        if current:
            segments.append(current)
        lines.append(
            {
                "label": StakeholderRole(role).label,
                "colour": colour,
                "dash": dash,
                "segments": [" ".join(s) for s in segments],
                "dots": dots,
            }
        )
    step = max(1, -(-len(weeks) // MAX_X_LABELS))
    shown = list(range(0, len(weeks), step))
    # The latest week too, unless its label would crowd the one before it.
    if shown and shown[-1] != len(weeks) - 1 and len(weeks) - 1 - shown[-1] > step / 2:
        shown.append(len(weeks) - 1)
    x_ticks = [{"at": _fmt(x(i)), "label": weeks[i].strftime("%d %b")} for i in shown]
    y_ticks = [{"at": _fmt(y(top * i / 4)), "label": f"{top * i / 4:.0f}{unit}"} for i in range(5)]
    empty = not values
    description = (
        "No adoption measured in these weeks yet."
        if empty
        else f"{title} per role over {len(weeks)} weeks, from the week of {weeks[0]:%d %b %Y}. "
        + "; ".join(
            f"{line['label']} latest: "
            + next((f"{v:.1f}{unit}" for v in reversed(series[role]) if v is not None), "none")
            for role, line in zip(series, lines, strict=True)
        )
        + (f". {threshold_note}" if threshold_note else "")
    )
    legend, at = [], LEFT
    for line in lines:
        legend.append({**line, "x": at, "text_x": at + 26})
        at += 26 + 8 * len(line["label"]) + 18  # about 8 units per character at 13px
    return render_to_string(
        TEMPLATE,
        {
            "chart_id": chart_id,
            "title": title,
            "description": description,
            "width": WIDTH,
            "height": HEIGHT,
            "empty": empty,
            "lines": lines,
            "legend": legend,
            "x_ticks": x_ticks,
            "y_ticks": y_ticks,
            "plot": {
                "left": LEFT,
                "right": RIGHT,
                "top": TOP,
                "bottom": BOTTOM,
                "width": RIGHT - LEFT,
                "height": BOTTOM - TOP,
                "centre_x": _fmt((LEFT + RIGHT) / 2),
                "centre_y": _fmt((TOP + BOTTOM) / 2),
                "legend_y": BOTTOM + 46,
            },
        },
    )
