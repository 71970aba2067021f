"""The value-vs-complexity chart of the tool assessments, drawn in the shared chart frame
(engagements.charts); the same string goes into the workspace page and the diagnostic report."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.safestring import SafeString

from diagnostics.models import ToolAssessment
from engagements.charts import Frame, Tick, coord, render_chart

TEMPLATE = "diagnostics/_value_complexity_chart.svg"

FRAME = Frame(width=640, height=470, left=72, right=624, top=16, bottom=410)
LEFT, RIGHT, TOP, BOTTOM = FRAME.left, FRAME.right, FRAME.top, FRAME.bottom
# Room inside the plot between its edge and the outermost scale point: above the top row for
# the upper captions; below the bottom row for a full stack of labels plus the lower captions.
PAD_X, PAD_TOP, PAD_BOTTOM = 58, 44, 88
SCALE = (1, 2, 3, 4, 5)
MIDPOINT = 3

DOT_SPACING = 13  # horizontal jitter between tools that share a point…
DOT_SPREAD = 78  # …squeezed so a crowded point stays inside its column
LABEL_GAP = 18  # from a dot's centre to the first label's baseline
LINE_HEIGHT = 12
MAX_LABEL_LINES = 4  # per point; the rest collapse into "+ n more" (each dot keeps its title)
MAX_LINES_PER_TOOL = 2
MAX_LABEL_CHARS = 17


@dataclass(frozen=True)
class _Dot:
    x: str
    y: str
    title: str


@dataclass(frozen=True)
class _Label:
    x: str
    y: str
    text: str


def _x(complexity: float) -> float:
    return FRAME.x(complexity, low=SCALE[0], high=SCALE[-1], pad=PAD_X)


def _y(value: float) -> float:
    span = BOTTOM - TOP - PAD_TOP - PAD_BOTTOM
    return BOTTOM - PAD_BOTTOM - (value - SCALE[0]) * span / (SCALE[-1] - SCALE[0])


def _label_lines(name: str) -> list[str]:
    """A tool name wrapped on words into at most two short lines, the rest cut with "…"."""
    lines: list[str] = []
    current = ""
    for word in name.split():
        candidate = f"{current} {word}".strip()
        if len(candidate) <= MAX_LABEL_CHARS or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    lines.append(current)
    if len(lines) > MAX_LINES_PER_TOOL:
        lines = [*lines[: MAX_LINES_PER_TOOL - 1], " ".join(lines[MAX_LINES_PER_TOOL - 1 :])]
    return [
        line if len(line) <= MAX_LABEL_CHARS else line[: MAX_LABEL_CHARS - 1].rstrip() + "…"
        for line in lines
    ]


def _points(assessments: Sequence[ToolAssessment]) -> tuple[list[_Dot], list[_Label]]:
    """One dot per tool; tools on the same grid point sit side by side, labels stacked below.

    The offset is by the tool's index within its point (in the order given), so the same data
    always draws the same picture.
    """
    groups: dict[tuple[int, int], list[ToolAssessment]] = defaultdict(list)
    for assessment in assessments:
        groups[(assessment.complexity, assessment.value)].append(assessment)

    dots: list[_Dot] = []
    labels: list[_Label] = []
    for (complexity, value), group in groups.items():
        cx, cy = _x(complexity), _y(value)
        for index, assessment in enumerate(group):
            spacing = min(DOT_SPACING, DOT_SPREAD / max(len(group) - 1, 1))
            dx = (index - (len(group) - 1) / 2) * spacing
            dots.append(
                _Dot(
                    x=coord(cx + dx),
                    y=coord(cy),
                    title=f"{assessment.tool.name}: value {value}, complexity {complexity}",
                )
            )
        lines: list[str] = []
        for shown, assessment in enumerate(group):
            tool_lines = _label_lines(assessment.tool.name)
            # Keep one line free for "+ n more" unless this is the last tool of the point.
            room = MAX_LABEL_LINES - len(lines) - (shown < len(group) - 1)
            if len(tool_lines) > room:
                lines.append(f"+ {len(group) - shown} more")
                break
            lines.extend(tool_lines)
        for line, text in enumerate(lines):
            labels.append(
                _Label(x=coord(cx), y=coord(cy + LABEL_GAP + line * LINE_HEIGHT), text=text)
            )
    return dots, labels


def value_complexity_svg(
    assessments: Sequence[ToolAssessment], *, chart_id: str = "value-complexity"
) -> SafeString:
    """The scatter of tools by complexity (x) and value (y), with the four quadrants named.

    `chart_id` prefixes the element ids that `aria-labelledby` points at; pass a distinct one
    if the chart appears twice in one document.
    """
    assessments = list(assessments)
    dots, labels = _points(assessments)
    mid_x, mid_y = _x(MIDPOINT), _y(MIDPOINT)
    return render_chart(
        TEMPLATE,
        chart_id=chart_id,
        css_class="value-complexity-chart",
        title="Tools by value and complexity",
        description=(
            "; ".join(
                f"{a.tool.name}: value {a.value}, complexity {a.complexity}" for a in assessments
            )
            or "No tools assessed yet."
        ),
        frame=FRAME,
        empty=not assessments,
        empty_message="No tools assessed yet",
        x_ticks=[Tick(at=coord(_x(n)), label=str(n)) for n in SCALE],
        y_ticks=[Tick(at=coord(_y(n)), label=str(n)) for n in SCALE],
        x_title="Complexity →",
        y_title="Value →",
        mid={"x": coord(mid_x), "y": coord(mid_y)},
        quadrants=_quadrants(mid_x, mid_y),
        dots=dots,
        labels=labels,
    )


def _quadrants(mid_x: float, mid_y: float) -> list[dict[str, object]]:
    """The four quadrants, each tinted and captioned in its corner."""
    left = {"x": coord(LEFT), "w": coord(mid_x - LEFT), "tx": coord(LEFT + 8), "anchor": "start"}
    right = {"x": coord(mid_x), "w": coord(RIGHT - mid_x), "tx": coord(RIGHT - 8), "anchor": "end"}
    upper = {"y": coord(TOP), "h": coord(mid_y - TOP), "ty": TOP + 16}
    lower = {"y": coord(mid_y), "h": coord(BOTTOM - mid_y), "ty": BOTTOM - 20}
    return [
        {"name": "keep", "fill": "#e7f2ea", "ink": "#1e6b3c", "caption": "Keep & build on",
         "hint": "high value · low complexity", **left, **upper},
        {"name": "simplify", "fill": "#fcf1dc", "ink": "#8a5300", "caption": "Simplify",
         "hint": "high value · high complexity", **right, **upper},
        {"name": "reconsider", "fill": "#eef1f5", "ink": "#4a5568", "caption": "Reconsider",
         "hint": "low value · low complexity", **left, **lower},
        {"name": "retire", "fill": "#fae6e3", "ink": "#a3322a", "caption": "Retire candidates",
         "hint": "low value · high complexity", **right, **lower},
    ]  # fmt: skip
