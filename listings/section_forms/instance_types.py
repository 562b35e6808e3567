"""Instance types: checkboxes per mode, grouped by family, and one recommended type per mode among the checked.

The types come from botocore's SageMaker model at run time (``validation.aws_models``), never a copied list; the
modes a kind needs come from the catalog (``listing.E051``). A saved type that SageMaker no longer offers for a
mode stays checked in a group of its own, so the seller sees it (and ``listing.E050`` says why) instead of
losing it silently on the next save.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from django import forms

from listings.section_forms.base import SectionForm
from listings.section_forms.rows import keep_order
from validation.aws_models import describe_instance_type, grouped_instance_types, instance_types
from validation.rules import limit, rule

MODE_LABELS = {"training": "Training", "realtime": "Real-time inference", "batch": "Batch transform"}
MODE_HELP = {
    "training": "Instances buyers can train your algorithm on.",
    "realtime": "Instances buyers can deploy a real-time endpoint on.",
    "batch": "Instances buyers can run batch transform jobs on.",
}
UNKNOWN_GROUP = "Not offered by SageMaker for this mode"


def modes_for(kind: str) -> tuple[str, ...]:
    """The modes a listing of ``kind`` supports (the catalog's ``listing.E051``)."""
    per_kind = limit("listing.E051")
    return tuple(per_kind.get(kind) or per_kind["model_package"])


@dataclass
class TypeBox:
    value: str
    size: str
    checked: bool


@dataclass
class Family:
    name: str
    label: str  # e.g. "NVIDIA GPU", "Graviton (arm64)"
    accelerator: str
    boxes: list[TypeBox]

    @property
    def chosen(self) -> int:
        return sum(box.checked for box in self.boxes)

    group_label: str = ""

    @property
    def own_badge(self) -> bool:
        """The group's heading carries the label; a family shows its own only when it differs (g5g, p6e-gb200:
        NVIDIA GPUs on an arm64 CPU)."""
        return self.label != self.group_label

    @property
    def badge_text(self) -> str:
        """Under "NVIDIA GPU", the family's "NVIDIA GPU (arm64)" reads as just "arm64"."""
        rest = self.label.removeprefix(self.group_label).strip()
        return rest.strip("()") if rest and rest != self.label else self.label


@dataclass
class AcceleratorGroup:
    label: str
    accelerator: str
    families: list[Family] = field(default_factory=list)


@dataclass
class ModePanel:
    mode: str
    label: str
    help: str
    field: forms.BoundField
    recommended: forms.BoundField
    chosen: list[str]
    recommended_value: str
    recommended_options: list[tuple[str, str]]
    groups: list[AcceleratorGroup]


class InstanceTypesForm(SectionForm):
    section = key = "instance_types"
    section_template = "listings/sections/_instance_types.html"

    distributed_training = forms.BooleanField(
        required=False, label="Supports distributed training",
        help_text="Check when your training code runs on several instances at once. Unchecked, buyers can "
                  "train on one instance only.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = self.snapshot.get("kind", "model_package")
        self.modes = modes_for(self.kind)
        saved = self.snapshot.get("instance_types") if isinstance(self.snapshot.get("instance_types"), dict) else {}
        distributed = self.fields.pop("distributed_training")
        for mode in self.modes:
            offered = instance_types(mode)
            current = self._initial_list(mode, saved)
            unknown = [t for t in current if t not in offered]
            self.fields[mode] = forms.MultipleChoiceField(
                required=False, label=MODE_LABELS[mode], widget=forms.CheckboxSelectMultiple,
                choices=[(t, t) for t in [*offered, *unknown]])
            self.fields[f"recommended_{mode}"] = forms.ChoiceField(
                required=False, label=f"Recommended for {MODE_LABELS[mode].lower()}",
                choices=[("", "Choose one of the checked types")] + [(t, t) for t in dict.fromkeys(
                    [*offered, *unknown, *self._initial_recommended(mode, saved)]) if t])
        if self.kind == "algorithm":
            self.fields["distributed_training"] = distributed

    # ------------------------------------------------------------------------------------------ conversion
    @classmethod
    def initial_from(cls, value) -> dict:
        value = value if isinstance(value, dict) else {}
        recommended = value.get("recommended") if isinstance(value.get("recommended"), dict) else {}
        initial: dict[str, Any] = {mode: list(value.get(mode) or []) for mode in MODE_LABELS}
        initial.update({f"recommended_{mode}": recommended.get(mode, "") for mode in MODE_LABELS})
        initial["distributed_training"] = bool(value.get("distributed_training"))
        return initial

    def _initial_list(self, mode: str, saved: dict) -> list[str]:
        value = self.initial.get(mode, saved.get(mode))
        return [t for t in value if isinstance(t, str)] if isinstance(value, list) else []

    def _initial_recommended(self, mode: str, saved: dict) -> list[str]:
        value = self.initial.get(f"recommended_{mode}")
        if value is None and isinstance(saved.get("recommended"), dict):
            value = saved["recommended"].get(mode)
        return [value] if isinstance(value, str) and value else []

    def clean(self):
        cleaned = super().clean()
        saved = self.snapshot.get("instance_types") if isinstance(self.snapshot.get("instance_types"), dict) else {}
        for mode in self.modes:
            if mode not in cleaned:
                continue
            chosen = keep_order(cleaned[mode], saved.get(mode))
            cleaned[mode] = chosen
            name = f"recommended_{mode}"
            recommended = cleaned.get(name, "")
            if recommended and recommended not in chosen:
                # The <select> offers only checked types; a stale page (or no JavaScript) can still send another.
                self.add_error(name, f"{recommended} is not among the {MODE_LABELS[mode].lower()} types checked "
                                     f"above. {rule('listing.E053').hint_text()}")
        return cleaned

    def to_data(self) -> dict:
        current = self.snapshot.get("instance_types")
        value = copy.deepcopy(current) if isinstance(current, dict) else {}
        recommended = dict(value.get("recommended")) if isinstance(value.get("recommended"), dict) else {}
        for mode in self.modes:
            value[mode] = self.cleaned_data[mode]
            recommended[mode] = self.cleaned_data[f"recommended_{mode}"]
        value["recommended"] = recommended
        if "distributed_training" in self.fields:
            value["distributed_training"] = self.cleaned_data["distributed_training"]
        return {self.key: value}

    def field_for(self, location: str) -> str | None:
        match = re.match(r"^field:instance_types\.recommended\.(\w+)", location or "")
        if match:
            name = f"recommended_{match[1]}"
            return name if name in self.fields else None
        return super().field_for(location)

    # ------------------------------------------------------------------------------------------- templates
    def panels(self) -> list[ModePanel]:
        panels = []
        for mode in self.modes:
            bound = self[mode]
            chosen = [v for v in (bound.value() or []) if isinstance(v, str)]
            recommended = self[f"recommended_{mode}"].value() or ""
            options = [(t, t) for t in chosen]
            if recommended and recommended not in chosen:
                options.append((recommended, f"{recommended} (not checked above)"))
            panels.append(ModePanel(
                mode=mode, label=MODE_LABELS[mode], help=MODE_HELP[mode], field=bound,
                recommended=self[f"recommended_{mode}"], chosen=chosen, recommended_value=recommended,
                recommended_options=options, groups=_groups(mode, set(chosen), chosen),
            ))
        return panels

    def conflict_summary(self) -> list[tuple[str, str]]:
        out = []
        for panel in self.panels():
            out.append((panel.label, ", ".join(panel.chosen) or "(none)"))
            out.append((f"Recommended for {panel.label.lower()}", panel.recommended_value or "(none)"))
        if "distributed_training" in self.fields:
            out.append(("Supports distributed training", "yes" if self["distributed_training"].value() else "no"))
        return out


def _groups(mode: str, checked: set[str], chosen: list[str]) -> list[AcceleratorGroup]:
    groups: dict[str, AcceleratorGroup] = {}
    for family_name, infos in grouped_instance_types(mode):
        first = infos[0]
        heading = first.label if first.accelerator == "graviton" else first.label.removesuffix(" (arm64)")
        group = groups.setdefault(first.accelerator, AcceleratorGroup(heading, first.accelerator))
        group.families.append(Family(
            name=family_name, label=first.label, accelerator=first.accelerator,
            boxes=[TypeBox(info.name, info.size, info.name in checked) for info in infos], group_label=group.label,
        ))
    offered = set(instance_types(mode))
    unknown = [t for t in chosen if t not in offered]
    if unknown:
        boxes = []
        for name in unknown:
            try:
                size = describe_instance_type(name).size
            except ValueError:
                size = name
            boxes.append(TypeBox(name, size, True))
        groups["unknown"] = AcceleratorGroup(UNKNOWN_GROUP, "unknown",
                                             [Family("other", UNKNOWN_GROUP, "unknown", boxes, UNKNOWN_GROUP)])
    return list(groups.values())
