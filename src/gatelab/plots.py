"""Static figures the lessons draw: small, labelled, one function per picture.

Inside a notebook's kernel every matplotlib figure is also shown as HTML: its picture with alt text that says what
it shows (describe: its title, each panel's title, axes and series), so a screen reader, the course site and
axe-core's image-alt rule get words where JupyterLab's own image output has none (install_figure_display).
"""

import base64
import html
import io

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

MAX_PANELS = 8  # panels described one by one; a grid of more (heat maps) is summarised after them


def describe(fig):
    """What fig shows, in words: 'Figure: <its title>. Panel 1, "<title>": x axis <label>, y axis <label>; lines
    LSTM, GRU. …'. Only what the figure itself says (titles, labels, legend entries, the kinds of marks)."""
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.has_data() and ax.get_label() != "<colorbar>"]
    words = [f"Figure: {fig.get_suptitle()}." if fig.get_suptitle() else "Figure."]
    if len(panels) > 1:
        words.append(f"{len(panels)} panels.")
    for k, ax in enumerate(panels[:MAX_PANELS], 1):
        words.append(_panel_words(ax, k if len(panels) > 1 else None))
    if len(panels) > MAX_PANELS:
        words.append(f"{len(panels) - MAX_PANELS} more panels like these.")
    colorbars = [ax.get_ylabel() or ax.get_xlabel() for ax in fig.axes if ax.get_label() == "<colorbar>"]
    if any(colorbars):
        words.append(f"Colour scale: {colorbars[0]}.")
    return " ".join(words)


def _panel_words(ax, number):
    """One panel's words: its title, its axes' labels, and what is drawn in it."""
    name = f"Panel {number}" if number else "One panel"
    title = f', "{ax.get_title()}"' if ax.get_title() else ""
    axes = [f"{which} axis {label}" for which, label in (("x", ax.get_xlabel()), ("y", ax.get_ylabel())) if label]
    labels = [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]
    marks = []
    if labels:
        marks.append(f"lines {', '.join(labels)}")
    elif ax.get_lines():
        marks.append(f"{len(ax.get_lines())} line{'s' if len(ax.get_lines()) > 1 else ''}")
    if ax.patches:
        marks.append(f"{len(ax.patches)} bars")
    if ax.images:
        marks.append("a heat map")
    return f"{name}{title}: " + "; ".join([", ".join(axes) or "no axis labels", *marks]) + "."


def figure_html(fig):
    """fig as an <img> of its PNG (as the inline backend draws it) with describe(fig) as its alt text."""
    png = io.BytesIO()
    fig.savefig(png, format="png", bbox_inches="tight")
    source = base64.b64encode(png.getvalue()).decode()
    return f'<img src="data:image/png;base64,{source}" alt="{html.escape(describe(fig))}">'


def install_figure_display():
    """Inside IPython (a notebook's kernel), show every figure as figure_html (the PNG with its words), and describe
    it as its plain text, instead of the inline backend's bare PNG."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return

    def register():
        formatters = shell.display_formatter.formatters
        formatters["text/html"].for_type(Figure, figure_html)
        formatters["text/plain"].for_type(Figure, lambda fig, printer, cycle: printer.text(describe(fig)))
        formatters["image/png"].pop(Figure, None)  # the picture is in the HTML already: one copy, not two

    register()
    # The inline backend, set up when the first figure is made, clears every formatter of Figure; it shows the
    # figures after a cell from a post_execute callback registered then, so ours, registered now, runs first.
    shell.events.register("post_execute", register)


install_figure_display()


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


def agreement_accuracy(reports):
    """Held-out accuracy against the distance subject-verb and against the number of attractors, one line
    per model; reports maps a model's name to gatelab.probe.report's dict."""
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.2), layout="constrained", sharey=True)
    panels = (("by distance", "distance subject → verb (tokens)"), ("by attractors", "attractors"))
    for ax, (key, xlabel) in zip(axes, panels, strict=True):
        for name, report in reports.items():
            groups = sorted(report[key])
            ax.plot(groups, [report[key][g][0] for g in groups], "o-", label=name, ms=4)
        ax.axhline(0.5, color="gray", lw=0.8, ls=":")
        ax.set(xlabel=xlabel, ylim=(0.4, 1.02))
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("held-out accuracy")
    axes[0].legend(fontsize=8)
    return fig


def gate_heatmaps(traces, tokens, names=("i", "f", "o"), unit=None):
    """One heatmap (units × tokens) per gate (rows) and sentence (columns); traces maps a sentence's
    label to gatelab.probe.trace's dict, tokens the label to its words; unit is marked by an arrow."""
    labels = list(traces)
    widths = [len(tokens[k]) for k in labels]
    fig, axes = plt.subplots(len(names), len(labels), figsize=(1.6 + 0.36 * sum(widths), 1.4 + 1.2 * len(names)),
                             dpi=80, layout="constrained", squeeze=False, width_ratios=widths)  # fmt: skip
    for row, name in enumerate(names):
        for col, label in enumerate(labels):
            ax = axes[row, col]
            image = ax.imshow(traces[label][name].T, vmin=0, vmax=1, cmap="viridis", aspect="auto")
            ax.set_yticks(range(traces[label][name].shape[1]))
            ax.tick_params(labelsize=7)
            ax.set_xticks(range(len(tokens[label])), tokens[label] if row == len(names) - 1 else [], rotation=60)
            if unit is not None:
                ax.plot([-0.9], [unit], marker=">", color="crimson", ms=6, clip_on=False)
                ax.set_xlim(-0.5, len(tokens[label]) - 0.5)
            if row == 0:
                ax.set_title(label, fontsize=9)
            if col == 0:
                ax.set_ylabel(f"{name}_t  (unit)")
    fig.colorbar(image, ax=axes, shrink=0.6, label="gate value")
    return fig


def unit_traces(traces, tokens, unit, pairs, names=("c", "i", "f")):
    """One unit's state and gates (columns: names) across the tokens, one row per pair of sentences that
    differ only in number (pairs: [(singular label, plural label)]), labelled with the singular's words."""
    fig, axes = plt.subplots(len(pairs), len(names), figsize=(3.3 * len(names), 2.3 * len(pairs)), dpi=80,
                             layout="constrained", squeeze=False)  # fmt: skip
    for row, pair in enumerate(pairs):
        for ax, name in zip(axes[row], names, strict=True):
            for label in pair:
                ax.plot(traces[label][name][:, unit], "o-", ms=3, label=label)
            ax.set_xticks(range(len(tokens[pair[0]])), tokens[pair[0]], rotation=60, fontsize=7)
            ax.set_title(f"{name}_t of unit {unit}", fontsize=9)
            ax.grid(True, alpha=0.3)
        axes[row, 0].legend(fontsize=7)
    return fig


def forget_parts(parts, tokens, unit):
    """The forget gate's pre-activation of one unit split into its parts at each token (bars: the token's
    column of W_f, the recurrent part W_f h_prev, the bias) and f_t itself (line, right axis)."""
    fig, ax = plt.subplots(figsize=(7.2, 3.2), layout="constrained")
    t = range(len(tokens))
    width = 0.27
    for k, (name, label) in enumerate((("token", "W_f column of x_t"), ("recurrent", "W_f h_prev"),
                                       ("bias", "b_f"))):  # fmt: skip
        ax.bar([s + (k - 1) * width for s in t], parts[name][:, unit], width, label=label)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xticks(list(t), tokens, rotation=45)
    ax.set(ylabel="part of the pre-activation", title=f"forget gate of unit {unit}: f_t = σ(sum of the bars)")
    twin = ax.twinx()
    twin.plot(list(t), parts["f"][:, unit], "ko-", ms=4, label="f_t")
    twin.set(ylim=(0, 1.05), ylabel="f_t")
    ax.legend(fontsize=7, loc="lower left")
    twin.legend(fontsize=7, loc="lower right")
    return fig


def token_gradients(gradients, tokens, title):
    """Bars of |∂loss/∂gate| summed over units, at each token, one group per gate (a dict gate -> (T,))."""
    fig, ax = plt.subplots(figsize=(7.2, 3.0), layout="constrained")
    width = 0.8 / len(gradients)
    for k, (name, values) in enumerate(gradients.items()):
        ax.bar([t + (k - (len(gradients) - 1) / 2) * width for t in range(len(tokens))], values, width, label=name)
    ax.set_xticks(range(len(tokens)), tokens, rotation=45)
    ax.set(ylabel="|∂ loss / ∂ gate|", title=title)
    ax.legend(fontsize=8)
    return fig


def ablation_scatter(correlation, accuracy, chosen, baseline):
    """Each unit's |correlation| with the number (x) against the hard-sentence accuracy when it alone is
    silenced (y); chosen is marked, baseline (no ablation) is a dashed line."""
    fig, ax = plt.subplots(figsize=(5.6, 3.4), layout="constrained")
    ax.scatter(correlation, accuracy, s=28)
    for unit, (x, y) in enumerate(zip(correlation, accuracy, strict=True)):
        ax.annotate(str(unit), (x, y), xytext=(4, 3), textcoords="offset points", fontsize=8)
    ax.scatter([correlation[chosen]], [accuracy[chosen]], s=120, facecolors="none", edgecolors="crimson",
               label=f"unit {chosen} (number_unit)")  # fmt: skip
    ax.axhline(baseline, color="gray", ls="--", lw=0.8, label="no ablation")
    ax.axhline(0.5, color="gray", ls=":", lw=0.8, label="chance")
    ax.set(xlabel="|corr(c before the verb, number)|", ylabel="hard accuracy, unit silenced", ylim=(0.4, 1.03))
    ax.legend(fontsize=7)
    return fig


def ablation_curves(curves):
    """Hard-sentence accuracy against the number of units silenced, in two orders (a dict name -> list)."""
    fig, ax = plt.subplots(figsize=(5.6, 3.2), layout="constrained")
    for name, values in curves.items():
        ax.plot(range(len(values)), values, "o-", ms=4, label=name)
    ax.axhline(0.5, color="gray", ls=":", lw=0.8)
    ax.set(xlabel="units silenced", ylabel="hard accuracy", ylim=(0.0, 1.03))
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def saturation(fractions):
    """Karpathy et al. (2015)'s picture: per unit, the fraction of time a gate is left-saturated (x) and
    right-saturated (y); fractions maps a label ('LSTM f') to (left (H,), right (H,))."""
    fig, ax = plt.subplots(figsize=(4.4, 4.0), layout="constrained")
    ax.plot([0, 1], [1, 0], color="gray", lw=0.8)
    for label, (left, right) in fractions.items():
        ax.scatter(left, right, s=22, alpha=0.8, label=label)
    ax.set(xlabel="fraction left-saturated (< 0.1)", ylabel="fraction right-saturated (> 0.9)", xlim=(0, 1),
           ylim=(0, 1))  # fmt: skip
    ax.legend(fontsize=7)
    return fig



# --- lesson 07: why gates specialize ---


def adding_lags(summary, labels, baseline):
    """Mean held-out MSE against the lag, one line per model; summary is {name: {lag: {"mse": …}}}."""
    fig, ax = plt.subplots(figsize=(7.2, 3.6), layout="constrained")
    for name, by_lag in summary.items():
        lags = sorted(by_lag)
        ax.plot(lags, [by_lag[lag]["mse"] for lag in lags], "o-", label=labels.get(name, name))
    ax.axhline(baseline, color="gray", ls="--", lw=1, label="always 0.5")
    ax.set(xlabel="minimal sequence length T", ylabel="held-out MSE (mean over seeds)", yscale="log",
           title="The adding problem as the lag grows")
    ax.set_xticks(sorted({lag for by_lag in summary.values() for lag in by_lag}))
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return fig


def accuracy_panels(panels, title):
    """A grid of panels of held-out accuracy, one line per model: panels is a list of rows, each a list of
    {"title", "xlabel", "x": [labels], "lines": {model: [accuracy per x]}, "shade": (first, last) index or None
    (a grey band), "target": a dashed level or None}; chance (0.5) dotted."""
    fig, axes = plt.subplots(len(panels), len(panels[0]), figsize=(5.5 * len(panels[0]), 3.6 * len(panels)),
                             sharey=True, layout="constrained", squeeze=False)  # fmt: skip
    for row, axes_row in zip(panels, axes, strict=True):
        for panel, ax in zip(row, axes_row, strict=True):
            positions = range(len(panel["x"])) if isinstance(panel["x"][0], str) else panel["x"]
            if panel.get("shade"):
                first, last = panel["shade"]
                ax.axvspan(first - 0.4, last + 0.4, color="0.92", label="bins of training distances")
            for label, values in panel["lines"].items():
                ax.plot(positions, values, marker="o" if isinstance(panel["x"][0], str) else None, label=label)
            if panel.get("target"):
                ax.axhline(panel["target"], color="gray", ls="--", label=f"target {panel['target']:.0%}")
            ax.axhline(0.5, color="gray", ls=":", label="chance")
            if isinstance(panel["x"][0], str):
                ax.set_xticks(list(positions), panel["x"])
            ax.set(xlabel=panel["xlabel"], ylabel="held-out accuracy", ylim=(0.4, 1.02), title=panel["title"])
    axes[0, 0].legend(fontsize=8)
    fig.suptitle(title)
    return fig


def runs_at_two_lengths(runs, lengths, baseline, learned, title):
    """Every run's held-out MSE on a log scale, one column per model: runs is {model label: [(MSE at lengths[0],
    MSE at lengths[1]) per run]}, circles at the first length and triangles at the second; the baseline dashed, the
    "learned" line dotted."""
    fig, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
    for k, pairs in enumerate(runs.values()):
        for offset, (marker, color), length, values in zip((-0.12, 0.12), (("o", "C0"), ("^", "C3")), lengths,
                                                           zip(*pairs, strict=True), strict=True):  # fmt: skip
            ax.scatter([k + offset] * len(values), values, marker=marker, color=color,
                       label=f"streams of {length} steps" if k == 0 else None)
    ax.axhline(baseline, color="gray", ls="--", label="always answering 0.5")
    ax.axhline(learned, color="gray", ls=":", label="learned (a tenth of that)")
    ax.set_yscale("log")
    ax.set_xticks(range(len(runs)), list(runs), rotation=30, ha="right", fontsize=8)
    ax.set(ylabel="held-out MSE (log scale)", title=title)
    ax.legend(fontsize=8)
    return fig


def loss_curves(runs, every, baseline, title=None):
    """Training-loss curves {label: [mean loss per window of every steps]} on a log scale, with the baseline."""
    fig, ax = plt.subplots(figsize=(7.2, 3.2), layout="constrained")
    for label, losses in runs.items():
        ax.plot([every * (k + 1) for k in range(len(losses))], losses, label=label)
    ax.axhline(baseline, color="gray", ls="--", lw=1, label="always 0.5")
    ax.set(xlabel="training step", ylabel="training MSE", yscale="log", title=title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return fig


def ablation_bars(scores, baseline):
    """Grouped bars: {model: {ablation: MSE}}, log scale, with the baseline."""
    fig, ax = plt.subplots(figsize=(7.2, 3.2), layout="constrained")
    models = list(scores)
    names = list(next(iter(scores.values())))
    width = 0.8 / len(models)
    for k, model in enumerate(models):
        ax.bar([j + k * width for j in range(len(names))], [scores[model][n] for n in names], width, label=model)
    ax.axhline(baseline, color="gray", ls="--", lw=1, label="always 0.5")
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(names))], names, fontsize=8)
    ax.set(ylabel="held-out MSE", yscale="log", title="A trained LSTM with one gate held fixed")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=7)
    return fig
