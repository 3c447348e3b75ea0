// What lessons 02 and 04's sentence explorers share (gru_sentence.js, lstm_puzzle.js): a one-unit cell's input
// drive per token, the verdicts' words formatted as Python formats them, and the sentence-reader figure (the
// tokens along x, stacked panels, one line per series per sentence), built once and moved by setting attributes.
// Both train their sliders the same way ("Let training solve it", descent.js): the loss and its gradient (given the
// cell's BPTT) and the bars of how training pushes each gate at each word are here.
// An explorer's module imports these from "./sentence.js"; gatelab/widgets/front.py inlines this file in its
// place, in one scope with explorer.js and cell.js: every top-level name here is distinct from theirs.
import { COLOR, TEXT_COLOR, label, node } from "./explorer.js";
import { sigmoid } from "./cell.js";
import { softplus } from "./descent.js";

// --- The math both cells share ------------------------------------------------------------------------

/** Per token t, the part of gate g's pre-activation that does not depend on h: x_t·w_g + b_g, where w_g's entry
 * for feature k is the setting "<g>_<k>" and b_g the setting "b_<g>" (0 if the explorer has no such slider), as
 * gatelab.dynamics.sentence_params lays them out. x: the sentence's feature rows (T × n_x). */
export function inputDrive(settings, g, x, features) {
  const w = features.map((k) => settings[`${g}_${k}`] ?? 0), b = settings[`b_${g}`] ?? 0;
  return x.map((row) => row.reduce((sum, value, k) => sum + value * w[k], 0) + b);
}

/** The first token t in [lo, hi] where values[t] does not have the sign of number with size ≥ minimum, as
 * {t, value}; null if they all do (gatelab.dynamics._holds). */
export function firstMiss(values, number, lo, hi, minimum) {
  for (let t = lo; t <= hi; t++) if (values[t] * number < minimum) return { t, value: values[t] };
  return null;
}

// --- Words as Python writes them (the verdicts are gatelab.dynamics', word for word) --------------------

/** v as Python's f"{v:+.2f}" writes it: a sign, always, and two decimals; a tie (an exact odd multiple of 1/8,
 * the only doubles halfway between two hundredths) rounds to the even hundredth. */
export function pySigned2(v) {
  const negative = v < 0 || Object.is(v, -0), a = Math.abs(v);
  let digits = a.toFixed(2);
  if (Number.isInteger(a * 8) && !Number.isInteger(a * 4)) {
    const n = Math.floor(a * 100);
    digits = ((n % 2 === 0 ? n : n + 1) / 100).toFixed(2);
  }
  return `${negative ? "-" : "+"}${digits}`;
}

/** A float as Python's str() writes it (0.5 → "0.5", 1 → "1.0"). */
export function pyFloat(v) {
  return Number.isInteger(v) ? `${v}.0` : String(v);
}

/** A token as Python's repr() writes it: 'cat'. */
export function pyRepr(token) {
  return token.includes("'") && !token.includes('"') ? `"${token}"` : `'${token}'`;
}

/** "singular" for a number +1, "plural" for −1. */
export function numberWord(number) {
  return number > 0 ? "singular" : "plural";
}

/** v with a sign and two decimals, a true minus: for the text alternative's own words. */
export function signedText(v) {
  return `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(2)}`;
}

/** What a memory value says of the subject's number, read with a threshold: "singular", "plural" or neither. */
export function saysText(v, minimum) {
  return v >= minimum ? "says singular" : v <= -minimum ? "says plural" : "says neither number";
}

/** A sentence named by its start: “The cat …”. */
export function shortText(sentence) {
  return `“${sentence.tokens.slice(0, 2).join(" ")} …”`;
}

/** The sentences training reads (gatelab.dynamics.puzzle_sentences): the pair, then the attractors if the switch is
 * on. k: the explorer's _constants. */
export function trainingSentences(k, attractors) {
  return attractors ? [...k.sentences, ...k.attractors] : k.sentences;
}

/** "solved" if the puzzle's verdict holds every training sentence (each judged alone, as gatelab.dynamics.
 * sentences_held: numbers(s, k) is the explorer's, verdict and all), else "not solved yet"; with the attractors,
 * then how many it holds: "not solved yet (2 of 4 sentences held)". */
export function solvedText(s, k, attractors, numbers) {
  const all = trainingSentences(k, attractors);
  const held = all.filter((one) => numbers(s, { ...k, sentences: [one] }).verdict.solved).length;
  const count = attractors ? ` (${held} of ${all.length} sentences held)` : "";
  return `${held === all.length ? "solved" : "not solved yet"}${count}`;
}

/** The message's end: its own mark if it has one, else a full stop. */
export function sentenceEnd(message) {
  return /[.?!]$/.test(message) ? message : `${message}.`;
}

// --- The figure -------------------------------------------------------------------------------------------

// Each sentence of the pair: a colour (Okabe & Ito), a marker shape and a line width; its name in the legend.
const READER_SENTENCES = [
  { color: COLOR.blue, textColor: TEXT_COLOR.blue, shape: "circle", width: 2.6 },
  { color: COLOR.vermillion, textColor: TEXT_COLOR.vermillion, shape: "square", width: 1.4 },
];
const READER = { left: 74, right: 560, top: 46, panel: 112, gap: 20, legend: 580 };

/** Where a sentence reader of T tokens puts them: xOf(t), the middle of token t's slot; slot, its width; left,
 * right, the panels' edges; legend, where the legends start; below(panels), the y under its tokens' words. */
export function readerLayout(T) {
  const slot = (READER.right - READER.left) / T;
  return {
    xOf: (t) => READER.left + slot * (t + 0.5), slot, left: READER.left, right: READER.right, legend: READER.legend,
    below: (panels) => READER.top + panels * READER.panel + (panels - 1) * READER.gap + 36,
  };
}

/** The height of a sentence-reader figure of so many panels. */
export function readerHeight(panels) {
  return READER.top + panels * READER.panel + (panels - 1) * READER.gap + 44;
}

/**
 * The sentence reader in svg, drawn once: the sentences' tokens along x (both words where they differ), one panel
 * per entry of panels, each {title: label parts, lo, hi, ticks, levels (dashed thresholds), series: [{key, parts,
 * dashes}]}, with one line per series per sentence (colour, marker and width: the sentence; dash pattern: the
 * series), and the span from the subject to its verb shaded. constants.sentences: [{name, tokens, subject, verb,
 * text}], of one length. Returns show(numbers), moving every line to numbers[sentence name][series key].
 */
export function sentenceFigure(svg, constants, panels) {
  const sentences = constants.sentences, T = sentences[0].tokens.length;
  const slot = (READER.right - READER.left) / T;
  const xOf = (t) => READER.left + slot * (t + 0.5);
  const { subject, verb } = sentences[0];

  // The legend of the sentences: marker, line and text, each in its sentence's style.
  sentences.forEach((sentence, k) => {
    const style = READER_SENTENCES[k], x = READER.left + k * 300, y = 16;
    node(svg, "line", { x1: x, x2: x + 26, y1: y - 4, y2: y - 4, stroke: style.color, "stroke-width": style.width });
    readerMarker(svg, style, x + 13, y - 4);
    node(svg, "text", { x: x + 32, y, class: `gl-sentence-name gl-sentence-${sentence.name}` }, sentence.text);
  });
  const spanLeft = xOf(subject) - 0.3 * slot, spanRight = xOf(verb) + 0.3 * slot;
  const spanText = "shaded: from the subject to its verb, where the memory must hold";
  label(svg, (spanLeft + spanRight) / 2, READER.top - 6, [spanText], { "font-size": 11 });

  const lines = [];
  panels.forEach((panel, p) => {
    const top = READER.top + p * (READER.panel + READER.gap), bottom = top + READER.panel;
    const yOf = (v) => bottom - ((v - panel.lo) / (panel.hi - panel.lo)) * (bottom - top);
    node(svg, "rect", {
      x: spanLeft, y: top, width: spanRight - spanLeft, height: bottom - top, fill: COLOR.orange, "fill-opacity": 0.18,
      class: "gl-span",
    });
    const axes = node(svg, "g", { class: "gl-axes" });
    for (let t = 0; t < T; t++) node(axes, "line", { x1: xOf(t), x2: xOf(t), y1: top, y2: bottom, class: "gl-grid" });
    for (const v of panel.ticks) {
      const kind = v === 0 ? "gl-zero" : "gl-grid";
      node(axes, "line", { x1: READER.left, x2: READER.right, y1: yOf(v), y2: yOf(v), class: kind });
    }
    for (const v of [...panel.ticks, ...panel.levels]) {
      label(axes, READER.left - 6, yOf(v) + 4, [v < 0 ? `−${-v}` : String(v)], { "text-anchor": "end" });
    }
    for (const v of panel.levels) {
      node(axes, "line", {
        x1: READER.left, x2: READER.right, y1: yOf(v), y2: yOf(v), stroke: "#595959", "stroke-dasharray": "4 3",
        class: "gl-threshold",
      });
    }
    node(axes, "rect", { x: READER.left, y: top, width: READER.right - READER.left, height: bottom - top });
    const middle = (top + bottom) / 2;
    label(axes, 18, middle, panel.title, { transform: `rotate(-90 18 ${middle})` });

    // The legend of the series: a dash sample and the series' name, right of the panel.
    panel.series.forEach(({ parts, dashes }, k) => {
      const y = top + 16 + 20 * k;
      node(axes, "line", {
        x1: READER.legend, x2: READER.legend + 30, y1: y - 4, y2: y - 4, stroke: "#4d4d4d", "stroke-width": 2,
        "stroke-dasharray": dashes,
      });
      label(axes, READER.legend + 36, y, parts, { "text-anchor": "start" });
    });
    if (panel.levels.length) {
      const y = top + 16 + 20 * panel.series.length;
      node(axes, "line", {
        x1: READER.legend, x2: READER.legend + 30, y1: y - 4, y2: y - 4, stroke: "#595959", "stroke-dasharray": "4 3",
      });
      label(axes, READER.legend + 36, y, ["threshold"], { "text-anchor": "start" });
    }

    // The lines, in a nested SVG that clips them to the panel; the first sentence's below, wider.
    const plot = node(svg, "svg", {
      x: READER.left, y: top, width: READER.right - READER.left, height: bottom - top,
      viewBox: `${READER.left} ${top} ${READER.right - READER.left} ${bottom - top}`, class: "gl-plot",
    });
    sentences.forEach((sentence, k) => {
      const style = READER_SENTENCES[k];
      for (const { key, dashes } of panel.series) {
        const g = node(plot, "g", { class: `gl-line gl-line-${key}-${sentence.name}` });
        const line = node(g, "polyline", {
          fill: "none", stroke: style.color, "stroke-width": style.width, "stroke-dasharray": dashes,
          "stroke-linejoin": "round",
        });
        const markers = Array.from({ length: T }, () => readerMarker(g, style));
        lines.push({ name: sentence.name, key, line, markers, shape: style.shape, yOf });
      }
    });
  });

  // The tokens, below the last panel: one word where the sentences agree, both (in order, in their colours) where not.
  const y = READER.top + panels.length * READER.panel + (panels.length - 1) * READER.gap + 17;
  for (let t = 0; t < T; t++) {
    const words = sentences.map((sentence) => sentence.tokens[t]);
    if (words.every((word) => word === words[0])) label(svg, xOf(t), y, [words[0]], { class: "gl-token" });
    else {
      words.forEach((word, k) => {
        label(svg, xOf(t), y + 15 * k, [word], { class: "gl-token", style: `fill: ${READER_SENTENCES[k].textColor}` });
      });
    }
  }

  return (numbers) => {
    for (const { name, key, line, markers, shape, yOf } of lines) {
      const values = numbers[name][key], points = [];
      values.forEach((v, t) => {
        const x = xOf(t), yv = yOf(v);
        points.push(`${x.toFixed(2)},${yv.toFixed(2)}`);
        if (shape === "circle") {
          markers[t].setAttribute("cx", x);
          markers[t].setAttribute("cy", yv);
        } else {
          markers[t].setAttribute("x", x - 3.5);
          markers[t].setAttribute("y", yv - 3.5);
        }
      });
      line.setAttribute("points", points.join(" "));
    }
  };
}

/** A sentence's marker in parent (a circle or a square), at (x, y) if given. */
function readerMarker(parent, style, x = 0, y = 0) {
  const paint = { fill: style.color, stroke: "#fff", "stroke-width": 1 };
  return style.shape === "circle"
    ? node(parent, "circle", { cx: x, cy: y, r: 4, ...paint })
    : node(parent, "rect", { x: x - 3.5, y: y - 3.5, width: 7, height: 7, ...paint });
}

// --- Training a sentence puzzle: the loss, its gradient, the push bars (gatelab.dynamics._puzzle_gradients) -------

/** ∂L/∂(setting name) from the gates' ∂L/∂a_g[t]: Σ_t ∂L/∂a_g[t] times what it multiplies at t (1 for b_g,
 * recurrent[g][t] for g_h, feature k of x_t for g_k), as gatelab.dynamics._setting_gradient. */
function settingGradient(name, da, x, recurrent, features) {
  if (name.startsWith("b_")) return da[name.slice(2)].reduce((sum, d) => sum + d, 0);
  const cut = name.indexOf("_"), g = name.slice(0, cut), what = name.slice(cut + 1);
  const factors = what === "h" ? recurrent[g] : x.map((row) => row[features.indexOf(what)]);
  return da[g].reduce((sum, d, t) => sum + d * factors[t], 0);
}

/** {loss, grads, push} at settings s, as gatelab.dynamics._puzzle_gradients gives (L, grads, push): L, the mean over
 * the training sentences (trainingSentences: the pair, and the attractors if attractors) of softplus(−number·κ·h_r)
 * with h_r h just before the verb (k.training.readout); grads, ∂L/∂ each setting of s; push, per gate, ∂L/∂a_g[t]
 * per token summed over the pair (the figure's sentences; an attractor sentence is in the loss, not in the bars).
 * cell: {steps(s, x, features), the trace (h among its series); backward(s, trace, r, dh_r), ∂L/∂a_g[t] per gate;
 * recurrent(trace, h_prev), what each gate's weight on h multiplies at each token}. */
export function puzzleGradients(s, k, cell, attractors = false) {
  const { kappa, readout } = k.training, sentences = trainingSentences(k, attractors), n = sentences.length;
  let loss = 0, push = null;
  const grads = Object.fromEntries(Object.keys(s).map((name) => [name, 0]));
  for (const sentence of sentences) {
    const trace = cell.steps(s, sentence.x, k.features), h_prev = [0, ...trace.h.slice(0, -1)];
    const r = readout[sentence.name], number = sentence.number;
    const z = -number * kappa * trace.h[r];
    loss += softplus(z) / n;
    const da = cell.backward(s, trace, r, -number * kappa * sigmoid(z) / n), recurrent = cell.recurrent(trace, h_prev);
    for (const name in grads) grads[name] += settingGradient(name, da, sentence.x, recurrent, k.features);
    if (!k.sentences.includes(sentence)) continue;
    push = push === null ? da : Object.fromEntries(Object.keys(da).map((g) => [g, push[g].map((p, t) => p + da[g][t])]));
  }
  return { loss, grads, push };
}

/** Below the reader: how training pushes two gates' pre-activations at each word, −∂L/∂a_g[t] (summed over both
 * sentences) as signed bars, scaled to the largest; drawn once at y = top under the title. styles: per gate, {gate,
 * fill, parts (its legend), dx (its bar's offset in the slot)}. Returns show(push) that moves the bars to
 * puzzleGradients' push. */
export function pushBars(svg, k, top, title, styles) {
  const T = k.sentences[0].tokens.length, layout = readerLayout(T), height = 70, middle = top + height / 2;
  label(svg, layout.left, top - 6, [title], { "text-anchor": "start", "font-size": 11 });
  const axes = node(svg, "g", { class: "gl-axes" });
  for (let t = 0; t < T; t++) {
    node(axes, "line", { x1: layout.xOf(t), x2: layout.xOf(t), y1: top, y2: top + height, class: "gl-grid" });
  }
  node(axes, "line", { x1: layout.left, x2: layout.right, y1: middle, y2: middle, class: "gl-zero" });
  node(axes, "rect", { x: layout.left, y: top, width: layout.right - layout.left, height });
  label(axes, 18, middle, ["push"], { transform: `rotate(-90 18 ${middle})` });
  const bars = [];
  styles.forEach(({ gate, fill, parts, dx }, n) => {
    const y = top + 12 + 18 * n;
    node(svg, "rect", { x: layout.legend, y: y - 9, width: 10, height: 10, fill, stroke: "#4d4d4d" });
    label(axes, layout.legend + 16, y, parts, { "text-anchor": "start" });
    for (let t = 0; t < T; t++) {
      const bar = node(svg, "rect", {
        x: layout.xOf(t) + dx * layout.slot, width: 0.28 * layout.slot, fill, stroke: "#4d4d4d",
        class: `gl-push gl-push-${gate}`,
      });
      bars.push({ gate, t, bar });
    }
  });
  const scale = label(axes, layout.legend, top + 12 + 18 * styles.length, [""], { "text-anchor": "start" });
  return (push) => {
    let most = 0;
    for (const { gate, t } of bars) most = Math.max(most, Math.abs(push[gate][t]));
    scale.textContent = `bars to ±${most.toPrecision(2)}`;
    for (const { gate, t, bar } of bars) {
      const size = most > 0 ? (-push[gate][t] / most) * (height / 2 - 3) : 0;
      bar.setAttribute("y", size >= 0 ? middle - size : middle);
      bar.setAttribute("height", Math.abs(size));
    }
  };
}
