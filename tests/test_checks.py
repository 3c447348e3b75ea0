"""Do the checks say precisely what is wrong, and never fail confusingly on bad learner output?"""

import re

import numpy as np
import pytest
import torch

from gatelab.checks import core
from gatelab.checks.core import CheckFailed, ForbiddenCall

EXPECTED = torch.arange(12, dtype=torch.float64).reshape(4, 3) / 10


def problem(got):
    return core.tensor_problem("h_next", got, EXPECTED, "(B, n_h)")


def test_a_right_tensor_has_no_problem():
    assert problem(EXPECTED.clone() + 1e-12) is None


@pytest.mark.parametrize(
    "got, message",
    [
        (EXPECTED.T, "h_next: expected shape (B, n_h) = (4, 3), got (3, 4) (transposed?)"),
        (EXPECTED[:2], "h_next: expected shape (B, n_h) = (4, 3), got (2, 3)"),
        (EXPECTED.float(), "expected dtype torch.float64, got torch.float32"),
        (None, "h_next should be a torch.Tensor of shape (B, n_h) = (4, 3), got None"),
        (EXPECTED.numpy(), "got a numpy array of shape (4, 3)"),
        ([1, 2, 3], "got a list of 3 items"),
        ((EXPECTED, None), "got a tuple of 2 items"),
    ],
)
def test_wrong_type_shape_or_dtype_is_described_in_words(got, message):
    assert message in problem(got)


def test_nan_is_located():
    got = EXPECTED.clone()
    got[2, 1] = float("nan")
    assert problem(got) == "h_next has 1 NaN or infinite entries, the first at [2, 1]"


def test_the_largest_error_and_where_it_is_are_reported():
    got = EXPECTED.clone()
    got[2, 0] += 0.31
    got[1, 1] += 0.01
    assert problem(got) == "h_next: max error 0.31 at [2, 0] (allowed: 1e-09 + 1e-09·|value|); 2 of 12 entries are off"


def test_float32_gets_a_float32_tolerance():
    expected = EXPECTED.float()
    assert core.tensor_problem("h", expected + 1e-6, expected) is None
    assert core.tensor_problem("h", expected + 1e-3, expected) is not None


def test_gradient_feedback_names_the_wrong_the_right_and_the_missing():
    expected = {k: torch.ones(2, 3, dtype=torch.float64) for k in ("dW_f", "dW_i", "dW_c", "dW_o")}
    got = {k: v.clone() for k, v in expected.items() if k != "dW_o"}
    got["dW_f"][1, 2] = 1.31
    got["dx"] = torch.zeros(1)
    with pytest.raises(CheckFailed) as info:
        core.expect_grads(got, expected, hints={"dW_f": "how does c_prev enter the forget path?"})
    assert str(info.value).splitlines() == [
        "missing: dW_o",
        "unexpected keys: dx (expected exactly dW_f, dW_i, dW_c, dW_o)",
        "dW_f: max error 0.31 at [1, 2] (allowed: 1e-09 + 1e-09·|value|); 1 of 6 entries are off",
        "right: dW_i, dW_c",
        "hint for dW_f: how does c_prev enter the forget path?",
    ]


@pytest.mark.parametrize("got", [None, [1, 2], (1,), np.zeros(3), "grads"])
def test_gradient_check_survives_anything(got):
    with pytest.raises(CheckFailed, match="should return a dict with keys"):
        core.expect_grads(got, {"dW_f": EXPECTED})


def test_unpack_says_how_many_values_were_expected():
    with pytest.raises(
        CheckFailed, match=r"f should return 2 values \(h_next, cache\); it returned a tuple of 3 items"
    ):
        core.unpack((1, 2, 3), ("h_next", "cache"), "f")
    with pytest.raises(CheckFailed, match="it returned None"):
        core.unpack(None, ("h_next", "cache"), "f")
    assert core.unpack((1, 2), ("a", "b"), "f") == {"a": 1, "b": 2}


def test_an_unimplemented_function_is_reported_as_such():
    def f(x):
        raise NotImplementedError()

    with pytest.raises(CheckFailed, match="f is not implemented yet"):
        core.call(f, 1)


def test_an_error_in_learner_code_names_its_line():
    def f(x):
        y = x @ torch.ones(5, 2)
        return y

    with pytest.raises(CheckFailed) as info:
        core.call(f, torch.ones(3, 4))
    assert str(info.value).startswith("f raised RuntimeError: ")
    assert "y = x @ torch.ones(5, 2)" in str(info.value)


def test_something_not_callable_is_described():
    with pytest.raises(CheckFailed, match="should be a function, got None"):
        core.call(None, fn_name="rnn_cell_forward")


def test_recurrent_cells_are_refused_inside_and_restored_after():
    cell = torch.nn.LSTMCell(2, 3)
    x = torch.zeros(1, 2)
    with core.no_recurrent_apis("lstm_cell_forward"):
        with pytest.raises(ForbiddenCall, match="lstm_cell_forward called LSTMCell.forward"):
            cell(x)
        with pytest.raises(ForbiddenCall, match="torch._VF.lstm_cell"):
            torch._VF.lstm_cell(x, (x, x), cell.weight_ih, cell.weight_hh)
    h, c = cell(x)
    assert h.shape == (1, 3)
    assert "lstm_cell" not in vars(torch._VF), "torch._VF is back to its own lookup"


def test_gatelabs_own_cells_are_refused_inside_a_forward_exercise(rng):
    from gatelab import train

    params = train.init_params(train.CELLS["lstm"], 2, 3, rng)
    state = (torch.zeros(1, 3), torch.zeros(1, 3))
    with core.no_recurrent_apis("lstm_cell_forward"):
        with pytest.raises(ForbiddenCall, match="lstm_cell_forward called gatelab.train.gate_inputs"):
            train.lstm_step(params, torch.zeros(1, 2), state)
    (h, _), _ = train.lstm_step(params, torch.zeros(1, 2), state)
    assert h.shape == (1, 3)


def test_autograd_is_refused_inside_a_backward_exercise_and_restored_after():
    w = torch.ones(2, requires_grad=True)
    with core.no_autograd("lstm_cell_backward"):
        with pytest.raises(ForbiddenCall, match="lstm_cell_backward called"):
            (w * 2).sum().backward()
        with pytest.raises(ForbiddenCall):
            torch.autograd.grad((w * 2).sum(), w)
    (w * 2).sum().backward()
    assert torch.equal(w.grad, torch.full((2,), 2.0))


def test_run_learner_catches_a_change_in_place_of_a_nested_input():
    def sneaky(x, params):
        params["W"].mul_(2)
        return x

    args = (torch.ones(2), {"W": torch.ones(2, 2)})
    with pytest.raises(CheckFailed, match=r"sneaky changed its input params\['W'\] in place"):
        core.run_learner(sneaky, args, ("x", "params"), ("y",))


def test_run_learner_returns_outputs_by_name():
    out = core.run_learner(lambda x: (x + 1, "cache"), (torch.zeros(2),), ("x",), ("y", "cache"), fn_name="f")
    assert torch.equal(out["y"], torch.ones(2)) and out["cache"] == "cache"


def test_describe_covers_what_learners_return():
    assert core.describe(torch.zeros(4, 3)) == "a tensor of shape (4, 3) and dtype float32"
    assert core.describe({"b": 1, "a": 2}) == "a dict with keys ['a', 'b']"
    assert core.describe(3.5) == "the number 3.5"
    assert core.describe(object()) == "an object of type object"


def test_in_a_notebook_a_failed_check_shows_its_feedback_without_a_traceback():
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    cells = ["import gatelab as gl", "gl.checks.start.gate_matches_torch(lambda h, x, W, b: h)", "print('next')"]
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    NotebookClient(nb, kernel_name="python3", allow_errors=True).execute()
    (error,) = nb.cells[1].outputs
    assert error.output_type == "error" and error.ename == "CheckFailed", "still an error: nbgrader scores it 0"
    assert error.evalue.startswith("gate: max error")
    assert "gatelab" not in "".join(error.traceback), "no frames from inside gatelab"
    assert nb.cells[2].outputs[0].text == "next\n"


def test_the_hidden_tests_sizes_are_small_and_include_a_batch_of_one_and_a_single_step():
    cases = core.RANDOM_CASES
    assert all(1 <= B <= 5 and 1 <= n_x <= 6 and 1 <= n_h <= 6 and 1 <= T <= 8 for B, n_x, n_h, T, _ in cases)
    assert any(B == 1 and T == 1 for B, _, _, T, _ in cases) and any(B == 1 and T > 1 for B, _, _, T, _ in cases)
    assert len({seed for *_, seed in cases}) == len(cases)


def test_on_random_cases_runs_a_check_at_every_size_and_dtype():
    calls = []
    core.on_random_cases(lambda *args, **kw: calls.append((args, kw)), "fn", sequence=True, extra=1)
    assert len(calls) == 2 * len(core.RANDOM_CASES)
    (args, kw) = calls[0]
    assert args[0] == "fn" and len(args) == 7 and kw == {"extra": 1}
    assert {args[5] for args, _ in calls} == {torch.float64, torch.float32}


def test_a_tensor_subclass_whose_operations_lie_is_refused():
    class Liar(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            result = super().__torch_function__(func, types, args, kwargs or {})
            return torch.tensor(False) if func.__name__ == "any" else result

    got = torch.zeros(4, 3, dtype=torch.float64).as_subclass(Liar)
    assert problem(got) == "h_next should be a plain torch.Tensor, got a Liar (a subclass of it)"


def test_a_failed_check_shows_its_message_alone_in_ipython(capsys):
    """No traceback through gatelab and no "use %tb" hint: the learner reads the feedback alone."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.set_custom_exc((CheckFailed,), core.show_feedback_only)
    result = shell.run_cell("from gatelab.checks import CheckFailed\nraise CheckFailed('h_next: max error 0.5')")
    out = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out)  # without the terminal's colours
    assert isinstance(result.error_in_exec, CheckFailed), "the cell still fails, so nbgrader scores it 0"
    assert "CheckFailed: h_next: max error 0.5" in out
    assert "%tb" not in out and "Traceback" not in out, out
