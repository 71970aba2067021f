"""The one chart frame: every chart and diagram is an accessible, self-contained SVG with the
same axes and formats."""

from __future__ import annotations

import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from architecture.diagram import blueprint_svg
from diagnostics.charts import value_complexity_svg
from enablement.charts import completion_chart_svg, role_trend_svg
from enablement.selectors.training import RoleCompletion
from engagements.charts import Frame, count_axis, day_label, number_label, time_ticks
from launch.charts import incident_trend_svg
from sprints.charts import burn_up_svg

START = date(2026, 11, 2)
DAYS = [START + timedelta(days=i) for i in range(12)]


def every_chart(chart_id: str) -> list[str]:
    tool = SimpleNamespace(tool=SimpleNamespace(name="Gong <b>"), value=4, complexity=2)
    stage = SimpleNamespace(name="Lead", system_of_record="HubSpot", roles=["rep"])
    return [
        value_complexity_svg([tool], chart_id=chart_id),
        burn_up_svg([(d, i, 12) for i, d in enumerate(DAYS)], chart_id=chart_id),
        incident_trend_svg([(d, i % 3, 1) for i, d in enumerate(DAYS)], chart_id=chart_id),
        role_trend_svg(
            title="Active users", weeks=DAYS[:4], series={"rep": [10, None, 30, 40]}, top=100,
            unit="%", chart_id=chart_id,
        ),
        completion_chart_svg(
            [RoleCompletion(role="rep", label="Reps", completed=3, assigned=4, threshold=80)],
            chart_id=chart_id,
        ),
        blueprint_svg([stage], [], [], chart_id=chart_id),
    ]  # fmt: skip


@pytest.mark.parametrize("index", range(6))
def test_every_chart_is_an_image_labelled_by_its_own_title_and_description(index):
    svg = every_chart("chart-x")[index]

    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" class=')
    assert 'role="img"' in svg
    assert 'aria-labelledby="chart-x-title chart-x-desc"' in svg
    assert re.search(r'<title id="chart-x-title">[^<]+</title>', svg)
    assert re.search(r'<desc id="chart-x-desc">[^<]+</desc>', svg)
    assert 'font-family="DejaVu Sans, sans-serif"' in svg
    assert "<script" not in svg and "href" not in svg


def test_names_typed_by_people_are_escaped_in_the_chart():
    svg = every_chart("c")[0]
    assert "Gong &lt;b&gt;" in svg and "<b>" not in svg


def test_a_count_axis_ends_on_a_labelled_round_value_at_or_above_the_highest():
    frame = Frame(width=100, height=100, left=0, right=100, top=0, bottom=100)
    axis = count_axis(frame, 11)
    assert axis.top == 15
    assert [t.label for t in axis.ticks] == ["0", "5", "10", "15"]
    assert axis.ticks[-1].at == "0.0"  # the top of the plot
    assert [t.label for t in count_axis(frame, 0).ticks] == ["0", "1"]
    assert [t.label for t in count_axis(frame, 8).ticks] == ["0", "2", "4", "6", "8"]


def test_the_time_axis_keeps_the_latest_day_unless_it_would_crowd_the_one_before():
    def at(i: int) -> float:
        return float(i)

    assert [t.label for t in time_ticks(DAYS[:9], at=at, most=4)] == [
        "02 Nov", "05 Nov", "08 Nov", "10 Nov",
    ]  # fmt: skip
    assert [t.label for t in time_ticks(DAYS, at=at, most=6)][-1] == "12 Nov"
    assert time_ticks([], at=at, most=5) == []


def test_numbers_and_days_are_formatted_the_same_everywhere():
    assert number_label(1250) == "1,250"
    assert number_label(42.46, unit="%", decimals=1) == "42.5%"
    assert day_label(date(2026, 12, 4)) == "04 Dec"


def test_an_empty_chart_says_so_instead_of_drawing_an_empty_axis():
    svg = burn_up_svg([], sprint_days=10)
    assert "The sprint has not started yet" in svg
    assert 'class="ticks"' in svg and 'dy="4"' not in svg  # no value labels without data
