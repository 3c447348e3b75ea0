// Lesson 06's training film, replayed in the browser (an anywidget module; film.py declares its synced state: the
// slider frame, the checkpoint shown, and _constants, every checkpoint of the run: gatelab.film.constants).
// gatelab.film.numbers computes the same numbers in Python; a browser test compares the two.
import { COLOR, TEXT_COLOR, label, mount, node } from "./explorer.js";

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

// --- The figure: per sentence, f and i as heatmaps (units × tokens); below, accuracy and |ρ| against the step ---

const CELL = { w: 28, h: 12 }; // one unit at one token
const MAP = { top: 74, gap: 26 }; // the f map's top; the space between the f and the i map
const COLUMN = [64, 418]; // each sentence's maps' left edge
const CURVE = { left: 64, right: 430, top: 330, bottom: 420 };

/** A gate's value in [0, 1] as a fill, white to dark blue (linear in RGB). */
const LIGHT = [247, 251, 255], DARK = [8, 48, 107];
export function fill(v) {
  const c = LIGHT.map((lo, n) => Math.round(lo + (DARK[n] - lo) * Math.min(Math.max(v, 0), 1)));
  return `rgb(${c.join(",")})`;
}

/** One sentence's two maps at column x, built once; returns show(f, i) that recolours their cells. */
function sentenceMaps(svg, k, sentence, x) {
  const T = sentence.tokens.length, H = k.units;
  label(svg, x + (T * CELL.w) / 2, 16, [sentence.text], { "font-weight": "bold" });
  sentence.tokens.forEach((token, t) => {
    const tx = x + (t + 0.5) * CELL.w, ty = MAP.top - 6;
    label(svg, tx, ty, [token], { "text-anchor": "start", transform: `rotate(-45 ${tx} ${ty})`, "font-size": 11 });
  });
  const cells = {};
  ["f", "i"].forEach((g, m) => {
    const top = MAP.top + m * (H * CELL.h + MAP.gap);
    label(svg, x - 40, top + (H * CELL.h) / 2 + 4, [g], { "font-size": 15, "font-weight": "bold" });
    label(svg, x - 4, top - 3, ["unit"], { "text-anchor": "end", "font-size": 10 });
    cells[g] = [];
    for (let u = 0; u < H; u++) {
      const y = top + u * CELL.h;
      label(svg, x - 4, y + CELL.h - 2, [String(u)], { "text-anchor": "end", "font-size": 10,
        ...(u === k.unit ? { "font-weight": "bold", fill: TEXT_COLOR.vermillion } : {}) });
      cells[g].push(sentence.tokens.map((_, t) => node(svg, "rect", {
        x: x + t * CELL.w, y, width: CELL.w, height: CELL.h, stroke: "#fff", "stroke-width": 0.5,
      })));
    }
    // The number unit's row, outlined from the start.
    node(svg, "rect", { x: x - 1, y: top + k.unit * CELL.h - 1, width: T * CELL.w + 2, height: CELL.h + 2,
      fill: "none", stroke: COLOR.vermillion, "stroke-width": 2.5 });
  });
  return (f, i) => {
    for (const [g, values] of [["f", f], ["i", i]]) {
      values.forEach((row, t) => row.forEach((v, u) => cells[g][u][t].setAttribute("fill", fill(v))));
    }
  };
}

/** The curves against the step (accuracy, the unit's |ρ|), built once; returns show(frame) that moves the marker. */
function filmCurves(svg, k) {
  const last = k.steps[k.steps.length - 1];
  // A square-root scale of the step: small networks learn most in their first few dozen steps.
  const px = (step) => CURVE.left + Math.sqrt(step / last) * (CURVE.right - CURVE.left);
  const py = (v) => CURVE.bottom - v * (CURVE.bottom - CURVE.top);
  const g = node(svg, "g", { class: "gl-axes" });
  node(g, "rect", { x: CURVE.left, y: CURVE.top, width: CURVE.right - CURVE.left, height: CURVE.bottom - CURVE.top });
  for (const v of [0, 0.5, 1]) label(g, CURVE.left - 6, py(v) + 4, [String(v)], { "text-anchor": "end" });
  for (const step of new Set([0, Math.round(last / 12), Math.round(last / 3), last])) {
    label(g, px(step), CURVE.bottom + 15, [String(step)]);
  }
  label(g, (CURVE.left + CURVE.right) / 2, CURVE.bottom + 32, ["training step (square-root scale)"]);
  node(g, "line", { x1: CURVE.left, x2: CURVE.right, y1: py(0.5), y2: py(0.5), class: "gl-grid" });
  const line = (values, color, dashes) => node(svg, "polyline", {
    points: values.map((v, n) => `${px(k.steps[n]).toFixed(1)},${py(v).toFixed(1)}`).join(" "),
    fill: "none", stroke: color, "stroke-width": 2, "stroke-dasharray": dashes,
  });
  line(k.accuracy, COLOR.blue, "");
  line(k.correlation.map(Math.abs), COLOR.vermillion, "6 3");
  const marker = node(svg, "line", { y1: CURVE.top, y2: CURVE.bottom, stroke: "#1a1a1a", "stroke-width": 1.5 });
  const dot = node(svg, "circle", { r: 5, fill: COLOR.blue, stroke: "#fff", "stroke-width": 1.5 });
  const square = node(svg, "rect", { width: 9, height: 9, fill: COLOR.vermillion, stroke: "#fff", "stroke-width": 1.5 });
  // The legend, and the colour scale of the maps.
  const lx = CURVE.right + 30;
  node(svg, "line", { x1: lx, x2: lx + 26, y1: CURVE.top + 6, y2: CURVE.top + 6, stroke: COLOR.blue, "stroke-width": 2 });
  label(svg, lx + 32, CURVE.top + 10, ["held-out accuracy (circle)"], { "text-anchor": "start" });
  node(svg, "line", { x1: lx, x2: lx + 26, y1: CURVE.top + 26, y2: CURVE.top + 26, stroke: COLOR.vermillion,
    "stroke-width": 2, "stroke-dasharray": "6 3" });
  label(svg, lx + 32, CURVE.top + 30, [`|correlation| of unit ${k.unit}'s c`], { "text-anchor": "start" });
  label(svg, lx + 32, CURVE.top + 45, ["with the number (dashed, square)"], { "text-anchor": "start" });
  for (let n = 0; n <= 10; n++) {
    node(svg, "rect", { x: lx + 16 * n, y: CURVE.top + 62, width: 16, height: 12, fill: fill(n / 10) });
  }
  label(svg, lx, CURVE.top + 88, ["0"]);
  label(svg, lx + 176, CURVE.top + 88, ["1"]);
  label(svg, lx + 88, CURVE.top + 88, ["gate value in the maps"]);
  return (frame) => {
    const x = px(k.steps[frame]);
    marker.setAttribute("x1", x);
    marker.setAttribute("x2", x);
    dot.setAttribute("cx", x);
    dot.setAttribute("cy", py(k.accuracy[frame]));
    square.setAttribute("x", x - 4.5);
    square.setAttribute("y", py(Math.abs(k.correlation[frame])) - 4.5);
  };
}

function drawFilm(svg, k) {
  const maps = k.sentences.map((sentence, n) => sentenceMaps(svg, k, sentence, COLUMN[n]));
  const curves = filmCurves(svg, k);
  return (q, s) => {
    maps.forEach((show, n) => show(q.f[n], q.i[n]));
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
