"""Does the learners' copy of the course hold everything `make lab` needs and nothing of the solutions?"""

import pytest

from autograde.student_copy import make_student_copy
from tests.course import MARKERS, SOLUTION_NOTEBOOKS, read, secret_lines


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    return make_student_copy(tmp_path_factory.mktemp("student") / "gates")


def test_the_copy_has_the_lessons_the_package_and_the_environment(copy):
    for name in ("README.md", "Makefile", "requirements.txt", "environment.yml", "pyproject.toml"):
        assert (copy / name).is_file(), name
    assert (copy / "src" / "gatelab" / "__init__.py").is_file()
    assert sorted(p.name for p in (copy / "lessons").iterdir()) == sorted({p.parent.name for p in SOLUTION_NOTEBOOKS})
    assert "make lab" in (copy / "README.md").read_text()


def test_the_copy_has_no_solutions_tests_or_grading_workspace(copy):
    for name in ("solutions", "tests", "autograde", "nbgrader_config.py", ".git"):
        assert not (copy / name).exists(), name


def text_lines(path):
    """The stripped lines of a text file; of a notebook, the lines of its cells' sources."""
    if path.suffix == ".ipynb":
        return {line.strip() for cell in read(path).cells for line in cell.source.splitlines()}
    return {line.strip() for line in path.read_text(errors="replace").splitlines()}


def leaks(folder):
    """{file: solution or hidden-test lines (or markers) it contains} for every text file under folder."""
    secrets = set().union(*(secret_lines(read(p)) for p in SOLUTION_NOTEBOOKS)) | set(MARKERS)
    found = {}
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix in {".ipynb", ".py", ".md", ".txt", ".yml", ".toml", ".svg", ""}:
            lines = text_lines(path)
            hits = secrets & lines | {m for m in MARKERS if any(line.startswith(m) for line in lines)}
            if hits:
                found[str(path.relative_to(folder))] = hits
    return found


def test_no_file_of_the_copy_contains_a_solution_or_a_hidden_test(copy):
    assert leaks(copy) == {}


def test_a_leaked_solution_would_be_found(tmp_path):
    leaked = tmp_path / "leaked.ipynb"
    leaked.write_text(SOLUTION_NOTEBOOKS[-1].read_text())
    assert leaks(tmp_path)


def test_an_existing_destination_is_refused(copy):
    with pytest.raises(SystemExit, match="exists already"):
        make_student_copy(copy)
