"""How long and how much the rehearsal may take: AWS's numbers by default, shorter ones in tests.

The AWS numbers come from the rules (``validation.rules.rehearsal``: one fact, one place); everything else
here is our own guard (disk, memory, log size, a whole run's time), configurable per deployment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from validation.rules.rehearsal import PORT, RULES_BY_CODE as R

MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass(frozen=True)
class Budgets:
    # -- AWS's numbers (AWS_RULES.md §5), from the rules ---------------------------------------------------
    accept: float = R["rehearsal.E003"].limit
    startup: float = R["rehearsal.E004"].limit
    startup_warn: float = R["rehearsal.W005"].limit
    ping_timeout: float = R["rehearsal.E006"].limit
    invoke_realtime: float = R["rehearsal.E009"].limit
    invoke_batch: float = R["rehearsal.E010"].limit
    sigterm_grace: float = R["rehearsal.E018"].limit
    payload_warn: int = R["rehearsal.W013"].limit
    payload_max: int = R["rehearsal.E014"].limit
    payload_batch_max: int = R["rehearsal.E015"].limit
    failure_chars: int = R["rehearsal.W026"].limit
    port: int = PORT
    # -- our guards -----------------------------------------------------------------------------------------
    train: float = 1800.0  # one `train` run (the rehearsal trains on a small sample channel)
    total: float = 2400.0  # the whole rehearsal; the check's time limit is set above it
    ping_interval: float = 0.25  # between /ping polls while starting
    accept_samples: int = 5  # connections timed once the port is open
    bind_port: int = 8081  # SAGEMAKER_BIND_TO_PORT when the image's label accepts it (not 8080: prove it)
    memory_bytes: int = 8 * GiB  # per process (rlimit) or for the container (cgroup v2)
    cpus: float = 2.0  # cgroup v2 only
    pids: int = 1024  # cgroup v2 only
    tmp_bytes: int = 1 * GiB  # the /tmp tmpfs
    rootfs_max: int = 32 * GiB  # unpacked image
    model_max: int = 16 * GiB  # unpacked model data
    model_files_max: int = 200_000
    log_cap: int = 64 * 1024  # bytes of container log kept per run (head; the last lines are kept besides)
    log_tail_lines: int = 80
    response_max: int = 64 * MiB  # bytes of one /invocations response kept for comparison
    csv_rel_tol: float = 1e-4  # numeric tolerance when comparing CSV / JSON output with the sample
    csv_abs_tol: float = 1e-6
    extra: dict = field(default_factory=dict)


DEFAULT_BUDGETS = Budgets()
