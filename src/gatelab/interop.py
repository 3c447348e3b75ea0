"""Convert between the course's params dicts and torch.nn.RNNCell, GRUCell and LSTMCell.

The course's layout (COURSE.md §3): each gate has its own weight W_* of shape (H, H + D) acting on
the concatenation [h_prev, x_t], and one bias b_* of shape (H,). H hidden units, D input features.
PyTorch splits each weight into weight_hh (acting on h) and weight_ih (acting on x), stacks the gates
in rows (LSTM: i, f, g, o; GRU: r, z, n) and adds two biases, bias_ih + bias_hh.

Every conversion is exact: to_torch(from_torch(cell)) reproduces the cell's function, and
from_torch(to_torch(params)) gives back params (biases are split as bias_ih = b, bias_hh = 0).
"""

import torch
from torch import nn

LSTM_GATES = ("i", "f", "c", "o")  # torch's row order i, f, g, o; its g is our candidate c_tilde
GRU_GATES = ("r", "z", "h")  # torch's row order r, z, n; its n is our candidate h_tilde
_ROWS = {nn.RNNCell: 1, nn.GRUCell: 3, nn.LSTMCell: 4}  # gate blocks stacked in a torch cell's weights


def split_hx(W, H):
    """Split W (H_rows, H + D) acting on [h, x] into (W_hh (H_rows, H), W_ih (H_rows, D))."""
    return W[:, :H], W[:, H:]


def hidden_size(params):
    """H, read off the first bias in params."""
    return next(v for k, v in params.items() if k.startswith("b_")).shape[0]


def _torch_weights(params, gates, sign=None):
    """weight_ih, weight_hh, bias_ih, bias_hh of a torch cell whose stacked rows are the given gates.

    Built with differentiable tensor operations, so autograd flows back into params.
    """
    sign = sign or {}
    W = torch.cat([sign.get(g, 1) * params[f"W_{g}"] for g in gates])
    b = torch.cat([sign.get(g, 1) * params[f"b_{g}"] for g in gates])
    W_hh, W_ih = split_hx(W, hidden_size(params))
    return {"weight_ih": W_ih, "weight_hh": W_hh, "bias_ih": b, "bias_hh": torch.zeros_like(b)}


def _cell_from(cls, weights):
    """A torch cell of class cls holding copies of weights (from _torch_weights)."""
    H, D = weights["weight_ih"].shape[0] // _ROWS[cls], weights["weight_ih"].shape[1]
    cell = cls(D, H, dtype=weights["weight_ih"].dtype)
    with torch.no_grad():
        for name, value in weights.items():
            getattr(cell, name).copy_(value)
    return cell


def _params_from(cell, gates, sign=None):
    """Our W_g (H, H + D), b_g (H,) for each gate g, read from a torch cell's stacked rows."""
    sign = sign or {}
    H = cell.hidden_size
    W = torch.cat([cell.weight_hh, cell.weight_ih], dim=1).detach().clone()
    b = (cell.bias_ih + cell.bias_hh).detach().clone()
    params = {}
    for k, g in enumerate(gates):
        rows = slice(k * H, (k + 1) * H)
        params[f"W_{g}"] = sign.get(g, 1) * W[rows]
        params[f"b_{g}"] = sign.get(g, 1) * b[rows]
    return params


def rnn_params_to_torch(params):
    """An nn.RNNCell (tanh) computing h_next = tanh(W_h [h_prev, x_t] + b_h) from params W_h, b_h."""
    return _cell_from(nn.RNNCell, rnn_torch_weights(params))


def rnn_params_from_torch(cell):
    """Our W_h (H, H + D) and b_h (H,) from an nn.RNNCell with the tanh nonlinearity."""
    if cell.nonlinearity != "tanh":
        raise ValueError(f"the course's RNN uses tanh; this cell uses {cell.nonlinearity}")
    return _params_from(cell, ("h",))


def lstm_params_to_torch(params):
    """An nn.LSTMCell computing our LSTM (COURSE.md §3) from W_f, b_f, W_i, b_i, W_c, b_c, W_o, b_o."""
    return _cell_from(nn.LSTMCell, lstm_torch_weights(params))


def lstm_params_from_torch(cell):
    """Our params dict from an nn.LSTMCell. H hidden, D input.

    Returns W_f, W_i, W_c, W_o of shape (H, H + D) acting on [h_prev, x_t], and b_* of shape (H,)
    (bias_ih + bias_hh). Inverse: lstm_params_to_torch.
    """
    return _params_from(cell, LSTM_GATES)


# torch's z weights the old state (h' = (1 - z) n + z h); ours takes the candidate
# (h' = z h_tilde + (1 - z) h_prev). sigmoid(-a) = 1 - sigmoid(a), so negating z's rows relabels it.
_GRU_SIGN = {"z": -1}


def gru_params_to_torch(params):
    """An nn.GRUCell from a GRU params dict W_z, b_z, W_r, b_r, W_h, b_h and, optionally, b_hn (H,).

    nn.GRUCell computes the *reset-after* GRU, a different function from the course's main GRU:
        n = tanh(W_h[:, H:] x + b_h + r * (W_h[:, :H] h + b_hn))   and   h' = z n + (1 - z) h
    with our update direction (z = 1 takes the candidate). b_hn, the bias inside the reset, is 0
    when params has none.
    """
    return _cell_from(nn.GRUCell, gru_torch_weights(params))


def gru_params_from_torch(cell):
    """Our reset-after GRU params (W_z, b_z, W_r, b_r, W_h, b_h, b_hn) from an nn.GRUCell.

    W_* have shape (H, H + D) on [h_prev, x_t]; b_z and b_r are bias_ih + bias_hh, b_h is the input
    bias b_in and b_hn the recurrent bias inside the reset. Inverse: gru_params_to_torch.
    """
    H = cell.hidden_size
    params = _params_from(cell, GRU_GATES, _GRU_SIGN)
    params["b_h"] = cell.bias_ih[2 * H :].detach().clone()
    params["b_hn"] = cell.bias_hh[2 * H :].detach().clone()
    return params


def rnn_torch_weights(params):
    """nn.RNNCell's weight_ih, weight_hh, bias_ih, bias_hh from W_h, b_h (differentiable)."""
    return _torch_weights(params, ("h",))


def lstm_torch_weights(params):
    """nn.LSTMCell's weight_ih (4H, D), weight_hh (4H, H), bias_ih, bias_hh (4H,) from our params."""
    return _torch_weights(params, LSTM_GATES)


def gru_torch_weights(params):
    """nn.GRUCell's weights (rows r, z, n) from our params; b_hn (H,), if given, goes in bias_hh's n rows."""
    weights = _torch_weights(params, GRU_GATES, _GRU_SIGN)
    if "b_hn" in params:
        H = hidden_size(params)
        weights["bias_hh"] = torch.cat([weights["bias_hh"][: 2 * H], params["b_hn"]])
    return weights


_STEPS = {
    "rnn": (nn.RNNCell, rnn_torch_weights),
    "gru": (nn.GRUCell, gru_torch_weights),
    "lstm": (nn.LSTMCell, lstm_torch_weights),
}


def torch_step(kind, params, x_t, h_prev, c_prev=None):
    """One step of torch's own cell ('rnn', 'gru' or 'lstm') on our params, differentiable in everything.

    x_t (B, D), h_prev and c_prev (B, H). Returns h_next (B, H), or (h_next, c_next) for 'lstm'.
    Autograd flows back into params, x_t, h_prev and c_prev: torch.autograd through this is the
    oracle for the backward exercises. For 'gru' this is torch's reset-after GRU (see gru_params_to_torch).
    """
    cls, torch_weights = _STEPS[kind]
    weights = torch_weights(params)
    cell = _cell_from(cls, {k: v.detach() for k, v in weights.items()})
    state = (h_prev, c_prev) if kind == "lstm" else h_prev
    return torch.func.functional_call(cell, weights, (x_t, state))


def random_params(kind, n_x, n_h, dtype=torch.float64, generator=None, scale=0.5):
    """A params dict for kind 'rnn', 'gru' or 'lstm' with weights ~ N(0, scale^2).

    W_* have shape (n_h, n_h + n_x), b_* shape (n_h,).
    """
    gates = {"rnn": ("h",), "gru": ("z", "r", "h"), "lstm": ("f", "i", "c", "o")}[kind]
    params = {}
    for g in gates:
        params[f"W_{g}"] = scale * torch.randn(n_h, n_h + n_x, dtype=dtype, generator=generator)
        params[f"b_{g}"] = scale * torch.randn(n_h, dtype=dtype, generator=generator)
    return params
