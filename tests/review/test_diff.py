"""Comparing versions is pure: snapshots (and notebook bytes) in, rows out. No database."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat

from listings.review.areas import area_hashes, area_of_anchor
from listings.review.diff import ADDED, CHANGED, REMOVED, UNCHANGED, diff_snapshots
from listings.review.notebooks import diff_cells, parse_cells

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def snapshot(kind="algorithm") -> dict:
    return json.loads((FIXTURES / "listings" / f"{kind}.json").read_text())


def section(diffs, area):
    return next(d for d in diffs if d.area == area)


def item(sec, path):
    return next(i for i in sec.items if i.path == path)


def test_identical_versions_change_nothing():
    old = snapshot()
    diffs = diff_snapshots(old, copy.deepcopy(old))
    assert not any(d.changed for d in diffs)
    assert all(not d.changed_items for d in diffs)


def test_a_field_is_compared_side_by_side():
    old, new = snapshot(), snapshot()
    new["product"]["title"] = "Churn Predictor"
    product = section(diff_snapshots(old, new), "product")
    title = item(product, "product.title")
    assert (title.status, title.new, title.label) == (CHANGED, "Churn Predictor", "Title")
    assert [d.area for d in diff_snapshots(old, new) if d.changed] == ["product"]


def test_long_text_is_compared_line_by_line():
    old, new = snapshot(), snapshot()
    new["product"]["long_description"] = old["product"]["long_description"].replace("\n", "\nAn added line.\n", 1)
    change = item(section(diff_snapshots(old, new), "product"), "product.long_description")
    assert [line.text for line in change.lines if line.tag == "added"] == ["An added line."]


def test_hyperparameters_are_rows_matched_by_name():
    old, new = snapshot(), snapshot()
    assert len(old["hyperparameters"]) >= 2
    first, second = new["hyperparameters"][0], new["hyperparameters"][1]
    first["default"] = "999"
    new["hyperparameters"].remove(second)
    new["hyperparameters"].insert(0, {**second, "name": "brand_new"})
    table = section(diff_snapshots(old, new), "hyperparameters").tables[0]
    by_key = {r.key: r for r in table.rows}
    assert by_key[first["name"]].status == CHANGED and by_key[first["name"]].changed_columns == ["default"]
    assert by_key["brand_new"].status == ADDED and by_key[second["name"]].status == REMOVED
    assert all(r.status == UNCHANGED for k, r in by_key.items() if k not in (first["name"], "brand_new", second["name"]))


def test_instance_types_are_rows_with_their_modes():
    old, new = snapshot("model_package"), snapshot("model_package")
    new["instance_types"]["realtime"].append("ml.c5.xlarge")
    new["instance_types"]["batch"].remove("ml.g5.xlarge")
    new["instance_types"]["recommended"]["realtime"] = "ml.m5.large"
    table = section(diff_snapshots(old, new), "instance_types").tables[0]
    rows = {r.key: r for r in table.rows}
    assert rows["ml.c5.xlarge"].status == ADDED
    assert rows["ml.g5.xlarge"].status == CHANGED and rows["ml.g5.xlarge"].new["batch"] == "—"
    assert rows["ml.m5.large"].new["realtime"] == "recommended"


def test_prices_and_environment_are_keyed_rows():
    old, new = snapshot("model_package"), snapshot("model_package")
    new["pricing"]["prices"]["ml.m5.large.m.i.r"] = "0.55"
    new["endpoint"]["environment"]["NEW_VAR"] = "1"
    diffs = diff_snapshots(old, new)
    prices = item(section(diffs, "pricing"), "pricing.prices")
    assert [(r.key, r.old["value"], r.new["value"]) for r in prices.rows if r.status == CHANGED] == [
        ("ml.m5.large.m.i.r", "0.50", "0.55")]
    env = item(section(diffs, "endpoint"), "endpoint.environment")
    assert [r.key for r in env.rows if r.status == ADDED] == ["NEW_VAR"]


def test_files_are_compared_by_digest():
    old, new = snapshot(), snapshot()
    old["artifacts"] = [{"kind": "logo", "name": "logo.png", "sha256": "a" * 64, "size": 1, "tags": {}},
                        {"kind": "notebook", "name": "nb.ipynb", "sha256": "b" * 64, "size": 1, "tags": {}}]
    new["artifacts"] = [{"kind": "logo", "name": "logo.png", "sha256": "c" * 64, "size": 1, "tags": {}},
                        {"kind": "sample_data", "name": "in.csv", "sha256": "d" * 64, "size": 1,
                         "tags": {"mode": "realtime", "direction": "input", "content_type": "text/csv"}}]
    files = {r.key: r for r in section(diff_snapshots(old, new), "files").files}
    assert files["logo/logo.png"].status == CHANGED and files["logo/logo.png"].changed_columns == ["sha256"]
    assert files["notebook/nb.ipynb"].status == REMOVED
    assert files["sample_data/in.csv"].status == ADDED and files["sample_data/in.csv"].new["tags"] == \
        "realtime · input · text/csv"


def test_area_hashes_ignore_other_sections_and_key_order():
    old = snapshot()
    new = json.loads(json.dumps(old, sort_keys=True))
    assert area_hashes(old) == area_hashes(new)
    new["legal"]["refund_policy"] = "None."
    changed = {a for a in area_hashes(old) if area_hashes(old)[a] != area_hashes(new)[a]}
    assert changed == {"legal"}


def test_anchors_belong_to_their_section():
    assert area_of_anchor("field", "metrics[2].regex") == "training"
    assert area_of_anchor("finding", "listing.W007@field:product.short_description") == "product"
    assert area_of_anchor("finding", "notebook.W003@cell:4") == "files"
    assert area_of_anchor("cell", "nb.ipynb#3") == "files"
    assert area_of_anchor("general", "") == ""


def _notebook(*sources) -> bytes:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) if s.startswith("import") or "(" in s else nbformat.v4.new_markdown_cell(s)
                for s in sources]
    return nbformat.writes(nb).encode()


def test_notebooks_are_compared_cell_by_cell():
    old = parse_cells(_notebook("# Title", "import boto3", "print(1)", "## Clean up"))
    new = parse_cells(_notebook("# Title", "## Subscribe", "import boto3\nimport sagemaker", "print(1)", "## Clean up"))
    changes = diff_cells(old, new)
    statuses = [(c.status, (c.new or c.old).source.splitlines()[0]) for c in changes]
    assert statuses == [(UNCHANGED, "# Title"), (ADDED, "## Subscribe"), (CHANGED, "import boto3"),
                        (UNCHANGED, "print(1)"), (UNCHANGED, "## Clean up")]
    changed = changes[2]
    assert [line.text for line in changed.lines if line.tag == "added"] == ["import sagemaker"]


def test_a_removed_cell_and_changed_outputs_are_noticed():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(1)"), nbformat.v4.new_markdown_cell("gone")]
    old = parse_cells(nbformat.writes(nb).encode())
    nb.cells = [nbformat.v4.new_code_cell("print(1)", outputs=[nbformat.v4.new_output("stream", text="1\n")])]
    new = parse_cells(nbformat.writes(nb).encode())
    changes = diff_cells(old, new)
    assert [(c.status, c.outputs_changed) for c in changes] == [(CHANGED, True), (REMOVED, False)]
