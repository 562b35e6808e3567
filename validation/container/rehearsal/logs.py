"""The container's log: captured line by line, secrets masked, size-capped, metrics matched on the way.

Kept: the first ``cap`` bytes and the last ``tail_lines`` lines (where a crash explains itself), with a
marker for what was left out. Metric regexes see every line (also those not kept), unmasked, as
SageMaker's metric parser would.
"""

from __future__ import annotations

import collections
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from validation.container.secrets import mask, mask_text

MAX_LINE = 8192
_READONLY = ("Read-only file system", "EROFS")


class LogCapture:
    def __init__(self, path: Path, *, cap: int, tail_lines: int, secrets: Iterable[str] = (),
                 metrics: Iterable[tuple[str, re.Pattern]] = ()) -> None:
        self.path, self.cap = path, cap
        self._file = open(path, "w", encoding="utf-8")
        self._kept = 0
        self._tail: collections.deque[str] = collections.deque(maxlen=tail_lines)
        self._omitted = 0
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)
        self._metrics = list(metrics)
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.lines = 0
        self.bytes = 0
        self.secret_lines: list[int] = []
        self.readonly: list[str] = []
        self.metric_values: dict[str, list[str]] = {name: [] for name, _ in self._metrics}
        self.closed = False

    def masked(self, text: str) -> str:
        for s in self._secrets:
            if s in text:
                text = text.replace(s, mask(s))
        return mask_text(text)

    def line(self, raw: bytes | str) -> None:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        text = text.rstrip("\r\n")[:MAX_LINE]
        with self._lock:
            self.lines += 1
            self.bytes += len(text) + 1
            for name, rx in self._metrics:
                m = rx.search(text)
                if m and len(self.metric_values[name]) < 1000:
                    self.metric_values[name].append(m.group(1) if rx.groups else m.group(0))
            out = self.masked(text)
            if out != text and len(self.secret_lines) < 100:
                self.secret_lines.append(self.lines)
            if any(word in text for word in _READONLY) and len(self.readonly) < 10:
                self.readonly.append(out[:300])
            if self.closed:
                return
            if self._kept + len(out) + 1 <= self.cap:
                self._file.write(out + "\n")
                self._kept += len(out) + 1
            else:
                if len(self._tail) == self._tail.maxlen:
                    self._omitted += 1
                self._tail.append(out)

    def follow(self, stream: IO[bytes]) -> threading.Thread:
        """Read ``stream`` to its end in a thread (the container's stdout+stderr pipe)."""

        def run() -> None:
            try:
                for raw in iter(lambda: stream.readline(MAX_LINE * 4), b""):
                    self.line(raw)
            except (OSError, ValueError):
                pass
            finally:
                stream.close()

        t = threading.Thread(target=run, name="rehearsal-log", daemon=True)
        t.start()
        self._threads.append(t)
        return t

    def close(self, timeout: float = 5.0) -> None:
        for t in self._threads:
            t.join(timeout)
        with self._lock:
            if self.closed:
                return
            if self._omitted:
                self._file.write(f"[… {self._omitted:,} lines left out (log capped at {self.cap:,} bytes) …]\n")
            for out in self._tail:
                self._file.write(out + "\n")
            self._file.close()
            self.closed = True

    def text(self) -> str:
        return self.path.read_text(encoding="utf-8", errors="replace") if self.closed else ""

    def tail(self, n: int = 15) -> str:
        if not self.closed:
            return ""
        return "\n".join(self.text().splitlines()[-n:])
