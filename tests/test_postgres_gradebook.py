"""The PostgreSQL gradebook option (GATES_GRADEBOOK_URL), on a real PostgreSQL server.

A private cluster (Debian's postgresql, initdb in a temporary folder, loopback, trust auth) serves the
gradebook of a temporary course; the project's grader (two workers writing to the server directly)
grades lesson 01's submissions and nbgrader export gives the exact scores; regrading changes nothing.
Without PostgreSQL's programs this skips, except under CI, where it must run.
"""

import csv
import glob
import os
import shutil
import subprocess
import time

import pytest

from autograde.grade import grade
from autograde.sandbox import sandbox_available
from tests.browser import free_port
from tests.course import make_course, nbgrader, needs, read, submission, submit, with_wrong_jacobian
from tests.hub import shared_tmp

pytestmark = pytest.mark.slow

A = "01-why-gates"
NB = f"{A}.ipynb"
INITDB = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))


@pytest.fixture(scope="module")
def postgres_url():
    """postgresql+psycopg://… of a fresh database on a private PostgreSQL server, stopped afterwards."""
    needs(INITDB, "the PostgreSQL gradebook test needs PostgreSQL's programs (apt-get install postgresql)")
    needs(os.geteuid() == 0, "the PostgreSQL gradebook test needs root (its server runs as the postgres user)")
    needs(sandbox_available(), "the PostgreSQL gradebook test grades in bubblewrap (apt-get install bubblewrap)")
    bin_dir = os.path.dirname(INITDB[-1])
    port = free_port()
    with shared_tmp() as tmp:
        shutil.chown(tmp, "postgres", "postgres")  # the server's data, socket and log
        data = tmp / "data"
        as_postgres = ["runuser", "-u", "postgres", "--"]
        subprocess.run(
            [*as_postgres, f"{bin_dir}/initdb", "-D", data, "--auth=trust", "-U", "gates"],
            check=True,
            capture_output=True,
        )
        options = f"-h 127.0.0.1 -p {port} -k {tmp}"
        subprocess.run(
            [*as_postgres, f"{bin_dir}/pg_ctl", "-D", data, "-o", options, "-l", tmp / "log", "-w", "start"],
            check=True,
            capture_output=True,
        )
        try:
            subprocess.run(
                [*as_postgres, f"{bin_dir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "gates", "gradebook"],
                check=True,
                capture_output=True,
            )
            yield f"postgresql+psycopg://gates@127.0.0.1:{port}/gradebook"
        finally:
            subprocess.run([*as_postgres, f"{bin_dir}/pg_ctl", "-D", data, "-m", "fast", "stop"], capture_output=True)


def exported(course):
    nbgrader("export", "--to=grades.csv", cwd=course)
    with open(course / "grades.csv") as f:
        return {row["student_id"]: float(row["score"]) for row in csv.DictReader(f)}


def test_the_grader_and_nbgrader_share_a_postgresql_gradebook(postgres_url, tmp_path, monkeypatch):
    monkeypatch.setenv("GATES_GRADEBOOK_URL", postgres_url)
    course = make_course(tmp_path / "course", [A])
    nbgrader("generate_assignment", A, cwd=course)
    assert not (course / "autograde" / "gradebook.db").exists(), "the gradebook went to SQLite, not PostgreSQL"
    source, released = read(course / "solutions" / A / NB), read(course / "lessons" / A / NB)
    wrong = with_wrong_jacobian(submission(released, source))
    expected = {"right": 6.0, "wrong": 3.0, "blank": 0.0}
    for student, nb in {"right": submission(released, source), "wrong": wrong, "blank": released}.items():
        submit(course, A, student, {NB: nb})

    start = time.monotonic()
    assert grade(A, course, workers=2, echo=lambda *_: None) == expected
    print(f"graded 3 submissions into PostgreSQL in {time.monotonic() - start:.0f} s")
    assert exported(course) == expected
    for student in expected:
        assert (course / "autograde" / "feedback" / student / A / NB.replace(".ipynb", ".html")).exists()

    assert grade(A, course, workers=2, echo=lambda *_: None) == expected, "regrading changed the scores"
    assert exported(course) == expected
