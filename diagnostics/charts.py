"""The value-vs-complexity chart of the tool assessments, as one self-contained SVG.

The same string goes inline into the workspace page and into the PDF, so it carries no script,
no external reference and only fonts WeasyPrint has (DejaVu). Geometry is computed here and
formatted as strings, so the template never localizes a coordinate.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.template.loader import render_to_string

from diagnostics.models import ToolAssessment

TEMPLATE = "diagnostics/_value_complexity_chart.svg"

WIDTH = 640
HEIGHT = 470
# The plot rectangle inside the viewBox; the rest holds ticks and axis titles.
LEFT, RIGHT, TOP, BOTTOM = 72, 624, 16, 410
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


def _fmt(number: float) -> str:
    return f"{number:.1f}"


def _x(complexity: float) -> float:
    span = RIGHT - LEFT - 2 * PAD_X
    return LEFT + PAD_X + (complexity - SCALE[0]) * span / (SCALE[-1] - SCALE[0])


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
                    x=_fmt(cx + dx),
                    y=_fmt(cy),
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
                _Label(x=_fmt(cx), y=_fmt(cy + LABEL_GAP + line * LINE_HEIGHT), text=text)
            )
    return dots, labels


def value_complexity_svg(
    assessments: Sequence[ToolAssessment], *, chart_id: str = "value-complexity"
) -> str:
    """The scatter of tools by complexity (x) and value (y), with the four quadrants named.

    `chart_id` prefixes the element ids that `aria-labelledby` points at; pass a distinct one
    if the chart appears twice in one document.
    """
    assessments = list(assessments)
    dots, labels = _points(assessments)
    mid_x, mid_y = _x(MIDPOINT), _y(MIDPOINT)
    description = (
        "; ".join(f"{a.tool.name}: value {a.value}, complexity {a.complexity}" for a in assessments)
        or "No tools assessed yet."
    )
    context = {
        "chart_id": chart_id,
        "width": WIDTH,
        "height": HEIGHT,
        "empty": not assessments,
        "description": description,
        "plot": {
            "left": LEFT,
            "top": TOP,
            "right": RIGHT,
            "bottom": BOTTOM,
            "width": RIGHT - LEFT,
            "height": BOTTOM - TOP,
            "centre_x": _fmt((LEFT + RIGHT) / 2),
            "centre_y": _fmt((TOP + BOTTOM) / 2),
            "mid_x": _fmt(mid_x),
            "mid_y": _fmt(mid_y),
        },
        "quadrants": [
            {
                "name": "keep",
                "fill": "#e7f2ea",
                "ink": "#1e6b3c",
                "caption": "Keep & build on",
                "hint": "high value · low complexity",
                "x": LEFT,
                "y": TOP,
                "w": _fmt(mid_x - LEFT),
                "h": _fmt(mid_y - TOP),
                "tx": LEFT + 8,
                "ty": TOP + 16,
                "anchor": "start",
            },
            {
                "name": "simplify",
                "fill": "#fcf1dc",
                "ink": "#8a5300",
                "caption": "Simplify",
                "hint": "high value · high complexity",
                "x": _fmt(mid_x),
                "y": TOP,
                "w": _fmt(RIGHT - mid_x),
                "h": _fmt(mid_y - TOP),
                "tx": RIGHT - 8,
                "ty": TOP + 16,
                "anchor": "end",
            },
            {
                "name": "reconsider",
                "fill": "#eef1f5",
                "ink": "#4a5568",
                "caption": "Reconsider",
                "hint": "low value · low complexity",
                "x": LEFT,
                "y": _fmt(mid_y),
                "w": _fmt(mid_x - LEFT),
                "h": _fmt(BOTTOM - mid_y),
                "tx": LEFT + 8,
                "ty": BOTTOM - 20,
                "anchor": "start",
            },
            {
                "name": "retire",
                "fill": "#fae6e3",
                "ink": "#a3322a",
                "caption": "Retire candidates",
                "hint": "low value · high complexity",
                "x": _fmt(mid_x),
                "y": _fmt(mid_y),
                "w": _fmt(RIGHT - mid_x),
                "h": _fmt(BOTTOM - mid_y),
                "tx": RIGHT - 8,
                "ty": BOTTOM - 20,
                "anchor": "end",
            },
        ],
        "x_ticks": [{"at": _fmt(_x(n)), "label": n} for n in SCALE],
        "y_ticks": [{"at": _fmt(_y(n)), "label": n} for n in SCALE],
        "dots": dots,
        "labels": labels,
    }
    return render_to_string(TEMPLATE, context)
