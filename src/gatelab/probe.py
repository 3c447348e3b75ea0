"""Opening the box of a trained network (lesson 06): where it is right, what its gates do, which unit remembers.

Works on a gatelab.train.Network and gatelab.data.agreement.Sentences. N sentences, T tokens,
H hidden units. Everything runs on one thread (gatelab.train.one_thread): these small networks run
tens of times faster so when the machine is busy. Nothing here answers a graded exercise: the
lesson's learners write number_unit and saturation_fractions, and the notebook passes them in.
"""

import torch

from gatelab import dynamics, train
from gatelab.data import agreement


@train.one_thread()
def correct(net, data, **run_options):
    """(N,) bools: does net predict the number of each sentence's verb? run_options go to net.run."""
    return train.correct(net, data.batch(), **run_options)


def accuracy_by(right, groups):
    """{group value: (accuracy, count)} of the bools right (N,) grouped by the ints groups (N,), sorted."""
    right = right.float()
    return {int(g): (right[groups == g].mean().item(), int((groups == g).sum())) for g in groups.unique()}


def report(net, data, **run_options):
    """The accuracies to show: overall, with and without attractors, by distance, by number of attractors."""
    right = correct(net, data, **run_options)
    return {
        "overall": right.float().mean().item(),
        "attractors": right[data.attractors > 0].float().mean().item(),
        "no attractors": right[data.attractors == 0].float().mean().item(),
        "by distance": accuracy_by(right, data.distance),
        "by attractors": accuracy_by(right, data.attractors),
    }


def hard(data, distance=7):
    """(N,) bools: the hard sentences, with an attractor or a distance of at least distance tokens."""
    return (data.attractors > 0) | (data.distance >= distance)


@torch.no_grad()
@train.one_thread()
def states_before_verb(net, data, name="c", **run_options):
    """(N, H): state name ('h' or 'c') after the last word before each verb, what the readout decides from."""
    states, _ = net.run(data.batch().x, **run_options)
    return states[name][torch.arange(len(data)), data.verb - 1]


@torch.no_grad()
@train.one_thread()
def trace(net, tokens, **run_options):
    """One sentence read by net: {name: (T, H)} of its states (h, c) and gates (f, i, o or z, r)."""
    states, gates = net.run(agreement.encode(tokens)[None], **run_options)
    return {name: value[0] for name, value in {**states, **gates}.items()}


@train.one_thread()
def gate_gradients(net, data):
    """{gate: (N, T, H)} the gradient of the verb's loss with respect to each LSTM gate at each token.

    No gate has a label; this is all the teaching a gate gets: at *cat* it receives the error made at
    the verb, carried back along the cell state through f ⊙ c. Tokens after the verb get zeros.
    """
    batch = data.batch()
    x = net.inputs(batch.x)
    B, T, _ = x.shape
    state = (x.new_zeros(B, net.n_h), x.new_zeros(B, net.n_h))
    hs, recorded = [], []
    for t in range(T):
        state, gates = train.lstm_step(net.params, x[:, t], state)
        for value in gates.values():
            value.retain_grad()
        hs.append(state[0])
        recorded.append(gates)
    h_at = torch.stack(hs, dim=1)[torch.arange(B), batch.at]
    loss = torch.nn.functional.cross_entropy(net.readout(h_at), batch.y, reduction="sum")
    loss.backward()
    net.zero_grad()
    return {g: torch.stack([gates[g].grad for gates in recorded], dim=1) for g in recorded[0]}


def ablated_accuracy(net, data, units):
    """{'overall', 'hard'}: accuracy with the hidden units units (a list of ints) silenced at every step."""
    right = correct(net, data, ablate=list(units))
    return {"overall": right.float().mean().item(), "hard": right[hard(data)].float().mean().item()}


def random_units(n_h, count, seed=0, exclude=()):
    """count distinct random units of range(n_h), none of them in exclude (seeded)."""
    generator = torch.Generator().manual_seed(seed)
    pool = torch.tensor([u for u in range(n_h) if u not in set(exclude)])
    return pool[torch.randperm(len(pool), generator=generator)[:count]].tolist()


def handset_lstm(settings):
    """Lesson 04's one-unit LSTM (settings as for its memory puzzle) as a Network over the agreement VOCAB.

    Each one-hot column of W_g is the word's features times the puzzle's weights on them, so the net
    reads a sentence exactly as the puzzle's cell does; its readout says 'singular' when h > 0.
    """
    params = dynamics.sentence_params(dynamics.LSTM_GATES, settings)
    table = torch.stack([agreement.features(w) for w in agreement.VOCAB])  # (V, n_features)
    net = train.Network("lstm", len(agreement.VOCAB), 1, 2)
    with torch.no_grad():
        for g in dynamics.LSTM_GATES:
            W = params[f"W_{g}"].float()
            net.params[f"W_{g}"].copy_(torch.cat([W[:, :1], (table @ W[0, 1:])[None]], dim=1))
            net.params[f"b_{g}"].copy_(params[f"b_{g}"].float())
        net.readout.weight.copy_(torch.tensor([[10.0], [-10.0]]))
        net.readout.bias.zero_()
    return net


def rank_units(find, states, number, count=None):
    """Units in the order find(states, number) -> unit picks them, each time among the units left.

    find is a function like the lesson's number_unit; states (N, H); the first count units (default all).
    """
    left = list(range(states.shape[1]))
    order = []
    for _ in range(count or len(left)):
        pick = int(find(states[:, left], number))
        order.append(left.pop(pick))
    return order


def ablation_curve(net, data, order, seed=0):
    """{'ranked', 'random'}: hard-sentence accuracy after silencing the first k units of order, and of a
    random order, for k = 0 .. len(order); each a list of len(order) + 1 floats."""
    shuffled = random_units(net.n_h, net.n_h, seed)
    curves = {"ranked": [], "random": []}
    for k in range(len(order) + 1):
        curves["ranked"].append(ablated_accuracy(net, data, order[:k])["hard"])
        curves["random"].append(ablated_accuracy(net, data, shuffled[:k])["hard"])
    return curves


@torch.no_grad()
@train.one_thread()
def gate_values(net, data):
    """{gate: (1, M, H)}: every activation of each gate at the M tokens up to the verbs of data (padding left
    out), laid end to end as one long sequence of shape (N, T, H) = (1, M, H)."""
    batch = data.batch()
    _, gates = net.run(batch.x)
    return {name: value[batch.read][None] for name, value in gates.items()}
