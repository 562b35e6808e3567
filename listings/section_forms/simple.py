"""Sections whose fields are plain values: legal and support, AWS settings, endpoint configuration, version."""

from __future__ import annotations

from django import forms

from listings.section_forms.base import LinesField, SectionForm, TextField
from listings.section_forms.rows import RowForm, Rows, RowsSectionForm, max_length_of


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


class ParameterRowForm(RowForm):
    """One input parameter, custom attribute or output parameter of the version (name, description, constraints)."""

    empty_row = {"name": "", "description": "", "constraints": "", "required": False}
    noun = "parameter"
    double = ("name", "description", "constraints")

    name = TextField(required=False, help_text="Printable ASCII, as buyers pass it.")
    required = forms.BooleanField(required=False, label="Buyers must give it")
    description = TextField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    constraints = TextField(required=False, widget=forms.Textarea(attrs={"rows": 2}),
                            help_text="Allowed values, ranges or format, e.g. “0.0 to 1.0”.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, code in (("name", "listing.E047"), ("description", "listing.E048"), ("constraints", "listing.E049")):
            most = max_length_of(code)
            if most:
                self.fields[name].widget.attrs["data-maxlength"] = most


def _parameter_rows(name: str, title: str, help_text: str, add_label: str, noun: str = "") -> Rows:
    return Rows(name, ("version", name), ParameterRowForm, title, help=help_text, count_code="listing.E046",
                add_label=add_label, noun=noun)


class VersionForm(RowsSectionForm):
    section = key = "version"
    rows = (
        _parameter_rows("input_parameters", "Input parameters",
                        "Parameters buyers can pass with a request, e.g. a confidence threshold.", "Add an input parameter"),
        _parameter_rows("custom_attributes", "Custom attributes",
                        "Values buyers send in the X-Amzn-SageMaker-Custom-Attributes header.", "Add a custom attribute",
                        "attribute"),
        _parameter_rows("output_parameters", "Output parameters",
                        "The fields your response contains.", "Add an output parameter"),
    )

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
    repository_url = TextField(required=False, label="Repository URL", help_text="https, GitHub recommended.")
    notebook_url = TextField(required=False, label="Sample notebook URL", help_text="https, GitHub recommended.")
