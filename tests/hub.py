"""A real JupyterHub on loopback for the deployment tests and bench: system users, the course environment.

Needs root (the hub runs each user's server as that user), Debian's Python 3.11 or another one every
user can run (the course environment is built with it), npm's configurable-http-proxy (make setup).

    with class_on_hub(["right", "blank"]) as c:
        c.hub.start_servers(c.students)
        c.hub.client(c.people["right"]).post("assignments/fetch", course_id="gates", assignment_id=...)
"""

import asyncio
import concurrent.futures
import contextlib
import csv
import datetime
import fcntl
import hashlib
import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

import requests

from autograde import student_copy
from tests.browser import free_port
from tests.course import needs

ROOT = Path(__file__).resolve().parents[1]
COURSE_ID = "gates"
PASSWORD = "gates-" + secrets.token_hex(8)  # every test user's (PAM) password


def run(*cmd, cwd=None, check=True, timeout=600):
    """Run cmd; return the CompletedProcess (a failure shows its output)."""
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if check and done.returncode:
        raise AssertionError(f"{' '.join(map(str, cmd))} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def as_user(user, *cmd, cwd=None, env=(), check=True, timeout=600):
    """Run cmd as the system user, in cwd, with extra environment variables (NAME=value strings)."""
    home = pwd.getpwnam(user).pw_dir
    full = ["runuser", "-u", user, "--", "env", f"HOME={home}", f"USER={user}", *env, *map(str, cmd)]
    done = subprocess.run(full, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if check and done.returncode:
        raise AssertionError(f"{' '.join(full)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def python_for_users():
    """A Python 3.11 that users other than root can run (the course environment's base), or None."""
    for candidate in ("/usr/bin/python3.11", "/usr/local/bin/python3.11", sys.base_prefix + "/bin/python3.11"):
        if (
            Path(candidate).exists()
            and run("runuser", "-u", "nobody", "--", candidate, "-c", "0", check=False).returncode == 0
        ):
            return candidate
    return None


@contextlib.contextmanager
def shared_tmp():
    """A temporary folder every user can enter (pytest's own are root's only), removed on exit."""
    path = Path(tempfile.mkdtemp(prefix="gates-hub-", dir="/tmp"))
    os.chmod(path, 0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# -- system users --------------------------------------------------------------------------------------


class SystemUsers:
    """Throwaway system users (with homes and the test password), removed on exit."""

    def __init__(self):
        self.prefix = "gt" + secrets.token_hex(2)
        self.names = []

    def add(self, role):
        name = f"{self.prefix}-{role}"
        run("useradd", "--create-home", "--shell", "/bin/bash", name)
        self.names.append(name)
        subprocess.run(["chpasswd"], input=f"{name}:{PASSWORD}\n", text=True, check=True)
        os.chmod(pwd.getpwnam(name).pw_dir, 0o700)
        return name

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for name in self.names:
            run("pkill", "-KILL", "-u", name, check=False)
        time.sleep(0.5)
        for name in self.names:
            run("userdel", "--remove", name, check=False)


# -- the course environment and the grader's course -----------------------------------------------------


def env_key():
    """A hash of what the course environment is built from: the hub's student copy's files (so an unchanged
    environment is reused)."""
    digest = hashlib.sha256()
    for name in [*student_copy.SHIPPED, *student_copy.RENAMED, *student_copy.HUB]:
        path = ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            if not student_copy.NEVER("", f.relative_to(ROOT).parts):  # nothing the copy leaves out
                digest.update(str(f.relative_to(ROOT)).encode() + f.read_bytes())
    return digest.hexdigest()[:12]


def course_environment(python):
    """The hub's course environment (deploy/install-env.sh), built once per content in /tmp; its path.

    A lock file makes parallel test workers wait for one build instead of racing.
    """
    dest = Path(f"/tmp/gates-hub-env-{env_key()}")
    with open(f"{dest}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (dest / ".ready").exists():
            shutil.rmtree(dest, ignore_errors=True)
            run(ROOT / "deploy" / "install-env.sh", dest, python, timeout=900)
            (dest / ".ready").touch()
    return dest


def grader_course(home, grader):
    """The full course (this repository's files, no .venv) in the grader's home, owned by the grader."""
    dest = Path(home) / COURSE_ID
    skip = shutil.ignore_patterns(
        ".venv",
        "node_modules",
        "__pycache__",
        ".git",
        "submitted",
        "autograded",
        "feedback",
        "gradebook.db",
        "*.egg-info",
        ".pytest_cache",
        ".ruff_cache",
        "bench",
    )
    shutil.copytree(ROOT, dest, ignore=skip)
    run("chown", "-R", f"{grader}:{grader}", dest)
    return dest


def write_roster(path, instructors, students):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["username", "role", "first_name", "last_name", "email"])
        for role, names in (("instructor", instructors), ("student", students)):
            for name in names:
                writer.writerow([name, role, name.title(), "Test", f"{name}@example.edu"])
    return path


# -- the hub -------------------------------------------------------------------------------------------


class Hub:
    """JupyterHub on loopback with the course environment's deploy/jupyterhub_config.py (as deploy/README.md
    runs it: its files, read by every user's server, are the environment's), plus an admin service."""

    def __init__(self, state, env_dir, roster, grader, course_dir, exchange, env=()):
        self.state = Path(state)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = secrets.token_hex(16)
        self.env_dir = Path(env_dir)
        self.env = {
            **os.environ,
            "GATES_ROSTER": str(roster),
            "GATES_GRADER": grader,
            "GATES_COURSE_DIR": str(course_dir),
            "GATES_EXCHANGE": str(exchange),
            "GATES_HUB_STATE": str(self.state),
            "GATES_HUB_IP": "127.0.0.1",
            "GATES_HUB_PORT": str(self.port),
            "GATES_HUB_API_PORT": str(free_port()),
            "GATES_PROXY_API_PORT": str(free_port()),
            "GATES_FORMGRADER_PORT": str(free_port()),
            **dict(env),
        }
        self.process = None

    def config(self):
        """The test's hub config: the deployment's, plus a service whose token may manage users."""
        path = self.state / "test_config.py"
        path.write_text(
            f"c = get_config()  # noqa: F821\n"
            f"load_subconfig({str(self.env_dir / 'deploy' / 'jupyterhub_config.py')!r})  # noqa: F821\n"
            f"c.JupyterHub.services.append({{'name': 'gates-test', 'api_token': {self.token!r}}})\n"
            f"c.JupyterHub.load_roles.append({{'name': 'gates-test', 'services': ['gates-test'], "
            f"'scopes': ['admin:users', 'admin:servers', 'tokens', 'read:groups', 'access:servers']}})\n"
        )
        return path

    def start(self, timeout=90):
        self.state.mkdir(parents=True, exist_ok=True)
        os.chmod(self.state, 0o700)
        self.log = open(self.state / "hub.log", "w")
        self.process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "jupyterhub"), "-f", str(self.config())],
            cwd=self.state,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the hub exited ({self.process.returncode}):\n{self.log_text()}")
            try:
                if requests.get(f"{self.url}/hub/api", timeout=2).ok:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"the hub did not answer in {timeout} s:\n{self.log_text()}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
        if self.process:
            self.log.close()

    def log_text(self):
        if not self.log.closed:
            self.log.flush()
        return (self.state / "hub.log").read_text()[-6000:]

    def api(self, method, path, token=None, **kwargs):
        """A call to the hub's REST API (as the test's admin service unless token is given); its JSON."""
        reply = requests.request(
            method,
            f"{self.url}/hub/api/{path}",
            headers={"Authorization": f"token {token or self.token}"},
            timeout=60,
            **kwargs,
        )
        if not reply.ok:
            raise AssertionError(f"{method} {path}: {reply.status_code} {reply.text[:500]}")
        return reply.json() if reply.text else None

    def user_token(self, name):
        """A new API token of the user (what the user's browser session amounts to)."""
        return self.api("POST", f"users/{name}/tokens", json={"note": "gates test"})["token"]

    def start_servers(self, names, timeout=300):
        """Start the users' servers all at once and wait until every one is ready; {name: seconds from the start}.

        A request each, in parallel: the hub answers one only when its server is up or after its
        slow_spawn_timeout (10 s), so requests one after the other would start the servers one by one.
        """
        start = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max(1, len(names))) as pool:
            asked = [pool.submit(self.api, "POST", f"users/{name}/server") for name in names]
            ready = {}
            while len(ready) < len(names) and time.monotonic() < start + timeout:
                for user in self.api("GET", "users", params={"state": "ready"}):
                    if user["name"] in names and user["name"] not in ready:
                        ready[user["name"]] = time.monotonic() - start
                time.sleep(0.25)
            for request in asked:
                request.result()  # a refused request fails here
        missing = sorted(set(names) - set(ready))
        assert not missing, f"servers of {missing} not ready in {timeout} s:\n{self.log_text()}"
        return ready

    def client(self, name, token=None):
        """A Client for the user's server (/user/<name>/...)."""
        return Client(f"{self.url}/user/{name}/", token or self.user_token(name))

    def formgrader(self, instructor):
        """A Client for the course's formgrader service, as the instructor."""
        return Client(f"{self.url}/services/{COURSE_ID}/", self.user_token(instructor))


def home(user):
    return Path(pwd.getpwnam(user).pw_dir)


def make_exchange(path, grader, service=False):
    """The exchange as deploy/README.md sets it up: root 1777 (no student can remove a course's folder),
    the course's folder made and owned by the grader; for the exchange service, the grader's alone (700)."""
    path.mkdir(mode=0o755)
    os.chmod(path, 0o700 if service else 0o1777)
    (path / COURSE_ID).mkdir()
    for folder in (path, path / COURSE_ID) if service else (path / COURSE_ID,):
        os.chown(folder, pwd.getpwnam(grader).pw_uid, pwd.getpwnam(grader).pw_gid)
    return path


@contextlib.contextmanager
def class_on_hub(student_roles, show_log=print, exchange_service=False):
    """A running hub for a class: an instructor, the grader account and a student per role; with
    exchange_service, the course's exchange service (deploy/exchange_service.py) in front of a private exchange.

    Yields a SimpleNamespace: hub, people ({"instructor"|"grader"|role: system user}), students (their
    names), course (the grader's course folder), exchange, env (the course environment). At the end the
    hub log's tail goes to show_log (pytest shows it when a test failed).
    """
    needs(os.geteuid() == 0, "the JupyterHub tests need root (system users, a spawner that switches users)")
    python = python_for_users()
    assert python, "no Python 3.11 that every user can run (Debian: apt-get install python3.11-venv)"
    env_dir = course_environment(python)
    with SystemUsers() as users, shared_tmp() as tmp:
        people = {"instructor": users.add("ada"), "grader": users.add("grader")}
        people.update({role: users.add(role) for role in student_roles})
        students = [people[role] for role in student_roles]
        course = grader_course(home(people["grader"]), people["grader"])
        exchange = make_exchange(tmp / "exchange", people["grader"], service=exchange_service)
        roster = write_roster(tmp / "roster.csv", [people["instructor"]], students)
        env = {"GATES_EXCHANGE_URL": f"http://127.0.0.1:{free_port()}"} if exchange_service else {}
        hub = Hub(tmp / "state", env_dir, roster, people["grader"], course, exchange, env).start()
        try:
            yield types.SimpleNamespace(
                hub=hub, people=people, students=students, course=course, exchange=exchange, env=env_dir
            )
        finally:
            hub.stop()
            show_log(hub.log_text())


def succeeded(answer, what="the call"):
    """The answer of a formgrader or Assignments call, if it reports success; else AssertionError (its log)."""
    if not isinstance(answer, dict) or not answer.get("success", True):
        detail = answer.get("log") or answer.get("value") or answer if isinstance(answer, dict) else answer
        raise AssertionError(f"{what}: {str(detail)[-800:]}")
    return answer


def release(formgrader, assignment):
    """The instructor's Generate and Release buttons of the formgrader; {"assign"|"release": seconds}."""
    times = {}
    for step in ("assign", "release"):
        start = time.perf_counter()
        succeeded(formgrader.post(f"formgrader/api/assignment/{assignment}/{step}"), step)
        times[step] = time.perf_counter() - start
    return times


class Client:
    """Token-authenticated calls to one Jupyter server behind the hub (a user's, or the formgrader)."""

    def __init__(self, base, token):
        self.base, self.session = base, requests.Session()
        self.session.headers["Authorization"] = f"token {token}"

    def request(self, method, path, **kwargs):
        reply = self.session.request(method, self.base + path, timeout=300, **kwargs)
        if not reply.ok:
            raise AssertionError(f"{method} {self.base}{path}: {reply.status_code} {reply.text[:800]}")
        return reply

    def get(self, path, **params):
        return self.request("GET", path, params=params).json()

    def post(self, path, **data):
        """POST form data, as nbgrader's Assignments panel does; the JSON answer."""
        reply = self.request("POST", path, data=data)
        return json.loads(reply.text) if reply.text else None


def student_cgroup(controller, user):
    """The user's cgroup folder of controller (memory, cpu, pids) where deploy/limits.py's CgroupSpawner runs
    their server."""
    return Path("/sys/fs/cgroup") / controller / "gates" / user


def execute_in_server(client, code, timeout=300):
    """Run code in a new kernel of the user's server behind the hub (client: hub.client(user)), as JupyterLab does,
    over the kernel's websocket; {"output": its stdout and stderr, "error": the error's name or None,
    "died": whether the kernel died (killed, restarting)}. The kernel is shut down after."""
    kernel = client.request("POST", "api/kernels", json={"name": "python3"}).json()["id"]
    url = client.base.replace("http://", "ws://", 1) + f"api/kernels/{kernel}/channels"
    try:
        # A thread of its own: an earlier test's Playwright (sync API) may keep an event loop running in this one.
        with concurrent.futures.ThreadPoolExecutor(1) as thread:
            coroutine = _execute(url, client.session.headers["Authorization"], code, timeout)
            return thread.submit(asyncio.run, coroutine).result()
    finally:
        with contextlib.suppress(AssertionError, requests.RequestException):
            client.request("DELETE", f"api/kernels/{kernel}")


async def _execute(url, authorization, code, timeout):
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    # Tornado gives up on the handshake after 20 s by default; with every student's kernel starting at once on two
    # cores the server can take longer than that to answer, which is a wait, not a failure.
    handshake = HTTPRequest(url, headers={"Authorization": authorization}, connect_timeout=180, request_timeout=180)
    socket = await websocket_connect(handshake)
    msg_id = secrets.token_hex(8)
    header = {
        "msg_id": msg_id,
        "msg_type": "execute_request",
        "session": secrets.token_hex(8),
        "username": "",
        "version": "5.3",
        "date": datetime.datetime.now(datetime.UTC).isoformat(),
    }
    content = {
        "code": code,
        "silent": False,
        "store_history": False,
        "user_expressions": {},
        "allow_stdin": False,
        "stop_on_error": True,
    }
    socket.write_message(
        json.dumps(
            {
                "header": header,
                "parent_header": {},
                "metadata": {},
                "content": content,
                "channel": "shell",
                "buffers": [],
            }
        )
    )
    result = {"output": "", "error": None, "died": False}
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            message = await asyncio.wait_for(socket.read_message(), deadline - time.monotonic())
            if message is None:
                result["died"] = True
                return result
            if isinstance(message, bytes):
                continue
            message = json.loads(message)
            kind, mine = message["msg_type"], message["parent_header"].get("msg_id") == msg_id
            if kind == "status" and message["content"]["execution_state"] in ("restarting", "dead"):
                result["died"] = True
                return result
            if not mine:
                continue
            if kind == "stream":
                result["output"] += message["content"]["text"]
            elif kind == "error":
                result["error"] = message["content"]["ename"]
            elif kind == "status" and message["content"]["execution_state"] == "idle":
                return result
        raise AssertionError(f"the kernel did not finish in {timeout} s: {result}")
    finally:
        socket.close()
