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


def split_hx(W, H):
    """Split W (H_rows, H + D) acting on [h, x] into (W_hh (H_rows, H), W_ih (H_rows, D))."""
    return W[:, :H], W[:, H:]


def hidden_size(params):
    """H, read off the first bias in params."""
    return next(v for k, v in params.items() if k.startswith("b_")).shape[0]


def _cell_from(cls, params, gates, sign=None):
    """Build a torch cell of class cls whose stacked rows are the given gates' W_ and b_."""
    sign = sign or {}
    W = torch.cat([sign.get(g, 1) * params[f"W_{g}"] for g in gates])
    b = torch.cat([sign.get(g, 1) * params[f"b_{g}"] for g in gates])
    H = hidden_size(params)
    cell = cls(W.shape[1] - H, H, dtype=W.dtype)
    W_hh, W_ih = split_hx(W.detach(), H)
    with torch.no_grad():
        cell.weight_hh.copy_(W_hh)
        cell.weight_ih.copy_(W_ih)
        cell.bias_ih.copy_(b.detach())
        cell.bias_hh.zero_()
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
    return _cell_from(nn.RNNCell, params, ("h",))


def rnn_params_from_torch(cell):
    """Our W_h (H, H + D) and b_h (H,) from an nn.RNNCell with the tanh nonlinearity."""
    if cell.nonlinearity != "tanh":
        raise ValueError(f"the course's RNN uses tanh; this cell uses {cell.nonlinearity}")
    return _params_from(cell, ("h",))


def lstm_params_to_torch(params):
    """An nn.LSTMCell computing our LSTM (COURSE.md §3) from W_f, b_f, W_i, b_i, W_c, b_c, W_o, b_o."""
    return _cell_from(nn.LSTMCell, params, LSTM_GATES)


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
    cell = _cell_from(nn.GRUCell, params, GRU_GATES, _GRU_SIGN)
    H = hidden_size(params)
    if "b_hn" in params:
        with torch.no_grad():
            cell.bias_hh[2 * H :].copy_(params["b_hn"].detach())
    return cell


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
