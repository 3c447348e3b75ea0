"""Grade every submission of one assignment with nbgrader's own autograde, in parallel, safely.

    python -m autograde.grade ASSIGNMENT [--workers N] [--course DIR]      (make grade A=ASSIGNMENT)

The steps, each a module (as nbgrader lays out its preprocessors):
1. collect (autograde/collect.py): the released notebooks and the submissions; a snapshot hashes every
   submitted file, checked again at the end (grading reads submissions and works on copies).
2. stage (collect.stage, autograde/restore.py): each submission copied into a private workspace and
   sanitized: unreadable or missing notebooks become the released one (0 points), renamed ones are
   matched by their cells' ids; nbgrader metadata, cell types and deleted setup and test cells are put
   back from the release, and each test runs below the released cells it follows. Each change is a note
   at the top of the notebook.
3. autograde (autograde/workspace.py): `nbgrader autograde` in each workspace with GuardedExecute
   (autograde/executor.py: sandboxed kernel, tamper guard, recovery from dead kernels), against the
   workspace's own copy of the gradebook; N workspaces at a time.
4. score (autograde/score.py): the main process alone merges each workspace's grades into the course
   gradebook, one student at a time, and copies the autograded notebooks; grading twice gives the same
   gradebook. With a server gradebook (PostgreSQL db_url), workspaces write to it directly.
5. feedback (autograde/generate_feedback.py): `nbgrader generate_feedback` on redacted copies (no hidden
   tests' code, no tracebacks) in N workspaces, with the course's configuration (autograde/feedback.py).
6. report (autograde/report.py): a line per student, and autograde/grading-report-ASSIGNMENT.json.
A submission whose grading fails anyway gets 0 for that notebook and a feedback page saying why.
"""

import argparse
import concurrent.futures
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from autograde.collect import ensure_released, load_course, released_notebooks, snapshot, stage, submission_folders
from autograde.generate_feedback import make_feedback
from autograde.report import altered, progress_line, report_path, write_report
from autograde.sandbox import sandbox_available
from autograde.score import merge
from autograde.workspace import NBGRADER_FAILED, ROOT, Result, autograde, make_workspace

DEFAULT_LIMITS = {
    "cell_timeout": 120,  # lessons 06-07 train networks in a cell (≈ 30 s, more on a loaded machine)
    "notebook_timeout": 300,
    "memory_limit": 3 * 2**30,
    "cpu_limit": 300,
    "sandbox": True,
}


def grade_one(student, folder, assignment, coursedir, released, work, template_db, limits):
    """Stage one submission in a workspace of its own and autograde it there: a Result, whatever happens.

    A notebook nbgrader could not run at all is graded once more, in a new workspace: this was seen rarely, on a
    heavily loaded machine, where grading it again succeeded; a learner's points must not depend on the machine's
    load. (The report keeps the first try's log.)
    """
    start, result = time.monotonic(), Result(student, list(released))
    try:
        ws, first = work / student, ""
        for attempt in (1, 2):
            result.db_url = make_workspace(ws, coursedir, template_db, limits)
            result.notes = stage(folder, released, ws / "submitted" / student / assignment)
            result.failures, log = autograde(ws, student, assignment, released, limits)
            if attempt == 1 and NBGRADER_FAILED in result.failures.values():
                first = f"attempt 1: {NBGRADER_FAILED}:\n{log}\nattempt 2:\n"
                continue
            result.log = first + log
            break
    except Exception as error:  # one submission never stops the batch
        why = f"the grader failed on it ({type(error).__name__}: {error})"
        result.failures, result.db_url = dict.fromkeys(released, why), None
    result.seconds = round(time.monotonic() - start, 1)
    return result


def grade(assignment, course=ROOT, workers=None, limits=None, students=None, echo=print):
    """Grade every submission of assignment in course (or those of students); return {student: score}.

    See the module's docstring for the steps.
    """
    limits = {**DEFAULT_LIMITS, **(limits or {})}
    bin_dir = str(Path(sys.executable).parent)  # nbgrader's Gradebook runs alembic as a program
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    if limits["sandbox"] and not sandbox_available():
        raise SystemExit("bubblewrap (bwrap) and prlimit are needed to grade safely: apt-get install bubblewrap")
    course = Path(course).resolve()
    coursedir = load_course(course)
    ensure_released(coursedir, assignment, course)
    released = released_notebooks(coursedir, assignment)
    folders = submission_folders(coursedir, assignment)
    if students:
        folders = {s: f for s, f in folders.items() if s in students}
    before = snapshot(folders.values())
    work = Path(tempfile.mkdtemp(prefix=f"gates-grading-{assignment}-"))
    template_db = None
    if coursedir.db_url.startswith("sqlite:///"):
        template_db = work / "template.db"
        shutil.copy(coursedir.db_url.removeprefix("sqlite:///"), template_db)
    workers = workers or os.cpu_count() or 1
    echo(f"grading {len(folders)} submissions of {assignment} with {workers} workers")
    scores, results, start = {}, [], time.monotonic()
    try:
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            args = (assignment, coursedir, released, work, template_db, limits)
            jobs = [pool.submit(grade_one, student, folder, *args) for student, folder in folders.items()]
            for n, job in enumerate(concurrent.futures.as_completed(jobs), 1):
                result = job.result()
                results.append(result)
                scores[result.student] = merge(result, assignment, coursedir, work)
                echo(progress_line(n, len(jobs), result, scores[result.student]))
        echo(f"feedback for {len(results)} students")
        make_feedback(sorted(results, key=lambda r: r.student), assignment, coursedir, work, limits, workers)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    changed = altered(before, snapshot(folders.values()))
    path = write_report(report_path(coursedir, assignment), scores, results, changed)
    echo(f"done in {time.monotonic() - start:.0f} s; report in {path.relative_to(course)}")
    if changed:
        raise SystemExit(f"submissions were altered during grading: {changed}")
    return scores


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("assignment")
    parser.add_argument("--workers", type=int, default=None, help="parallel workers (default: number of cores)")
    parser.add_argument("--course", default=str(ROOT), help="the course folder (default: this repository)")
    parser.add_argument("--student", action="append", help="grade only this student (repeatable)")
    for key, value in DEFAULT_LIMITS.items():
        if key != "sandbox":
            parser.add_argument(f"--{key.replace('_', '-')}", type=int, default=value)
    parser.add_argument("--no-sandbox", action="store_true", help="resource limits only (no bubblewrap)")
    args = parser.parse_args(argv)
    limits = {k: getattr(args, k) for k in DEFAULT_LIMITS if k != "sandbox"}
    limits["sandbox"] = not args.no_sandbox
    grade(args.assignment, args.course, args.workers, limits, args.student)


if __name__ == "__main__":
    main()
