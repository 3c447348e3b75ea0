"""A class on a real JupyterHub whose exchange is the course's service (deploy/exchange_service.py): release, fetch,
submit, collect, grade, feedback, with a forged submission refused however it is sent.

As tests/test_hub.py, with GATES_EXCHANGE_URL set: the exchange folder is the grader's alone (mode 700), the hub
starts the service as the grader, and every nbgrader step of the students' servers and of the formgrader goes
through it with the server's hub token (deploy/exchange_client.py). Students: right submits solved work, other
fetches and submits nothing, forger tries to submit as right three ways, then submits the untouched notebook as
themself.
"""

import csv
from pathlib import Path

import nbformat
import pytest

from tests.course import read, submission
from tests.hub import COURSE_ID, as_user, class_on_hub, execute_in_server, home, release, succeeded

pytestmark = pytest.mark.slow

ASSIGNMENT = "01-why-gates"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
SOURCE = read(Path(__file__).resolve().parents[1] / "solutions" / ASSIGNMENT / NOTEBOOK)

FORGERIES = """
import os, pathlib, subprocess, requests
# 1. nbgrader's own way: --student, past the course check nbgrader's hub plugin makes in the server
done = subprocess.run(["nbgrader", "submit", "{a}", "--course", "{course}", "--student", "{right}",
                       "--Authenticator.plugin_class=nbgrader.auth.NoAuthPlugin"], capture_output=True, text=True)
print("nbgrader submit --student:", done.returncode, "{forger} may not submit as {right} (403)" in done.stderr)
# 2. the service's API, straight, with a body naming right
reply = requests.post(os.environ["GATES_EXCHANGE_URL"] + "/services/{course}-exchange/api/submissions",
                      params={{"assignment": "{a}", "student": "{right}"}}, data=b"",
                      headers={{"Authorization": "token " + os.environ["JUPYTERHUB_API_TOKEN"]}})
print("POST student={right}:", reply.status_code, reply.json()["message"])
# 3. a folder written into the exchange, as on nbgrader's shared one
try:
    pathlib.Path("{exchange}", "{course}", "inbound", "{right}+{a}+forged").mkdir()
except PermissionError as error:
    print("mkdir in the exchange:", type(error).__name__)
"""


def test_a_class_through_the_exchange_service_where_nobody_submits_as_another():
    with class_on_hub(["right", "other", "forger"], exchange_service=True) as hub_class:
        hub, people, course = hub_class.hub, hub_class.people, hub_class.course
        right, other, forger = people["right"], people["other"], people["forger"]
        formgrader = hub.formgrader(people["instructor"])
        release(formgrader, ASSIGNMENT)
        assert (hub_class.exchange / COURSE_ID / "outbound" / ASSIGNMENT / NOTEBOOK).is_file()

        # Everyone fetches (the Assignments panel's calls); right submits solved work.
        hub.start_servers([right, other, forger])
        clients = {student: hub.client(student) for student in (right, other, forger)}
        path = f"api/contents/{COURSE_ID}/{ASSIGNMENT}/{NOTEBOOK}"
        for client in clients.values():
            listed = client.get("assignments", course_id=COURSE_ID)
            assert [(a["assignment_id"], a["status"]) for a in listed["value"]] == [(ASSIGNMENT, "released")]
            succeeded(client.post("assignments/fetch", course_id=COURSE_ID, assignment_id=ASSIGNMENT), "fetch")
        solved = submission(nbformat.from_dict(clients[right].get(path)["content"]), SOURCE)
        clients[right].request("PUT", path, json={"type": "notebook", "content": solved})
        succeeded(clients[right].post("assignments/submit", course_id=COURSE_ID, assignment_id=ASSIGNMENT), "submit")

        # The forger, in a kernel of their own server, tries to submit as right; then submits as themself.
        code = FORGERIES.format(a=ASSIGNMENT, course=COURSE_ID, right=right, forger=forger, exchange=hub_class.exchange)
        tried = execute_in_server(clients[forger], code)
        assert tried["error"] is None, tried
        assert tried["output"].splitlines() == [
            "nbgrader submit --student: 1 True",
            f"POST student={right}: 403 {forger} may not submit as {right}",
            "mkdir in the exchange: PermissionError",
        ]
        succeeded(clients[forger].post("assignments/submit", course_id=COURSE_ID, assignment_id=ASSIGNMENT), "submit")
        inbound = sorted(p.name.split("+")[0] for p in (hub_class.exchange / COURSE_ID / "inbound").iterdir())
        assert inbound == sorted([right, forger]), "one submission each, named by the service"

        # The instructor collects (the formgrader, through the service): right's own work and the forger's.
        succeeded(formgrader.post(f"formgrader/api/assignment/{ASSIGNMENT}/collect"), "collect")
        submitted = course / "autograde" / "submitted"
        assert sorted(p.name for p in submitted.iterdir()) == sorted([right, forger])
        collected = read(submitted / right / ASSIGNMENT / NOTEBOOK)
        assert [c.source for c in collected.cells] == [c.source for c in solved.cells]

        # The project's grader, then the feedback goes out through the service.
        grader, venv = people["grader"], hub_class.env / ".venv" / "bin"
        path_env = [f"PATH={venv}:/usr/bin:/bin"]
        grade = [venv / "python", "-m", "autograde.grade", ASSIGNMENT, "--workers", "2"]
        as_user(grader, *grade, cwd=course, env=path_env)
        succeeded(formgrader.post(f"formgrader/api/assignment/{ASSIGNMENT}/release_feedback"), "release feedback")

        # Each fetches their feedback: their own score; the student who submitted nothing gets none.
        for student, score in ((right, 6), (forger, 0), (other, None)):
            clients[student].post("assignments/fetch_feedback", course_id=COURSE_ID, assignment_id=ASSIGNMENT)
            pages = list((home(student) / COURSE_ID / ASSIGNMENT / "feedback").glob("*/*.html"))
            if score is None:
                assert pages == [], f"{student}: {pages}"
                continue
            assert len(pages) == 1, f"{student}: {pages}"
            assert f"Score: {score} / 6" in pages[0].read_text().replace("\n", " ").replace(".0 ", " ")

        as_user(grader, venv / "nbgrader", "export", "--to=grades.csv", cwd=course, env=path_env)
        with open(course / "grades.csv") as f:
            scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(f)}
        assert scores == {right: 6.0, forger: 0.0}
