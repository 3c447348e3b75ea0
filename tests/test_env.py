"""Does lesson 00's environment check recognise the pinned stack, and do pip and conda pin the same?"""

import re

from gatelab import env
from tests.course import ROOT


def pins(lines):
    """{package: version} of every 'name==version' line."""
    return dict(re.match(r"\s*-?\s*([A-Za-z0-9_.\-]+)==([^\s#]+)", line).groups() for line in lines if "==" in line)


def test_pip_and_conda_pin_the_same_versions():
    pip = pins((ROOT / "requirements.txt").read_text().splitlines())
    environment = (ROOT / "environment.yml").read_text()
    conda_pip_section = environment.split("- pip:", 1)[1].splitlines()
    assert pins(conda_pip_section) == pip
    assert re.search(r"^\s*- python=3\.11\s*$", environment, re.M)
    assert pip["torch"] == "2.13.0", "torch stays pinned to the CPU build"


def test_environment_report_finds_this_environment():
    rows = {what: (found, ok) for what, found, ok in env.environment_report()}
    assert rows["torch"][1] and rows["nbgrader"][1] and rows["ipywidgets"][1]
    assert rows["python"][0].startswith("3.11")


def test_a_missing_package_is_reported_missing():
    assert env.version("no-such-package-gates") is None
