"""A whole class on a real JupyterHub (deploy/): release, fetch, submit, collect, grade, feedback, export.

The hub runs deploy/jupyterhub_config.py on loopback with configurable-http-proxy, PAM and the local
process spawner; the instructor, the grader account and three students are system users made for the
test. Students act through their own servers' nbgrader API (what JupyterLab's Assignments panel calls),
the instructor through the formgrader service's API and the project's grader (autograde.grade).
"""

import csv
import datetime
import json
import re
from pathlib import Path

import nbformat
import pytest

from tests.course import read, submission, with_wrong_jacobian
from tests.hub import COURSE_ID, as_user, class_on_hub, home, release, succeeded

pytestmark = pytest.mark.slow

ASSIGNMENT = "01-why-gates"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
SOURCE = read(Path(__file__).resolve().parents[1] / "solutions" / ASSIGNMENT / NOTEBOOK)
EXPECTED = {"right": 6.0, "wrong": 3.0, "blank": 0.0}


@pytest.fixture(scope="module")
def hub_class():
    """A running hub with an instructor, the grader account and students right, wrong and blank."""
    with class_on_hub(EXPECTED) as hub_class:
        yield hub_class


def filled_in(released, role):
    """The student's notebook: solved (right), solved with the wrong Jacobian (wrong), untouched (blank)."""
    if role == "blank":
        return released
    solved = submission(released, SOURCE)
    return with_wrong_jacobian(solved) if role == "wrong" else solved


def test_a_class_on_the_hub(hub_class):
    hub, people, course = hub_class.hub, hub_class.people, hub_class.course
    roles = {people[role]: role for role in EXPECTED}
    formgrader = hub.formgrader(people["instructor"])

    # The instructor generates and releases the assignment from the formgrader.
    release(formgrader, ASSIGNMENT)

    # Each student: the Assignments panel lists it; fetch, fill in, save, submit.
    hub.start_servers(list(roles))
    clients = {student: hub.client(student) for student in roles}
    submitted = {}
    for student, role in roles.items():
        client = clients[student]
        listed = client.get("assignments", course_id=COURSE_ID)
        assert [a["assignment_id"] for a in listed["value"]] == [ASSIGNMENT], listed
        assert listed["value"][0]["status"] == "released"
        client.post("assignments/fetch", course_id=COURSE_ID, assignment_id=ASSIGNMENT)
        path = f"api/contents/{COURSE_ID}/{ASSIGNMENT}/{NOTEBOOK}"
        released = nbformat.from_dict(client.get(path)["content"])
        # Its figures travel in it (data URIs), so the fetched copy shows them with no assets/ beside it.
        figures = re.findall(r"!\[[^\n]*?\]\(([^)\s]+)\)", "".join(c.source for c in released.cells))
        assert figures and all(f.startswith("data:image/") for f in figures), f"{student}: figures not in the notebook"
        submitted[student] = filled_in(released, role)
        client.request("PUT", path, json={"type": "notebook", "content": submitted[student]})
        succeeded(client.post("assignments/submit", course_id=COURSE_ID, assignment_id=ASSIGNMENT))

    # The blank student also slips a blank notebook into the inbound under the right student's name,
    # dated later (plain nbgrader collect would take it as the right student's latest submission).
    right, blank = people["right"], people["blank"]
    stamp = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    forged = hub_class.exchange / COURSE_ID / "inbound" / f"{right}+{ASSIGNMENT}+{stamp}+forged"
    as_user(blank, "cp", "-r", home(blank) / COURSE_ID / ASSIGNMENT, forged)
    as_user(blank, "sh", "-c", f"echo '{stamp}' > '{forged}/timestamp.txt'")

    # The instructor collects: every student's own submission, not the forgery.
    collected = succeeded(formgrader.post(f"formgrader/api/assignment/{ASSIGNMENT}/collect"))
    assert f"Skipped {forged.name}: submitted as {right} by {blank}" in collected["log"]
    for student, nb in submitted.items():
        mine = read(course / "autograde" / "submitted" / student / ASSIGNMENT / NOTEBOOK)
        assert [c.source for c in mine.cells] == [c.source for c in nb.cells], f"{student}'s submission"

    # The project's grader, as the grader account, in the course; then the feedback goes out.
    grader = people["grader"]
    venv = hub_class.env / ".venv" / "bin"
    path_env = [f"PATH={venv}:/usr/bin:/bin"]
    as_user(grader, venv / "python", "-m", "autograde.grade", ASSIGNMENT, "--workers", "2", cwd=course, env=path_env)
    # The class report, as the grader account, from the grader's gradebook and autograded notebooks.
    as_user(grader, venv / "python", "-m", "autograde.insight", ASSIGNMENT, cwd=course, env=path_env)
    report = json.loads((course / "autograde" / f"insight-{ASSIGNMENT}.json").read_text())
    assert [(c["cell"], c["passed"], c["of"]) for c in report["cells"]] == [
        ("rnn_cell_forward_shapes", 2, 3),  # right and wrong pass; blank fails every cell
        ("rnn_cell_forward_matches_torch", 2, 3),
        ("dhT_dh0_matches_autograd", 1, 3),  # wrong's Jacobian leaves out tanh's derivative
        ("dhT_dh0_one_step", 1, 3),
    ]
    succeeded(formgrader.post(f"formgrader/api/assignment/{ASSIGNMENT}/release_feedback"))

    # Each student fetches their feedback, which shows their own score.
    for student, role in roles.items():
        clients[student].post("assignments/fetch_feedback", course_id=COURSE_ID, assignment_id=ASSIGNMENT)
        pages = list((home(student) / COURSE_ID / ASSIGNMENT / "feedback").glob("*/*.html"))
        assert len(pages) == 1, f"{student}: {pages}"
        assert f"Score: {EXPECTED[role]:g} / 6" in pages[0].read_text().replace("\n", " ").replace(".0 ", " ")

    # Exported grades: exact.
    as_user(grader, venv / "nbgrader", "export", "--to=grades.csv", cwd=course, env=path_env)
    with open(course / "grades.csv") as f:
        scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(f)}
    assert scores == {student: EXPECTED[role] for student, role in roles.items()}


def test_ten_students_fetching_and_submitting_at_once_lose_nothing():
    """bench/hub.py's load run (make bench-hub N=20 gives the figures) with ten students: every operation
    succeeds and the instructor collects each student's own latest submission."""
    from bench.hub import run_load

    figures = run_load(10, echo=lambda line: None)
    assert figures["problems"] == []
    assert len(figures["servers_ready"]) == 10
