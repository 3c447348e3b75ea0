"""nbgrader's exchange on the hub: every user's server and the formgrader service load this.

The hub's spawner sets GATES_EXCHANGE and GATES_COURSE_ID (deploy/jupyterhub_config.py), and GATES_EXCHANGE_URL
where the course's exchange service runs (deploy/exchange_service.py; deploy/README.md, "Who submitted what").
"""

import os
import sys

c = get_config()  # noqa: F821 -- provided by traitlets when it loads this file

c.Exchange.root = os.environ.get("GATES_EXCHANGE", "/srv/nbgrader/exchange")
# A folder per course in the exchange, so one hub can hold several classes.
c.Exchange.path_includes_course = True

# The exchange service: every step goes through it with the hub token (deploy/exchange_client.py).
if os.environ.get("GATES_EXCHANGE_URL"):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))  # deploy/
    for step, name in [
        ("release_assignment", "ReleaseAssignment"),
        ("fetch_assignment", "FetchAssignment"),
        ("submit", "Submit"),
        ("collect", "Collect"),
        ("release_feedback", "ReleaseFeedback"),
        ("fetch_feedback", "FetchFeedback"),
        ("list", "List"),
    ]:
        setattr(c.ExchangeFactory, step, f"exchange_client.{name}")
