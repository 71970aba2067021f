"""The burn-up chart of a sprint: deliverables done (solid) against scope (dashed) each day,
drawn in the shared chart frame (engagements.charts)."""

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

TEMPLATE = "sprints/_burn_up.svg"
FRAME = Frame(width=640, height=300, left=56, right=620, top=20, bottom=240)
DONE, SCOPE = "#1e6b3c", "#8a5300"
LEGEND = [
    LegendItem("Done", DONE),
    LegendItem("Scope", SCOPE, dash="6 4", stroke_width=2),
]


def burn_up_svg(
    points: Sequence[tuple[date, int, int]],
    *,
    sprint_days: int | None = None,
    chart_id: str = "burn-up",
) -> SafeString:
    """Done against scope for each (day, done, scope), from `services.burn_up`.

    With `sprint_days` the x axis spans the whole sprint, so a sprint under way shows how much
    of it is left; without, it spans the points given."""
    points = list(points)
    axis = count_axis(FRAME, max([1, *(max(done, scope) for _, done, scope in points)]))
    span = max((sprint_days or len(points)) - 1, len(points) - 1, 1)

    def x(index: int) -> float:
        return FRAME.x(index, low=0, high=span)

    def line(values: list[int]) -> str:
        ys = [coord(FRAME.y(v, top=axis.top)) for v in values]
        if len(values) == 1:  # a single day still draws a visible stub
            return f"{coord(FRAME.left)},{ys[0]} {coord(FRAME.left + 8)},{ys[0]}"
        return " ".join(f"{coord(x(i))},{y}" for i, y in enumerate(ys))

    last = points[-1] if points else None
    return render_chart(
        TEMPLATE,
        chart_id=chart_id,
        css_class="burn-up-chart",
        title="Burn-up: deliverables done against scope",
        description=(
            f"{len(points)} days; on {day_label(last[0])} {last[1]} of {last[2]} deliverables done."
            if last
            else "The sprint has not started yet."
        ),
        frame=FRAME,
        empty=not points,
        empty_message="The sprint has not started yet",
        x_ticks=time_ticks([day for day, _, _ in points], at=x, most=8),
        y_ticks=axis.ticks if points else [],
        x_title="Day →",
        y_title="Deliverables",
        legend=legend(LEGEND, x=FRAME.left, y=FRAME.bottom + 50),
        done_line=line([done for _, done, _ in points]) if points else "",
        scope_line=line([scope for _, _, scope in points]) if points else "",
        colours={"done": DONE, "scope": SCOPE},
    )
