"""Does the class report (`python -m autograde.insight`) count exactly what a class got right and wrong?

A generated class of 30 submissions of lesson 01 with known mistakes, written as learner code, is graded once
through the real pipeline (autograde.grade: nbgrader autograde in sandboxed kernels, two workers). Lesson 01's
graded cells: rnn_cell_forward_shapes (1 point), rnn_cell_forward_matches_torch (2), dhT_dh0_matches_autograd (2),
dhT_dh0_one_step (1). The report's counts, diagnoses and rows must be exactly the class's, from the course's
SQLite gradebook and from the same grades in a PostgreSQL one.
Without bubblewrap these tests skip (without PostgreSQL, the PostgreSQL one), except under CI (CI=true).
"""

import base64
import collections
import copy
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
import torch
from nbgrader.api import Base
from sqlalchemy import create_engine, select

from autograde import insight
from autograde.collect import load_course
from autograde.grade import grade
from autograde.report import report_path, write_report
from autograde.score import merge
from autograde.workspace import Result
from gatelab.checks import CheckFailed, rnn
from tests.course import (
    GRADING_LIMITS,
    ROOT,
    make_course,
    nbgrader,
    nbgrader_meta,
    needs_sandbox,
    read,
    submission,
    submit,
)
from tests.test_postgres_gradebook import postgres_url  # noqa: F401 (a fixture: a fresh PostgreSQL database)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("grading")]

needs_sandbox()

A = "01-why-gates"
NB = f"{A}.ipynb"
LIMITS = GRADING_LIMITS
SHAPES, MATCHES = "rnn_cell_forward_shapes", "rnn_cell_forward_matches_torch"
JACOBIAN, ONE_STEP = "dhT_dh0_matches_autograd", "dhT_dh0_one_step"
CELLS = (SHAPES, MATCHES, JACOBIAN, ONE_STEP)

# -- the class: learners' mistakes, as they would write them -----------------------------------------------


def cell_forward(line):
    """rnn_cell_forward as a learner writes it, h_next computed by line."""
    return (
        "def rnn_cell_forward(x_t, h_prev, params):\n"
        f"    {line}\n"
        "    cache = (x_t, h_prev, h_next, params)\n"
        "    return h_next, cache\n"
    )


def jacobian(line):
    """dhT_dh0 as a learner writes it, J updated by line at each step."""
    return (
        "def dhT_dh0(h_seq, W_h):\n"
        "    B, T, n_h = h_seq.shape\n"
        "    W_hh = W_h[:, :n_h]\n"
        "    J = torch.eye(n_h, dtype=h_seq.dtype).expand(B, n_h, n_h)\n"
        "    for t in range(T):\n"
        f"        {line}\n"
        "    return J\n"
    )


CONCAT_ORDER = cell_forward('h_next = torch.tanh(torch.cat([x_t, h_prev], dim=1) @ params["W_h"].T + params["b_h"])')
SIGMOID = cell_forward('h_next = torch.sigmoid(torch.cat([h_prev, x_t], dim=1) @ params["W_h"].T + params["b_h"])')
NO_BIAS = cell_forward('h_next = torch.tanh(torch.cat([h_prev, x_t], dim=1) @ params["W_h"].T)')
NO_TANH = cell_forward('h_next = torch.cat([h_prev, x_t], dim=1) @ params["W_h"].T + params["b_h"]')
NO_TANH_DERIVATIVE = jacobian("J = W_hh @ J")  # wrong from one step on
PRODUCT_ORDER = jacobian("J = J @ ((1 - h_seq[:, t] ** 2)[:, :, None] * W_hh)")  # oldest on the left: right for T = 1

# Each graded dhT_dh0 cell's first call, as the lesson's test cells make it (its message is what the report reads).
JACOBIAN_CALLS = {JACOBIAN: {}, ONE_STEP: {"B": 2, "n_x": 3, "n_h": 2, "T": 1}}


def named_by_check(code, cell):
    """The diagnosis ids gatelab's check names for the learner's dhT_dh0 in the graded cell (dhT_dh0's catalogue
    of mistakes lives in src/gatelab/checks/rnn.py and may grow: the report must count what the check says)."""
    scope = {"torch": torch}
    exec(code, scope)
    try:
        rnn.dhT_dh0_matches_autograd(scope["dhT_dh0"], **JACOBIAN_CALLS[cell])
    except CheckFailed as failed:
        return list(dict.fromkeys(failed.diagnoses))
    raise AssertionError(f"{cell} passes this dhT_dh0: it is not a mistake there")


@dataclass
class Kind:
    """Students who made the same mistakes: their notebook, score and each failed cell's diagnoses."""

    count: int
    score: float
    forward: str = ""  # the learner's rnn_cell_forward ("": the solution)
    backward: str = ""  # the learner's dhT_dh0 ("": the solution)
    failed: dict = field(default_factory=dict)  # failed cell -> the diagnosis ids its message names
    unsolved: bool = False  # the released notebook, untouched

    def notebook(self, released, source):
        nb = copy.deepcopy(released) if self.unsolved else submission(released, source)
        for grade_id, code in (("rnn_cell_forward", self.forward), ("dhT_dh0", self.backward)):
            if code:
                next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id).source = code
        return nb


def backward_failed(code, *cells):
    """{cell: the ids its check names} for a dhT_dh0 that fails the given cells."""
    return {cell: named_by_check(code, cell) for cell in cells}


NO_DERIVATIVE_FAILS = backward_failed(NO_TANH_DERIVATIVE, JACOBIAN, ONE_STEP)
CONCAT_FAILS = {MATCHES: ["rnn.concat-order"]}
CLASS = {
    "right": Kind(7, 6),
    "no-tanh-derivative": Kind(2, 3, backward=NO_TANH_DERIVATIVE, failed=NO_DERIVATIVE_FAILS),
    "product-order": Kind(2, 4, backward=PRODUCT_ORDER, failed=backward_failed(PRODUCT_ORDER, JACOBIAN)),
    "concat-order": Kind(7, 4, forward=CONCAT_ORDER, failed=CONCAT_FAILS),
    "concat-order-and-derivative": Kind(
        1, 1, forward=CONCAT_ORDER, backward=NO_TANH_DERIVATIVE, failed={**CONCAT_FAILS, **NO_DERIVATIVE_FAILS}
    ),
    "sigmoid": Kind(5, 4, forward=SIGMOID, failed={MATCHES: ["rnn.sigmoid-for-tanh"]}),
    "no-bias": Kind(3, 4, forward=NO_BIAS, failed={MATCHES: ["rnn.missing-bias"]}),
    "no-tanh": Kind(1, 4, forward=NO_TANH, failed={MATCHES: ["rnn.missing-tanh"]}),
    "unsolved": Kind(2, 0, failed=dict.fromkeys(CELLS, ()), unsolved=True),  # NotImplementedError: no diagnosis
}
STUDENTS = {f"{name}-{i + 1}": name for name, kind in CLASS.items() for i in range(kind.count)}

# What the report must say, counted by hand from CLASS: 30 students.
PASSED = {SHAPES: 28, MATCHES: 11, JACOBIAN: 23, ONE_STEP: 25}
MAX_POINTS = {SHAPES: 1, MATCHES: 2, JACOBIAN: 2, ONE_STEP: 1}
FORWARD_DIAGNOSES = [
    ("rnn.concat-order", 8),
    ("rnn.sigmoid-for-tanh", 5),
    ("rnn.missing-bias", 3),
    ("rnn.missing-tanh", 1),
]
CONCAT_LINE = "this is what [x_t, h_prev] order gives: the course concatenates [h_prev, x_t], h_prev first"


def build_class(course):
    """The course with lesson 01 released and every student of CLASS's submission in place."""
    make_course(course, [A])
    nbgrader("generate_assignment", A, cwd=course)
    source, released = read(course / "solutions" / A / NB), read(course / "lessons" / A / NB)
    for student, kind in STUDENTS.items():
        submit(course, A, student, {NB: CLASS[kind].notebook(released, source)})
    return course


def run_insight(*args):
    """`python -m autograde.insight ARGS…` from the repository root; its output (it must succeed)."""
    done = subprocess.run(
        [sys.executable, "-m", "autograde.insight", *map(str, args)], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def ungraded(course):
    """The students whose notebook the last grading run could not grade (its grading report's failures)."""
    report = json.loads((course / "autograde" / f"grading-report-{A}.json").read_text())
    return {student: r for student, r in report["students"].items() if r["failures"]}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class graded and reported once: {"course", "seconds", "page", "report"} (the report from SQLite).

    pytest-xdist may run this module's tests in two workers, so the first grades and the other waits for its
    result (a lock in the shared temp dir), as tests/test_grading.py does.
    """
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    result = shared / "insight-class.json"
    with open(shared / "insight-class.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            course = build_class(shared / "insight-class")
            start = time.monotonic()
            grade(A, course, workers=2, limits=LIMITS, echo=print)
            seconds = time.monotonic() - start
            assert not ungraded(course), ungraded(course)
            print(f"graded {len(STUDENTS)} submissions in {seconds:.0f} s")
            run_insight(A, "--course", course)
            result.write_text(json.dumps({"course": str(course), "seconds": seconds}))
    data = json.loads(result.read_text())
    course = Path(data["course"])
    page = course / "autograde" / f"insight-{A}.html"
    return {**data, "course": course, "page": page, "report": json.loads(page.with_suffix(".json").read_text())}


# -- the tests ------------------------------------------------------------------------------------------------


def expected_diagnoses(cell):
    """([(id, students)] most frequent first, students with no recognised mistake) of the cell, from CLASS."""
    counts, unrecognised = collections.Counter(), 0
    for kind in CLASS.values():
        if cell in kind.failed:
            counts.update({d: kind.count for d in kind.failed[cell]})
            unrecognised += 0 if kind.failed[cell] else kind.count
    return sorted(counts.items(), key=lambda item: (-item[1], item[0])), unrecognised


def test_each_cell_has_its_exact_pass_rate(graded):
    report = graded["report"]
    assert report["students"] == len(STUDENTS) == 30
    assert report["max_score"] == 6
    got = {c["cell"]: (c["passed"], c["wrong"], c["of"], c["max_points"]) for c in report["cells"]}
    assert got == {cell: (PASSED[cell], 30 - PASSED[cell], 30, MAX_POINTS[cell]) for cell in CELLS}
    assert [c["cell"] for c in report["cells"]] == list(CELLS), "cells in the notebook's order"
    assert report["not_graded"] == [] and {c["not_graded"] for c in report["cells"]} == {0}
    print(f"graded the class in {graded['seconds']:.0f} s")


def test_each_mistake_is_counted_in_its_cell_with_its_own_line(graded):
    cells = {c["cell"]: c for c in graded["report"]["cells"]}
    matches = cells[MATCHES]
    assert [(d["id"], d["students"]) for d in matches["diagnoses"]] == FORWARD_DIAGNOSES
    assert matches["unrecognised"] == 2  # the unsolved: NotImplementedError names no mistake
    assert matches["diagnoses"][0]["line"] == CONCAT_LINE
    assert matches["summary"].startswith(f"{MATCHES}: 19 of 30 wrong; 8 of them [rnn.concat-order] ({CONCAT_LINE}); ")
    assert matches["summary"].endswith("; 2 no known mistake recognised")
    assert (cells[SHAPES]["diagnoses"], cells[SHAPES]["unrecognised"]) == ([], 2)
    for cell in CELLS:
        found = [(d["id"], d["students"]) for d in cells[cell]["diagnoses"]]
        assert (found, cells[cell]["unrecognised"]) == expected_diagnoses(cell), cell


def test_diagnoses_are_ranked_over_the_assignment(graded):
    students, cells = collections.Counter(), collections.defaultdict(dict)
    for kind in CLASS.values():
        students.update({d: kind.count for d in dict.fromkeys(d for ids in kind.failed.values() for d in ids)})
        for cell, ids in kind.failed.items():
            for d in ids:
                cells[d][cell] = cells[d].get(cell, 0) + kind.count
    ranked = sorted(students, key=lambda d: (-students[d], d))
    assert graded["report"]["diagnoses"] == [{"id": d, "students": students[d], "cells": cells[d]} for d in ranked]
    assert graded["report"]["diagnoses"][:2] == [
        {"id": "rnn.concat-order", "students": 8, "cells": {MATCHES: 8}},
        {"id": "rnn.sigmoid-for-tanh", "students": 5, "cells": {MATCHES: 5}},
    ]


def test_each_student_has_a_row(graded):
    rows = {r["student"]: r for r in graded["report"]["rows"]}
    assert list(rows) == sorted(STUDENTS)
    for student, name in STUDENTS.items():
        kind = CLASS[name]
        expected = {
            "student": student,
            "score": kind.score,
            "cells": {cell: cell not in kind.failed for cell in CELLS},
            "diagnoses": {cell: list(kind.failed[cell]) for cell in CELLS if cell in kind.failed},
            "not_graded": {},
        }
        assert rows[student] == expected, student


class Page(HTMLParser):
    """A page's text, images and tags, and where its tags do not nest (void elements aside)."""

    VOID = {"meta", "img", "br", "hr", "link", "input", "col", "wbr", "source", "area", "base", "embed", "track"}

    def __init__(self, text):
        super().__init__()
        self.open, self.mismatched, self.images, self.tags, self.data = [], [], [], [], []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs))
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open.pop() != tag:
            self.mismatched.append(tag)

    def handle_data(self, data):
        self.data.append(data)

    @property
    def text(self):
        return "".join(self.data)


def test_the_page_reads_offline_and_shows_the_counts(graded):
    text = graded["page"].read_text()
    page = Page(text)
    assert page.open == [] and page.mismatched == [], "tags do not nest"
    assert not {"script", "link", "iframe", "object"} & set(page.tags)
    outside_figure = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)
    assert not re.findall(r"//|url\(|@import", outside_figure), "the page refers to something outside itself"
    [figure] = page.images
    assert figure["src"].startswith("data:image/png;base64,")
    assert base64.b64decode(figure["src"].split(",", 1)[1]).startswith(b"\x89PNG")
    assert "rnn_cell_forward_matches_torch: 11 of 30 passed" in figure["alt"]
    for cell in graded["report"]["cells"]:
        assert cell["summary"] in page.text, cell["summary"]
        assert f"{cell['passed']} of {cell['of']}" in page.text
    for student in STUDENTS:
        assert student in page.text


def copy_gradebook(source_url, target_url):
    """Every row of nbgrader's tables, from one gradebook into a new, empty one (nbgrader's own schema)."""
    source, target = create_engine(source_url), create_engine(target_url)
    Base.metadata.create_all(target)
    with source.connect() as read_from, target.begin() as write_to:
        for table in Base.metadata.sorted_tables:
            rows = [dict(row._mapping) for row in read_from.execute(select(table))]
            if rows:
                write_to.execute(table.insert(), rows)
    source.dispose(), target.dispose()


def test_a_postgresql_gradebook_gives_the_same_report(graded, postgres_url, tmp_path):  # noqa: F811
    course = graded["course"]
    copy_gradebook(f"sqlite:///{course / 'autograde' / 'gradebook.db'}", postgres_url)
    out = tmp_path / "from-postgresql.html"
    run_insight(A, "--course", course, "--db", postgres_url, "--out", out)
    assert json.loads(out.with_suffix(".json").read_text()) == graded["report"]
    assert out.read_text() == graded["page"].read_text()


def test_student_text_is_escaped():
    """Is every student-derived text (ids, messages) escaped, so a page never runs a student's markup?"""
    cells = [("nb", "c<1>", 1.0)]
    hostile = "<script>alert(1)</script>"
    submissions = {hostile: {"score": 0.0, "grades": {("nb", "c<1>"): 0.0}}}
    messages = {hostile: {("nb", "c<1>"): f"wrong\n{hostile} gives: <b>bold</b> [x.y-z]"}}
    report = insight.count(A, cells, submissions, messages)
    assert report["cells"][0]["summary"] == f"c<1>: 1 of 1 wrong; 1 of them [x.y-z] ({hostile} gives: <b>bold</b>)"
    text = insight.render(report)
    assert "<script" not in text and "<b>" not in text and "c<1>" not in text
    assert Page(text).text.count(hostile) == 2  # in the mistake's line and in the student's row


# -- bad input: said, never dropped ---------------------------------------------------------------------------


def test_a_notebook_the_grader_could_not_grade_is_reported_as_such(graded, tmp_path):
    """One more student, whose notebook nbgrader could not grade (twice: grade.grade_one's retry), recorded by the
    grader's own steps into a copy of the class's course: its gradebook gets the submission with every cell at 0
    (score.merge), its grading report the failure (report.write_report, which keeps the 30 graded before). The class
    report lists that notebook as not graded, with why, and leaves it out of every pass rate."""
    course = tmp_path / "course"
    shutil.copytree(graded["course"], course)
    coursedir = load_course(course)
    stuck = Result("stuck-1", [NB], db_url=None)  # what grade_one leaves when nbgrader wrote no grades
    merge(stuck, A, coursedir, tmp_path / "work")
    write_report(report_path(coursedir, A), {"stuck-1": 0.0}, [stuck], [])
    assert set(ungraded(course)) == {"stuck-1"}
    said = run_insight(A, "--course", course)
    report = json.loads((course / "autograde" / f"insight-{A}.json").read_text())
    why = "nbgrader autograde failed"
    assert report["not_graded"] == [{"student": "stuck-1", "notebook": A, "why": why}]
    assert report["students"] == 31
    for cell in report["cells"]:
        assert (cell["passed"], cell["of"], cell["not_graded"]) == (PASSED[cell["cell"]], 30, 1)
        assert cell["summary"].endswith(f"; 1 {insight.NOT_GRADED}")
    (row,) = [r for r in report["rows"] if r["student"] == "stuck-1"]
    assert row == {"student": "stuck-1", "score": 0.0, "cells": dict.fromkeys(CELLS), "diagnoses": {},
                   "not_graded": {A: why}}  # fmt: skip
    assert f"not graded: stuck-1's {A}: {why}" in said
    page = Page((course / "autograde" / f"insight-{A}.html").read_text()).text
    assert "Notebooks the grader could not grade" in page and f"stuck-1: {A}: {why}" in page


def test_an_unknown_assignment_is_named_with_those_the_gradebook_has(graded):
    done = subprocess.run(
        [sys.executable, "-m", "autograde.insight", "01-why-gate", "--course", graded["course"]],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [f"the gradebook has no assignment '01-why-gate'; it has: {A}"]


def test_a_gradebook_with_no_graded_submission_says_so(tmp_path):
    course = make_course(tmp_path / "course", [A])
    nbgrader("generate_assignment", A, cwd=course)  # the gradebook knows the assignment; nobody is graded
    said = run_insight(A, "--course", course)
    line = f"No submission of {A} has been autograded yet: grade first (make grade A=…)."
    assert line in said
    report = json.loads((course / "autograde" / f"insight-{A}.json").read_text())
    assert (report["students"], report["rows"], report["not_graded"]) == (0, [], [])
    page = Page((course / "autograde" / f"insight-{A}.html").read_text())
    assert line in page.text and page.images == [] and "Every student passed" not in page.text
