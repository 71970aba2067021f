"""The data-flow blueprint as one self-contained SVG: the pipeline stages, the systems and the
integrations between them, and the reporting layer.

Read top to bottom, it answers a sales leader's three questions: what happens to a deal from
first touch to renewal (the stages, left to right, each with the system it lives in and who acts),
which systems hold the data and how it moves between them (solid for automated, dashed for
manual, double-headed for two-way), and where the dashboards get their numbers.

The same string goes inline into the workspace page, the portal and the PDF, so it carries no
script, no external reference and only fonts WeasyPrint has (DejaVu). The layout is computed
here from the data alone, in the order given, so the same blueprint always draws the same
picture; text is wrapped by an estimate of DejaVu's advance widths (generous, so a narrower
fallback font in a browser only leaves more room).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from architecture.models import Direction, Integration, ReportingItem, Stage
from engagements.charts import Frame, LegendItem, legend, render_chart
from engagements.charts import coord as _fmt
from engagements.models import StakeholderRole

TEMPLATE = "architecture/_diagram.svg"

WIDTH = 960
MARGIN = 16
INNER = WIDTH - 2 * MARGIN

STAGES_PER_ROW = 8
STAGE_GAP = 16  # room for the chevron between two stages
MAX_STAGE_WIDTH = 240
SYSTEMS_PER_ROW = 7  # more than this and the systems take two rows
SYSTEM_GAP = 18
LABEL_MAX = 320  # widest integration label, in pixels
LANE_HEIGHT = 30
CARDS_PER_ROW = 4
CARD_GAP = 12

INK = "#1b2330"
MUTED = "#5b6472"
FAINT = "#8a93a0"
NO_SYSTEM = "#b42318"
PALETTE = [
    "#1d4e89",  # navy
    "#2a7f78",  # teal
    "#b7561f",  # burnt orange
    "#6b3fa0",  # violet
    "#4d7c0f",  # olive
    "#a3325a",  # raspberry
    "#0e7490",  # cyan
    "#8a6d1d",  # ochre
]
"""One colour per system, in order of first appearance; a stage carries its system's colour."""

ROLE_LABELS: dict[str, str] = {
    StakeholderRole.LEADERSHIP: "Leadership",
    StakeholderRole.MANAGER: "Managers",
    StakeholderRole.REP: "Reps",
    StakeholderRole.OPS: "Ops",
}

# Advance widths of DejaVu Sans in em, by character class (measured, rounded up).
_NARROW = set("ijlI.,:;'|!·J")
_SEMI = set("frt()-/ []")
_WIDE = set("mwMW@%&…→")
_CAPS = set("ABCDEFGHKLNOPQRSTUVXYZ")


def _em(char: str) -> float:
    if char in _NARROW:
        return 0.34
    if char == " ":
        return 0.33
    if char in _SEMI:
        return 0.44
    if char in _WIDE:
        return 1.0
    if char in _CAPS:
        return 0.76
    return 0.62


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    return sum(_em(c) for c in text) * size * (1.1 if bold else 1.0)


def wrap(text: str, width: float, size: float, *, bold: bool = False, lines: int = 3) -> list[str]:
    """`text` broken on spaces into at most `lines` lines of at most `width` pixels. A word too
    long for a line is split; text that does not fit ends the last line with "…"."""

    def fits(candidate: str) -> bool:
        return text_width(candidate, size, bold=bold) <= width

    wrapped: list[str] = []
    current = ""
    words = text.split()
    while words:
        word = words.pop(0)
        candidate = f"{current} {word}".strip()
        if fits(candidate):
            current = candidate
        elif current:
            wrapped.append(current)
            current = ""
            words.insert(0, word)
        else:
            head = word
            while len(head) > 1 and not fits(head):
                head = head[:-1]
            wrapped.append(head)
            if word[len(head) :]:
                words.insert(0, word[len(head) :])
    if current:
        wrapped.append(current)
    if len(wrapped) <= lines:
        return wrapped or [""]
    last = wrapped[lines - 1]
    while last and not fits(last + "…"):
        last = last[:-1]
    return [*wrapped[: lines - 1], last.rstrip(" ,·-") + "…"]


@dataclass
class _Text:
    x: str
    y: str
    text: str


@dataclass
class _StageBox:
    number: int
    x: str
    y: str
    w: str
    h: str
    colour: str
    title: str
    kicker: _Text
    name: list[_Text]
    divider_y: str
    divider_x2: str
    dot: tuple[str, str] | None
    system: list[_Text]
    system_missing: bool
    roles: list[_Text]
    chevron: str = ""
    """Points of the arrowhead to the next stage in the same row, if any."""


@dataclass
class _SystemBox:
    key: str
    name: str
    colour: str
    row: int
    slot: int
    x: float = 0
    y: float = 0
    w: float = 0
    h: float = 0
    size: float = 11.5
    """Font size of the name: smaller when one of its words would not fit the box."""
    name_lines: list[str] = field(default_factory=list)
    note_lines: list[str] = field(default_factory=list)

    @property
    def centre(self) -> float:
        return self.x + self.w / 2

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def texts(self) -> dict:
        return {
            "x": _fmt(self.x), "y": _fmt(self.y), "w": _fmt(self.w), "h": _fmt(self.h),
            "size": _fmt(self.size), "name": self.name, "colour": self.colour,
            "lines": [
                _Text(_fmt(self.x + 14), _fmt(self.y + 20 + (self.size + 2.5) * i), line)
                for i, line in enumerate(self.name_lines)
            ],
            "note": [
                _Text(
                    _fmt(self.x + 14),
                    _fmt(self.y + 22 + (self.size + 2.5) * len(self.name_lines) + 11 * i),
                    line,
                )
                for i, line in enumerate(self.note_lines)
            ],
        }  # fmt: skip


@dataclass
class _Flow:
    title: str
    path: str
    colour: str
    dashed: bool
    heads: list[str]
    label: _Text
    label_box: tuple[str, str]
    label_width: str


@dataclass
class _Chip:
    """A source of a dashboard: its system's colour dot, then its name."""

    dot_x: str
    dot_y: str
    x: str
    y: str
    colour: str | None
    text: str


@dataclass
class _Card:
    x: str
    y: str
    w: str
    h: str
    name: list[_Text]
    chips: list[_Chip]


@dataclass(frozen=True)
class Diagram:
    svg: str
    width: int
    height: int


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _systems(
    stages: Sequence[Stage], integrations: Sequence[Integration]
) -> dict[str, tuple[str, int]]:
    """Distinct systems by normalised name → (name as first written, stages it is record for),
    in order of first appearance: the stages' systems first, left to right, then the others."""
    systems: dict[str, tuple[str, int]] = {}
    for stage in stages:
        name = " ".join(stage.system_of_record.split())
        if name:
            shown, count = systems.get(_key(name), (name, 0))
            systems[_key(name)] = (shown, count + 1)
    for integration in integrations:
        for name in (integration.source_system, integration.target_system):
            name = " ".join(name.split())
            if name and _key(name) not in systems:
                systems[_key(name)] = (name, 0)
    return systems


def _role_text(roles: Sequence[str]) -> str:
    return " · ".join(ROLE_LABELS.get(role, str(role).title()) for role in roles)


def _layout_stages(
    stages: Sequence[Stage], colours: dict[str, str], top: float
) -> tuple[list[_StageBox], float]:
    boxes: list[_StageBox] = []
    rows = [stages[i : i + STAGES_PER_ROW] for i in range(0, len(stages), STAGES_PER_ROW)]
    columns = min(len(stages), STAGES_PER_ROW)
    width = min(MAX_STAGE_WIDTH, (INNER - (columns - 1) * STAGE_GAP) / columns)
    text_room = width - 16
    y = top
    number = 0
    for row in rows:
        laid = []
        for stage in row:
            name = wrap(stage.name, text_room, 11, bold=True, lines=3)
            system = " ".join(stage.system_of_record.split())
            system_lines = wrap(system or "No system of record", text_room - 9, 9.5, lines=2)
            roles = wrap(_role_text(stage.roles or []), text_room, 8.5, lines=2)
            laid.append((stage, name, system, system_lines, roles))
        height = max(
            52 + 13.5 * len(name) + 12 * len(system_lines) + (11 * len(roles) + 4 if roles else 0)
            for _, name, _, system_lines, roles in laid
        )
        for column, (stage, name, system, system_lines, roles) in enumerate(laid):
            number += 1
            x = MARGIN + column * (width + STAGE_GAP)
            divider = y + 34 + 13.5 * (len(name) - 1) + 8
            system_top = divider + 15
            roles_top = system_top + 12 * len(system_lines) + 3
            colour = colours.get(_key(system), NO_SYSTEM) if system else NO_SYSTEM
            box = _StageBox(
                number=number,
                x=_fmt(x),
                y=_fmt(y),
                w=_fmt(width),
                h=_fmt(height),
                colour=colour,
                title=f"Stage {number}: {stage.name}"
                + (f", in {system}" if system else ", no system of record")
                + (f"; {_role_text(stage.roles)}" if stage.roles else ""),
                kicker=_Text(_fmt(x + 8), _fmt(y + 17), f"STAGE {number}"),
                name=[
                    _Text(_fmt(x + 8), _fmt(y + 32 + 13.5 * i), line) for i, line in enumerate(name)
                ],
                divider_y=_fmt(divider),
                divider_x2=_fmt(x + width - 8),
                dot=(_fmt(x + 11), _fmt(system_top - 3.5)) if system else None,
                system=[
                    _Text(_fmt(x + (17 if system else 8)), _fmt(system_top + 12 * i), line)
                    for i, line in enumerate(system_lines)
                ],
                system_missing=not system,
                roles=[
                    _Text(_fmt(x + 8), _fmt(roles_top + 11 * i + 2), line)
                    for i, line in enumerate(roles)
                    if line
                ],
            )
            if column < len(row) - 1:
                cx, cy = x + width + STAGE_GAP / 2, y + height / 2
                box.chevron = (
                    f"{_fmt(cx - 3)},{_fmt(cy - 6)} {_fmt(cx + 4)},{_fmt(cy)} "
                    f"{_fmt(cx - 3)},{_fmt(cy + 6)}"
                )
            boxes.append(box)
        y += height + 14
    return boxes, y - 14


def _fitting_size(text: str, width: float, sizes: Sequence[float], *, bold: bool) -> float:
    """The largest of `sizes` at which every word of `text` fits on a line of `width`."""
    longest = max(text.split(), key=lambda word: text_width(word, 1, bold=bold), default="")
    return next((s for s in sizes if text_width(longest, s, bold=bold) <= width), sizes[-1])


def _layout_systems(systems: dict[str, tuple[str, int]], top: float) -> list[_SystemBox]:
    """The systems on a grid of at most two rows, in order of first appearance, sized and
    placed on the first row; `_layout_flows` places the second row once it knows how many
    lanes run between the two."""
    count = len(systems)
    if not count:
        return []
    per_row = count if count <= SYSTEMS_PER_ROW else -(-count // 2)
    width = (INNER - (per_row - 1) * SYSTEM_GAP) / per_row
    if per_row == 1:
        width = min(width, 260)
    boxes = []
    for index, (key, (name, records)) in enumerate(systems.items()):
        row, slot = divmod(index, per_row)
        box = _SystemBox(
            key=key, name=name, colour=PALETTE[index % len(PALETTE)], row=row, slot=slot,
            x=MARGIN + slot * (width + SYSTEM_GAP) if per_row > 1 else MARGIN + (INNER - width) / 2,
            y=top, w=width,
        )  # fmt: skip
        room = width - 22
        box.size = _fitting_size(name, room, (11.5, 10.5, 9.5), bold=True)
        box.name_lines = wrap(name, room, box.size, bold=True, lines=3)
        note = (
            f"System of record · {records} stage{'s' if records != 1 else ''}"
            if records
            else "Connected system"
        )
        box.note_lines = wrap(note, room, 8.5, lines=2)
        boxes.append(box)
    height = max(
        20 + (b.size + 2.5) * len(b.name_lines) + 11 * len(b.note_lines) + 8 for b in boxes
    )
    for box in boxes:
        box.h = height
    return boxes


def _arrowhead(x: float, tip_y: float, pointing_up: bool) -> str:
    base = tip_y + 9 if pointing_up else tip_y - 9
    return f"{_fmt(x)},{_fmt(tip_y)} {_fmt(x - 4.5)},{_fmt(base)} {_fmt(x + 4.5)},{_fmt(base)}"


@dataclass
class _End:
    """Where an integration meets a box: the box, and whether on its top or bottom side."""

    box: _SystemBox
    top_side: bool

    @property
    def y(self) -> float:
        return self.box.y if self.top_side else self.box.bottom


def _label_x(
    left: float,
    right: float,
    width: float,
    lane_y: float,
    verticals: Sequence[tuple[float, float, float]],
) -> float:
    """Where a lane's label (a box `width` wide, just above the lane) starts: on the lane from
    its left end, on it up to its right end, or beside either corner, whichever crosses the
    fewest vertical lines, preferring that order on a tie. Always inside the picture."""
    top, bottom = lane_y - 15, lane_y - 2

    def crossings(x: float) -> int:
        return sum(
            1
            for vx, y1, y2 in verticals
            if x - 2 <= vx <= x + width + 2 and y1 < bottom and y2 > top
        )

    candidates = [left + 4, right - 4 - width, left - 4 - width, right + 4]
    inside = [min(max(x, MARGIN), WIDTH - MARGIN - width) for x in candidates]
    return min(inside, key=lambda x: (crossings(x), inside.index(x)))


def _layout_flows(
    integrations: Sequence[Integration], boxes: list[_SystemBox]
) -> tuple[list[_Flow], float]:
    """One horizontal lane per integration: out of the source box, along its lane, into the
    target box. Lanes run in the channel under each row of systems; an integration between
    the two rows runs in the channel between them, entering the lower box from the top.

    Shorter spans take the lanes nearest the boxes. Each box side spreads its ports so that no
    two lines leave from one point and, at one box, a line never crosses another line of the
    same box: lines leaving left sit left of lines leaving right, nearer lanes outermost.
    Returns the flows and the bottom of the last row or channel.
    """
    if not boxes:
        return [], 0
    by_key = {box.key: box for box in boxes}
    two_rows = boxes[-1].row == 1
    known = [
        (order, by_key[_key(i.source_system)], by_key[_key(i.target_system)], i)
        for order, i in enumerate(integrations)
        if _key(i.source_system) in by_key and _key(i.target_system) in by_key
    ]

    def channel(source: _SystemBox, target: _SystemBox) -> int:
        return 0 if source.row != target.row else source.row

    def lane_order(item) -> tuple:
        order, source, target, _ = item
        crossing = source.row != target.row
        span = abs(source.slot - target.slot)
        return (crossing, span, min(source.slot, target.slot), order)

    lanes: dict[int, list] = {0: [], 1: []}
    for item in sorted(known, key=lane_order):
        lanes[channel(item[1], item[2])].append(item)

    # Vertical placement: row 0, its channel, row 1, its channel.
    row_height = boxes[0].h
    channel_top = boxes[0].y + row_height
    lane_y: dict[int, float] = {}
    for index, (order, *_rest) in enumerate(lanes[0]):
        lane_y[order] = channel_top + 28 + index * LANE_HEIGHT
    if two_rows:
        row_1_top = (
            channel_top + 28 + (len(lanes[0]) - 1) * LANE_HEIGHT + 22
            if lanes[0]
            else channel_top + 24
        )
        for box in boxes:
            if box.row == 1:
                box.y = row_1_top
        channel_top = row_1_top + row_height
        for index, (order, *_rest) in enumerate(lanes[1]):
            lane_y[order] = channel_top + 28 + index * LANE_HEIGHT
        bottom = (
            channel_top + 28 + (len(lanes[1]) - 1) * LANE_HEIGHT + 6 if lanes[1] else channel_top
        )
    else:
        bottom = (
            channel_top + 28 + (len(lanes[0]) - 1) * LANE_HEIGHT + 6 if lanes[0] else channel_top
        )

    # Ports: every end on a box side, spread along it in a crossing-free order.
    ends: dict[tuple[int, str], _End] = {}
    sides: dict[tuple[str, bool], list[tuple[tuple, int, str]]] = {}
    for order, source, target, _ in known:
        crossing = source.row != target.row
        pair = (
            _End(source, top_side=crossing and source.row == 1),
            _End(target, top_side=crossing and target.row == 1),
        )
        for role, here, there in (("s", pair[0], pair[1]), ("t", pair[1], pair[0])):
            reach = abs(lane_y[order] - here.y)
            if there.box.slot < here.box.slot:
                rank = (0, reach)
            elif there.box.slot > here.box.slot:
                rank = (2, -reach)
            else:
                rank = (1, reach)
            sides.setdefault((here.box.key, here.top_side), []).append((rank, order, role))
        ends[(order, "s")], ends[(order, "t")] = pair[0], pair[1]
    port_x: dict[tuple[int, str], float] = {}
    for (key, _), items in sides.items():
        box = by_key[key]
        for slot, (_, order, role) in enumerate(sorted(items)):
            port_x[(order, role)] = box.x + box.w * (slot + 1) / (len(items) + 1)

    # First the lines, so that each label can then be put where the fewest lines cross it.
    drawn = []
    verticals: list[tuple[float, float, float]] = []  # x, top, bottom
    for order, source, target, integration in known:
        y = lane_y[order]
        sx, tx = port_x[(order, "s")], port_x[(order, "t")]
        s_end, t_end = ends[(order, "s")], ends[(order, "t")]
        two_way = integration.direction == Direction.TWO_WAY

        def off(end: _End) -> float:
            # Lines stop at an arrowhead's base, not its tip.
            return end.y - 9 if end.top_side else end.y + 9

        start, finish = (off(s_end) if two_way else s_end.y), off(t_end)
        verticals += [(sx, min(start, y), max(start, y)), (tx, min(y, finish), max(y, finish))]
        drawn.append((order, source, target, integration, y, sx, tx, start, finish, two_way))

    flows = []
    for order, source, target, integration, y, sx, tx, start, finish, two_way in drawn:
        heads = [_arrowhead(tx, ends[(order, "t")].y, pointing_up=not ends[(order, "t")].top_side)]
        if two_way:
            heads.append(
                _arrowhead(sx, ends[(order, "s")].y, pointing_up=not ends[(order, "s")].top_side)
            )
        mode = "auto" if integration.is_automated else "manual"
        objects = wrap(
            integration.objects_carried, LABEL_MAX - text_width(f" · {mode}", 9), 9, lines=1
        )[0]
        label = f"{objects} · {mode}"
        label_w = text_width(label, 9) + 8
        label_x = _label_x(min(sx, tx), max(sx, tx), label_w, y, verticals)
        arrow = "↔" if two_way else "→"
        how = "automated" if integration.is_automated else "manual"
        when = f", {integration.trigger}" if integration.trigger else ""
        flows.append(
            _Flow(
                title=f"{source.name} {arrow} {target.name}: {integration.objects_carried} "
                f"({how}{when})",
                path=f"M{_fmt(sx)},{_fmt(start)} V{_fmt(y)} H{_fmt(tx)} V{_fmt(finish)}",
                colour=source.colour,
                dashed=not integration.is_automated,
                heads=heads,
                label=_Text(_fmt(label_x + 4), _fmt(y - 5), label),
                label_box=(_fmt(label_x), _fmt(y - 15)),
                label_width=_fmt(label_w),
            )
        )
    return flows, bottom


def _layout_reporting(
    items: Sequence[ReportingItem], colours: dict[str, str], top: float
) -> tuple[list[_Card], float]:
    width = (INNER - 24 - (CARDS_PER_ROW - 1) * CARD_GAP) / CARDS_PER_ROW
    cards = []
    y = top
    for start in range(0, len(items), CARDS_PER_ROW):
        row = items[start : start + CARDS_PER_ROW]
        laid = []
        for column, item in enumerate(row):
            x = MARGIN + 12 + column * (width + CARD_GAP)
            name = wrap(item.name, width - 16, 10.5, bold=True, lines=2)
            chips: list[tuple[float, int, str | None, str]] = []  # x offset, line, colour, text
            cursor, line = 0.0, 0
            sources = [" ".join(s.split()) for s in item.sources.split(",") if s.strip()]
            for source in sources or ["No source named"]:
                text = wrap(source, width - 30, 8.5, lines=1)[0]
                chip_w = 10 + text_width(text, 8.5) + 12
                if cursor and cursor + chip_w > width - 16:
                    cursor, line = 0.0, line + 1
                chips.append((cursor, line, colours.get(_key(source)) if sources else None, text))
                cursor += chip_w
            laid.append((x, name, chips, line + 1))
        height = max(18 + 13 * len(n) + 14 * lines for _, n, _, lines in laid) + 4
        for x, name, chips, _ in laid:
            chip_top = y + 20 + 13 * len(name)
            cards.append(
                _Card(
                    x=_fmt(x),
                    y=_fmt(y),
                    w=_fmt(width),
                    h=_fmt(height),
                    name=[
                        _Text(_fmt(x + 8), _fmt(y + 16 + 13 * i), line)
                        for i, line in enumerate(name)
                    ],
                    chips=[
                        _Chip(
                            dot_x=_fmt(x + 8 + dx + 3.5),
                            dot_y=_fmt(chip_top + 14 * row_index - 3),
                            x=_fmt(x + 8 + dx + 10),
                            y=_fmt(chip_top + 14 * row_index),
                            colour=colour,
                            text=text,
                        )
                        for dx, row_index, colour, text in chips
                    ],
                )
            )
        y += height + CARD_GAP
    return cards, y - CARD_GAP


def _description(
    stages: Sequence[Stage],
    integrations: Sequence[Integration],
    reporting_items: Sequence[ReportingItem],
) -> str:
    parts = [
        "Pipeline: "
        + "; ".join(
            f"{i}. {s.name} (in {s.system_of_record or 'no system of record'}"
            + (f"; {_role_text(s.roles)}" if s.roles else "")
            + ")"
            for i, s in enumerate(stages, start=1)
        )
        + "."
    ]
    if integrations:
        parts.append(
            "Integrations: "
            + "; ".join(
                f"{i.source_system} {'↔' if i.direction == Direction.TWO_WAY else '→'} "
                f"{i.target_system} carries {i.objects_carried} "
                f"({'automated' if i.is_automated else 'manual'})"
                for i in integrations
            )
            + "."
        )
    if reporting_items:
        parts.append(
            "Reporting: " + "; ".join(f"{r.name} from {r.sources}" for r in reporting_items) + "."
        )
    return " ".join(parts)


def blueprint_diagram(
    stages: Sequence[Stage],
    integrations: Sequence[Integration],
    reporting_items: Sequence[ReportingItem],
    *,
    chart_id: str = "blueprint",
) -> Diagram:
    """The diagram with its size, for a caller that scales it (the PDF fits it to a page)."""
    stages, integrations, reporting_items = list(stages), list(integrations), list(reporting_items)
    if not stages:
        height = 140
        return Diagram(
            _render(chart_id=chart_id, height=height, description="No pipeline stages yet.",
                    empty=True, centre_x=str(WIDTH // 2), inner=str(INNER),
                    box_height=str(height - 32)),
            WIDTH, height,
        )  # fmt: skip

    systems = _systems(stages, integrations)
    colours = {key: PALETTE[i % len(PALETTE)] for i, key in enumerate(systems)}
    stage_boxes, y = _layout_stages(stages, colours, top=30)

    systems_heading = y + 34
    system_boxes = _layout_systems(systems, top=systems_heading + 12)
    flows, y = _layout_flows(integrations, system_boxes)
    no_flows_y = y + 20
    if not system_boxes:
        y = systems_heading + 24
    elif not flows:
        y += 24

    band_top = y + 26
    cards, cards_bottom = _layout_reporting(reporting_items, colours, top=band_top + 30)
    band_bottom = (cards_bottom if cards else band_top + 56) + 12
    height = int(band_bottom + MARGIN)

    svg = _render(
        chart_id=chart_id,
        height=height,
        description=_description(stages, integrations, reporting_items),
        empty=False,
        margin=str(MARGIN),
        margin_in=str(MARGIN + 12),
        inner=str(INNER),
        # The key to the arrows, right-aligned on the systems' heading line.
        flow_legend=legend(
            FLOW_LEGEND,
            x=WIDTH - MARGIN,
            y=systems_heading - 3,
            font_size=8.5,
            ink=MUTED,
            align="end",
        ),
        stages=stage_boxes,
        systems_heading=_fmt(systems_heading),
        systems=[b.texts() for b in system_boxes],
        flows=flows,
        no_flows_y=_fmt(no_flows_y),
        no_systems_y=_fmt(systems_heading + 20),
        band={
            "y": _fmt(band_top),
            "h": _fmt(band_bottom - band_top),
            "heading_y": _fmt(band_top + 19),
            "empty_y": _fmt(band_top + 42),
        },
        cards=cards,
        ink=INK,
        muted=MUTED,
        faint=FAINT,
        no_system=NO_SYSTEM,
    )
    return Diagram(svg, WIDTH, height)


FLOW_LEGEND = [
    LegendItem("automated", MUTED, stroke_width=1.6, heads="end"),
    LegendItem("manual", MUTED, dash="5 3", stroke_width=1.6, heads="end"),
    LegendItem("two-way", MUTED, stroke_width=1.6, heads="both"),
]


def _render(*, chart_id: str, height: int, description: str, empty: bool, **layout: Any) -> str:
    return render_chart(
        TEMPLATE,
        chart_id=chart_id,
        css_class="blueprint-diagram",
        title="Data-flow blueprint: pipeline stages, systems, integrations and reporting",
        description=description,
        frame=Frame(
            width=WIDTH,
            height=height,
            left=MARGIN,
            right=WIDTH - MARGIN,
            top=MARGIN,
            bottom=height - MARGIN,
        ),
        empty=empty,
        **layout,
    )


def blueprint_svg(
    stages: Sequence[Stage],
    integrations: Sequence[Integration],
    reporting_items: Sequence[ReportingItem],
    *,
    chart_id: str = "blueprint",
) -> str:
    """The blueprint diagram as an SVG string, safe to mark safe: every value is escaped by the
    template. `chart_id` prefixes the ids `aria-labelledby` points at; pass a distinct one if
    the diagram appears twice in one document."""
    return blueprint_diagram(stages, integrations, reporting_items, chart_id=chart_id).svg
