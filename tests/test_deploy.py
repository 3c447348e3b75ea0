"""Does every file of deploy/ load, and say what the deployment needs?

Each configuration file is loaded the way its program loads it (traitlets' Python config loader, with
the environment variables the hub sets); test_hub.py runs them all together on a real hub.
"""

import json
import re
from importlib.metadata import version

import pytest
import yaml
from kubernetes.client import ApiClient
from traitlets.config import Config
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


def services(config):
    """{name: service} of a hub's config."""
    return {service["name"]: service for service in config.JupyterHub.services}


def test_the_formgrader_is_a_service_of_the_grader_account_opened_as_its_own_page(hub):
    service = services(hub)["gates"]
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
    for name in ("jupyterhub-idle-culler", "jupyterhub-systemdspawner"):
        assert version(name) == pins[name]
    lock = json.loads((DEPLOY / "package-lock.json").read_text())
    installed = json.loads((DEPLOY / "node_modules" / "configurable-http-proxy" / "package.json").read_text())
    assert lock["packages"]["node_modules/configurable-http-proxy"]["version"] == installed["version"] == "5.2.0"


@pytest.fixture
def limits(monkeypatch):
    """deploy/limits.py, imported as the hub's config imports it (deploy/ on the path)."""
    monkeypatch.syspath_prepend(str(DEPLOY))
    import limits

    return limits


def test_each_students_server_gets_the_limits_set_in_one_place(hub, limits, monkeypatch):
    """deploy/limits.py: cgroups here (no systemd), SystemdSpawner's own settings where systemd runs."""
    import systemdspawner

    assert limits.systemd_runs() is False and hub.JupyterHub.spawner_class is limits.CgroupSpawner
    monkeypatch.setattr(limits, "systemd_runs", lambda: True)
    c = Config()
    limits.configure(c)
    assert c.JupyterHub.spawner_class == "systemdspawner.SystemdSpawner"
    assert (c.SystemdSpawner.mem_limit, c.SystemdSpawner.cpu_limit) == (limits.MEMORY, limits.CPUS) == (2**30, 1.0)
    assert c.SystemdSpawner.unit_extra_properties == {"TasksMax": str(limits.TASKS)}
    assert {"mem_limit", "cpu_limit", "unit_extra_properties", "dynamic_users"} <= set(
        systemdspawner.SystemdSpawner.class_traits()
    )


def test_idle_servers_are_stopped_after_an_hour(hub):
    culler = services(hub)["idle-culler"]
    assert culler["command"][1:] == ["-m", "jupyterhub_idle_culler", "--timeout=3600"]
    (role,) = [role for role in hub.JupyterHub.load_roles if role["name"] == "idle-culler"]
    assert role["services"] == ["idle-culler"] and "delete:servers" in role["scopes"]


# -- Kubernetes (deploy/kubernetes/): no cluster runs here; what can be checked without one is -----------------

KUBERNETES = DEPLOY / "kubernetes"


def yaml_documents(path):
    """The YAML documents of the file at path."""
    return list(yaml.safe_load_all(path.read_text()))


def values():
    """Zero to JupyterHub's values for the class (deploy/kubernetes/values.yaml)."""
    (document,) = yaml_documents(KUBERNETES / "values.yaml")
    return document


def manifests():
    """{kind: manifest} of deploy/kubernetes/formgrader.yaml (the claims by name: 'PersistentVolumeClaim/<name>')."""
    found = {}
    for manifest in yaml_documents(KUBERNETES / "formgrader.yaml"):
        kind = manifest["kind"]
        found[f"{kind}/{manifest['metadata']['name']}" if kind == "PersistentVolumeClaim" else kind] = manifest
    return found


def as_model(manifest):
    """The manifest read into the kubernetes client's model of its kind (V1Deployment, …)."""
    model = f"{manifest['apiVersion'].split('/')[-1].capitalize()}{manifest['kind']}"
    return ApiClient()._ApiClient__deserialize(manifest, model)


def test_every_yaml_file_of_the_deployment_parses():
    files = sorted(p.name for p in KUBERNETES.glob("*.yaml"))
    assert files == ["formgrader.yaml", "values.yaml"]
    assert all(yaml_documents(KUBERNETES / name) for name in files)


@pytest.mark.parametrize(
    "kind", ["PersistentVolumeClaim/gates-exchange", "PersistentVolumeClaim/gates-course", "Deployment", "Service"]
)
def test_every_manifest_is_its_kinds_model_field_for_field(kind):
    """Read into the client's model and written back, nothing is lost: no misspelt or misplaced field."""
    manifest = manifests()[kind]
    assert ApiClient().sanitize_for_serialization(as_model(manifest)) == manifest


def test_a_misplaced_field_would_not_survive_the_round_trip():
    deployment = manifests()["Deployment"]
    deployment["spec"]["template"]["spec"]["containers"][0]["port"] = 9999  # `ports` is the field
    assert ApiClient().sanitize_for_serialization(as_model(deployment)) != deployment


def test_the_kubernetes_hub_carries_the_course_settings_the_local_hub_runs(monkeypatch, tmp_path, hub):
    """One source: values.yaml's hub.extraConfig is deploy/course_hub.py, which jupyterhub_config.py runs too;
    run as the chart runs it, after the chart's own roles and services (the idle culler's), it keeps them."""
    hub_values = values()["hub"]
    source = (DEPLOY / "course_hub.py").read_text()
    assert hub_values["extraConfig"]["gates-course"] == source
    roster = tmp_path / "roster.csv"
    roster.write_text(hub_values["extraFiles"]["roster"]["stringData"])
    for name, value in hub_values["extraEnv"].items():
        if isinstance(value, str):
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("GATES_ROSTER", str(roster))
    # the chart reads these from the secret gates-formgrader
    monkeypatch.setenv("GATES_FORMGRADER_TOKEN", "a-secret")
    monkeypatch.setenv("GATES_EXCHANGE_TOKEN", "another-secret")
    c = Config()
    c.JupyterHub.load_roles = [{"name": "jupyterhub-idle-culler", "services": ["jupyterhub-idle-culler"]}]
    c.JupyterHub.services = [{"name": "jupyterhub-idle-culler"}]
    exec(compile(source, "course_hub.py", "exec"), {"c": c})
    course_roles = ["server", "formgrade-gates", "gates-exchange"]
    assert [role["name"] for role in c.JupyterHub.load_roles] == ["jupyterhub-idle-culler", *course_roles]
    local = load(DEPLOY / "jupyterhub_config.py", monkeypatch, GATES_ENV="/opt/gates", GATES_HUB_STATE=tmp_path)
    assert c.JupyterHub.load_roles[1:] == [role for role in local.JupyterHub.load_roles if role["name"] in course_roles]
    assert c.JupyterHub.load_groups == {
        "formgrade-gates": {"users": ["instructor"]},
        "nbgrader-gates": {"users": ["student1", "student2"]},
    }
    culler, formgrader, exchange = c.JupyterHub.services
    assert formgrader == {
        "name": "gates",
        "url": "http://formgrader:9999",
        "oauth_no_confirm": True,
        "api_token": "a-secret",
    }
    assert exchange == {
        "name": "gates-exchange",
        "url": "http://formgrader:9998",
        "display": False,
        "api_token": "another-secret",
    }
    local = services(hub)["gates"]
    assert {key: local[key] for key in ("name", "oauth_no_confirm")} == {"name": "gates", "oauth_no_confirm": True}


def test_the_formgrader_deployment_is_the_service_the_hub_expects():
    hub_env = values()["hub"]["extraEnv"]
    found = manifests()
    deployment, service = found["Deployment"], found["Service"]
    course = hub_env["GATES_COURSE_ID"]
    assert (
        hub_env["GATES_FORMGRADER_URL"] == f"http://{service['metadata']['name']}:{service['spec']['ports'][0]['port']}"
    )
    assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    container, _exchange = deployment["spec"]["template"]["spec"]["containers"]
    assert container["ports"][0]["containerPort"] == service["spec"]["ports"][0]["port"]
    assert f"--port={service['spec']['ports'][0]['port']}" in container["command"]
    env = {item["name"]: item.get("value", item.get("valueFrom")) for item in container["env"]}
    assert env["JUPYTERHUB_SERVICE_NAME"] == env["GATES_COURSE_ID"] == course
    assert env["JUPYTERHUB_SERVICE_PREFIX"] == f"/services/{course}/"
    assert env["JUPYTERHUB_CLIENT_ID"] == f"service-{course}"
    assert env["JUPYTERHUB_API_TOKEN"] == hub_env["GATES_FORMGRADER_TOKEN"]["valueFrom"], "one secret, both sides"


def test_the_exchange_is_a_service_whose_volume_no_student_mounts():
    """The exchange service's container (beside the formgrader's) alone mounts the exchange; students' pods and the
    formgrader call it at the address the hub registers, and may reach its port."""
    hub_env, user = values()["hub"]["extraEnv"], values()["singleuser"]
    found = manifests()
    deployment, service = found["Deployment"], found["Service"]
    formgrader, exchange = deployment["spec"]["template"]["spec"]["containers"]
    env = {item["name"]: item.get("value", item.get("valueFrom")) for item in exchange["env"]}
    course = hub_env["GATES_COURSE_ID"]
    assert exchange["command"] == ["/opt/gates/.venv/bin/python", "/opt/gates/deploy/exchange_service.py"]
    assert env["JUPYTERHUB_SERVICE_NAME"] == f"{course}-exchange" and env["GATES_COURSE_ID"] == course
    assert env["JUPYTERHUB_SERVICE_PREFIX"] == f"/services/{course}-exchange/"
    assert env["JUPYTERHUB_API_TOKEN"] == hub_env["GATES_EXCHANGE_TOKEN"]["valueFrom"], "one secret, both sides"
    port = {p["name"]: p for p in service["spec"]["ports"]}["exchange"]
    assert exchange["ports"] == [{"name": port["targetPort"], "containerPort": port["port"]}]
    assert env["JUPYTERHUB_SERVICE_URL"] == f"http://0.0.0.0:{port['port']}/"
    url = f"http://{service['metadata']['name']}:{port['port']}"
    assert hub_env["GATES_EXCHANGE_URL"] == user["extraEnv"]["GATES_EXCHANGE_URL"] == url
    formgrader_env = {item["name"]: item.get("value") for item in formgrader["env"]}
    assert formgrader_env["GATES_EXCHANGE_URL"] == f"http://localhost:{port['port']}"
    # The volume: in the exchange's container only, at GATES_EXCHANGE; in no student's pod.
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    (mount,) = exchange["volumeMounts"]
    assert volumes[mount["name"]]["persistentVolumeClaim"]["claimName"] == "gates-exchange"
    assert mount["mountPath"] == env["GATES_EXCHANGE"]
    assert mount["name"] not in {m["name"] for m in formgrader["volumeMounts"]}
    assert "storage" not in user and "GATES_EXCHANGE" not in user["extraEnv"]
    # Students' pods may reach the service's port (the chart's policy blocks private addresses otherwise).
    (rule,) = user["networkPolicy"]["egress"]
    assert (
        rule["to"][0]["podSelector"]["matchLabels"].items()
        <= deployment["spec"]["template"]["metadata"]["labels"].items()
    )
    assert rule["ports"] == [{"port": port["port"], "protocol": "TCP"}]


def test_with_an_exchange_url_the_local_hub_runs_the_exchange_service_and_every_server_calls_it(monkeypatch, tmp_path):
    for name in ("GATES_COURSE_DIR", "GATES_GRADEBOOK_URL", "GATES_ROSTER", "GATES_EXCHANGE_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    url = "http://127.0.0.1:9998"
    hub = load(
        DEPLOY / "jupyterhub_config.py",
        monkeypatch,
        GATES_ENV="/opt/gates",
        GATES_HUB_STATE=tmp_path,
        GATES_EXCHANGE_URL=url,
    )
    exchange = services(hub)["gates-exchange"]
    assert exchange["command"] == ["/opt/gates/.venv/bin/python", str(DEPLOY / "exchange_service.py")]
    assert exchange["user"] == "grader-gates" and exchange["url"] == url
    assert exchange["environment"] == {"GATES_COURSE_ID": "gates", "GATES_EXCHANGE": "/srv/nbgrader/exchange"}
    roles = {role["name"]: role for role in hub.JupyterHub.load_roles}
    assert "access:services!service=gates-exchange" in roles["server"]["scopes"]
    assert roles["gates-exchange"]["groups"] == ["formgrade-gates", "nbgrader-gates"]
    assert roles["gates-exchange"]["services"] == ["gates"]
    assert hub.Spawner.environment["GATES_EXCHANGE_URL"] == url
    assert services(hub)["gates"]["environment"]["GATES_EXCHANGE_URL"] == url
    common = load(DEPLOY / "jupyter" / "common" / "nbgrader_config.py", monkeypatch)
    assert common.ExchangeFactory.submit == "exchange_client.Submit"
    assert len(common.ExchangeFactory) == 7
    assert "collect" not in load(ROOT / "nbgrader_config.py", monkeypatch).ExchangeFactory


def test_each_student_gets_the_measured_footprint_and_idle_servers_are_culled(limits):
    """The chart's limits are deploy/limits.py's (JupyterHub reads "1G" as 2**30 bytes)."""
    from jupyterhub.traitlets import ByteSpecification

    chart = values()
    assert chart["singleuser"]["memory"] == {"guarantee": "512M", "limit": "1G"}
    assert ByteSpecification().validate(None, chart["singleuser"]["memory"]["limit"]) == limits.MEMORY
    assert chart["singleuser"]["cpu"] == {"guarantee": 0.1, "limit": limits.CPUS}
    assert chart["cull"]["enabled"] is True and chart["cull"]["timeout"] == 3600


def test_the_image_installs_exactly_the_courses_pins():
    """The image runs the student copy's own `make setup` (requirements-torch.txt, then requirements.txt) and
    then deploy/requirements.txt: the pins a learner and a hub get, and no other package."""
    dockerfile = (KUBERNETES / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "\nFROM python:3.11-" in dockerfile
    assert "make -C /opt/gates setup PYTHON=python3" in dockerfile
    installs = [found.strip() for found in re.findall(r"pip install ([^\\&\n]*)", dockerfile)]
    assert installs == ["--no-cache-dir --quiet -r /opt/gates/deploy/requirements.txt"]
    setup = (ROOT / "lab.mk").read_text()
    assert "$(PIP_INSTALL) --no-deps -r requirements-torch.txt" in setup
    assert "$(PIP_INSTALL) -r requirements.txt -e ." in setup
    from autograde.student_copy import HUB, SHIPPED

    assert {"requirements.txt", "requirements-torch.txt"} <= set(SHIPPED) and HUB == ["deploy"]
    assert "solutions" not in SHIPPED
