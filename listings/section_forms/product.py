from __future__ import annotations

from django import forms

from listings.section_forms.base import LinesField, SectionForm, TextField
from validation.rules import limit


class ProductForm(SectionForm):
    section = key = "product"

    title = TextField(max_length=limit("listing.E002"), help_text="The product name buyers see.")
    short_description = TextField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                  help_text="Two or three sentences: what it does and for whom.")
    long_description = TextField(widget=forms.Textarea(attrs={"rows": 8}), required=False,
                                 help_text="What it does per content type, use cases, training data, limits, and a "
                                           "performance metric on named validation data.")
    highlights = LinesField(help_text="One to three highlights, one per line. Give latency or throughput on the "
                                      "recommended instance in one of them.")
    categories = LinesField(help_text="One to three categories, one per line.")
    search_keywords = LinesField(help_text="Up to 15 keywords, one per line.")
    sku = TextField(required=False, label="SKU", help_text="Optional: your own product code.")
    support_description = TextField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                    help_text="How buyers reach you and what support includes.")
    additional_resources = LinesField(help_text="Up to three resources, one per line as “Text | https://…”.")
    video_url = TextField(required=False, label="Video URL", help_text="Optional: one https link.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["additional_resources"].prepare_value = self._resources_text

    @staticmethod
    def _resources_text(value):
        if isinstance(value, list):
            return "\n".join(f"{r.get('text', '')} | {r.get('url', '')}" if isinstance(r, dict) else str(r) for r in value)
        return value

    def clean_additional_resources(self):
        resources = []
        for line in self.cleaned_data["additional_resources"]:
            text, _, url = line.rpartition("|") if "|" in line else ("", "", line)
            resources.append({"text": text.strip(), "url": url.strip()})
        return resources
