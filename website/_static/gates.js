// The course site's one script: a display formula wider than the page scrolls sideways, so a keyboard must be
// able to reach it (WCAG 2.1.1; axe: scrollable-region-focusable). Only the formulas that overflow get a tab stop.
function reachableFormulas() {
  for (const formula of document.querySelectorAll(".math-display")) {
    if (formula.scrollWidth > formula.clientWidth) {
      formula.tabIndex = 0;
      formula.setAttribute("role", "group");
      formula.setAttribute("aria-label", "formula, scrolls sideways");
    } else {
      formula.removeAttribute("tabindex");
    }
  }
}
document.addEventListener("DOMContentLoaded", reachableFormulas);
window.addEventListener("resize", reachableFormulas);
