"""Report: what the grader tells about a run: a line per student, the grading report JSON, failure pages.

The report (autograde/grading-report-ASSIGNMENT.json in this course) holds every score, each student's
notes, failures and seconds, and the submission files that changed while grading (there must be none).
"""

import html
import json
from pathlib import Path


def progress_line(n, total, result, score):
    """'[  3/40] alice: 6 points in 21 s', with the failures if any."""
    problems = "; ".join(f"{k}: {v}" for k, v in result.failures.items())
    line = f"[{n:>3}/{total}] {result.student}: {score:g} points in {result.seconds:.0f} s"
    return f"{line}  {problems}" if problems else line


def altered(before, after):
    """The paths whose hashes differ between two snapshots (collect.snapshot), added and removed included."""
    return sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))


def report_path(coursedir, assignment):
    """Where the grading report of assignment goes: beside the autograded folder (autograde/ in this course)."""
    autograded = Path(coursedir.format_path(coursedir.autograded_directory, ".", "."))
    return autograded.parent / f"grading-report-{assignment}.json"


def write_report(path, scores, results, changed):
    """Write the grading report: scores, each student's notes, failures and seconds (and nbgrader's log where it
    failed, or failed once), altered submission files (this run's). The report is the assignment's: a run that
    grades some students only replaces their entries and keeps the others' from the report before."""
    students = {r.student: {"notes": r.notes, "failures": r.failures, "seconds": r.seconds} for r in results}
    for r in results:
        if r.failures or r.log.startswith("attempt 1"):  # why, for the instructor: the end of nbgrader's output
            students[r.student]["log"] = r.log
    before = read_report(path)
    scores = {**before.get("scores", {}), **scores}
    students = {**before.get("students", {}), **students}
    path.write_text(json.dumps({"scores": scores, "students": students, "altered": changed}, indent=1))
    return path


def read_report(path):
    """The grading report at path ({} if there is none, or it cannot be read)."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}


def failure_page(student, assignment, reason):
    """A feedback page for a submission that could not be graded at all."""
    return (
        f"<html><body><h1>{html.escape(assignment)}: {html.escape(student)}</h1>"
        f"<p>This notebook could not be graded: {html.escape(reason)}. It scores 0; your instructor can see why.</p>"
        "</body></html>"
    )
