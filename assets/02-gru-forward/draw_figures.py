"""Draw the GRU figures of lessons 02 and 03 (SVG). Run from anywhere: python assets/02-gru-forward/draw_figures.py

Writes assets/02-gru-forward/{gru-cell,gru-step-update,gru-step-reset,gru-step-candidate,gru-step-state,
reset-before-after}.svg and assets/03-gru-backward/gru-graph.svg. One drawing of the cell as a dataflow
graph serves all of them: each step highlights its own nodes and edges; lesson 03's version labels the
edges with the gradients that flow back along them.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

HERE = Path(__file__).resolve().parent
ASSETS = HERE.parent
plt.rcParams.update({"svg.hashsalt": "gates", "font.size": 11, "mathtext.fontset": "dejavusans"})

HIGHLIGHT, MUTED, INK = "#d35400", "#b0b0b0", "#222222"
GATE, CAND, MIX, DATA = "#e8f6ef", "#fdf2e9", "#eaf2fb", "#ffffff"

# The cell as a dataflow graph: node -> (x, y, label, fill, width); every box is 0.6 high.
NODES = {
    "h_prev": (0.0, 4.8, r"$h_{t-1}$", DATA, 0.9),
    "x_t": (0.0, 0.0, r"$x_t$", DATA, 0.9),
    "u": (1.1, 2.5, r"$u = [h_{t-1},\, x_t]$", DATA, 1.9),
    "r": (3.6, 3.5, r"$r = \sigma(W_r u + b_r)$", GATE, 2.4),
    "z": (3.6, 1.3, r"$z = \sigma(W_z u + b_z)$", GATE, 2.4),
    "rh": (6.7, 3.5, r"$r \odot h_{t-1}$", DATA, 1.5),
    "h_tilde": (6.0, 2.0, r"$\tilde h = \tanh(W_h [r \odot h_{t-1}, x_t] + b_h)$", CAND, 4.0),
    "mix": (10.6, 3.6, r"$h_t = z \odot \tilde h + (1 - z) \odot h_{t-1}$", MIX, 3.9),
    "h_t": (15.1, 3.6, r"$h_t$", DATA, 0.8),
}
STRAIGHT, DOWN_INTO, UP_INTO = "arc3,rad=0.0", "angle,angleA=0,angleB=90,rad=0", "angle,angleA=0,angleB=-90,rad=0"
# (from, to, connection style): angle styles leave A horizontally and enter B vertically.
EDGES = [
    ("h_prev", "u", STRAIGHT),
    ("x_t", "u", STRAIGHT),
    ("u", "r", STRAIGHT),
    ("u", "z", STRAIGHT),
    ("r", "rh", STRAIGHT),
    ("h_prev", "rh", DOWN_INTO),
    ("rh", "h_tilde", STRAIGHT),
    ("x_t", "h_tilde", UP_INTO),
    ("z", "mix", UP_INTO),
    ("h_tilde", "mix", STRAIGHT),
    ("h_prev", "mix", DOWN_INTO),
    ("mix", "h_t", STRAIGHT),
]
STEPS = {
    "update": ({"u", "z"}, {("h_prev", "u"), ("x_t", "u"), ("u", "z")}),
    "reset": ({"u", "r", "rh"}, {("h_prev", "u"), ("x_t", "u"), ("u", "r"), ("r", "rh"), ("h_prev", "rh")}),
    "candidate": ({"rh", "h_tilde"}, {("rh", "h_tilde"), ("x_t", "h_tilde")}),
    "state": ({"mix", "h_t"}, {("z", "mix"), ("h_tilde", "mix"), ("h_prev", "mix"), ("mix", "h_t")}),
}
# Lesson 03: the gradient flowing back along an edge (dv = dL/dv, delta = dL/dh_t): label, (x, y), align.
PATH = "#8e44ad"  # the four paths from h_{t-1}
GRADS = {
    ("h_prev", "mix"): (r"path 1:  $\delta \odot (1-z)$", (9.6, 5.25), "center", PATH),
    ("h_prev", "rh"): (r"path 2:  $\mathrm{d}(r \odot h_{t-1}) \odot r$", (7.55, 4.45), "left", PATH),
    ("h_prev", "u"): (r"paths 3, 4: through $u$ into $z$ and $r$", (1.2, 4.35), "left", PATH),
    ("z", "mix"): (r"$\mathrm{d}z = \delta \odot (\tilde h - h_{t-1})$", (10.0, 1.15), "left", INK),
    ("h_tilde", "mix"): (r"$\mathrm{d}\tilde h = \delta \odot z$", (11.2, 2.85), "left", INK),
    ("rh", "h_tilde"): (r"$\mathrm{d}a_h W_h$, first $n_h$ columns", (7.3, 3.05), "right", INK),
    ("x_t", "h_tilde"): (r"$\mathrm{d}a_h W_h$, last $n_x$ columns", (4.2, 0.45), "left", INK),
    ("r", "rh"): (r"$\mathrm{d}r$", (6.25, 4.2), "center", INK),
    ("u", "r"): (r"$\mathrm{d}a_r W_r$", (2.45, 3.75), "center", INK),
    ("u", "z"): (r"$\mathrm{d}a_z W_z$", (2.2, 1.75), "center", INK),
}


def box(ax, name, color_edge, lw):
    """Draw node name as a rounded box; returns the patch (arrows clip at it)."""
    x, y, label, fill, w = NODES[name]
    patch = FancyBboxPatch((x, y), w, 0.6, boxstyle="round,pad=0.08,rounding_size=0.15",
                           fc=fill, ec=color_edge, lw=lw, zorder=2)
    ax.add_patch(patch)
    ax.text(x + w / 2, y + 0.3, label, ha="center", va="center", zorder=3, color=INK)
    return patch


def center(name):
    x, y, _, _, w = NODES[name]
    return x + w / 2, y + 0.3


def cell_figure(active_nodes=None, active_edges=None, title=None, grads=False):
    """The dataflow graph; active nodes and edges in colour, the rest muted (all plain if None)."""
    fig, ax = plt.subplots(figsize=(12.5, 4.6))
    ax.set(xlim=(-0.2, 16.1), ylim=(-0.3, 6.0))
    ax.axis("off")
    patches = {}
    for name in NODES:
        on = active_nodes is None or name in active_nodes
        color = HIGHLIGHT if on and active_nodes is not None else (INK if on else MUTED)
        patches[name] = box(ax, name, color, 2.2 if on and active_nodes is not None else 1.0)
    for a, b, style in EDGES:
        on = active_edges is None or (a, b) in active_edges
        color = HIGHLIGHT if on and active_edges is not None else (INK if on else MUTED)
        if grads and (a, b) in GRADS:
            color = GRADS[(a, b)][3]
        ax.add_patch(FancyArrowPatch(center(a), center(b), connectionstyle=style, arrowstyle="-|>",
                                     patchA=patches[a], patchB=patches[b], shrinkA=1, shrinkB=1,
                                     mutation_scale=14, color=color, zorder=1,
                                     lw=2.2 if on and active_edges is not None else 1.3))
    if grads:
        for label, (x, y), align, color in GRADS.values():
            ax.text(x, y, label, fontsize=9.5, color=color, ha=align, va="center", zorder=4,
                    bbox={"fc": "white", "ec": "none", "alpha": 0.9, "pad": 1})
    if title:
        ax.text(0.0, 5.95, title, fontsize=12, weight="bold", color=INK, va="top")
    return fig


def chain(ax, y, items, title):
    """A left-to-right chain of labelled boxes joined by arrows, at height y."""
    ax.text(0.0, y + 1.0, title, fontsize=11.5, weight="bold", color=INK)
    xs, x = [], 0.0
    for label, w, fill in items:
        ax.add_patch(FancyBboxPatch((x, y), w, 0.6, boxstyle="round,pad=0.08,rounding_size=0.15",
                                    fc=fill, ec=INK, lw=1.1))
        ax.text(x + w / 2, y + 0.3, label, ha="center", va="center")
        xs.append((x, w))
        x += w + 0.7
    for (x0, w0), (x1, _) in zip(xs, xs[1:], strict=False):
        ax.add_patch(FancyArrowPatch((x0 + w0 + 0.1, y + 0.3), (x1 - 0.1, y + 0.3), arrowstyle="-|>",
                                     mutation_scale=13, color=INK, lw=1.3))


def reset_figure():
    fig, ax = plt.subplots(figsize=(11, 3.4))
    ax.set(xlim=(-0.2, 11.2), ylim=(-0.3, 3.9))
    ax.axis("off")
    chain(ax, 2.2, [(r"$h_{t-1}$", 0.9, DATA), (r"$r \odot h_{t-1}$", 1.5, GATE),
                    (r"$W_{hh}\,(r \odot h_{t-1})$", 2.3, DATA),
                    (r"$+\; W_{hx} x_t + b_h$", 2.0, DATA), (r"$\tanh \to \tilde h$", 1.5, CAND)],
          "reset BEFORE the product: this course, Ng, Cho et al. 2014, Keras reset_after=False")
    chain(ax, 0.2, [(r"$h_{t-1}$", 0.9, DATA), (r"$W_{hh}\, h_{t-1} + b_{hn}$", 2.2, DATA),
                    (r"$r \odot (\cdot)$", 1.3, GATE),
                    (r"$+\; W_{hx} x_t + b_h$", 2.0, DATA), (r"$\tanh \to n$", 1.3, CAND)],
          "reset AFTER the product: torch.nn.GRUCell / nn.GRU, cuDNN, Keras reset_after=True")
    return fig


def save(fig, path):
    fig.savefig(path, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    print("wrote", path.relative_to(ASSETS.parent))


def main():
    save(cell_figure(), HERE / "gru-cell.svg")
    titles = {"update": "Step 1 · the update gate z", "reset": "Step 2 · the reset gate r",
              "candidate": "Step 3 · the candidate h̃", "state": "Step 4 · the new state h_t"}
    for step, (nodes, edges) in STEPS.items():
        save(cell_figure(nodes, edges, titles[step]), HERE / f"gru-step-{step}.svg")
    save(reset_figure(), HERE / "reset-before-after.svg")
    save(cell_figure(title="Backward: the gradient along each edge (δ = ∂L/∂h_t); h_{t−1} is reached by 4 paths",
                     grads=True), ASSETS / "03-gru-backward" / "gru-graph.svg")


if __name__ == "__main__":
    main()
