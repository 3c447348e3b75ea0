"""Workspaces: each submission autograded by the real `nbgrader autograde` in a private course folder of its own.

A workspace is a folder with the submission staged (autograde/collect.py), a copy of the gradebook and an
nbgrader_config.py that runs the course's configuration, then points nbgrader at the workspace and swaps
its Execute step for GuardedExecute (autograde/executor.py: sandboxed kernel, tamper guard, recovery).
autograde/grade.py's grade_one makes one per submission, N at a time, and records what came of it in a
Result, which the merge (autograde/score.py), the feedback and the report read.
"""

import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from autograde.executor import GuardedExecute
from autograde.sandbox import SandboxKernelManager

ROOT = Path(__file__).resolve().parents[1]

WORKSPACE_CONFIG = """\
# Written by autograde/workspace.py: the course's configuration, then this workspace's folders.
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
# Deleted test cells are put back before nbgrader runs (autograde/restore.py): nbgrader 0.9.6's own
# add_missing_cells raises KeyError when the cell before a deleted test is not a graded or solution cell.
c.OverwriteCells.add_missing_cells = False
c.Autograde.autograde_preprocessors = [
    {executor!r},
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
c.{kernel_manager}.memory_limit = {memory_limit}
c.{kernel_manager}.cpu_limit = {cpu_limit}
c.{kernel_manager}.sandbox = {sandbox}
"""


def write_config(ws, coursedir, db_url, limits):
    """Write ws/nbgrader_config.py: the course's configuration, ws's folders and gradebook, the grader's limits."""
    config = WORKSPACE_CONFIG.format(
        course_config=str(Path(coursedir.root) / "nbgrader_config.py"),
        db_url=db_url,
        executor=f"{GuardedExecute.__module__}.{GuardedExecute.__name__}",
        kernel_manager=SandboxKernelManager.__name__,
        **limits,
    )
    (ws / "nbgrader_config.py").write_text(config)


def run_nbgrader(args, cwd, timeout, check=False):
    """Run `nbgrader ARGS` in cwd with this environment's bin/ on PATH and autograde/ importable.

    Each run is a fresh process forked from a server that has imported nbgrader once (nbgrader_processes):
    a process per submission, without paying nbgrader's imports (1.5-3 s here) each time.
    Returns a CompletedProcess (its output in stdout), or None when it ran longer than timeout seconds.
    """
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{env.get('PYTHONPATH', '')}"
    with tempfile.TemporaryDirectory(prefix="gates-nbgrader-") as tmp:
        log = Path(tmp) / "log"
        process = nbgrader_processes().Process(target=nbgrader_main, args=(args, str(cwd), env, str(log)))
        process.start()
        process.join(timeout)
        if process.is_alive():
            process.kill()
            process.join()
            return None
        output = log.read_text(errors="replace") if log.exists() else ""
    done = subprocess.CompletedProcess(["nbgrader", *args], process.exitcode, stdout=output, stderr="")
    if check and done.returncode:
        raise SystemExit(f"nbgrader {' '.join(args)} failed:\n{done.stdout}")
    return done


def nbgrader_processes():
    """multiprocessing's forkserver context, its server preloading nbgrader and the grader's Execute step."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["nbgrader.apps.nbgraderapp", "autograde.executor"])
    return context


def nbgrader_main(args, cwd, env, log):
    """In a forked process: `nbgrader ARGS` in cwd with the environment env, its output (1 and 2) in the file log."""
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(out, 1)
    os.dup2(out, 2)
    sys.argv = ["nbgrader", *args]
    from nbgrader.apps.nbgraderapp import main

    main()


NBGRADER_FAILED = "nbgrader autograde failed"  # it ran, and wrote no graded notebook


@dataclass
class Result:
    """What grading one submission gave: the grader's notes and failures per notebook, where its grades are."""

    student: str
    released: list  # the assignment's notebook file names
    notes: dict = field(default_factory=dict)  # {notebook: [note]}
    failures: dict = field(default_factory=dict)  # {notebook: why it scores 0}
    db_url: str | None = None  # the gradebook holding its grades (None: no usable grades)
    seconds: float = 0.0
    log: str = ""  # the end of nbgrader's output


def make_workspace(ws, coursedir, template_db, limits):
    """An empty course folder at ws with its gradebook (a copy of template_db, else the course's) and config.

    Returns the gradebook's db_url.
    """
    shutil.rmtree(ws, ignore_errors=True)
    ws.mkdir(parents=True)
    if template_db:
        shutil.copy(template_db, ws / "gradebook.db")
        db_url = f"sqlite:///{ws / 'gradebook.db'}"
    else:
        db_url = coursedir.db_url
    write_config(ws, coursedir, db_url, limits)
    return db_url


def autograded_folder(ws, student, assignment):
    """Where nbgrader autograde writes student's notebooks in workspace ws."""
    return ws / "autograded" / student / assignment


def autograde(ws, student, assignment, notebooks, limits):
    """Run nbgrader autograde on student's staged submission in ws; return (failures, the end of its log).

    failures maps each of the notebooks that came out ungraded to why.
    """
    budget = limits["notebook_timeout"] * 2 * len(notebooks) + 300
    done = run_nbgrader(["autograde", assignment, f"--student={student}", "--force"], cwd=ws, timeout=budget)
    why = "grading took too long" if done is None else NBGRADER_FAILED
    failures = {n: why for n in notebooks if not (autograded_folder(ws, student, assignment) / n).exists()}
    return failures, "" if done is None else (done.stdout + done.stderr)[-4000:]
