"""Ingest rate: ours beside a baseline that only json-parses and inserts with sqlite3.

N generated OCs (default 100,000) are written once as FHIR R4 QuestionnaireResponses in NDJSON.
Ours: `Ingester.ingest_paths` into a fresh SQLite hub (parse, validate every field, due time,
duplicate check, one audit event per stored batch, synchronous=FULL). Baseline: json.loads each
line, pull the same fields out of the resource, and insert the rows with sqlite3 executemany into
a fresh hub of the same schema and pragmas, in batches of the same size.

--repeats pairs, interleaved (benchmarks/_harness.py): ours first on odd repeats, the baseline
first on even ones; every run gets a FRESH hub made by our migrations (untimed), so neither side
writes into a file the other has grown. One untimed warm-up pair first (imports, the input file
into the page cache).

Ratio = baseline rate / our rate (lower is better; target ≤ 3), median and spread.

``ingest_bulk_folder`` (issue 16): the same OCs as a FHIR Bulk Data export folder,
``Patient.ndjson`` beside ``QuestionnaireResponse.ndjson`` whose responses point to their Patient
by ``Patient/id``. Ours ingests the folder (every Patient indexed, every response joined); the
baseline json-loads the Patients into a dict by id, then joins each response to its Patient.

``ingest_cli`` (issue 18): the path users run, ``ehub-tui ingest FILE --json`` as a subprocess
on a fresh hub (untimed: made by our migrations, practices imported), red-flag prescreen
included, beside the library path doing the same work in-process (``Ingester`` screening each
batch, then the CLI's last prescreen). Ratio = CLI wall / library wall (target ≤ 1.5: the
process start, imports and SOP load are all the CLI may add). Its peak RSS (ru_maxrss of the
child) is printed too, and the machine's load beside each pair (other work on a shared
machine moves both sides, so read the per-pair ratios with it).

``--parts cli --cli-repeats 5 --warmup 0`` runs ``ingest_cli`` alone (each 100k pair takes a few
minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._harness import comparison, emit, interleave  # noqa: E402
from ehub_tui.config import Settings  # noqa: E402
from ehub_tui.ingest import generate  # noqa: E402
from ehub_tui.ingest.runner import BATCH, Ingester  # noqa: E402
from ehub_tui.practices import load_practices  # noqa: E402
from ehub_tui.service import HubService  # noqa: E402

INSERT = (
    "INSERT INTO consultation (source, external_id, practice_ods, nhs_number, given_name, "
    "family_name, date_of_birth, sex, received_at, request_type, template, answers, free_text, "
    "supplier_flags, priority, status, epoch, due_by, ingested_at, updated_at) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'queued',0,?,?,?)"
)
TARGET = 3.0
CLI_TARGET = 1.5


def fresh_hub(path: Path) -> HubService:
    svc = HubService.open(Settings(data_dir=path.parent, hub_url=f"sqlite:///{path}"))
    svc.import_practices(load_practices(ROOT / "fixtures" / "practices.yaml"))
    return svc


def baseline_row(qr: dict, now: str, pat: dict | None = None) -> tuple:
    if pat is None:
        pat = qr["contained"][0]
    answers: dict = {}
    flags: list[str] = []
    rtype, text = "", ""
    for item in qr.get("item", []):
        vals = [next(iter(a.values())) for a in item.get("answer", [])]
        link = item["linkId"]
        if link == "request_type":
            rtype = vals[0]
        elif link == "free_text":
            text = vals[0]
        elif link == "supplier_flag":
            flags.extend(vals)
        else:
            answers[link] = vals[0] if len(vals) == 1 else vals
    name = pat["name"][0]
    return (
        qr["identifier"]["system"].rsplit(":", 1)[-1],
        qr["identifier"]["value"],
        pat["generalPractitioner"][0]["identifier"]["value"],
        pat["identifier"][0]["value"],
        " ".join(name.get("given", [])),
        name.get("family", ""),
        pat["birthDate"],
        pat["gender"],
        qr["authored"],
        rtype,
        qr.get("questionnaire", "").rsplit("/", 1)[-1],
        json.dumps(answers),
        text,
        json.dumps(flags),
        2 if "emergency" in flags else 1 if "urgent" in flags else 0,
        now,
        now,
        now,
    )


def run_baseline(src: Path, db: Path) -> tuple[float, int]:
    fresh_hub(db).close()  # the same schema, made by our migrations
    conn = sqlite3.connect(db, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=5000"):
        conn.execute(f"PRAGMA {pragma}")
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    t0 = time.perf_counter()
    with open(src, encoding="utf-8") as f:
        lines = f.read().splitlines()
    n = 0
    for start in range(0, len(lines), BATCH):
        rows = [baseline_row(json.loads(line), now) for line in lines[start : start + BATCH]]
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(INSERT, rows)
        conn.execute("COMMIT")
        n += len(rows)
    elapsed = time.perf_counter() - t0
    stored = conn.execute("SELECT count(*) FROM consultation").fetchone()[0]
    conn.close()
    assert stored == n
    return elapsed, n


def write_bulk_folder(src: Path, folder: Path) -> None:
    """The contained-Patient NDJSON as a Bulk export folder: Patient.ndjson beside
    QuestionnaireResponse.ndjson."""
    folder.mkdir()
    with (
        open(src, encoding="utf-8") as f,
        open(folder / "Patient.ndjson", "w", encoding="utf-8") as pats,
        open(folder / "QuestionnaireResponse.ndjson", "w", encoding="utf-8") as qrs,
    ):
        for i, line in enumerate(f):
            qr = json.loads(line)
            pat = qr.pop("contained")[0]
            pat["id"] = f"pat-{i}"
            qr["subject"] = {"reference": f"Patient/pat-{i}"}
            pats.write(json.dumps(pat, separators=(",", ":")) + "\n")
            qrs.write(json.dumps(qr, separators=(",", ":")) + "\n")


def run_baseline_bulk(src: Path, db: Path) -> tuple[float, int]:
    fresh_hub(db).close()
    conn = sqlite3.connect(db, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=5000"):
        conn.execute(f"PRAGMA {pragma}")
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    t0 = time.perf_counter()
    with open(src / "Patient.ndjson", encoding="utf-8") as f:
        patients = {}
        for line in f:
            pat = json.loads(line)
            patients["Patient/" + pat["id"]] = pat
    with open(src / "QuestionnaireResponse.ndjson", encoding="utf-8") as f:
        lines = f.read().splitlines()
    n = 0
    for start in range(0, len(lines), BATCH):
        rows = []
        for line in lines[start : start + BATCH]:
            qr = json.loads(line)
            rows.append(baseline_row(qr, now, patients[qr["subject"]["reference"]]))
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(INSERT, rows)
        conn.execute("COMMIT")
        n += len(rows)
    elapsed = time.perf_counter() - t0
    stored = conn.execute("SELECT count(*) FROM consultation").fetchone()[0]
    conn.close()
    assert stored == n
    return elapsed, n


def run_ours(src: Path, db: Path) -> tuple[float, int]:
    svc = fresh_hub(db)
    t0 = time.perf_counter()
    report = Ingester(svc).ingest_paths([src])
    elapsed = time.perf_counter() - t0
    if report.failed_files or report.quarantined:
        raise SystemExit(f"ours rejected input: {report.as_dict()['totals']}")
    if not svc.verify_audit().ok:
        raise SystemExit("audit chain broken after ingest")
    svc.close()
    return elapsed, report.new


def run_library_screened(src: Path, db: Path) -> tuple[float, int]:
    """The library path doing what the CLI does: ingest screening each batch, then prescreen."""
    svc = fresh_hub(db)
    t0 = time.perf_counter()
    ingester = Ingester(svc, settings=svc.settings, screen_batches=True)
    report = ingester.ingest_paths([src])
    while svc.prescreen(1000):
        pass
    elapsed = time.perf_counter() - t0
    if report.failed_files or report.quarantined or not ingester.screened:
        raise SystemExit(f"library path: {report.as_dict()['totals']}, {ingester.screened}")
    svc.close()
    return elapsed, report.new


CLI_RSS: list[int] = []  # peak RSS (KiB) of each timed CLI child


def run_cli(src: Path, db: Path) -> tuple[float, int]:
    """``ehub-tui ingest FILE --json`` in a child process on a fresh embedded hub."""
    fresh_hub(db).close()
    env = {**os.environ, "EHUB_TUI_HUB_URL": f"sqlite:///{db}", "EHUB_TUI_DATA_DIR": str(db.parent)}
    exe = Path(sys.executable).with_name("ehub-tui")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "ehub_tui.cli"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    done = subprocess.run(
        [*cmd, "ingest", str(src), "--json"], cwd=ROOT, env=env, capture_output=True, check=False
    )
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"ehub-tui ingest failed ({done.returncode}): {done.stderr[-500:]!r}")
    # the largest child so far: a later, bigger child raises it (each run is the same file)
    CLI_RSS.append(max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
    out = json.loads(done.stdout)
    if not out["screened"]:
        raise SystemExit("ehub-tui ingest screened nothing")
    return elapsed, out["totals"]["new"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--count", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument(
        "--bulk-repeats",
        type=int,
        default=None,
        help="repeats of ingest_bulk_folder (default: --repeats)",
    )
    ap.add_argument(
        "--cli-repeats", type=int, default=None, help="repeats of ingest_cli (default: --repeats)"
    )
    ap.add_argument(
        "--parts",
        default="ingest,bulk,cli",
        help="comma-separated comparisons to run: ingest, bulk (ingest_bulk_folder), cli "
        "(ingest_cli); default all",
    )
    ap.add_argument("--warmup", type=int, default=1, help="untimed pairs before each comparison")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    results = []
    with tempfile.TemporaryDirectory(prefix="ehub-bench-") as tmp:
        work = Path(tmp)
        src = work / "ocs.ndjson"
        generate.write_ndjson(generate.generate_records(args.count, args.seed), src)

        def side(
            name: str, fn: Callable[[Path, Path], tuple[float, int]], given: Path = src
        ) -> Callable[[int], float]:
            def go(i: int) -> float:
                run_dir = work / f"{name}-{i + 100}"  # warm-ups have i <= 0
                run_dir.mkdir()
                secs, n = fn(given, run_dir / "hub.sqlite3")
                if n != args.count:
                    raise SystemExit(f"{name} stored {n} of {args.count}")
                shutil.rmtree(run_dir)
                return n / secs

            return go

        def timed(
            name: str, fn: Callable[[Path, Path], tuple[float, int]]
        ) -> Callable[[int], float]:
            def go(i: int) -> float:
                run_dir = work / f"{name}-{i + 100}"
                run_dir.mkdir()
                secs, n = fn(src, run_dir / "hub.sqlite3")
                if n != args.count:
                    raise SystemExit(f"{name} stored {n} of {args.count}")
                shutil.rmtree(run_dir)
                return secs

            return go

        if "ingest" in parts:
            print(f"ingest {args.count:,} FHIR OCs, OC/s per run:", flush=True)
            samples = interleave(
                args.repeats,
                side("ours", run_ours),
                side("baseline", run_baseline),
                warmup=args.warmup,
                progress=print,
            )
            results.append(
                comparison(
                    "ingest",
                    "OC/s",
                    samples,
                    higher_is_better=True,
                    target=TARGET,
                    count=args.count,
                )
            )
        if "bulk" in parts:
            bulk = work / "bulk-export"
            write_bulk_folder(src, bulk)
            print(f"ingest_bulk_folder {args.count:,} FHIR OCs, OC/s per run:", flush=True)
            bulk_samples = interleave(
                args.bulk_repeats if args.bulk_repeats is not None else args.repeats,
                side("ours-bulk", run_ours, bulk),
                side("baseline-bulk", run_baseline_bulk, bulk),
                warmup=args.warmup,
                progress=print,
            )
            results.append(
                comparison(
                    "ingest_bulk_folder",
                    "OC/s",
                    bulk_samples,
                    higher_is_better=True,
                    target=TARGET,
                    count=args.count,
                )
            )
        if "cli" in parts:
            print(
                f"ingest_cli {args.count:,} FHIR OCs, seconds per run (CLI, library):", flush=True
            )
            cli_samples = interleave(
                args.cli_repeats if args.cli_repeats is not None else args.repeats,
                timed("cli", run_cli),
                timed("library", run_library_screened),
                warmup=args.warmup,
                # the machine's load beside each pair: a shared machine's ratios move with it
                progress=lambda line: print(f"{line}  (load {os.getloadavg()[0]:.1f})"),
            )
            results.append(
                comparison(
                    "ingest_cli",
                    "s",
                    cli_samples,
                    target=CLI_TARGET,
                    count=args.count,
                    cli_peak_rss_mib=round(max(CLI_RSS) / 1024, 1) if CLI_RSS else None,
                    load_avg=[round(x, 2) for x in os.getloadavg()],
                )
            )
    emit("ingest", results, count=args.count)


if __name__ == "__main__":
    main()
