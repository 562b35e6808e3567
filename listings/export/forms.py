"""The export options a seller picks on the listing page (templates/listings/_export_form.html)."""

from __future__ import annotations

from django import forms

from listings.export import config
from listings.export.options import ExportOptions, parse_s3_uri

MB = 1024 * 1024


class ExportOptionsForm(forms.Form):
    reference_large_files = forms.BooleanField(
        required=False, label="Reference large files by S3 URI instead of embedding them",
        help_text="The manifest lists them with their sha256; you keep them in S3 yourself.")
    reference_min_mb = forms.IntegerField(
        required=False, min_value=1, max_value=1024 * 1024, label="Reference files from (MB)",
        help_text="Files at least this large are referenced; smaller ones are embedded.")
    reference_prefix = forms.CharField(
        required=False, max_length=1000, label="S3 prefix where you keep the large files",
        widget=forms.TextInput(attrs={"placeholder": "s3://my-bucket/marketplace/"}),
        help_text="Each file is expected at the prefix plus its path in the bundle; model data at the listing's "
                  "model data URI.")
    upload_to = forms.CharField(
        required=False, max_length=1000, label="Also upload the bundle to (S3 prefix)",
        widget=forms.TextInput(attrs={"placeholder": "s3://my-bucket/bundles/"}),
        help_text="A bucket in your account. Grant this service's AWS role s3:PutObject there; no access keys are "
                  "asked for or stored.")
    dry_run = forms.BooleanField(
        required=False, label="Dry run the SageMaker and Catalog API calls",
        help_text="Sends both requests to the configured sandbox endpoint (Catalog with Intent VALIDATE).")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reference_min_mb"].initial = max(1, config.reference_min_bytes() // MB)
        if not config.dry_run_available():
            self.fields["dry_run"].disabled = True
            self.fields["dry_run"].help_text = "Not available: no sandbox endpoint (AWS_ENDPOINT_URL) is configured."

    def _s3(self, name: str) -> str:
        value = (self.cleaned_data.get(name) or "").strip()
        if value:
            try:
                parse_s3_uri(value)
            except ValueError as exc:
                raise forms.ValidationError(str(exc)) from None
        return value

    def clean_reference_prefix(self) -> str:
        return self._s3("reference_prefix")

    def clean_upload_to(self) -> str:
        return self._s3("upload_to")

    def clean(self):
        data = super().clean()
        if data.get("reference_large_files") and not data.get("reference_prefix") and "reference_prefix" not in self.errors:
            self.add_error("reference_prefix", "Say where the large files are kept: s3://bucket/prefix.")
        return data

    def options(self) -> ExportOptions:
        data = self.cleaned_data
        default = ExportOptions()
        min_mb = data.get("reference_min_mb")
        return ExportOptions(
            reference_large_files=bool(data.get("reference_large_files")),
            reference_min_bytes=min_mb * MB if min_mb else default.reference_min_bytes,
            reference_prefix=data.get("reference_prefix") or "",
            upload_to=data.get("upload_to") or "",
            dry_run=bool(data.get("dry_run")) and config.dry_run_available(),
        )
