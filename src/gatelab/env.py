"""Lesson 00's environment check: is this the course's pinned stack?"""

import importlib.metadata
import platform
import sys
from pathlib import Path

# What the course expects; requirements.txt holds the exact pins.
EXPECTED = {"torch": "2.13.0", "ipywidgets": "8.1.", "matplotlib": "3.", "nbgrader": "0.9.6"}


def version(package):
    """The installed version of package, or None when it is missing."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def environment_report():
    """Rows (what, found, ok) describing Python, the pinned packages and gatelab's location."""
    rows = [("python", platform.python_version(), sys.version_info[:2] == (3, 11))]
    for package, wanted in EXPECTED.items():
        found = version(package)
        rows.append((package, found or "missing", bool(found) and found.startswith(wanted)))
    rows.append(("gatelab", str(Path(__file__).parent), True))
    return rows
