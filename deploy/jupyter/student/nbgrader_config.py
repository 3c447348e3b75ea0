"""nbgrader on a student's server (the formgrader service does not load this: its grader is no hub user)."""

from nbgrader.auth import JupyterHubAuthPlugin

c = get_config()  # noqa: F821 -- provided by traitlets when it loads this file

# A student's courses are the hub groups nbgrader-<course> the student is in: the Assignments panel
# lists those, and fetch and submit refuse any other course.
c.Authenticator.plugin_class = JupyterHubAuthPlugin
