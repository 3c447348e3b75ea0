"""nbgrader's exchange on the hub: every user's server and the formgrader service load this.

The hub's spawner sets GATES_EXCHANGE and GATES_COURSE_ID (deploy/jupyterhub_config.py).
"""

import os

c = get_config()  # noqa: F821 -- provided by traitlets when it loads this file

c.Exchange.root = os.environ.get("GATES_EXCHANGE", "/srv/nbgrader/exchange")
# A folder per course in the exchange, so one hub can hold several classes.
c.Exchange.path_includes_course = True
