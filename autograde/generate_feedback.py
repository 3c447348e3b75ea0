"""Generate feedback: each learner's pages, from a redacted copy of their autograded notebooks.

redact removes hidden tests' lines and test tracebacks (the results stay: nbgrader #917 shows hidden tests
by design). `nbgrader generate_feedback` then runs in N workspaces at once with the course's configuration,
so pages read offline (figures embedded, math as MathML, explorers as stills: autograde/feedback.py). A
notebook that has no page after that gets a page saying why (autograde/report.py's failure_page).
"""

import concurrent.futures
import copy
import re
import shutil
from pathlib import Path

import nbformat

from autograde.report import failure_page
from autograde.workspace import autograded_folder, run_nbgrader, write_config

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# What nbgrader's exchange adds to a submission; release_feedback names the feedback with both.
SUBMISSION_FILES = ("timestamp.txt", "submission_secret.txt")


def redact(nb):
    """The feedback's view of an autograded notebook: hidden tests' lines and test tracebacks removed."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("grade") or cell.cell_type != "code":
            continue
        lines, hidden = [], False
        for line in cell.source.splitlines():
            if line.strip().startswith(HIDDEN_BEGIN):
                hidden = True
                lines.append("# (hidden tests: their results are below, their code is not shown)")
            elif line.strip().startswith(HIDDEN_END):
                hidden = False
            elif not hidden:
                lines.append(line)
        cell.source = "\n".join(lines)
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                output.traceback = [ANSI.sub("", f"{output.ename}: {output.evalue}")]
    return nb


def copy_redacted(source, dest):
    """Copy the autograded folder source to dest, its notebooks redacted, with the files that name the feedback."""
    for path in source.glob("*") if source.exists() else []:
        dest.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".ipynb":
            nbformat.write(redact(nbformat.read(path, as_version=4)), dest / path.name)
        elif path.name in SUBMISSION_FILES:
            shutil.copy(path, dest / path.name)


def feedback_workspace(fw, results, assignment, coursedir, work, limits):
    """nbgrader generate_feedback in workspace fw for the students of results (the course's gradebook, copied)."""
    for result in results:
        student, into = result.student, autograded_folder(fw, result.student, assignment)
        try:
            copy_redacted(autograded_folder(work / student, student, assignment), into)
        except Exception:  # no page for this student then: publish gives them one saying so
            shutil.rmtree(into, ignore_errors=True)
    if not (fw / "autograded").exists():
        return
    db_url = coursedir.db_url
    if db_url.startswith("sqlite:///"):
        shutil.copy(db_url.removeprefix("sqlite:///"), fw / "gradebook.db")
        db_url = f"sqlite:///{fw / 'gradebook.db'}"
    write_config(fw, coursedir, db_url, limits)
    run_nbgrader(["generate_feedback", assignment, "--force"], cwd=fw, timeout=120 + 30 * len(results))


def make_feedback(results, assignment, coursedir, work, limits, workers):
    """Feedback pages for every result, made in `workers` workspaces, copied into the course's feedback folder."""
    chunks = [results[i::workers] for i in range(workers) if results[i::workers]]
    shares = [(work / f"feedback-{number}", chunk) for number, chunk in enumerate(chunks)]
    with concurrent.futures.ThreadPoolExecutor(len(shares) or 1) as pool:
        jobs = [pool.submit(feedback_workspace, fw, chunk, assignment, coursedir, work, limits) for fw, chunk in shares]
        for job in jobs:
            job.result()
    for fw, chunk in shares:
        for result in chunk:
            publish(fw / "feedback" / result.student / assignment, result, assignment, coursedir)


def publish(source, result, assignment, coursedir):
    """Copy one student's feedback pages from source into the course; a failure page for each page missing."""
    student = result.student
    target = Path(coursedir.format_path(coursedir.feedback_directory, student, assignment))
    shutil.rmtree(target, ignore_errors=True)
    if source.exists():
        shutil.copytree(source, target)
    for name in result.released:
        page = target / name.replace(".ipynb", ".html")
        if not page.exists():
            target.mkdir(parents=True, exist_ok=True)
            reason = result.failures.get(name, "its feedback page could not be made")
            page.write_text(failure_page(student, assignment, reason))
