// Lesson 02's sentence explorer, computed and drawn in the browser (an anywidget module; gru_sentence.py declares
// its synced state: one number per slider, _settings, and _constants, the two sentences' tokens and features).
// A one-unit GRU reads "The cat, which already ate, was full" and its plural token by token; the puzzle: h latches
// the subject's number at the noun and holds it to the verb. gatelab.dynamics.gru_sentence_numbers computes the
// same numbers and words in Python; a browser test compares the two.
import { mount, sub } from "./explorer.js";
import { sigmoid } from "./cell.js";
import { firstMiss, inputDrive, numberWord, pyFloat, pyRepr, pySigned2, readerHeight, saysText, sentenceEnd, sentenceFigure, shortText, signedText } from "./sentence.js";

// --- The math: a one-unit GRU reading a sentence, in the course's notation ----------------------------------

/** z_t, h̃_t and h_t of a one-unit GRU reading the feature rows x from h_0 = 0 (gatelab.dynamics.gru_sentence_trace):
 * z = σ(z_h·h_prev + z·x_t + b_z), r likewise, h̃ = tanh(h_h·(r·h_prev) + h·x_t + b_h), h = z·h̃ + (1 − z)·h_prev. */
export function gruSentenceTrace(s, x, features) {
  const a = Object.fromEntries(["z", "r", "h"].map((g) => [g, inputDrive(s, g, x, features)]));
  const w = { z: s.z_h ?? 0, r: s.r_h ?? 0, h: s.h_h ?? 0 }; // the weights on h_prev
  const trace = { z: [], h_tilde: [], h: [] };
  let h = 0;
  for (let t = 0; t < x.length; t++) {
    const z = sigmoid(a.z[t] + w.z * h), r = sigmoid(a.r[t] + w.r * h);
    const h_tilde = Math.tanh(a.h[t] + w.h * r * h);
    h = z * h_tilde + (1 - z) * h;
    trace.z.push(z);
    trace.h_tilde.push(h_tilde);
    trace.h.push(h);
  }
  return trace;
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
  return mount({ model, el }, {
    name: "gru-sentence",
    height: readerHeight(panels.length),
    figureLabel: "A one-unit GRU reading “The cat …” (blue, circles, wide line) and “The cats …” (vermillion, "
      + "squares, thin line) token by token. Top: the update gate z_t. Bottom: the memory h_t (solid) and the "
      + `candidate h̃_t (dotted), with dashed thresholds at ±${c.latch_min}. Shaded: from the subject to its verb.`,
    draw: (svg) => sentenceFigure(svg, c, panels),
    compute: gruSentenceNumbers,
    describe: (q) => describeGruSentence(q, c),
  });
}

export default { render };
