"""Score: each workspace's grades merged into the course's gradebook, one student at a time.

The main process alone writes to the course gradebook (SQLite takes one writer). Auto scores, auto comments
and late penalties are overwritten and manual grades kept, so grading twice gives the same gradebook. A
notebook that could not be graded scores 0 (not "needs manual grading"). With a server gradebook
(PostgreSQL db_url) the workspaces wrote to it directly and the merge only zeroes the failures.
"""

import shutil
import warnings
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy.exc import SAWarning

from autograde.workspace import autograded_folder


def merge(result, assignment, coursedir, work):
    """Write one student's grades into the course's gradebook and copy their autograded notebooks; return the score.

    result (a workspace.Result) gains a failure for each notebook whose grades could not be read.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's own session handling, harmless here
        score = merge_grades(result, assignment, coursedir)
    student = result.student
    target = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
    shutil.rmtree(target, ignore_errors=True)
    source = autograded_folder(work / student, student, assignment)
    if source.exists():
        shutil.copytree(source, target)
    return score


def merge_grades(result, assignment, coursedir):
    """Copy result's grades into the course's gradebook, 0 for its failed notebooks; return the total score."""
    student = result.student
    with Gradebook(coursedir.db_url, coursedir.course_id) as dst:
        dst.update_or_create_student(student)
        try:
            if result.db_url is None:
                raise MissingEntry()
            with Gradebook(result.db_url, coursedir.course_id) as src:
                copy_grades(src, dst, assignment, student)
        except Exception:  # no usable grades: every notebook of this submission scores 0
            dst.db.rollback()
            dst.update_or_create_submission(assignment, student)
            notebooks = dst.find_assignment(assignment).notebooks
            failed = {f"{nb.name}.ipynb": "nbgrader autograde failed" for nb in notebooks}
            result.failures = {**failed, **result.failures}
        for name in result.failures:
            zero(dst, Path(name).stem, assignment, student)
        dst.db.commit()
        return dst.find_submission(assignment, student).score


def zero(gradebook, notebook, assignment, student):
    """Give every grade of student's notebook 0 points, graded (none left for manual grading)."""
    for grade in gradebook.find_submission_notebook(notebook, assignment, student).grades:
        grade.auto_score, grade.needs_manual_grade = 0.0, False


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
