// Lesson 07's identical-start film, replayed in the browser (an anywidget module; film.py declares its synced state:
// the slider frame, the checkpoint shown, and _constants, every checkpoint of the cached run:
// gatelab.film.identical_start_constants). gatelab.film.identical_start_numbers computes the same numbers in
// Python; a browser test compares the two.
import { COLOR, TEXT_COLOR, mount } from "./explorer.js";
import { gateMaps, mapScale, stepCurves } from "./film_parts.js";

const GATES = ["f", "i", "o"];

// --- The numbers: one checkpoint's, read from the constants (each gate map is a string of hundredths) ----------

/** A gate map written two digits per value (step by step, unit by unit), as (T, H) values. */
export function fromHundredths(text, units) {
  const values = [];
  for (let n = 0; n < text.length; n += 2) values.push(Number(text.slice(n, n + 2)) / 100);
  const rows = [];
  for (let t = 0; t < values.length; t += units) rows.push(values.slice(t, t + units));
  return rows;
}

/** The unit's mean of each gate over the steps given, at one checkpoint's maps. */
function unitMean(maps, unit, steps) {
  return Object.fromEntries(GATES.map((g) => [g, steps.reduce((sum, t) => sum + maps[g][t][unit], 0) / steps.length]));
}

/** Every number the film shows at checkpoint s.frame, named as gatelab.film.identical_start_numbers names them. */
export function identicalNumbers(s, k) {
  const maps = Object.fromEntries(GATES.map((g) => [g, fromHundredths(k.maps[g][s.frame], k.units)]));
  const other = k.values.map((_, t) => t).filter((t) => !k.marks.includes(t));
  return {
    step: k.steps[s.frame], solved: k.solved[s.frame], mse: k.mse[s.frame],
    distance: Object.fromEntries(Object.entries(k.distance).map(([pair, d]) => [pair, d[s.frame]])),
    answer: k.answer[s.frame], ...maps,
    marked: unitMean(maps, k.unit, k.marks), other: unitMean(maps, k.unit, other),
  };
}

/** The text alternative: the step, how well the network does, how far apart the blocks are, and the outlined
 * unit's gates at the marks and elsewhere. */
export function describeIdentical(q, k) {
  const means = (m) => GATES.map((g) => `${g} ${m[g].toFixed(2)}`).join(", ");
  const distances = Object.entries(q.distance).map(([pair, d]) => `${pair.replace("-", "–")} ${d.toFixed(2)}`);
  return `step ${q.step}: ${Math.round(100 * q.solved)} % of the probe sequences solved (MSE ${q.mse.toFixed(4)}); `
    + `answer on this sequence ${q.answer.toFixed(2)} (target ${k.target.toFixed(2)}); distance between the gates' `
    + `blocks ${distances.join(", ")}; unit ${k.unit} at the two marks: ${means(q.marked)}; at the other steps: `
    + `${means(q.other)}.`;
}

// --- The figure: the three gates as maps (units × steps); below, share solved and the f–i distance ---------------

const CELL = { w: 28, h: 8 }; // one unit at one step
const MAP = { x: 64, top: 66, gap: 18 };
const CURVE = { left: 64, right: 430, top: 520, bottom: 600 };

function drawIdentical(svg, k) {
  const signed = (v) => `${v < 0 ? "−" : "+"}${Math.abs(v).toFixed(2)}`;
  const [a, b] = k.marks;
  const maps = gateMaps(svg, {
    ...MAP, cell: CELL, gates: GATES, units: k.units, unit: k.unit, marked: k.marks,
    title: `Seed ${k.seed}'s network on one sequence: marked ${signed(k.values[a])} (step ${a}) and `
      + `${signed(k.values[b])} (step ${b}), target ${k.target.toFixed(2)}`,
    tokens: k.values.map(signed), labelled: [0, 5, 10, 15],
    tokenStyle: (t) => (k.marks.includes(t) ? { "font-weight": "bold", fill: TEXT_COLOR.vermillion } : {}),
  });
  const curves = stepCurves(svg, k.steps, CURVE, [
    { values: k.solved, top: 1, color: COLOR.blue, dashes: "", shape: "circle",
      legend: ["probe sequences solved (circle)"] },
    { values: k.distance["f-i"], top: 2, color: COLOR.vermillion, dashes: "6 3", shape: "square",
      textColor: TEXT_COLOR.vermillion, legend: ["distance of the f and i blocks", "(dashed, square; right axis)"] },
  ]);
  mapScale(svg, CURVE.right + 46, CURVE.top + 66);
  return (q, s) => {
    maps(q);
    curves(s.frame);
  };
}

function render({ model, el }) {
  const k = model.get("_constants");
  return mount({ model, el }, {
    name: "identical-film",
    height: 645,
    figureLabel: `A training film of an LSTM whose gates f, i and o started identical: for one sequence of the adding `
      + `problem, maps of every unit's f, i and o (rows: units 0 to ${k.units - 1}; columns: the ${k.values.length} `
      + `steps, labelled with their values; white 0, dark blue 1) at the checkpoint chosen with the step slider, the `
      + `two marked steps and unit ${k.unit}'s row outlined; below, the share of probe sequences solved (solid) and the distance between the f `
      + `and i blocks (dashed, right axis) against the training step (square-root scale), a vertical line at the step `
      + `shown.`,
    draw: drawIdentical,
    compute: identicalNumbers,
    describe: (q) => describeIdentical(q, k),
    valueText: (name, frame) => String(k.steps[frame]),
  });
}

export default { render };
