"""Benchmark results: each group has a baseline measured in the same run, and ratios to it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Detail = float | int | str


@dataclass(frozen=True)
class Measurement:
    label: str
    value: float  # higher is better (a rate)
    details: dict[str, Detail] = field(default_factory=dict)


@dataclass
class Group:
    """Variants compared with one baseline, all measured in this run on this machine."""

    name: str
    baseline: Measurement
    variants: list[Measurement] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        base = self.baseline.value
        return {
            "name": self.name,
            "baseline": self.baseline.label,
            "results": [
                {
                    "label": m.label,
                    "value": round(m.value, 1),
                    "ratio": round(m.value / base, 3) if base else None,
                    "details": m.details,
                }
                for m in (self.baseline, *self.variants)
            ],
        }


@dataclass
class Benchmark:
    key: str
    title: str
    unit: str
    groups: list[Group] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "unit": self.unit,
            "groups": [group.to_json() for group in self.groups],
            "skipped": self.skipped,
            "notes": self.notes,
        }


def write(summary: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """bench/results/latest.json and latest.md (written whole, then renamed into place)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = out_dir / "latest.json", out_dir / "latest.md"
    for path, text in zip(
        paths, (json.dumps(summary, indent=2) + "\n", markdown(summary)), strict=True
    ):
        partial = path.with_suffix(path.suffix + ".tmp")
        partial.write_text(text)
        partial.replace(path)
    return paths


def markdown(summary: dict[str, Any]) -> str:
    host = summary["host"]
    lines = [
        "# Benchmark results",
        "",
        f"Run {summary['generated_at']} in {summary['seconds']:.0f} s on {host['platform']}, "
        f"{host['cpus']} CPUs, Python {host['python']}, 1-minute load average"
        f" {host['load_average_1m'][0]} at the start and {host['load_average_1m'][1]} at the end."
        " Ratios are to the baseline of the same group in the same run (higher is faster).",
        "",
    ]
    for bench in summary["benchmarks"].values():
        lines += [f"## {bench['title']}", ""]
        for group in bench["groups"]:
            lines += [
                f"**{group['name']}** (baseline: {group['baseline']})",
                "",
                f"| variant | {bench['unit']} | ratio | details |",
                "|---|---:|---:|---|",
            ]
            for result in group["results"]:
                details = ", ".join(f"{k} {v}" for k, v in result["details"].items())
                ratio = "" if result["ratio"] is None else f"{result['ratio']:.2f}x"
                lines.append(
                    f"| {result['label']} | {result['value']:,.1f} | {ratio} | {details} |"
                )
            lines.append("")
        lines += [f"- skipped: {reason}" for reason in bench["skipped"]]
        lines += [f"- {note}" for note in bench["notes"]]
        if bench["skipped"] or bench["notes"]:
            lines.append("")
    return "\n".join(lines)
