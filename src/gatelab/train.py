"""Small recurrent networks for the experiments of lessons 06 and 07: build, train, open up.

A Network is a params dict in the course's layout (COURSE.md §3: W_g of shape (H, H + D) acting on
[h_prev, x_t], b_g of shape (H,)) plus a linear readout. Its cell is one of CELLS, written from the
course's equations, and every step returns the gates it computed, so a trained model can be opened
token by token (Network.run). Training is seeded and deterministic on the CPU.

Shapes: B batch, T time, D input features, H hidden units, K outputs.
"""

import math
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from torch import nn

# --- cells: step(params, x_t, state) -> (state, gates); state is a tuple (h,) or (h, c) of (B, H) ---
# Each cell computes all its gates' pre-activations in one product (gate_inputs), as fused kernels do.


def gate_inputs(params, names, h_prev, x_t):
    """{g: W_g [h_prev, x_t] + b_g} for every gate g of names, each (B, H), from one matrix product."""
    W = torch.cat([params[f"W_{g}"] for g in names])  # (len(names) * H, H + D)
    b = torch.cat([params[f"b_{g}"] for g in names])
    pre = torch.addmm(b, torch.cat((h_prev, x_t), 1), W.t())
    return dict(zip(names, pre.split(h_prev.shape[1], dim=1), strict=True))


def rnn_step(params, x_t, state):
    """Vanilla RNN: h = tanh(W_h [h_prev, x_t] + b_h). No gates."""
    (h_prev,) = state
    return (gate_inputs(params, "h", h_prev, x_t)["h"].tanh(),), {}


def irnn_step(params, x_t, state):
    """Le et al. (2015)'s IRNN: h = relu(W_h [h_prev, x_t] + b_h), W_h's recurrent block starting as I."""
    (h_prev,) = state
    return (gate_inputs(params, "h", h_prev, x_t)["h"].relu(),), {}


def gru_step(params, x_t, state):
    """The course's GRU (Ng's form, reset before the product): h moves from h_prev towards h_tilde by z."""
    (h_prev,) = state
    gates = {g: a.sigmoid() for g, a in gate_inputs(params, "zr", h_prev, x_t).items()}
    h_tilde = gate_inputs(params, "h", gates["r"] * h_prev, x_t)["h"].tanh()
    return (torch.lerp(h_prev, h_tilde, gates["z"]),), gates


def lstm_step(params, x_t, state, fixed=None):
    """The course's LSTM: the cell keeps f of c_prev and adds i of c_tilde; h shows o of tanh(c).

    fixed maps a gate name ('f', 'i', 'o') to a value it is held at (a float, or a (H,) tensor):
    an ablation of a trained model's gate, or a variant without that gate (its W_g may then be absent).
    """
    h_prev, c_prev = state
    fixed = fixed or {}
    names = [g for g in "fico" if g not in fixed]
    pre = gate_inputs(params, names, h_prev, x_t)
    gates = {g: pre[g].sigmoid() for g in "fio" if g in pre}
    for g, value in fixed.items():
        gates[g] = torch.as_tensor(value, dtype=x_t.dtype).expand_as(h_prev)
    c = torch.addcmul(gates["f"] * c_prev, gates["i"], pre["c"].tanh())
    return (gates["o"] * c.tanh(), c), gates


def cell_from_forward(forward, weights, state=("h", "c")):
    """A Cell whose step is a forward function of the course's API (a variant one writes oneself).

    forward(x_t, h_prev, params) -> (h_next, cache) for state ("h",), or
    forward(x_t, h_prev, c_prev, params) -> (h_next, c_next, cache) for state ("h", "c").
    Its gates are not recorded.
    """

    def step(params, x_t, s):
        return tuple(forward(x_t, *s, params)[: len(state)]), {}

    return Cell(step, tuple(weights), tuple(state))


@dataclass(frozen=True)
class Cell:
    """A recurrent cell: its step function, its weight names (W_<g>), the names of its state, and
    whether W_h's recurrent block starts as the identity (Le et al. 2015's IRNN)."""

    step: object
    weights: tuple
    state: tuple = ("h",)
    identity_init: bool = False


CELLS = {
    "rnn": Cell(rnn_step, ("h",)),
    "irnn": Cell(irnn_step, ("h",), identity_init=True),
    "gru": Cell(gru_step, ("z", "r", "h")),
    "lstm": Cell(lstm_step, ("f", "i", "c", "o"), ("h", "c")),
}


def init_params(cell, n_x, n_h, generator, forget_bias=0.0, update_bias=0.0):
    """Initial params for cell: W_g (H, H + D) ~ U(-1/sqrt(H), 1/sqrt(H)) as in torch, b_g = 0.

    b_f, if the cell has a forget gate, starts at forget_bias (Jozefowicz et al. 2015 propose 1); b_z, if it
    has an update gate, at update_bias (negative: the course's GRU, where z = 1 takes the candidate, starts by
    keeping most of h_prev, as b_f = 1 makes the LSTM keep c_prev).
    With identity_init, W_h's recurrent block W_h[:, :H] starts as I and its input block small.
    """
    bound = 1 / math.sqrt(n_h)
    params = {}
    for g in cell.weights:
        params[f"W_{g}"] = (2 * torch.rand(n_h, n_h + n_x, generator=generator) - 1) * bound
        params[f"b_{g}"] = torch.zeros(n_h)
    if "f" in cell.weights:
        params["b_f"] += forget_bias
    if "z" in cell.weights:
        params["b_z"] += update_bias
    if cell.identity_init:
        params["W_h"][:, :n_h] = torch.eye(n_h)
        params["W_h"][:, n_h:] = 0.001 * torch.randn(n_h, n_x, generator=generator)
    return params


# --- the network ---


class Network(nn.Module):
    """A one-layer recurrent network: inputs -> cell -> linear readout to K outputs.

    kind names one of CELLS ('rnn', 'irnn', 'gru', 'lstm') or is a Cell (a variant of one's own).

    Inputs are either token ids (B, T) of a vocabulary of n_x words, read as one-hot vectors (so
    column D of W_f is "what the forget gate sees when that word arrives"), or features (B, T, n_x).
    """

    def __init__(self, kind, n_x, n_h, n_y, seed=0, forget_bias=0.0, update_bias=0.0):
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.cell = CELLS[kind] if isinstance(kind, str) else kind
        self.kind, self.n_x, self.n_h = kind, n_x, n_h
        self.params = nn.ParameterDict(init_params(self.cell, n_x, n_h, generator, forget_bias, update_bias))
        self.readout = nn.Linear(n_h, n_y)
        with torch.no_grad():
            bound = 1 / math.sqrt(n_h)
            self.readout.weight.copy_((2 * torch.rand(n_y, n_h, generator=generator) - 1) * bound)
            self.readout.bias.zero_()

    def inputs(self, x):
        """x as features (B, T, D): one-hot rows for token ids, unchanged for features."""
        if x.dtype in (torch.int64, torch.int32):
            return nn.functional.one_hot(x.long(), self.n_x).float()
        return x

    def run(self, x, ablate=(), fixed=None):
        """Run the cell over x (B, T) or (B, T, D); returns states and gates, each {name: (B, T, H)}.

        ablate lists hidden units whose h (and c) are set to 0 after every step; fixed holds gates
        at given values (see lstm_step).
        """
        x = self.inputs(x)
        B, T, _ = x.shape
        state = tuple(x.new_zeros(B, self.n_h) for _ in self.cell.state)
        keep = x.new_ones(self.n_h)
        keep[list(ablate)] = 0
        options = {"fixed": fixed} if fixed else {}
        states, gates = [], []
        for t in range(T):
            state, gates_t = self.cell.step(self.params, x[:, t], state, **options)
            state = tuple(s * keep for s in state)
            states.append(state)
            gates.append(gates_t)
        return _stack_over_time(states, self.cell.state), _stack_over_time(gates, gates[0].keys())

    def forward(self, x, at, **run_options):
        """The readout (B, K) of the hidden state at position at (B,) of each sequence."""
        states, _ = self.run(x, **run_options)
        h_at = states["h"][torch.arange(len(at)), at]
        return self.readout(h_at)


def _stack_over_time(steps, names):
    """[{name: (B, H)} or (tensor, ...) per step] -> {name: (B, T, H)}."""
    if not steps or isinstance(steps[0], dict):
        return {n: torch.stack([s[n] for s in steps], dim=1) for n in names}
    return {n: torch.stack([s[k] for s in steps], dim=1) for k, n in enumerate(names)}


# --- training ---


@dataclass
class Batch:
    """Inputs x (B, T) token ids or (B, T, D) features, the position at (B,) where the answer is read,
    and the target y (B,): class ids (long) for a classification, values (float) for a regression."""

    x: torch.Tensor
    at: torch.Tensor
    y: torch.Tensor

    def __len__(self):
        return len(self.y)

    @property
    def read(self):
        """(B, T) bools: the steps each sequence has read by the time its answer is read (padding after at left out)."""
        return torch.arange(self.x.shape[1]) <= self.at[:, None]


def loss_of(net, batch, **run_options):
    """Cross-entropy for class targets, mean squared error for float targets (one output)."""
    out = net(batch.x, batch.at, **run_options)
    if batch.y.dtype == torch.int64:
        return nn.functional.cross_entropy(out, batch.y)
    return nn.functional.mse_loss(out[:, 0], batch.y)


@torch.no_grad()
def correct(net, batch, **run_options):
    """(B,) bools: does the network predict the class of each sequence of batch?"""
    return net(batch.x, batch.at, **run_options).argmax(dim=1) == batch.y


def accuracy(net, batch, **run_options):
    """The fraction of batch whose class the network predicts right (a float in [0, 1])."""
    return correct(net, batch, **run_options).float().mean().item()


@dataclass
class History:
    """What train recorded: the step numbers, the training loss at each, the norm of the gradient (all weights
    together) before clipping at each, the seconds it all took."""

    steps: list
    losses: list
    grad_norms: list = field(default_factory=list)
    seconds: float = 0.0

    def clipped(self, clip=1.0):
        """The fraction of steps whose gradient norm was above clip, which clipping scaled down."""
        return sum(norm > clip for norm in self.grad_norms) / len(self.grad_norms)


def train(net, next_batch, steps, lr=0.01, seed=0, clip=1.0, progress=True, after_step=None):
    """Train net with Adam for steps batches from next_batch(generator) -> Batch; returns a History.

    Seeded: the same net, next_batch and seed give the same weights. Gradients are clipped to norm clip
    (Pascanu et al. 2013): a gradient longer than clip, all weights together, is scaled down to that length, its
    direction kept, so that a rare exploding product over time steps cannot throw the weights far. progress
    prints a one-line bar that updates in place. after_step(step), if given, is called after each step (to
    measure the network as it trains; it must not draw from the generator).
    """
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    history, start = History([], []), time.perf_counter()
    with one_thread():
        for step in range(1, steps + 1):
            loss = loss_of(net, next_batch(generator))
            optimizer.zero_grad()
            loss.backward()
            norm = nn.utils.clip_grad_norm_(net.parameters(), clip)
            optimizer.step()
            history.steps.append(step)
            history.losses.append(loss.item())
            history.grad_norms.append(float(norm))
            if after_step:
                after_step(step)
            if progress and (step % max(1, steps // 50) == 0 or step == steps):
                show_progress(step, steps, loss.item(), time.perf_counter() - start)
    history.seconds = time.perf_counter() - start
    return history


@contextmanager
def one_thread():
    """Run torch on one thread: these small networks train several times faster so on 2 busy cores,
    and their numbers do not depend on how many threads torch would pick."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def show_progress(step, steps, loss, seconds, width=30):
    """Print '[#######.....] step 120/400  loss 0.213  3.1 s' over the previous one."""
    done = round(width * step / steps)
    line = f"[{'#' * done}{'.' * (width - done)}] step {step}/{steps}  loss {loss:.3f}  {seconds:.1f} s"
    print("\r" + line, end="\n" if step == steps else "", file=sys.stdout, flush=True)
