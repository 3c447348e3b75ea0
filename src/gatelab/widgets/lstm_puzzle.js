// Lesson 04's memory puzzle, computed and drawn in the browser (an anywidget module; lstm_puzzle.py declares its
// synced state: one number per slider, _settings, and _constants, the two sentences' tokens and features, and
// what training runs). A one-unit LSTM reads "The cat, which already ate, was full" and its plural token by token;
// the puzzle: the cell carries the subject's number from the noun to the verb, and h shows it there. "Let training
// solve it" (descent.js) runs gradient descent on the sliders with the loss and gradient below.
// gatelab.dynamics.lstm_puzzle_numbers and lstm_puzzle_training compute the same in Python; browser tests compare.
import { mount, sub } from "./explorer.js";
import { sigmoid } from "./cell.js";
import { firstMiss, inputDrive, numberWord, pushBars, puzzleGradients, pyFloat, pyRepr, pySigned2, readerHeight, readerLayout, saysText, sentenceEnd, sentenceFigure, shortText, signedText, solvedText } from "./sentence.js";
import { descentControls } from "./descent.js";

// --- The math: a one-unit LSTM reading a sentence, in the course's notation ----------------------------------

// The LSTM's gates: forget, input, candidate c̃, output (gatelab.dynamics.LSTM_GATES).
const LSTM_GATES = ["f", "i", "c", "o"];

/** f_t, i_t, c̃_t, o_t, c_t and h_t of a one-unit LSTM reading the feature rows x from h_0 = c_0 = 0
 * (gatelab.dynamics.lstm_sentence_trace): each gate g = σ(g_h·h_prev + g·x_t + b_g), c̃ = tanh(…),
 * c = f·c_prev + i·c̃, h = o·tanh(c). */
export function lstmSentenceSteps(s, x, features) {
  const a = Object.fromEntries(LSTM_GATES.map((g) => [g, inputDrive(s, g, x, features)]));
  // The weights on h_prev.
  const w = Object.fromEntries(LSTM_GATES.map((g) => [g, s[`${g}_h`] ?? 0]));
  const trace = { f: [], i: [], c_tilde: [], o: [], c: [], h: [] };
  let h = 0, c = 0;
  for (let t = 0; t < x.length; t++) {
    const f = sigmoid(a.f[t] + w.f * h), i = sigmoid(a.i[t] + w.i * h), o = sigmoid(a.o[t] + w.o * h);
    const c_tilde = Math.tanh(a.c[t] + w.c * h);
    c = f * c + i * c_tilde;
    h = o * Math.tanh(c);
    trace.f.push(f);
    trace.i.push(i);
    trace.c_tilde.push(c_tilde);
    trace.o.push(o);
    trace.c.push(c);
    trace.h.push(h);
  }
  return trace;
}

/** What the figure draws of lstmSentenceSteps: f_t, i_t, c_t and h_t. */
export function lstmSentenceTrace(s, x, features) {
  const { f, i, c, h } = lstmSentenceSteps(s, x, features);
  return { f, i, c, h };
}

/** gatelab.dynamics.lstm_memory_verdict, word for word: does c hold the subject's number from the noun to the verb
 * (|c| ≥ the cell threshold) and h show it at the verb (|h| ≥ the output threshold), in both sentences? */
export function lstmMemoryVerdict(traces, k) {
  for (const sentence of k.sentences) {
    const { tokens, subject: s, verb: v, number, text } = sentence, trace = traces[sentence.name];
    const sign = number > 0 ? "≥ +" : "≤ −";
    const miss = firstMiss(trace.c, number, s, v, k.cell_min);
    if (miss !== null) {
      const hint = miss.t === s
        ? "does the input gate open at the noun, and does c_tilde carry the number?"
        : "the cell forgets: is the forget gate near 1 (and the input gate near 0) after the noun?";
      return {
        solved: false,
        message: `${text}: c = ${pySigned2(miss.value)} at ${pyRepr(tokens[miss.t])} (token ${miss.t}); it should be `
          + `${sign}${pyFloat(k.cell_min)} (${numberWord(number)}) — ${hint}`,
      };
    }
    const hVerb = trace.h[v];
    if (hVerb * number < k.output_min) {
      return {
        solved: false,
        message: `${text}: the cell remembers, but h = ${pySigned2(hVerb)} at the verb ${pyRepr(tokens[v])}; `
          + `it should be ${sign}${pyFloat(k.output_min)} — is the output gate open?`,
      };
    }
  }
  return {
    solved: true,
    message: `solved: the cell carries the subject's number from the noun to the verb (|c| ≥ ${pyFloat(k.cell_min)}) `
      + `and h at the verb shows it (|h| ≥ ${pyFloat(k.output_min)}), in both sentences`,
  };
}

/** Every number and word the explorer shows, as gatelab.dynamics.lstm_puzzle_numbers gives them. */
export function lstmPuzzleNumbers(s, k) {
  const numbers = {};
  for (const sentence of k.sentences) numbers[sentence.name] = lstmSentenceTrace(s, sentence.x, k.features);
  return { ...numbers, verdict: lstmMemoryVerdict(numbers, k) };
}

// --- Training it: the loss, its gradient by BPTT, one number per token (gatelab.dynamics' puzzle training) ------

/** ∂L/∂a_g[t] for each gate g and token t from ∂L/∂h_r = dh_r alone, back through the one-unit LSTM's trace
 * (lstmSentenceSteps): gatelab.dynamics.lstm_sentence_backward, step for step. */
export function lstmSentenceBackward(s, trace, r, dh_r) {
  const T = trace.h.length, w = Object.fromEntries(LSTM_GATES.map((g) => [g, s[`${g}_h`] ?? 0]));
  const da = Object.fromEntries(LSTM_GATES.map((g) => [g, new Array(T).fill(0)]));
  let dh = dh_r, dc = 0;
  for (let t = r; t >= 0; t--) {
    const f = trace.f[t], i = trace.i[t], c_tilde = trace.c_tilde[t], o = trace.o[t];
    const c_before = t > 0 ? trace.c[t - 1] : 0;
    const tanh_c = Math.tanh(trace.c[t]);
    dc = dc + dh * o * (1 - tanh_c * tanh_c);
    da.o[t] = dh * tanh_c * o * (1 - o);
    da.f[t] = dc * c_before * f * (1 - f);
    da.i[t] = dc * c_tilde * i * (1 - i);
    da.c[t] = dc * i * (1 - c_tilde * c_tilde);
    dh = LSTM_GATES.reduce((sum, g) => sum + w[g] * da[g][t], 0);
    dc = dc * f;
  }
  return da;
}

/** {loss, grads, push} at settings s, as gatelab.dynamics.lstm_puzzle_gradients(s, attractors) gives (L, grads,
 * push): the loss read from h just before the verb and its gradient, by lstmSentenceBackward (puzzleGradients). */
export function lstmPuzzleGradients(s, k, attractors = false) {
  return puzzleGradients(s, k, {
    steps: lstmSentenceSteps, backward: lstmSentenceBackward,
    // Every g_h multiplies h_{t−1}.
    recurrent: (trace, h_prev) => Object.fromEntries(LSTM_GATES.map((g) => [g, h_prev])),
  }, attractors);
}

/** Where training is, in words: "step 120: loss 0.080; f at 'which' = 0.97; solved"; with the attractors, solved
 * means every training sentence, and how many of them are held follows: "not solved yet (2 of 4 sentences held)". */
function describeLstmTraining(record, k, attractors) {
  const first = k.sentences[0], which = first.tokens.indexOf("which");
  const f = lstmSentenceTrace(record.settings, first.x, k.features).f[which];
  return `step ${record.step}: loss ${record.loss.toFixed(3)}; f at 'which' = ${f.toFixed(2)}; `
    + solvedText(record.settings, k, attractors, lstmPuzzleNumbers);
}

/** The text alternative: the verdict, then what the cell c and h do from the noun to the verb in each sentence. */
function describeLstmPuzzle(q, k) {
  const memory = k.sentences.map((sentence) => {
    const { c, h } = q[sentence.name], hVerb = h[sentence.verb];
    return `${shortText(sentence)} c ${signedText(c[sentence.subject])} → ${signedText(c[sentence.verb])}, `
      + `h ${signedText(hVerb)} (${saysText(hVerb, k.output_min)})`;
  });
  return `${q.verdict.solved ? "✔" : "✘"} ${sentenceEnd(q.verdict.message)} The cell c at the noun → at the verb, `
    + `and h at the verb: ${memory.join("; ")}.`;
}

// --- The figure: the forget and input gates, then the cell and h, token by token -----------------------------

/** Below the reader: how training pushes the forget and input gates' pre-activations at each word, −∂L/∂a_f[t] and
 * −∂L/∂a_i[t] (pushBars). */
function lstmPushBars(svg, k, top) {
  return pushBars(svg, k, top, "How training pushes each gate at each word: −∂L/∂a (up: it opens the gate)", [
    { gate: "f", fill: "#4d4d4d", parts: ["−∂L/∂a", sub("f"), " forget"], dx: -0.3 },
    { gate: "i", fill: "#fff", parts: ["−∂L/∂a", sub("i"), " input"], dx: 0.02 },
  ]);
}

function render({ model, el }) {
  const k = model.get("_constants");
  // The training panel's switch; the push bars and the settings they were drawn at, redrawn when it changes the loss.
  const attractors = () => model.get("attractors") === true;
  let bars = null, shown = null;
  const panels = [
    {
      title: ["gates f", sub("t"), ", i", sub("t")], lo: -0.04, hi: 1.04, ticks: [0, 0.5, 1], levels: [],
      series: [
        { key: "f", parts: ["f", sub("t"), " forget"], dashes: "" },
        { key: "i", parts: ["i", sub("t"), " input"], dashes: "2 3" },
      ],
    },
    {
      title: ["memory c", sub("t"), ", h", sub("t")], lo: -1.6, hi: 1.6, ticks: [-1, 0, 1], levels: [-k.cell_min, k.cell_min],
      series: [
        { key: "c", parts: ["c", sub("t"), " cell"], dashes: "" },
        { key: "h", parts: ["h", sub("t"), " hidden"], dashes: "2 3" },
      ],
    },
  ];
  const barsTop = readerLayout(k.sentences[0].tokens.length).below(panels.length) + 20;
  const cleanup = mount({ model, el }, {
    name: "lstm-memory-puzzle",
    height: Math.max(readerHeight(panels.length), barsTop + 80),
    figureLabel: "A one-unit LSTM reading “The cat …” (blue, circles, wide line) and “The cats …” (vermillion, "
      + "squares, thin line) token by token. Top: the forget gate f_t (solid) and the input gate i_t (dotted). "
      + `Middle: the cell c_t (solid) and h_t (dotted), with dashed thresholds at ±${k.cell_min}. `
      + "Shaded: from the subject to its verb. Bottom: at each word, the way training pushes the forget gate "
      + "(filled bar) and the input gate (outlined bar): up opens the gate there, down closes it.",
    draw: (svg) => {
      const lines = sentenceFigure(svg, k, panels);
      bars = lstmPushBars(svg, k, barsTop);
      return (numbers, s) => {
        lines(numbers);
        bars(lstmPuzzleGradients((shown = s), k, attractors()).push);
      };
    },
    compute: lstmPuzzleNumbers,
    describe: (q) => describeLstmPuzzle(q, k),
  });
  const stop = descentControls({ model, el }, {
    evaluate: (s) => lstmPuzzleGradients(s, k, attractors()),
    describe: (record) => describeLstmTraining(record, k, attractors()),
    lr: k.training.lr, clip: k.training.clip, steps: k.training.steps, label: "Training the LSTM's weights",
    option: k.switch, changed: () => bars(lstmPuzzleGradients(shown, k, attractors()).push),
  });
  return () => {
    stop();
    cleanup();
  };
}

export default { render };
