"""docs/performance.md is what bench/report.py makes of bench/results.json, and nothing else."""

from __future__ import annotations

import json

from bench import report


def test_the_page_matches_the_results() -> None:
    expected = report.render(json.loads(report.RESULTS.read_text()))
    assert report.PAGE.read_text() == expected, "run `python -m bench.report` after changing bench/results.json"


def test_every_goal_names_a_figure_and_a_missing_one_says_so() -> None:
    results = {"cases": {"throughput_ratio": 0.61}, "load": {"errors": 3}}
    page = report.render(results)
    assert "| 15 | Case list" in page and "0.61 | >= 0.5 | yes |" in page
    assert "| 3 | == 0 | **no** |" in page
    blind = next(goal for goal in report.GOALS if goal.path.startswith("blind_index_lookup"))
    assert blind.measured(results) is None and "not measured" in page


def test_an_alternative_path_is_used_when_the_first_is_missing() -> None:
    goal = report.Goal(16, "x", "a.ratio|a.sqlite.ratio", "<=", 1.5)
    assert goal.measured({"a": {"sqlite": {"ratio": 1.4}}}) == 1.4
    assert goal.met(1.4) is True and goal.met(1.6) is False and goal.met(None) is None
