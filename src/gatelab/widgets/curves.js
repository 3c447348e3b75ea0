// The log-scale line panel the gradient explorers share (vanishing.js, highway.js): gradients over the time step
// t, drawn as log10|·| (gatelab.dynamics.log10_gradients computes the same in Python). Built once: axes, ticks
// as powers of ten, the vanished and exploded zones (shaded and named), a legend in the SVG; each update only
// sets attributes (a line's path, a marker's position, the T line). An explorer's module imports these from
// "./curves.js"; gatelab/widgets/front.py inlines this file in its place.
import { COLOR, TEXT_COLOR, label, node, sup } from "./explorer.js";

/** log10 max(|v|, floor): a gradient on the log scale, floored (0 would be −∞). */
export function log10Gradient(v, floor) {
  return Math.log10(Math.max(Math.abs(v), floor));
}

/** The size of a gradient in a word, with the thresholds constants sends (as gatelab.dynamics.gradient_verdict). */
export function gradientVerdict(v, { vanished, exploded }) {
  return Math.abs(v) < vanished ? "vanished" : Math.abs(v) > exploded ? "exploded" : "survives";
}

/** A gradient given as log10|·|, in words with its relation: "= 3.2e-5", "= 0.97" (from 0.01 to 1000), or
 * "≤ 1e-300" (at the floor). */
export function gradientText(log10, floor) {
  if (log10 <= Math.log10(floor)) return `≤ ${floor.toExponential(0)}`;
  const v = 10 ** log10;
  return `= ${v >= 0.01 && v < 1000 ? v.toPrecision(2) : v.toExponential(1).replace("e+", "e")}`;
}

/** A line's look as SVG attributes. */
function strokeOf({ color, width = 2, dashes = "none" }) {
  return { fill: "none", stroke: color, "stroke-width": width, "stroke-dasharray": dashes, "stroke-linecap": "round" };
}

/** An SVG path of a circle (radius r) or a square (side 2r) centred at (x, y). */
function shapePath(shape, x, y, r) {
  return shape === "square"
    ? `M${(x - r).toFixed(2)},${(y - r).toFixed(2)}h${2 * r}v${2 * r}h${-2 * r}z`
    : `M${(x - r).toFixed(2)},${y.toFixed(2)}a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0z`;
}

/**
 * A log-scale panel of lines over t = 1 … tMax in box ({ left, right, top, bottom }), log10 values in
 * [lo, hi] (ticks every `every` decades), built once in svg. zones: { vanished, exploded } shade and name what
 * lies beyond those gradients. lines: [{ key, legend: [parts, …] (one per legend row), color, width, dashes,
 * dots }] (dots: open circles at every third t instead of a line); marks: [{ key, color, shape }] (a circle or
 * a square on line key at t = T). legendAt: { x, y }.
 * Returns show({ T, lines: { key: log10 values }, counts: { key: how many to draw (all by default) } }).
 */
export function curvePanel(svg, { box, tMax, lo, hi, every, zones, title, yTitle, lines, marks, legendAt }) {
  const x = (t) => box.left + (t / tMax) * (box.right - box.left);
  const y = (v) => box.bottom - ((v - lo) / (hi - lo)) * (box.bottom - box.top);
  const inside = (v) => v >= lo && v <= hi;

  // The zones: below the vanished threshold, above the exploded one, shaded and named.
  const shade = node(svg, "g", { class: "gl-zones" });
  const vanished = Math.log10(zones.vanished), exploded = Math.log10(zones.exploded);
  const zone = { fill: COLOR.vermillion, "fill-opacity": 0.1, stroke: "none" };
  const zoneText = {
    "text-anchor": "end", style: `fill: ${TEXT_COLOR.vermillion}`, "font-style": "italic", "font-size": 11,
  };
  const power = (v) => sup(String(Math.round(v)).replace("-", "−"));
  const width = box.right - box.left;
  if (vanished > lo) {
    node(shade, "rect", { x: box.left, y: y(vanished), width, height: box.bottom - y(vanished), ...zone });
    label(shade, box.right - 6, box.bottom - 6, ["vanished: below 10", power(vanished)], zoneText);
  }
  if (exploded < hi) {
    const height = y(exploded) - box.top; // the label's baseline: inside a thin zone too
    node(shade, "rect", { x: box.left, y: box.top, width, height, ...zone });
    const baseline = box.top + Math.min(15, height - 2);
    label(shade, box.right - 6, baseline, ["exploded: above 10", power(exploded)], zoneText);
  }

  // The axes: a frame, ticks (powers of ten; every 20 steps), their labels, the titles.
  const axes = node(svg, "g", { class: "gl-axes" });
  node(axes, "rect", { x: box.left, y: box.top, width: box.right - box.left, height: box.bottom - box.top });
  for (let v = Math.ceil(lo / every) * every; v <= hi; v += every) {
    node(axes, "line", { x1: box.left, x2: box.right, y1: y(v), y2: y(v), class: v === 0 ? "gl-zero" : "gl-grid" });
    label(axes, box.left - 6, y(v) + 4, ["10", power(v)], { "text-anchor": "end" });
  }
  for (let t = 0; t <= tMax; t += 20) {
    node(axes, "line", { x1: x(t), x2: x(t), y1: box.bottom, y2: box.bottom + 4, stroke: "#595959" });
    label(axes, x(t), box.bottom + 17, [String(t)]);
  }
  label(axes, (box.left + box.right) / 2, box.bottom + 34, ["time step t"]);
  label(axes, (box.left + box.right) / 2, box.top - 18, title);
  const middle = (box.top + box.bottom) / 2;
  label(axes, 16, middle, yTitle, { transform: `rotate(-90 16 ${middle})` });

  // The T line, the lines (paths, clipped to the panel by hand: no url(#…) references), the marks at T.
  const tLine = node(svg, "line", {
    y1: box.top, y2: box.bottom, stroke: "#4d4d4d", "stroke-dasharray": "3 3", class: "gl-t-line",
  });
  const tText = node(svg, "text", { y: box.top - 4, "text-anchor": "middle", class: "gl-t-label" }); // above the frame
  const paths = Object.fromEntries(lines.map((line) => [line.key, node(svg, "path", {
    class: `gl-line gl-line-${line.key}`,
    ...(line.dots ? { fill: "none", stroke: line.color, "stroke-width": 1.4 } : strokeOf(line)),
  })]));
  const dotted = new Set(lines.filter((line) => line.dots).map((line) => line.key));
  const points = Object.fromEntries(marks.map((mark) => [mark.key, node(svg, "path", {
    class: `gl-mark gl-mark-${mark.key}`, fill: mark.color, stroke: "#fff", "stroke-width": 1.5,
  })]));

  // The legend: per line a sample of its look (with its mark at T, if any) and its label, row by row.
  const legend = node(svg, "g", { class: "gl-legend" });
  let row = legendAt.y;
  for (const line of lines) {
    const sample = line.dots
      ? node(legend, "path", { d: [8, 24].map((dx) => shapePath("circle", legendAt.x + dx, row - 4, 3.5)).join(""),
        fill: "none", stroke: line.color, "stroke-width": 1.4 })
      : node(legend, "line", { x1: legendAt.x, x2: legendAt.x + 32, y1: row - 4, y2: row - 4, ...strokeOf(line) });
    sample.classList.add("gl-legend-sample");
    const mark = marks.find((m) => m.key === line.key);
    if (mark) {
      node(legend, "path", { d: shapePath(mark.shape, legendAt.x + 32, row - 4, 5), fill: mark.color, stroke: "#fff" });
    }
    for (const parts of line.legend) {
      label(legend, legendAt.x + 44, row, parts, { "text-anchor": "start" });
      row += 16;
    }
    row += 10;
  }

  /** A path through (t, v) for t = 1 … n, cut where it leaves [lo, hi] (drawn up to the panel's edge). */
  const linePath = (values, n) => {
    let d = "", drawing = false;
    const edge = (v) => clamp(v, lo, hi);
    for (let t = 1; t <= n; t++) {
      const v = values[t - 1];
      if (t === 1) {
        if (inside(v)) d += `M${x(t).toFixed(2)},${y(v).toFixed(2)}`;
        drawing = inside(v);
        continue;
      }
      const u = values[t - 2];
      if (drawing && inside(v)) {
        d += `L${x(t).toFixed(2)},${y(v).toFixed(2)}`;
        continue;
      }
      // The segment from (t − 1, u) to (t, v) crosses an edge (or lies beyond one): draw its part inside.
      const a = edge(u), b = edge(v);
      if ((u < lo && v < lo) || (u > hi && v > hi)) {
        drawing = false;
        continue;
      }
      const at = (w) => t - 1 + (v === u ? 0 : (w - u) / (v - u)); // where the segment has value w
      const t0 = inside(u) ? t - 1 : at(a), t1 = inside(v) ? t : at(b);
      if (!drawing) d += `M${x(t0).toFixed(2)},${y(inside(u) ? u : a).toFixed(2)}`;
      d += `L${x(t1).toFixed(2)},${y(inside(v) ? v : b).toFixed(2)}`;
      drawing = inside(v);
    }
    return d;
  };
  const dotsPath = (values, n) => {
    let d = "";
    for (let t = 1; t <= n; t += 3) if (inside(values[t - 1])) d += shapePath("circle", x(t), y(values[t - 1]), 3.5);
    return d;
  };

  return ({ T, lines: values, counts = {} }) => {
    tLine.setAttribute("x1", x(T));
    tLine.setAttribute("x2", x(T));
    tText.setAttribute("x", x(T));
    tText.textContent = `T = ${T}`;
    for (const [key, path] of Object.entries(paths)) {
      const n = counts[key] ?? values[key].length;
      path.setAttribute("d", dotted.has(key) ? dotsPath(values[key], n) : linePath(values[key], n));
    }
    for (const mark of marks) {
      const v = values[mark.key][T - 1];
      const size = mark.shape === "square" ? 5 : 5.5; // a square looks larger than a circle of the same width
      points[mark.key].setAttribute("d", inside(v) ? shapePath(mark.shape, x(T), y(v), size) : "");
    }
  };
}

function clamp(v, lo, hi) {
  return Math.min(Math.max(v, lo), hi);
}
