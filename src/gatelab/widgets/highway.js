// Lesson 05's explorer, computed and drawn in the browser (an anywidget module; highway.py declares its synced
// state: the sliders b_f, T and w, and _constants, the fixed input sequence, the LSTM's weights, the start states
// and the thresholds). gatelab.dynamics.highway_numbers computes the same numbers in Python (with autograd); a
// browser test compares the two.
import { COLOR, mount, sub } from "./explorer.js";
import { preActivation, sigmoid } from "./cell.js";
import { curvePanel, gradientText, gradientVerdict, log10Gradient } from "./curves.js";

// --- The math: a one-unit LSTM's gradient along its cell, and through h as well; a tanh RNN's -------------

/** Every number and word the explorer shows, named as gatelab.dynamics.highway_numbers names them. */
export function highwayNumbers(s, k) {
  const W = k.weights; // per gate g ∈ {f, i, c, o}: [w_x, w_h], its weights on x_t and h_{t-1}; biases 0 but b_f
  const lines = { cell: [], product: [], full: [], rnn: [] }, cells = [], rnns = [];
  let c = k.c0, h = k.h0, hRnn = k.rnn_h0;
  let dCell = 1, forgetProduct = 1, largest = 0, sumF = 0;
  let gc = 1, gh = 0; // ∂c_{t-1}/∂c_0 and ∂h_{t-1}/∂c_0, through every path
  let dRnn = 1;
  for (let t = 1; t <= k.x.length; t++) {
    const x = k.x[t - 1];
    // One LSTM step (COURSE.md §3), as gatelab.dynamics._lstm_unit_step.
    const f = sigmoid(preActivation(W.f[0], W.f[1], 0, x, h) + s.b_f);
    const i = sigmoid(preActivation(W.i[0], W.i[1], 0, x, h));
    const o = sigmoid(preActivation(W.o[0], W.o[1], 0, x, h));
    const cTilde = Math.tanh(preActivation(W.c[0], W.c[1], 0, x, h));
    const cNext = f * c + i * cTilde, tanhC = Math.tanh(cNext);
    // Its local derivatives, by the chain rule: of c_t and h_t = o·tanh(c_t) with respect to c_{t-1} and h_{t-1}.
    const dcDc = f; // the highway: c_t = f·c_{t-1} + …
    const dcDh = c * f * (1 - f) * W.f[1] + cTilde * i * (1 - i) * W.i[1] + i * (1 - cTilde * cTilde) * W.c[1];
    const dhDc = o * (1 - tanhC * tanhC) * dcDc;
    const dhDh = o * (1 - o) * W.o[1] * tanhC + o * (1 - tanhC * tanhC) * dcDh;
    dCell *= dcDc; // along the cell alone (the gates' input h_{t-1} held fixed)
    forgetProduct *= f;
    [gc, gh] = [dcDc * gc + dcDh * gh, dhDc * gc + dhDh * gh]; // the 2×2 chain: every path
    largest = Math.max(largest, Math.abs(dCell - forgetProduct));
    sumF += t <= s.T ? f : 0;
    [c, h] = [cNext, o * tanhC];
    // The tanh RNN h_t = tanh(w·h_{t-1} + x_t): ∂h_t/∂h_{t-1} = w·(1 − h_t²).
    hRnn = Math.tanh(s.w * hRnn + x);
    dRnn *= s.w * (1 - hRnn * hRnn);
    cells.push(dCell);
    rnns.push(dRnn);
    lines.cell.push(log10Gradient(dCell, k.floor));
    lines.product.push(log10Gradient(forgetProduct, k.floor));
    lines.full.push(log10Gradient(gc, k.floor));
    lines.rnn.push(log10Gradient(dRnn, k.floor));
  }
  const T = s.T;
  return {
    ...lines, cell_T: lines.cell[T - 1], full_T: lines.full[T - 1], rnn_T: lines.rnn[T - 1],
    cell_verdict: gradientVerdict(cells[T - 1], k), rnn_verdict: gradientVerdict(rnns[T - 1], k),
    mean_f: sumF / T, largest_difference: largest,
  };
}

/** The figure's text alternative: both gradients at T, in words. */
export function describeHighway(q, s, k) {
  const g = (log10) => gradientText(log10, k.floor);
  const difference = q.largest_difference === 0 ? "0" : q.largest_difference.toExponential(0).replace("e+", "e");
  return `At T = ${s.T}: the LSTM's ∂c_T/∂c_0 along the cell ${g(q.cell_T)} (${q.cell_verdict}), the product `
    + `f_1⋯f_T (largest difference over t: ${difference}; mean forget gate ${q.mean_f.toFixed(3)}); through h as `
    + `well, |∂c_T/∂c_0| ${g(q.full_T)}. The tanh RNN's |∂h_T/∂h_0| ${g(q.rnn_T)} (${q.rnn_verdict}).`;
}

// --- The figure: the four gradients on a log scale, t = 1 … 100, with T marked -----------------------------

function drawHighway(svg, k) {
  const dc = ["∂c", sub("t"), "/∂c", sub("0")];
  const show = curvePanel(svg, {
    box: { left: 70, right: 470, top: 40, bottom: 260 },
    tMax: k.x.length, lo: -16, hi: 4, every: 4, zones: k,
    title: ["gradients with respect to the first state, on a log scale"],
    yTitle: ["|gradient|"],
    lines: [
      { key: "cell", color: COLOR.blue, width: 2.6, legend: [["LSTM ", ...dc, " along"], ["the cell (solid)"]] },
      { key: "product", color: COLOR.blue, dots: true, legend: [["f", sub("1"), " f", sub("2"), " ⋯ f", sub("t"),
        " (circles)"]] },
      { key: "full", color: COLOR.green, width: 2, dashes: "1 4", legend: [["LSTM |", ...dc, "|, all"],
        ["paths, through h too (dotted)"]] },
      { key: "rnn", color: COLOR.vermillion, width: 2.2, dashes: "8 4", legend: [["tanh RNN |∂h", sub("t"), "/∂h",
        sub("0"), "|"], ["(dashed)"]] },
    ],
    marks: [{ key: "cell", color: COLOR.blue, shape: "circle" }, { key: "rnn", color: COLOR.vermillion, shape: "square" }],
    legendAt: { x: 488, y: 52 },
  });
  return (q, s) => show({ T: s.T, lines: q });
}

function render({ model, el }) {
  const k = model.get("_constants");
  return mount({ model, el }, {
    name: "gradient-highway",
    height: 304,
    figureLabel: "On a log scale over the time step t = 1 … 100: a one-unit LSTM's ∂c_t/∂c_0 along the cell (solid "
      + "line, a circle at T), the running product of its forget gates f_1⋯f_t (open circles, on the line), its "
      + "|∂c_t/∂c_0| through every path (dotted), and a tanh RNN's |∂h_t/∂h_0| (dashed, a square at T); a vertical "
      + "line marks T; shaded bands mark vanished (below 10^-3) and exploded (above 10^3).",
    draw: drawHighway,
    compute: highwayNumbers,
    describe: (q, s) => describeHighway(q, s, k),
  });
}

export default { render };
