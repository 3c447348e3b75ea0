// Lesson 06's training film, replayed in the browser (an anywidget module; film.py declares its synced state: the
// slider frame, the checkpoint shown, and _constants, every checkpoint of the run: gatelab.film.constants).
// gatelab.film.numbers computes the same numbers in Python; a browser test compares the two.
import { COLOR, mount } from "./explorer.js";
import { gateMaps, mapScale, stepCurves } from "./film_parts.js";

// --- The numbers: one checkpoint's, looked up (the gates are stored in hundredths) ---------------------------

/** Every number the film shows at checkpoint s.frame, named as gatelab.film.numbers names them. */
export function filmNumbers(s, k) {
  const at = (g) => k.sentences.map((x) => x.gates[g][s.frame].map((row) => row.map((v) => v / 100)));
  const f = at("f"), i = at("i");
  return {
    step: k.steps[s.frame], accuracy: k.accuracy[s.frame], correlation: k.correlation[s.frame], f, i,
    subject_i: k.sentences.map((x, n) => i[n][x.subject][k.unit]),
    clause_f: k.sentences.map((x, n) => f[n][x.clause][k.unit]),
  };
}

/** The text alternative: the step, the accuracy, and the unit's gates at the subject and in the clause. */
export function describeFilm(q, k) {
  const u = k.unit;
  const each = k.sentences.map((x, n) => `in "${x.text}": i at '${x.tokens[x.subject]}' = `
    + `${q.subject_i[n].toFixed(2)}, f at '${x.tokens[x.clause]}' = ${q.clause_f[n].toFixed(2)}`);
  return `step ${q.step}: held-out accuracy ${Math.round(100 * q.accuracy)} %; unit ${u} (correlation with the `
    + `number ${q.correlation >= 0 ? "+" : "−"}${Math.abs(q.correlation).toFixed(2)}): ${each.join("; ")}.`;
}

// --- The figure: per sentence, f and i as maps (units × tokens); below, accuracy and |ρ| against the step ---

const CELL = { w: 28, h: 12 }; // one unit at one token
const MAP = { top: 74, gap: 26 }; // the f map's top; the space between the f and the i map
const COLUMN = [64, 418]; // each sentence's maps' left edge
const CURVE = { left: 64, right: 430, top: 330, bottom: 420 };

function drawFilm(svg, k) {
  const maps = k.sentences.map((sentence, n) => gateMaps(svg, {
    x: COLUMN[n], top: MAP.top, cell: CELL, gap: MAP.gap, title: sentence.text, tokens: sentence.tokens,
    gates: ["f", "i"], units: k.units, unit: k.unit,
  }));
  const curves = stepCurves(svg, k.steps, CURVE, [
    { values: k.accuracy, top: 1, color: COLOR.blue, dashes: "", shape: "circle", legend: ["held-out accuracy (circle)"] },
    { values: k.correlation.map(Math.abs), top: 1, color: COLOR.vermillion, dashes: "6 3", shape: "square",
      legend: [`|correlation| of unit ${k.unit}'s c`, "with the number (dashed, square)"] },
  ]);
  mapScale(svg, CURVE.right + 30, CURVE.top + 62);
  return (q, s) => {
    maps.forEach((show, n) => show({ f: q.f[n], i: q.i[n] }));
    curves(s.frame);
  };
}

function render({ model, el }) {
  const k = model.get("_constants");
  return mount({ model, el }, {
    name: "training-film",
    height: 470,
    figureLabel: `A training film: for each of two sentences, heatmaps of every unit's forget gate f and input gate `
      + `i (rows: units 0 to ${k.units - 1}; columns: tokens; white 0, dark blue 1) at the checkpoint chosen with the `
      + `step slider, unit ${k.unit}'s row outlined; below, the held-out accuracy (solid) and unit ${k.unit}'s `
      + `|correlation| with the number (dashed) against the training step (square-root scale), a vertical line at the `
      + `step shown.`,
    draw: drawFilm,
    compute: filmNumbers,
    describe: (q) => describeFilm(q, k),
    valueText: (name, frame) => String(k.steps[frame]),
  });
}

export default { render };
