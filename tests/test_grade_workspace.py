"""Does a workspace (autograde/workspace.py) configure nbgrader as the grader means, and say which notebooks
came out ungraded? (The real `nbgrader autograde` in a workspace is tests/test_grading.py's.)"""

import shutil
import subprocess

from traitlets.config.loader import PyFileConfigLoader

from autograde import grade as grade_module
from autograde.collect import load_course
from autograde.executor import GuardedExecute
from autograde.grade import DEFAULT_LIMITS, grade_one
from autograde.workspace import autograde, autograded_folder, make_workspace, run_nbgrader
from tests.course import ROOT


def course(folder):
    """A course folder with the repository's nbgrader_config.py."""
    (folder / "autograde").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    return load_course(folder)


def test_a_workspace_has_its_own_gradebook_and_the_course_config_with_the_graders_steps(tmp_path):
    coursedir = course(tmp_path / "course")
    template = tmp_path / "template.db"
    template.write_bytes(b"a gradebook")
    ws = tmp_path / "ws"
    db_url = make_workspace(ws, coursedir, template, {**DEFAULT_LIMITS, "cpu_limit": 7})
    assert db_url == f"sqlite:///{ws / 'gradebook.db'}" and (ws / "gradebook.db").read_bytes() == b"a gradebook"
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ws)).load_config()
    assert config.CourseDirectory.course_id == "gates"  # the course's own configuration ran first
    assert config.CourseDirectory.db_url == db_url
    assert config.Autograde.autograde_preprocessors[0] == "autograde.executor.GuardedExecute"
    assert GuardedExecute.__name__ == "GuardedExecute"
    assert config.OverwriteCells.add_missing_cells is False  # autograde/restore.py puts deleted tests back
    assert config.SandboxKernelManager.cpu_limit == 7


def test_without_a_template_the_workspace_uses_the_course_gradebook(tmp_path):
    coursedir = course(tmp_path / "course")
    assert make_workspace(tmp_path / "ws", coursedir, None, DEFAULT_LIMITS) == coursedir.db_url


def test_nbgrader_runs_with_this_environment_and_a_timeout_gives_none(tmp_path):
    assert run_nbgrader(["--version"], cwd=tmp_path, timeout=120).returncode == 0
    # A run that hangs (here: nbgrader reading a configuration that sleeps) is killed at the timeout. (A timeout
    # shorter than a quick run is no test: forked from the warm server, `--version` can finish in under 10 ms.)
    (tmp_path / "nbgrader_config.py").write_text("import time\ntime.sleep(600)\n")
    assert run_nbgrader(["db", "student", "list"], cwd=tmp_path, timeout=2) is None


def test_notebooks_that_come_out_ungraded_are_failures_that_say_why(tmp_path, monkeypatch):
    ws = tmp_path / "ws"
    autograded_folder(ws, "ada", "01-f").mkdir(parents=True)
    (autograded_folder(ws, "ada", "01-f") / "one.ipynb").write_text("{}")
    done = subprocess.CompletedProcess([], 1, stdout="out\n", stderr="KeyError: 'md-04'\n")
    monkeypatch.setattr("autograde.workspace.run_nbgrader", lambda *args, **kwargs: done)
    failures, log = autograde(ws, "ada", "01-f", ["one.ipynb", "two.ipynb"], DEFAULT_LIMITS)
    assert failures == {"two.ipynb": "nbgrader autograde failed"} and log.endswith("KeyError: 'md-04'\n")
    monkeypatch.setattr("autograde.workspace.run_nbgrader", lambda *args, **kwargs: None)
    failures, log = autograde(ws, "ada", "01-f", ["two.ipynb"], DEFAULT_LIMITS)
    assert failures == {"two.ipynb": "grading took too long"} and log == ""


def test_grading_one_submission_never_raises(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(grade_module, "make_workspace", broken)
    result = grade_one("ada", tmp_path, "01-f", None, {"one.ipynb": None}, tmp_path, None, DEFAULT_LIMITS)
    assert result.failures == {"one.ipynb": "the grader failed on it (OSError: disk full)"}
    assert result.db_url is None and result.released == ["one.ipynb"]


def test_a_notebook_nbgrader_could_not_run_is_graded_once_more(tmp_path, monkeypatch):
    """nbgrader failing outright (seen on a heavily loaded machine) costs no points: a second try in a new
    workspace; the report keeps the first try's log. A second failure stands."""
    tries = []

    def autograde_failing(times):
        def run(ws, student, assignment, notebooks, limits):
            tries.append(ws)
            failed = len(tries) <= times
            return ({n: "nbgrader autograde failed" for n in notebooks} if failed else {}), f"log {len(tries)}"

        return run

    monkeypatch.setattr(grade_module, "make_workspace", lambda ws, *args: "sqlite:///gradebook.db")
    monkeypatch.setattr(grade_module, "stage", lambda folder, released, dest: {})
    monkeypatch.setattr(grade_module, "autograde", autograde_failing(1))
    result = grade_one("ada", tmp_path, "01-f", None, {"one.ipynb": None}, tmp_path, None, DEFAULT_LIMITS)
    assert result.failures == {} and len(tries) == 2
    assert result.log == "attempt 1: nbgrader autograde failed:\nlog 1\nattempt 2:\nlog 2"
    tries.clear()
    monkeypatch.setattr(grade_module, "autograde", autograde_failing(2))
    result = grade_one("ada", tmp_path, "01-f", None, {"one.ipynb": None}, tmp_path, None, DEFAULT_LIMITS)
    assert result.failures == {"one.ipynb": "nbgrader autograde failed"} and len(tries) == 2
