import sys
from pathlib import Path

import pytest
import torch

# The repository root, so tests can import autograde (grading tooling) and tests.course.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


@pytest.fixture
def rng():
    """A seeded generator: every test sees the same random tensors."""
    return torch.Generator().manual_seed(0)


# One browser per xdist worker for every browser test (tests/test_browser.py, tests/test_hub_browser.py):
# Playwright's sync API runs one instance per thread, so a second one beside the first is refused.
@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def offline(browser):
    """A page in a browser context where every request but loopback's is aborted (no network); yields (page, its
    console errors, the URLs aborted)."""
    from tests.browser import console_errors, loopback_only

    context = browser.new_context(viewport={"width": 1200, "height": 900})
    aborted = loopback_only(context)
    page = context.new_page()
    yield page, console_errors(page), aborted
    context.close()
