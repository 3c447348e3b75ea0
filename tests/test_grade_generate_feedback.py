"""Does the feedback step (autograde/generate_feedback.py) show hidden tests' results but not their code, and
give every learner a page for every notebook, in as many workspaces as there are workers?

Small notebooks made here; nbgrader generate_feedback itself is replaced by a stand-in that writes one page
per autograded notebook (tests/test_grading.py runs the real one).
"""

import json
from pathlib import Path
from types import SimpleNamespace

import nbformat

from autograde.generate_feedback import copy_redacted, make_feedback, redact
from autograde.workspace import Result, autograded_folder
from tests.small_course import cell

A = "01-f"

TEST = """assert f(0.0) == 1.0
### BEGIN HIDDEN TESTS
assert f(3.0) == -0.98999  # the secret case
### END HIDDEN TESTS
print("done")"""


def autograded():
    test = cell("code", "f_value", TEST, grade=True, locked=True, points=1)
    test.outputs = [
        nbformat.v4.new_output(
            "error", ename="AssertionError", evalue="f(3.0)", traceback=["\x1b[31mTraceback\x1b[0m", "assert f(3.0)"]
        )
    ]
    return nbformat.v4.new_notebook(cells=[cell("code", "f", "def f(x): ...", solution=True), test])


def test_hidden_tests_code_and_tracebacks_are_removed_and_results_kept():
    nb = redact(autograded())
    assert "secret" not in nb.cells[1].source and "BEGIN HIDDEN" not in nb.cells[1].source
    assert nb.cells[1].source.splitlines() == [
        "assert f(0.0) == 1.0",
        "# (hidden tests: their results are below, their code is not shown)",
        'print("done")',
    ]
    assert nb.cells[1].outputs[0].traceback == ["AssertionError: f(3.0)"]
    assert nb.cells[0].source == "def f(x): ..."
    assert "secret" in autograded().cells[1].source  # the autograded notebook itself is left as it was


def test_the_redacted_copy_keeps_what_names_the_feedback_and_nothing_else(tmp_path):
    source = tmp_path / "autograded"
    source.mkdir()
    nbformat.write(autograded(), source / "01-f.ipynb")
    (source / "timestamp.txt").write_text("2026-12-06 10:00:00.000000 UTC")
    (source / "solutions.txt").write_text("not for learners")
    copy_redacted(source, tmp_path / "redacted")
    assert sorted(p.name for p in (tmp_path / "redacted").iterdir()) == ["01-f.ipynb", "timestamp.txt"]
    assert "secret" not in (tmp_path / "redacted" / "01-f.ipynb").read_text()


def fake_generate_feedback(args, cwd, timeout):
    """What nbgrader generate_feedback leaves: a page per autograded notebook, which shows its source."""
    for path in Path(cwd).glob("autograded/*/*/*.ipynb"):
        student, assignment = path.parts[-3], path.parts[-2]
        page = Path(cwd) / "feedback" / student / assignment / path.name.replace(".ipynb", ".html")
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(json.dumps([c["source"] for c in json.loads(path.read_text())["cells"]]))


def test_every_student_gets_a_page_per_notebook_or_a_page_saying_why(tmp_path, monkeypatch):
    monkeypatch.setattr("autograde.generate_feedback.run_nbgrader", fake_generate_feedback)
    (tmp_path / "gradebook.db").write_bytes(b"")
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()  # noqa: F821\n")
    coursedir = SimpleNamespace(
        root=str(tmp_path),
        db_url=f"sqlite:///{tmp_path / 'gradebook.db'}",
        feedback_directory="feedback",
        format_path=lambda _kind, student, assignment: str(tmp_path / "feedback" / student / assignment),
    )
    work = tmp_path / "work"
    results = [Result(s, ["01-f.ipynb", "02-g.ipynb"]) for s in ("ada", "bo", "cy")]
    for result in results[:2]:
        autograded_folder(work / result.student, result.student, A).mkdir(parents=True)
        nbformat.write(autograded(), autograded_folder(work / result.student, result.student, A) / "01-f.ipynb")
    results[2].failures = {"01-f.ipynb": "grading took too long"}
    results.append(Result("di", ["01-f.ipynb"]))  # an autograded notebook that cannot be read
    autograded_folder(work / "di", "di", A).mkdir(parents=True)
    (autograded_folder(work / "di", "di", A) / "01-f.ipynb").write_text("{")
    limits = {"cell_timeout": 1, "notebook_timeout": 1, "memory_limit": 1, "cpu_limit": 1, "sandbox": True}

    make_feedback(results, A, coursedir, work, limits, workers=2)

    assert sorted(p.name for p in work.glob("feedback-*")) == ["feedback-0", "feedback-1"]
    for student in ("ada", "bo"):
        page = (tmp_path / "feedback" / student / A / "01-f.html").read_text()
        assert "assert f(0.0)" in page and "secret" not in page
        assert "its feedback page could not be made" in (tmp_path / "feedback" / student / A / "02-g.html").read_text()
    assert "grading took too long" in (tmp_path / "feedback" / "cy" / A / "01-f.html").read_text()
    assert "its feedback page could not be made" in (tmp_path / "feedback" / "di" / A / "01-f.html").read_text()
