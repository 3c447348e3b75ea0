// Lesson 02's sentence explorer, computed and drawn in the browser (an anywidget module; gru_sentence.py declares
// its synced state: one number per slider, _settings, and _constants, the two sentences' tokens and features).
// A one-unit GRU reads "The cat, which already ate, was full" and its plural token by token; the puzzle: h latches
// the subject's number at the noun and holds it to the verb. "Let training solve it" (descent.js) runs gradient
// descent on the sliders with the loss and gradient below. gatelab.dynamics.gru_sentence_numbers and
// gru_latch_training compute the same in Python; browser tests compare.
import { mount, sub } from "./explorer.js";
import { sigmoid } from "./cell.js";
import { firstMiss, inputDrive, numberWord, pushBars, puzzleGradients, pyFloat, pyRepr, pySigned2, readerHeight, readerLayout, saysText, sentenceEnd, sentenceFigure, shortText, signedText, solvedText, trainingSentences } from "./sentence.js";
import { descentControls } from "./descent.js";

// --- The math: a one-unit GRU reading a sentence, in the course's notation ----------------------------------

// The GRU's gates: update, reset, candidate h̃ (gatelab.dynamics.GRU_GATES).
const GRU_GATES = ["z", "r", "h"];

/** z_t, r_t, h̃_t and h_t of a one-unit GRU reading the feature rows x from h_0 = 0 (gatelab.dynamics.
 * gru_sentence_trace): z = σ(z_h·h_prev + z·x_t + b_z), r likewise, h̃ = tanh(h_h·(r·h_prev) + h·x_t + b_h),
 * h = z·h̃ + (1 − z)·h_prev. */
export function gruSentenceSteps(s, x, features) {
  const a = Object.fromEntries(GRU_GATES.map((g) => [g, inputDrive(s, g, x, features)]));
  // The weights on h_prev.
  const w = { z: s.z_h ?? 0, r: s.r_h ?? 0, h: s.h_h ?? 0 };
  const trace = { z: [], r: [], h_tilde: [], h: [] };
  let h = 0;
  for (let t = 0; t < x.length; t++) {
    const z = sigmoid(a.z[t] + w.z * h), r = sigmoid(a.r[t] + w.r * h);
    const h_tilde = Math.tanh(a.h[t] + w.h * r * h);
    h = z * h_tilde + (1 - z) * h;
    trace.z.push(z);
    trace.r.push(r);
    trace.h_tilde.push(h_tilde);
    trace.h.push(h);
  }
  return trace;
}

/** What the figure draws of gruSentenceSteps: z_t, h̃_t and h_t. */
export function gruSentenceTrace(s, x, features) {
  const { z, h_tilde, h } = gruSentenceSteps(s, x, features);
  return { z, h_tilde, h };
}

/** gatelab.dynamics.gru_latch_verdict, word for word: does h take the subject's number at the noun (|h| ≥ the
 * latch threshold, the number's sign) and hold it to the verb, in both sentences? */
export function gruLatchVerdict(traces, c) {
  for (const sentence of c.sentences) {
    const { tokens, subject: s, verb: v, number } = sentence;
    const miss = firstMiss(traces[sentence.name].h, number, s, v, c.latch_min);
    if (miss !== null) {
      const where = miss.t === s ? "at the noun itself" : `at ${pyRepr(tokens[miss.t])} (token ${miss.t})`;
      const hint = miss.t === s
        ? "is the update gate open at the noun, and does the candidate carry the number?"
        : "the memory leaks or is overwritten: is the update gate closed after the noun?";
      const should = `${number > 0 ? "≥ +" : "≤ −"}${pyFloat(c.latch_min)} (${numberWord(number)})`;
      const message = `${sentence.text}: h = ${pySigned2(miss.value)} ${where}; it should be ${should} — ${hint}`;
      return { solved: false, message };
    }
  }
  return {
    solved: true,
    message: `solved: h latches the subject's number at the noun and holds it (|h| ≥ ${pyFloat(c.latch_min)}) `
      + "until the verb, in both sentences",
  };
}

/** Every number and word the explorer shows, as gatelab.dynamics.gru_sentence_numbers gives them. */
export function gruSentenceNumbers(s, c) {
  const numbers = {};
  for (const sentence of c.sentences) numbers[sentence.name] = gruSentenceTrace(s, sentence.x, c.features);
  return { ...numbers, verdict: gruLatchVerdict(numbers, c) };
}

// --- Training it: the loss, its gradient by BPTT, one number per token (gatelab.dynamics' latch training) ----------

/** ∂L/∂a_g[t] for each gate g and token t from ∂L/∂h_r = dh_r alone, back through the one-unit GRU's trace
 * (gruSentenceSteps): gatelab.dynamics.gru_sentence_backward, step for step. */
export function gruSentenceBackward(s, trace, r, dh_r) {
  const T = trace.h.length, w = { z: s.z_h ?? 0, r: s.r_h ?? 0, h: s.h_h ?? 0 };
  const da = Object.fromEntries(GRU_GATES.map((g) => [g, new Array(T).fill(0)]));
  let dh = dh_r;
  for (let t = r; t >= 0; t--) {
    const z = trace.z[t], r_t = trace.r[t], h_tilde = trace.h_tilde[t], h_before = t > 0 ? trace.h[t - 1] : 0;
    da.z[t] = dh * (h_tilde - h_before) * z * (1 - z);
    da.h[t] = dh * z * (1 - h_tilde * h_tilde);
    da.r[t] = da.h[t] * w.h * h_before * r_t * (1 - r_t);
    dh = dh * (1 - z) + w.z * da.z[t] + w.r * da.r[t] + w.h * r_t * da.h[t];
  }
  return da;
}

/** {loss, grads, push} at settings s, as gatelab.dynamics.gru_latch_gradients(s, attractors) gives (L, grads,
 * push): the loss read from h just before the verb and its gradient, by gruSentenceBackward (puzzleGradients). */
export function gruLatchGradients(s, k, attractors = false) {
  return puzzleGradients(s, k, {
    steps: gruSentenceSteps, backward: gruSentenceBackward,
    // The candidate's h_h multiplies r·h_{t−1}.
    recurrent: (trace, h_prev) => ({ z: h_prev, r: h_prev, h: trace.r.map((r, t) => r * h_prev[t]) }),
  }, attractors);
}

/** Where training is, in words: "step 20: loss 0.075; h before the verb = +0.83 (cat), −0.83 (cats); solved"; with
 * the attractors, h before the verb in each of the four, and solved means every one held (how many follow). */
function describeGruTraining(record, c, attractors) {
  const sentences = trainingSentences(c, attractors);
  const h = sentences.map((sentence) => {
    const at = gruSentenceTrace(record.settings, sentence.x, c.features).h[c.training.readout[sentence.name]];
    return `${pySigned2(at)} (${sentence.name})`;
  });
  return `step ${record.step}: loss ${record.loss.toFixed(3)}; h before the verb = ${h.join(", ")}; `
    + solvedText(record.settings, c, attractors, gruSentenceNumbers);
}

/** The text alternative: the verdict, then what the memory h does from the noun to the verb in each sentence. */
function describeGruSentence(q, c) {
  const memory = c.sentences.map((sentence) => {
    const h = q[sentence.name].h, atVerb = h[sentence.verb];
    const says = saysText(atVerb, c.latch_min);
    return `${shortText(sentence)} ${signedText(h[sentence.subject])} → ${signedText(atVerb)} (${says})`;
  });
  return `${q.verdict.solved ? "✔" : "✘"} ${sentenceEnd(q.verdict.message)} The memory h at the noun → at the verb: `
    + `${memory.join("; ")}.`;
}

// --- The figure: the update gate, then the memory and its candidate, token by token --------------------------

function render({ model, el }) {
  const c = model.get("_constants");
  // The training panel's switch; the push bars and the settings they were drawn at, redrawn when it changes the loss.
  const attractors = () => model.get("attractors") === true;
  let bars = null, shown = null;
  const panels = [
    {
      title: ["update gate z", sub("t")], lo: -0.04, hi: 1.04, ticks: [0, 0.5, 1], levels: [],
      series: [{ key: "z", parts: ["z", sub("t"), " update"], dashes: "" }],
    },
    {
      title: ["memory h", sub("t")], lo: -1.1, hi: 1.1, ticks: [-1, 0, 1], levels: [-c.latch_min, c.latch_min],
      series: [
        { key: "h", parts: ["h", sub("t"), " memory"], dashes: "" },
        { key: "h_tilde", parts: ["h̃", sub("t"), " candidate"], dashes: "2 3" },
      ],
    },
  ];
  const barsTop = readerLayout(c.sentences[0].tokens.length).below(panels.length) + 20;
  const cleanup = mount({ model, el }, {
    name: "gru-sentence",
    height: Math.max(readerHeight(panels.length), barsTop + 80),
    figureLabel: "A one-unit GRU reading “The cat …” (blue, circles, wide line) and “The cats …” (vermillion, "
      + "squares, thin line) token by token. Top: the update gate z_t. Middle: the memory h_t (solid) and the "
      + `candidate h̃_t (dotted), with dashed thresholds at ±${c.latch_min}. Shaded: from the subject to its verb. `
      + "Bottom: at each word, the way training pushes the update gate (filled bar: up opens it) and the "
      + "candidate (outlined bar: up raises it).",
    draw: (svg) => {
      const lines = sentenceFigure(svg, c, panels);
      bars = pushBars(svg, c, barsTop, "How training pushes the update gate and the candidate at each word: "
        + "−∂L/∂a (up: opens z, raises h̃)", [
        { gate: "z", fill: "#4d4d4d", parts: ["−∂L/∂a", sub("z"), " update"], dx: -0.3 },
        { gate: "h", fill: "#fff", parts: ["−∂L/∂a", sub("h̃"), " candidate"], dx: 0.02 },
      ]);
      return (numbers, s) => {
        lines(numbers);
        bars(gruLatchGradients((shown = s), c, attractors()).push);
      };
    },
    compute: gruSentenceNumbers,
    describe: (q) => describeGruSentence(q, c),
  });
  const stop = descentControls({ model, el }, {
    evaluate: (s) => gruLatchGradients(s, c, attractors()),
    describe: (record) => describeGruTraining(record, c, attractors()),
    lr: c.training.lr, clip: c.training.clip, steps: c.training.steps, label: "Training the GRU's weights",
    option: c.switch, changed: () => bars(gruLatchGradients(shown, c, attractors()).push),
  });
  return () => {
    stop();
    cleanup();
  };
}

export default { render };
