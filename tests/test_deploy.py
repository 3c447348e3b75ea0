"""Does every file of deploy/ load, and say what the deployment needs?

Each configuration file is loaded the way its program loads it (traitlets' Python config loader, with
the environment variables the hub sets); test_hub.py runs them all together on a real hub.
"""

import json
import re
from importlib.metadata import version

import pytest
from traitlets.config.loader import PyFileConfigLoader

from tests.course import ROOT

DEPLOY = ROOT / "deploy"


def load(path, monkeypatch, **env):
    """The config the Python config file at path makes, with env set."""
    for name, value in env.items():
        monkeypatch.setenv(name, str(value))
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


@pytest.fixture
def hub(monkeypatch, tmp_path):
    """deploy/jupyterhub_config.py loaded for a course environment in /opt/gates, the example roster."""
    for name in ("GATES_COURSE_DIR", "GATES_GRADEBOOK_URL", "GATES_ROSTER"):
        monkeypatch.delenv(name, raising=False)
    return load(DEPLOY / "jupyterhub_config.py", monkeypatch, GATES_ENV="/opt/gates", GATES_HUB_STATE=tmp_path)


def test_the_hub_lets_the_roster_in_with_nbgraders_groups(hub):
    assert hub.Authenticator.allowed_users == {"instructor", "student1", "student2", "student3"}
    assert hub.JupyterHub.load_groups == {
        "formgrade-gates": {"users": ["instructor"]},
        "nbgrader-gates": {"users": ["student1", "student2", "student3"]},
    }
    roles = {role["name"]: role for role in hub.JupyterHub.load_roles}
    assert roles["formgrade-gates"]["groups"] == ["formgrade-gates"]
    assert roles["formgrade-gates"]["scopes"] == ["access:services!service=gates"]
    assert "read:users:groups!user" in roles["server"]["scopes"], "nbgrader's JupyterHubAuthPlugin reads them"


def test_every_user_runs_the_course_environment_with_the_student_side_of_nbgrader(hub):
    assert hub.Spawner.cmd == ["/opt/gates/.venv/bin/jupyterhub-singleuser"]
    env = hub.Spawner.environment
    assert env["JUPYTER_CONFIG_PATH"].split(":") == [
        str(DEPLOY / "jupyter" / "common"),
        str(DEPLOY / "jupyter" / "student"),
    ]
    assert env["PATH"].startswith("/opt/gates/.venv/bin:")
    assert env["GATES_EXCHANGE"] == "/srv/nbgrader/exchange" and env["GATES_COURSE_ID"] == "gates"


def test_the_course_environment_is_the_one_the_config_is_in(monkeypatch, tmp_path):
    monkeypatch.delenv("GATES_ENV", raising=False)
    config = load(DEPLOY / "jupyterhub_config.py", monkeypatch, GATES_HUB_STATE=tmp_path)
    assert config.Spawner.cmd == [str(ROOT / ".venv" / "bin" / "jupyterhub-singleuser")]


def test_the_formgrader_is_a_service_of_the_grader_account_opened_as_its_own_page(hub):
    (service,) = hub.JupyterHub.services
    assert service["name"] == "gates" and service["user"] == "grader-gates"
    assert service["command"][0] == "/opt/gates/.venv/bin/jupyterhub-singleuser"
    assert service["cwd"] == "/home/grader-gates/gates"
    assert service["environment"]["JUPYTERHUB_DEFAULT_URL"] == "/formgrader"
    assert service["environment"]["JUPYTER_CONFIG_PATH"] == str(DEPLOY / "jupyter" / "common")
    assert service["url"].startswith("http://127.0.0.1:")


def test_the_hub_keeps_its_state_and_proxy_where_it_is_told(hub, tmp_path):
    assert hub.JupyterHub.db_url == f"sqlite:///{tmp_path / 'jupyterhub.sqlite'}"
    assert hub.JupyterHub.cookie_secret_file == str(tmp_path / "jupyterhub_cookie_secret")
    (proxy,) = hub.ConfigurableHTTPProxy.command
    assert proxy == str(DEPLOY / "node_modules" / ".bin" / "configurable-http-proxy")
    assert hub.JupyterHub.hub_ip == "127.0.0.1" and hub.ConfigurableHTTPProxy.api_url.startswith("http://127.0.0.1:")


def test_a_roster_with_an_unknown_role_is_refused_by_name(monkeypatch, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("username,role\nada,instructor\nbob,teacher\n")
    with pytest.raises(ValueError, match="role of 'bob' is 'teacher', not instructor or student"):
        load(DEPLOY / "jupyterhub_config.py", monkeypatch, GATES_ROSTER=roster, GATES_HUB_STATE=tmp_path)


def test_the_exchange_has_a_folder_per_course(monkeypatch):
    config = load(DEPLOY / "jupyter" / "common" / "nbgrader_config.py", monkeypatch, GATES_EXCHANGE="/x/exchange")
    assert config.Exchange.root == "/x/exchange"
    assert config.Exchange.path_includes_course is True


def test_students_get_their_courses_from_hub_groups_and_no_formgrader(monkeypatch):
    from nbgrader.auth import JupyterHubAuthPlugin

    student = DEPLOY / "jupyter" / "student"
    assert load(student / "nbgrader_config.py", monkeypatch).Authenticator.plugin_class is JupyterHubAuthPlugin
    extensions = load(student / "jupyter_server_config.py", monkeypatch).ServerApp.jpserver_extensions
    assert extensions == {
        "nbgrader.server_extensions.formgrader": False,
        "nbgrader.server_extensions.course_list": False,
    }


def test_the_lab_plugins_students_do_not_get_exist_in_nbgraders_lab_extension():
    disabled = json.loads((DEPLOY / "jupyter" / "student" / "labconfig" / "page_config.json").read_text())
    extension = ROOT / ".venv" / "share" / "jupyter" / "labextensions" / "@jupyter" / "nbgrader" / "static"
    plugin_ids = set()
    for js in extension.glob("*.js"):
        plugin_ids |= set(re.findall(r'"(@jupyter/nbgrader:[a-z-]+)"', js.read_text()))
    off = {name for name in disabled["disabledExtensions"] if name.startswith("@jupyter/nbgrader:")}
    assert off == {f"@jupyter/nbgrader:{p}" for p in ("formgrader", "course-list", "create-assignment")}
    assert off <= plugin_ids, plugin_ids
    assert "@jupyter/nbgrader:assignment-list" in plugin_ids - off


def test_the_course_config_takes_a_postgresql_gradebook_and_collects_by_owner(monkeypatch):
    url = "postgresql+psycopg://gates@db.example.edu/gradebook"
    config = load(ROOT / "nbgrader_config.py", monkeypatch, GATES_GRADEBOOK_URL=url)
    assert config.CourseDirectory.db_url == url
    assert config.ExchangeFactory.collect == "autograde.exchange.OwnerCheckedCollect"
    monkeypatch.delenv("GATES_GRADEBOOK_URL")
    config = load(ROOT / "nbgrader_config.py", monkeypatch)
    assert config.CourseDirectory.db_url == f"sqlite:///{ROOT / 'autograde' / 'gradebook.db'}"


def test_the_pinned_hub_and_proxy_are_the_installed_ones():
    pins = dict(re.findall(r"^([\w\[\]-]+)==(\S+)", (DEPLOY / "requirements.txt").read_text(), re.M))
    assert version("jupyterhub") == pins["jupyterhub"]
    assert version("psycopg") == pins["psycopg[binary]"]
    lock = json.loads((DEPLOY / "package-lock.json").read_text())
    installed = json.loads((DEPLOY / "node_modules" / "configurable-http-proxy" / "package.json").read_text())
    assert lock["packages"]["node_modules/configurable-http-proxy"]["version"] == installed["version"] == "5.2.0"
