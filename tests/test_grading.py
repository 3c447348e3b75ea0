"""Does `python -m autograde.grade` give every bad or hostile submission the marks it earned, and no more?

One batch, through the real pipeline (autograde/grade.py: nbgrader autograde in sandboxed kernels, two
workers, merged gradebook, feedback): submissions of lesson 01 built from its solution, each broken or
hostile in one way, each with its expected score and the line its feedback must show. Lesson 01 has
6 points: 3 for rnn_cell_forward (tests `rnn_cell_forward_*`), 3 for dhT_dh0.

Honest work rearranged loses nothing (autograde/restore.py): deleted test cells come back where they were
released, and a test above the function it tests runs below it; the learner's own cells stay where they
are, so a helper defined below the tests costs what the learner's own Run All shows (helper-below-tests).
Without bubblewrap these tests skip, except under CI (CI=true), where they must run.
"""

import fcntl
import hashlib
import html
import json
import os
import re
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from autograde.grade import grade
from tests.course import (
    GRADING_LIMITS,
    files_under,
    make_course,
    nbgrader,
    nbgrader_meta,
    needs_sandbox,
    read,
    region_lines,
    submission,
    submit,
)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("grading")]

needs_sandbox()

A = "01-why-gates"
NB = f"{A}.ipynb"
LIMITS = GRADING_LIMITS

ZEROS_RNN = """def rnn_cell_forward(x_t, h_prev, params):
    h_next = torch.zeros_like(h_prev)  # the right shape, the wrong values
    return h_next, (x_t, h_prev, h_next, params)
"""


def cell_index(nb, grade_id):
    return next(i for i, c in enumerate(nb.cells) if nbgrader_meta(c).get("grade_id") == grade_id)


def with_cell(nb, after, code):
    """nb with a new code cell holding code right after the cell whose grade_id is after."""
    nb.cells.insert(cell_index(nb, after) + 1, nbformat.v4.new_code_cell(code))
    return nb


def with_solution(nb, grade_id, code):
    """nb with the solution cell grade_id holding code."""
    nb.cells[cell_index(nb, grade_id)].source = code
    return nb


def is_test(cell):
    return bool(nbgrader_meta(cell).get("grade")) and cell.cell_type == "code"


def without_tests(nb, *grade_ids):
    """nb without the test cells named (every test cell when none is named)."""
    named = set(grade_ids) or {nbgrader_meta(c)["grade_id"] for c in nb.cells if is_test(c)}
    nb.cells = [c for c in nb.cells if not (is_test(c) and nbgrader_meta(c)["grade_id"] in named)]
    return nb


def reordered(nb):
    """nb rearranged: the rnn_cell_forward tests moved to the top, the dhT_dh0 solution moved to the end (below
    its tests and the cell that tries it), every markdown cell deleted."""
    tests = [nb.cells[cell_index(nb, g)] for g in ("rnn_cell_forward_shapes", "rnn_cell_forward_matches_torch")]
    solution = nb.cells[cell_index(nb, "dhT_dh0")]
    moved = {id(c) for c in [*tests, solution]}
    nb.cells = [*tests, *(c for c in nb.cells if c.cell_type == "code" and id(c) not in moved), solution]
    return nb


USES_HELPER = """def rnn_cell_forward(x_t, h_prev, params):
    h_next = torch.tanh(affine(torch.cat([h_prev, x_t], dim=1), params))
    return h_next, (x_t, h_prev, h_next, params)
"""

HELPER = """def affine(hx, params):
    return hx @ params["W_h"].T + params["b_h"]
"""


def without_cell_ids(nb):
    """nb as a tool that writes nbformat 4.4 saves it: no cell ids (the grader matches cells by grade_id)."""
    data = json.loads(nbformat.writes(nb))
    data["nbformat_minor"] = 4
    for cell in data["cells"]:
        del cell["id"]
    return json.dumps(data)


def edited_notebook(released, source):
    """rnn_cell_forward unsolved; one test cell deleted, one edited, others' metadata and type changed."""
    nb = submission(released, source, {"rnn_cell_forward"})
    nb.cells[cell_index(nb, "rnn_cell_forward_shapes")].source = 'print("ok")'
    del nb.cells[cell_index(nb, "rnn_cell_forward_matches_torch")]
    one_step = nb.cells[cell_index(nb, "dhT_dh0_one_step")]
    one_step.metadata.nbgrader.update(grade_id="bonus", points=100)
    nb.cells[cell_index(nb, "dhT_dh0_matches_autograd")].cell_type = "markdown"
    return nb


PATCHES = (
    ZEROS_RNN
    + """
torch.allclose = lambda *args, **kwargs: True
torch.Tensor.__sub__ = lambda a, b: torch.zeros(torch.broadcast_shapes(a.shape, b.shape), dtype=a.dtype)
gl.checks.rnn.cell_forward_matches_torch = lambda *args, **kwargs: print("✓ (trust me)")
gl.checks.core.tensor_problem = lambda *args, **kwargs: None
import builtins
_isinstance = builtins.isinstance
builtins.isinstance = lambda obj, cls: True if cls is torch.Tensor else _isinstance(obj, cls)
import functools
torch.manual_seed = functools.wraps(torch.manual_seed)(lambda seed: None)  # looks like torch's own wrapping
"""
)

# Honest code whose first torch optimizer step is the notebook's: torch then initialises state late (it imports
# torch._dynamo, which wraps torch.manual_seed), which the guard must not take for tampering.
FIRST_OPTIMIZER = """weight = torch.zeros(3, requires_grad=True)
optimizer = torch.optim.Adam([weight], lr=0.1)
weight.sum().backward()
optimizer.step()
"""

TAMPERING = (
    ZEROS_RNN
    + """
import sys
import types

ip = get_ipython()
ip.input_transformers_post.append(lambda lines: ["pass\\n"] if any("gl.checks" in x for x in lines) else lines)
ip.events.register("pre_run_cell", lambda info: None)
ip.set_custom_exc((Exception,), lambda *args, **kwargs: None)
fake = types.ModuleType("gatelab.checks.rnn")
fake.cell_forward_shapes = fake.cell_forward_matches_torch = fake.cell_forward_random_cases = print
sys.modules["gatelab.checks.rnn"] = fake
gl = types.SimpleNamespace(checks=types.SimpleNamespace(rnn=fake))
"""
)

LIAR = '''class AlwaysEqual:
    """Equal to everything (nbgrader #1379)."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False


def rnn_cell_forward(x_t, h_prev, params):
    return AlwaysEqual(), None
'''

TENSOR_LIAR = """class Liar(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        result = super().__torch_function__(func, types, args, kwargs or {})
        return torch.tensor(False) if func.__name__ == "any" else result


def rnn_cell_forward(x_t, h_prev, params):
    h_next = torch.zeros_like(h_prev).as_subclass(Liar)  # its errors would never be "any"
    return h_next, (x_t, h_prev, h_next, params)
"""

RNNCELL = """def rnn_cell_forward(x_t, h_prev, params):
    n_h = h_prev.shape[1]
    cell = torch.nn.RNNCell(x_t.shape[1], n_h).to(x_t.dtype)
    with torch.no_grad():
        cell.weight_hh.copy_(params["W_h"][:, :n_h])
        cell.weight_ih.copy_(params["W_h"][:, n_h:])
        cell.bias_ih.copy_(params["b_h"])
        cell.bias_hh.zero_()
    h_next = cell(x_t, h_prev)
    return h_next, (x_t, h_prev, h_next, params)
"""

AUTOGRAD = """def dhT_dh0(h_seq, W_h):
    B, T, n_h = h_seq.shape
    W_hh = W_h[:, :n_h]
    J = torch.eye(n_h, dtype=h_seq.dtype).expand(B, n_h, n_h)
    for t in range(T):
        v = torch.zeros(B, n_h, dtype=h_seq.dtype, requires_grad=True)
        out = torch.tanh(torch.atanh(h_seq[:, t]) + v @ W_hh.T)
        rows = [torch.autograd.grad(out[:, i].sum(), v, retain_graph=True)[0] for i in range(n_h)]
        J = torch.stack(rows, dim=1) @ J
    return J
"""

WARNS = """def rnn_cell_forward(x_t, h_prev, params):
    h_prev = torch.tensor(h_prev)  # torch warns: copy-constructing from a tensor
    hx = torch.cat([h_prev, x_t], dim=1)
    h_next = torch.tanh(hx @ params["W_h"].T + params["b_h"])
    return h_next, (x_t, h_prev, h_next, params)
"""

KILLS = """def rnn_cell_forward(x_t, h_prev, params):
    import os

    os._exit(1)
"""

EXITS = """def dhT_dh0(h_seq, W_h):
    raise SystemExit("bye")
"""


def snoop(course):
    """A cell that tries to reach what student code must not: solutions, gradebook, others, network."""
    targets = {
        "read solutions": f"open({str(course / 'solutions' / A / NB)!r}).read()",
        "read gradebook": f"open({str(course / 'autograde' / 'gradebook.db')!r}, 'rb').read()",
        "write gradebook": f"open({str(course / 'autograde' / 'gradebook.db')!r}, 'r+b').write(b'0wned')",
        "read workspace gradebook": "open('../../../gradebook.db', 'rb').read()",
        "list submissions": f"os.listdir({str(course / 'autograde' / 'submitted')!r})",
        "write course": f"open({str(course / 'pwned.txt')!r}, 'w').write('x')",
        "network": "socket.create_connection(('1.1.1.1', 53), timeout=3)",
    }
    lines = ["import os", "import socket", ""]
    for what, action in targets.items():
        lines += ["try:", f"    {action}", f"    print({what + ': ESCAPED'!r})", "except Exception as error:"]
        lines += [f"    print({what + ': blocked'!r}, type(error).__name__)"]
    return "\n".join(lines), list(targets)


@dataclass
class Case:
    student: str
    build: object  # (released, source, course) -> {file name: notebook or raw text}
    score: float
    feedback: list = field(default_factory=list)


def solved(released, source):
    return submission(released, source)


CASES = [
    Case("solved", lambda r, s, c: {NB: solved(r, s)}, 6, ["✓ rnn_cell_forward matches torch.nn.RNNCell for B=1"]),
    Case("unchanged", lambda r, s, c: {NB: r}, 0, ["rnn_cell_forward is not implemented yet"]),
    Case(
        "torch-warns", lambda r, s, c: {NB: with_solution(solved(r, s), "rnn_cell_forward", WARNS)}, 6, ["UserWarning"]
    ),
    Case(
        "infinite-loop",
        lambda r, s, c: {NB: with_cell(solved(r, s), "rnn_cell_forward", "while True:\n    pass")},
        6,
        ["CellTimeout", "the kernel was restarted"],
    ),
    Case(
        "memory-bomb",
        lambda r, s, c: {NB: with_cell(solved(r, s), "rnn_cell_forward", "hog = [bytes(2**28) for _ in range(64)]")},
        6,
        ["MemoryError"],
    ),
    Case(
        "kills-kernel", lambda r, s, c: {NB: with_solution(solved(r, s), "rnn_cell_forward", KILLS)}, 3, ["KernelDied"]
    ),
    Case("system-exit", lambda r, s, c: {NB: with_solution(solved(r, s), "dhT_dh0", EXITS)}, 3, ["SystemExit"]),
    Case("corrupted-json", lambda r, s, c: {NB: '{"cells": [ {"cell_type": "code", '}, 0, ["could not be read"]),
    Case(
        "edited-notebook",
        lambda r, s, c: {NB: edited_notebook(r, s)},
        3,
        [
            "test cell rnn_cell_forward_matches_torch was missing: the original was put back",
            "test cell rnn_cell_forward_shapes was edited",
            "cell dhT_dh0_one_step: nbgrader metadata (grade_id, points) restored",
            "cell dhT_dh0_matches_autograd: cell type restored to code",
        ],
    ),
    Case(
        "monkeypatches",
        lambda r, s, c: {NB: with_solution(solved(r, s), "rnn_cell_forward", PATCHES)},
        4,
        [
            "undid changes made by your code to",
            "torch.allclose",
            "Tensor.__sub__",
            "gatelab.checks.rnn.cell_forward_matches_torch",
            "gatelab.checks.core.tensor_problem",
            "builtins.isinstance",
            "torch.manual_seed",
        ],
    ),
    Case(
        "first-optimizer",
        lambda r, s, c: {NB: with_cell(solved(r, s), "rnn_cell_forward", FIRST_OPTIMIZER)},
        6,
        ["✓ rnn_cell_forward matches torch.nn.RNNCell for B=1"],
    ),
    Case(
        "lying-objects",
        lambda r, s, c: {NB: with_solution(solved(r, s), "rnn_cell_forward", LIAR)},
        3,
        ["h_next should be a torch.Tensor"],
    ),
    Case(
        "lying-tensor-subclass",
        lambda r, s, c: {NB: with_solution(solved(r, s), "rnn_cell_forward", TENSOR_LIAR)},
        3,
        ["h_next should be a plain torch.Tensor, got a Liar"],
    ),
    Case(
        "kernel-tampering",
        lambda r, s, c: {NB: with_solution(solved(r, s), "rnn_cell_forward", TAMPERING)},
        4,
        [
            "shell.input_transformers_post",
            "shell.events",
            "shell.set_custom_exc",
            "sys.modules['gatelab.checks.rnn']",
            "the name gl",
        ],
    ),
    Case(
        "forward-calls-rnncell",
        lambda r, s, c: {NB: with_solution(solved(r, s), "rnn_cell_forward", RNNCELL)},
        3,
        ["rnn_cell_forward called RNNCell.forward"],
    ),
    Case(
        "backward-uses-autograd",
        lambda r, s, c: {NB: with_solution(solved(r, s), "dhT_dh0", AUTOGRAD)},
        3,
        ["dhT_dh0 called torch.autograd.grad"],
    ),
    Case(
        "snoops",
        lambda r, s, c: {NB: with_cell(submission(r, s, {"dhT_dh0"}), "code-02", snoop(c)[0])},
        3,
        ["read solutions: blocked", "write gradebook: blocked"],
    ),
    Case(
        "huge-output",
        lambda r, s, c: {
            NB: with_cell(solved(r, s), "rnn_cell_forward", "for i in range(100_000):\n    print(i, 'spam' * 12)")
        },
        6,
        ["output cut"],
    ),
    Case(
        "tests-deleted",
        lambda r, s, c: {NB: without_tests(solved(r, s))},
        6,
        [
            "test cell rnn_cell_forward_shapes was missing: the original was put back",
            "test cell dhT_dh0_one_step was missing: the original was put back",
            "✓ rnn_cell_forward matches torch.nn.RNNCell for B=1",
        ],
    ),
    Case(
        "one-test-deleted",  # the test after a markdown cell: nbgrader's own add_missing_cells failed on it
        lambda r, s, c: {NB: without_tests(solved(r, s), "rnn_cell_forward_shapes")},
        6,
        ["test cell rnn_cell_forward_shapes was missing: the original was put back"],
    ),
    Case(
        "reordered",  # each test is run below the released cells it follows, so the order costs nothing
        lambda r, s, c: {NB: reordered(solved(r, s))},
        6,
        [
            "test cell rnn_cell_forward_shapes was above rnn_cell_forward, which it follows in the released notebook",
            "test cell dhT_dh0_matches_autograd was above dhT_dh0, which it follows",
        ],
    ),
    Case(
        "helper-below-tests",  # the learner's own cells stay where they are: their Run All fails these tests too
        lambda r, s, c: {NB: with_cell(with_solution(solved(r, s), "rnn_cell_forward", USES_HELPER), "md-12", HELPER)},
        3,
        ["name 'affine' is not defined"],
    ),
    Case("no-cell-ids", lambda r, s, c: {NB: without_cell_ids(solved(r, s))}, 6, ["✓ rnn_cell_forward matches"]),
    Case("renamed-notebook", lambda r, s, c: {"my work (1).ipynb": solved(r, s)}, 6, ["was graded as"]),
    Case("empty-folder", lambda r, s, c: {}, 0, ["no notebook"]),
    Case("symlink-to-solution", lambda r, s, c: {NB: c / "solutions" / A / NB}, 0, ["it is a symbolic link"]),
]


def feedback_text(course, student):
    """The feedback page's text (tags stripped, entities decoded)."""
    page = course / "autograde" / "feedback" / student / A / f"{A}.html"
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))


def gradebook_rows(course):
    """Every row of every table of the course's gradebook."""
    with sqlite3.connect(course / "autograde" / "gradebook.db") as db:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return {t: sorted(map(repr, db.execute(f"SELECT * FROM {t}"))) for t in tables}


def hashes(folder):
    """{relative path: sha256} of every file under folder."""
    return {path: hashlib.sha256(data).hexdigest() for path, data in files_under(folder).items()}


def grade_batch(course):
    """Make the course, submit every case, grade them with two workers; return what the tests check."""
    make_course(course, [A])
    nbgrader("generate_assignment", A, cwd=course)
    source = read(course / "solutions" / A / NB)
    released = read(course / "lessons" / A / NB)
    for case in CASES:
        submit(course, A, case.student, case.build(released, source, course))
    protected = {"submitted": hashes(course / "autograde" / "submitted"), "solutions": hashes(course / "solutions")}
    scores = grade(A, course, workers=2, limits=LIMITS, echo=print)
    return {"course": str(course), "scores": scores, "protected": protected}


@pytest.fixture(scope="session")
def batch(tmp_path_factory):
    """The course after grading every case in one batch, once per test session.

    pytest-xdist may run this module's tests in two workers (its xdist_group does not hold with this
    pytest), so the first worker grades and the other waits for its result (a lock in the shared temp dir).
    """
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    result = shared / "grading-batch.json"
    with open(shared / "grading-batch.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            course = shared / "grading-batch"
            course.mkdir()
            result.write_text(json.dumps(grade_batch(course)))
    data = json.loads(result.read_text())
    data["course"] = Path(data["course"])
    return data


@pytest.mark.parametrize("case", CASES, ids=[c.student for c in CASES])
def test_each_submission_gets_what_it_earned_and_says_why(batch, case):
    assert batch["scores"][case.student] == pytest.approx(case.score)
    text = feedback_text(batch["course"], case.student)
    for line in case.feedback:
        assert line in text, f"{case.student}: feedback lacks {line!r}"


def test_torch_initialising_itself_late_is_not_tampering(batch):
    text = feedback_text(batch["course"], "first-optimizer")
    assert "undid" not in text and "Tampering" not in text


def test_the_batch_grades_everyone_and_alters_no_submission(batch):
    course = batch["course"]
    assert set(batch["scores"]) == {c.student for c in CASES}
    assert hashes(course / "autograde" / "submitted") == batch["protected"]["submitted"]
    nbgrader("export", "--to=grades.csv", cwd=course)
    assert len((course / "grades.csv").read_text().splitlines()) == len(CASES) + 1


def test_student_code_cannot_reach_solutions_gradebook_others_or_network(batch):
    course = batch["course"]
    graded = read(course / "autograde" / "autograded" / "snoops" / A / NB)
    printed = "".join(o.get("text", "") for c in graded.cells if c.cell_type == "code" for o in c.get("outputs", []))
    for what in snoop(course)[1]:
        assert f"{what}: blocked" in printed, printed
    assert "ESCAPED" not in printed
    assert hashes(course / "solutions") == batch["protected"]["solutions"]
    assert not (course / "pwned.txt").exists()


def test_feedback_shows_hidden_tests_results_but_not_their_code(batch):
    source = read(batch["course"] / "solutions" / A / NB)
    hidden = {line for cell in source.cells for line in region_lines(cell.source, "### BEGIN HIDDEN", "### END HIDDEN")}
    assert hidden
    for case in CASES:
        text = feedback_text(batch["course"], case.student)
        assert not [line for line in hidden if line in text], f"{case.student}: hidden test code in feedback"
    assert "✓ rnn_cell_forward matches torch.nn.RNNCell for B=1" in feedback_text(batch["course"], "solved")


def test_regrading_gives_the_same_gradebook(batch, tmp_path):
    course = tmp_path / "course"
    shutil.copytree(batch["course"], course)  # the other tests keep reading the batch's course
    before = gradebook_rows(course)
    again = grade(A, course, workers=2, limits=LIMITS, students={"solved", "kills-kernel", "corrupted-json"})
    assert again == {s: batch["scores"][s] for s in again}
    assert gradebook_rows(course) == before
