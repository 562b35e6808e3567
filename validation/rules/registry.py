"""Registry source rules: reading an image by reference from ECR or any OCI registry (DESIGN.md "Container
validation" 1, "Reliability and security": SSRF).

These are about *reaching and reading* the registry. What is wrong with the image itself once read — an
invalid manifest, a missing blob, a digest mismatch — keeps its ``container.E00x`` code, so an image gets the
same findings whether it was uploaded as an archive or read from a registry.
"""

from __future__ import annotations

from validation.findings import Severity
from validation.rules.base import MP_DOCS, Rule

E = Severity.ERROR
_UPLOAD = MP_DOCS + "ml-uploading-your-images.html"
_SPEC = "https://github.com/opencontainers/distribution-spec/blob/main/spec.md"
_AUTH = "https://distribution.github.io/distribution/spec/auth/token/"
_ECR_AUTH = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry_auth.html"
_IMAGE_SPEC = "https://github.com/opencontainers/image-spec/blob/main/image-index.md"
_OWASP = "https://cheatsheetseries.owasp.org/cheatsheets/Server_Side_Request_Forgery_Prevention_Cheat_Sheet.html"

RULES = [
    Rule("registry.E001", "Image reference is not valid", E, "MP", _UPLOAD,
         "Write the reference in full: host[:port]/repository[:tag] or …@sha256:<digest>, e.g. "
         "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-model:1.0.", section="5"),
    Rule("registry.E002", "Registry address refused", E, "MP", _OWASP,
         "The registry (or a redirect or token service it named) resolves to a loopback, private, link-local or "
         "otherwise internal address, or asks for plain http. Use a public registry such as ECR; an operator "
         "can allow an internal registry with OUTBOUND_ALLOWED_HOSTS.", section="5"),
    Rule("registry.E003", "Registry cannot be reached", E, "MP", _SPEC,
         "Check the host name and port, that the registry is up and reachable from the internet, and that "
         "its TLS certificate is valid.", section="5"),
    Rule("registry.E004", "Registry too slow", E, "MP", _SPEC,
         "The registry did not answer, or stopped sending, within the time allowed. Try again later; if it "
         "persists, push the image to ECR (or upload it with `docker save`).", section="5"),
    Rule("registry.E005", "Registry authentication failed", E, "MP", _AUTH,
         "Give a user name and password (or token) that can pull this repository; for ECR, allow "
         "ecr:GetAuthorizationToken, ecr:BatchGetImage and ecr:GetDownloadUrlForLayer to the role that reads "
         "the image.", section="5"),
    Rule("registry.E006", "Image not found in the registry", E, "MP", _UPLOAD,
         "Check the repository name and tag (or digest) and that the image was pushed: "
         "`docker push <reference>`.", section="5"),
    Rule("registry.E007", "Unexpected answer from the registry", E, "MP", _SPEC,
         "The server does not behave like a container registry (an HTML page, an error status, a malformed "
         "answer). Check that the reference names the registry itself, not a web page in front of it.",
         section="5"),
    Rule("registry.E008", "Platform not in the image", E, "MP", _IMAGE_SPEC,
         "Push an image (or a multi-platform index) that includes the platform asked for — linux/amd64 for "
         "x86 instance types, linux/arm64 for Graviton — e.g. `docker buildx build --platform linux/amd64,"
         "linux/arm64 --push`.", section="4"),
    Rule("registry.E009", "ECR credentials unavailable", E, "MP", _ECR_AUTH,
         "The worker could not get an ECR authorization token: give its role ecr:GetAuthorizationToken for "
         "the registry's account and region (or grant our account pull access to the repository).",
         section="5"),
    Rule("registry.E010", "Manifest does not match its digest", E, "MP", _SPEC,
         "The registry sent a manifest whose digest differs from the one referenced (or from its own "
         "Docker-Content-Digest). Push the image again and reference it by the digest `docker push` prints.",
         section="5"),
    Rule("registry.E011", "Image larger than the reader accepts", E, "MP", _UPLOAD,
         "A layer or the whole image is larger than this service reads from a registry; slim the image down "
         "(see the wasted-space findings of a smaller build), or ask an operator to raise the limit.",
         section="5"),
]

RULES_BY_CODE = {r.code: r for r in RULES}
