from __future__ import annotations

from listings.section_forms.base import SectionForm
from listings.section_forms.product import ProductForm
from listings.section_forms.simple import AwsForm, EndpointForm, LegalForm, VersionForm

FORMS: dict[str, type[SectionForm]] = {
    form.section: form for form in (ProductForm, VersionForm, EndpointForm, LegalForm, AwsForm)
}


def form_for(section: str) -> type[SectionForm] | None:
    return FORMS.get(section)
