"""Experiments too long for a lesson run once, in processes, and are cached as JSON inside the package.

Each study (experiments, specialize, forgetting) has rows to run, a config() naming what made its cache and a
table() of its results; run_all runs the rows, command is its `python -m gatelab.<study> [--jobs N] [--out PATH]`.
"""

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def run_all(run, rows, jobs=1, echo=None):
    """([run(*row) for row in rows], seconds it took), in jobs processes (each run trains on one thread);
    echo(k, result), if given, as each result arrives, in order."""
    start, results = time.perf_counter(), []
    with ProcessPoolExecutor(jobs) as pool:
        for k, result in enumerate(pool.map(run, *zip(*rows, strict=True)), 1):
            results.append(result)
            if echo:
                echo(k, result)
    return results, round(time.perf_counter() - start, 1)


def grid(run, rows, jobs, config, describe, echo=print):
    """A study's cache content, {"config", "seconds", "jobs", "rows"}: run(*row) for every row (run_all), each
    result echoed as "[k/n] " + describe(result) as it arrives."""
    results, seconds = run_all(run, rows, jobs, lambda k, r: echo(f"[{k}/{len(rows)}] {describe(r)}"))
    return {"config": config, "seconds": seconds, "jobs": jobs, "rows": results}


def load(path):
    """A cache: the JSON a study's command wrote."""
    return json.loads(Path(path).read_text())


def command(description, regenerate, table, path, argv=None, add_options=None):
    """A study's command line: --jobs N (processes) and --out PATH (default path), and add_options(parser)'s;
    writes regenerate(args) as JSON to --out and prints table() of it. Returns the results."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--jobs", type=int, default=1, help="processes in parallel (each trains on one thread)")
    parser.add_argument("--out", type=Path, default=path)
    if add_options:
        add_options(parser)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    results = regenerate(args)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(table(results))
    print(f"done in {time.perf_counter() - start:.0f} s with {args.jobs} job(s) -> {args.out}")
    return results
