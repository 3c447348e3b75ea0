"""Draw the LSTM cell figures of lessons 04 and 05 as SVG: one diagram, one part highlighted per figure.

Run from the repository root: `python assets/04-lstm-forward/draw_cell.py`. It writes
assets/04-lstm-forward/{lstm-cell,forget,input,candidate,cell-update,output}.svg and
assets/05-lstm-backward/{backward,highway}.svg. Plain Python, no dependencies.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INK, DIM, BACK = "#333333", "#c8c8c8", "#c0392b"
SUB = "₀₁₂₃₄₅₆₇₈₉"
COLORS = {"f": "#c0392b", "i": "#2e86c1", "c": "#8e44ad", "o": "#d68910", "cell": "#1e8449"}
FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'

# Where things sit: the cell state runs along the top (y = 70), [h_prev, x_t] along the bottom (y = 270).
Y_C, Y_GATE, Y_HX = 70, 190, 270
X = {"f": 190, "i": 290, "c": 370, "o": 470, "tanh": 560}
PARTS = {  # part -> the components it lights up
    "all": {"f", "i", "c", "o", "cell", "hx"},
    "forget": {"f", "mul_f", "hx"},
    "input": {"i", "mul_i", "hx"},
    "candidate": {"c", "mul_i", "hx"},
    "cell-update": {"mul_f", "mul_i", "plus", "cell", "f", "i", "c"},
    "output": {"o", "tanh", "mul_o", "h_out", "hx", "cell_to_tanh"},
}


def color(part, component, key=None):
    """The colour of a component: its own when lit (or always, for part 'all'), light grey otherwise."""
    lit = PARTS[part]
    if part == "all" or component in lit:
        return COLORS.get(key or component, INK)
    return DIM


def line(x1, y1, x2, y2, stroke, arrow=True, width=2.2, dash=None):
    head = f' marker-end="url(#arrow-{stroke[1:]})"' if arrow else ""
    dashes = f' stroke-dasharray="{dash}"' if dash else ""
    return f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{stroke}" stroke-width="{width}"{dashes}{head}/>'


def text(x, y, s, fill=INK, size=15, anchor="middle", weight="normal", italic=False):
    style = ' font-style="italic"' if italic else ""
    return (
        f'<text x="{x}" y="{y}" fill="{fill}" font-size="{size}" text-anchor="{anchor}" '
        f'font-weight="{weight}"{style}>{s}</text>'
    )


def node(x, y, symbol, stroke):
    """A pointwise operation (⊙, +) drawn as a circle."""
    return f'<circle cx="{x}" cy="{y}" r="14" fill="#fff" stroke="{stroke}" stroke-width="2"/>' + text(
        x, y + 6, symbol, stroke, 18
    )


def box(x, y, label, stroke, w=56, h=34):
    """A layer: σ or tanh of W·[h_prev, x_t] + b."""
    return (
        f'<rect x="{x - w / 2}" y="{y - h / 2}" width="{w}" height="{h}" rx="7" fill="#fff" '
        f'stroke="{stroke}" stroke-width="2"/>' + text(x, y + 5, label, stroke, 15)
    )


def marker(ink):
    """An arrowhead in the colour ink, used as url(#arrow-RRGGBB)."""
    return (
        f'<marker id="arrow-{ink[1:]}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="{ink}"/></marker>'
    )


def header(width, height, title):
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" {FONT} font-size="15">\n<title>{title}</title>\n'
        f"<defs>{''.join(marker(ink) for ink in (INK, DIM, BACK, *COLORS.values()))}</defs>\n"
        f'<rect width="{width}" height="{height}" fill="#fff"/>\n'
    )


def cell_diagram(part, caption, backward=False):
    """The LSTM cell with `part` highlighted (see PARTS); backward=True adds the gradients in red."""
    c = lambda comp, key=None: color(part, comp, key)  # noqa: E731
    cell_ink = c("cell")
    out = [header(680, 370, f"LSTM cell: {caption}")]
    out.append(
        '<rect x="120" y="30" width="500" height="280" rx="16" fill="#f7f9fc" stroke="#9aa9bd" stroke-width="1.5"/>'
    )
    # the cell state, along the top
    out.append(text(40, Y_C + 5, "cₜ₋₁", cell_ink))
    out.append(line(70, Y_C, X["f"] - 15, Y_C, cell_ink))
    out.append(node(X["f"], Y_C, "×", c("mul_f", "f") if part != "cell-update" else cell_ink))
    out.append(line(X["f"] + 14, Y_C, X["c"] - 15, Y_C, cell_ink))
    out.append(node(X["c"], Y_C, "+", cell_ink if part in ("cell-update", "all") else DIM))
    out.append(line(X["c"] + 14, Y_C, 640, Y_C, cell_ink))
    out.append(text(660, Y_C + 5, "cₜ", cell_ink))
    # [h_prev, x_t] along the bottom, feeding every gate
    hx = c("hx") if part != "cell-update" else DIM
    out.append(text(40, Y_HX + 5, "hₜ₋₁", hx))
    out.append(line(70, Y_HX, X["o"], Y_HX, hx, arrow=False))
    out.append(text(150, 350, "xₜ", hx))
    out.append(line(150, 333, 150, Y_HX + 3, hx))
    out.append(text(240, Y_HX + 22, "[hₜ₋₁, xₜ]", hx, 13))
    for g, label in (("f", "σ"), ("i", "σ"), ("c", "tanh"), ("o", "σ")):
        out.append(line(X[g], Y_HX, X[g], Y_GATE + 18, hx if part == "all" or g in PARTS[part] else DIM))
        out.append(box(X[g], Y_GATE, label, c(g)))
    # forget gate -> × on the cell line
    out.append(line(X["f"], Y_GATE - 17, X["f"], Y_C + 15, c("f")))
    out.append(text(X["f"] - 10, 135, "fₜ", c("f"), anchor="end"))
    # input gate and candidate -> × -> + on the cell line
    y_mul = 125
    out.append(line(X["i"], Y_GATE - 17, X["c"] - 13, y_mul + 6, c("i")))
    out.append(text(X["i"] - 8, 160, "iₜ", c("i"), anchor="end"))
    out.append(line(X["c"], Y_GATE - 17, X["c"], y_mul + 15, c("c")))
    out.append(text(X["c"] + 10, 165, "c̃ₜ", c("c"), anchor="start"))
    mul_i = c("mul_i", "cell") if part in ("cell-update", "all") else c("mul_i", "i" if part == "input" else "c")
    out.append(node(X["c"], y_mul, "×", mul_i))
    out.append(line(X["c"], y_mul - 14, X["c"], Y_C + 15, mul_i))
    # output: tanh(c_t) × o_t -> h_t
    o_ink = c("o")
    tanh_ink = c("tanh", "o")
    out.append(line(X["tanh"], Y_C, X["tanh"], 108, c("cell_to_tanh", "cell") if part == "output" else cell_ink))
    out.append(f'<ellipse cx="{X["tanh"]}" cy="125" rx="26" ry="16" fill="#fff" stroke="{tanh_ink}" stroke-width="2"/>')
    out.append(text(X["tanh"], 130, "tanh", tanh_ink, 13))
    out.append(line(X["tanh"], 141, X["tanh"], Y_GATE - 15, tanh_ink))
    out.append(line(X["o"] + 28, Y_GATE, X["tanh"] - 15, Y_GATE, o_ink))
    out.append(text(X["o"] + 45, Y_GATE - 8, "oₜ", o_ink))
    mul_o = c("mul_o", "o")
    out.append(node(X["tanh"], Y_GATE, "×", mul_o))
    h_ink = c("h_out", "o")
    out.append(line(X["tanh"], Y_GATE + 14, X["tanh"], Y_HX + 20, h_ink, arrow=False))
    out.append(line(X["tanh"], Y_HX + 20, 640, Y_HX + 20, h_ink))
    out.append(text(660, Y_HX + 25, "hₜ", h_ink))
    if backward:
        out += backward_labels()
    out.append(text(370, 22, caption, INK, 14, weight="bold"))
    out.append("</svg>\n")
    return "\n".join(out)


def backward_labels():
    """Red gradient labels along the wires of the cell diagram (lesson 05)."""
    r = lambda x, y, s, anchor="middle": text(x, y, s, BACK, 13, anchor, italic=True)  # noqa: E731
    return [
        r(640, Y_C - 12, "dc_next", "end"),
        r(640, Y_HX + 42, "dh_next", "end"),
        r(X["c"] + 50, Y_C - 12, "dc"),
        r(X["f"] - 22, Y_C - 12, "dc_prev = dc ⊙ fₜ", "end"),
        r(X["f"] + 8, 150, "df", "start"),
        r(X["i"] + 38, 142, "di", "end"),
        r(X["c"] + 22, 152, "dc̃", "start"),
        r(X["o"] + 45, Y_GATE + 28, "do"),
        r(X["tanh"] + 12, 98, "dc from hₜ", "start"),
        r(300, Y_HX + 55, "d[hₜ₋₁, xₜ] = Σ_g da_g W_g   →   dh_prev, dx_t"),
    ]


def highway(steps=4):
    """The cell state unrolled over time: the gradient flows back through one × f_t per step."""
    width, height = 140 * steps + 160, 230
    out = [header(width, height, "The gradient highway: dc_prev = dc ⊙ f_t along the cell state")]
    out.append(
        text(
            width / 2,
            24,
            "the gradient highway: along the cell state, each step multiplies by fₜ",
            INK,
            14,
            weight="bold",
        )
    )
    x0 = 60
    out.append(text(x0 - 25, 95, "c₀", COLORS["cell"]))
    for t in range(1, steps + 1):
        xm = x0 + 140 * (t - 1) + 60
        out.append(line(x0 + 140 * (t - 1), 90, xm - 15, 90, COLORS["cell"]))
        out.append(node(xm, 90, "×", COLORS["f"]))
        out.append(line(xm, 150, xm, 105, COLORS["f"]))
        out.append(text(xm, 168, f"f{SUB[t]}", COLORS["f"]))
        out.append(line(xm + 14, 90, xm + 45, 90, COLORS["cell"]))
        out.append(node(xm + 60, 90, "+", COLORS["cell"]))
        out.append(line(xm + 60, 140, xm + 60, 105, COLORS["i"]))
        out.append(text(xm + 60, 158, f"i{SUB[t]}c̃{SUB[t]}", COLORS["i"], 13))
    x_end = x0 + 140 * steps
    out.append(line(x_end - 6, 90, x_end + 20, 90, COLORS["cell"]))
    out.append(text(x_end + 40, 95, f"c{SUB[steps]}", COLORS["cell"]))
    out.append(line(x_end + 20, 60, x0, 60, BACK, width=2, dash="6 4"))
    out.append(
        text(
            width / 2,
            52,
            f"∂c{SUB[steps]}/∂c₀ along the highway = " + " ⊙ ".join(f"f{SUB[t]}" for t in range(steps, 0, -1)),
            BACK,
            13,
            italic=True,
        )
    )
    out.append(
        text(
            width / 2,
            205,
            "no weight matrix, no squashing on this path: the factor per step is the forget gate itself",
            "#555",
            12,
        )
    )
    out.append("</svg>\n")
    return "\n".join(out)


FIGURES = {
    "04-lstm-forward/lstm-cell.svg": ("all", "the whole LSTM cell"),
    "04-lstm-forward/forget.svg": ("forget", "1. the forget gate fₜ"),
    "04-lstm-forward/input.svg": ("input", "2. the input gate iₜ"),
    "04-lstm-forward/candidate.svg": ("candidate", "3. the candidate c̃ₜ"),
    "04-lstm-forward/cell-update.svg": ("cell-update", "4. the cell update cₜ = fₜ ⊙ cₜ₋₁ + iₜ ⊙ c̃ₜ"),
    "04-lstm-forward/output.svg": ("output", "5. the output gate: hₜ = oₜ ⊙ tanh(cₜ)"),
}

if __name__ == "__main__":
    for name, (part, caption) in FIGURES.items():
        (ROOT / "assets" / name).write_text(cell_diagram(part, caption))
    (ROOT / "assets/05-lstm-backward/backward.svg").write_text(
        cell_diagram("all", "the gradients, read backwards off the graph", backward=True)
    )
    (ROOT / "assets/05-lstm-backward/highway.svg").write_text(highway())
