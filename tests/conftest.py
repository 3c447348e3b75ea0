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
