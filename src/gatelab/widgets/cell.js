// The math every explorer shares: a one-unit cell's gate, in the course's notation (gatelab.dynamics computes
// the same in Python; the browser tests compare the two). An explorer's module imports these from "./cell.js";
// gatelab/widgets/front.py inlines this file in its place.

/** σ(a), without overflow for large |a| (as gatelab.dynamics.sigmoid). */
export function sigmoid(a) {
  return a >= 0 ? 1 / (1 + Math.exp(-a)) : Math.exp(a) / (1 + Math.exp(a));
}

/** A one-unit gate's pre-activation a = W_g·[h_prev, x_t] + b_g, written w_x·x_t + w_h·h_prev + b
 * (as gatelab.dynamics.gate_pre_activation). */
export function preActivation(w_x, w_h, b, x, h_prev) {
  return w_x * x + w_h * h_prev + b;
}
