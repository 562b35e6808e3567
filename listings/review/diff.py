"""Any two versions compared, section by section (pure: snapshots in, plain data out).

- fields side by side, long text with its changed lines marked;
- lists of things (hyperparameters, channels, metrics, parameters, prices, environment variables, content
  types) as added / removed / changed rows, matched by their name rather than their position;
- instance types as one row per type, saying in which modes it is offered and where it is recommended;
- files by digest: same name and bytes, new bytes, added, removed; notebooks cell by cell (``notebooks.py``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from listings.review.areas import FILES, area_hashes, areas_for

ADDED, REMOVED, CHANGED, UNCHANGED = "added", "removed", "changed", "unchanged"
LONG_TEXT = 160  # longer strings (or any with a line break) are compared line by line

# What identifies a row of a list, in the seller's words: a hyperparameter by its name, and so on.
ROW_KEYS = ("name", "metric_name", "url", "text")
LABELS = {
    "sku": "SKU", "video_url": "Video URL", "eula": "EULA", "eula_url": "EULA URL", "max_payload_mb": "Max payload (MB)",
    "repository_url": "Repository URL", "notebook_url": "Notebook URL", "account_id": "Account ID",
    "validation_role_arn": "Validation role ARN", "access_role_arn": "Access role ARN", "image_uri": "Image URI",
    "model_data_uri": "Model data URI", "sagemaker_arn": "SageMaker ARN", "s3_input_location": "S3 input location",
    "s3_output_location": "S3 output location", "free_trial_days": "Free trial (days)", "prices": "Prices",
    "environment": "Environment variables", "input_content_types": "Input content types",
    "response_mime_types": "Response MIME types", "tuning_objectives": "Tuning objectives",
    "metrics": "Metric definitions", "channels": "Training channels", "hyperparameters": "Hyperparameters",
    "model": "Pricing model",
}
MODES = ("realtime", "batch", "training")


def label_for(key: str) -> str:
    return LABELS.get(key, key.replace("_", " ").capitalize())


def display(value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list) and any(isinstance(v, str) and len(v) > 40 for v in value):
        return "\n".join(display(v) for v in value)  # sentences (highlights): one per line
    if isinstance(value, list):
        return ", ".join(display(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {display(v)}" for k, v in value.items())
    return str(value)


@dataclass
class Line:
    tag: str  # "equal" | "removed" | "added"
    text: str


@dataclass
class FieldChange:
    path: str  # "product.title" — also the comment anchor of the field
    label: str
    old: str
    new: str
    status: str
    lines: list[Line] = field(default_factory=list)  # long text: a unified line diff

    is_table = False

    @property
    def changed(self) -> bool:
        return self.status != UNCHANGED


@dataclass
class RowChange:
    key: str
    status: str
    old: dict[str, str] = field(default_factory=dict)  # column → shown value
    new: dict[str, str] = field(default_factory=dict)
    changed_columns: list[str] = field(default_factory=list)


@dataclass
class TableDiff:
    path: str  # "hyperparameters", "endpoint.environment"
    title: str
    key_label: str
    columns: list[str]
    rows: list[RowChange]
    is_table = True

    @property
    def changed(self) -> bool:
        return any(r.status != UNCHANGED for r in self.rows)

    @property
    def status(self) -> str:
        return CHANGED if self.changed else UNCHANGED

    @property
    def is_list(self) -> bool:
        """A list of names (content types, categories): shown as items, not as a table."""
        return not self.columns

    @property
    def label(self) -> str:
        return self.title

    @property
    def current_rows(self) -> list[RowChange]:
        return [r for r in self.rows if r.status != REMOVED]

    @property
    def counts(self) -> dict[str, int]:
        counts = {ADDED: 0, REMOVED: 0, CHANGED: 0, UNCHANGED: 0}
        for r in self.rows:
            counts[r.status] += 1
        return counts


@dataclass
class SectionDiff:
    area: str
    title: str
    changed: bool
    fields: list[FieldChange] = field(default_factory=list)
    tables: list[TableDiff] = field(default_factory=list)
    files: list[RowChange] = field(default_factory=list)
    notebooks: list = field(default_factory=list)  # notebooks.NotebookDiff, filled by the caller
    items: list = field(default_factory=list)  # fields and tables in the snapshot's order

    @property
    def changed_items(self) -> list:
        return [i for i in self.items if i.changed]

    @property
    def unchanged_items(self) -> list:
        return [i for i in self.items if not i.changed]

    @property
    def changed_fields(self) -> list[FieldChange]:
        return [f for f in self.fields if f.changed]

    @property
    def unchanged_fields(self) -> list[FieldChange]:
        return [f for f in self.fields if not f.changed]

    @property
    def changed_tables(self) -> list[TableDiff]:
        return [t for t in self.tables if t.changed]


def _is_long(value: Any) -> bool:
    return isinstance(value, str) and ("\n" in value or len(value) > LONG_TEXT)


def _line_diff(old: str, new: str) -> list[Line]:
    a, b = (old or "").splitlines(), (new or "").splitlines()
    lines: list[Line] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            lines.extend(Line("equal", t) for t in a[i1:i2])
        else:
            lines.extend(Line("removed", t) for t in a[i1:i2])
            lines.extend(Line("added", t) for t in b[j1:j2])
    return lines


def field_change(path: str, key: str, old: Any, new: Any) -> FieldChange:
    status = UNCHANGED if old == new else (ADDED if old in (None, "", [], {}) else
                                           REMOVED if new in (None, "", [], {}) else CHANGED)
    change = FieldChange(path=path, label=label_for(key), old=display(old), new=display(new), status=status)
    if status != UNCHANGED and (_is_long(old) or _is_long(new)):
        change.lines = _line_diff(old if isinstance(old, str) else display(old),
                                  new if isinstance(new, str) else display(new))
    return change


def _row_key(item: Any, index: int) -> str:
    if isinstance(item, dict):
        for key in ROW_KEYS:
            if isinstance(item.get(key), str) and item[key]:
                return item[key]
        return f"#{index + 1}"
    return display(item)


def _keyed(items: list) -> dict[str, Any]:
    keyed: dict[str, Any] = {}
    for index, item in enumerate(items if isinstance(items, list) else []):
        key = _row_key(item, index)
        while key in keyed:  # two rows with one name: keep both, told apart
            key += "′"
        keyed[key] = item
    return keyed


def _columns(values: list[dict], key_name: str | None) -> list[str]:
    columns: list[str] = []
    for value in values:
        for column in value:
            if column != key_name and column not in columns:
                columns.append(column)
    return columns


def _rows(old: dict[str, Any], new: dict[str, Any], columns: list[str]) -> list[RowChange]:
    def shown(item) -> dict[str, str]:
        if isinstance(item, dict):
            return {c: display(item.get(c)) for c in columns}
        return {"value": display(item)} if columns == ["value"] else {}

    rows = []
    for key in list(new) + [k for k in old if k not in new]:
        if key not in old:
            rows.append(RowChange(key, ADDED, new=shown(new[key])))
        elif key not in new:
            rows.append(RowChange(key, REMOVED, old=shown(old[key])))
        else:
            before, after = shown(old[key]), shown(new[key])
            changed = [c for c in columns if before.get(c) != after.get(c)]
            status = CHANGED if changed or old[key] != new[key] else UNCHANGED
            rows.append(RowChange(key, status, old=before, new=after, changed_columns=changed))
    order = {CHANGED: 0, ADDED: 1, REMOVED: 2, UNCHANGED: 3}
    return sorted(rows, key=lambda r: order[r.status])


def list_table(path: str, key: str, old: Any, new: Any) -> TableDiff:
    old_items, new_items = (old if isinstance(old, list) else []), (new if isinstance(new, list) else [])
    dicts = [i for i in old_items + new_items if isinstance(i, dict)]
    if dicts:
        key_name = next((k for k in ROW_KEYS if any(k in d for d in dicts)), None)
        columns = _columns(dicts, key_name)
        key_label = label_for(key_name) if key_name else "Row"
    else:
        columns, key_label = [], "Value"
    return TableDiff(path=path, title=label_for(key), key_label=key_label, columns=columns,
                     rows=_rows(_keyed(old_items), _keyed(new_items), columns))


def map_table(path: str, key: str, old: Any, new: Any) -> TableDiff:
    old_map, new_map = (old if isinstance(old, dict) else {}), (new if isinstance(new, dict) else {})
    key_label = {"prices": "Dimension", "environment": "Variable"}.get(key, "Key")
    return TableDiff(path=path, title=label_for(key), key_label=key_label, columns=["value"],
                     rows=_rows(dict(old_map), dict(new_map), ["value"]))


def instance_type_table(old: Any, new: Any) -> TableDiff:
    """One row per instance type: the modes it is offered in, and where it is the recommended type."""

    def by_type(value: Any) -> dict[str, dict[str, str]]:
        value = value if isinstance(value, dict) else {}
        recommended = value.get("recommended") if isinstance(value.get("recommended"), dict) else {}
        types: dict[str, dict[str, str]] = {}
        for mode in MODES:
            for name in value.get(mode) or []:
                if isinstance(name, str):
                    types.setdefault(name, {})[mode] = "offered"
        for mode, name in recommended.items():
            if isinstance(name, str) and name:
                types.setdefault(name, {})[mode] = "recommended"
        return {name: {m: modes.get(m, "—") for m in MODES} for name, modes in types.items()}

    return TableDiff(path="instance_types", title="Instance types", key_label="Instance type", columns=list(MODES),
                     rows=_rows(by_type(old), by_type(new), list(MODES)))


def _ordered(path: str, keys: list[str]) -> list[str]:
    """Fields in the order the snapshot defines them (SNAPSHOT.md), not the database's: PostgreSQL's jsonb
    keeps its own key order."""
    from validation.snapshot_schema import EMPTY_SNAPSHOT_SECTIONS

    shape: Any = {k: v for values in EMPTY_SNAPSHOT_SECTIONS.values() for k, v in values.items()}
    for step in path.split("."):
        shape = shape.get(step) if isinstance(shape, dict) else None
    order = list(shape) if isinstance(shape, dict) else []
    return sorted(keys, key=lambda k: (order.index(k) if k in order else len(order), k))


def _is_scalar_list(value: Any) -> bool:
    return isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value)


def _add(section: SectionDiff, item) -> None:
    (section.tables if item.is_table else section.fields).append(item)
    section.items.append(item)


def _diff_value(path: str, key: str, old: Any, new: Any, section: SectionDiff) -> None:
    sample = new if new not in (None, "", [], {}) else old
    if isinstance(sample, list) and not _is_scalar_list(sample):
        _add(section, list_table(path, key, old, new))
    elif isinstance(sample, list) and key not in ("highlights",) and key.endswith(("types", "categories", "keywords")):
        _add(section, list_table(path, key, old, new))  # sets of names: added/removed rows
    elif isinstance(sample, dict) and key in ("prices", "environment"):
        _add(section, map_table(path, key, old, new))
    elif isinstance(sample, dict):
        old_d, new_d = (old if isinstance(old, dict) else {}), (new if isinstance(new, dict) else {})
        for sub in _ordered(path, list(new_d) + [k for k in old_d if k not in new_d]):
            _diff_value(f"{path}.{sub}", sub, old_d.get(sub), new_d.get(sub), section)
    elif _is_scalar_list(sample):  # highlights: one per line, compared line by line
        def lines(v):
            return "\n".join(display(x) for x in v) if isinstance(v, list) else display(v)
        change = field_change(path, key, old, new)
        if change.changed:
            change.lines = _line_diff(lines(old), lines(new))
        _add(section, change)
    else:
        _add(section, field_change(path, key, old, new))


def files_rows(old: list, new: list) -> list[RowChange]:
    """Files matched by kind and name, compared by digest (the bytes) and by what the listing says of them."""

    def keyed(items) -> dict[str, dict]:
        return {f"{a.get('kind', '')}/{a.get('name', '')}": a for a in items or [] if isinstance(a, dict)}

    def shown(a: dict) -> dict[str, str]:
        tags = a.get("tags") or {}
        order = ("mode", "direction", "content_type")
        shown_tags = " · ".join(str(tags[k]) for k in sorted(tags, key=lambda k: (order.index(k) if k in order
                                                                                   else len(order), k)))
        return {"kind": a.get("kind", ""), "sha256": a.get("sha256", ""), "size": a.get("size") or 0,
                "tags": shown_tags if isinstance(tags, dict) else ""}

    old_k, new_k = keyed(old), keyed(new)
    columns = ["sha256", "tags"]
    rows = []
    for key in list(new_k) + [k for k in old_k if k not in new_k]:
        if key not in old_k:
            rows.append(RowChange(key, ADDED, new=shown(new_k[key])))
        elif key not in new_k:
            rows.append(RowChange(key, REMOVED, old=shown(old_k[key])))
        else:
            before, after = shown(old_k[key]), shown(new_k[key])
            changed = [c for c in columns if before[c] != after[c]]
            rows.append(RowChange(key, CHANGED if changed else UNCHANGED, old=before, new=after, changed_columns=changed))
    order = {CHANGED: 0, ADDED: 1, REMOVED: 2, UNCHANGED: 3}
    return sorted(rows, key=lambda r: (order[r.status], r.key))


def diff_snapshots(old: dict | None, new: dict) -> list[SectionDiff]:
    """Every area of ``new``'s kind, compared with ``old`` (None: everything is new)."""
    kind = new.get("kind", "model_package")
    old = old or {}
    old_hashes = area_hashes(old, kind) if old else {}
    new_hashes = area_hashes(new, kind)
    diffs = []
    for area in areas_for(kind):
        section = SectionDiff(area=area.name, title=area.title,
                              changed=old_hashes.get(area.name) != new_hashes[area.name])
        if area.name == FILES:
            section.files = files_rows(old.get("artifacts") or [], new.get("artifacts") or [])
        else:
            for key in area.keys:
                if key == "instance_types":
                    _add(section, instance_type_table(old.get(key), new.get(key)))
                    _add(section, field_change(
                        "instance_types.distributed_training", "distributed_training",
                        (old.get(key) or {}).get("distributed_training"), (new.get(key) or {}).get("distributed_training")))
                else:
                    _diff_value(key, key, old.get(key), new.get(key), section)
        diffs.append(section)
    return diffs
