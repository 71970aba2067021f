"""The one frame every chart and diagram is drawn in: server-side SVG for the pages and the PDFs.

A chart module computes its marks; this module gives it the rest, the same everywhere: the plot
rectangle, the value and time axes with their ticks, the number and date formats, the legend,
and the accessible wrapper (`role="img"`, a `<title>` and a `<desc>` that `aria-labelledby`
points at). Its template extends `engagements/_chart.svg`, which draws the frame, the grid,
the axes, the empty state and the legend, and fills the `marks` block.

The same string goes inline into a page and into a PDF, so it carries no script, no external
reference and only fonts WeasyPrint has (DejaVu). Geometry is computed here and formatted as
strings, so the template never localizes a coordinate.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

FRAME_TEMPLATE = "engagements/_chart.svg"
FONT_FAMILY = "DejaVu Sans, sans-serif"

INK = "#2b3340"
MUTED = "#5b6472"
PLOT_FILL = "#f6f7f9"
PLOT_STROKE = "#d5d9e0"

CHAR_WIDTH = 0.62  # DejaVu Sans' mean advance, in ems: generous, so a browser font fits too


def coord(number: float) -> str:
    """A coordinate as the SVG gets it: one decimal, never localized."""
    return f"{number:.1f}"


def number_label(value: float, *, unit: str = "", decimals: int = 0) -> str:
    """A value as a reader sees it on an axis or in a description: `1,250`, `42.5%`."""
    return f"{value:,.{decimals}f}{unit}"


def day_label(day: date) -> str:
    """A day on a time axis: `04 Dec`."""
    return f"{day:%d %b}"


def long_day_label(day: date) -> str:
    """A day in a description, where the year matters: `04 Dec 2026`."""
    return f"{day:%d %b %Y}"


def text_width(text: str, *, size: float) -> float:
    """An estimate of the width of `text` at `size` in DejaVu Sans."""
    return len(text) * size * CHAR_WIDTH


@dataclass(frozen=True)
class Tick:
    at: str
    label: str


@dataclass(frozen=True)
class Frame:
    """The viewBox and the plot rectangle inside it; the rest holds ticks, titles, legend."""

    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    font_size: float = 11

    @property
    def plot_width(self) -> float:
        return self.right - self.left

    @property
    def plot_height(self) -> float:
        return self.bottom - self.top

    def y(self, value: float, *, top: float, bottom: float = 0) -> float:
        """The height of `value` on a linear scale from `bottom` (the plot's foot) to `top`."""
        return self.bottom - (value - bottom) * self.plot_height / ((top - bottom) or 1)

    def x(self, value: float, *, low: float, high: float, pad: float = 0) -> float:
        """The position of `value` on a linear scale from `low` to `high`, `pad` inside the
        plot's edges."""
        span = self.plot_width - 2 * pad
        return self.left + pad + (value - low) * span / ((high - low) or 1)

    def context(self) -> dict[str, Any]:
        return {
            "width": self.width,
            "height": self.height,
            "left": coord(self.left),
            "right": coord(self.right),
            "top": coord(self.top),
            "bottom": coord(self.bottom),
            "plot_width": coord(self.plot_width),
            "plot_height": coord(self.plot_height),
            "centre_x": coord((self.left + self.right) / 2),
            "centre_y": coord((self.top + self.bottom) / 2),
            "font_size": self.font_size,
            # Tick labels: one line below the plot; right-aligned just left of it.
            "x_label_y": coord(self.bottom + self.font_size * 1.45),
            "y_label_x": coord(self.left - 8),
            "x_title_y": coord(self.bottom + self.font_size * 3.1),
            "y_title_x": "16",
        }


def _nice_step(raw: float) -> float:
    """The smallest 1, 2 or 5 × 10ⁿ at least `raw`."""
    if raw <= 0:
        return 1
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw - 1e-9)


@dataclass(frozen=True)
class ValueAxis:
    """A value axis from 0 to `top`, a round number, with evenly spaced ticks."""

    top: float
    ticks: list[Tick]


def count_axis(frame: Frame, highest: float, *, most_ticks: int = 5) -> ValueAxis:
    """A 0-based axis for counts: whole, round steps (1, 2, 5, 10…), its top a tick at or above
    `highest`, so the highest bar or line always sits under a labelled value."""
    step = max(1, int(_nice_step(max(highest, 1) / most_ticks)))
    top = max(step, math.ceil(max(highest, 1) / step) * step)
    return ValueAxis(
        top=top,
        ticks=[
            Tick(at=coord(frame.y(v, top=top)), label=number_label(v))
            for v in range(0, top + 1, step)
        ],
    )


def share_axis(frame: Frame, top: float, *, parts: int = 4, unit: str = "") -> ValueAxis:
    """A 0-based axis for a measure with a natural top (a percentage, a score), cut into
    `parts` equal steps."""
    return ValueAxis(
        top=top,
        ticks=[
            Tick(
                at=coord(frame.y(top * i / parts, top=top)),
                label=number_label(top * i / parts, unit=unit),
            )
            for i in range(parts + 1)
        ],
    )


def time_ticks(days: Sequence[date], *, at: Callable[[int], float], most: int) -> list[Tick]:
    """At most about `most` day labels, evenly spaced, for a series with one point per day
    (or week) in `days`; the latest too, unless it would crowd the label before it."""
    if not days:
        return []
    step = max(1, -(-len(days) // most))  # ceiling division
    shown = list(range(0, len(days), step))
    last = len(days) - 1
    if shown[-1] != last and last - shown[-1] > step / 2:
        shown.append(last)
    return [Tick(at=coord(at(i)), label=day_label(days[i])) for i in shown]


@dataclass(frozen=True)
class LegendItem:
    """One key: a line (with its dash, and arrowheads for a diagram) or a filled swatch."""

    label: str
    colour: str
    kind: Literal["line", "swatch"] = "line"
    dash: str = ""
    stroke_width: float = 2.5
    heads: Literal["", "end", "both"] = ""


@dataclass(frozen=True)
class _PlacedItem:
    item: LegendItem
    x: str
    x2: str
    text_x: str
    heads: list[str] = field(default_factory=list)


def legend(
    items: Sequence[LegendItem],
    *,
    x: float,
    y: float,
    font_size: float = 11,
    ink: str = INK,
    align: Literal["start", "end"] = "start",
) -> dict[str, Any]:
    """The keys side by side, starting at `x` (or ending there, with `align="end"`), on the row
    whose middle is `y`: a line 22 units long (or a 12-unit swatch), then its label."""
    spans = []
    at = 0.0
    for item in items:
        key = 12 if item.kind == "swatch" else 22
        gap = 9 if item.heads else 6
        spans.append((at, key, gap))
        at += key + gap + text_width(item.label, size=font_size) + 18
    width = max(at - 18, 0)
    start = x - width if align == "end" else x
    placed = []
    for item, (offset, key, gap) in zip(items, spans, strict=True):
        left = start + offset
        heads = []
        if item.heads:
            heads.append(_arrowhead(left + key + 4, pointing=1))
            if item.heads == "both":
                heads.append(_arrowhead(left, pointing=-1))
        placed.append(
            _PlacedItem(
                item=item,
                x=coord(left + (6 if item.heads == "both" else 0)),
                x2=coord(left + key),
                text_x=coord(left + key + gap),
                heads=heads,
            )
        )
    return {"items": placed, "y": coord(y), "font_size": font_size, "ink": ink}


def _arrowhead(tip_x: float, *, pointing: int, length: float = 8) -> str:
    """A filled arrowhead on the legend's middle line (y = 0), its tip at `tip_x`."""
    back = coord(tip_x - pointing * length)
    return f"{coord(tip_x)},0.0 {back},-4.5 {back},4.5"


def render_chart(
    template: str,
    *,
    chart_id: str,
    css_class: str,
    title: str,
    description: str,
    frame: Frame,
    empty: bool = False,
    empty_message: str = "",
    x_ticks: Sequence[Tick] = (),
    y_ticks: Sequence[Tick] = (),
    x_title: str = "",
    y_title: str = "",
    legend: dict[str, Any] | None = None,
    **marks: Any,
) -> SafeString:
    """The chart as one SVG string, safe to put in a page: every value is escaped by the
    template. `chart_id` prefixes the ids `aria-labelledby` points at: pass a distinct one
    for each chart in one document."""
    return render_to_string(
        template,
        {
            "chart": {
                "id": chart_id,
                "css_class": css_class,
                "title": title,
                "description": description,
                "empty": empty,
                "empty_message": empty_message,
                "x_ticks": list(x_ticks),
                "y_ticks": list(y_ticks),
                "x_title": x_title,
                "y_title": y_title,
                "legend": legend,
                "font_family": FONT_FAMILY,
                "ink": INK,
                "muted": MUTED,
                "plot_fill": PLOT_FILL,
                "plot_stroke": PLOT_STROKE,
            },
            "plot": frame.context(),
            **marks,
        },
    )
