"""Does gatelab.runs run a study's rows in processes, in order, and write its cache from the command line?"""

import json

from gatelab import runs


def power(base, exponent):
    return base**exponent


def test_run_all_runs_every_row_in_order_in_processes():
    echoed = []
    results, seconds = runs.run_all(power, [(2, 3), (3, 2), (5, 1)], jobs=2, echo=lambda k, r: echoed.append((k, r)))
    assert results == [8, 9, 5] and echoed == [(1, 8), (2, 9), (3, 5)] and seconds >= 0


def test_grid_is_a_caches_content_and_echoes_each_row(capsys):
    cache = runs.grid(power, [(2, 3), (3, 2)], 1, {"made": "so"}, lambda r: f"got {r}")
    assert cache["rows"] == [8, 9] and cache["config"] == {"made": "so"} and cache["jobs"] == 1
    assert capsys.readouterr().out.splitlines() == ["[1/2] got 8", "[2/2] got 9"]


def test_command_writes_what_regenerate_returns_and_prints_its_table(tmp_path, capsys):
    def regenerate(args):
        return {"jobs": args.jobs, "rows": [args.extra]}

    def extra_option(parser):
        parser.add_argument("--extra", default="x")

    out = tmp_path / "cache.json"
    argv = ["--jobs", "2", "--out", str(out), "--extra", "y"]
    results = runs.command("a study", regenerate, lambda r: f"table of {r['rows']}", tmp_path / "no.json", argv,
                           extra_option)
    assert results == runs.load(out) == json.loads(out.read_text()) == {"jobs": 2, "rows": ["y"]}
    printed = capsys.readouterr().out
    assert "table of ['y']" in printed and f"with 2 job(s) -> {out}" in printed
    assert not (tmp_path / "no.json").exists()
