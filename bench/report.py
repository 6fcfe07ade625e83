"""docs/performance.md, written from bench/results.json: every benchmark figure against its goal.

`make bench` and `make bench-load` rewrite the page after each run (`python -m bench.report`);
tests/test_performance_report.py fails when the page and results.json disagree, so the page
never shows figures that no run produced. A figure missing from results.json is shown as
"not measured", never guessed.
"""

from __future__ import annotations

import json
import operator
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
PAGE = ROOT / "docs" / "performance.md"


@dataclass(frozen=True)
class Goal:
    issue: int
    what: str
    path: str  # dotted path into results.json; "a|b" tries a, then b
    compare: str  # "<=", ">=" or "=="
    target: float
    unit: str = ""

    def measured(self, results: dict[str, Any]) -> Any:
        for path in self.path.split("|"):
            value: Any = results
            for part in path.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if value is not None:
                return value
        return None

    def met(self, value: Any) -> bool | None:
        if not isinstance(value, int | float) or isinstance(value, bool):
            return None
        compare: Callable[[float, float], bool] = {"<=": operator.le, ">=": operator.ge, "==": operator.eq}[self.compare]
        return compare(float(value), self.target)


# The goals the issues set for `make bench` and `make bench-load`, in the issues' words.
GOALS: tuple[Goal, ...] = (
    Goal(15, "Case list, 50 rows, 100,000 people, 16 clients: throughput ÷ /api/v1/me/ (SQLite)", "cases.throughput_ratio", ">=", 0.5),
    Goal(15, "Blind-index exact lookup ÷ plaintext indexed lookup, 100,000 people (SQLite)", "blind_index_lookup.ratio", "<=", 2.0, "×"),
    Goal(15, "Encrypted ÷ plaintext save+load, 10,000 records × 8 fields (SQLite)", "encrypted_fields.ratio", "<=", 1.5, "×"),
    Goal(15, "Encrypted ÷ plaintext save+load, 10,000 records × 8 fields (PostgreSQL)", "encrypted_fields.postgresql.ratio", "<=", 1.5, "×"),
    Goal(15, "Relocation figures ÷ GROUP BY with the same joins, 200 countries × 1,000,000 events (SQLite)", "relocation_figures.sqlite.ratio_to_joined_group_by", "<=", 1.5, "×"),
    Goal(15, "Relocation figures ÷ GROUP BY with the same joins (PostgreSQL)", "relocation_figures.postgresql.ratio_to_joined_group_by", "<=", 1.5, "×"),
    Goal(15, "Intake POST median, 1 client ÷ a minimal one-row POST view (SQLite)", "intake_submissions.sqlite.one_client_vs_minimal", "<=", 3.0, "×"),
    Goal(15, "Intake POST median, 1 client ÷ a minimal one-row POST view (PostgreSQL)", "intake_submissions.postgresql.one_client_vs_minimal", "<=", 3.0, "×"),
    Goal(15, "Intake throughput, 4 clients ÷ the code before issue 15 (SQLite)", "intake_submissions.sqlite.four_clients_vs_today", ">=", 1.3, "×"),
    Goal(15, "Intake throughput, 4 clients ÷ the code before issue 15 (PostgreSQL)", "intake_submissions.postgresql.four_clients_vs_today", ">=", 1.3, "×"),
    Goal(18, "Intake visit, 20 questions ÷ 4 questions", "intake_questionnaire.ratio_twenty_to_four", "<=", 1.2, "×"),
    Goal(16, "Three-dimension report over 1,000,000 records with suppression ÷ plain SQL aggregation (SQLite)", "statistics_reports.sqlite.ratio", "<=", 1.5, "×"),
    Goal(16, "The same report (PostgreSQL)", "statistics_reports.postgresql.ratio", "<=", 1.5, "×"),
    Goal(13, "Legacy import of 10,000 rows (CSV), wall clock", "legacy_import.csv_cp1251.total_s", "<=", 20.0, "s"),
    Goal(13, "Legacy import of 10,000 rows (CSV), CPU time", "legacy_import.csv_cp1251.cpu_total_s", "<=", 20.0, "s"),
    Goal(9, "Audit verify ÷ hashing the same leaf bytes", "audit_verify.ratio", "<=", 2.0, "×"),
    Goal(9, "keyd: unwrap one data key, median", "keyd_unwrap.unwrap_single_median_us", "<=", 100.0, "µs"),
    Goal(9, "keyd: unwrap a batch of 100, median", "keyd_unwrap.unwrap_batch100_median_ms", "<=", 2.0, "ms"),
    Goal(11, "Save a person with every field, p95", "cases.save_person.p95_ms", "<=", 20.0, "ms"),
    Goal(17, "Load: 50 users, 5 minutes, 100,000 people on PostgreSQL — errors", "load.errors", "==", 0),
)


def _fmt(value: Any) -> str:
    if value is None:
        return "not measured"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        rows: list[tuple[str, Any]] = []
        for key, inner in value.items():
            if key in ("measures", "goal", "note", "machine"):
                continue
            rows.extend(_flatten(inner, f"{prefix}{key}."))
        return rows
    if isinstance(value, list):
        if all(isinstance(v, int | float | str) for v in value) and len(value) <= 12:
            return [(prefix.rstrip("."), ", ".join(_fmt(v) for v in value))]
        return [(prefix.rstrip("."), f"{len(value)} entries")]
    return [(prefix.rstrip("."), value)]


def render(results: dict[str, Any]) -> str:
    machine = results.get("machine", {})
    lines = [
        "# Performance",
        "",
        "Written by `python -m bench.report` from `bench/results.json` after `make bench` and",
        "`make bench-load`; do not edit by hand. Figures that depend on the machine are ratios to",
        "a baseline measured in the same process, as medians (see each benchmark's docstring in",
        "`bench/`).",
        "",
        f"Machine of the last `make bench`: Python {machine.get('python', '?')}, {machine.get('platform', '?')}, "
        f"{machine.get('cpus', '?')} CPUs; started {results.get('started', '?')}.",
        "",
        "## Goals",
        "",
        "| issue | figure | measured | goal | met |",
        "| --- | --- | --- | --- | --- |",
    ]
    for goal in GOALS:
        value = goal.measured(results)
        met = goal.met(value)
        verdict = "—" if met is None else ("yes" if met else "**no**")
        lines.append(f"| {goal.issue} | {goal.what} | {_fmt(value)}{goal.unit if value is not None else ''} | "
                     f"{goal.compare} {_fmt(goal.target)}{goal.unit} | {verdict} |")
    lines += ["", "## Every figure", ""]
    for suite, figures in results.items():
        if not isinstance(figures, dict) or suite == "machine":
            continue
        lines += [f"### `{suite}`", ""]
        if figures.get("goal"):
            lines += [f"Goal: {figures['goal']}", ""]
        if figures.get("measures"):
            lines += [f"Measures: {figures['measures']}", ""]
        if isinstance(figures.get("machine"), dict):
            m = figures["machine"]
            lines += [f"Machine: Python {m.get('python', '?')}, {m.get('platform', '?')}, {m.get('cpus', '?')} CPUs", ""]
        lines += ["| figure | value |", "| --- | --- |"]
        lines += [f"| {name} | {_fmt(value).replace('|', '/')} |" for name, value in _flatten(figures)]
        lines.append("")
    return "\n".join(lines)


def write() -> None:
    PAGE.write_text(render(json.loads(RESULTS.read_text())))


if __name__ == "__main__":
    write()
    print(f"wrote {PAGE.relative_to(ROOT)}", file=sys.stderr)
