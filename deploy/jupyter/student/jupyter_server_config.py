"""A student's server on the hub: nbgrader's student side only (Assignments, Validate), no formgrader."""

c = get_config()  # noqa: F821 -- provided by traitlets when it loads this file

c.ServerApp.jpserver_extensions = {
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.course_list": False,
}
