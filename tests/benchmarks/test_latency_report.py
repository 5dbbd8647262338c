"""benchmarks.latency's arithmetic: pooling runs, each run's ratio, the bootstrap interval and the verdict."""
import random
import statistics

import pytest

from benchmarks.latency import BAR, pooled, position_ratios, ratio_interval, run_ratios, shuffled_rounds, verdict


def run(trivial: list[float], page: list[float]) -> dict:
    return {"trivial page": {"chart": trivial, "rerun": trivial},
            "Page": {"chart": page, "rerun": [p + 5 for p in page]}}


def test_pooled_runs_keep_every_change_of_every_run_per_page_and_measure():
    runs = [run([100, 110], [150, 160]), run([90], [120])]
    assert pooled(runs) == {"trivial page": {"chart": [100, 110, 90], "rerun": [100, 110, 90]},
                            "Page": {"chart": [150, 160, 120], "rerun": [155, 165, 125]}}


def test_pooled_lists_per_name_are_joined_in_run_order():
    assert pooled([{"a": [1, None]}, {"a": [3]}]) == {"a": [1, None, 3]}


def test_each_run_is_compared_with_its_own_trivial_page():
    ratios = run_ratios([run([100, 100, 120], [150, 140, 160]), run([80], [120])])
    assert ratios["Page"] == pytest.approx([150 / 100, 120 / 80])
    assert ratios["trivial page"] == pytest.approx([1.0, 1.0])


def test_the_interval_holds_the_ratio_of_medians_and_narrows_with_more_changes():
    draw = random.Random(0)
    noise = random.Random(1)
    base = [100 + noise.gauss(0, 15) for _ in range(200)]
    page = [140 + noise.gauss(0, 15) for _ in range(200)]
    ratio = statistics.median(page) / statistics.median(base)
    wide = ratio_interval(page[:20], base[:20], draw)
    narrow = ratio_interval(page, base, draw)
    assert narrow[0] <= ratio <= narrow[1]
    assert narrow[1] - narrow[0] < wide[1] - wide[0]


def test_the_verdict_says_within_noise_only_when_the_interval_crosses_the_bar():
    assert verdict(1.4, (1.3, 1.45)) == "ok"
    assert verdict(1.4, (1.3, BAR + 0.1)) == "ok, within noise"
    assert verdict(1.6, (1.55, 1.7)) == "OVER"
    assert verdict(1.6, (BAR - 0.1, 1.7)) == "OVER, within noise"


def test_every_name_comes_once_per_round_in_a_shuffled_order():
    names = ["a", "b", "c", "d"]
    order = list(shuffled_rounds(names, 5, random.Random(3)))
    rounds = [order[k:k + 4] for k in range(0, 20, 4)]
    assert all(sorted(r) == names for r in rounds)
    assert len({tuple(r) for r in rounds}) > 1


def test_the_halves_of_each_run_are_pooled_and_compared_with_the_trivial_page_at_the_same_places():
    runs = [run([100, 100, 90, 90], [200, 180, 99, 117]), run([110, 110, 80, 80], [198, 198, 96, 96])]
    early, late = position_ratios(runs)["Page"]
    assert early == pytest.approx(statistics.median([200, 180, 198, 198]) / statistics.median([100, 100, 110, 110]))
    assert late == pytest.approx(statistics.median([99, 117, 96, 96]) / statistics.median([90, 90, 80, 80]))
    assert "trivial page" not in position_ratios(runs)
