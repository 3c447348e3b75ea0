"""JupyterHub for a class taking Gates: one server per student, nbgrader's exchange, a formgrader service.

    sudo /opt/gates/.venv/bin/jupyterhub -f /opt/gates/deploy/jupyterhub_config.py   (in /srv/jupyterhub)

The hub runs as root so that each user's server runs as that user (PAM login), within the limits of
deploy/limits.py (memory, CPU, processes per student).
Everything a site changes comes from GATES_* environment variables; the defaults are a single machine:

  GATES_ENV          the course environment every user runs: a student copy with its .venv
                     (`make hub-env DEST=...`; readable by everyone, holds no solutions)   this file's ../
  GATES_COURSE_ID    nbgrader's course id (groups formgrade-<id> and nbgrader-<id>)      gates
  GATES_ROSTER       CSV with columns username,role (instructor or student),...           deploy/roster.csv
  GATES_GRADER       the system user that owns the course and runs the formgrader         grader-<id>
  GATES_COURSE_DIR   the full course (a clone of this repository), owned by the grader   ~grader/<id>
  GATES_EXCHANGE     nbgrader's exchange root                                             /srv/nbgrader/exchange
  GATES_HUB_STATE    the hub's database, cookie secret, proxy's pid file                  /srv/jupyterhub
  GATES_HUB_IP, GATES_HUB_PORT   where the hub listens                                    all, 8000
  GATES_GRADEBOOK_URL   a PostgreSQL gradebook, postgresql+psycopg://...  (default: the course's SQLite)
  GATES_IDLE_TIMEOUT seconds after which an idle server is stopped (jupyterhub-idle-culler)     3600
  GATES_EXCHANGE_URL the course's exchange service, run by the grader, GATES_EXCHANGE/<id> then the grader's
                     alone: http://127.0.0.1:<port> (deploy/README.md, "Who submitted what")       unset: none

Each student's server gets the limits of deploy/limits.py (memory, CPU, processes); course_hub.py holds what any
hub of the course needs (the roster, groups, roles, the formgrader), which a Kubernetes hub runs too.

Ports 8081 (hub API), 8001 (proxy API) and 9999 (the formgrader) listen on loopback only; set
GATES_HUB_API_PORT, GATES_PROXY_API_PORT, GATES_FORMGRADER_PORT to move them.
"""

import asyncio
import os
import pwd
import sys
from pathlib import Path

c = get_config()  # noqa: F821 -- provided by traitlets when it loads this file

here = Path(__file__).resolve().parent
sys.path.insert(0, str(here))  # deploy/limits.py
import limits  # noqa: E402

COURSE = os.environ.get("GATES_COURSE_ID", "gates")
ENV = Path(os.environ.get("GATES_ENV", here.parent))
ROSTER = Path(os.environ.get("GATES_ROSTER", here / "roster.csv"))
GRADER = os.environ.get("GATES_GRADER", f"grader-{COURSE}")
EXCHANGE = os.environ.get("GATES_EXCHANGE", "/srv/nbgrader/exchange")
STATE = Path(os.environ.get("GATES_HUB_STATE", "/srv/jupyterhub"))
FORMGRADER_PORT = int(os.environ.get("GATES_FORMGRADER_PORT", 9999))
IDLE_TIMEOUT = int(os.environ.get("GATES_IDLE_TIMEOUT", 3600))


def course_dir():
    """Where the grader keeps the course: GATES_COURSE_DIR, or <grader's home>/<course id>."""
    if "GATES_COURSE_DIR" in os.environ:
        return Path(os.environ["GATES_COURSE_DIR"])
    try:
        return Path(pwd.getpwnam(GRADER).pw_dir) / COURSE
    except KeyError:
        return Path("/home") / GRADER / COURSE


async def give_course_figures(spawner):
    """Copy the course's figures to the user's ~/assets before the server starts (as the user, never
    overwriting): a fetched lesson sits in ~/<course>/<assignment>/ and shows ../../assets/...
    (async, so the hub goes on serving while 20 servers start)"""
    user = spawner.user.name
    home = pwd.getpwnam(user).pw_dir
    copy = await asyncio.create_subprocess_exec(
        "runuser", "-u", user, "--", "cp", "-r", "--no-clobber", str(ENV / "assets"), home
    )
    await copy.wait()


venv_bin = ENV / ".venv" / "bin"
nbgrader_env = {
    "GATES_COURSE_ID": COURSE,
    "GATES_EXCHANGE": EXCHANGE,
    "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",  # nbgrader runs alembic as a program
}
if os.environ.get("GATES_EXCHANGE_URL"):
    nbgrader_env["GATES_EXCHANGE_URL"] = os.environ["GATES_EXCHANGE_URL"]  # every step through the service

# -- the hub, its proxy and its state ------------------------------------------------------------------
c.JupyterHub.ip = os.environ.get("GATES_HUB_IP", "")
c.JupyterHub.port = int(os.environ.get("GATES_HUB_PORT", 8000))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ.get("GATES_HUB_API_PORT", 8081))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ.get('GATES_PROXY_API_PORT', 8001)}"
c.ConfigurableHTTPProxy.command = [str(here / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")

# -- who may log in, nbgrader's groups and roles, the formgrader: deploy/course_hub.py, which a Kubernetes hub
# runs too (deploy/kubernetes/values.yaml). PAM (the default authenticator): the roster's users are system
# users and log in with their passwords.
os.environ.setdefault("GATES_ROSTER", str(ROSTER))
os.environ.setdefault("GATES_FORMGRADER_URL", f"http://127.0.0.1:{FORMGRADER_PORT}")
c.JupyterHub.load_roles = []
c.JupyterHub.services = []
course = {"c": c}
exec(compile((here / "course_hub.py").read_text(), str(here / "course_hub.py"), "exec"), course)

# -- every user's server: the course environment, the student side of nbgrader -------------------------
c.Spawner.cmd = [str(venv_bin / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.environment = {
    **nbgrader_env,
    # The exchange (deploy/jupyter/common); the student side of nbgrader only (deploy/jupyter/student).
    "JUPYTER_CONFIG_PATH": f"{here / 'jupyter' / 'common'}:{here / 'jupyter' / 'student'}",
}
c.Spawner.pre_spawn_hook = give_course_figures
# Memory, CPU and processes per student server (deploy/limits.py: SystemdSpawner or cgroups).
limits.configure(c)
# A class starting at once shares the cores, and its servers come up together: 20 on 2 cores took 47.5 s. Room for
# a class of 40 (a first `make bench-hub N=40`, with a 120 s timeout on a machine loaded by other work, had none
# of its 40 servers ready after 300 s).
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 300

# -- idle servers stopped after GATES_IDLE_TIMEOUT seconds (default an hour): jupyterhub-idle-culler --------
c.JupyterHub.services.append(
    {
        "name": "idle-culler",
        "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={IDLE_TIMEOUT}"],
    }
)
c.JupyterHub.load_roles.append(
    {
        "name": "idle-culler",
        "services": ["idle-culler"],
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    }
)

# -- the formgrader: a hub-managed service, run by the grader account for the instructors' group ---------
course["formgrader"].update(
    {
        "command": [str(venv_bin / "jupyterhub-singleuser"), f"--port={FORMGRADER_PORT}"],
        "user": GRADER,
        "cwd": str(course_dir()),
        "environment": {
            **nbgrader_env,
            "JUPYTER_CONFIG_PATH": str(here / "jupyter" / "common"),
            # The formgrader is opened as its own page, not in JupyterLab's iframe: JupyterHub >= 4.1
            # forbids framing a server (CSP frame-ancestors 'none'), and nbgrader's docs keep it so.
            "JUPYTERHUB_DEFAULT_URL": "/formgrader",
            # The course's nbgrader_config.py reads these (a PostgreSQL gradebook, if set).
            **(
                {"GATES_GRADEBOOK_URL": os.environ["GATES_GRADEBOOK_URL"]}
                if "GATES_GRADEBOOK_URL" in os.environ
                else {}
            ),
        },
    }
)

# -- the exchange service (deploy/exchange_service.py), if GATES_EXCHANGE_URL is set: run by the grader account,
# the only user who may write the exchange's folder ---------------------------------------------------------
if "exchange" in course:
    course["exchange"].update(
        {
            "command": [str(venv_bin / "python"), str(here / "exchange_service.py")],
            "user": GRADER,
            "environment": {"GATES_COURSE_ID": COURSE, "GATES_EXCHANGE": EXCHANGE},
        }
    )
