"""Does the report step (autograde/report.py) tell the instructor and the learner what happened, exactly?"""

import json
from types import SimpleNamespace

from autograde.report import altered, failure_page, progress_line, report_path, write_report
from autograde.workspace import Result


def test_a_progress_line_gives_the_score_the_time_and_any_failure():
    assert progress_line(3, 40, Result("ada", [], seconds=21.4), 6.0) == "[  3/40] ada: 6 points in 21 s"
    failed = Result("bo", [], failures={"01-f.ipynb": "grading took too long"}, seconds=300)
    assert progress_line(4, 40, failed, 0.0) == "[  4/40] bo: 0 points in 300 s  01-f.ipynb: grading took too long"


def test_altered_lists_changed_added_and_removed_files():
    before = {"a": "1", "b": "2", "c": "3"}
    after = {"a": "1", "b": "changed", "d": "4"}
    assert altered(before, after) == ["b", "c", "d"]
    assert altered(before, dict(before)) == []


def test_the_report_sits_beside_the_autograded_folder_and_holds_every_student(tmp_path):
    coursedir = SimpleNamespace(
        autograded_directory="autograde/autograded",
        format_path=lambda _kind, student, assignment: str(
            tmp_path / "autograde" / "autograded" / student / assignment
        ),
    )
    path = report_path(coursedir, "01-f")
    assert path == tmp_path / "autograde" / "grading-report-01-f.json"
    path.parent.mkdir()
    results = [Result("ada", ["01-f.ipynb"], notes={"01-f.ipynb": ["a note"]}, seconds=2.0)]
    write_report(path, {"ada": 6.0}, results, [])
    assert json.loads(path.read_text()) == {
        "scores": {"ada": 6.0},
        "students": {"ada": {"notes": {"01-f.ipynb": ["a note"]}, "failures": {}, "seconds": 2.0}},
        "altered": [],
    }


def test_a_failure_page_says_why_with_the_names_escaped():
    page = failure_page("<ada>", "01-f", "grading took too long")
    assert "&lt;ada&gt;" in page and "<ada>" not in page
    assert "This notebook could not be graded: grading took too long. It scores 0" in page


def test_a_run_that_grades_some_students_keeps_the_others_entries(tmp_path):
    path = tmp_path / "grading-report-01-f.json"
    first = [Result("ada", ["01-f.ipynb"], seconds=2.0), Result("bo", ["01-f.ipynb"], seconds=3.0)]
    first[1].failures = {"01-f.ipynb": "grading took too long"}
    write_report(path, {"ada": 6.0, "bo": 0.0}, first, [])
    again = [Result("bo", ["01-f.ipynb"], seconds=4.0)]  # bo graded once more, this time in full
    write_report(path, {"bo": 5.0}, again, [])
    report = json.loads(path.read_text())
    assert report["scores"] == {"ada": 6.0, "bo": 5.0}
    assert report["students"]["bo"]["failures"] == {} and report["students"]["ada"]["seconds"] == 2.0
