"""``ehub-tui fixtures generate``: synthetic consultations for demos and benchmarks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ehub_tui.cli.output import CliError, JsonOpt, friendly_errors, print_json, say

fixtures_app = typer.Typer(help="Synthetic consultations for demos and benchmarks.")


@fixtures_app.command("generate")
def fixtures_generate(
    count: Annotated[int, typer.Option("--count", "-n", min=1, help="How many OCs.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same file).")] = 1,
    fmt: Annotated[str, typer.Option("--format", help="ndjson | csv | bundle")] = "ndjson",
    out_path: Annotated[Path, typer.Option("--out", "-o", help="File to write.")] = Path(
        "generated.ndjson"
    ),
    as_json: JsonOpt = False,
) -> None:
    """Write a large deterministic set of synthetic OCs for demos and benchmarks."""
    with friendly_errors():
        from ehub_tui.ingest import generate

        writers = {
            "ndjson": generate.write_ndjson,
            "csv": generate.write_csv,
            "bundle": generate.write_bundle,
        }
        if fmt not in writers:
            raise CliError(f"unknown format {fmt!r}: use ndjson, csv or bundle")
        if out_path.is_dir():
            raise CliError(f"{out_path}: is a folder; name a file to write")
        if out_path.parent and not out_path.parent.exists():
            raise CliError(f"{out_path.parent}: folder does not exist")
        n = writers[fmt](generate.generate_records(count, seed), out_path)
        if as_json:
            print_json({"written": n, "path": str(out_path), "format": fmt, "seed": seed})
        else:
            say(f"Wrote {n} consultations to {out_path} ({fmt}, seed {seed}).")
