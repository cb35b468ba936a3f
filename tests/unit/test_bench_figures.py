"""The bench's arithmetic: percentiles, which run comes when, lag matching, verdicts.
(The harness itself runs in tests/integration/test_bench_smoke.py.)"""

from __future__ import annotations

from bench.context import alternate, compare
from bench.http import UnexpectedAnswer
from bench.lag import lags
from bench.load import Errors, Paced, Run, TooManyErrors, percentile
from bench.report import verdicts


def test_percentile_is_the_nearest_rank() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # unsorted on purpose
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) == 0.0


def test_sides_alternate_which_goes_first() -> None:
    calls: list[str] = []

    def side(name: str) -> Run:
        calls.append(name)
        return Run(units=10, seconds=1.0, latencies=[0.1])

    runs = alternate(3, {"project": lambda: side("project"), "bare": lambda: side("bare")})

    assert calls == ["project", "bare", "bare", "project", "project", "bare"]
    assert [len(r) for r in runs.values()] == [3, 3]


def test_the_ratio_is_of_the_medians() -> None:
    def runs(*rates: float) -> list[Run]:
        return [Run(units=int(rate), seconds=1.0, latencies=[0.01]) for rate in rates]

    # One outlier round on either side does not move the medians (40 and 80).
    result = compare({"project": runs(40, 41, 5), "bare": runs(80, 79, 500)}, "flows/s")

    assert result["project"]["median"] == 40.0
    assert result["bare"]["median"] == 80.0
    assert result["ratio"] == 0.5
    assert result["round_ratios"] == [0.5, 0.519, 0.01]


def test_lag_is_from_the_answer_to_the_first_sample_at_or_past_its_position() -> None:
    samples = {
        "orders": [(0.0, 0), (1.010, 5), (1.030, 9)],
        "catalog": [(0.0, 0), (0.990, 9)],  # already past position 9 before the answer
    }
    run = Paced(asked_rate=10, results=[(1.0, 5), (1.0, 9)], latencies=[0.1, 0.1], seconds=1)

    found = lags(run, samples)

    assert [round(v, 3) for v in found["orders"]] == [0.010, 0.030]
    assert found["catalog"] == [0.0, 0.0]
    assert [round(v, 3) for v in found["all views"]] == [0.010, 0.030]


def test_a_view_that_never_gets_there_is_an_error_not_a_small_lag() -> None:
    run = Paced(asked_rate=10, results=[(1.0, 12)], latencies=[0.1], seconds=1)
    try:
        lags(run, {"orders": [(0.0, 0), (1.5, 11)]})
    except RuntimeError as error:
        assert "never reached position 12" in str(error)
    else:
        raise AssertionError("a view short of the position must fail the run")


def test_verdicts_compare_each_way() -> None:
    found = verdicts({"checkout_vs_bare": 0.5, "checkout_growth": 1.3, "lag_p99_ms": 50.0})

    assert found["checkout_vs_bare"] == {"target": ">= 0.5", "met": True}
    assert found["checkout_growth"] == {"target": "<= 1.2", "met": False}
    assert found["lag_p99_ms"] == {"target": "< 50", "met": False}
    assert "pg_connections" not in found  # not measured: no verdict


def test_rare_failures_are_counted_and_many_stop_the_run() -> None:
    errors = Errors()
    errors.add(UnexpectedAnswer("POST /checkout: 503 busy"))
    errors.check(units=500)  # one in 501: counted, not fatal

    for _ in range(9):
        errors.add(UnexpectedAnswer("POST /checkout: 503 busy"))
    errors.check(units=500, final=False)  # ten: not yet systematic
    try:
        errors.check(units=500)  # 10 of 510 is more than 1 %
    except TooManyErrors as error:
        assert "10 failed units of 510: POST /checkout: 503 busy" in str(error)
    else:
        raise AssertionError("more than 1 % failed units must stop the run")
