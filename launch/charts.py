"""The hypercare trend chart: incidents opened against resolved per day, drawn in the shared
chart frame (engagements.charts)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.utils.safestring import SafeString

from engagements.charts import (
    Frame,
    LegendItem,
    coord,
    count_axis,
    day_label,
    legend,
    render_chart,
    time_ticks,
)

TEMPLATE = "launch/_trend.svg"
FRAME = Frame(width=640, height=280, left=48, right=620, top=20, bottom=220)
OPENED, RESOLVED = "#a3322a", "#1e6b3c"
LEGEND = [
    LegendItem("Opened", OPENED, kind="swatch"),
    LegendItem("Resolved", RESOLVED, kind="swatch"),
]


def incident_trend_svg(
    days: Sequence[tuple[date, int, int]], *, chart_id: str = "trend"
) -> SafeString:
    """Bars of incidents opened and resolved for each (day, opened, resolved), oldest first."""
    days = list(days)
    axis = count_axis(FRAME, max([1, *(max(opened, resolved) for _, opened, resolved in days)]))
    slot = FRAME.plot_width / max(len(days), 1)
    bar = max(slot * 0.35, 1)

    def rect(x: float, value: int) -> dict[str, str]:
        y = FRAME.y(value, top=axis.top)
        return {"x": coord(x), "y": coord(y), "h": coord(FRAME.bottom - y)}

    bars = []
    for index, (day, opened, resolved) in enumerate(days):
        x = FRAME.left + index * slot + slot * 0.15
        bars.append(
            {
                "label": f"{day_label(day)}: {opened} opened, {resolved} resolved",
                "opened": rect(x, opened),
                "resolved": rect(x + bar, resolved),
            }
        )
    opened_total = sum(o for _, o, _ in days)
    resolved_total = sum(r for _, _, r in days)
    empty = not opened_total and not resolved_total
    return render_chart(
        TEMPLATE,
        chart_id=chart_id,
        css_class="trend-chart",
        title="Incidents opened and resolved per day",
        description=(
            "No incident was opened or resolved in this period."
            if empty
            else f"Over {len(days)} days, {opened_total} incidents opened and {resolved_total} "
            "resolved."
        ),
        frame=FRAME,
        empty=empty,
        empty_message=f"No incidents in the last {len(days)} days",
        x_ticks=time_ticks(
            [day for day, _, _ in days], at=lambda i: FRAME.left + i * slot + slot / 2, most=7
        ),
        y_ticks=[] if empty else axis.ticks,
        legend=legend(LEGEND, x=FRAME.left, y=FRAME.bottom + 42),
        bar_width=coord(bar),
        bars=bars,
        colours={"opened": OPENED, "resolved": RESOLVED},
    )
