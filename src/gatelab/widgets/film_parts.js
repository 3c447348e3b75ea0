// What the two training films share (lesson 06's agreement film, film.js; lesson 07's identical-start film,
// identical_film.js): gate maps (units × tokens, recoloured at each checkpoint) and curves against the training
// step with a marker at the step shown. A film's module imports these from "./film_parts.js"; front.py inlines it.
import { COLOR, TEXT_COLOR, label, node } from "./explorer.js";

/** A gate's value in [0, 1] as a fill, white to dark blue (linear in RGB). */
const LIGHT = [247, 251, 255], DARK = [8, 48, 107];
export function fill(v) {
  const c = LIGHT.map((lo, n) => Math.round(lo + (DARK[n] - lo) * Math.min(Math.max(v, 0), 1)));
  return `rgb(${c.join(",")})`;
}

/**
 * One map per gate, stacked, for one sequence of tokens, built once; returns show(maps) that recolours their cells
 * from maps {gate: (T, H) values}. Options: x, top (the first map's left and top edge), cell {w, h} (one unit at one
 * token), gap (between two maps), title (bold, above), tokens (the columns' labels, slanted), gates (the names, in
 * order), units (H), unit (a row to outline and label in vermillion, or none), marked (columns to outline), labelled
 * (which units' numbers to write beside the rows: all by default), tokenStyle(t) (attributes of a token's label).
 */
export function gateMaps(svg, { x, top, cell, gap, title, tokens, gates, units, unit, marked = [], labelled, tokenStyle }) {
  const T = tokens.length;
  if (title) label(svg, x + (T * cell.w) / 2, 16, [title], { "font-weight": "bold" });
  tokens.forEach((token, t) => {
    const tx = x + (t + 0.5) * cell.w, ty = top - 6;
    label(svg, tx, ty, [token], { "text-anchor": "start", transform: `rotate(-45 ${tx} ${ty})`, "font-size": 11,
      ...tokenStyle?.(t) });
  });
  const cells = {};
  gates.forEach((g, m) => {
    const y0 = top + m * (units * cell.h + gap);
    label(svg, x - 40, y0 + (units * cell.h) / 2 + 4, [g], { "font-size": 15, "font-weight": "bold" });
    label(svg, x - 4, y0 - 3, ["unit"], { "text-anchor": "end", "font-size": 10 });
    cells[g] = [];
    for (let u = 0; u < units; u++) {
      const y = y0 + u * cell.h;
      if (!labelled || labelled.includes(u) || u === unit) {
        label(svg, x - 4, y + cell.h - 2, [String(u)], { "text-anchor": "end", "font-size": Math.min(10, cell.h),
          ...(u === unit ? { "font-weight": "bold", fill: TEXT_COLOR.vermillion } : {}) });
      }
      cells[g].push(tokens.map((_, t) => node(svg, "rect", {
        x: x + t * cell.w, y, width: cell.w, height: cell.h, stroke: "#fff", "stroke-width": 0.5,
      })));
    }
    if (unit !== undefined) {
      node(svg, "rect", { x: x - 1, y: y0 + unit * cell.h - 1, width: T * cell.w + 2, height: cell.h + 2,
        fill: "none", stroke: COLOR.vermillion, "stroke-width": 2.5 });
    }
    for (const t of marked) {
      node(svg, "rect", { x: x + t * cell.w - 1, y: y0 - 1, width: cell.w + 2, height: units * cell.h + 2,
        fill: "none", stroke: COLOR.vermillion, "stroke-width": 2.5 });
    }
  });
  return (maps) => {
    for (const g of gates) maps[g].forEach((row, t) => row.forEach((v, u) => cells[g][u][t].setAttribute("fill", fill(v))));
  };
}

/** The colour scale of the maps (0 white, 1 dark blue), 176 px wide, its top left at (x, y). */
export function mapScale(svg, x, y) {
  for (let n = 0; n <= 10; n++) node(svg, "rect", { x: x + 16 * n, y, width: 16, height: 12, fill: fill(n / 10) });
  label(svg, x, y + 26, ["0"]);
  label(svg, x + 176, y + 26, ["1"]);
  label(svg, x + 88, y + 26, ["gate value in the maps"]);
}

/**
 * Curves against the training step in box {left, right, top, bottom}, on a square-root scale of the step (small
 * networks learn most in their first steps), built once; returns show(frame) that moves the marker to checkpoint
 * frame. steps (K,); series: [{values (K,), top (the value drawn at the box's top; its bottom is 0), color, dashes,
 * shape ("circle" or "square"), legend (lines of words), textColor (its axis's, if it has one)}]. The left axis
 * reads the first series; a series with another top gets its own axis on the right. The legend goes right of the box.
 */
export function stepCurves(svg, steps, box, series) {
  const last = steps[steps.length - 1];
  const px = (step) => box.left + Math.sqrt(step / last) * (box.right - box.left);
  const py = (v, top) => box.bottom - (v / top) * (box.bottom - box.top);
  const g = node(svg, "g", { class: "gl-axes" });
  node(g, "rect", { x: box.left, y: box.top, width: box.right - box.left, height: box.bottom - box.top });
  const axis = (top, x, anchor, attrs) => {
    for (const f of [0, 0.5, 1]) label(g, x, py(f * top, top) + 4, [String(f * top)], { "text-anchor": anchor, ...attrs });
  };
  axis(series[0].top, box.left - 6, "end", {});
  const right = series.find((s) => s.top !== series[0].top);
  if (right) axis(right.top, box.right + 6, "start", { fill: right.textColor });
  for (const step of new Set([0, Math.round(last / 12), Math.round(last / 3), last])) {
    label(g, px(step), box.bottom + 15, [String(step)]);
  }
  label(g, (box.left + box.right) / 2, box.bottom + 32, ["training step (square-root scale)"]);
  node(g, "line", { x1: box.left, x2: box.right, y1: py(0.5, 1), y2: py(0.5, 1), class: "gl-grid" });
  const lx = box.right + (right ? 46 : 30);
  let ly = box.top + 6; // the legend's next line
  for (const s of series) {
    node(svg, "polyline", {
      points: s.values.map((v, k) => `${px(steps[k]).toFixed(1)},${py(v, s.top).toFixed(1)}`).join(" "),
      fill: "none", stroke: s.color, "stroke-width": 2, "stroke-dasharray": s.dashes,
    });
    node(svg, "line", { x1: lx, x2: lx + 26, y1: ly, y2: ly, stroke: s.color, "stroke-width": 2, "stroke-dasharray": s.dashes });
    s.legend.forEach((words, line) => label(svg, lx + 32, ly + 4 + 15 * line, [words], { "text-anchor": "start" }));
    ly += 15 * s.legend.length + 5;
  }
  const marker = node(svg, "line", { y1: box.top, y2: box.bottom, stroke: "#1a1a1a", "stroke-width": 1.5 });
  const dots = series.map((s) => s.shape === "circle"
    ? node(svg, "circle", { r: 5, fill: s.color, stroke: "#fff", "stroke-width": 1.5 })
    : node(svg, "rect", { width: 9, height: 9, fill: s.color, stroke: "#fff", "stroke-width": 1.5 }));
  return (frame) => {
    const x = px(steps[frame]);
    marker.setAttribute("x1", x);
    marker.setAttribute("x2", x);
    series.forEach((s, n) => {
      const y = py(s.values[frame], s.top);
      if (s.shape === "circle") {
        dots[n].setAttribute("cx", x);
        dots[n].setAttribute("cy", y);
      } else {
        dots[n].setAttribute("x", x - 4.5);
        dots[n].setAttribute("y", y - 4.5);
      }
    });
  };
}
