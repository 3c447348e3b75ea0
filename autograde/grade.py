"""Grade every submission of one assignment with nbgrader's own autograde, in parallel, safely.

    python -m autograde.grade ASSIGNMENT [--workers N] [--course DIR]      (make grade A=ASSIGNMENT)

Steps, each a function below:
1. snapshot: hash every file under autograde/submitted/*/ASSIGNMENT (checked again at the end: grading
   never alters a submission; it reads them and works on copies).
2. stage: copy each submission into a private workspace and sanitize the copy: a notebook that cannot be
   read, or is missing, becomes the released notebook (0 points); a renamed notebook is matched to its
   released name by its cells' ids; nbgrader metadata and cell types are put back from the released
   notebook by cell id; unknown grade ids are dropped. Each change is a note at the top of the notebook.
3. grade: in each workspace, `nbgrader autograde` with GuardedExecute (autograde/executor.py: sandboxed
   kernel, tamper guard, recovery from dead kernels), against the workspace's own copy of the gradebook;
   workers run N workspaces at a time. Each autograded notebook is also copied with its hidden tests'
   lines and its test tracebacks removed: the feedback is made from that copy.
4. merge: the main process alone writes each workspace's scores and comments into the course gradebook,
   one student at a time (SQLite takes one writer), and copies the autograded notebooks. Scores are
   overwritten, manual grades kept, so grading twice gives the same gradebook. With a server gradebook
   (PostgreSQL db_url), workers write to it directly.
5. feedback: `nbgrader generate_feedback` on the redacted copies, in N workspaces at once, with the course's
   configuration: pages that read offline (figures embedded, math as MathML, explorers as stills:
   autograde/feedback.py).
A submission whose grading fails anyway gets 0 for that notebook and a feedback page saying why.
"""

import argparse
import concurrent.futures
import copy
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from sqlalchemy.exc import SAWarning
from traitlets.config.loader import PyFileConfigLoader

ROOT = Path(__file__).resolve().parents[1]
NOTE_CELL_ID = "grader-notes"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# What nbgrader's exchange adds to a submission; release_feedback names the feedback with both.
SUBMISSION_FILES = ("timestamp.txt", "submission_secret.txt")


# -- the course -----------------------------------------------------------------------------------


def load_course(course):
    """The CourseDirectory that course/nbgrader_config.py describes."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.CourseDirectory.root = str(Path(course).resolve())
    return CourseDirectory(config=config)


def submission_folders(coursedir, assignment):
    """{student: folder} of every submission of assignment."""
    submitted = Path(coursedir.format_path(coursedir.submitted_directory, ".", "."))
    folders = sorted(p for p in submitted.glob(f"*/{assignment}") if p.is_dir())
    return {p.parent.name: p for p in folders}


def released_notebooks(coursedir, assignment):
    """{file name: notebook} of the released assignment (what learners start from)."""
    folder = Path(coursedir.format_path(coursedir.release_directory, ".", assignment))
    return {p.name: nbformat.read(p, as_version=4) for p in sorted(folder.glob("*.ipynb"))}


def ensure_released(coursedir, assignment, course):
    """Run nbgrader generate_assignment if the gradebook does not know the assignment yet."""
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        try:
            gb.find_assignment(assignment)
            return
        except MissingEntry:
            pass
    run_nbgrader(["generate_assignment", assignment, "--force"], cwd=course, timeout=600, check=True)


def run_nbgrader(args, cwd, timeout, check=False):
    """Run `nbgrader ARGS` in cwd with this environment's bin/ on PATH and autograde/ importable."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{env.get('PYTHONPATH', '')}"
    try:
        done = subprocess.run(
            [sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return None
    if check and done.returncode:
        raise SystemExit(f"nbgrader {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done


# -- 1. snapshot -----------------------------------------------------------------------------------


def snapshot(folders):
    """{path: sha256} of every file under the given folders."""
    hashes = {}
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file() and not path.is_symlink():
                hashes[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


# -- 2. stage --------------------------------------------------------------------------------------


CELL_KEYS = {
    "code": {"id", "cell_type", "metadata", "source", "outputs", "execution_count"},
    "markdown": {"id", "cell_type", "metadata", "source", "attachments"},
    "raw": {"id", "cell_type", "metadata", "source", "attachments"},
}


def repaired(nb):
    """nb with what the notebook format forbids in each cell removed (e.g. outputs in a cell made markdown)."""
    for cell in nb.get("cells", []):
        for key in set(cell) - CELL_KEYS.get(cell.get("cell_type"), set(cell)):
            del cell[key]
        if cell.get("cell_type") == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
    return nb


def read_notebook(path):
    """(notebook, None), or (None, why it cannot be read); small format violations are repaired."""
    try:
        nb = repaired(nbformat.read(path, as_version=4))
        nbformat.validate(nb)
        return nb, None
    except Exception as error:
        return None, f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"


def cell_ids(nb):
    return {c.get("id") for c in nb.cells}


def match_notebooks(folder, released):
    """{released name: (notebook, notes)} for a submission folder: renamed, unreadable and missing handled."""
    readable, unreadable = {}, {}
    for path in sorted(folder.glob("*.ipynb")):
        nb, why = (None, "it is a symbolic link, not a file") if path.is_symlink() else read_notebook(path)
        if nb is None:
            unreadable[path.name] = why
        else:
            readable[path.name] = nb
    matched = {}
    for name, reference in released.items():
        if name in readable:
            matched[name] = (readable.pop(name), [])
        elif name in unreadable:
            notes = [f"`{name}` could not be read ({unreadable.pop(name)}): it was graded as the released notebook"]
            matched[name] = (copy.deepcopy(reference), notes)
    for name, reference in released.items():
        if name in matched:
            continue
        overlap = {other: len(cell_ids(nb) & cell_ids(reference)) for other, nb in readable.items()}
        best = max(overlap, key=overlap.get, default=None)
        if best is not None and overlap[best] > 0:
            matched[name] = (readable.pop(best), [f"`{best}` was graded as `{name}` (the notebook was renamed)"])
        else:
            notes = [f"no notebook `{name}` was submitted: it was graded as the released notebook"]
            matched[name] = (copy.deepcopy(reference), notes)
    for other in [*readable, *unreadable]:
        matched[next(iter(released))][1].append(f"`{other}` is not part of this assignment and was not graded")
    return matched


def restore_metadata(nb, reference):
    """Put back nbgrader metadata and cell types from the released notebook, by cell id; return notes."""
    by_id = {c.get("id"): c for c in reference.cells}
    notes = []
    for cell in nb.cells:
        original = by_id.get(cell.get("id"))
        meta = cell.get("metadata", {}).get("nbgrader")
        if original is None:
            if meta:
                notes.append(f"a cell added by you carried nbgrader metadata ({meta.get('grade_id')}): removed")
                del cell.metadata["nbgrader"]
            continue
        want = original.get("metadata", {}).get("nbgrader")
        if want and (meta or {}) != want:
            changed = sorted(k for k in set(want) | set(meta or {}) if (meta or {}).get(k) != want.get(k))
            notes.append(f"cell `{want.get('grade_id')}`: nbgrader metadata ({', '.join(changed)}) restored")
            cell.metadata["nbgrader"] = copy.deepcopy(want)
        if want and cell.cell_type != original.cell_type:
            notes.append(f"cell `{want.get('grade_id')}`: cell type restored to {original.cell_type}")
            cell.cell_type = original.cell_type
            cell.pop("outputs", None), cell.pop("execution_count", None), cell.pop("attachments", None)
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
    nb.metadata["kernelspec"] = copy.deepcopy(reference.metadata.get("kernelspec", {}))
    return notes + test_cell_notes(nb, reference)


def test_cell_notes(nb, reference):
    """Notes on test cells deleted or edited (nbgrader puts them back as they were released)."""

    def tests(notebook):
        return {
            c.metadata["nbgrader"]["grade_id"]: c.source
            for c in notebook.cells
            if c.get("metadata", {}).get("nbgrader", {}).get("grade") and c.cell_type == "code"
        }

    have, want = tests(nb), tests(reference)
    notes = [f"test cell `{g}` was missing: the original was put back" for g in want if g not in have]
    notes += [
        f"test cell `{g}` was edited: the original was run instead" for g in want if have.get(g, want[g]) != want[g]
    ]
    return notes


def with_notes(nb, notes):
    """nb with a markdown cell of the grader's notes on top (none if there are no notes)."""
    if notes:
        text = "**Notes from the grader**\n\n" + "\n".join(f"- {n}" for n in notes)
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(text, id=NOTE_CELL_ID))
    return nb


def stage(folder, released, dest):
    """Copy the submission in folder to dest, sanitized; return {notebook: notes}."""
    dest.mkdir(parents=True)
    for path in folder.iterdir():
        if path.is_file() and not path.is_symlink() and path.suffix != ".ipynb":
            shutil.copy(path, dest / path.name)
    all_notes = {}
    for name, (nb, notes) in match_notebooks(folder, released).items():
        notes += restore_metadata(nb, released[name])
        nbformat.write(with_notes(nb, notes), dest / name)
        all_notes[name] = notes
    return all_notes


# -- 3. grade --------------------------------------------------------------------------------------

WORKSPACE_CONFIG = """\
# Written by autograde/grade.py: the course's configuration, then this workspace's folders.
import os

c = get_config()  # noqa: F821
_course = {course_config!r}
exec(compile(open(_course).read(), _course, "exec"), {{"get_config": get_config, "__file__": _course}})  # noqa: F821
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.source_directory = "no-source"
c.CourseDirectory.db_url = {db_url!r}
c.OverwriteCells.add_missing_cells = True
c.Autograde.autograde_preprocessors = [
    "autograde.executor.GuardedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.IgnorePattern.pattern = r"[Ww]arning"
c.Execute.timeout = {cell_timeout}
c.GuardedExecute.notebook_timeout = {notebook_timeout}
c.SandboxKernelManager.memory_limit = {memory_limit}
c.SandboxKernelManager.cpu_limit = {cpu_limit}
c.SandboxKernelManager.sandbox = {sandbox}
"""


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


def failure_page(student, assignment, reason):
    """A feedback page for a submission that could not be graded at all."""
    return (
        f"<html><body><h1>{html.escape(assignment)}: {html.escape(student)}</h1>"
        f"<p>This notebook could not be graded: {html.escape(reason)}. It scores 0; your instructor can see why.</p>"
        "</body></html>"
    )


def grade_one_safely(student, folder, assignment, coursedir, released, work, template_db, limits):
    """grade_one, or a result that says why it failed: one submission never stops the batch."""
    try:
        return grade_one(student, folder, assignment, coursedir, released, work, template_db, limits)
    except Exception as error:
        why = f"the grader failed on it ({type(error).__name__}: {error})"
        return {
            "student": student,
            "released": list(released),
            "notes": {},
            "failures": dict.fromkeys(released, why),
            "db_url": None,
            "seconds": 0.0,
            "log": "",
        }


def grade_one(student, folder, assignment, coursedir, released, work, template_db, limits):
    """Stage and autograde one student in work/student, and redact a copy for feedback; return a result dict."""
    start = time.monotonic()
    ws = work / student
    shutil.rmtree(ws, ignore_errors=True)
    staged = ws / "submitted" / student / assignment
    notes = stage(folder, released, staged)
    if template_db:
        shutil.copy(template_db, ws / "gradebook.db")
        db_url = f"sqlite:///{ws / 'gradebook.db'}"
    else:
        db_url = coursedir.db_url
    course_config = str(Path(coursedir.root) / "nbgrader_config.py")
    config = WORKSPACE_CONFIG.format(course_config=course_config, db_url=db_url, **limits)
    (ws / "nbgrader_config.py").write_text(config)
    budget = limits["notebook_timeout"] * 2 * len(released) + 300
    done = run_nbgrader(["autograde", assignment, f"--student={student}", "--force"], cwd=ws, timeout=budget)
    graded = ws / "autograded" / student / assignment
    failures = {}
    for name in released:
        if not (graded / name).exists():
            why = "grading took too long" if done is None else "nbgrader autograde failed"
            failures[name] = why
    redacted = ws / "redacted" / student / assignment  # what the feedback is made from
    for path in graded.glob("*") if graded.exists() else []:
        redacted.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".ipynb":
            nbformat.write(redact(nbformat.read(path, as_version=4)), redacted / path.name)
        elif path.name in SUBMISSION_FILES:
            shutil.copy(path, redacted / path.name)
    log = "" if done is None else done.stdout + done.stderr
    return {
        "student": student,
        "released": list(released),
        "notes": notes,
        "failures": failures,
        "db_url": db_url,
        "seconds": round(time.monotonic() - start, 1),
        "log": log[-4000:],
    }


# -- 4. merge --------------------------------------------------------------------------------------


def merge(result, assignment, coursedir, work):
    """Write one student's grades and comments into the course's gradebook, and the autograded notebooks."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's own session handling, harmless here
        return merge_grades(result, assignment, coursedir, work)


def merge_grades(result, assignment, coursedir, work):
    student, ws = result["student"], work / result["student"]
    with Gradebook(coursedir.db_url, coursedir.course_id) as dst:
        dst.update_or_create_student(student)
        try:
            if result["db_url"] is None:
                raise MissingEntry()
            with Gradebook(result["db_url"], coursedir.course_id) as src:
                copy_grades(src, dst, assignment, student)
        except Exception:  # no usable grades: every notebook of this submission scores 0
            dst.db.rollback()
            dst.update_or_create_submission(assignment, student)
            notebooks = dst.find_assignment(assignment).notebooks
            failed = {f"{nb.name}.ipynb": "nbgrader autograde failed" for nb in notebooks}
            result["failures"] = {**failed, **result["failures"]}
        for name in result["failures"]:
            for grade in dst.find_submission_notebook(Path(name).stem, assignment, student).grades:
                grade.auto_score, grade.needs_manual_grade = 0.0, False
        dst.db.commit()
        score = dst.find_submission(assignment, student).score
    target = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
    shutil.rmtree(target, ignore_errors=True)
    if (ws / "autograded" / student / assignment).exists():
        shutil.copytree(ws / "autograded" / student / assignment, target)
    return score


def make_feedback(results, assignment, coursedir, work, limits, workers):
    """nbgrader generate_feedback on the redacted notebooks, in `workers` workspaces; copy it into the course."""
    chunks = [results[i::workers] for i in range(workers) if results[i::workers]]

    def feedback_for(number, chunk):
        fw = work / f"feedback-{number}"
        for result in chunk:
            source = work / result["student"] / "redacted" / result["student"] / assignment
            if source.exists():
                shutil.copytree(source, fw / "autograded" / result["student"] / assignment)
        if not (fw / "autograded").exists():
            return
        db_url = coursedir.db_url
        if db_url.startswith("sqlite:///"):
            shutil.copy(db_url.removeprefix("sqlite:///"), fw / "gradebook.db")
            db_url = f"sqlite:///{fw / 'gradebook.db'}"
        course_config = str(Path(coursedir.root) / "nbgrader_config.py")
        config = WORKSPACE_CONFIG.format(course_config=course_config, db_url=db_url, **limits)
        (fw / "nbgrader_config.py").write_text(config)
        run_nbgrader(["generate_feedback", assignment, "--force"], cwd=fw, timeout=120 + 30 * len(chunk))

    with concurrent.futures.ThreadPoolExecutor(len(chunks) or 1) as pool:
        list(pool.map(feedback_for, range(len(chunks)), chunks))
    for number, chunk in enumerate(chunks):
        for result in chunk:
            student = result["student"]
            target = Path(coursedir.format_path(coursedir.feedback_directory, student, assignment))
            shutil.rmtree(target, ignore_errors=True)
            source = work / f"feedback-{number}" / "feedback" / student / assignment
            if source.exists():
                shutil.copytree(source, target)
            for name in result["released"]:
                if not (target / name.replace(".ipynb", ".html")).exists():
                    reason = result["failures"].get(name, "its feedback page could not be made")
                    target.mkdir(parents=True, exist_ok=True)
                    (target / name.replace(".ipynb", ".html")).write_text(failure_page(student, assignment, reason))


def copy_grades(src, dst, assignment, student):
    """Copy student's auto scores, auto comments and late penalties from gradebook src to dst."""
    submission = src.find_submission(assignment, student)
    dst.update_or_create_submission(assignment, student, timestamp=submission.timestamp)
    for notebook in submission.notebooks:
        target = dst.find_submission_notebook(notebook.name, assignment, student)
        target.late_submission_penalty = notebook.late_submission_penalty
        for grade in notebook.grades:
            into = dst.find_grade(grade.name, notebook.name, assignment, student)
            into.auto_score, into.needs_manual_grade = grade.auto_score, grade.needs_manual_grade
        for comment in notebook.comments:
            dst.find_comment(comment.name, notebook.name, assignment, student).auto_comment = comment.auto_comment
    dst.db.commit()


# -- the command -----------------------------------------------------------------------------------

DEFAULT_LIMITS = {
    "cell_timeout": 120,  # lessons 06-07 train networks in a cell (≈ 30 s, more on a loaded machine)
    "notebook_timeout": 300,
    "memory_limit": 3 * 2**30,
    "cpu_limit": 300,
    "sandbox": True,
}


def grade(assignment, course=ROOT, workers=None, limits=None, students=None, echo=print):
    """Grade every submission of assignment in course (or those of students); return {student: score}.

    See the module's docstring for the steps.
    """
    from autograde.sandbox import sandbox_available

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
    scores, report, start = {}, {}, time.monotonic()
    try:
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            jobs = [
                pool.submit(grade_one_safely, s, f, assignment, coursedir, released, work, template_db, limits)
                for s, f in folders.items()
            ]
            results = []
            for n, job in enumerate(concurrent.futures.as_completed(jobs), 1):
                result = job.result()
                results.append(result)
                scores[result["student"]] = merge(result, assignment, coursedir, work)
                report[result["student"]] = {k: result[k] for k in ("notes", "failures", "seconds")}
                problems = "; ".join(f"{k}: {v}" for k, v in result["failures"].items())
                echo(
                    f"[{n:>3}/{len(jobs)}] {result['student']}: {scores[result['student']]:g} points "
                    f"in {result['seconds']:.0f} s{'  ' + problems if problems else ''}"
                )
        echo(f"feedback for {len(results)} students")
        make_feedback(sorted(results, key=lambda r: r["student"]), assignment, coursedir, work, limits, workers)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    after = snapshot(folders.values())
    altered = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
    report_path = Path(coursedir.format_path(coursedir.autograded_directory, ".", ".")).parent
    report_path = report_path / f"grading-report-{assignment}.json"  # autograde/ in this course
    report_path.write_text(json.dumps({"scores": scores, "students": report, "altered": altered}, indent=1))
    echo(f"done in {time.monotonic() - start:.0f} s; report in {report_path.relative_to(course)}")
    if altered:
        raise SystemExit(f"submissions were altered during grading: {altered}")
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
