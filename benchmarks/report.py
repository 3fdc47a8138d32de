"""Turn the benchmarks' JSON last lines into the tables in docs/benchmarks.md.

`make bench` saves each script's last line (one JSON object, see benchmarks/_harness.py) as
benchmarks/results/<script>.json. This script reads every such file (a whole saved output works
too: the last line that parses as JSON is used) and rewrites the part of docs/benchmarks.md
between the generated markers; everything outside them is left as written.

    python benchmarks/report.py                 # rewrite the tables
    python benchmarks/report.py --check         # exit 1 if the doc is not what the results give
    python benchmarks/report.py --stdout        # print the tables only
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN = "<!-- benchmarks/report.py: generated tables begin (do not edit by hand) -->"
END = "<!-- benchmarks/report.py: generated tables end -->"
ORDER = [
    "ingest",
    "claim",
    "sop_engine",
    "queue_ui",
    "board",
    "export",
    "ui_latency",
    "hub_api",
    "sync",
]


class ReportError(Exception):
    """A results file that cannot be read, or a doc without the markers."""


def load(path: Path) -> dict[str, Any]:
    """The last line of ``path`` that is a JSON object with "comparisons"."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ReportError(f"{path}: cannot be read ({exc.strerror})") from None
    for line in reversed(lines):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict) and isinstance(data.get("comparisons"), list):
            data.setdefault("benchmark", path.stem)
            return data
    raise ReportError(f"{path}: no JSON line with a 'comparisons' list (was the run cut short?)")


def num(x: Any) -> str:
    """A figure for the table: commas from 1,000 up, else 3 significant figures."""
    if not isinstance(x, int | float):
        return "—"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    return f"{x:.3g}"


def ratio(x: Any) -> str:
    """A ratio: two decimals (1.999 must not read as 2), three figures below 0.1."""
    if not isinstance(x, int | float):
        return "—"
    return f"{x:.2f}" if x >= 0.1 else f"{x:.2g}"


def span(c: dict[str, Any], side: str) -> str:
    lo, hi = c.get(f"{side}_min"), c.get(f"{side}_max")
    return f"{num(lo)}–{num(hi)}" if lo is not None and hi is not None else ""


def verdict(c: dict[str, Any]) -> str:
    if "met" not in c:
        return "reported"
    return "met" if c["met"] else "**MISSED**"


def target(c: dict[str, Any]) -> str:
    if c.get("target_text"):
        return str(c["target_text"]).replace("<=", "≤")
    if c.get("target") is not None:
        return f"≤ {c['target']:g}"
    return "—"


def notes(c: dict[str, Any]) -> str:
    """What else a reader needs beside the medians: p95s, double claims, p99s, sizes."""
    out = []
    if "ratio_p95" in c:
        out.append(
            f"p95 {num(c['ours_p95'])} / {num(c['baseline_p95'])} = {ratio(c['ratio_p95'])}; "
            f"max {num(c.get('ours_max'))} / {num(c.get('baseline_max'))}"
        )
    if "double_claims" in c:
        out.append(f"double claims {c['double_claims']} / {c.get('baseline_double_claims', '—')}")
    if "p99_scan_ms" in c:
        ok = "met" if c.get("p99_met") else "MISSED"
        out.append(f"p99 scan {c['p99_scan_ms']} ms, eval {c['p99_eval_ms']} ms (< 2 ms: {ok})")
    if "ours_worst_of_all" in c:
        out.append(f"our worst of all runs {num(c['ours_worst_of_all'])} ms")
    if "phases" in c:
        ph = c["phases"].get("ours", {})
        out.append("ours' worst by phase: " + ", ".join(f"{k} {num(v)}" for k, v in ph.items()))
    if "worst_key_ms" in c:
        w = c["worst_key_ms"]
        big = max(w, key=int)
        out.append(f"slowest key at {int(big):,}: {num(max(w[big].values()))} ms")
    if "month" in c:
        out.append(str(c["month"]))
    if "hub_pool_size" in c:
        bounded = "bounded" if c.get("bounded_by_pool") else "NOT bounded"
        out.append(
            f"{c.get('workstations')} workstations; {bounded} by hub_pool_size "
            f"{c['hub_pool_size']}; hub CPU {num(c.get('hub_cpu_pct'))}% of a core "
            f"({num(c.get('hub_cpu_ms_per_request'))} ms a request); round p95 "
            f"{num(c.get('round_p95_ms'))} / {num(c.get('baseline_round_p95_ms'))} ms; late "
            f"rounds {c.get('late_rounds', '—')} / {c.get('baseline_late_rounds', '—')}"
        )
    sizes = (("items", "items"), ("outcomes", "outcomes"), ("count", "OCs"), ("ocs", "OCs"))
    for key, label in (*sizes, ("texts", "texts")):
        if key in c:
            out.append(f"{c[key]:,} {label}")
            break
    return "; ".join(out)


def table(results: list[dict[str, Any]]) -> str:
    rows = [
        "| comparison | unit | ours (median) | ours min–max | baseline (median) | baseline "
        "min–max | ratio | ratio per repeat | n | target | | notes |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    whats = []
    for res in results:
        for c in res["comparisons"]:
            per = (
                f"{ratio(c['ratio_min'])}–{ratio(c['ratio_max'])}"
                if "ratio_min" in c and "ratio_max" in c
                else ""
            )
            rows.append(
                f"| `{c['name']}` | {c['unit']} | {num(c['ours'])} | {span(c, 'ours')} | "
                f"{num(c['baseline'])} | {span(c, 'baseline')} | {ratio(c['ratio'])} | {per} | "
                f"{c.get('repeats', '')} | {target(c)} | {verdict(c)} | {notes(c)} |"
            )
            if c.get("what"):
                whats.append(f"- `{c['name']}`: {c['what']}")
    out = "\n".join(rows)
    if whats:
        out += "\n\n" + "\n".join(whats)
    return out


def render(results: list[dict[str, Any]], sources: list[Path]) -> str:
    names = ", ".join(f"`{p.relative_to(ROOT) if p.is_relative_to(ROOT) else p}`" for p in sources)
    return (
        f"{BEGIN}\n\n"
        "Ratios are our cost over the baseline's, lower is better (times: ours / baseline; rates "
        'such as claims/s and OC/s: baseline / ours). "n" is the number of interleaved repeats '
        "(for the board, of refreshes). From: "
        f"{names}.\n\n{table(results)}\n\n{END}"
    )


def collect(paths: list[Path]) -> tuple[list[dict[str, Any]], list[Path]]:
    files: list[Path] = []
    for p in paths:
        files.extend(sorted(p.glob("*.json")) if p.is_dir() else [p])
    if not files:
        raise ReportError(f"no results in {', '.join(map(str, paths))}; run `make bench` first")
    loaded = [(load(f), f) for f in files]
    loaded.sort(
        key=lambda rf: (
            ORDER.index(rf[0]["benchmark"]) if rf[0]["benchmark"] in ORDER else len(ORDER),
            str(rf[1]),
        )
    )
    return [r for r, _ in loaded], [f for _, f in loaded]


def splice(doc: str, generated: str, where: Path) -> str:
    if BEGIN not in doc or END not in doc:
        raise ReportError(f"{where}: the generated markers are missing:\n  {BEGIN}\n  {END}")
    head, rest = doc.split(BEGIN, 1)
    _old, tail = rest.split(END, 1)
    return head + generated + tail


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="*", type=Path, help=f"files or folders (default {RESULTS})")
    ap.add_argument("--doc", type=Path, default=DOC)
    ap.add_argument("--check", action="store_true", help="exit 1 if the doc is out of date")
    ap.add_argument("--stdout", action="store_true", help="print the tables, change nothing")
    args = ap.parse_args()
    try:
        results, sources = collect(args.results or [RESULTS])
        generated = render(results, sources)
        if args.stdout:
            print(generated)
            return 0
        try:
            doc = args.doc.read_text(encoding="utf-8")
        except OSError as exc:
            raise ReportError(f"{args.doc}: cannot be read ({exc.strerror})") from None
        new = splice(doc, generated, args.doc)
    except ReportError as exc:
        print(f"report: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if new != doc:
            print(f"report: {args.doc} is out of date; run benchmarks/report.py", file=sys.stderr)
            return 1
        return 0
    if new != doc:
        args.doc.write_text(new, encoding="utf-8")
    print(f"{args.doc}: {sum(len(r['comparisons']) for r in results)} comparisons")
    return 0


if __name__ == "__main__":
    sys.exit(main())
