"""The class report: how each graded cell of an assignment went, and which mistakes the checks recognised.

    python -m autograde.insight ASSIGNMENT [--course DIR] [--db URL] [--out FILE]   (make insight A=ASSIGNMENT)

Steps, each a function below:
1. read: the scores from the gradebook (nbgrader's API on any SQLAlchemy URL: the course's SQLite gradebook, a
   PostgreSQL one), each failed test cell's message from the autograded notebooks (a check names the
   mistakes it recognised with ids in brackets, "… [rnn.concat-order]", read by gatelab.checks.diagnoses), and
   from the grader's report the notebooks it could not grade.
2. count: each cell's pass rate among the notebooks graded, its diagnoses ranked by how many students got each
   (with the mistake's own line from the feedback), failures with no recognised mistake, the notebooks not
   graded (and why), and a row per student.
3. render: one HTML page that reads offline (the figure embedded as a PNG data URI, every student-derived text
   escaped), autograde/insight-ASSIGNMENT.html by default, and the same data as JSON beside it (.json).

The JSON (count's result): {"assignment", "students" (submissions), "max_score", "mean_score",
  "cells": [{"cell", "max_points", "passed", "wrong", "of" (graded), "diagnoses": [{"id", "students", "line"}] most
            frequent first, "unrecognised" (failed, no known mistake recognised), "not_graded", "summary"}] in the
            notebook's order,
  "diagnoses": [{"id", "students", "cells": {cell: students}}] over the whole assignment, most frequent first,
  "not_graded": [{"student", "notebook", "why"}] (the notebooks the grader could not grade: they score 0),
  "rows": [{"student", "score", "cells": {cell: passed, None if not graded}, "diagnoses": {failed cell: [ids]},
            "not_graded": {notebook: why}}] by student id}.
"""

import argparse
import base64
import collections
import html
import io
import json
import re
import warnings
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy.exc import SAWarning

from autograde.collect import load_course
from autograde.report import read_report, report_path
from gatelab.checks import diagnoses

ROOT = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;]*m")
UNRECOGNISED = "no known mistake recognised"
NOT_GRADED = "not graded (the grader could not grade the notebook: see below)"

# -- 1. read ---------------------------------------------------------------------------------------------


def read_gradebook(db_url, course_id, assignment):
    """(cells, submissions) of assignment in the gradebook at db_url.

    cells: [(notebook, cell, max points)] of every graded cell; submissions: {student: {"score": points,
    "grades": {(notebook, cell): points}}}.
    """
    if db_url.startswith("sqlite:///") and not Path(db_url.removeprefix("sqlite:///")).exists():
        raise SystemExit(f"no gradebook at {db_url}: grade first (make grade A={assignment})")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's own session handling, harmless here
        return read_assignment(db_url, course_id, assignment)


def read_assignment(db_url, course_id, assignment):
    with Gradebook(db_url, course_id) as gb:
        try:
            found = gb.find_assignment(assignment)
        except MissingEntry:
            names = ", ".join(a.name for a in gb.assignments) or "none yet"
            raise SystemExit(f"the gradebook has no assignment {assignment!r}; it has: {names}") from None
        cells = [
            (nb.name, cell.name, float(cell.max_score))
            for nb in found.notebooks
            for cell in [*nb.grade_cells, *nb.task_cells]
        ]
        submissions = {
            sub.student.id: {
                "score": float(sub.score),
                "grades": {(nb.name, g.name): float(g.score) for nb in sub.notebooks for g in nb.grades},
            }
            for sub in found.submissions
        }
        return cells, submissions


def in_notebook_order(cells, coursedir, assignment):
    """cells sorted as they appear in the released notebooks (the gradebook keeps no order)."""
    folder = Path(coursedir.format_path(coursedir.release_directory, ".", assignment))
    position = {}
    for path in sorted(folder.glob("*.ipynb")):
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            position[(path.stem, cell.get("metadata", {}).get("nbgrader", {}).get("grade_id"))] = index
    return sorted(cells, key=lambda c: (c[0], position.get(c[:2], len(position)), c[1]))


def cell_message(cell):
    """What a graded cell's failure said: its error's message (ANSI colours removed), else its stderr."""
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if errors:
        return "\n".join(ANSI.sub("", f"{o.get('evalue', '')}") or o.get("ename", "") for o in errors)
    streams = [o for o in cell.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    return ANSI.sub("", "".join(o.get("text", "") for o in streams))


def read_messages(coursedir, assignment, student):
    """{(notebook, cell): message} of every graded cell in student's autograded notebooks (none if ungraded)."""
    folder = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
    messages = {}
    for path in sorted(folder.glob("*.ipynb")):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # an autograded notebook nbformat cannot read: its failures stay unexplained
            continue
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("grade") and cell.get("cell_type") == "code":
                messages[(path.stem, meta.get("grade_id"))] = cell_message(cell)
    return messages


def read_not_graded(coursedir, assignment):
    """{student: {notebook: why}} of the notebooks the grader could not grade (its report's failures)."""
    students = read_report(report_path(coursedir, assignment)).get("students", {})
    return {
        student: {Path(name).stem: why for name, why in entry.get("failures", {}).items()}
        for student, entry in students.items()
        if entry.get("failures")
    }


# -- 2. count --------------------------------------------------------------------------------------------


def mistake_line(message, diagnosis):
    """The line of message that names diagnosis, without its [id]: 'this is what [x_t, h_prev] order gives: …'."""
    tag = f"[{diagnosis}]"
    line = next((line for line in message.splitlines() if tag in line), "")
    return line.replace(tag, "").strip()


def cell_names(cells):
    """{(notebook, cell): the name the report uses}: the cell's grade id, prefixed by its notebook if several."""
    several = len({notebook for notebook, _, _ in cells}) > 1
    return {(nb, cell): f"{nb}/{cell}" if several else cell for nb, cell, _ in cells}


def count(assignment, cells, submissions, messages, not_graded=None):
    """The report (the JSON the module's docstring describes) of cells [(notebook, cell, max points)], submissions
    {student: {"score", "grades": {(notebook, cell): points}}}, messages {student: {(notebook, cell): text}} and
    not_graded {student: {notebook: why}} (the grader's failures)."""
    names, not_graded = cell_names(cells), not_graded or {}
    rows = []
    for student in sorted(submissions):
        grades, said, lost = submissions[student]["grades"], messages.get(student, {}), not_graded.get(student, {})
        passed = {names[nb, c]: None if nb in lost else grades.get((nb, c), 0.0) >= top - 1e-9 for nb, c, top in cells}
        found = {names[nb, c]: list(dict.fromkeys(diagnoses(said.get((nb, c), "")))) for nb, c, _ in cells}
        wrong = {cell: found[cell] for cell, ok in passed.items() if ok is False}
        rows.append(
            {"student": student, "score": submissions[student]["score"], "cells": passed, "diagnoses": wrong,
             "not_graded": lost}
        )  # fmt: skip
    report_cells = [cell_report(names[nb, c], top, rows, messages, (nb, c)) for nb, c, top in cells]
    max_score = sum(top for _, _, top in cells)
    mean = sum(r["score"] for r in rows) / len(rows) if rows else 0.0
    return {
        "assignment": assignment,
        "students": len(rows),
        "max_score": max_score,
        "mean_score": round(mean, 3),
        "cells": report_cells,
        "diagnoses": ranked_diagnoses(rows),
        "not_graded": [
            {"student": r["student"], "notebook": nb, "why": why} for r in rows for nb, why in r["not_graded"].items()
        ],
        "rows": rows,
    }


def cell_report(name, top, rows, messages, key):
    """One cell: pass rate among the graded, its diagnoses ranked (count, the mistake's own line), failures left
    unexplained, notebooks not graded."""
    graded = [r for r in rows if r["cells"][name] is not None]
    wrong = [r for r in graded if not r["cells"][name]]
    tally = collections.Counter(d for r in wrong for d in r["diagnoses"][name])
    lines = collections.defaultdict(collections.Counter)
    for r in wrong:
        for d in r["diagnoses"][name]:
            lines[d][mistake_line(messages.get(r["student"], {}).get(key, ""), d)] += 1
    found = [
        {"id": d, "students": n, "line": lines[d].most_common(1)[0][0]}
        for d, n in sorted(tally.items(), key=lambda item: (-item[1], item[0]))
    ]
    cell = {
        "cell": name,
        "max_points": top,
        "passed": len(graded) - len(wrong),
        "wrong": len(wrong),
        "of": len(graded),
        "diagnoses": found,
        "unrecognised": sum(1 for r in wrong if not r["diagnoses"][name]),
        "not_graded": len(rows) - len(graded),
    }
    return {**cell, "summary": cell_summary(cell)}


def cell_summary(cell, code=str, text=str):
    """'rnn_cell_forward_matches_torch: 19 of 32 wrong; 8 of them [rnn.concat-order] (this is what …); …'.

    code(id) and text(line) format the parts that come from the feedback (render passes HTML escapers).
    """
    parts = [f"{cell['wrong']} of {cell['of']} wrong"]
    for d in cell["diagnoses"]:
        tag = code("[" + d["id"] + "]")
        parts.append(f"{d['students']} of them {tag}" + (f" ({text(d['line'])})" if d["line"] else ""))
    if cell["unrecognised"]:
        parts.append(f"{cell['unrecognised']} {UNRECOGNISED}")
    if cell["not_graded"]:
        parts.append(f"{cell['not_graded']} {NOT_GRADED}")
    return f"{code(cell['cell'])}: " + "; ".join(parts)


def ranked_diagnoses(rows):
    """Every diagnosis of the assignment, by how many students got it: [{"id", "students", "cells": {cell: n}}]."""
    cells = collections.defaultdict(collections.Counter)
    students = collections.defaultdict(set)
    for row in rows:
        for cell, found in row["diagnoses"].items():
            for d in found:
                cells[d][cell] += 1
                students[d].add(row["student"])
    order = sorted(students, key=lambda d: (-len(students[d]), d))
    return [{"id": d, "students": len(students[d]), "cells": dict(cells[d])} for d in order]


# -- 3. render -------------------------------------------------------------------------------------------


def pass_rate_png(report):
    """A horizontal bar per cell: the share of students who passed it (PNG bytes)."""
    from matplotlib.figure import Figure  # no pyplot: no global state, no display needed

    cells = report["cells"]
    fig = Figure(figsize=(7, 0.6 * len(cells) + 1.2), layout="constrained")
    ax = fig.add_subplot()
    rates = [100 * c["passed"] / c["of"] if c["of"] else 0 for c in cells]
    bars = ax.barh([c["cell"] for c in cells], rates, color="#3b7dd8")
    ax.bar_label(bars, [f"{c['passed']} of {c['of']}" for c in cells], padding=3)
    ax.set_xlim(0, 115)
    ax.invert_yaxis()  # the first cell on top, as in the tables
    ax.set_xlabel("students who passed (%)")
    ax.set_title(f"{report['assignment']}: pass rate per graded cell")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return buffer.getvalue()


def figure_html(report):
    """The figure as an <img> with its data inline, and an alt text giving every number."""
    data = base64.b64encode(pass_rate_png(report)).decode()
    alt = "; ".join(f"{c['cell']}: {c['passed']} of {c['of']} passed" for c in report["cells"])
    return f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(alt)}"></figure>'


STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
td.num { text-align: right; }
.pass { color: #1a6b2a; } .fail { color: #a11d1d; }
th[scope=row], td code { white-space: nowrap; }
img { max-width: 100%; }
"""


def e(value):
    """value as HTML text, escaped (student ids and messages are the students' own text)."""
    return html.escape(str(value))


def code_html(value):
    return f"<code>{e(value)}</code>"


def cells_table(report):
    rows = "".join(
        f"<tr><th scope='row'>{e(c['cell'])}</th><td class='num'>{c['max_points']:g}</td>"
        f"<td class='num'>{c['passed']} of {c['of']}</td>"
        f"<td class='num'>{(100 * c['passed'] / c['of'] if c['of'] else 0):.0f}%</td></tr>"
        for c in report["cells"]
    )
    head = "".join(f"<th scope='col'>{h}</th>" for h in ("cell", "points", "passed", "rate"))
    return f"<table><caption>Pass rate per graded cell</caption><tr>{head}</tr>{rows}</table>"


def diagnoses_list(report):
    items = [f"<li>{cell_summary(c, code_html, e)}</li>" for c in report["cells"] if c["wrong"]]
    return f"<ul>{''.join(items)}</ul>" if items else "<p>Every student passed every cell.</p>"


def ranking_table(report):
    if not report["diagnoses"]:
        return "<p>No known mistake was recognised.</p>"
    rows = "".join(
        f"<tr><th scope='row'><code>{e(d['id'])}</code></th><td class='num'>{d['students']}</td>"
        f"<td>{e(', '.join(f'{cell} ({n})' for cell, n in d['cells'].items()))}</td></tr>"
        for d in report["diagnoses"]
    )
    head = "<tr><th scope='col'>diagnosis</th><th scope='col'>students</th><th scope='col'>cells (students)</th></tr>"
    return f"<table><caption>Diagnoses, most frequent first</caption>{head}{rows}</table>"


MARKS = {True: "<td class='pass'>✓ pass</td>", False: "<td class='fail'>✗ fail</td>", None: "<td>not graded</td>"}


def not_graded_list(report):
    """The notebooks the grader could not grade, each with why (they score 0; the student's feedback says so)."""
    if not report["not_graded"]:
        return ""
    items = "".join(
        f"<li>{e(n['student'])}: <code>{e(n['notebook'])}</code>: {e(n['why'])}</li>" for n in report["not_graded"]
    )
    return (
        "<h2>Notebooks the grader could not grade</h2><p>They score 0 and are left out of the pass rates above; "
        f"the grading report (<code>grading-report-{e(report['assignment'])}.json</code>) has nbgrader's log.</p>"
        f"<ul>{items}</ul>"
    )


def students_table(report):
    names = [c["cell"] for c in report["cells"]]
    head = "".join(f"<th scope='col'>{e(n)}</th>" for n in names)
    rows = []
    for r in report["rows"]:
        marks = "".join(MARKS[r["cells"][n]] for n in names)
        found = dict.fromkeys(d for ids in r["diagnoses"].values() for d in ids)
        ids = " ".join(f"<code>{e(d)}</code>" for d in found)
        rows.append(
            f"<tr><th scope='row'>{e(r['student'])}</th><td class='num'>{r['score']:g}</td>{marks}<td>{ids}</td></tr>"
        )
    head = f"<tr><th scope='col'>student</th><th scope='col'>score</th>{head}<th scope='col'>diagnoses</th></tr>"
    return f"<table><caption>Every student</caption>{head}{''.join(rows)}</table>"


def headline(report):
    """The report's first line: how many submissions, their mean score; or that none has been graded yet."""
    if not report["students"]:
        return f"No submission of {report['assignment']} has been autograded yet: grade first (make grade A=…)."
    return f"{report['students']} submissions; mean score {report['mean_score']:g} of {report['max_score']:g}."


def sections(report):
    """The report's sections after its headline (none before a submission is graded: nothing to count)."""
    if not report["students"]:
        return ""
    return (
        f"<h2>Pass rate per graded cell</h2>{cells_table(report)}{figure_html(report)}"
        f"<h2>Mistakes recognised, per cell</h2>{diagnoses_list(report)}{ranking_table(report)}"
        f"{not_graded_list(report)}<h2>Students</h2>{students_table(report)}"
    )


def render(report):
    """The report as one HTML page that loads nothing (no script, no link, the figure inline)."""
    a = e(report["assignment"])
    return (
        f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>Class report: {a}</title>"
        f"<style>{STYLE}</style></head><body><main>"
        f"<h1>Class report: {a}</h1><p>{e(headline(report))}</p>{sections(report)}"
        "</main></body></html>\n"
    )


# -- the command -----------------------------------------------------------------------------------------


def insight(assignment, course=ROOT, db_url=None, out=None):
    """Read, count and render the report of assignment; write the page and its JSON; return (report, page path)."""
    coursedir = load_course(Path(course).resolve())
    cells, submissions = read_gradebook(db_url or coursedir.db_url, coursedir.course_id, assignment)
    cells = in_notebook_order(cells, coursedir, assignment)
    messages = {student: read_messages(coursedir, assignment, student) for student in submissions}
    report = count(assignment, cells, submissions, messages, read_not_graded(coursedir, assignment))
    if out is None:
        graded = Path(coursedir.format_path(coursedir.autograded_directory, ".", "."))
        out = graded.parent / f"insight-{assignment}.html"  # autograde/ in this course, beside the grading report
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(report), encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    return report, out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("assignment")
    parser.add_argument("--course", default=str(ROOT), help="the course folder (default: this repository)")
    parser.add_argument("--db", help="the gradebook's SQLAlchemy URL (default: the course's db_url)")
    parser.add_argument("--out", help="the page to write (default: autograde/insight-ASSIGNMENT.html); JSON beside it")
    args = parser.parse_args(argv)
    report, out = insight(args.assignment, args.course, args.db, args.out)
    for cell in report["cells"] if report["students"] else ():
        print(cell["summary"])
    for n in report["not_graded"]:
        print(f"not graded: {n['student']}'s {n['notebook']}: {n['why']}")
    print(f"{headline(report)} Report in {out} and {out.with_suffix('.json')}")


if __name__ == "__main__":
    main()
