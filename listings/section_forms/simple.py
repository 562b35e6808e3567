"""Sections whose fields are plain values: legal and support, AWS settings, endpoint configuration, version."""

from __future__ import annotations

import json

from django import forms

from listings.section_forms.base import LinesField, SectionForm, TextField


class LegalForm(SectionForm):
    section = key = "legal"

    eula = forms.ChoiceField(
        label="End-user licence agreement", widget=forms.RadioSelect,
        choices=[("standard", "Standard Contract for AWS Marketplace (2022-07-14)"), ("custom", "My own EULA")],
    )
    eula_url = TextField(required=False, label="Custom EULA URL", help_text="An https link to your EULA.")
    refund_policy = TextField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                              help_text="Required for paid products. Plain ASCII plus © ® ™ ¢ £ ¤ ¥.")


class AwsForm(SectionForm):
    section = key = "aws"

    region = TextField(required=False, help_text="The Region you publish from, e.g. us-east-1.")
    account_id = TextField(required=False, label="AWS account id", help_text="12 digits.")
    image_uri = TextField(required=False, label="Inference image URI",
                          help_text="In your own ECR in this account and Region, ideally by digest (@sha256:…).")
    model_data_uri = TextField(required=False, label="Model data (S3 URI)",
                               help_text="One .tar.gz in S3 in the same Region (model packages).")
    validation_role_arn = TextField(required=False, label="Validation role ARN",
                                    help_text="The IAM role SageMaker uses for the validation jobs.")
    access_role_arn = TextField(required=False, label="Marketplace access role ARN",
                                help_text="Trusted by assets.marketplace.amazonaws.com.")
    s3_input_location = TextField(required=False, label="S3 input location",
                                  help_text="Where the validation job reads the sample data.")
    s3_output_location = TextField(required=False, label="S3 output location")
    sagemaker_arn = TextField(required=False, label="SageMaker resource ARN",
                              help_text="The model package or algorithm ARN, once created.")


class EndpointForm(SectionForm):
    section = key = "endpoint"

    input_content_types = LinesField(help_text="MIME types your container accepts, one per line (e.g. text/csv).")
    response_mime_types = LinesField(help_text="MIME types it answers with, one per line.")
    batch_strategy = forms.ChoiceField(choices=[("MultiRecord", "MultiRecord"), ("SingleRecord", "SingleRecord")])
    max_payload_mb = forms.IntegerField(required=False, min_value=0, label="Max payload (MB)",
                                        help_text="For batch transform.")
    environment = TextField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                            help_text="Container environment, one NAME=value per line.")
    framework = TextField(required=False, help_text="e.g. pytorch, tensorflow, xgboost, sklearn.")
    framework_version = TextField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["environment"].prepare_value = lambda v: (
            "\n".join(f"{k}={val}" for k, val in v.items()) if isinstance(v, dict) else v)

    def clean_environment(self):
        env = {}
        for number, line in enumerate(self.cleaned_data["environment"].splitlines(), 1):
            if not line.strip():
                continue
            name, sep, value = line.partition("=")
            if not sep or not name.strip():
                raise forms.ValidationError(f"Line {number} is not NAME=value.")
            env[name.strip()] = value.strip()
        return env


PARAMETER_HELP = "One per line as JSON, e.g. {\"name\": \"threshold\", \"description\": \"…\", \"required\": false}."


class VersionForm(SectionForm):
    section = key = "version"

    version_title = TextField(required=False, help_text="Unique within the product, e.g. “1.0.0”.")
    release_notes = TextField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    usage_instructions = TextField(widget=forms.Textarea(attrs={"rows": 10, "data-markdown-preview": "1"}),
                                   required=False, help_text="Markdown. Say the input format, the output format and "
                                                             "any pre-processing buyers must do.")
    input_description = TextField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    output_description = TextField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    input_limitations = TextField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    sample_input_realtime = TextField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                      label="Sample input (real-time)", help_text="Text, or an https link.")
    sample_output_realtime = TextField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                       label="Sample output (real-time)")
    sample_input_batch = TextField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                   label="Sample input (batch)")
    sample_output_batch = TextField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                    label="Sample output (batch)")
    input_parameters = TextField(widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text=PARAMETER_HELP)
    custom_attributes = TextField(widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text=PARAMETER_HELP)
    output_parameters = TextField(widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text=PARAMETER_HELP)
    repository_url = TextField(required=False, label="Repository URL", help_text="https, GitHub recommended.")
    notebook_url = TextField(required=False, label="Sample notebook URL", help_text="https, GitHub recommended.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("input_parameters", "custom_attributes", "output_parameters"):
            self.fields[name].prepare_value = lambda v: (
                "\n".join(json.dumps(p, ensure_ascii=False) for p in v) if isinstance(v, list) else v)

    def _parameters(self, name: str) -> list[dict]:
        rows = []
        for number, line in enumerate(self.cleaned_data[name].splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                raise forms.ValidationError(f"Line {number} is not JSON: {PARAMETER_HELP}")
            if not isinstance(row, dict):
                raise forms.ValidationError(f"Line {number} must be a JSON object.")
            rows.append({"name": "", "description": "", "constraints": "", "required": False} | row)
        return rows

    def clean_input_parameters(self):
        return self._parameters("input_parameters")

    def clean_custom_attributes(self):
        return self._parameters("custom_attributes")

    def clean_output_parameters(self):
        return self._parameters("output_parameters")
