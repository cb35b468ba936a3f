"""bench/results/latest.json and latest.md: the ratios, their targets, and what they came from.

Targets are measured and reported here, never asserted by a test.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable
from pathlib import Path
from typing import Any

# key: (comparison, target, what it is)
TARGETS: dict[str, tuple[str, float, str]] = {
    "checkout_vs_bare": (">=", 0.5, "flows/s, shop over bare checkout"),
    "checkout_growth": ("<=", 1.2, "flow p50, long history over new (lower is better)"),
    "product_read_vs_bare": (">=", 0.6, "GET /products/{id} (Redis) over bare async"),
    "product_list_vs_bare": (">=", 0.5, "GET /products (SQL) over bare async"),
    "order_history_vs_bare": (">=", 0.5, "GET /orders/{id}/history over bare async"),
    "replay_vs_raw_decode": (">=", 0.5, "replay into MariaDB over raw read + decode"),
    "lag_p99_ms": ("<", 50, "event-to-view p99, ms (lower is better)"),
    "pg_connections": ("<=", 20, "PostgreSQL connections, gateway + worker, under load"),
    "login_storm_success_ratio": (">=", 0.5, "sign-ins/s under a 150-way storm over calm"),
}
# Reported beside the targets, without one.
EXTRA: dict[str, str] = {
    "checkout_emulated_vs_bare": "flows/s with the Stripe SDK against localstripe, over bare",
}
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "<": operator.lt,
}


def verdicts(ratios: dict[str, float]) -> dict[str, dict[str, Any]]:
    found = {}
    for key, (comparison, target, _) in TARGETS.items():
        if key in ratios:
            met = _COMPARE[comparison](ratios[key], target)
            found[key] = {"target": f"{comparison} {target:g}", "met": met}
    return found


def write(summary: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Both files, each written whole and then renamed into place."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = out_dir / "latest.json", out_dir / "latest.md"
    texts = json.dumps(summary, indent=2) + "\n", markdown(summary)
    for path, text in zip(paths, texts, strict=True):
        partial = path.with_suffix(path.suffix + ".tmp")
        partial.write_text(text)
        partial.replace(path)
    return paths


def _value(value: float) -> str:
    return f"{value:,.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def markdown(summary: dict[str, Any]) -> str:
    host, ratios, targets = summary["host"], summary["ratios"], summary["targets"]
    lines = [
        "# Benchmark results",
        "",
        f"`make bench` ({summary['mode']}) on {summary['generated_at']},"
        f" {summary['seconds']:.0f} s, {host['cpus']} CPUs, Python {host['python']};"
        " 1-minute load average"
        f" {host['load_average_1m']['start']} at the start, {host['load_average_1m']['end']}"
        f" at the end (per section: {_loads(host['load_average_1m']['sections'])}).",
        "Project and baseline runs alternate; each figure is the median of"
        f" {summary['config']['rounds']} runs; ratios are taken at"
        f" {summary['config']['connections']} connections. See bench/README.md for the method.",
        "",
        "| key | value | target | met? | what |",
        "|---|---:|---:|:---:|---|",
    ]
    for key, (_, _, what) in TARGETS.items():
        if key in ratios:
            verdict = targets[key]
            met = "yes" if verdict["met"] else "**no**"
            lines.append(
                f"| `{key}` | {_value(ratios[key])} | {verdict['target']} | {met} | {what} |"
            )
        else:
            lines.append(f"| `{key}` | not measured | | | {what} |")
    for key, what in EXTRA.items():
        if key in ratios:
            lines.append(f"| `{key}` | {_value(ratios[key])} | none | | {what} |")
    lines.append("")
    lines += _details(summary["measurements"])
    lines += ["## Notes", ""] + [f"- {note}" for note in summary["notes"]] + [""]
    return "\n".join(lines)


def _loads(sections: dict[str, float]) -> str:
    return ", ".join(f"{name} {load}" for name, load in sections.items()) or "none"


def _details(measurements: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    comparisons = [
        (key, m) for key, m in measurements.items() if isinstance(m, dict) and "connections" in m
    ]
    if comparisons:
        lines += [
            "## Throughput, project against baseline",
            "",
            "| measurement | connections | project | bare | ratio | each round's ratio"
            " | project p50/p99 ms | bare p50/p99 ms | failed units |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for key, m in comparisons:
            for connections, g in m["connections"].items():
                p, b = g["project"], g["bare"]
                lines.append(
                    f"| {key} | {connections} | {p['median']:,} | {b['median']:,} | {g['ratio']}"
                    f" | {', '.join(map(str, g['round_ratios']))}"
                    f" | {p['p50_ms']} / {p['p99_ms']} | {b['p50_ms']} / {b['p99_ms']}"
                    f" | {p['errors']} / {b['errors']} |"
                )
        lines.append("")
    if "growth" in measurements:
        g = measurements["growth"]
        lines += [
            f"## Growth: {g['sales_before']:,} earlier sales,"
            f" {g['orders_before']:,} earlier orders",
            "",
            "| part | old p50 ms | new p50 ms | ratio |",
            "|---|---:|---:|---:|",
        ]
        for part in ("flow", "add", "checkout"):
            row = g[part]
            lines.append(f"| {part} | {row['old_p50_ms']} | {row['new_p50_ms']} | {row['ratio']} |")
        lines.append("")
    if "lag" in measurements:
        lag = measurements["lag"]
        lines += [
            f"## Event-to-view lag, {lag['note']}",
            "",
            "| view | p50 ms | p99 ms | max ms |",
            "|---|---:|---:|---:|",
        ]
        for view, v in lag["views"].items():
            lines.append(f"| {view} | {v['p50_ms']} | {v['p99_ms']} | {v['max_ms']} |")
        lines.append("")
    if "replay" in measurements:
        r = measurements["replay"]
        views = ", ".join(f"{name} {rate:,}" for name, rate in r["views"].items())
        lines += [
            f"## Replay of {r['notifications']:,} notifications (events/s)",
            "",
            f"Project (all SQL views) {r['project']:,}; raw read + decode"
            f" {r['raw_read_and_decode']:,}; per view: {views}.",
            "",
        ]
    if "pg_connections" in measurements:
        pg = measurements["pg_connections"]
        lines += [
            "## PostgreSQL connections under load",
            "",
            f"Peak {pg['peak']} ({_loads(pg['at_peak'])}); most seen per process:"
            f" {_loads(pg['max_by_process'])}; peak per phase: {_loads(pg['peak_by_phase'])}.",
            "",
        ]
    return lines
