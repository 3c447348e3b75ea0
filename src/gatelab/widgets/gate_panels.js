// The gate explorers' panels (lessons 02 and 04: gru_gate.js, lstm_gate.js): the sigmoid with each gate's operating
// point, and the bar panel, each built once and moved by setting attributes. An explorer's module imports these
// from "./gate_panels.js"; gatelab/widgets/front.py inlines this file in its place, in one scope with explorer.js.
import { label, node } from "./explorer.js";

const GATE = { left: 58, right: 318, top: 34, bottom: 214, lo: -10, hi: 10 }; // the sigmoid panel, a in [lo, hi]
const MIX = { left: 400, right: 706, top: 34, bottom: 214 }; // the bar panel

const clip = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
const gateX = (a) => GATE.left + ((clip(a, GATE.lo, GATE.hi) - GATE.lo) / (GATE.hi - GATE.lo)) * (GATE.right - GATE.left);
const gateY = (g) => GATE.bottom - ((g + 0.04) / 1.08) * (GATE.bottom - GATE.top);

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
