"""Does `nbgrader collect` on this course take only what each student submitted themselves?

Real folders in a real exchange, owned by real system users (nobody and daemon, chown'ed as root), and
the real `nbgrader collect`: the course's collect (autograde/exchange.py) against nbgrader's own, which
takes whatever a folder's name claims (nbgrader #1097). Without root this skips, except under CI.
"""

import os
import shutil

import pytest

from tests.course import ROOT, make_course, nbgrader, needs

A = "01-why-gates"
EARLY, LATE = "2026-12-01 10:00:00.000000 UTC", "2026-12-01 11:00:00.000000 UTC"


@pytest.fixture
def exchange(tmp_path):
    """An inbound holding nobody's own submission, a later one in nobody's name written by daemon, and
    one in alice's name written by nobody."""
    needs(os.geteuid() == 0, "the exchange test needs root (it gives folders to other users)")
    inbound = tmp_path / "exchange" / "gates" / "inbound"
    for name, stamp, made_by in [
        (f"nobody+{A}+{EARLY}+own", EARLY, "nobody"),
        (f"nobody+{A}+{LATE}+forged", LATE, "daemon"),
        (f"alice+{A}+{LATE}+forged", LATE, "nobody"),
    ]:
        folder = inbound / name
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text(stamp)
        (folder / f"{A}.ipynb").write_text(f'{{"made by": "{made_by}"}}')
        for path in (folder, *folder.iterdir()):
            shutil.chown(path, made_by)
    return tmp_path / "exchange"


def collect(tmp_path, exchange, *options):
    """A course (with autograde/exchange.py) that collects A from exchange; {student: (stamp, made by)}."""
    course = make_course(tmp_path / "course", [A])
    shutil.copytree(ROOT / "autograde", course / "autograde", dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.db"))
    nbgrader("generate_assignment", A, cwd=course)
    log = nbgrader("collect", A, f"--Exchange.root={exchange}", *options, cwd=course)
    submitted = course / "autograde" / "submitted"
    found = {
        folder.name: ((folder / A / "timestamp.txt").read_text(), (folder / A / f"{A}.ipynb").read_text())
        for folder in submitted.iterdir()
    }
    return found, log


def test_collect_takes_each_students_own_latest_submission(tmp_path, exchange):
    found, log = collect(tmp_path, exchange)
    assert found == {"nobody": (EARLY, '{"made by": "nobody"}')}
    assert f"Skipped nobody+{A}+{LATE}+forged: submitted as nobody by daemon" in log
    assert f"Skipped alice+{A}+{LATE}+forged: submitted as alice by nobody" in log


def test_nbgrader_alone_takes_what_a_folder_name_claims(tmp_path, exchange):
    """The hole the course's collect closes: nbgrader warns, and collects the forgeries anyway."""
    found, log = collect(tmp_path, exchange, "--ExchangeFactory.collect=nbgrader.exchange.default.ExchangeCollect")
    assert found == {"nobody": (LATE, '{"made by": "daemon"}'), "alice": (LATE, '{"made by": "nobody"}')}
    assert "cheating attempt?" in log
