// Gradient descent watched in the page: "Let training solve it" for an explorer whose sliders are a model's weights
// (lesson 04's memory puzzle, lstm_puzzle.js; lesson 02's latch, gru_sentence.js). The explorer gives the
// loss and its gradient; this module steps, moves the sliders through the widget's model (saved when training
// stops, so Python reads the values it reached), draws the loss curve and says where training is, throttled.
// An explorer's module imports these from "./descent.js"; gatelab/widgets/front.py inlines this file in its place,
// in one scope with explorer.js and the rest: every top-level name here is distinct from theirs.
import { label, node } from "./explorer.js";

// --- The math (gatelab.dynamics.softplus, descent_step) ----------------------------------------------

/** log(1 + e^z), without overflow for large |z| (gatelab.dynamics.softplus). */
export function softplus(z) {
  return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
}

/** One step of plain gradient descent (gatelab.dynamics.descent_step): s − lr·g for each setting, g = grads
 * scaled down to length clip if the gradient over every setting is longer (clip null: never), then clamped to the
 * setting's [min, max]. settings: the explorer's _settings ({name, min, max}), in order. */
export function descentStep(s, grads, settings, lr, clip) {
  let squares = 0;
  for (const { name } of settings) squares += grads[name] * grads[name];
  const norm = Math.sqrt(squares), scale = clip !== null && norm > clip ? clip / norm : 1;
  return Object.fromEntries(settings.map(({ name, min, max }) => [
    name, Math.min(Math.max(s[name] - lr * scale * grads[name], min), max),
  ]));
}

/** A generator of numbers in [0, 1) from a 32-bit seed: mulberry32, as gatelab.dynamics.mulberry32 (same numbers). */
export function mulberry32(seed) {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t = (t + Math.imul(t ^ (t >>> 7), t | 61)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seeded random settings (gatelab.dynamics.puzzle_random_start): per setting, in order, (⌊61·u⌋ − 30)/10 with u
 * from mulberry32(seed): −3.0 … 3.0 on steps of 0.1. */
export function randomStart(settings, seed) {
  const u = mulberry32(seed);
  return Object.fromEntries(settings.map(({ name }) => [name, (Math.floor(61 * u()) - 30) / 10]));
}

// --- The controls, the loss curve and the loop ----------------------------------------------------------

// The ms between the status's words while training runs (a screen reader keeps up).
const DESCENT_SAY_EVERY = 1500;
// The shortcut, anywhere in the explorer: start or pause training.
const DESCENT_KEY = "t";
const LOSS_CURVE = { width: 250, height: 108, left: 44, right: 238, top: 12, bottom: 80 };

/**
 * Training controls for the explorer mount() built in el: a "Let training solve it" button (Pause while it runs;
 * the key T in the explorer does the same), Step, Reset (to the settings before training), Random start (seeds 1,
 * 2, … in turn: randomStart), a status (role status: a polite live region) and a small loss curve beside them.
 * Each animation frame runs one step: evaluate(s) gives {loss, grads, push} at settings s (push: what the explorer
 * shows of the gradient, kept in the records), descentStep moves, and every slider is set through the model.
 * describe(record) says where training is ({step, settings, loss, push}). The values go to the kernel when
 * training stops (Pause, Step, the end of a press), so Python reads the values it reached. lr, clip: descentStep's;
 * steps: how many one press runs at most; what: the controls' group label. option (if given): {name, text, on,
 * off}, a checkbox after the buttons labelled text, bound to the model's boolean name (synced: Python reads it;
 * evaluate reads it too, so the loss changes with it); the status says on or off when it changes, and changed()
 * follows.
 * el.glDescent holds the run's records and, for the last press, the ms between its frames and the ms of script in
 * each (for tests and the bench). Returns the cleanup.
 */
export function descentControls({ model, el }, { evaluate, describe, lr, clip, steps, label: what, option, changed }) {
  const settings = model.get("_settings");
  const box = document.createElement("div");
  box.className = "gl-descent";
  box.setAttribute("role", "group");
  box.setAttribute("aria-label", what);
  box.innerHTML = `<div class="gl-descent-side">
      <div class="gl-descent-buttons">
        <button type="button" class="gl-descent-run" aria-keyshortcuts="T">Let training solve it</button>
        <button type="button" class="gl-descent-step">Step</button>
        <button type="button" class="gl-descent-reset">Reset</button>
        <button type="button" class="gl-descent-random">Random start</button>
      </div>
      <p class="gl-descent-help">Press T in the explorer to start or pause training.</p>
      <p class="gl-descent-status" role="status"></p>
    </div>`;
  const buttons = box.querySelector(".gl-descent-buttons"), status = box.querySelector(".gl-descent-status");
  const [run, stepButton, reset, random] = buttons.children;
  el.insertBefore(box, el.querySelector(".gl-alt"));
  const curve = lossCurve(box, steps);

  let history = [], before = null, running = false, frame = 0, runEnd = 0, lastSaid = -Infinity;
  // Per training frame: ms since the one before; ms of script (a step, its redraw).
  const frames = [], work = [];
  const current = () => Object.fromEntries(settings.map(({ name }) => [name, model.get(name)]));
  const same = (a, b) => settings.every(({ name }) => a[name] === b[name]);

  const say = (record, now, end = "") => {
    const t = performance.now();
    if (!now && t - lastSaid < DESCENT_SAY_EVERY) return;
    lastSaid = t;
    status.textContent = `${describe(record)}${end}`;
  };
  // last: evaluate() at the last record's settings: the next step starts from it.
  let last = null;
  // A run goes on from its last record, not from the model: while it runs, a kernel's echo of values sent before
  // could set the model back for a frame. It starts afresh where a slider was moved since (or at the first step).
  const begin = () => {
    const s = current();
    if (history.length && same(s, history.at(-1).settings)) return;
    before = s;
    last = evaluate(s);
    history = [{ step: 0, settings: s, loss: last.loss, push: last.push }];
    curve.clear();
    curve.add(history[0]);
  };
  const oneStep = () => {
    const next = descentStep(history.at(-1).settings, last.grads, settings, lr, clip);
    for (const { name } of settings) model.set(name, next[name]);
    last = evaluate(next);
    const record = { step: history.length, settings: next, loss: last.loss, push: last.push };
    history.push(record);
    curve.add(record);
    return record;
  };
  const setRunning = (on) => {
    running = on;
    run.textContent = on ? "Pause" : "Let training solve it";
    box.classList.toggle("gl-descent-running", on);
  };
  let previous = null;
  const tick = (t) => {
    if (!running) return;
    if (previous !== null) frames.push(t - previous);
    previous = t;
    const began = performance.now();
    const record = oneStep();
    // After the explorer's redraw, queued by oneStep.
    queueMicrotask(() => work.push(performance.now() - began));
    if (record.step >= runEnd) pause(`; ${steps} steps done — press again to go on`);
    else {
      say(record, false);
      frame = requestAnimationFrame(tick);
    }
  };
  const start = () => {
    if (running) return;
    setRunning(true);
    previous = null;
    frames.length = 0;
    work.length = 0;
    begin();
    runEnd = history.length - 1 + steps;
    status.textContent = "Training…";
    lastSaid = performance.now();
    frame = requestAnimationFrame(tick);
  };
  function pause(end = "; paused") {
    if (!running) return;
    cancelAnimationFrame(frame);
    setRunning(false);
    // The values training reached, to the kernel: sent once, when it stops.
    model.save_changes();
    if (history.length) say(history.at(-1), true, end);
  }
  const toggle = () => (running ? pause() : start());
  const stepOnce = () => {
    pause();
    begin();
    say(oneStep(), true);
    model.save_changes();
  };
  const resetAll = () => {
    pause();
    if (before) {
      for (const { name } of settings) model.set(name, before[name]);
      model.save_changes();
    }
    history = [];
    before = null;
    curve.clear();
    status.textContent = "Reset: the settings from before training.";
  };

  // The last random start's seed: each press of Random start takes the next.
  let seed = 0;
  const randomize = () => {
    pause();
    seed += 1;
    const s = randomStart(settings, seed);
    for (const { name, min, max } of settings) model.set(name, Math.min(Math.max(s[name], min), max));
    model.save_changes();
    status.textContent = `Random start, seed ${seed}: every setting drawn from −3 … 3.`;
  };

  // The switch (option): a checkbox in its label, on a line of its own in the buttons' row (whose keydown keeps
  // Space from the notebook), bound to the model's boolean option.name. Any change of it (a click, or Python
  // setting it) pauses training, says so (option.on or option.off) and leaves the next press a new run, with the
  // new loss; then changed() redraws what depends on it.
  let unbind = () => {};
  if (option) {
    const row = document.createElement("label");
    const sync = () => (row.firstChild.checked = model.get(option.name) === true);
    row.className = "gl-descent-option";
    row.innerHTML = '<input type="checkbox"> ';
    row.append(option.text);
    buttons.append(row);
    sync();
    row.firstChild.addEventListener("change", (event) => {
      model.set(option.name, event.target.checked);
      model.save_changes();
    });
    const onChange = () => {
      pause();
      history = [];
      curve.clear();
      status.textContent = option[sync() ? "on" : "off"];
      changed?.();
    };
    model.on(`change:${option.name}`, onChange);
    unbind = () => model.off(`change:${option.name}`, onChange);
  }

  run.addEventListener("click", toggle);
  random.addEventListener("click", randomize);
  stepButton.addEventListener("click", stepOnce);
  reset.addEventListener("click", resetAll);
  // Enter and Space activate a button here, not JupyterLab's notebook (an ancestor would take them for its own).
  buttons.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") event.stopPropagation();
  });
  const onKey = (event) => {
    if (event.key.toLowerCase() !== DESCENT_KEY || event.ctrlKey || event.metaKey || event.altKey) return;
    event.preventDefault();
    event.stopPropagation();
    toggle();
  };
  const onInput = (event) => {
    // The learner takes a slider back: training stops.
    if (event.target.type === "range") pause();
  };
  el.addEventListener("keydown", onKey);
  el.addEventListener("input", onInput);
  el.glDescent = { get history() { return history; }, frames, work, get running() { return running; } };
  return () => {
    pause();
    el.removeEventListener("keydown", onKey);
    el.removeEventListener("input", onInput);
    unbind();
  };
}

/** The loss curve in parent: an SVG drawn once, its line grown by add({step, loss}); the axes rescale (and the line
 * is redrawn) only when a step or a loss goes past them. clear() empties it. */
function lossCurve(parent, steps) {
  const { width, height, left, right, top, bottom } = LOSS_CURVE;
  const svg = node(parent, "svg", {
    viewBox: `0 0 ${width} ${height}`, width, height, role: "img", class: "gl-descent-curve",
    "aria-label": "The loss over the training steps (the status says its last value)",
  });
  const axes = node(svg, "g", { class: "gl-axes" });
  node(axes, "rect", { x: left, y: top, width: right - left, height: bottom - top });
  const yTop = label(axes, left - 5, top + 4, [""], { "text-anchor": "end" });
  label(axes, left - 5, bottom + 4, ["0"], { "text-anchor": "end" });
  label(axes, left, bottom + 16, ["0"]);
  const xRight = label(axes, right, bottom + 16, [""]);
  label(axes, (left + right) / 2, height - 4, ["training step"]);
  const middle = (top + bottom) / 2;
  label(axes, 10, middle, ["loss"], { transform: `rotate(-90 10 ${middle})` });
  const line = node(svg, "polyline", { fill: "none", stroke: "#0072B2", "stroke-width": 2, class: "gl-descent-loss" });
  let records = [], points = [], xMax = steps, yMax = 0;
  const at = ({ step, loss }) => {
    const x = left + (step / xMax) * (right - left);
    const y = bottom - (loss / yMax) * (bottom - top);
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  };
  const rescale = () => {
    yTop.textContent = yMax ? yMax.toPrecision(2) : "";
    xRight.textContent = String(xMax);
    points = records.map(at);
  };
  rescale();
  return {
    add(record) {
      records.push(record);
      if (record.step > xMax || record.loss > yMax || !yMax) {
        while (record.step > xMax) xMax += steps;
        yMax = Math.max(yMax, record.loss * 1.1, 1e-3);
        rescale();
      } else points.push(at(record));
      line.setAttribute("points", points.join(" "));
    },
    clear() {
      records = [];
      xMax = steps;
      yMax = 0;
      rescale();
      line.setAttribute("points", "");
    },
  };
}
