// What every explorer drawn in the browser shares: SVG helpers, the sliders, and mount(), which builds an explorer
// once and redraws it on each change. (The gate explorers' sigmoid and bar panels are in gate_panels.js.)
// An explorer's module imports these from "./explorer.js"; gatelab/widgets/front.py inlines this file in its
// place, so the widget is one module with nothing to fetch.

export const SVG = "http://www.w3.org/2000/svg";
export const WIDTH = 720, HEIGHT = 270;
// Okabe & Ito's colour-blind-safe palette; every mark also carries a label, and the gates differ in shape.
export const COLOR = { vermillion: "#D55E00", green: "#009E73", grey: "#7f7f7f", orange: "#E69F00", blue: "#0072B2" };
export const TEXT_COLOR = { vermillion: "#A64500", green: "#00704F", blue: "#005A8C" }; // darker: AA contrast as text

/** A new SVG element tag in parent, with attributes and text. */
export function node(parent, tag, attrs = {}, text = "") {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  if (text) n.textContent = text;
  parent.appendChild(n);
  return n;
}

/** A subscript part of a label: ["c", sub("t")] is c_t. */
export const sub = (text) => ({ sub: text });
/** A superscript part of a label: ["10", sup("−5")] is 10⁻⁵. */
export const sup = (text) => ({ sup: text });

/** A text label at (x, y), centred unless attrs say otherwise; parts are plain strings, sub()s and sup()s. */
export function label(parent, x, y, parts, attrs = {}) {
  const t = node(parent, "text", { x, y, "text-anchor": "middle", ...attrs });
  for (const part of parts) {
    if (typeof part === "string") t.append(part);
    else if (part.sub !== undefined) node(t, "tspan", { "baseline-shift": "sub", "font-size": "75%" }, part.sub);
    else node(t, "tspan", { "baseline-shift": "super", "font-size": "75%" }, part.sup);
  }
  return t;
}

// Element ids must differ across every explorer of a page, and each display may run its own copy of this module
// (its counter starting at 0 again): a random prefix per copy keeps two puzzles' sliders apart.
const ID_PREFIX = `gl-${Math.random().toString(36).slice(2, 10)}`;
let nextId = 0;
const ALT_DELAY = 150; // ms from the last slider move to the text alternative's new words
const SLIDER_KEYS = new Set(["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "PageUp", "PageDown", "Home", "End"]);

/** Decimals that show a slider's step: 0.1 → 1, 0.05 → 2. */
function decimals(step) {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

/** A native range input for one setting (the model's trait of that name), its label and its value beside it, in
 * words valueText(name, value) gives (default: the number, to the step's decimals). */
function sliderRow(parent, setting, model, onMove, valueText) {
  const id = `${ID_PREFIX}-slider-${nextId++}-${setting.name}`;
  const row = document.createElement("div");
  row.className = "gl-slider";
  row.innerHTML = `<label for="${id}"></label><input type="range" id="${id}"><output for="${id}"></output>
    <span class="gl-visually-hidden" id="${id}-about"></span>`;
  const [labelEl, input, output, about] = row.children;
  labelEl.textContent = setting.label;
  about.textContent = setting.about;
  Object.assign(input, { min: setting.min, max: setting.max, step: setting.step });
  input.classList.add(`gl-slider-${setting.name.replaceAll("_", "-")}`);
  input.dataset.name = setting.name;
  input.setAttribute("aria-describedby", about.id);
  const places = decimals(setting.step);
  const fromModel = () => {
    const value = model.get(setting.name);
    input.value = value;
    output.textContent = valueText?.(setting.name, value) ?? value.toFixed(places);
    input.setAttribute("aria-valuetext", output.textContent);
  };
  // The keys that move a range input are its own: JupyterLab's notebook, an ancestor, would take them (cancel
  // the move and focus a cell).
  input.addEventListener("keydown", (event) => {
    if (SLIDER_KEYS.has(event.key)) event.stopPropagation();
  });
  input.addEventListener("input", () => {
    model.set(setting.name, Number(input.value));
    model.save_changes(); // at once: an echo of an older send would otherwise overwrite a move not yet sent
  });
  const onChange = () => {
    fromModel();
    onMove();
  };
  model.on(`change:${setting.name}`, onChange);
  fromModel();
  parent.appendChild(row);
  return () => model.off(`change:${setting.name}`, onChange);
}

/**
 * Build an explorer in el once: its sliders (from the model's _settings), a text alternative in a polite live
 * region, and an SVG figure (WIDTH × height) that draw(svg, constants) builds and whose returned
 * show(numbers, settings) moves it. On every change, compute(settings, constants) gives the numbers,
 * describe(numbers, settings) the text; constants is the model's _constants, the fixed data. valueText(name, value),
 * if given, words a slider's value (a film's checkpoint as its training step). Returns the cleanup anywidget calls.
 */
export function mount({ model, el }, { name, figureLabel, draw, compute, describe, height = HEIGHT, valueText }) {
  const settings = model.get("_settings"), constants = model.get("_constants") ?? {};
  el.classList.add("gl-explorer", `gl-${name}`);
  el.dataset.explorer = model.get("_explorer"); // the Python class: a page's tests know which explorer it is
  el.innerHTML = `<div class="gl-controls" role="group" aria-label="The explorer's settings"></div>
    <p class="gl-alt" aria-live="polite"></p>`;
  const [controls, alt] = el.children;
  controls.style.gridTemplateRows = `repeat(${Math.ceil(settings.length / 2)}, auto)`; // two columns, read down
  alt.id = `${ID_PREFIX}-alt-${nextId++}`;
  const svg = node(el, "svg", {
    viewBox: `0 0 ${WIDTH} ${height}`, width: WIDTH, height, role: "img", class: "gl-figure",
    "aria-label": figureLabel, "aria-describedby": alt.id,
  });
  const show = draw(svg, constants);
  let describing; // the pending text alternative, written once the sliders rest
  const update = (now) => {
    const s = Object.fromEntries(settings.map(({ name }) => [name, model.get(name)]));
    const numbers = compute(s, constants);
    show(numbers, s);
    svg.dataset.settings = JSON.stringify(s); // what the page computed, from what: for the browser tests
    svg.dataset.computed = JSON.stringify(numbers);
    // The words follow ALT_DELAY ms after the last move: a screen reader announces where a drag stops, not
    // every step, and rewriting a paragraph (a new layout of the page below) stays out of the moving frames.
    clearTimeout(describing);
    const words = () => { alt.textContent = describe(numbers, s); };
    if (now) words();
    else describing = setTimeout(words, ALT_DELAY);
  };
  // Several sliders set at once (training moves them all) redraw once: after the task that set them.
  let queued = false;
  const onMove = () => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      update(false);
    });
  };
  const cleanups = settings.map((setting) => sliderRow(controls, setting, model, onMove, valueText));
  update(true);
  return () => {
    clearTimeout(describing);
    cleanups.forEach((cleanup) => cleanup());
  };
}
