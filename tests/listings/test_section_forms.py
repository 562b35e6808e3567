"""Section forms with rows, checkboxes and prices: instance types, hyperparameters, training, pricing, version.

Round trips post exactly what a browser would send for the page as drawn (``browser_post``: the HTML parsed, no
JavaScript), so "GET → POST → saved JSON equal" covers the templates as well as the forms.
"""

from __future__ import annotations

import copy
import json
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from listings.models import ListingSection
from listings.section_forms.hyperparameters import ImportProblem, join_values, parse_hyperparameters_json
from listings.section_forms.instance_types import InstanceTypesForm
from listings.section_forms.rows import location_path
from listings.snapshot import build_snapshot
from tests.factories import ListingFactory
from validation.rules import limit

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------------------------------------ helpers


class _FormParser(HTMLParser):
    """What a browser without JavaScript submits for ``<form id=form_id>``: <template> content and disabled
    controls are left out, checkboxes only when checked, a select's first option when none is selected."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.in_form = False
        self.template = 0
        self.disabled_fieldsets = 0
        self.fieldsets: list[bool] = []
        self.fields: list[tuple[str, str]] = []
        self._textarea: tuple[str, list[str]] | None = None
        self._select: dict | None = None
        self._option: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == self.form_id:
            self.in_form = True
            return
        if not self.in_form:
            return
        if tag == "template":
            self.template += 1
        if self.template:
            return
        if tag == "fieldset":
            self.fieldsets.append("disabled" in a)
            self.disabled_fieldsets += "disabled" in a
        name, disabled = a.get("name"), "disabled" in a or self.disabled_fieldsets > 0
        if tag == "input" and name and not disabled:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "file", "reset", "image"):
                self.fields.append((name, a.get("value", "")))
        elif tag == "textarea" and name and not disabled:
            self._textarea = (name, [])
        elif tag == "select" and name and not disabled:
            self._select = {"name": name, "options": [], "selected": [], "multiple": "multiple" in a}
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "text": [], "selected": "selected" in a}

    def handle_endtag(self, tag):
        if not self.in_form:
            return
        if tag == "template":
            self.template -= 1
            return
        if self.template:
            return
        if tag == "form":
            self.in_form = False
        elif tag == "fieldset" and self.fieldsets:
            self.disabled_fieldsets -= self.fieldsets.pop()
        elif tag == "textarea" and self._textarea:
            name, parts = self._textarea
            text = "".join(parts)
            self.fields.append((name, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "option" and self._option is not None:
            self._close_option()
        elif tag == "select" and self._select is not None:
            if self._option is not None:
                self._close_option()
            chosen = self._select["selected"] or ([] if self._select["multiple"] else self._select["options"][:1])
            self.fields.extend((self._select["name"], v) for v in chosen)
            self._select = None

    def _close_option(self):
        value = self._option["value"] if self._option["value"] is not None else "".join(self._option["text"]).strip()
        self._select["options"].append(value)
        if self._option["selected"]:
            self._select["selected"].append(value)
        self._option = None

    def handle_data(self, data):
        if self.template or not self.in_form:
            return
        if self._textarea is not None:
            self._textarea[1].append(data)
        elif self._option is not None:
            self._option["text"].append(data)


def browser_post(html: str, form_id: str = "section-form") -> dict[str, list[str]]:
    parser = _FormParser(form_id)
    parser.feed(html)
    data: dict[str, list[str]] = {}
    for name, value in parser.fields:
        data.setdefault(name, []).append(value)
    return data


def _flat(data: dict[str, list[str]]) -> dict:
    """The Django test client takes lists for repeated names."""
    return {k: v if len(v) > 1 else v[0] for k, v in data.items()}


def _section_url(listing, name):
    return reverse("listing-section", args=[listing.id, name])


def _set(listing, name, data):
    ListingSection.objects.filter(listing=listing, name=name).update(data=data)


def _saved(listing, name):
    return ListingSection.objects.get(listing=listing, name=name).data


def _round_trip(client, listing, name):
    """GET the page, post it back untouched, and return (saved before, saved after)."""
    before = copy.deepcopy(_saved(listing, name))
    page = client.get(_section_url(listing, name))
    assert page.status_code == 200
    response = client.post(_section_url(listing, name), _flat(browser_post(page.content.decode())))
    if response.status_code != 302:  # show why
        form = response.context["form"]
        problems = dict(form.errors)
        for formset in getattr(form, "formsets", {}).values():
            problems[formset.prefix] = [f.errors for f in formset.forms] + [formset.non_form_errors()]
        raise AssertionError(f"{response.status_code}: {problems} {getattr(form, 'rowset_errors', '')}")
    return before, _saved(listing, name)


@pytest.fixture
def algorithm(team_a, alice):
    return ListingFactory(team=team_a, created_by=alice, kind="algorithm", title="Gradient Boosted Ranker")


INSTANCE_TYPES = {
    "realtime": ["ml.m5.xlarge", "ml.c5.large", "ml.g5.xlarge"],  # not in botocore's order: the order is kept
    "batch": ["ml.m5.xlarge"],
    "training": ["ml.m5.2xlarge", "ml.g5.2xlarge"],
    "recommended": {"realtime": "ml.g5.xlarge", "batch": "ml.m5.xlarge", "training": "ml.g5.2xlarge"},
    "distributed_training": True,
}

HYPERPARAMETERS = [
    {"name": "max_depth", "description": "Deepest tree.", "type": "Integer", "min": "1", "max": "20",
     "values": [], "default": "6", "tunable": True, "required": False},
    {"name": "eta", "description": "", "type": "Continuous", "min": "0.001", "max": "1", "values": [],
     "default": "0.3", "tunable": True, "required": False},
    {"name": "objective", "description": "Loss to minimise.", "type": "Categorical", "min": "", "max": "",
     "values": ["reg:squarederror", "rank:pairwise, weighted", "binary:logistic"],
     "default": "rank:pairwise, weighted", "tunable": False, "required": False},
    {"name": "label_column", "description": "", "type": "FreeText", "min": "", "max": "", "values": [],
     "default": "", "tunable": False, "required": True},
]

TRAINING = {
    "channels": [
        {"name": "train", "description": "Training rows.", "content_types": ["text/csv", "application/x-parquet"],
         "compression": ["Gzip", "None"], "input_modes": ["File", "FastFile"], "required": True},
        {"name": "validation", "description": "", "content_types": ["text/csv"], "compression": ["None"],
         "input_modes": ["Pipe"], "required": False},
    ],
    "metrics": [
        {"name": "validation:ndcg", "regex": r"validation-ndcg:([0-9.]+)",
         "sample_log_line": "[12]#011train-ndcg:0.812#011validation-ndcg:0.7931"},
        {"name": "train:loss", "regex": r"loss=([0-9.]+)", "sample_log_line": "epoch 3 loss=0.1250"},
    ],
    "tuning_objectives": [{"type": "Maximize", "metric_name": "validation:ndcg"}],
}

PARAMETER = {"name": "threshold", "description": "Score above which a review is positive.",
             "constraints": "0.0 to 1.0", "required": False}
VERSION = {
    "version_title": "1.0.0", "release_notes": "First release.", "usage_instructions": "Send CSV, get JSON.",
    "input_description": "One review per line.", "output_description": "A label per line.",
    "input_limitations": "English only.", "sample_input_realtime": "Great product!",
    "sample_output_realtime": "positive", "sample_input_batch": "Great product!\nAwful.",
    "sample_output_batch": "positive\nnegative",
    "input_parameters": [PARAMETER, {"name": "top_k", "description": "", "constraints": "", "required": True}],
    "custom_attributes": [{"name": "trace", "description": "Echoes a trace id.", "constraints": "", "required": False}],
    "output_parameters": [],
    "repository_url": "https://github.com/example/sentiment", "notebook_url": "https://github.com/example/nb",
}


def _hourly_prices(instance_types):
    keys = []
    for mode, suffix in (("realtime", "m.i.r"), ("batch", "m.i.b"), ("training", "a.t")):
        keys += [f"{t}.{suffix}" for t in instance_types.get(mode, [])]
    return {key: f"{i}.50" for i, key in enumerate(keys)}


# ------------------------------------------------------------------------------------------ round trips


def test_instance_types_round_trip_unchanged_for_an_algorithm(client, algorithm, alice):
    _set(algorithm, "instance_types", {"instance_types": INSTANCE_TYPES})
    client.force_login(alice)
    before, after = _round_trip(client, algorithm, "instance_types")
    assert after == before == {"instance_types": INSTANCE_TYPES}


def test_instance_types_round_trip_keeps_a_model_packages_training_values(client, listing, alice):
    value = {**INSTANCE_TYPES, "training": [], "recommended": {**INSTANCE_TYPES["recommended"], "training": ""},
             "distributed_training": False}
    _set(listing, "instance_types", {"instance_types": value})
    client.force_login(alice)
    page = client.get(_section_url(listing, "instance_types")).content.decode()
    assert 'name="training"' not in page and "distributed" not in page  # model packages do not train
    before, after = _round_trip(client, listing, "instance_types")
    assert after == before


def test_hyperparameters_round_trip_unchanged(client, algorithm, alice):
    _set(algorithm, "hyperparameters", {"hyperparameters": HYPERPARAMETERS})
    client.force_login(alice)
    before, after = _round_trip(client, algorithm, "hyperparameters")
    assert after == before == {"hyperparameters": HYPERPARAMETERS}


def test_training_round_trip_unchanged(client, algorithm, alice):
    _set(algorithm, "training", TRAINING)
    client.force_login(alice)
    before, after = _round_trip(client, algorithm, "training")
    assert after == before == TRAINING


def test_pricing_round_trip_unchanged(client, algorithm, alice):
    _set(algorithm, "instance_types", {"instance_types": INSTANCE_TYPES})
    pricing = {"model": "hourly", "prices": _hourly_prices(INSTANCE_TYPES), "free_trial_days": 14}
    _set(algorithm, "pricing", {"pricing": pricing})
    client.force_login(alice)
    before, after = _round_trip(client, algorithm, "pricing")
    assert after == before == {"pricing": pricing}


def test_version_round_trip_unchanged_with_parameter_rows(client, listing, alice):
    _set(listing, "version", {"version": VERSION})
    client.force_login(alice)
    before, after = _round_trip(client, listing, "version")
    assert after == before == {"version": VERSION}


def test_a_teammates_save_is_shown_row_by_row_and_mine_is_kept(client, algorithm, alice, bob):
    _set(algorithm, "hyperparameters", {"hyperparameters": HYPERPARAMETERS[:1]})
    url = _section_url(algorithm, "hyperparameters")
    client.force_login(alice)
    mine = browser_post(client.get(url).content.decode())
    client.force_login(bob)
    theirs = browser_post(client.get(url).content.decode())
    theirs["hyperparameters-0-name"] = ["bobs_depth"]
    assert client.post(url, _flat(theirs)).status_code == 302
    client.force_login(alice)
    mine["hyperparameters-0-name"] = ["alices_depth"]
    response = client.post(url, _flat(mine))
    assert response.status_code == 409
    body = response.content.decode()
    assert "bobs_depth" in body.split('data-testid="conflict"')[1].split("</div>")[0]  # theirs, in the banner
    assert 'value="alices_depth"' in body  # mine, still in the form
    assert _saved(algorithm, "hyperparameters")["hyperparameters"][0]["name"] == "bobs_depth"


# --------------------------------------------------------------------------------- rows without JavaScript


def _hp_post(rows, *, initial, lock_version):
    """Formset data for hyperparameter rows: each row a dict with optional ORDER / DELETE."""
    data = {"lock_version": lock_version, "hyperparameters-TOTAL_FORMS": len(rows),
            "hyperparameters-INITIAL_FORMS": initial}
    for i, row in enumerate(rows):
        for key, value in row.items():
            name = f"hyperparameters-{i}-{key}"
            if isinstance(value, bool):
                if value:
                    data[name] = "on"
            elif isinstance(value, list):
                data[name] = join_values(value)
            else:
                data[name] = value
    return data


def test_rows_are_added_removed_and_reordered_with_formset_data_alone(client, algorithm, alice):
    _set(algorithm, "hyperparameters", {"hyperparameters": HYPERPARAMETERS[:3]})
    seen = algorithm.sections.get(name="hyperparameters").lock_version
    max_depth, eta, objective = HYPERPARAMETERS[:3]
    new = {"name": "subsample", "type": "Continuous", "min": "0.1", "max": "1", "default": "1", "tunable": True}
    rows = [
        {**max_depth, "ORDER": 3},
        {**eta, "ORDER": 1, "DELETE": True},  # removed
        {**objective, "ORDER": 2},
        {**new, "ORDER": 1},  # added as a fourth form, and moved to the top
        {"type": "Integer"},  # a blank row left empty: ignored
    ]
    client.force_login(alice)
    response = client.post(_section_url(algorithm, "hyperparameters"), _hp_post(rows, initial=3, lock_version=seen))
    assert response.status_code == 302
    saved = _saved(algorithm, "hyperparameters")["hyperparameters"]
    assert [p["name"] for p in saved] == ["subsample", "objective", "max_depth"]
    assert saved[0] == {"name": "subsample", "description": "", "type": "Continuous", "min": "0.1", "max": "1",
                        "values": [], "default": "1", "tunable": True, "required": False}


def test_add_row_without_javascript_returns_the_form_with_a_blank_row_and_saves_nothing(client, algorithm, alice):
    _set(algorithm, "hyperparameters", {"hyperparameters": HYPERPARAMETERS[:1]})
    client.force_login(alice)
    page = client.get(_section_url(algorithm, "hyperparameters")).content.decode()
    data = browser_post(page)
    data["hyperparameters-0-name"] = ["max_depth_changed"]  # typed, not saved
    data["add_row"] = ["hyperparameters"]
    response = client.post(reverse("listing-section-rows", args=[algorithm.id, "hyperparameters"]), _flat(data))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="hyperparameters-1-name"' in body and "autofocus" in body
    assert 'value="max_depth_changed"' in body  # what the seller typed is still there
    assert 'action="%s"' % _section_url(algorithm, "hyperparameters") in body  # saving goes to the section
    assert _saved(algorithm, "hyperparameters")["hyperparameters"] == HYPERPARAMETERS[:1]


def test_add_row_refuses_a_list_the_section_does_not_have(client, algorithm, alice):
    client.force_login(alice)
    url = reverse("listing-section-rows", args=[algorithm.id, "hyperparameters"])
    assert client.post(url, {"add_row": "metrics"}).status_code == 404
    assert client.post(reverse("listing-section-rows", args=[algorithm.id, "product"]),
                       {"add_row": "x"}).status_code == 404


# ------------------------------------------------------------------------------------- errors at the rows


def test_a_finding_lands_on_the_row_that_became_that_item(client, algorithm, alice):
    seen = algorithm.sections.get(name="hyperparameters").lock_version
    good = {**HYPERPARAMETERS[0], "name": "depth"}
    bad = {**HYPERPARAMETERS[0], "name": "depth_bad", "default": "99"}  # outside 1–20
    rows = [{**good, "ORDER": 2}, {**good, "name": "gone", "DELETE": True}, {**bad, "ORDER": 1}]
    client.force_login(alice)
    response = client.post(_section_url(algorithm, "hyperparameters"), _hp_post(rows, initial=0, lock_version=seen))
    assert response.status_code == 400
    forms = response.context["form"].formsets["hyperparameters"].forms
    assert "outside the range" in " ".join(forms[2].errors["default"])  # saved item 0 was posted as row 2
    assert not forms[0].errors and not forms[1].errors
    assert "outside the range" in response.content.decode()
    assert _saved(algorithm, "hyperparameters")["hyperparameters"] == []


def test_a_default_with_required_is_shown_at_the_default(client, algorithm, alice):
    seen = algorithm.sections.get(name="hyperparameters").lock_version
    rows = [{**HYPERPARAMETERS[0], "required": True}]
    client.force_login(alice)
    response = client.post(_section_url(algorithm, "hyperparameters"), _hp_post(rows, initial=0, lock_version=seen))
    assert response.status_code == 400
    row = response.context["form"].formsets["hyperparameters"].forms[0]
    assert "cannot be required" in " ".join(row.errors["default"])


def test_training_errors_land_on_the_metric_and_objective_rows(client, algorithm, alice):
    seen = algorithm.sections.get(name="training").lock_version
    data = {"lock_version": seen,
            "channels-TOTAL_FORMS": 1, "channels-INITIAL_FORMS": 0, "channels-0-name": "train",
            "channels-0-content_types": "text/csv", "channels-0-compression": "None", "channels-0-input_modes": "File",
            "metrics-TOTAL_FORMS": 2, "metrics-INITIAL_FORMS": 0,
            "metrics-0-name": "ok", "metrics-0-regex": "ok=([0-9.]+)", "metrics-0-sample_log_line": "ok=1",
            "metrics-1-name": "broken", "metrics-1-regex": "acc=([0-9.]+", "metrics-1-sample_log_line": "acc=1",
            "tuning_objectives-TOTAL_FORMS": 1, "tuning_objectives-INITIAL_FORMS": 0,
            "tuning_objectives-0-type": "Maximize", "tuning_objectives-0-metric_name": "nope"}
    client.force_login(alice)
    response = client.post(_section_url(algorithm, "training"), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert "does not compile" in " ".join(form.formsets["metrics"].forms[1].errors["regex"])
    assert "not a defined metric" in " ".join(form.formsets["tuning_objectives"].forms[0].errors["metric_name"])
    body = response.content.decode()
    assert "nope (not a metric above)" in body  # the unknown value stays visible in the select


def test_version_parameter_error_lands_on_its_row(client, listing, alice):
    _set(listing, "version", {"version": VERSION})
    client.force_login(alice)
    data = browser_post(client.get(_section_url(listing, "version")).content.decode())
    data["input_parameters-1-name"] = ["x" * (limit("listing.E047")[1] + 1)]
    response = client.post(_section_url(listing, "version"), _flat(data))
    assert response.status_code == 400
    rows = response.context["form"].formsets["input_parameters"].forms
    assert rows[1].errors["name"] and not rows[0].errors


def test_a_price_with_too_many_decimals_is_shown_at_its_dimension(client, algorithm, alice):
    _set(algorithm, "instance_types", {"instance_types": INSTANCE_TYPES})
    prices = _hourly_prices(INSTANCE_TYPES) | {"ml.g5.xlarge.m.i.r": "0.123456789"}
    _set(algorithm, "pricing", {"pricing": {"model": "hourly", "prices": prices, "free_trial_days": None}})
    client.force_login(alice)
    data = browser_post(client.get(_section_url(algorithm, "pricing")).content.decode())
    response = client.post(_section_url(algorithm, "pricing"), _flat(data))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "decimal places" in " ".join(errors["price_ml.g5.xlarge.m.i.r"])
    assert set(errors) == {"price_ml.g5.xlarge.m.i.r"}


def test_a_missing_price_saves_as_a_draft_and_is_flagged_at_its_box(client, algorithm, alice):
    _set(algorithm, "instance_types", {"instance_types": INSTANCE_TYPES})
    client.force_login(alice)
    data = browser_post(client.get(_section_url(algorithm, "pricing")).content.decode())
    data.update({"model": ["hourly"], **{f"price_{k}": [v] for k, v in _hourly_prices(INSTANCE_TYPES).items()}})
    data["price_ml.m5.xlarge.m.i.b"] = [""]
    assert client.post(_section_url(algorithm, "pricing"), _flat(data)).status_code == 302  # drafts may lack it
    assert "ml.m5.xlarge.m.i.b" not in _saved(algorithm, "pricing")["pricing"]["prices"]
    body = client.get(_section_url(algorithm, "pricing")).content.decode()
    assert body.count("Needed before you submit") == 1
    assert "listing.E090" in body and "without a price" in body  # the check names it in the panel


def test_recommended_type_must_be_among_the_checked(client, listing, alice):
    client.force_login(alice)
    seen = listing.sections.get(name="instance_types").lock_version
    response = client.post(_section_url(listing, "instance_types"), {
        "lock_version": seen, "realtime": ["ml.m5.large"], "batch": ["ml.m5.large"],
        "recommended_realtime": "ml.m5.large", "recommended_batch": "ml.c5.xlarge"})
    assert response.status_code == 400
    assert "not among the batch transform types" in " ".join(response.context["form"].errors["recommended_batch"])


def test_instance_type_locations_map_to_their_fields(algorithm):
    form = InstanceTypesForm(initial={}, snapshot=build_snapshot(algorithm))
    assert form.field_for("field:instance_types.realtime[3]") == "realtime"
    assert form.field_for("field:instance_types.recommended.batch") == "recommended_batch"
    assert form.field_for("field:instance_types.recommended.training") == "recommended_training"
    assert location_path("field:hyperparameters[2].default") == ["hyperparameters", 2, "default"]
    assert location_path("field:pricing.prices[ml.m5.large.m.i.r]") == ["pricing", "prices", "ml.m5.large.m.i.r"]


def test_instance_types_page_groups_families_with_badges_from_botocore(client, algorithm, alice):
    _set(algorithm, "instance_types", {"instance_types": INSTANCE_TYPES})
    client.force_login(alice)
    body = client.get(_section_url(algorithm, "instance_types")).content.decode()
    for label in ("CPU", "NVIDIA GPU", "Graviton (arm64)", "Inferentia", "Trainium"):
        assert f">{label}</span>" in body
    assert body.count("<details class=\"family\" data-family open>") >= 3  # families with a chosen type are open
    assert 'value="ml.g5.xlarge" id="id_realtime_ml.g5.xlarge" checked' in body


def test_an_unknown_saved_instance_type_stays_visible_and_checked(client, listing, alice):
    value = {**INSTANCE_TYPES, "realtime": ["ml.m5.xlarge", "ml.bogus.large"], "training": []}
    _set(listing, "instance_types", {"instance_types": value})
    client.force_login(alice)
    body = client.get(_section_url(listing, "instance_types")).content.decode()
    assert "Not offered by SageMaker for this mode" in body
    assert 'value="ml.bogus.large" id="id_realtime_ml.bogus.large" checked' in body


# -------------------------------------------------------------------------------------------- pricing keys


def test_price_boxes_are_the_dimension_keys_of_the_chosen_instance_types(client, algorithm, alice):
    _set(algorithm, "instance_types", {"instance_types": INSTANCE_TYPES})
    _set(algorithm, "pricing", {"pricing": {"model": "hourly", "prices": {"ml.p3.2xlarge.m.i.r": "9.00"},
                                            "free_trial_days": None}})
    client.force_login(alice)
    response = client.get(_section_url(algorithm, "pricing"))
    form = response.context["form"]
    expected = set(_hourly_prices(INSTANCE_TYPES))
    assert set(form.hourly_keys) == expected
    assert form.stale_keys == ["ml.p3.2xlarge.m.i.r"]  # a type no longer supported: shown, not dropped
    body = response.content.decode()
    for key in expected:
        assert f"<code>{key}</code>" in body
    assert "<code>m.i.c</code>" in body


def test_cost_preview_shows_the_price_on_each_recommended_instance(client, algorithm, alice):
    _set(algorithm, "instance_types", {"instance_types": INSTANCE_TYPES})
    prices = _hourly_prices(INSTANCE_TYPES) | {"ml.g5.xlarge.m.i.r": "0.50"}
    _set(algorithm, "pricing", {"pricing": {"model": "hourly", "prices": prices, "free_trial_days": 14}})
    client.force_login(alice)
    form = client.get(_section_url(algorithm, "pricing")).context["form"]
    preview = {row.key: row for row in form.cost_preview()}
    assert set(preview) == {"ml.g5.xlarge.m.i.r", "ml.m5.xlarge.m.i.b", "ml.g5.2xlarge.a.t"}
    assert preview["ml.g5.xlarge.m.i.r"].price == "$0.50"
    assert "$365.00 per month" in preview["ml.g5.xlarge.m.i.r"].extra


def test_choosing_free_clears_the_prices_and_per_inference_keeps_its_own(client, algorithm, alice):
    _set(algorithm, "instance_types", {"instance_types": INSTANCE_TYPES})
    client.force_login(alice)
    data = browser_post(client.get(_section_url(algorithm, "pricing")).content.decode())
    data.update({"model": ["per_inference"], "price_m.i.c": ["0.0002"], "price_ml.g5.xlarge.m.i.r": ["1.00"],
                 "price_ml.m5.xlarge.m.i.b": ["0.25"]})
    assert client.post(_section_url(algorithm, "pricing"), _flat(data)).status_code == 302
    assert _saved(algorithm, "pricing")["pricing"]["prices"] == {"m.i.c": "0.0002", "ml.m5.xlarge.m.i.b": "0.25"}
    data = browser_post(client.get(_section_url(algorithm, "pricing")).content.decode())
    data["model"] = ["free"]
    assert client.post(_section_url(algorithm, "pricing"), _flat(data)).status_code == 302
    assert _saved(algorithm, "pricing")["pricing"]["prices"] == {}


# ------------------------------------------------------------------------------------ hyperparameters.json


def test_export_then_import_round_trips_the_rows(client, algorithm, alice):
    _set(algorithm, "hyperparameters", {"hyperparameters": HYPERPARAMETERS})
    client.force_login(alice)
    export = client.get(reverse("listing-hyperparameters-export", args=[algorithm.id]))
    assert export.status_code == 200
    assert export["Content-Disposition"] == 'attachment; filename="hyperparameters.json"'
    exported = json.loads(export.content)
    assert exported == HYPERPARAMETERS

    _set(algorithm, "hyperparameters", {"hyperparameters": []})
    page = client.get(_section_url(algorithm, "hyperparameters")).content.decode()
    upload = SimpleUploadedFile("hyperparameters.json", export.content, content_type="application/json")
    response = client.post(reverse("listing-hyperparameters-import", args=[algorithm.id]),
                           {**_flat(browser_post(page)), "hyperparameters_file": upload})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Imported 4 hyperparameters" in body and "Nothing is saved yet" in body
    assert _saved(algorithm, "hyperparameters")["hyperparameters"] == []  # only a save replaces them
    assert client.post(_section_url(algorithm, "hyperparameters"), _flat(browser_post(body))).status_code == 302
    assert _saved(algorithm, "hyperparameters")["hyperparameters"] == HYPERPARAMETERS


def test_import_accepts_sagemakers_supported_hyperparameters():
    spec = {"TrainingSpecification": {"SupportedHyperParameters": [
        {"Name": "max_depth", "Description": "Deepest tree.", "Type": "Integer",
         "Range": {"IntegerParameterRangeSpecification": {"MinValue": "1", "MaxValue": "20"}},
         "IsTunable": True, "IsRequired": False, "DefaultValue": "6"},
        {"Name": "eta", "Type": "Continuous",
         "Range": {"ContinuousParameterRangeSpecification": {"MinValue": "0.001", "MaxValue": "1"}},
         "IsTunable": True, "DefaultValue": "0.3"},
        {"Name": "objective", "Description": "Loss to minimise.", "Type": "Categorical",
         "Range": {"CategoricalParameterRangeSpecification": {"Values": ["reg:squarederror", "rank:pairwise, weighted",
                                                                         "binary:logistic"]}},
         "DefaultValue": "rank:pairwise, weighted"},
        {"Name": "label_column", "Type": "FreeText", "IsRequired": True},
    ]}}
    assert parse_hyperparameters_json(json.dumps(spec).encode()) == HYPERPARAMETERS


@pytest.mark.parametrize("content, expected", [
    (b"{not json", "not valid JSON"),
    (b'{"max_depth": "6", "eta": "0.3"}', "hyperparameters.json a training job receives"),
    (b'[{"name": "a", "colour": "red"}]', "does not know: colour"),
    (b'[{"Name": "a", "Type": "Integer", "Range": {"ContinuousParameterRangeSpecification": {}}}]',
     "Type is Integer but Range has ContinuousParameterRangeSpecification"),
    (b'[{"name": "a", "tunable": "yes"}]', "must be true or false"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_import_problems_are_explained(content, expected):
    with pytest.raises(ImportProblem) as caught:
        parse_hyperparameters_json(content)
    assert expected in " ".join(caught.value.messages)


def test_import_refuses_more_rows_than_aws_allows():
    rows = [{"name": f"p{i}"} for i in range(limit("listing.E063") + 1)]
    with pytest.raises(ImportProblem) as caught:
        parse_hyperparameters_json(json.dumps(rows).encode())
    assert f"at most {limit('listing.E063')}" in caught.value.messages[0]


def test_a_bad_file_shows_its_errors_and_changes_nothing(client, algorithm, alice):
    _set(algorithm, "hyperparameters", {"hyperparameters": HYPERPARAMETERS[:1]})
    client.force_login(alice)
    upload = SimpleUploadedFile("hp.json", b'{"max_depth": "6"}', content_type="application/json")
    response = client.post(reverse("listing-hyperparameters-import", args=[algorithm.id]),
                           {"hyperparameters_file": upload})
    assert response.status_code == 400
    body = response.content.decode()
    assert "was not imported; nothing changed" in body and "a training job receives" in body
    assert 'value="max_depth"' in body  # the saved rows are still on the page
    assert _saved(algorithm, "hyperparameters")["hyperparameters"] == HYPERPARAMETERS[:1]


def test_imported_rows_show_their_findings_before_saving(client, algorithm, alice):
    bad = [{**HYPERPARAMETERS[0], "default": "50"}]
    client.force_login(alice)
    upload = SimpleUploadedFile("hp.json", json.dumps(bad).encode(), content_type="application/json")
    response = client.post(reverse("listing-hyperparameters-import", args=[algorithm.id]),
                           {"hyperparameters_file": upload})
    assert response.status_code == 200
    row = response.context["form"].formsets["hyperparameters"].forms[0]
    assert "outside the range" in " ".join(row.errors["default"])


# ----------------------------------------------------------------------------------------- metric regexes


def _try(client, algorithm, regex, line):
    response = client.post(reverse("listing-metric-try", args=[algorithm.id]),
                           {"regex": regex, "sample_log_line": line})
    assert response.status_code == 200
    return response.json()


def test_metric_regex_is_tried_on_the_sample_line(client, algorithm, alice):
    client.force_login(alice)
    result = _try(client, algorithm, r"validation-ndcg:([0-9.]+)", "#011train-ndcg:0.81#011validation-ndcg:0.7931")
    assert result == {"status": "captured", "message": "Captures 0.7931.", "value": "0.7931"}
    assert _try(client, algorithm, r"acc=([0-9.]+", "acc=1")["status"] == "error"
    assert "does not compile" in _try(client, algorithm, r"acc=([0-9.]+", "acc=1")["message"]
    assert _try(client, algorithm, r"loss=([0-9.]+)", "epoch 1 acc=0.5")["status"] == "no_match"
    assert _try(client, algorithm, r"loss=[0-9.]+", "loss=0.5")["status"] == "no_group"
    assert _try(client, algorithm, r"loss=(\w+)", "loss=nan_value")["status"] == "not_number"
    assert _try(client, algorithm, r"loss=([0-9.]+)", "")["status"] == "empty"


def test_a_catastrophic_regex_is_stopped_not_run_to_the_end(client, algorithm, alice):
    client.force_login(alice)
    # Run to the end, this pattern takes about 2**40 steps: an answer at all means the time limit stopped it.
    result = _try(client, algorithm, r"^(a+)+$", "a" * 40 + "b")
    assert result["status"] == "error" and "took too long" in result["message"]


def test_training_page_shows_each_metric_tried(client, algorithm, alice):
    _set(algorithm, "training", TRAINING)
    client.force_login(alice)
    body = client.get(_section_url(algorithm, "training")).content.decode()
    assert "Captures 0.7931." in body and "Captures 0.1250." in body
    assert "Python&#x27;s re module" in body


# --------------------------------------------------------------------------------------- access and roles


def _new_urls(listing):
    return [
        ("get", _section_url(listing, "instance_types"), {}),
        ("get", _section_url(listing, "hyperparameters"), {}),
        ("get", _section_url(listing, "training"), {}),
        ("get", _section_url(listing, "pricing"), {}),
        ("post", reverse("listing-section-rows", args=[listing.id, "hyperparameters"]), {"add_row": "hyperparameters"}),
        ("get", reverse("listing-hyperparameters-export", args=[listing.id]), {}),
        ("post", reverse("listing-hyperparameters-import", args=[listing.id]), {}),
        ("post", reverse("listing-metric-try", args=[listing.id]), {"regex": "(a)", "sample_log_line": "a"}),
    ]


def test_charlie_gets_404_on_every_new_url(client, algorithm, charlie):
    client.force_login(charlie)
    for method, url, data in _new_urls(algorithm):
        assert getattr(client, method)(url, data).status_code == 404, url


def test_model_packages_have_no_hyperparameter_or_training_urls(client, listing, alice):
    client.force_login(alice)
    for method, url, data in _new_urls(listing)[1:3] + _new_urls(listing)[4:]:
        assert getattr(client, method)(url, data).status_code == 404, url


def test_viewer_gets_403_on_every_post(client, algorithm, alice, vera):
    _set(algorithm, "instance_types", {"instance_types": INSTANCE_TYPES})
    _set(algorithm, "hyperparameters", {"hyperparameters": HYPERPARAMETERS})
    _set(algorithm, "training", TRAINING)
    _set(algorithm, "pricing", {"pricing": {"model": "hourly", "prices": _hourly_prices(INSTANCE_TYPES),
                                            "free_trial_days": None}})
    client.force_login(vera)
    for name in ("instance_types", "hyperparameters", "training", "pricing"):
        page = client.get(_section_url(algorithm, name)).content.decode()
        assert "<fieldset disabled" in page
        client.force_login(alice)  # a valid post, as an editor would send it
        data = _flat(browser_post(client.get(_section_url(algorithm, name)).content.decode()))
        client.force_login(vera)
        assert client.post(_section_url(algorithm, name), data).status_code == 403, name
    for method, url, data in _new_urls(algorithm):
        if method == "post":
            assert client.post(url, data).status_code == 403, url


def test_live_check_works_for_each_new_section(client, algorithm, alice):
    client.force_login(alice)
    for name in ("instance_types", "hyperparameters", "training", "pricing", "version"):
        data = _flat(browser_post(client.get(_section_url(algorithm, name)).content.decode()))
        response = client.post(reverse("listing-section-check", args=[algorithm.id, name]), data)
        assert response.status_code == 200, name
