# What the course needs of any JupyterHub, on one machine or on Kubernetes: who may log in, nbgrader's groups,
# the roles that go with them, and the formgrader registered as a service. One source for both:
# deploy/jupyterhub_config.py runs this file, and deploy/kubernetes/values.yaml carries it, verbatim, as
# hub.extraConfig (`python deploy/kubernetes/sync_values.py` copies it there; tests/test_deploy.py checks).
# It runs with the hub's config object `c` in scope, after the hub's own settings: it adds to the lists of roles
# and services (Zero to JupyterHub's chart puts its own there, the idle culler's), never replaces them.
#
#   GATES_COURSE_ID         nbgrader's course id (groups formgrade-<id> and nbgrader-<id>)          gates
#   GATES_ROSTER            CSV with columns username,role (instructor or student),...  deploy/roster.csv
#   GATES_FORMGRADER_URL    where the formgrader listens (a Kubernetes Service: http://formgrader:9999)
#   GATES_FORMGRADER_TOKEN  the formgrader's API token, where the hub does not start it (Kubernetes)
#   GATES_EXCHANGE_URL      where the course's exchange service listens, if the course uses it (exchange_service.py)
#   GATES_EXCHANGE_TOKEN    the exchange service's API token, where the hub does not start it (Kubernetes)
import csv
import os
from pathlib import Path

COURSE = os.environ.get("GATES_COURSE_ID", "gates")
ROSTER = Path(os.environ.get("GATES_ROSTER", "/usr/local/etc/gates/roster.csv"))


def read_roster(path):
    """{role: [usernames]} from the roster CSV (roles: instructor, student)."""
    people = {"instructor": [], "student": []}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            role = row["role"].strip()
            if role not in people:
                raise ValueError(f"{path}: role of {row['username']!r} is {role!r}, not instructor or student")
            people[role].append(row["username"].strip())
    return people


people = read_roster(ROSTER)
c.Authenticator.allowed_users = set(people["instructor"] + people["student"])  # noqa: F821 -- the hub's config
c.JupyterHub.load_groups = {  # noqa: F821
    # nbgrader's names: formgrade-<course> reach the course's formgrader, nbgrader-<course> take it.
    f"formgrade-{COURSE}": {"users": people["instructor"]},
    f"nbgrader-{COURSE}": {"users": people["student"]},
}
c.JupyterHub.load_roles.extend(  # noqa: F821
    [
        # A user's own server may read the user's groups: nbgrader's JupyterHubAuthPlugin lists a student's
        # courses from them (and refuses to fetch or submit for a course the student is not in).
        {"name": "server", "scopes": ["users:activity!user", "access:servers!server", "read:users:groups!user"]},
        {
            "name": f"formgrade-{COURSE}",
            "groups": [f"formgrade-{COURSE}"],
            "scopes": [f"access:services!service={COURSE}"],
        },
    ]
)
# The formgrader, a service named for the course: the local hub starts it as the grader account
# (jupyterhub_config.py adds how); on Kubernetes it is a Deployment of its own, reached at its URL.
formgrader = {
    "name": COURSE,
    "url": os.environ.get("GATES_FORMGRADER_URL", "http://127.0.0.1:9999"),
    "oauth_no_confirm": True,
}
if "GATES_FORMGRADER_TOKEN" in os.environ:
    formgrader["api_token"] = os.environ["GATES_FORMGRADER_TOKEN"]
c.JupyterHub.services.append(formgrader)  # noqa: F821

# The exchange service (exchange_service.py), if the course uses it: a service named <course>-exchange that the
# course's members and the formgrader may call, and so may their servers (a server's token carries the "server"
# role's scopes, as far as its user has them). The local hub starts it as the grader account (jupyterhub_config.py).
if os.environ.get("GATES_EXCHANGE_URL"):
    access = f"access:services!service={COURSE}-exchange"
    for role in c.JupyterHub.load_roles:  # noqa: F821
        if role["name"] == "server":
            role["scopes"].append(access)
    c.JupyterHub.load_roles.append(  # noqa: F821
        {
            "name": f"{COURSE}-exchange",
            "groups": [f"formgrade-{COURSE}", f"nbgrader-{COURSE}"],
            "services": [COURSE],
            "scopes": [access],
        }
    )
    exchange = {"name": f"{COURSE}-exchange", "url": os.environ["GATES_EXCHANGE_URL"], "display": False}
    if "GATES_EXCHANGE_TOKEN" in os.environ:
        exchange["api_token"] = os.environ["GATES_EXCHANGE_TOKEN"]
    c.JupyterHub.services.append(exchange)  # noqa: F821
