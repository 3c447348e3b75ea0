// Lesson 04's gate explorer, computed and drawn in the browser (an anywidget module; lstm_gate.py declares
// its synced state: one number per slider, and _settings, each slider's label, range and step).
// gatelab.dynamics.lstm_gate_step computes the same numbers in Python; a browser test compares the two.
import { COLOR, TEXT_COLOR, mount, sub } from "./explorer.js";
import { barPanel, gatePanel } from "./gate_panels.js";
import { preActivation, sigmoid } from "./cell.js";

// --- The math: one LSTM unit, one step, in the course's notation ----------------------------------------

/** Every number the explorer shows, named as gatelab.dynamics.lstm_gate_step names them. */
export function lstmGateStep(s) {
  const a_f = preActivation(s.w_fx, s.w_fh, s.b_f, s.x, s.h_prev); // forget gate
  const a_i = preActivation(s.w_ix, s.w_ih, s.b_i, s.x, s.h_prev); // input gate
  const f = sigmoid(a_f), i = sigmoid(a_i);
  const f_c_prev = f * s.c_prev; // what survives of the memory
  const i_c_tilde = i * s.c_tilde; // what is written into it
  return { a_f, f, a_i, i, f_c_prev, i_c_tilde, c: f_c_prev + i_c_tilde }; // c: the new memory c_t
}

/** The figure's text alternative: what the gates do, in words, and c_t. */
export function describe(q) {
  const pct = (g) => `${Math.round(100 * g)}%`;
  const kept = q.f >= 0.9 ? "the memory is kept" : q.f <= 0.1 ? "the memory is forgotten" : `${pct(q.f)} of the memory is kept`;
  const written = q.i >= 0.9 ? "c̃ is written" : q.i <= 0.1 ? "almost nothing is written" : `${pct(q.i)} of c̃ is written`;
  return `f = ${q.f.toFixed(2)}: ${kept}; i = ${q.i.toFixed(2)}: ${written}; c_t = ${q.c.toFixed(2)}`;
}

// --- The figure: the sigmoid with both gates' operating points; the memory's bars -----------------------

function draw(svg) {
  const showGate = gatePanel(svg, [
    { gate: "f", color: COLOR.vermillion, textColor: TEXT_COLOR.vermillion, shape: "circle", dashes: "5 3" },
    { gate: "i", color: COLOR.green, textColor: TEXT_COLOR.green, shape: "square", dashes: "1.5 3" },
  ], sigmoid);
  const showBars = barPanel(svg, ["c", sub("t"), " = f·c", sub("prev"), " + i·c̃"], [
    { key: "c_prev", parts: ["c", sub("prev")], color: COLOR.grey },
    { key: "f_c_prev", parts: ["f·c", sub("prev")], color: COLOR.vermillion },
    { key: "c_tilde", parts: ["c̃"], color: COLOR.orange },
    { key: "i_c_tilde", parts: ["i·c̃"], color: COLOR.green },
    { key: "c", parts: ["c", sub("t")], color: COLOR.blue },
  ], 3.1, [-3, -2, -1, 1, 2, 3]);
  return (q, s) => {
    showGate("f", q.a_f, q.f);
    showGate("i", q.a_i, q.i);
    showBars({ ...s, ...q }); // c_prev and c_tilde are settings; the rest, numbers computed
  };
}

function render({ model, el }) {
  return mount({ model, el }, {
    name: "lstm-gate",
    figureLabel: "Left: the sigmoid with the operating points of the forget gate f (circle) and the input gate i "
      + "(square). Right: bars c_prev, f·c_prev, c̃, i·c̃ and the new memory c_t.",
    draw,
    compute: lstmGateStep,
    describe,
  });
}

export default { render };
