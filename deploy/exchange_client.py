"""nbgrader's exchange through the course's exchange service (deploy/exchange_service.py), with the hub token.

Each class is nbgrader's own (nbgrader.exchange.default) run on a temporary exchange root: what the step reads is
fetched from the service into it first, what the step wrote there is sent to the service after. So nbgrader does
the file work as always, and the service, not the folder name, decides who submitted. deploy/jupyter/common/
nbgrader_config.py makes these the exchange of every server and of the formgrader when GATES_EXCHANGE_URL is set.
"""

import io
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

import requests
from nbgrader.exchange import default
from traitlets import Bool, Unicode
from traitlets import default as default_value


class ServiceExchange(default.Exchange):
    """nbgrader's exchange on a temporary root, filled from the course's exchange service and sent back to it."""

    url = Unicode(help="The exchange service's address: http://host:port ($GATES_EXCHANGE_URL)").tag(config=True)
    token = Unicode(help="The hub token the calls carry (default: $JUPYTERHUB_API_TOKEN)").tag(config=True)

    @default_value("url")
    def _url(self):
        return os.environ.get("GATES_EXCHANGE_URL", "")

    @default_value("token")
    def _token(self):
        return os.environ.get("JUPYTERHUB_API_TOKEN", "")

    @property
    def course(self):
        return self.coursedir.course_id or os.environ.get("GATES_COURSE_ID", "")

    def call(self, method, path, data=None, **params):
        """The service's answer to a call (api/<path>); a refusal fails the step with the service's reason."""
        url = f"{self.url.rstrip('/')}/services/{self.course}-exchange/api/{path}"
        params = {key: value for key, value in params.items() if value not in (None, "", "*")}
        reply = requests.request(
            method, url, params=params, data=data, headers={"Authorization": f"token {self.token}"}, timeout=120
        )
        if not reply.ok:
            try:
                reason = reply.json()["message"]
            except (ValueError, KeyError):
                reason = reply.text[:300]
            self.fail(f"The course's exchange refused: {reason} ({reply.status_code})")
        return reply

    def receive(self, path, **params):
        """Unpack what the service sends (folders of the course's exchange) into the temporary root."""
        with tarfile.open(fileobj=io.BytesIO(self.call("GET", path, **params).content), mode="r:gz") as tar:
            tar.extractall(self.course_path)

    def send(self, method, path, folder, **params):
        """Send folder's contents to the service as a .tar.gz; the service's JSON answer."""
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            for entry in sorted(Path(folder).iterdir()):
                tar.add(entry, arcname=entry.name)
        return self.call(method, path, data=buffer.getvalue(), **params).json()

    def before(self):
        """Fetch what the step reads into the temporary root."""

    def after(self):
        """Send what the step wrote to the service."""

    def start(self):
        if not self.course:
            self.fail("No course id specified. Re-run with --course flag.")
        with tempfile.TemporaryDirectory(prefix="nbgrader-exchange-") as root:
            self.root = root
            self.course_path = os.path.join(root, self.course)
            for folder in ("outbound", "inbound", "feedback"):
                os.makedirs(os.path.join(self.course_path, folder))
            self.before()
            result = super().start()
            self.after()
        return result


class ReleaseAssignment(ServiceExchange, default.ExchangeReleaseAssignment):
    def after(self):
        self.send("PUT", "released", self.dest_path, assignment=self.coursedir.assignment_id, force=self.force or None)


class FetchAssignment(ServiceExchange, default.ExchangeFetchAssignment):
    def before(self):
        self.receive("released", assignment=self.coursedir.assignment_id)


class Submit(ServiceExchange, default.ExchangeSubmit):
    def before(self):
        self.receive("released", assignment=self.coursedir.assignment_id)

    def after(self):
        """Send the submission, naming a student only if one was asked for (--student); the cached copy
        (what the Assignments panel lists) takes the name and time the service gave it."""
        name = self.assignment_filename.rsplit("+", 1)[0] if self.add_random_string else self.assignment_filename
        cached = os.path.join(self.cache_path, name)
        try:
            answer = self.send(
                "POST",
                "submissions",
                os.path.join(self.inbound_path, self.assignment_filename),
                assignment=self.coursedir.assignment_id,
                student=self.coursedir.student_id,
            )
        except Exception:
            shutil.rmtree(cached, ignore_errors=True)
            raise
        student, stamp = answer["student"], answer["timestamp"]
        recorded = os.path.join(self.cache_path, f"{student}+{self.coursedir.assignment_id}+{stamp}")
        os.rename(cached, recorded)
        Path(recorded, "timestamp.txt").write_text(stamp)
        self.log.info("The course's exchange recorded it as %s's, at %s", student, stamp)


class Collect(ServiceExchange, default.ExchangeCollect):
    # The service names each submission after its sender; every file here is the grader's own.
    check_owner = Bool(False).tag(config=True)

    def before(self):
        self.receive("submissions", assignment=self.coursedir.assignment_id, student=self.coursedir.student_id)


class ReleaseFeedback(ServiceExchange, default.ExchangeReleaseFeedback):
    def after(self):
        self.send("PUT", "feedback", self.dest_path)


class FetchFeedback(ServiceExchange, default.ExchangeFetchFeedback):
    def before(self):
        self.receive("feedback")


class List(ServiceExchange, default.ExchangeList):
    def before(self):
        if self.remove:
            self.fail("Removing from the course's exchange service is not supported.")
        if self.inbound:
            self.receive("submissions", assignment=self.coursedir.assignment_id, student=self.coursedir.student_id)
        elif self.cached:
            self.receive("feedback")
        else:
            self.receive("released", assignment=self.coursedir.assignment_id)
