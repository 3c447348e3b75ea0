"""A class at once on a real JupyterHub (deploy/): `make bench-hub N=20` prints this and writes bench/results.hub.md.

    sudo .venv/bin/python -m bench.hub --students 20 [--no-resubmit] [--out PATH]

tests/hub.py's class_on_hub runs the deployment's hub on loopback with N throwaway students. The
instructor assigns and releases 01-why-gates through the formgrader; all N servers are started at once
(time to ready, memory); then every student at once, a thread each, does what JupyterLab's Assignments
panel does: list, fetch, open the notebook, save it with a marker of their own, submit; a second burst
resubmits. The instructor collects through the formgrader, and the bench checks that nothing is lost:
exactly N submissions collected, each the latest of its own student. Timings are reported, not asserted;
a lost or misattributed submission, or any failed operation, fails the bench (exit code 1).
"""

import argparse
import os
import pwd
import re
import statistics
import sys
import threading
import time
from pathlib import Path

import nbformat

from tests.course import read, submission
from tests.hub import COURSE_ID, class_on_hub, execute_in_server, release, student_cgroup, succeeded

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "01-why-gates"
NOTEBOOK = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
OPERATIONS = {1: ("list", "fetch", "open", "save", "submit"), 2: ("list", "open", "save", "submit")}
MARKER = "Bench marker: {student}, round {round}."
TOTAL_MEMORY = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
RESERVED = 2 * 2**30  # the hub and proxy, the formgrader and a grading worker, the system


# -- figures -------------------------------------------------------------------------------------------


def spread(values):
    """(median, p95, max) of a list of numbers (p95 as bench/bench.py takes it: the nearest rank)."""
    values = sorted(values)
    return statistics.median(values), values[min(len(values) - 1, round(0.95 * (len(values) - 1)))], values[-1]


def processes():
    """[{pid, ppid, uid, rss, pss}] of every process now (rss, pss in KiB; pss 0 where it cannot be read)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = dict(line.split(":", 1) for line in (entry / "status").read_text().splitlines() if ":" in line)
            rollup = (entry / "smaps_rollup").read_text() if (entry / "smaps_rollup").exists() else ""
        except OSError:  # gone meanwhile
            continue
        pss = re.search(r"^Pss:\s+(\d+) kB", rollup, re.M)
        found.append(
            {
                "pid": int(entry.name),
                "ppid": int(status["PPid"]),
                "uid": int(status["Uid"].split()[0]),
                "rss": int(status.get("VmRSS", "0 kB").split()[0]),
                "pss": int(pss.group(1)) if pss else 0,
            }
        )
    return found


def descendants(pid, procs):
    """The processes among procs below pid (children, their children...)."""
    below, frontier = [], {pid}
    while frontier:
        children = [p for p in procs if p["ppid"] in frontier]
        below += children
        frontier = {p["pid"] for p in children}
    return below


def memory(hub, people, students):
    """{"servers", "rss", "pss", "per_server", "hub", "formgrader"} in MiB: the students' processes (their
    servers: count, RSS and PSS summed, RSS per server), the hub with its proxy (root's processes under the
    hub), the formgrader (the grader's)."""
    procs = processes()
    tree = [p for p in procs if p["pid"] == hub.process.pid] + descendants(hub.process.pid, procs)
    uid = {name: pwd.getpwnam(name).pw_uid for name in [*students, people["grader"]]}
    mine = {name: [p for p in procs if p["uid"] == uid[name]] for name in students}

    def mib(kib):
        return kib / 1024

    return {
        "servers": sum(len(ps) for ps in mine.values()),
        "rss": mib(sum(p["rss"] for ps in mine.values() for p in ps)),
        "pss": mib(sum(p["pss"] for ps in mine.values() for p in ps)),
        "per_server": [mib(sum(p["rss"] for p in ps)) for ps in mine.values()],
        "hub": mib(sum(p["rss"] for p in tree if p["uid"] == 0)),
        "formgrader": mib(sum(p["rss"] for p in procs if p["uid"] == uid[people["grader"]])),
    }


def log_findings(path):
    """(error lines, HTTP 5xx lines) of the hub's log (the hub's and every server's output)."""
    lines = Path(path).read_text(errors="replace").splitlines()
    errors = [line for line in lines if line.startswith("[E ")]
    http5xx = [line for line in lines if re.search(r"\] 5\d\d (GET|POST|PUT|PATCH|DELETE) ", line)]
    return errors, http5xx


# -- the class -----------------------------------------------------------------------------------------


def marked(content, student, round_):
    """The notebook (a contents-API dict) with the student's marker for this round: notebook metadata
    gates_bench = {student, round} and a last markdown cell saying so (replacing an earlier round's)."""
    nb = nbformat.from_dict(content)
    nb.cells = [c for c in nb.cells if "gates_bench" not in c.get("metadata", {})]
    mark = {"student": student, "round": round_}
    nb.cells.append(nbformat.v4.new_markdown_cell(MARKER.format(**mark), metadata={"gates_bench": mark}))
    nb.metadata["gates_bench"] = mark
    return nb


def listed(answer, status):
    """The assignment's entry of the given status in an Assignments list answer; AssertionError if none."""
    entries = [a for a in succeeded(answer, "list")["value"] if a["assignment_id"] == ASSIGNMENT]
    found = [a for a in entries if a["status"] == status]
    assert found, f"no {status} {ASSIGNMENT} listed: {[a['status'] for a in entries]}"
    return found[0]


def student_round(client, student, round_, times):
    """One student's turn in a burst (OPERATIONS[round_]); each operation's seconds go in times[op][student]."""
    nb = None

    def list_():
        listed(client.get("assignments", course_id=COURSE_ID), "released" if round_ == 1 else "fetched")

    def fetch():
        listed(client.post("assignments/fetch", course_id=COURSE_ID, assignment_id=ASSIGNMENT), "fetched")

    def open_():
        nonlocal nb
        reply = client.get(f"api/contents/{COURSE_ID}/{NOTEBOOK}")
        assert reply["type"] == "notebook", reply["type"]
        nb = marked(reply["content"], student, round_)

    def save():
        reply = client.request("PUT", f"api/contents/{COURSE_ID}/{NOTEBOOK}", json={"type": "notebook", "content": nb})
        assert reply.json()["type"] == "notebook", reply.text[:300]

    def submit():
        answer = client.post("assignments/submit", course_id=COURSE_ID, assignment_id=ASSIGNMENT)
        made = listed(answer, "submitted")["submissions"]
        assert len(made) == round_, f"{len(made)} submissions listed after submission {round_}"

    steps = {"list": list_, "fetch": fetch, "open": open_, "save": save, "submit": submit}
    for op in OPERATIONS[round_]:
        start = time.perf_counter()
        steps[op]()
        times[op][student] = time.perf_counter() - start


def burst(clients, round_):
    """Every student's turn at the same moment, a thread each: ({op: {student: s}}, wall seconds, [problems])."""
    times = {op: {} for op in OPERATIONS[round_]}
    problems, gate = [], threading.Barrier(len(clients) + 1)

    def turn(student, client):
        gate.wait()
        try:
            student_round(client, student, round_, times)
        except Exception as e:  # reported; the other students go on
            problems.append(f"{student}, round {round_}: {type(e).__name__}: {str(e)[:500]}")

    threads = [threading.Thread(target=turn, args=item, daemon=True) for item in clients.items()]
    for thread in threads:
        thread.start()
    gate.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join(timeout=900)
    return times, time.perf_counter() - start, problems


def lesson_code():
    """Lesson 01 solved, its code cells as one: what a student's kernel runs with the lesson open."""
    released = read(ROOT / "lessons" / NOTEBOOK)
    solved = submission(released, read(ROOT / "solutions" / NOTEBOOK))
    return "\n\n".join(cell.source for cell in solved.cells if cell.cell_type == "code")


def lessons_at_once(hub, students):
    """Every student runs lesson 01 at once in a kernel of their own server (as Run All does), within the limits
    of deploy/limits.py: ({student: seconds}, {student: peak MiB of their server and kernel}, [problems])."""
    code, seconds, problems = lesson_code(), {}, []
    clients = {student: hub.client(student) for student in students}
    for student in students:  # each student's peak from here on
        (student_cgroup("memory", student) / "memory.max_usage_in_bytes").write_text("0\n")
    gate = threading.Barrier(len(students) + 1)

    def run(student):
        gate.wait()
        start = time.perf_counter()
        try:
            done = execute_in_server(clients[student], code, timeout=1800)
            if done["died"] or done["error"]:
                problems.append(f"{student}'s lesson: {done['error'] or 'the kernel died'}: {done['output'][-300:]}")
        except Exception as e:  # reported; the other students go on
            problems.append(f"{student}'s lesson: {type(e).__name__}: {str(e)[:300]}")
        seconds[student] = time.perf_counter() - start

    threads = [threading.Thread(target=run, args=(student,), daemon=True) for student in students]
    for thread in threads:
        thread.start()
    gate.wait()
    for thread in threads:
        thread.join(timeout=1900)
    peaks = {
        student: int((student_cgroup("memory", student) / "memory.max_usage_in_bytes").read_text()) / 2**20
        for student in students
    }
    return seconds, peaks, problems


def collect(formgrader):
    """The instructor collects through the formgrader: (seconds, its log)."""
    start = time.perf_counter()
    answer = succeeded(formgrader.post(f"formgrader/api/assignment/{ASSIGNMENT}/collect"), "collect")
    return time.perf_counter() - start, answer.get("log", "")


def lost(course, exchange, students, rounds, collect_log):
    """What went missing or astray between the students' servers and the instructor's course ([] if nothing):
    exactly the students' folders in autograde/submitted, each one's notebook marked as theirs and their
    last round's, and its timestamp their latest submission's in the inbound."""
    problems = [line for line in collect_log.splitlines() if "Skipped" in line]
    submitted = course / "autograde" / "submitted"
    found = sorted(p.name for p in submitted.iterdir()) if submitted.exists() else []
    if found != sorted(students):
        problems.append(f"{len(found)} folders in autograde/submitted, not the {len(students)} students: {found}")
    inbound = list((exchange / COURSE_ID / "inbound").iterdir())
    for student in students:
        folder = submitted / student / ASSIGNMENT
        if not (folder / f"{ASSIGNMENT}.ipynb").exists():
            problems.append(f"{student}: no collected notebook")
            continue
        nb = nbformat.read(folder / f"{ASSIGNMENT}.ipynb", as_version=4)
        mark = {"student": student, "round": rounds}
        marks = [c.source for c in nb.cells if "gates_bench" in c.get("metadata", {})]
        if nb.metadata.get("gates_bench") != mark or marks != [MARKER.format(**mark)]:
            problems.append(f"{student}: collected notebook marked {nb.metadata.get('gates_bench')}, {marks}")
        stamps = sorted(p.name.split("+")[2] for p in inbound if p.name.startswith(f"{student}+{ASSIGNMENT}+"))
        if len(stamps) != rounds:
            problems.append(f"{student}: {len(stamps)} submissions in the inbound, not {rounds}")
        collected = (folder / "timestamp.txt").read_text().strip()
        if not stamps or collected != stamps[-1]:
            problems.append(f"{student}: collected the submission of {collected}, the latest is {stamps[-1:]}")
    return problems


def run_load(n_students, resubmit=True, lesson=True, echo=print):
    """N students at once on a real hub (see the module docstring); the figures, as a dict.

    Keys: students, servers_ready ({name: s}), servers_wall, memory_ready and memory_after (memory()),
    rounds ([{"ops": {op: {student: s}}, "wall": s}]), instructor ({assign, release, collect: s}), with lesson:
    lesson_seconds ({student: s}), lesson_peak_mib ({student: MiB}) and lesson_wall (lessons_at_once), log_errors,
    log_5xx (lines of the hub log), problems ([] if every operation succeeded and nothing was lost), total.
    """
    t0 = time.perf_counter()
    roles = [f"s{i:02d}" for i in range(n_students)]
    figures = {"students": n_students, "rounds": [], "problems": [], "log_errors": [], "log_5xx": []}
    with class_on_hub(roles, show_log=lambda text: None) as ns:  # echoed below if anything failed
        hub, students = ns.hub, ns.students
        echo(f"hub up with {n_students} students in {time.perf_counter() - t0:.0f} s")
        formgrader = ns.hub.formgrader(ns.people["instructor"])
        figures["instructor"] = release(formgrader, ASSIGNMENT)
        echo(f"{ASSIGNMENT} assigned and released")

        start = time.perf_counter()
        try:
            figures["servers_ready"], problems = hub.start_servers(students), []
        except AssertionError as e:
            figures["servers_ready"], problems = {}, [f"starting the servers: {str(e)[:800]}"]
        figures["servers_wall"] = time.perf_counter() - start
        figures["problems"] += problems
        figures["memory_ready"] = memory(hub, ns.people, students)
        echo(f"{len(figures['servers_ready'])} servers ready in {figures['servers_wall']:.1f} s")
        if not problems:
            clients = {student: hub.client(student) for student in students}
            for round_ in (1, 2) if resubmit else (1,):
                times, wall, problems = burst(clients, round_)
                figures["rounds"].append({"ops": times, "wall": wall})
                figures["problems"] += problems
                echo(f"burst {round_}: {n_students} students in {wall:.1f} s, {len(problems)} failed")
            figures["memory_after"] = memory(hub, ns.people, students)
            if lesson:
                start = time.perf_counter()
                figures["lesson_seconds"], figures["lesson_peak_mib"], problems = lessons_at_once(hub, students)
                figures["lesson_wall"] = time.perf_counter() - start
                figures["problems"] += problems
                echo(f"lesson 01 run by {n_students} students at once in {figures['lesson_wall']:.1f} s")
            figures["instructor"]["collect"], collect_log = collect(formgrader)
            figures["problems"] += lost(ns.course, ns.exchange, students, len(figures["rounds"]), collect_log)
        figures["log_errors"], figures["log_5xx"] = log_findings(hub.state / "hub.log")
        figures["problems"] += [f"hub log: {line[:300]}" for line in figures["log_5xx"]]
        if figures["problems"]:
            echo(hub.log_text())
    figures["total"] = time.perf_counter() - t0
    return figures


# -- the report ----------------------------------------------------------------------------------------


def verdict(figures):
    """The one line saying whether anything was lost."""
    n = figures["students"]
    if figures["problems"]:
        return f"FAILED: {len(figures['problems'])} problem(s): failed operations, lost or misattributed submissions"
    return f"nothing lost: {n} of {n} submissions collected, each its own student's"


def cells(values):
    """'median | p95 | max' of seconds, for a table row."""
    return " | ".join(f"{v:.2f}" for v in spread(values))


def report(figures):
    """The figures as markdown: a header, a table of timings (median / p95 / max), one of totals."""
    n = figures["students"]
    lines = [
        f"# Gates on JupyterHub: {n} students at once",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()}-core CPU, "
        f"{ASSIGNMENT}, local process spawner, configurable-http-proxy",
        "",
        "| seconds | median | p95 | max |",
        "|---|---:|---:|---:|",
    ]
    if figures["servers_ready"]:
        lines.append(f"| server start to ready (all {n} at once) | {cells(figures['servers_ready'].values())} |")
    for i, r in enumerate(figures["rounds"], 1):
        what = "fetch and submit" if i == 1 else "resubmit"
        for op, per in r["ops"].items():
            if per:
                lines.append(f"| burst {i} ({what}): {op} | {cells(per.values())} |")
        done = set.intersection(*(set(per) for per in r["ops"].values()))
        totals = [sum(per[s] for per in r["ops"].values()) for s in done]
        if totals:
            lines.append(f"| burst {i} ({what}): a student's whole turn | {cells(totals)} |")
    if figures.get("lesson_seconds"):
        waits = cells(figures["lesson_seconds"].values())
        lines.append(f"| lesson 01 run in every student's kernel at once: each one's wait | {waits} |")
    lines += ["", "| figure | value |", "|---|---:|"]
    lines.append(f"| all {n} servers ready | {figures['servers_wall']:.1f} s |")
    for key, when in (("memory_ready", "at ready"), ("memory_after", "after the bursts")):
        if key in figures:
            m = figures[key]
            lines += [
                f"| students' servers, {when}: RSS summed ({m['servers']} processes) | {m['rss']:.0f} MiB |",
                f"| students' servers, {when}: PSS summed | {m['pss']:.0f} MiB |",
                f"| students' servers, {when}: RSS per server, median | {statistics.median(m['per_server']):.0f} MiB |",
                f"| hub + proxy, formgrader, {when}: RSS | {m['hub']:.0f} MiB, {m['formgrader']:.0f} MiB |",
            ]
    for i, r in enumerate(figures["rounds"], 1):
        lines.append(f"| burst {i}: wall time, all {n} students | {r['wall']:.1f} s |")
    if figures.get("lesson_peak_mib"):
        peaks = sorted(figures["lesson_peak_mib"].values())
        holds = int((TOTAL_MEMORY - RESERVED) / (statistics.median(peaks) * 2**20))
        lines += [
            f"| lesson 01 in all {n} kernels at once: wall time | {figures['lesson_wall']:.1f} s |",
            f"| a student's peak memory, server and kernel with the lesson run (cgroup): median, max "
            f"| {statistics.median(peaks):.0f} MiB, {peaks[-1]:.0f} MiB |",
            f"| students this machine holds with the lesson run, by memory ({TOTAL_MEMORY / 2**30:.0f} GiB "
            f"less {RESERVED / 2**30:.0f} GiB for the hub, grader and system) | {holds} |",
        ]
    for step, seconds in figures.get("instructor", {}).items():
        lines.append(f"| instructor: {step} (formgrader) | {seconds:.2f} s |")
    lines.append(f"| error lines in the hub log, HTTP 5xx | {len(figures['log_errors'])}, {len(figures['log_5xx'])} |")
    lines.append(f"| the whole bench (users, hub, teardown) | {figures['total']:.0f} s |")
    lines += ["", verdict(figures)]
    lines += [f"- {problem}" for problem in figures["problems"]]
    if figures["log_errors"]:
        lines += ["", "Error lines in the hub log:", ""] + [f"    {line[:300]}" for line in figures["log_errors"][:10]]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--no-resubmit", action="store_true", help="one burst only (no second submission)")
    parser.add_argument("--no-lesson", action="store_true", help="no lesson run in the students' kernels")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.hub.md")
    args = parser.parse_args(argv)
    figures = run_load(args.students, resubmit=not args.no_resubmit, lesson=not args.no_lesson)
    text = report(figures)
    print(text)
    args.out.write_text(text)
    return 1 if figures["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
