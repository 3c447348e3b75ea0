// Lesson 02's gate explorer, computed and drawn in the browser (an anywidget module; gru_gate.py declares
// its synced state: one number per slider, and _settings, each slider's label, range and step).
// gatelab.dynamics.gru_gate_step computes the same numbers in Python; a browser test compares the two.
import { COLOR, TEXT_COLOR, mount, sub } from "./explorer.js";
import { barPanel, gatePanel } from "./gate_panels.js";
import { preActivation, sigmoid } from "./cell.js";

// --- The math: one GRU unit's update gate and the memory it makes, in the course's notation --------------

/** Every number the explorer shows, named as gatelab.dynamics.gru_gate_step names them. */
export function gruGateStep(s) {
  const a = preActivation(s.w_x, s.w_h, s.b, s.x, s.h_prev);
  const z = sigmoid(a); // the update gate
  const keep = (1 - z) * s.h_prev; // the old memory kept
  const write = z * s.h_tilde; // the candidate written
  return { a, z, keep, write, h_next: write + keep }; // h_next = z·h_tilde + (1 − z)·h_prev
}

/** The figure's text alternative: what the gate does, in words, and h_next. */
export function describe(q) {
  const what = q.z >= 0.9 ? "the candidate replaces the memory"
    : q.z <= 0.1 ? "the memory is kept" : `${Math.round(100 * q.z)}% candidate, ${Math.round(100 * (1 - q.z))}% old memory`;
  return `z = ${q.z.toFixed(2)}: ${what}; h_next = ${q.h_next.toFixed(2)}`;
}

// --- The figure: the sigmoid with the gate's operating point; the memory's bars ------------------------

function draw(svg) {
  const showGate = gatePanel(svg, [
    { gate: "z", color: COLOR.blue, textColor: TEXT_COLOR.blue, shape: "circle", dashes: "5 3" },
  ], sigmoid);
  const showBars = barPanel(svg, ["h", sub("next"), " = z·h̃ + (1 − z)·h", sub("prev")], [
    { key: "h_prev", parts: ["h", sub("prev")], color: COLOR.grey },
    { key: "keep", parts: ["(1−z)·h", sub("prev")], color: COLOR.grey },
    { key: "h_tilde", parts: ["h̃"], color: COLOR.orange },
    { key: "write", parts: ["z·h̃"], color: COLOR.orange },
    { key: "h_next", parts: ["h", sub("next")], color: COLOR.blue },
  ], 1.1, [-1, -0.5, 0.5, 1]);
  return (q, s) => {
    showGate("z", q.a, q.z);
    showBars({ ...s, ...q }); // h_prev and h_tilde are settings; the rest, numbers computed
  };
}

function render({ model, el }) {
  return mount({ model, el }, {
    name: "gru-gate",
    figureLabel: "Left: the sigmoid with the operating point of the update gate z (circle). Right: bars h_prev, "
      + "(1 − z)·h_prev, h̃, z·h̃ and the new memory h_next.",
    draw,
    compute: gruGateStep,
    describe,
  });
}

export default { render };
