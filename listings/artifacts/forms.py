"""The few fields that travel with a file. Their meaning is checked by the services; these only parse."""

from __future__ import annotations

from django import forms

from listings.models import ArtifactKind


class _Meta(forms.Form):
    kind = forms.ChoiceField(choices=ArtifactKind.choices, error_messages={
        "required": "Choose what the file is.", "invalid_choice": "Choose what the file is from the list."})
    mode = forms.CharField(required=False, max_length=20)
    direction = forms.CharField(required=False, max_length=20)
    content_type = forms.CharField(required=False, max_length=100)
    sha256 = forms.CharField(required=False, max_length=80)

    def tags(self) -> dict:
        data = self.cleaned_data
        return {"mode": data["mode"], "direction": data["direction"], "content_type": data["content_type"]}

    def first_error(self) -> str:
        for field, errors in self.errors.items():
            label = "" if field == "__all__" or field in ("kind", "file") else f"{field.replace('_', ' ')}: "
            return f"{label}{errors[0]}"
        return "The upload is incomplete."


class UploadForm(_Meta):
    file = forms.FileField(error_messages={"required": "Choose a file to upload.",
                                           "empty": "The file is empty. Choose the file again."})


class UploadStartForm(_Meta):
    name = forms.CharField(max_length=1000, error_messages={"required": "The file needs a name."})
    size = forms.IntegerField(min_value=0, error_messages={"required": "Say how large the file is."})
