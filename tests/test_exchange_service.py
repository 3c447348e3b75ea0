"""Does the course's exchange service (deploy/exchange_service.py) name each submission after whoever's token sent it,
and do nbgrader's steps work through it (deploy/exchange_client.py)?

The service runs for real on loopback; only the hub's answer to "whose token is this?" is made up (HubAuth's
call to the hub, `_check_hub_authorization`), with the models a hub gives. tests/test_hub_exchange.py runs
the same on a real hub.
"""

import asyncio
import importlib.util
import io
import json
import os
import tarfile
import threading
import types

import pytest
import requests
from jupyterhub.services.auth import HubAuth
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange import ExchangeError
from tornado import ioloop

from tests.browser import free_port
from tests.course import ROOT

COURSE, A = "gates", "01-why-gates"
ACCESS = f"access:services!service={COURSE}-exchange"
PEOPLE = {  # token: the model the hub gives for it
    "t-formgrader": {"kind": "service", "name": COURSE, "scopes": [ACCESS]},
    "t-ada": {"kind": "user", "name": "ada", "groups": [f"formgrade-{COURSE}"], "scopes": [ACCESS]},
    "t-right": {"kind": "user", "name": "right", "groups": [f"nbgrader-{COURSE}"], "scopes": [ACCESS]},
    "t-blank": {"kind": "user", "name": "blank", "groups": [f"nbgrader-{COURSE}"], "scopes": [ACCESS]},
    "t-outsider": {"kind": "user", "name": "outsider", "groups": [], "scopes": [ACCESS]},
    "t-no-access": {"kind": "user", "name": "noaccess", "groups": [f"nbgrader-{COURSE}"], "scopes": []},
}


def load(name):
    """deploy/<name>.py as a module (deploy/ is no package; the hub and the servers put it on their path)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "deploy" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


exchange_service, exchange_client = load("exchange_service"), load("exchange_client")


class MadeUpHub(HubAuth):
    """HubAuth whose hub knows the tokens of PEOPLE."""

    async def _check_hub_authorization(self, url, api_token, cache_key=None, use_cache=True):
        return json.loads(json.dumps(PEOPLE.get(api_token)))


@pytest.fixture
def service(tmp_path):
    """The service on a free loopback port, its exchange in tmp_path/exchange; .url, .exchange, .call(token, ...)."""
    exchange = exchange_service.Exchange(tmp_path / "exchange", COURSE)
    port, started = free_port(), threading.Event()

    def serve():
        asyncio.set_event_loop(asyncio.new_event_loop())
        hub_auth = MadeUpHub(access_scopes={ACCESS})
        exchange_service.app(exchange, hub_auth, f"/services/{COURSE}-exchange/").listen(port, "127.0.0.1")
        serve.loop = ioloop.IOLoop.current()
        started.set()
        serve.loop.start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    started.wait(10)
    url = f"http://127.0.0.1:{port}"

    def call(token, method, path, **kwargs):
        headers = {"Authorization": f"token {token}"} if token else {}
        return requests.request(method, f"{url}/services/{COURSE}-exchange/api/{path}", headers=headers, **kwargs)

    yield types.SimpleNamespace(url=url, exchange=exchange, call=call)
    serve.loop.add_callback(serve.loop.stop)
    thread.join(10)


def archive(files):
    """A .tar.gz of {path: text}."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def names_in(reply):
    with tarfile.open(fileobj=io.BytesIO(reply.content), mode="r:gz") as tar:
        return sorted(member.name for member in tar.getmembers() if member.isfile())


# -- the service's answers, call by call -----------------------------------------------------------------------


def test_a_submission_is_the_token_owners_whatever_the_request_claims(service):
    body = archive({f"{A}.ipynb": "{}", "submission_secret.txt": "s3cret"})
    refused = service.call("t-blank", "POST", "submissions", params={"assignment": A, "student": "right"}, data=body)
    assert (refused.status_code, refused.json()) == (403, {"message": "blank may not submit as right"})
    taken = service.call("t-blank", "POST", "submissions", params={"assignment": A}, data=body).json()
    assert taken["student"] == "blank" and taken["submission"].startswith(f"blank+{A}+{taken['timestamp']}+")
    (folder,) = (service.exchange.path / "inbound").iterdir()
    assert folder.name == taken["submission"]
    assert (folder / "timestamp.txt").read_text() == taken["timestamp"], "the service's clock, not the student's"


@pytest.mark.parametrize(
    "token, method, path, status",
    [
        ("t-right", "PUT", "released?assignment=x", 403),  # students do not release,
        ("t-right", "GET", "submissions", 403),  # collect,
        ("t-right", "PUT", "feedback", 403),  # or release feedback
        ("t-formgrader", "POST", "submissions?assignment=x", 403),  # a service submits nothing
        ("t-outsider", "GET", "released", 403),  # not in the course
        ("t-no-access", "GET", "released", 403),  # a token without access to the service
        ("t-unknown", "GET", "released", 403),
        (None, "GET", "released", 403),
        ("t-ada", "PUT", "released?assignment=../x", 400),
        ("t-right", "POST", "submissions", 400),  # which assignment?
    ],
)
def test_who_may_do_what(service, token, method, path, status):
    assert service.call(token, method, path, data=archive({"a.ipynb": "{}"})).status_code == status


def test_the_root_says_what_the_service_is_to_anyone(service):
    reply = requests.get(f"{service.url}/services/{COURSE}-exchange/")
    assert (reply.status_code, reply.json()) == (200, {"exchange": COURSE})


def test_an_archive_with_a_link_or_a_way_out_is_refused(service):
    for name, kind in [("../../escaped.txt", tarfile.REGTYPE), ("link", tarfile.SYMTYPE)]:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, "/etc/passwd"
            tar.addfile(info, io.BytesIO(b""))
        reply = service.call("t-ada", "PUT", "released", params={"assignment": A}, data=buffer.getvalue())
        assert reply.status_code == 400 and name in reply.json()["message"]
    assert not (service.exchange.path / "outbound" / A).exists()
    assert not (service.exchange.path.parent / "escaped.txt").exists()


def test_a_student_gets_the_feedback_of_their_own_submissions_only(service, monkeypatch):
    """Even a student whose name is the start of a classmate's, up to a '+' (hub names may hold one)."""
    hashes = {}
    monkeypatch.setitem(PEOPLE, "t-right-plus", {**PEOPLE["t-right"], "name": "right+x"})
    for token, student in (("t-right", "right"), ("t-right-plus", "right+x")):
        body = archive({f"{A}.ipynb": "{}", "submission_secret.txt": f"secret of {student}"})
        assert service.call(token, "POST", "submissions", params={"assignment": A}, data=body).ok
        hashes[student] = exchange_service.notebook_hash(secret=f"secret of {student}", notebook_id=A)
    body = archive({f"{h}.html": f"feedback of {student}" for student, h in hashes.items()})
    assert service.call("t-ada", "PUT", "feedback", data=body).ok
    assert names_in(service.call("t-right", "GET", "feedback")) == [f"feedback/{hashes['right']}.html"]
    assert names_in(service.call("t-right-plus", "GET", "feedback")) == [f"feedback/{hashes['right+x']}.html"]


def test_an_exchange_others_may_write_is_refused(tmp_path):
    """nbgrader's own exchange makes inbound/ writable by everyone (2733): the service will not serve it."""
    inbound = tmp_path / COURSE / "inbound"
    inbound.mkdir(parents=True)
    inbound.chmod(0o2733)
    with pytest.raises(SystemExit, match=f"{inbound} is writable by others \\(mode 0o2733\\)"):
        exchange_service.Exchange(tmp_path, COURSE)


def test_a_released_assignment_is_replaced_only_when_forced(service):
    release = {"assignment": A}
    assert service.call("t-ada", "PUT", "released", params=release, data=archive({"v1.ipynb": "{}"})).ok
    again = service.call("t-formgrader", "PUT", "released", params=release, data=archive({"v2.ipynb": "{}"}))
    assert again.status_code == 409
    assert service.call("t-formgrader", "PUT", "released", params={**release, "force": 1}, data=archive({})).ok
    assert sorted(p.name for p in (service.exchange.path / "outbound" / A).iterdir()) == []


# -- nbgrader's steps through the service (deploy/exchange_client.py) ---------------------------------------


def step(kind, service, token, tmp_path, who, **traits):
    """Run one of exchange_client's nbgrader steps as who (token), in who's own folders under tmp_path; its result."""
    home = tmp_path / who
    student = traits.pop("student_id", "*")  # --student
    coursedir = CourseDirectory(course_id=COURSE, assignment_id=A, student_id=student, root=str(tmp_path / "course"))
    app = getattr(exchange_client, kind)(
        coursedir=coursedir,
        authenticator=Authenticator(),
        url=service.url,
        token=token,
        cache=str(home / "cache"),
        assignment_dir=str(home),
        path_includes_course=True,
        **traits,
    )
    return app.start()


def test_release_fetch_submit_collect_feedback_through_the_service(service, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}")  # nbgrader's gradebook: alembic
    course = tmp_path / "course"
    (course / "release" / A).mkdir(parents=True)
    (course / "release" / A / f"{A}.ipynb").write_text('{"released": true}')
    step("ReleaseAssignment", service, "t-formgrader", tmp_path, "grader")
    (listed,) = step("List", service, "t-right", tmp_path, "right")
    assert (listed["assignment_id"], listed["status"]) == (A, "released")

    # Two students fetch and submit; blank also submits "as right" (--student), and is refused.
    for student in ("right", "blank"):
        step("FetchAssignment", service, f"t-{student}", tmp_path, student)
        (tmp_path / student / COURSE / A / f"{A}.ipynb").write_text(f'{{"by": "{student}"}}')
    step("Submit", service, "t-right", tmp_path, "right")
    with pytest.raises(ExchangeError, match="blank may not submit as right"):
        step("Submit", service, "t-blank", tmp_path, "blank", student_id="right")
    assert not list((tmp_path / "blank" / "cache" / COURSE).iterdir()), "no submission listed that was refused"
    step("Submit", service, "t-blank", tmp_path, "blank")
    inbound = sorted(p.name.split("+")[0] for p in (service.exchange.path / "inbound").iterdir())
    assert inbound == ["blank", "right"]

    # The formgrader collects each student's own work.
    step("Collect", service, "t-formgrader", tmp_path, "grader")
    for student in ("right", "blank"):
        assert (course / "submitted" / student / A / f"{A}.ipynb").read_text() == f'{{"by": "{student}"}}'

    # Feedback for right only (what generate_feedback leaves); right fetches it, blank gets none of it.
    feedback = course / "feedback" / "right" / A
    feedback.mkdir(parents=True)
    for name in ("timestamp.txt", "submission_secret.txt"):
        (feedback / name).write_text((course / "submitted" / "right" / A / name).read_text())
    (feedback / f"{A}.html").write_text("<p>Score: 6 / 6</p>")
    step("ReleaseFeedback", service, "t-ada", tmp_path, "grader")
    assert names_in(service.call("t-blank", "GET", "feedback")) == []
    (submitted,) = step("List", service, "t-right", tmp_path, "right", cached=True)
    assert submitted["student_id"] == "right" and submitted["submissions"][0]["has_exchange_feedback"] is True
    step("FetchFeedback", service, "t-right", tmp_path, "right")
    (page,) = (tmp_path / "right" / COURSE / A / "feedback").glob("*/*.html")
    assert page.read_text() == "<p>Score: 6 / 6</p>"
    assert page.parent.name == (course / "submitted" / "right" / A / "timestamp.txt").read_text()
