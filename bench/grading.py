"""Time grading a class: N submissions of one assignment, graded with 1 worker and with 2 (make bench-grading).

    python -m bench.grading [ASSIGNMENT] [--count 40] [--workers 1 2]

In a temporary course: generate_assignment, then N submissions cycling through the solution, the released
notebook and the solution with one function left unsolved; each worker count grades a fresh copy of the
course with autograde.grade. For scale, it also times executing the solution notebook once in a plain
kernel (nbclient, no grading). Prints one line per run; nothing is asserted (budgets are benchmarked).
"""

import argparse
import copy
import datetime
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from autograde.grade import grade
from autograde.release import nbgrader

ROOT = Path(__file__).resolve().parents[1]
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


def solved_as(released, source, unsolved=None):
    """The released notebook with the source's solutions filled in, except the solution cell named unsolved."""
    solutions = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in source.cells
        if c.get("metadata", {}).get("nbgrader", {}).get("solution")
    }
    nb = copy.deepcopy(released)
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in solutions and grade_id != unsolved:
            cell.source = "\n".join(line for line in solutions[grade_id].splitlines() if line.strip() not in MARKERS)
    return nb


def make_class(course, assignment, count):
    """A course folder with count submissions of assignment."""
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / assignment, course / "solutions" / assignment)
    (course / "autograde").mkdir()
    done = nbgrader("generate_assignment", assignment, cwd=course)
    if done.returncode:
        raise SystemExit(done.stdout + done.stderr)
    names = sorted(p.name for p in (course / "solutions" / assignment).glob("*.ipynb"))
    kinds = [None, "released", *sorted({c for n in names for c in solution_ids(course, assignment, n)})]
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    for i in range(count):
        kind = kinds[i % len(kinds)]
        folder = course / "autograde" / "submitted" / f"student-{i:03d}" / assignment
        folder.mkdir(parents=True)
        for name in names:
            released = nbformat.read(course / "lessons" / assignment / name, as_version=4)
            source = nbformat.read(course / "solutions" / assignment / name, as_version=4)
            nb = released if kind == "released" else solved_as(released, source, kind)
            nbformat.write(nb, folder / name)
        (folder / "timestamp.txt").write_text(stamp)
    return names


def solution_ids(course, assignment, name):
    nb = nbformat.read(course / "solutions" / assignment / name, as_version=4)
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]


def time_plain_execution(course, assignment, names):
    """Seconds to execute the solution notebooks once with nbclient, no grading."""
    start = time.monotonic()
    for name in names:
        nb = nbformat.read(course / "solutions" / assignment / name, as_version=4)
        NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(course)}}).execute()
    return time.monotonic() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("assignment", nargs="?", default="01-why-gates")
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gates-bench-") as tmp:
        template = Path(tmp) / "template"
        template.mkdir()
        names = make_class(template, args.assignment, args.count)
        plain = time_plain_execution(template, args.assignment, names)
        print(f"executing the solution of {args.assignment} once, plain kernel: {plain:.1f} s")
        for workers in args.workers:
            course = Path(tmp) / f"workers-{workers}"
            shutil.copytree(template, course)
            start = time.monotonic()
            scores = grade(args.assignment, course, workers=workers, echo=lambda line: None)
            wall = time.monotonic() - start
            per = wall * workers / len(scores)
            print(
                f"{len(scores)} submissions of {args.assignment}, {workers} worker(s): {wall:.0f} s wall "
                f"({per:.1f} s per submission per worker, {per / plain:.1f}x a plain execution)"
            )


if __name__ == "__main__":
    main()
