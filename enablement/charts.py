"""The Phase 6 charts, drawn in the shared chart frame (engagements.charts):

- adoption trends: one metric per chart, one line per role, one point per ISO week (a week with
  nothing measured leaves a gap in its role's line);
- training completion by role against the threshold, in the workspace, the portal and the
  handoff pack.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.safestring import SafeString

from enablement.selectors.training import DEFAULT_COMPLETION_THRESHOLD, RoleCompletion
from engagements.charts import (
    Frame,
    LegendItem,
    coord,
    day_label,
    legend,
    long_day_label,
    number_label,
    render_chart,
    share_axis,
    time_ticks,
)
from engagements.models import StakeholderRole

TREND_TEMPLATE = "enablement/_adoption_trend.svg"
TREND_FRAME = Frame(width=480, height=240, left=48, right=444, top=12, bottom=172, font_size=13)
# Colour-blind-safe (Okabe–Ito), with a distinct dash per role so colour is not the only cue.
ROLE_STYLE: dict[str, tuple[str, str]] = {
    StakeholderRole.REP: ("#0072b2", ""),
    StakeholderRole.MANAGER: ("#d55e00", "6 3"),
    StakeholderRole.OPS: ("#009e73", "2 3"),
    StakeholderRole.LEADERSHIP: ("#6a3d9a", "10 3 2 3"),
}

COMPLETION_TEMPLATE = "enablement/_completion.svg"
LABEL_WIDTH = 110
BAR_WIDTH = 380
ROW_HEIGHT = 34
MET, NOT_MET = "#1e6b3c", "#b86e00"


def role_trend_svg(
    *,
    title: str,
    weeks: list[date],
    series: dict[str, list[float | None]],
    top: float,
    unit: str = "",
    threshold_note: str = "",
    chart_id: str,
) -> SafeString:
    """Lines of `series` (role → value per week) over `weeks`, on a 0–`top` scale."""
    frame = TREND_FRAME
    values = [v for line in series.values() for v in line if v is not None]
    axis = share_axis(frame, max([top, *values]) if values else top, unit=unit)

    def x(index: int) -> float:
        if len(weeks) == 1:
            return (frame.left + frame.right) / 2
        return frame.x(index, low=0, high=len(weeks) - 1)

    def shown(value: float) -> str:
        return number_label(value, unit=unit, decimals=1)

    lines: list[dict[str, Any]] = []
    for role, points in series.items():
        colour, dash = ROLE_STYLE.get(role, ("#333333", ""))
        label = StakeholderRole(role).label
        segments: list[list[str]] = []
        current: list[str] = []
        dots = []
        for index, value in enumerate(points):
            if value is None:
                if current:
                    segments.append(current)
                current = []
                continue
            at = (coord(x(index)), coord(frame.y(value, top=axis.top)))
            current.append(",".join(at))
            dots.append(
                {
                    "x": at[0],
                    "y": at[1],
                    "label": f"{label}, week of {day_label(weeks[index])}: {shown(value)}",
                }
            )
        if current:
            segments.append(current)
        latest = next((shown(v) for v in reversed(points) if v is not None), "none")
        lines.append(
            {
                "label": label,
                "colour": colour,
                "dash": dash,
                "segments": [" ".join(s) for s in segments],
                "dots": dots,
                "latest": latest,
            }
        )
    empty = not values
    description = (
        "No adoption measured in these weeks yet."
        if empty
        else f"{title} per role over {len(weeks)} weeks, from the week of "
        f"{long_day_label(weeks[0])}. "
        + "; ".join(f"{line['label']} latest: {line['latest']}" for line in lines)
        + (f". {threshold_note}" if threshold_note else "")
    )
    return render_chart(
        TREND_TEMPLATE,
        chart_id=chart_id,
        css_class="adoption-chart",
        title=f"{title} per role and week",
        description=description,
        frame=frame,
        empty=empty,
        empty_message="No usage measured in these weeks yet",
        x_ticks=time_ticks(weeks, at=x, most=5),
        y_ticks=axis.ticks,
        legend=legend(
            [
                LegendItem(line["label"], line["colour"], dash=line["dash"], stroke_width=3)
                for line in lines
            ],
            x=frame.left,
            y=frame.bottom + 46,
            font_size=13,
        ),
        lines=lines,
    )


def completion_chart_svg(
    rows: list[RoleCompletion], *, chart_id: str = "completion-chart"
) -> SafeString:
    """Training completion by role (one bar each) against the threshold (a dashed line)."""
    threshold = rows[0].threshold if rows else DEFAULT_COMPLETION_THRESHOLD
    height = 10 + len(rows) * ROW_HEIGHT + 16
    frame = Frame(
        width=LABEL_WIDTH + BAR_WIDTH + 110,
        height=height,
        left=LABEL_WIDTH,
        right=LABEL_WIDTH + BAR_WIDTH,
        top=4,
        bottom=height - 14,
        font_size=13,
    )

    def x(percent: float) -> float:
        return frame.x(percent, low=0, high=100)

    bars = [
        {
            "row": row,
            "y": coord(10 + index * ROW_HEIGHT),
            "text_y": coord(10 + index * ROW_HEIGHT + 15),
            "width": coord(x(row.percent) - frame.left),
            "value_x": coord(x(row.percent) + 6),
            "value": number_label(row.percent, unit="%"),
            "colour": MET if row.meets_threshold else NOT_MET,
        }
        for index, row in enumerate(rows)
    ]
    description = (
        "; ".join(
            f"{row.label}: {number_label(row.percent, unit='%')} ({row.completed} of "
            f"{row.assigned} modules completed)"
            for row in rows
        )
        + f". The dashed line marks the {number_label(threshold, unit='%')} required."
    )
    return render_chart(
        COMPLETION_TEMPLATE,
        chart_id=chart_id,
        css_class="completion-chart",
        title="Training completion by role",
        description=description,
        frame=frame,
        bars=bars,
        bar_width=coord(frame.plot_width),
        threshold={
            "x": coord(x(threshold)),
            "label": f"{number_label(threshold, unit='%')} required",
            "label_y": coord(height - 4),
        },
    )
