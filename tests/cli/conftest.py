"""``manage.py prep`` as a seller's CI runs it: a subprocess with the test environment, outputs and exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


@dataclass
class Result:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:  # shown when an assertion fails
        return (f"prep {' '.join(self.args)} → exit {self.returncode}\n--- stdout\n{self.stdout[-4000:]}\n"
                f"--- stderr\n{self.stderr[-4000:]}")


def prep(*args: str | Path, timeout: float = 120) -> Result:
    args = tuple(str(a) for a in args)
    done = subprocess.run([sys.executable, "manage.py", "prep", *args], cwd=ROOT, env=dict(os.environ),
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return Result(args, done.returncode, done.stdout, done.stderr)

