from __future__ import annotations

from listings.section_forms.base import SectionForm
from listings.section_forms.hyperparameters import HyperparametersForm
from listings.section_forms.instance_types import InstanceTypesForm
from listings.section_forms.pricing import PricingForm
from listings.section_forms.product import ProductForm
from listings.section_forms.simple import AwsForm, EndpointForm, LegalForm, VersionForm
from listings.section_forms.training import TrainingForm

FORMS: dict[str, type[SectionForm]] = {
    form.section: form for form in (ProductForm, VersionForm, InstanceTypesForm, EndpointForm, HyperparametersForm,
                                   TrainingForm, PricingForm, LegalForm, AwsForm)
}


def form_for(section: str) -> type[SectionForm] | None:
    return FORMS.get(section)
