"""A deliberately slow check, loaded only into the fault tests' worker (``celery worker --include
tests.faults.slowcheck``), never into the test process, so the rules catalog and every other test are unaffected.

It makes a run sit in the ``running`` state for as long as a test needs to kill the worker: the first time it
runs it writes its process id to ``FAULTS_SLOW_MARKER`` and sleeps ``FAULTS_SLOW_SECONDS``; once the marker exists
(a re-delivered run) it returns at once. It reports nothing, so a run's findings are the real checks' alone.

Never import this module from a test: the check would join the test process's registry for the whole session.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from validation.checks.registry import STAGE_METADATA, Subject, check

TITLE = "Slow check (fault tests)"


# Last of the metadata stage by name: some real checks have already saved findings when it blocks, so a
# re-delivered run must clear them rather than write them twice.
@check(name="zz_faults.slow", title=TITLE, stage=STAGE_METADATA, codes=(), time_limit=600.0)
def slow_check(subject: Subject):
    marker = os.environ.get("FAULTS_SLOW_MARKER")
    if marker and not Path(marker).exists():
        Path(marker).write_text(str(os.getpid()))
        time.sleep(float(os.environ.get("FAULTS_SLOW_SECONDS", "120")))
    return ()
