"""Settings for the test suite: the normal settings with ENLETS_TESTING switched on.

pytest-django reads this before any conftest runs, so the switch lives here.
"""

import os

os.environ["ENLETS_TESTING"] = "1"

from enlets.settings import *  # noqa: F403
