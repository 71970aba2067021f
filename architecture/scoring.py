"""Weighted vendor scoring: totals, ranking, disagreement between evaluators, and how sensitive
the winner is to each criterion's weight. Pure functions on plain data, exact arithmetic
(fractions), so the same inputs always give the same answer and property tests can check them.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

MUST_HAVE_MINIMUM = 3


@dataclass(frozen=True)
class CriterionInput:
    key: str
    name: str
    weight: Fraction
    must_have: bool = False


@dataclass(frozen=True)
class VendorResult:
    key: str
    name: str
    total: Fraction
    """Weighted mean score on the 1–5 scale (0 where nothing is scored)."""
    means: dict[str, Fraction | None]
    disqualified_by: tuple[str, ...]
    """Names of the must-have criteria the vendor fails."""

    @property
    def qualified(self) -> bool:
        return not self.disqualified_by


@dataclass(frozen=True)
class Sensitivity:
    criterion: str
    current_share: Fraction
    """The criterion's share of the total weight now, in percent."""
    flip_share: Fraction | None
    """The share (percent) at which another vendor ties the winner; None if none ever can."""
    new_winner: str | None

    @property
    def change(self) -> Fraction | None:
        return None if self.flip_share is None else self.flip_share - self.current_share


Scores = Mapping[tuple[str, str], Sequence[int]]
"""(vendor key, criterion key) -> the evaluators' scores."""


def _mean(values: Sequence[int]) -> Fraction | None:
    return Fraction(sum(values), len(values)) if values else None


def evaluate(
    criteria: Sequence[CriterionInput], vendors: Sequence[tuple[str, str]], scores: Scores
) -> list[VendorResult]:
    """Every vendor's weighted total and must-have failures. Weights are normalised by their
    sum, so scaling all of them together changes nothing."""
    weight_sum = sum((c.weight for c in criteria), Fraction(0))
    results = []
    for key, name in vendors:
        means = {c.key: _mean(scores.get((key, c.key), ())) for c in criteria}
        weighted = sum((c.weight * (means[c.key] or 0) for c in criteria), Fraction(0))
        total = weighted / weight_sum if weight_sum else Fraction(0)
        failed = tuple(
            c.name
            for c in criteria
            if c.must_have and (means[c.key] is None or means[c.key] < MUST_HAVE_MINIMUM)
        )
        results.append(VendorResult(key, name, total, means, failed))
    return results


def rank(results: Sequence[VendorResult]) -> list[VendorResult]:
    """Qualified vendors by total (ties by name), then the disqualified ones."""
    return sorted(results, key=lambda r: (not r.qualified, -r.total, r.name, r.key))


def winner(results: Sequence[VendorResult]) -> VendorResult | None:
    ranked = rank(results)
    return ranked[0] if ranked and ranked[0].qualified else None


def spread(scores: Scores, vendor: str, criterion: str) -> int:
    """How far apart the evaluators are: highest minus lowest score."""
    values = scores.get((vendor, criterion), ())
    return max(values) - min(values) if values else 0


def sensitivity(
    criteria: Sequence[CriterionInput], vendors: Sequence[tuple[str, str]], scores: Scores
) -> list[Sensitivity]:
    """For each criterion: the smallest change of its share of the weight (the other weights
    scaled together to fill the rest) at which the winner changes, and who wins there.

    With share x (0–1) of criterion c, a vendor's total is x·m_c + (1 − x)·R, where R is its
    weighted mean on the other criteria: a straight line in x. The winner can only change where
    the winner's line crosses a rival's, so those crossing points are the candidates; at each,
    the winner is decided as everywhere else (highest total, then name), both at the point and
    just beyond it. Disqualified vendors never win, whatever the weights.
    """
    results = evaluate(criteria, vendors, scores)
    top = winner(results)
    if top is None:
        return []
    qualified = [r for r in results if r.qualified]
    weight_sum = sum((c.weight for c in criteria), Fraction(0))
    answers = []
    for criterion in criteria:
        rest = weight_sum - criterion.weight
        current = criterion.weight / weight_sum if weight_sum else Fraction(0)
        lines = {r.key: _line(criteria, criterion, r, rest) for r in qualified} if rest else {}
        flip = _first_flip(qualified, lines, top, current) if lines else None
        if flip is None:
            answers.append(Sensitivity(criterion.name, current * 100, None, None))
        else:
            share, new_winner = flip
            answers.append(Sensitivity(criterion.name, current * 100, share * 100, new_winner.name))
    return answers


def _line(
    criteria: Sequence[CriterionInput],
    changed: CriterionInput,
    result: VendorResult,
    rest: Fraction,
) -> tuple[Fraction, Fraction]:
    """(total at share 0, total at share 1) of one vendor as criterion `changed` goes 0 → 100%."""
    others = sum(
        (c.weight * (result.means[c.key] or 0) for c in criteria if c.key != changed.key),
        Fraction(0),
    )
    return others / rest, result.means[changed.key] or Fraction(0)


def _winner_at(
    qualified: Sequence[VendorResult], lines: dict, share: Fraction, direction: int = 0
) -> VendorResult:
    """The winner at `share`; with a direction, just beyond it (ties broken by the slope)."""

    def key(result: VendorResult):
        at_zero, at_one = lines[result.key]
        total = at_zero + (at_one - at_zero) * share
        return (-total, -(at_one - at_zero) * direction, result.name, result.key)

    return min(qualified, key=key)


def _first_flip(
    qualified: Sequence[VendorResult], lines: dict, top: VendorResult, current: Fraction
) -> tuple[Fraction, VendorResult] | None:
    """The nearest share, up or down from `current`, at which someone else wins."""
    top_zero, top_one = lines[top.key]
    crossings = set()
    for rival in qualified:
        if rival.key == top.key:
            continue
        zero, one = lines[rival.key]
        gap_zero, gap_one = top_zero - zero, top_one - one
        if gap_zero != gap_one:
            point = gap_zero / (gap_zero - gap_one)
            if 0 <= point <= 1:
                crossings.add(point)
    found = []
    for direction in (1, -1):
        ahead = sorted(
            (p for p in crossings if (p - current) * direction >= 0), key=lambda p: abs(p - current)
        )
        for point in ahead:
            flip = _flip_at(qualified, lines, top, point, direction)
            if flip is not None:
                found.append((abs(point - current), point, flip))
                break
    if not found:
        return None
    _, point, new_winner = min(found, key=lambda item: (item[0], item[1]))
    return point, new_winner


def _flip_at(
    qualified: Sequence[VendorResult],
    lines: dict,
    top: VendorResult,
    point: Fraction,
    direction: int,
) -> VendorResult | None:
    """Who takes over at `point` (a tie won on the name) or just beyond it, if anyone."""
    at_point = _winner_at(qualified, lines, point)
    if at_point.key != top.key:
        return at_point
    if (direction > 0 and point < 1) or (direction < 0 and point > 0):
        beyond = _winner_at(qualified, lines, point, direction)
        if beyond.key != top.key:
            return beyond
    return None


def _share(weight: Fraction, rest: Fraction) -> Fraction:
    total = weight + rest
    return weight * 100 / total if total else Fraction(0)


def weights_with_share(
    criteria: Sequence[CriterionInput], key: str, share: Fraction
) -> list[CriterionInput]:
    """The criteria with `key`'s share of the total set to `share` percent, the others scaled
    together to fill the rest: how a reader would re-weight to test a sensitivity."""
    others = sum((c.weight for c in criteria if c.key != key), Fraction(0))
    scale = (100 - share) / others if others else Fraction(0)
    return [
        CriterionInput(c.key, c.name, share if c.key == key else c.weight * scale, c.must_have)
        for c in criteria
    ]


def as_float(value: Fraction | None, places: int = 2) -> float | None:
    return None if value is None else round(float(value), places)
