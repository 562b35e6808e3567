"""The rehearsal run: the seller's container run the way SageMaker runs it, with no network (issue 5 §2).

Public API:
- ``rehearse(subject_or_paths, listing, *, progress, runner=None, budgets=DEFAULT_BUDGETS, scratch_root=None)
  -> RehearsalResult`` — findings (codes ``rehearsal.*``), capped and masked logs, timings, outbound attempts.
- ``available_runner()`` — ``DockerRunner`` when an engine answers, else ``NamespaceRunner`` (root +
  bubblewrap), else ``NoRunner`` whose ``available()`` says why; every finding is then "not run".
- ``Budgets`` / ``DEFAULT_BUDGETS`` — AWS's time limits (from the rules) and our guards; tests shorten them.
- ``unpack_image`` — an image archive's layers into a root folder (whiteouts applied, nothing outside it).
"""

from validation.container.rehearsal.budgets import DEFAULT_BUDGETS, Budgets
from validation.container.rehearsal.rehearse import RehearsalResult, rehearse
from validation.container.rehearsal.runners import (
    DockerRunner, NamespaceRunner, NoRunner, Runner, available_runner, engine_ping,
)
from validation.container.rehearsal.unpack import UnpackError, unpack_image
from validation.rules.rehearsal import CODES

__all__ = ["CODES", "DEFAULT_BUDGETS", "Budgets", "DockerRunner", "NamespaceRunner", "NoRunner", "RehearsalResult",
           "Runner", "UnpackError", "available_runner", "engine_ping", "rehearse", "unpack_image"]
