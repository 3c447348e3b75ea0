"""Does lesson 00's environment check recognise the pinned stack, and do pip and conda pin the same?"""

import json
import re
import subprocess
import sys

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from gatelab import env
from tests.course import ROOT


def pins(lines):
    """{package: version} of every 'name==version' line, torch's lines left out (see torch_lines)."""
    found = (re.match(r"\s*-?\s*([A-Za-z0-9_.\-]+)==([^\s#;]+)", line) for line in lines if "==" in line)
    return dict(m.groups() for m in found if m and m.group(1) != "torch")


def torch_lines(lines):
    """The lines that choose PyTorch's build: the CPU index and torch's pins with their markers."""
    lines = (re.sub(r"^\s*-\s+", "", line).strip() for line in lines)
    return [line for line in lines if line.startswith(("torch==", "--extra-index-url"))]


def requirement_lines(name):
    return (ROOT / name).read_text().splitlines()


def conda_pip_section():
    return (ROOT / "environment.yml").read_text().split("- pip:", 1)[1].splitlines()


def test_pip_and_conda_pin_the_same_versions():
    assert pins(conda_pip_section()) == pins(requirement_lines("requirements.txt"))
    assert re.search(r"^\s*- python=3\.11\s*$", (ROOT / "environment.yml").read_text(), re.M)


def test_pip_and_conda_take_the_same_cpu_build_of_torch():
    torch_step = torch_lines(requirement_lines("requirements-torch.txt"))
    assert torch_step == [
        "--extra-index-url https://download.pytorch.org/whl/cpu",
        'torch==2.13.0+cpu ; sys_platform == "linux"',
        'torch==2.13.0 ; sys_platform != "linux"',
    ]
    assert torch_lines(conda_pip_section()) == torch_step
    assert torch_lines(requirement_lines("requirements.txt")) == ["torch==2.13.0"], "no index for the other packages"


def test_the_cpu_build_satisfies_the_pin_of_requirements_txt():
    """pip installs requirements-torch.txt first; requirements.txt's torch==2.13.0 must then be satisfied."""
    assert Version("2.13.0+cpu") in SpecifierSet("==2.13.0")
    step = [Requirement(line) for line in torch_lines(requirement_lines("requirements-torch.txt"))[1:]]
    chosen = {where: [str(r.specifier) for r in step if r.marker.evaluate({"sys_platform": where})] for where in
              ("linux", "darwin", "win32")}  # fmt: skip
    assert chosen == {"linux": ["==2.13.0+cpu"], "darwin": ["==2.13.0"], "win32": ["==2.13.0"]}


def pip_dry_run(tmp_path, *args):
    """{name: version} that `pip install --dry-run --ignore-installed` would install with these arguments."""
    report = tmp_path / "report.json"
    command = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
               "--disable-pip-version-check", "--report", str(report), *args]  # fmt: skip
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True, timeout=600)
    installed = json.loads(report.read_text())["install"]
    return {item["metadata"]["name"].lower(): item["metadata"]["version"] for item in installed}


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="the CPU index is for Linux")
def test_pip_chooses_the_cpu_build_and_no_cuda_package(tmp_path):
    """make setup's two steps, dry-run here: torch's step takes 2.13.0+cpu, and the rest adds no CUDA package."""
    assert pip_dry_run(tmp_path, "--no-deps", "-r", "requirements-torch.txt") == {"torch": "2.13.0+cpu"}
    everything = pip_dry_run(tmp_path, "torch==2.13.0+cpu", "-r", "requirements.txt")
    assert everything["torch"] == "2.13.0+cpu"
    assert not [name for name in everything if name.startswith(("nvidia", "triton"))]
    assert {"jupyterlab", "nbgrader", "ipywidgets", "matplotlib"} <= everything.keys()


def test_environment_report_finds_this_environment():
    rows = {what: (found, ok) for what, found, ok in env.environment_report()}
    assert rows["torch"][1] and rows["nbgrader"][1] and rows["ipywidgets"][1]
    assert rows["python"][0].startswith("3.11")


def test_a_missing_package_is_reported_missing():
    assert env.version("no-such-package-gates") is None
