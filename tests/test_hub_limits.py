"""A student's runaway kernel hurts only that student: per-student limits on a real hub (deploy/limits.py).

One student, in a kernel of their own server (started by the hub, as JupyterLab runs one), sets off a fork bomb,
a busy loop and a memory bomb, while two classmates execute lesson 04 (solved) as their own users. The bombs
are contained: fork refused past the student's process limit, the busy loop throttled to one core, the kernel
killed at its memory limit. The classmates' lessons finish, the hub stays up, and stopping the student's
server kills what the bombs left behind. The classmates' times with and without the bombs are printed
(deploy/README.md quotes them).
"""

import concurrent.futures
import os
import pwd
import subprocess
import time
from pathlib import Path

import nbformat
import pytest

from tests.course import ROOT, read, submission
from tests.hub import as_user, class_on_hub, execute_in_server, home, student_cgroup

pytestmark = pytest.mark.slow

LESSON = "04-lstm-forward"

FORK_BOMB = """
import os, time
children = []
try:
    while len(children) < 5000:
        pid = os.fork()
        if pid == 0:
            time.sleep(600)
            os._exit(0)
        children.append(pid)
except OSError as error:
    print(f"fork refused after {len(children)} processes: {error}")
for pid in children:  # free the student's process slots again
    os.kill(pid, 9)
    os.waitpid(pid, 0)
"""
BUSY_LOOP = """
import subprocess, sys
# Their own sessions: they outlive this kernel, as a learner's stray processes do.
spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True) for _ in range(4)]
print(f"{len(spinners)} busy loops started")
"""
MEMORY_BOMB = """
chunks = []
while True:
    chunks.append(b"x" * (64 << 20))  # written, so it is really held
"""


def value(path):
    return path.read_text().strip()


def execute_lesson(env, user):
    """Execute lesson 04, solved, as user with the course environment's nbconvert; the seconds it took."""
    lesson = home(user) / LESSON
    lesson.mkdir(exist_ok=True)
    source = read(ROOT / "solutions" / LESSON / f"{LESSON}.ipynb")
    notebook = lesson / f"{LESSON}.ipynb"
    nbformat.write(submission(read(ROOT / "lessons" / LESSON / f"{LESSON}.ipynb"), source), notebook)
    owner = pwd.getpwnam(user)
    for path in (lesson, notebook):
        os.chown(path, owner.pw_uid, owner.pw_gid)
    start = time.perf_counter()
    as_user(
        user,
        env / ".venv" / "bin" / "jupyter",
        "nbconvert",
        "--to=notebook",
        "--execute",
        "--inplace",
        "--ExecutePreprocessor.timeout=600",
        notebook.name,
        cwd=lesson,
        timeout=900,
    )
    return time.perf_counter() - start


def cpu_seconds(user):
    """The CPU time, in seconds, of every process now in the user's cgroups."""
    total = 0
    for pid in value(student_cgroup("pids", user) / "cgroup.procs").split():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def both_execute(env, classmates):
    """The classmates execute lesson 04 at the same time; {user: seconds}."""
    with concurrent.futures.ThreadPoolExecutor(len(classmates)) as pool:
        running = {user: pool.submit(execute_lesson, env, user) for user in classmates}
        return {user: future.result() for user, future in running.items()}


def test_a_students_bombs_stay_in_their_own_server():
    with class_on_hub(["bomber", "ann", "ben"]) as c:
        hub, bomber = c.hub, c.people["bomber"]
        classmates = [c.people["ann"], c.people["ben"]]
        hub.start_servers([bomber])

        # The server, and what it starts, is in the student's cgroups, with the limits of deploy/limits.py.
        assert value(student_cgroup("memory", bomber) / "memory.limit_in_bytes") == str(2**30)
        assert value(student_cgroup("cpu", bomber) / "cpu.cfs_quota_us") == "100000"
        assert value(student_cgroup("pids", bomber) / "pids.max") == "512"
        members = value(student_cgroup("pids", bomber) / "cgroup.procs").split()
        assert members, "the student's server runs in the student's cgroups"

        alone = both_execute(c.env, classmates)

        client = hub.client(bomber)
        forked = execute_in_server(client, FORK_BOMB)
        assert "fork refused after" in forked["output"], forked
        assert int(forked["output"].split("after ")[1].split()[0]) < 512
        assert not forked["died"]

        busy = execute_in_server(client, BUSY_LOOP)
        assert "4 busy loops started" in busy["output"], busy
        start, used = time.perf_counter(), cpu_seconds(bomber)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            lessons = pool.submit(both_execute, c.env, classmates)
            time.sleep(3)
            bombed = execute_in_server(client, MEMORY_BOMB, timeout=120)
            with_bombs = lessons.result()
        cores = (cpu_seconds(bomber) - used) / (time.perf_counter() - start)  # the busy loops' share of the CPUs
        assert bombed["died"] or bombed["error"] == "MemoryError", bombed

        memory, cpu = student_cgroup("memory", bomber), student_cgroup("cpu", bomber)
        oom = dict(line.split() for line in (memory / "memory.oom_control").read_text().splitlines())
        assert int(oom["oom_kill"]) > 0, "the kernel was killed at the student's memory limit"
        throttled = dict(line.split() for line in (cpu / "cpu.stat").read_text().splitlines())
        # Four busy loops would take both cores; held to one, they were throttled (or, on a machine busy enough
        # to give them less than a core, never needed to be).
        assert cores <= 1.05 and (int(throttled["nr_throttled"]) > 0 or cores < 0.95), (cores, throttled)
        assert hub.api("GET", "")["version"], "the hub is up"

        # Stopping the server kills what the bombs left running.
        hub.api("DELETE", f"users/{bomber}/server")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and subprocess.run(["pgrep", "-u", bomber]).returncode == 0:
            time.sleep(0.5)
        assert subprocess.run(["pgrep", "-u", bomber]).returncode == 1, "nothing of the student's is left"
        print(
            f"lesson 04 alone: {', '.join(f'{t:.1f} s' for t in alone.values())}; "
            f"beside the bombs: {', '.join(f'{t:.1f} s' for t in with_bombs.values())}; "
            f"fork refused after {forked['output'].split('after ')[1].split()[0]} processes; "
            f"the busy loops used {cores:.2f} cores, throttled in {throttled['nr_throttled']} of "
            f"{throttled['nr_periods']} periods; "
            f"{oom['oom_kill']} kernel killed at the memory limit"
        )
