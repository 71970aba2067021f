"""The burn-up chart of a sprint, as one self-contained SVG (no script, no external reference).

Geometry is computed here and formatted as strings, so the template never localizes a
coordinate."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.template.loader import render_to_string

TEMPLATE = "sprints/_burn_up.svg"

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 620, 20, 240
MAX_X_LABELS = 8


def _fmt(number: float) -> str:
    return f"{number:.1f}"


def burn_up_svg(
    points: Sequence[tuple[date, int, int]],
    *,
    sprint_days: int | None = None,
    chart_id: str = "burn-up",
) -> str:
    """Done (solid) against scope (dashed) for each day, from `services.burn_up`.

    With `sprint_days` the x axis spans the whole sprint, so a sprint under way shows how much
    of it is left; without, it spans the points given."""
    points = list(points)
    top_value = max([1, *(max(done, scope) for _, done, scope in points)])
    span = max((sprint_days or len(points)) - 1, len(points) - 1, 1)

    def x(index: int) -> float:
        return LEFT + index * (RIGHT - LEFT) / span

    def y(value: int) -> float:
        return BOTTOM - value * (BOTTOM - TOP) / top_value

    def line(values: list[int]) -> str:
        if len(values) == 1:  # a single day still draws a visible stub
            return f"{_fmt(LEFT)},{_fmt(y(values[0]))} {_fmt(LEFT + 8)},{_fmt(y(values[0]))}"
        return " ".join(f"{_fmt(x(i))},{_fmt(y(v))}" for i, v in enumerate(values))

    step = max(1, -(-len(points) // MAX_X_LABELS))  # ceiling division
    x_ticks = [
        {"at": _fmt(x(i)), "label": day.strftime("%d %b")}
        for i, (day, _, _) in enumerate(points)
        if i % step == 0 or i == len(points) - 1
    ]
    y_step = max(1, -(-top_value // 5))
    y_ticks = [{"at": _fmt(y(v)), "label": v} for v in range(0, top_value + 1, y_step)]
    last = points[-1] if points else None
    description = (
        f"{len(points)} days; on {last[0]:%d %b} {last[1]} of {last[2]} deliverables done."
        if last
        else "The sprint has not started yet."
    )
    context = {
        "chart_id": chart_id,
        "width": WIDTH,
        "height": HEIGHT,
        "empty": not points,
        "description": description,
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
        "done_line": line([done for _, done, _ in points]) if points else "",
        "scope_line": line([scope for _, _, scope in points]) if points else "",
        "x_ticks": x_ticks,
        "y_ticks": y_ticks,
    }
    return render_to_string(TEMPLATE, context)
