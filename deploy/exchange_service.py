"""The course's exchange as a JupyterHub service: it alone writes the exchange, and names each submission after
the hub user whose token sent it, never after what the request says.

nbgrader's own exchange is a folder every user writes, so anyone can submit under anyone's name. Here the folder
(GATES_EXCHANGE/<course>: outbound/, inbound/, feedback/, nbgrader's layout) belongs to the service's user alone,
and every call carries a hub token (a student's server's, or the formgrader's), which the hub resolves to a user:

    GET  api/released[?assignment=a]             course members   the released assignments (a .tar.gz of outbound/)
    PUT  api/released?assignment=a[&force=1]     instructors      release a: the body is its folder as a .tar.gz
    POST api/submissions?assignment=a[&student=s] students        submit a: stored as <token's user>+a+<now>+<random>;
                                                                  a student s other than the token's user is refused
    GET  api/submissions[?assignment=a&student=s] instructors     the submissions (a .tar.gz of inbound/)
    PUT  api/feedback                            instructors      release feedback: nbgrader's <hash>.html files
    GET  api/feedback                            course members   the feedback of the caller's own submissions

Instructors are the formgrader (the service named for the course) and the hub group formgrade-<course>; students
the group nbgrader-<course>. deploy/exchange_client.py is nbgrader's side; course_hub.py registers the service.

    GATES_COURSE_ID, GATES_EXCHANGE (GATES_EXCHANGE/<course> must be writable by this service's user only),
    and what the hub gives a service: JUPYTERHUB_SERVICE_NAME, _URL, _PREFIX, JUPYTERHUB_API_URL
"""

import io
import json
import os
import re
import secrets
import shutil
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

from jupyterhub.services.auth import HubAuth, HubAuthenticated
from nbgrader.utils import notebook_hash
from tornado import ioloop, web

NAME = re.compile(r"[A-Za-z0-9_@-][A-Za-z0-9_.@-]*")  # an assignment's or a student's name: no '/', '+', '*'
TIMESTAMP = "%Y-%m-%d %H:%M:%S.%f %Z"  # nbgrader's (Exchange.timestamp_format)


def role(user, course):
    """'instructor', 'student' or None for a hub user or service model (as HubAuth gives it)."""
    if user.get("kind") == "service":
        return "instructor" if user["name"] == course else None
    groups = set(user.get("groups", ()))
    if f"formgrade-{course}" in groups:
        return "instructor"
    return "student" if f"nbgrader-{course}" in groups else None


def packed(folder, names):
    """A .tar.gz of the given entries of folder (paths relative to folder), as bytes."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in names:
            tar.add(folder / name, arcname=name)
    return buffer.getvalue()


def unpack(data, dest):
    """Extract a .tar.gz of plain files and folders into dest; refuse links, devices, absolute or '..' paths."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        members = tar.getmembers()
        for member in members:
            parts = Path(member.name).parts
            if not (member.isfile() or member.isdir()) or member.name.startswith("/") or ".." in parts:
                raise web.HTTPError(400, f"refused archive member {member.name!r}")
        tar.extractall(dest, members=members)


class Exchange:
    """The course's exchange folders, and what each call does to them."""

    def __init__(self, root, course):
        """The course's folder under root, made if missing; SystemExit if anyone but its owner may write in it
        (nbgrader's own exchange leaves inbound/ world-writable: the hole this service closes)."""
        self.course, self.path = course, Path(root) / course
        folders = [self.path / name for name in ("outbound", "inbound", "feedback")]
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        for folder in [self.path, *folders]:
            if folder.stat().st_mode & 0o022:
                raise SystemExit(f"{folder} is writable by others (mode {oct(folder.stat().st_mode & 0o7777)})")

    def replace(self, dest, data):
        """Make dest the folder in the archive data, at once (unpacked beside it, then renamed)."""
        new = Path(tempfile.mkdtemp(dir=dest.parent, prefix=".new-"))
        unpack(data, new)
        if dest.exists():
            old = dest.with_name(f".old-{secrets.token_hex(4)}")
            dest.rename(old)
            shutil.rmtree(old)
        new.rename(dest)

    def submissions(self, student=None, assignment=None):
        """The submission folders (<student>+<assignment>+<time>+<random>), of one student or assignment if given."""
        found = []
        for path in sorted((self.path / "inbound").iterdir()):
            parts = path.name.rsplit("+", 3)  # a hub user's name may hold a '+'
            if len(parts) == 4 and student in (None, parts[0]) and assignment in (None, parts[1]):
                found.append(path)
        return found

    def submit(self, user, assignment, data):
        """Store a submission as the user's, stamped now; (folder name, timestamp)."""
        stamp = datetime.now(UTC).strftime(TIMESTAMP)
        name = f"{user}+{assignment}+{stamp}+{secrets.token_urlsafe(9)}"
        self.replace(self.path / "inbound" / name, data)
        (self.path / "inbound" / name / "timestamp.txt").write_text(stamp)
        return name, stamp

    def feedback_of(self, user):
        """The names of the released feedback files of the user's submissions (nbgrader's hash of each notebook's
        submission secret)."""
        found = []
        for submission in self.submissions(user):
            secret = submission / "submission_secret.txt"
            for notebook in submission.glob("*.ipynb") if secret.is_file() else ():
                name = f"{notebook_hash(secret=secret.read_text(), notebook_id=notebook.stem)}.html"
                if (self.path / "feedback" / name).is_file():
                    found.append(f"feedback/{name}")
        return found


class Handler(HubAuthenticated, web.RequestHandler):
    """A call to the exchange by a hub user or service, token-authenticated; `allowed` roles only."""

    allowed = ("instructor", "student")

    def initialize(self, exchange, hub_auth):
        self.exchange, self.hub_auth = exchange, hub_auth

    def prepare(self):
        user = self.current_user
        if user is None:
            raise web.HTTPError(403, "a hub token with access to this service is needed")
        self.role = role(user, self.exchange.course)
        if self.role not in self.allowed:
            raise web.HTTPError(403, f"{user['name']} may not do this in course {self.exchange.course}")

    def name(self, argument, required=True):
        """The request's argument, a name (None if absent and not required)."""
        value = self.get_argument(argument, None)
        if value is None and required:
            raise web.HTTPError(400, f"{argument} is missing")
        if value is not None and not NAME.fullmatch(value):
            raise web.HTTPError(400, f"bad {argument}: {value!r}")
        return value

    def send_archive(self, names):
        self.set_header("Content-Type", "application/gzip")
        self.finish(packed(self.exchange.path, names))

    def write_error(self, status_code, **kwargs):
        error = kwargs.get("exc_info", (None, None))[1]
        self.finish({"message": getattr(error, "log_message", None) or self._reason})


class About(web.RequestHandler):
    """The service's root, which the hub checks is up: what it is, for anyone."""

    def initialize(self, exchange, hub_auth):
        self.exchange = exchange

    def get(self):
        self.finish({"exchange": self.exchange.course})


class Released(Handler):
    def get(self):
        assignment = self.name("assignment", required=False) or "*"
        self.send_archive(sorted(f"outbound/{p.name}" for p in (self.exchange.path / "outbound").glob(assignment)))

    def put(self):
        if self.role != "instructor":
            raise web.HTTPError(403, "only the course's instructors release assignments")
        dest = self.exchange.path / "outbound" / self.name("assignment")
        if dest.exists() and not self.get_argument("force", ""):
            raise web.HTTPError(409, f"{dest.name} is released already (release again with --force)")
        self.exchange.replace(dest, self.request.body)
        self.finish({"released": dest.name})


class Submissions(Handler):
    def post(self):
        user = self.current_user
        if user.get("kind") == "service":
            raise web.HTTPError(403, "a service submits nothing")
        claimed = self.name("student", required=False) or user["name"]
        if claimed != user["name"]:
            raise web.HTTPError(403, f"{user['name']} may not submit as {claimed}")
        name, stamp = self.exchange.submit(user["name"], self.name("assignment"), self.request.body)
        self.finish({"student": user["name"], "timestamp": stamp, "submission": name})

    def get(self):
        if self.role != "instructor":
            raise web.HTTPError(403, "only the course's instructors collect")
        found = self.exchange.submissions(self.name("student", False), self.name("assignment", False))
        self.send_archive([f"inbound/{p.name}" for p in found])


class Feedback(Handler):
    def get(self):
        self.send_archive(self.exchange.feedback_of(self.current_user["name"]))

    def put(self):
        if self.role != "instructor":
            raise web.HTTPError(403, "only the course's instructors release feedback")
        with tempfile.TemporaryDirectory(dir=self.exchange.path) as new:
            unpack(self.request.body, new)
            for html in Path(new).glob("*.html"):
                html.replace(self.exchange.path / "feedback" / html.name)
        self.finish({"released": True})


def app(exchange, hub_auth, prefix="/"):
    """The service's tornado application under prefix (the hub's JUPYTERHUB_SERVICE_PREFIX)."""
    settings = {"exchange": exchange, "hub_auth": hub_auth}
    return web.Application(
        [
            (prefix, About, settings),
            (f"{prefix}api/released", Released, settings),
            (f"{prefix}api/submissions", Submissions, settings),
            (f"{prefix}api/feedback", Feedback, settings),
        ]
    )


if __name__ == "__main__":
    course = os.environ.get("GATES_COURSE_ID", "gates")
    exchange = Exchange(os.environ.get("GATES_EXCHANGE", "/srv/nbgrader/exchange"), course)
    hub_auth = HubAuth(access_scopes={f"access:services!service={os.environ['JUPYTERHUB_SERVICE_NAME']}"})
    url = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    app(exchange, hub_auth, os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")).listen(url.port, url.hostname)
    print(json.dumps({"exchange": str(exchange.path), "listening": url.geturl()}), flush=True)
    try:
        ioloop.IOLoop.current().start()
    except KeyboardInterrupt:  # the hub stops its services with SIGINT
        pass
