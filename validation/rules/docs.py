"""Documentation and listing-copy rules (AWS_RULES.md §1 content, §2 usage instructions, §6 FAQ)."""

from __future__ import annotations

from validation.findings import Severity
from validation.rules.base import EXAMPLES_REPO, MP_DOCS, Rule

E, W = Severity.ERROR, Severity.WARNING
_REQS = MP_DOCS + "ml-listing-requirements-and-best-practices.html"
_MP_LISTING = EXAMPLES_REPO + "/ModelPackage/curating_good_model_package_listing.md"

RULES = [
    Rule("docs.W001", "Usage instructions describe the input format", W, "MP", _REQS,
         "Add an 'Input format' section: content types, fields or columns, shapes and an example request.",
         aws_rejects=False, section="2"),
    Rule("docs.W002", "Usage instructions describe the output format", W, "MP", _REQS,
         "Add an 'Output format' section: content type, fields and how to read them, with an example.",
         aws_rejects=False, section="2"),
    Rule("docs.W003", "Usage instructions state the pre-processing requirements", W, "FAQ", _REQS,
         "Add a 'Pre-processing' section: what buyers must do to their data before calling the model "
         "(resizing, encoding, normalisation, column order) or say that none is needed.",
         aws_rejects=False, section="6"),
    Rule("docs.E004", "Link is malformed", E, "MP", _REQS,
         "Use an absolute https:// address (relative paths and other schemes do not work on the listing "
         "page).", section="2"),
    Rule("docs.W005", "Link does not use https", W, "MP", _REQS,
         "Link to the https:// version of the page.", aws_rejects=False, section="2"),
    Rule("docs.W006", "Claim without evidence", W, "EX", _MP_LISTING,
         "Back the claim with a measured figure or a source in the same sentence (benchmark, dataset, "
         "date), or remove it.", aws_rejects=False, section="1"),
    Rule("docs.W007", "No performance metric stated", W, "MP", _REQS,
         "State a performance metric on named validation data in the long description or a highlight, "
         "e.g. 'F1 0.91 on the CoNLL-2003 test set'.", aws_rejects=False, section="1"),
    Rule("docs.W008", "No latency or throughput on the recommended instance", W, "EX", _MP_LISTING,
         "State latency or throughput on the recommended instance in a highlight, e.g. '45 ms p50 per "
         "image on ml.g5.xlarge'.", aws_rejects=False, section="1"),
    Rule("docs.E009", "Documentation file cannot be read", E, "MP", _REQS,
         "Upload documentation as UTF-8 Markdown, plain text, HTML or PDF.", section="2"),
]
