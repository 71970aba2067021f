"""The hypercare trend chart: incidents opened against resolved per day, as one self-contained
SVG (no script, no external reference).

Geometry is computed here and formatted as strings, so the template never localizes a
coordinate."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.template.loader import render_to_string

TEMPLATE = "launch/_trend.svg"

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 620, 20, 220
MAX_X_LABELS = 7


def _fmt(number: float) -> str:
    return f"{number:.1f}"


def incident_trend_svg(days: Sequence[tuple[date, int, int]], *, chart_id: str = "trend") -> str:
    """Bars of incidents opened and resolved for each (day, opened, resolved), oldest first."""
    days = list(days)
    top_value = max([1, *(max(opened, resolved) for _, opened, resolved in days)])
    slot = (RIGHT - LEFT) / max(len(days), 1)
    bar = max(slot * 0.35, 1)

    def y(value: int) -> float:
        return BOTTOM - value * (BOTTOM - TOP) / top_value

    bars = []
    for index, (day, opened, resolved) in enumerate(days):
        x = LEFT + index * slot + slot * 0.15
        bars.append(
            {
                "label": f"{day:%d %b}: {opened} opened, {resolved} resolved",
                "opened": {"x": _fmt(x), "y": _fmt(y(opened)), "h": _fmt(BOTTOM - y(opened))},
                "resolved": {
                    "x": _fmt(x + bar),
                    "y": _fmt(y(resolved)),
                    "h": _fmt(BOTTOM - y(resolved)),
                },
            }
        )
    step = max(1, -(-len(days) // MAX_X_LABELS))  # ceiling division
    x_ticks = [
        {"at": _fmt(LEFT + i * slot + slot / 2), "label": day.strftime("%d %b")}
        for i, (day, _, _) in enumerate(days)
        if i % step == 0 or i == len(days) - 1
    ]
    y_step = max(1, -(-top_value // 5))
    y_ticks = [{"at": _fmt(y(v)), "label": v} for v in range(0, top_value + 1, y_step)]
    opened_total = sum(o for _, o, _ in days)
    resolved_total = sum(r for _, _, r in days)
    empty = not opened_total and not resolved_total
    description = (
        "No incident was opened or resolved in this period."
        if empty
        else f"Over {len(days)} days, {opened_total} incidents opened and {resolved_total} "
        "resolved."
    )
    context = {
        "chart_id": chart_id,
        "width": WIDTH,
        "height": HEIGHT,
        "empty": empty,
        "description": description,
        "bar_width": _fmt(bar),
        "bars": bars,
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
        },
    }
    return render_to_string(TEMPLATE, context)
