// Lesson 01's explorer, computed and drawn in the browser (an anywidget module; rnn.py declares its synced state:
// the sliders w, scale and T, and _constants, the fixed input sequence at scale 1 and the thresholds).
// gatelab.dynamics.vanishing_numbers computes the same numbers in Python; a browser test compares the two.
import { COLOR, mount, sub, sup } from "./explorer.js";
import { curvePanel, gradientText, gradientVerdict, log10Gradient } from "./curves.js";

// --- The math: a one-unit tanh RNN and its gradient through time -------------------------------------------

/** Every number and word the explorer shows, named as gatelab.dynamics.vanishing_numbers names them. */
export function vanishingNumbers(s, k) {
  const tanh = [], linear = [];
  let h = k.h0, dh = 1; // h_t, and ∂h_t/∂h_0: the product of the local derivatives so far
  const gradients = [];
  for (let t = 1; t <= k.x.length; t++) {
    h = Math.tanh(s.w * h + s.scale * k.x[t - 1]); // h_t = tanh(w·h_{t-1} + x_t), x_t = scale·(the fixed input)
    dh *= s.w * (1 - h * h); // ∂h_t/∂h_{t-1} = w·(1 − h_t²)
    gradients.push(dh);
    tanh.push(log10Gradient(dh, k.floor));
    linear.push(log10Gradient(Math.abs(s.w) ** t, k.floor)); // a linear RNN (no tanh): |w|^t
  }
  return { tanh, linear, tanh_T: tanh[s.T - 1], verdict: gradientVerdict(gradients[s.T - 1], k) };
}

const MEANING = {
  vanished: "h_0 barely influences h_T",
  survives: "h_0 still shapes h_T",
  exploded: "tiny changes to h_0 swamp h_T",
};

/** The figure's text alternative: the gradient at T, in words. */
export function describeVanishing(q, s, k) {
  return `|∂h_T/∂h_0| ${gradientText(q.tanh_T, k.floor)} at T = ${s.T}: ${q.verdict} — ${MEANING[q.verdict]}`;
}

// --- The figure: |∂h_t/∂h_0| and |w|^t on a log scale, up to T --------------------------------------------

function drawVanishing(svg, k) {
  const show = curvePanel(svg, {
    box: { left: 70, right: 500, top: 40, bottom: 260 },
    tMax: k.x.length, lo: -12, hi: 8, every: 4, zones: k,
    title: ["|∂h", sub("t"), "/∂h", sub("0"), "| on a log scale, for t = 1 … T"],
    yTitle: ["|∂h", sub("t"), "/∂h", sub("0"), "|"],
    lines: [
      { key: "tanh", color: COLOR.blue, width: 2.4, legend: [["tanh RNN: |∂h", sub("t"), "/∂h", sub("0"), "|"],
        ["(solid; the dot at T)"]] },
      { key: "linear", color: COLOR.grey, width: 1.8, dashes: "7 4", legend: [["|w|", sup("t"), ": a linear RNN"],
        ["(no tanh; dashed)"]] },
    ],
    marks: [{ key: "tanh", color: COLOR.blue, shape: "circle" }],
    legendAt: { x: 516, y: 60 },
  });
  return (q, s) => show({ T: s.T, lines: q, counts: { tanh: s.T, linear: s.T } });
}

function render({ model, el }) {
  const k = model.get("_constants");
  return mount({ model, el }, {
    name: "vanishing-gradient",
    height: 304,
    figureLabel: "On a log scale over the time step t, up to T: the tanh RNN's |∂h_t/∂h_0| (solid line, a dot at T) "
      + "and |w|^t, a linear RNN's (dashed line); shaded bands mark vanished (below 10^-3) and exploded (above 10^3).",
    draw: drawVanishing,
    compute: vanishingNumbers,
    describe: (q, s) => describeVanishing(q, s, k),
  });
}

export default { render };
