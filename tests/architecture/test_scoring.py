"""Properties of the vendor-scoring engine (architecture.scoring) and the CSV cell guard.

Pure: no database. Exact Fractions throughout, so every comparison is exact."""

import itertools
from fractions import Fraction

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from architecture.models import DEFAULT_CRITERIA
from architecture.scoring import (
    MUST_HAVE_MINIMUM,
    CriterionInput,
    evaluate,
    rank,
    sensitivity,
    spread,
    weights_with_share,
    winner,
)

FAST = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)

weights = st.one_of(
    st.integers(1, 100).map(Fraction),
    st.builds(Fraction, st.integers(1, 100), st.integers(1, 10)),
)


SOMETIMES_MUST_HAVE = st.sampled_from([False, False, True])


@st.composite
def scenarios(draw, *, allow_missing=True, must_have=SOMETIMES_MUST_HAVE):
    n_criteria = draw(st.integers(2, 6))
    n_vendors = draw(st.integers(2, 5))
    criteria = [
        CriterionInput(f"c{i}", f"Criterion {i}", draw(weights), draw(must_have))
        for i in range(n_criteria)
    ]
    # Names in a different order from keys, so name tie-breaks are not key order.
    letters = draw(st.permutations("ABCDE"))[:n_vendors]
    vendors = [(f"v{i}", f"Vendor {letter}") for i, letter in enumerate(letters)]
    scores = {}
    for key, _ in vendors:
        for c in criteria:
            values = draw(
                st.lists(st.integers(1, 5), min_size=0 if allow_missing else 1, max_size=3)
            )
            if values:
                scores[(key, c.key)] = values
    return criteria, vendors, scores


def expected_total(criteria, vendor_key, scores) -> Fraction:
    """Independent reference: Σ w·mean / Σ w, an unscored cell counting 0."""
    weighted = Fraction(0)
    for c in criteria:
        values = scores.get((vendor_key, c.key), [])
        if values:
            weighted += Fraction(c.weight) * Fraction(sum(values), len(values))
    return weighted / sum(Fraction(c.weight) for c in criteria)


def fails_must_have(criteria, vendor_key, scores) -> bool:
    for c in criteria:
        values = scores.get((vendor_key, c.key), [])
        if c.must_have and (not values or sum(values) < MUST_HAVE_MINIMUM * len(values)):
            return True
    return False


def winner_name(criteria, vendors, scores) -> str | None:
    top = winner(evaluate(criteria, vendors, scores))
    return top.name if top else None


# --- 1. scaling all weights ------------------------------------------------------------------


@FAST
@given(
    scenarios(),
    st.one_of(st.integers(1, 1000).map(Fraction), st.fractions(Fraction(1, 1000), 1000)),
)
def test_scaling_every_weight_changes_nothing(scenario, factor):
    criteria, vendors, scores = scenario
    assume(factor > 0)
    scaled = [CriterionInput(c.key, c.name, c.weight * factor, c.must_have) for c in criteria]
    before, after = evaluate(criteria, vendors, scores), evaluate(scaled, vendors, scores)
    assert [r.total for r in before] == [r.total for r in after]
    assert [r.key for r in rank(before)] == [r.key for r in rank(after)]
    assert winner(before) == winner(after)


# --- 2. must-haves -----------------------------------------------------------------------------


@FAST
@given(scenarios(must_have=st.booleans()), st.lists(weights, min_size=6, max_size=6))
def test_failing_a_must_have_always_disqualifies(scenario, other_weights):
    criteria, vendors, scores = scenario
    reweighted = [
        CriterionInput(c.key, c.name, w, c.must_have)
        for c, w in zip(criteria, other_weights, strict=False)
    ]
    for crits in (criteria, reweighted):
        results = evaluate(crits, vendors, scores)
        top = winner(results)
        for r in results:
            if fails_must_have(crits, r.key, scores):
                assert not r.qualified
                assert top is None or top.key != r.key
            else:
                assert r.qualified
                assert r.disqualified_by == ()
        if top is None:
            assert all(fails_must_have(crits, k, scores) for k, _ in vendors)


@FAST
@given(scenarios(must_have=st.booleans()))
def test_disqualified_by_names_exactly_the_failed_must_haves(scenario):
    criteria, vendors, scores = scenario
    for r in evaluate(criteria, vendors, scores):
        failed = tuple(
            c.name
            for c in criteria
            if c.must_have
            and (
                not scores.get((r.key, c.key))
                or Fraction(sum(scores[(r.key, c.key)]), len(scores[(r.key, c.key)]))
                < MUST_HAVE_MINIMUM
            )
        )
        assert r.disqualified_by == failed


# --- 3. sensitivity ----------------------------------------------------------------------------

EPSILON = Fraction(1, 10**12)


def tied_with_winner(criteria, vendors, scores) -> set[str]:
    """Names of the qualified vendors whose total equals the leader's."""
    results = [r for r in evaluate(criteria, vendors, scores) if r.qualified]
    best = max(r.total for r in results)
    return {r.name for r in results if r.total == best}


@FAST
@given(scenarios())
def test_moving_past_the_flip_share_changes_the_winner(scenario):
    criteria, vendors, scores = scenario
    current_winner = winner_name(criteria, vendors, scores)
    assume(current_winner is not None)
    flips = [s for s in sensitivity(criteria, vendors, scores) if s.flip_share is not None]
    assume(flips)
    for s in flips:
        key = next(c.key for c in criteria if c.name == s.criterion)
        # A tie at the current weights (won on the name) has no "beyond"; neither has a flip
        # at 0 % or 100 % (the ends of the range).
        if s.flip_share == s.current_share or not 0 < s.flip_share < 100:
            continue
        at_flip = tied_with_winner(weights_with_share(criteria, key, s.flip_share), vendors, scores)
        assert {current_winner, s.new_winner} <= at_flip, (s, at_flip)
        beyond = s.flip_share + (s.flip_share - s.current_share) * EPSILON
        short = s.flip_share - (s.flip_share - s.current_share) * EPSILON
        assert 0 <= beyond <= 100
        new = winner_name(weights_with_share(criteria, key, beyond), vendors, scores)
        assert new != current_winner, (s, beyond)
        if len(at_flip) == 2:
            assert new == s.new_winner, (s, beyond)
        else:  # several rivals tie at the same share: see the example below
            assert new in at_flip, (s, beyond)
        for share in (short, (s.current_share + s.flip_share) / 2):
            assert (
                winner_name(weights_with_share(criteria, key, share), vendors, scores)
                == current_winner
            ), (s, share)


@FAST
@given(scenarios(), st.lists(st.fractions(0, 100), min_size=1, max_size=5))
def test_no_flip_share_means_no_share_below_100_changes_the_winner(scenario, samples):
    criteria, vendors, scores = scenario
    current_winner = winner_name(criteria, vendors, scores)
    assume(current_winner is not None)
    for s in sensitivity(criteria, vendors, scores):
        if s.flip_share is not None:
            continue
        assert s.new_winner is None
        key = next(c.key for c in criteria if c.name == s.criterion)
        for share in [Fraction(0), Fraction(99), *[x for x in samples if x < 100]]:
            assert (
                winner_name(weights_with_share(criteria, key, share), vendors, scores)
                == current_winner
            ), (s, share)


def one_evaluator(rows: dict[str, list[int]], keys: str) -> dict:
    return {(v, k): [x] for v, xs in rows.items() for k, x in zip(keys, xs, strict=True)}


EQUAL_XYZ = [CriterionInput(k, k.upper(), Fraction(1)) for k in "xyz"]


def test_new_winner_when_two_rivals_flip_at_the_same_share():
    # A 3,1,1 (5/3) leads; B 1,2,1 and C 1,1,2 both tie A when X's share is 20 %.
    scores = one_evaluator({"a": [3, 1, 1], "b": [1, 2, 1], "c": [1, 1, 2]}, "xyz")
    vendors = [("a", "A"), ("c", "C"), ("b", "B")]
    x = sensitivity(EQUAL_XYZ, vendors, scores)[0]
    assert x.flip_share == 20
    below = weights_with_share(EQUAL_XYZ, "x", Fraction(19))
    assert winner_name(below, vendors, scores) == "B"  # B and C tie; B on the name
    assert x.new_winner == "B"


def test_flip_share_is_the_smallest_change_of_share():
    # A 4,1,3 (8/3) leads C 5,1,1 (7/3) and B 1,1,4 (2). X at 33⅓ %:
    # B ties at 1/7 ≈ 14.3 % (−19.0 points), C ties at 50 % (+16.7 points).
    scores = one_evaluator({"a": [4, 1, 3], "b": [1, 1, 4], "c": [5, 1, 1]}, "xyz")
    vendors = [("a", "A"), ("b", "B"), ("c", "C")]
    x = sensitivity(EQUAL_XYZ, vendors, scores)[0]
    assert winner_name(weights_with_share(EQUAL_XYZ, "x", Fraction(51)), vendors, scores) == "C"
    assert (x.flip_share, x.new_winner) == (50, "C")


def test_a_tie_at_100_percent_won_on_the_name_is_a_flip():
    # B 3,5 (4) beats A 3,4 (3.5); they are equal on X, so at X = 100 % they tie at 3 and A
    # wins on the name: the winner changes there.
    criteria = EQUAL_XYZ[:2]
    scores = one_evaluator({"a": [3, 4], "b": [3, 5]}, "xy")
    vendors = [("a", "A"), ("b", "B")]
    x = sensitivity(criteria, vendors, scores)[0]
    assert winner_name(weights_with_share(criteria, "x", Fraction(100)), vendors, scores) == "A"
    assert (x.flip_share, x.new_winner) == (100, "A")


def test_flip_at_zero_share_names_a_vendor_that_can_win():
    # A 2,1,3 and B 1,1,3 are equal apart from X; A leads, C 3,1,1 trails.
    scores = one_evaluator({"a": [2, 1, 3], "b": [1, 1, 3], "c": [3, 1, 1]}, "xyz")
    vendors = [("a", "A"), ("b", "B"), ("c", "C")]
    x = sensitivity(EQUAL_XYZ, vendors, scores)[0]
    assert winner_name(weights_with_share(EQUAL_XYZ, "x", Fraction(0)), vendors, scores) == "A"
    assert (x.flip_share, x.new_winner) == (50, "C")  # B only ever ties at 0 %, on the name


@FAST
@given(scenarios())
def test_sensitivity_shares_are_percentages(scenario):
    criteria, vendors, scores = scenario
    total = sum(c.weight for c in criteria)
    for s, c in zip(sensitivity(criteria, vendors, scores), criteria, strict=False):
        assert s.criterion == c.name
        assert s.current_share == c.weight * 100 / total
        if s.flip_share is not None:
            assert 0 <= s.flip_share <= 100
            assert s.change == s.flip_share - s.current_share


# --- 4. winner and ranking ---------------------------------------------------------------------


@FAST
@given(scenarios(), st.randoms(use_true_random=False))
def test_winner_is_top_qualified_total_whatever_the_vendor_order(scenario, rnd):
    criteria, vendors, scores = scenario
    results = evaluate(criteria, vendors, scores)
    for r in results:
        assert r.total == expected_total(criteria, r.key, scores)
    qualified = [(k, n) for k, n in vendors if not fails_must_have(criteria, k, scores)]
    expected = (
        min(qualified, key=lambda v: (-expected_total(criteria, v[0], scores), v[1]))
        if qualified
        else None
    )
    top = winner(results)
    assert (top.key if top else None) == (expected[0] if expected else None)

    shuffled = list(vendors)
    rnd.shuffle(shuffled)
    again = evaluate(criteria, shuffled, scores)
    assert [r.key for r in rank(again)] == [r.key for r in rank(results)]
    top_again = winner(again)
    assert (top_again.key if top_again else None) == (top.key if top else None)

    ranked = rank(results)
    flags = [r.qualified for r in ranked]
    assert flags == sorted(flags, reverse=True)  # qualified first
    for a, b in itertools.pairwise(ranked):
        if a.qualified and b.qualified:
            assert (-a.total, a.name) <= (-b.total, b.name)


# --- 5. spread ---------------------------------------------------------------------------------


@FAST
@given(st.lists(st.integers(1, 5), min_size=1, max_size=3))
def test_spread_is_max_minus_min(values):
    scores = {("v", "c"): values}
    assert spread(scores, "v", "c") == max(values) - min(values)
    assert 0 <= spread(scores, "v", "c") <= 4
    if len(values) == 1:
        assert spread(scores, "v", "c") == 0


def test_spread_of_an_unscored_cell_is_zero():
    assert spread({}, "v", "c") == 0


# --- 6. examples -------------------------------------------------------------------------------


def default_criteria(must_have: str | None = None) -> list[CriterionInput]:
    return [
        CriterionInput(f"c{i}", name, Fraction(weight), name == must_have)
        for i, (name, weight) in enumerate(DEFAULT_CRITERIA)
    ]


def example_scores() -> dict:
    # Criteria: fit 25, maturity 15, budget 20, integration 25, growth 15.
    rows = {
        "acme": [[4, 5], [3], [5, 5, 4], [2, 3], [2]],  # means 4.5, 3, 14/3, 2.5, 2
        "bolt": [[3], [5, 4], [3], [4, 4], [5]],  # means 3, 4.5, 3, 4, 5
    }
    return {(v, f"c{i}"): vals for v, cells in rows.items() for i, vals in enumerate(cells)}


def test_default_five_criteria_hand_computed():
    assert [w for _, w in DEFAULT_CRITERIA] == [25, 15, 20, 25, 15]
    results = {r.key: r for r in evaluate(default_criteria(), VENDORS, example_scores())}
    # acme: (25·4.5 + 15·3 + 20·14/3 + 25·2.5 + 15·2) / 100 = (112.5+45+93⅓+62.5+30)/100
    assert results["acme"].total == Fraction(1030, 3) / 100
    # bolt: (25·3 + 15·4.5 + 20·3 + 25·4 + 15·5) / 100 = 377.5 / 100
    assert results["bolt"].total == Fraction(3775, 1000)
    assert results["acme"].means["c2"] == Fraction(14, 3)
    assert [r.key for r in rank(list(results.values()))] == ["bolt", "acme"]
    assert winner(list(results.values())).key == "bolt"  # type: ignore[union-attr]


VENDORS = [("acme", "Acme"), ("bolt", "Bolt")]


def test_must_have_failure_disqualifies_the_otherwise_top_vendor():
    scores = example_scores()
    scores[("acme", "c3")] = [5, 5]  # acme now leads: integration mean 5
    plain = evaluate(default_criteria(), VENDORS, scores)
    assert winner(plain).key == "acme"  # type: ignore[union-attr]

    scores[("acme", "c1")] = [3, 2]  # maturity mean 2.5 < 3
    fit_must = evaluate(default_criteria(must_have="Technical maturity"), VENDORS, scores)
    by_key = {r.key: r for r in fit_must}
    assert by_key["acme"].total > by_key["bolt"].total
    assert by_key["acme"].disqualified_by == ("Technical maturity",)
    assert by_key["bolt"].qualified
    assert winner(fit_must).key == "bolt"  # type: ignore[union-attr]
    assert [r.key for r in rank(fit_must)] == ["bolt", "acme"]


def test_must_have_mean_of_exactly_three_qualifies_and_no_score_fails():
    criteria = default_criteria(must_have="Growth trajectory")
    scores = example_scores()
    scores[("acme", "c4")] = [2, 4]  # mean exactly 3
    del scores[("bolt", "c4")]  # bolt has no growth score at all
    by_key = {r.key: r for r in evaluate(criteria, VENDORS, scores)}
    assert by_key["acme"].qualified
    assert by_key["bolt"].disqualified_by == ("Growth trajectory",)
    assert by_key["bolt"].means["c4"] is None


def test_sensitivity_example():
    # Two criteria, 50/50. A: 5 and 1 (total 3); B: 2 and 3 (total 2.5). A wins.
    criteria = [CriterionInput("x", "X", Fraction(50)), CriterionInput("y", "Y", Fraction(50))]
    scores = {("a", "x"): [5], ("a", "y"): [1], ("b", "x"): [2], ("b", "y"): [3]}
    vendors = [("a", "A"), ("b", "B")]
    by_name = {s.criterion: s for s in sensitivity(criteria, vendors, scores)}
    # Tie when 5x + 1(100-x) = 2x + 3(100-x) → 4x + 100 = 300 - x → x = 40.
    assert by_name["X"].flip_share == 40
    assert by_name["X"].new_winner == "B"
    assert by_name["Y"].flip_share == 60
    assert winner_name(weights_with_share(criteria, "x", Fraction(39)), vendors, scores) == "B"
    assert winner_name(weights_with_share(criteria, "x", Fraction(41)), vendors, scores) == "A"
