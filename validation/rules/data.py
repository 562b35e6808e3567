"""Sample data rules (AWS_RULES.md §5 payload sizes, §6 sample data).

The payload sizes are the numbers AWS publishes (InvokeEndpoint's ``Body`` shape in botocore is at most
6,291,456 bytes, i.e. AWS's "6 MB" is 6 MiB). Where a number below is our own safety guard rather than an
AWS fact (JSON nesting, decoded image pixels) the rule says so, so nobody mistakes it for an AWS limit.
"""

from __future__ import annotations

from validation.findings import Severity
from validation.rules.base import MP_DOCS, SM_DOCS, Rule

E, W = Severity.ERROR, Severity.WARNING
MB = 1024 * 1024


class Bytes(int):
    """A byte count that compares as an ``int`` and reads the way AWS writes it ("6 MB") in hints.

    JSON keeps the plain integer (``json.dumps`` uses ``int.__repr__`` for subclasses), so the rules page and
    the API still get an exact number.
    """

    def __format__(self, spec: str) -> str:
        return format(int(self), spec) if spec else human_size(self)

    def __str__(self) -> str:
        return human_size(self)


def human_size(size: int) -> str:
    if size >= MB:
        return f"{size // MB} MB" if size % MB == 0 else f"{size / MB:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} bytes"


_REQS = MP_DOCS + "ml-listing-requirements-and-best-practices.html"
_INFERENCE = SM_DOCS + "your-algorithms-inference-code.html"
_BATCH = SM_DOCS + "your-algorithms-batch-code.html"
_SECURITY = MP_DOCS + "ml-security-and-intellectual-property.html"

RULES = [
    Rule("data.E001", "Real-time sample input is provided", E, "MP", _REQS,
         "Upload at least one input file for real-time inference (the notebook reads data/input/real-time).",
         section="6"),
    Rule("data.E002", "Real-time sample output is provided", E, "MP", _REQS,
         "Upload the output your model returns for the real-time sample input (data/output/real-time).",
         section="6"),
    Rule("data.E003", "Batch sample input is provided", E, "MP", _REQS,
         "Upload at least one input file for batch transform (data/input/batch).", section="6"),
    Rule("data.E004", "Batch sample output is provided", E, "MP", _REQS,
         "Upload the output of a batch transform on the batch sample input (data/output/batch).", section="6"),
    Rule("data.E005", "Every input content type has a sample", E, "MP", _REQS,
         "Upload an input sample for each content type the endpoint accepts, or remove the content type "
         "from the endpoint configuration.", section="6"),
    Rule("data.E006", "Sample file says what it is", E, "MP", _REQS,
         "Set the sample's mode (real-time or batch), direction (input or output) and content type.",
         section="6"),
    Rule("data.E007", "File content matches its declared content type", E, "SM", _INFERENCE,
         "The file's bytes are a different format than its content type says (we read the bytes, not the "
         "extension). Upload the right file or correct the content type.", section="6"),
    Rule("data.E008", "Sample is well-formed for its content type", E, "SM", _INFERENCE,
         "Fix the file so it parses as its content type; the container receives these exact bytes.",
         section="6"),
    Rule("data.E009", "CSV rows have the same number of columns", E, "SM", _INFERENCE,
         "Give every row the same number of columns (check for stray commas and unquoted text).", section="6"),
    Rule("data.W010", "CSV cells that a spreadsheet would run as a formula", W, "MP", _SECURITY,
         "Buyers open samples in spreadsheets: a cell starting with =, +, -, @, tab or carriage return runs "
         "as a formula. Prefix it with a single quote or remove it.", aws_rejects=False, section="6"),
    # Our guard, not an AWS number: deeper documents are refused before json.loads can recurse.
    Rule("data.E011", "JSON is nested too deeply to parse safely", E, "SM", _INFERENCE,
         "Flatten the document: we parse at most {limit} levels of nested arrays and objects.",
         limit=100, section="6"),
    # Our guard (Pillow's default MAX_IMAGE_PIXELS), read from the image header before any decoding.
    Rule("data.E012", "Image has more pixels than can be decoded safely", E, "SM", _INFERENCE,
         "Resize the image; images over {limit:,} pixels are refused as possible decompression bombs.",
         limit=89_478_485, section="6"),
    Rule("data.W013", "Real-time sample is larger than the classic payload limit", W, "SM", _INFERENCE,
         "Real-time requests were limited to {limit} for years and many clients still are; keep real-time "
         "samples at or under {limit} (use batch transform for larger inputs).",
         aws_rejects=False, limit=Bytes(6 * MB), section="5"),
    Rule("data.E014", "Real-time sample exceeds the maximum payload", E, "SM", _INFERENCE,
         "InvokeEndpoint refuses bodies over {limit}; split the input or demonstrate it with batch transform.",
         limit=Bytes(25 * MB), section="5"),
    Rule("data.E015", "Batch sample exceeds the batch payload limit", E, "SM", _BATCH,
         "Batch transform sends at most {limit} per request (MaxPayloadInMB); split the file into records "
         "or several files.", limit=Bytes(100 * MB), section="5"),
    Rule("data.W016", "Sample data contains personal data", W, "MP", _SECURITY,
         "Samples are public: replace e-mail addresses, phone numbers and card numbers with synthetic "
         "values (for example user@example.com).", aws_rejects=False, section="6"),
]
