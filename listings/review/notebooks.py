"""Two sample notebooks compared cell by cell. Notebooks are read from artifact storage by sha256 and parsed
with nbformat; a notebook that cannot be read is reported, never a crash of the page."""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
from dataclasses import dataclass, field

from listings.review.diff import ADDED, CHANGED, REMOVED, UNCHANGED, Line, _line_diff

log = logging.getLogger(__name__)

# A review page reads both notebooks whole; a notebook larger than this is compared by digest only.
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024


@dataclass
class Cell:
    index: int  # position in its notebook, from 0; anchors say "cell <index + 1>" to people
    cell_type: str
    source: str
    outputs_digest: str


@dataclass
class CellChange:
    status: str
    old: Cell | None
    new: Cell | None
    lines: list[Line] = field(default_factory=list)
    outputs_changed: bool = False

    @property
    def cell_type(self) -> str:
        return (self.new or self.old).cell_type


@dataclass
class NotebookDiff:
    name: str
    old_name: str
    old_sha256: str
    new_sha256: str
    cells: list[CellChange] = field(default_factory=list)
    error: str = ""
    has_threads: bool = False  # set by the review page when a cell has comments

    @property
    def counts(self) -> dict[str, int]:
        counts = {ADDED: 0, REMOVED: 0, CHANGED: 0, UNCHANGED: 0}
        for c in self.cells:
            counts[c.status] += 1
        return counts

    @property
    def changed(self) -> bool:
        return self.old_sha256 != self.new_sha256


def parse_cells(raw: bytes) -> list[Cell]:
    import nbformat

    notebook = nbformat.reads(raw.decode("utf-8"), as_version=4)
    cells = []
    for index, cell in enumerate(notebook.cells):
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        outputs = cell.get("outputs", []) if cell.get("cell_type") == "code" else []
        digest = hashlib.sha256(json.dumps(outputs, sort_keys=True, default=str).encode()).hexdigest()
        cells.append(Cell(index=index, cell_type=str(cell.get("cell_type", "")), source=str(source),
                          outputs_digest=digest))
    return cells


def _read(sha256: str, size: int | None) -> list[Cell]:
    from listings.storage import open_blob

    if size is not None and size > MAX_NOTEBOOK_BYTES:
        raise ValueError(f"larger than {MAX_NOTEBOOK_BYTES // (1024 * 1024)} MB: compared by digest only")
    with open_blob(sha256) as stream:
        raw = stream.read(MAX_NOTEBOOK_BYTES + 1)
    if len(raw) > MAX_NOTEBOOK_BYTES:
        raise ValueError(f"larger than {MAX_NOTEBOOK_BYTES // (1024 * 1024)} MB: compared by digest only")
    return parse_cells(raw)


def diff_cells(old: list[Cell], new: list[Cell]) -> list[CellChange]:
    """Cells matched as a sequence (so an inserted cell does not mark every later one changed); cells that
    replace each other one for one are shown as a change of that cell, with its lines."""
    a = [(c.cell_type, c.source) for c in old]
    b = [(c.cell_type, c.source) for c in new]
    changes: list[CellChange] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            for o, n in zip(old[i1:i2], new[j1:j2]):
                outputs = o.outputs_digest != n.outputs_digest
                changes.append(CellChange(CHANGED if outputs else UNCHANGED, o, n, outputs_changed=outputs))
            continue
        changes.extend(_align(old[i1:i2], new[j1:j2]))
    return changes


def _similar(a: Cell, b: Cell) -> float:
    if a.cell_type != b.cell_type:
        return 0.0
    return difflib.SequenceMatcher(a=a.source, b=b.source, autojunk=False).quick_ratio()


def _align(old: list[Cell], new: list[Cell]) -> list[CellChange]:
    """Within a run of differing cells, pair each new cell with the most similar old one still ahead (an edit),
    else call it added; old cells passed over were removed."""
    changes: list[CellChange] = []
    i = 0
    for n in new:
        scores = [(_similar(o, n), k) for k, o in enumerate(old[i:], start=i)]
        best = max(scores, default=(0.0, -1))
        if best[0] >= 0.5:
            k = best[1]
            changes.extend(_removed(o) for o in old[i:k])
            o = old[k]
            changes.append(CellChange(CHANGED, o, n, lines=_line_diff(o.source, n.source),
                                      outputs_changed=o.outputs_digest != n.outputs_digest))
            i = k + 1
        else:
            changes.append(CellChange(ADDED, None, n, lines=[Line("added", t) for t in n.source.splitlines()]))
    changes.extend(_removed(o) for o in old[i:])
    return changes


def _removed(o: Cell) -> CellChange:
    return CellChange(REMOVED, o, None, lines=[Line("removed", t) for t in o.source.splitlines()])


def notebook_diffs(old_artifacts: list[dict], new_artifacts: list[dict]) -> list[NotebookDiff]:
    """Each notebook of the new version against the old one of the same name (or the only old notebook)."""
    old_nbs = [a for a in old_artifacts or [] if a.get("kind") == "notebook"]
    new_nbs = [a for a in new_artifacts or [] if a.get("kind") == "notebook"]
    diffs = []
    for new in new_nbs:
        old = next((a for a in old_nbs if a.get("name") == new.get("name")), None)
        if old is None and len(old_nbs) == 1 and len(new_nbs) == 1:
            old = old_nbs[0]
        diff = NotebookDiff(name=new.get("name", ""), old_name=(old or {}).get("name", ""),
                            old_sha256=(old or {}).get("sha256", ""), new_sha256=new.get("sha256", ""))
        try:
            new_cells = _read(new["sha256"], new.get("size"))
            old_cells = _read(old["sha256"], old.get("size")) if old else []
            diff.cells = diff_cells(old_cells, new_cells)
        except Exception as exc:  # a notebook the checks flag as malformed must not break the review page
            log.info("notebook %s not compared: %s", new.get("name"), exc)
            diff.error = f"Could not be compared cell by cell ({type(exc).__name__}: {str(exc)[:200]})."
        diffs.append(diff)
    for old in old_nbs:
        if not any(d.old_name == old.get("name") for d in diffs):
            diffs.append(NotebookDiff(name="", old_name=old.get("name", ""), old_sha256=old.get("sha256", ""),
                                      new_sha256="", error="Removed in this version."))
    return diffs
