"""Pictures of lesson 04's memory puzzle training itself, for docs/: `make pictures` (python -m bench.pictures).

The puzzle's text/html display (what a page with no kernel shows) is opened in Debian's Chromium from loopback; its
explorer is photographed at its start values, after DURING presses of Step, and after one press of "Let training
solve it" from there. docs/training-the-puzzle.md shows the three with what each says, written from the page's own
records (el.glDescent.history), so the words are the numbers of the pictures.
"""

import contextlib
import sys
import tempfile
from pathlib import Path

from gatelab import widgets
from tests import browser

DOCS = Path(__file__).resolve().parents[1] / "docs"
DURING = 25  # presses of Step before the second picture
NAMES = ("before", "during", "after")
LAST = "(el) => el.glDescent.history.at(-1)"
PICTURED = (
    "its nine sliders, the training buttons and the loss curve, the gates f and i and the memory c and h of "
    "both sentences token by token, and the push training gives each gate at each word"
)


@contextlib.contextmanager
def launched(chromium=None):
    """chromium if given (a Playwright Browser: the tests' one per process, as Playwright's sync API allows one per
    thread), else Debian's Chromium launched for the pictures and closed after."""
    if chromium is not None:
        yield chromium
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        own = p.chromium.launch(executable_path=str(browser.CHROMIUM), args=browser.CHROMIUM_ARGS)
        yield own
        own.close()


def photograph(folder, chromium=None):
    """Take the three pictures into folder (puzzle-training-<name>.png) in chromium (launched(chromium)); returns
    the page's last record at each ({"step", "loss", "settings"}) and the status line under the buttons."""
    from playwright.sync_api import expect

    shots = []
    with tempfile.TemporaryDirectory() as tmp, browser.static_server(Path(tmp)) as url, launched(chromium) as b:
        page = b.new_page(viewport={"width": 1000, "height": 1000}, device_scale_factor=1)
        page.goto(f"{url}/{browser.standalone_page(Path(tmp), widgets.lstm_memory_puzzle(), 'Puzzle')}")
        explorer = page.locator(".gl-explorer")
        status = explorer.locator(".gl-descent-status")
        run, step = (explorer.get_by_role("button", name=name) for name in ("Let training solve it", "Step"))
        expect(run).to_be_visible()

        def shoot(name, record):
            page.wait_for_timeout(400)  # the text alternative follows a move after 150 ms
            explorer.screenshot(path=folder / f"puzzle-training-{name}.png")
            shots.append(
                {"record": record, "status": status.inner_text(), "alt": explorer.locator(".gl-alt").inner_text()}
            )

        shoot("before", None)
        for n in range(DURING):
            step.click()
            page.wait_for_function(
                "([el, n]) => el.glDescent.history.length === n", arg=[explorer.element_handle(), n + 2]
            )
        shoot("during", explorer.evaluate(LAST))
        run.click()
        expect(run).to_have_text("Let training solve it", timeout=60_000)  # it stops by itself
        shoot("after", explorer.evaluate(LAST))
        page.close()
    return shots


def markdown(shots):
    """docs/training-the-puzzle.md: the three pictures, each with its alt text and what the page said."""
    lines = [
        "# Lesson 04's memory puzzle, trained in the page",
        "",
        "Made by `make pictures` (bench/pictures.py) in headless Chromium, from the puzzle's display with no kernel: "
        f"its start, after {DURING} presses of **Step**, and after one press of **Let training solve it** from there. "
        "The words under each picture are what the page said.",
        "",
    ]
    for name, shot in zip(NAMES, shots, strict=True):
        record = shot["record"]
        where = (
            "at the sliders' start values" if record is None else f"at step {record['step']}, loss {record['loss']:.3f}"
        )
        lines += [
            f"## {name.capitalize()}: {where}",
            "",
            f"![The memory puzzle {where}: {PICTURED}](puzzle-training-{name}.png)",
            "",
            f"> {shot['alt']}",
            "",
        ]
        if shot["status"]:
            lines += [f"> Status: {shot['status']}", ""]
    return "\n".join(lines)


def main(folder=DOCS, chromium=None):
    folder.mkdir(exist_ok=True)
    shots = photograph(folder, chromium)
    (folder / "training-the-puzzle.md").write_text(markdown(shots), encoding="utf-8")
    for name, shot in zip(NAMES, shots, strict=True):
        print(f"{name}: {shot['status'] or '(no training yet)'}")
    print(f"-> {folder}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DOCS)
