// Lesson 04's memory puzzle, computed and drawn in the browser (an anywidget module; lstm_puzzle.py declares its
// synced state: one number per slider, _settings, and _constants, the two sentences' tokens and features).
// A one-unit LSTM reads "The cat, which already ate, was full" and its plural token by token; the puzzle: the
// cell carries the subject's number from the noun to the verb, and h shows it there.
// gatelab.dynamics.lstm_puzzle_numbers computes the same numbers and words in Python; a browser test compares.
import { mount, sub } from "./explorer.js";
import { sigmoid } from "./cell.js";
import { firstMiss, inputDrive, numberWord, pyFloat, pyRepr, pySigned2, readerHeight, saysText, sentenceEnd, sentenceFigure, shortText, signedText } from "./sentence.js";

// --- The math: a one-unit LSTM reading a sentence, in the course's notation ----------------------------------

/** f_t, i_t, c_t and h_t of a one-unit LSTM reading the feature rows x from h_0 = c_0 = 0
 * (gatelab.dynamics.lstm_sentence_trace): each gate g = σ(g_h·h_prev + g·x_t + b_g), c̃ = tanh(…),
 * c = f·c_prev + i·c̃, h = o·tanh(c). */
export function lstmSentenceTrace(s, x, features) {
  const gates = ["f", "i", "c", "o"];
  const a = Object.fromEntries(gates.map((g) => [g, inputDrive(s, g, x, features)]));
  const w = Object.fromEntries(gates.map((g) => [g, s[`${g}_h`] ?? 0])); // the weights on h_prev
  const trace = { f: [], i: [], c: [], h: [] };
  let h = 0, c = 0;
  for (let t = 0; t < x.length; t++) {
    const f = sigmoid(a.f[t] + w.f * h), i = sigmoid(a.i[t] + w.i * h), o = sigmoid(a.o[t] + w.o * h);
    const c_tilde = Math.tanh(a.c[t] + w.c * h);
    c = f * c + i * c_tilde;
    h = o * Math.tanh(c);
    trace.f.push(f);
    trace.i.push(i);
    trace.c.push(c);
    trace.h.push(h);
  }
  return trace;
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

function render({ model, el }) {
  const k = model.get("_constants");
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
  return mount({ model, el }, {
    name: "lstm-memory-puzzle",
    height: readerHeight(panels.length),
    figureLabel: "A one-unit LSTM reading “The cat …” (blue, circles, wide line) and “The cats …” (vermillion, "
      + "squares, thin line) token by token. Top: the forget gate f_t (solid) and the input gate i_t (dotted). "
      + `Bottom: the cell c_t (solid) and h_t (dotted), with dashed thresholds at ±${k.cell_min}. `
      + "Shaded: from the subject to its verb.",
    draw: (svg) => sentenceFigure(svg, k, panels),
    compute: lstmPuzzleNumbers,
    describe: (q) => describeLstmPuzzle(q, k),
  });
}

export default { render };
