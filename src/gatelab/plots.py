"""Static figures the lessons draw: small, labelled, one function per picture."""

import matplotlib.pyplot as plt


def curves(x, ys, xlabel, ylabel, logy=False, title=None, styles=None):
    """One axes with a line per entry of ys (label -> values over x); returns the figure."""
    fig, ax = plt.subplots(figsize=(6.4, 3.2), layout="constrained")
    for label, y in ys.items():
        ax.plot(x, y, (styles or {}).get(label, "-"), label=label)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if logy:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return fig


# --- lesson 06: how gates learn without labels ---


# --- lesson 07: why gates specialize ---
