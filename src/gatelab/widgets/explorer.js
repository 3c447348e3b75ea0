// What every explorer drawn in the browser shares: SVG helpers, the sigmoid panel with its gates' operating
// points, the bar panel, the sliders, and mount(), which builds an explorer once and redraws it on each change.
// An explorer's module imports these from "./explorer.js"; gatelab/widgets/front.py inlines this file in its
// place, so the widget is one module with nothing to fetch.

export const SVG = "http://www.w3.org/2000/svg";
export const WIDTH = 720, HEIGHT = 270;
// Okabe & Ito's colour-blind-safe palette; every mark also carries a label, and the gates differ in shape.
export const COLOR = { vermillion: "#D55E00", green: "#009E73", grey: "#7f7f7f", orange: "#E69F00", blue: "#0072B2" };
export const TEXT_COLOR = { vermillion: "#A64500", green: "#00704F", blue: "#005A8C" }; // darker: AA contrast as text
const GATE = { left: 58, right: 318, top: 34, bottom: 214, lo: -10, hi: 10 }; // the sigmoid panel, a in [lo, hi]
const MIX = { left: 400, right: 706, top: 34, bottom: 214 }; // the bar panel

const clip = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
const gateX = (a) => GATE.left + ((clip(a, GATE.lo, GATE.hi) - GATE.lo) / (GATE.hi - GATE.lo)) * (GATE.right - GATE.left);
const gateY = (g) => GATE.bottom - ((g + 0.04) / 1.08) * (GATE.bottom - GATE.top);

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

/** The sigmoid over the pre-activation a, drawn once; returns show(gate, a, value) for the gates' marks. */
export function gatePanel(svg, gates, sigmoid) {
  const g = node(svg, "g", { class: "gl-axes" });
  node(g, "rect", { x: GATE.left, y: GATE.top, width: GATE.right - GATE.left, height: GATE.bottom - GATE.top });
  node(g, "line", { x1: gateX(0), x2: gateX(0), y1: GATE.top, y2: GATE.bottom, class: "gl-grid" });
  node(g, "line", { x1: GATE.left, x2: GATE.right, y1: gateY(0.5), y2: gateY(0.5), class: "gl-grid" });
  for (const a of [-10, -5, 0, 5, 10]) label(g, gateX(a), GATE.bottom + 15, [String(a)]);
  for (const v of [0, 0.5, 1]) label(g, GATE.left - 6, gateY(v) + 4, [String(v)], { "text-anchor": "end" });
  label(g, (GATE.left + GATE.right) / 2, GATE.bottom + 34, ["pre-activation a"]);
  const middle = (GATE.top + GATE.bottom) / 2;
  label(g, 16, middle, ["gate = σ(a)"], { transform: `rotate(-90 16 ${middle})` });
  label(g, (GATE.left + GATE.right) / 2, 20, ["each gate = σ(a) at its operating point"]);
  const points = [];
  for (let k = 0; k <= 200; k++) {
    const a = GATE.lo + ((GATE.hi - GATE.lo) * k) / 200;
    points.push(`${gateX(a).toFixed(2)},${gateY(sigmoid(a)).toFixed(2)}`);
  }
  node(g, "polyline", { points: points.join(" "), class: "gl-curve" });
  // Each gate: a guide from the a axis up to its point and across, the point (a circle or a square), its name.
  const marks = {};
  for (const { gate, color, textColor, shape, dashes } of gates) {
    const m = node(svg, "g", { class: `gl-gate gl-gate-${gate}` });
    marks[gate] = {
      shape,
      guide: node(m, "polyline", { class: "gl-guide", stroke: color, "stroke-dasharray": dashes }),
      point: shape === "circle"
        ? node(m, "circle", { r: 7, fill: color, stroke: "#fff", "stroke-width": 1.5 })
        : node(m, "rect", { width: 13, height: 13, fill: color, stroke: "#fff", "stroke-width": 1.5 }),
      name: node(m, "text", { class: "gl-mark-label", style: `fill: ${textColor}` }, gate),
      below: Object.keys(marks).length % 2 === 1, // the second gate's name sits below its point
    };
  }
  return (gate, a, value) => {
    const m = marks[gate], x = gateX(a), y = gateY(value);
    m.guide.setAttribute("points", `${x},${gateY(-0.04)} ${x},${y} ${GATE.left},${y}`);
    if (m.shape === "circle") {
      m.point.setAttribute("cx", x);
      m.point.setAttribute("cy", y);
    } else {
      m.point.setAttribute("x", x - 6.5);
      m.point.setAttribute("y", y - 6.5);
    }
    m.name.setAttribute("x", x + (x > GATE.right - 30 ? -20 : 10));
    m.name.setAttribute("y", y + (m.below ? 18 : -8));
  };
}

/** Bars of values in ±lim under a title, each labelled below the axis; returns show(values) that sets each bar
 * to values[its key]. */
export function barPanel(svg, title, bars, lim, ticks) {
  const barY = (v) => MIX.bottom - ((clip(v, -lim, lim) + lim) / (2 * lim)) * (MIX.bottom - MIX.top);
  const g = node(svg, "g", { class: "gl-axes" });
  node(g, "rect", { x: MIX.left, y: MIX.top, width: MIX.right - MIX.left, height: MIX.bottom - MIX.top });
  for (const v of ticks) node(g, "line", { x1: MIX.left, x2: MIX.right, y1: barY(v), y2: barY(v), class: "gl-grid" });
  for (const v of [ticks[0], 0, ticks.at(-1)]) label(g, MIX.left - 6, barY(v) + 4, [String(v)], { "text-anchor": "end" });
  node(g, "line", { x1: MIX.left, x2: MIX.right, y1: barY(0), y2: barY(0), class: "gl-zero" });
  label(g, (MIX.left + MIX.right) / 2, 20, title);
  const slot = (MIX.right - MIX.left) / bars.length;
  const shown = bars.map(({ key, parts, color }, k) => {
    const x = MIX.left + slot * (k + 0.5);
    label(g, x, MIX.bottom + 17, parts);
    const bar = node(svg, "rect", { x: x - slot * 0.3, width: slot * 0.6, fill: color, class: `gl-bar gl-bar-${key}` });
    return { key, bar, value: node(svg, "text", { x, "text-anchor": "middle", class: "gl-bar-value" }) };
  });
  return (values) => {
    for (const { key, bar, value } of shown) {
      const v = values[key], y0 = barY(0), y = barY(v);
      bar.setAttribute("y", Math.min(y, y0));
      bar.setAttribute("height", Math.max(Math.abs(y - y0), 0.5));
      value.textContent = `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(2)}`;
      value.setAttribute("y", v >= 0 ? y - 5 : y + 14);
    }
  };
}

let nextId = 0;
const ALT_DELAY = 150; // ms from the last slider move to the text alternative's new words
const SLIDER_KEYS = new Set(["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "PageUp", "PageDown", "Home", "End"]);

/** Decimals that show a slider's step: 0.1 → 1, 0.05 → 2. */
function decimals(step) {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

/** A native range input for one setting (the model's trait of that name), its label and its value beside it. */
function sliderRow(parent, setting, model, onMove) {
  const id = `gl-slider-${nextId++}-${setting.name}`;
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
    output.textContent = value.toFixed(places);
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
 * describe(numbers, settings) the text; constants is the model's _constants, the fixed data. Returns the cleanup
 * anywidget calls.
 */
export function mount({ model, el }, { name, figureLabel, draw, compute, describe, height = HEIGHT }) {
  const settings = model.get("_settings"), constants = model.get("_constants") ?? {};
  el.classList.add("gl-explorer", `gl-${name}`);
  el.dataset.explorer = model.get("_explorer"); // the Python class: a page's tests know which explorer it is
  el.innerHTML = `<div class="gl-controls" role="group" aria-label="The explorer's settings"></div>
    <p class="gl-alt" aria-live="polite"></p>`;
  const [controls, alt] = el.children;
  controls.style.gridTemplateRows = `repeat(${Math.ceil(settings.length / 2)}, auto)`; // two columns, read down
  alt.id = `gl-alt-${nextId++}`;
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
  const cleanups = settings.map((setting) => sliderRow(controls, setting, model, () => update(false)));
  update(true);
  return () => {
    clearTimeout(describing);
    cleanups.forEach((cleanup) => cleanup());
  };
}
