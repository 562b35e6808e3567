"""Sample notebook checks (AWS_RULES.md §6; the structure of AWS's sample-notebook templates).

Decisions:
- A missing notebook is a failure of ``notebook.E001``: every ML product version needs a sample notebook
  (AWS asks for its URL, and the bundle ships it). A notebook only referenced by URL still fails, because its
  content cannot be checked or bundled. No other notebook finding is emitted then.
- A notebook we cannot parse (too large, not JSON, older than v4) gets one ``not_run`` per remaining rule, so the
  report says exactly what was not checked.
- Workflow rules apply by product kind: algorithm-only sections are not emitted for model packages.
- Cells are numbered from 1 over all cells (markdown included), as they appear top to bottom.

Nothing here raises on hostile input: every parser failure is a finding.
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import nbformat

from validation.aws_models import compile_java_pattern
from validation.checks.registry import STAGE_NOTEBOOK, ArtifactFile, Subject, check
from validation.checks.sample_data import first_excess_depth, line_col
from validation.findings import Finding
from validation.rules import data as data_rules
from validation.rules import notebook as notebook_rules
from validation.rules.base import Rule
from validation.rules.data import human_size

_RULES = {r.code: r for r in notebook_rules.RULES}
CODES = tuple(_RULES)
MAX_REPORTED = 20  # failures reported per rule per notebook
MODEL_PACKAGE, ALGORITHM = "model_package", "algorithm"


def rule(code: str) -> Rule:
    return _RULES[code]


def _json_depth_limit() -> int:
    # One guard for all JSON we parse (validation/rules/data.py, data.E011).
    return next(r.limit for r in data_rules.RULES if r.code == "data.E011")


# --------------------------------------------------------------------------------------------------------------
# Cells


@dataclass(frozen=True)
class Cell:
    number: int  # 1-based over all cells
    kind: str  # code | markdown | raw | ?
    source: str
    outputs: tuple[dict, ...]

    @property
    def where(self) -> str:
        return f"cell:{self.number}"


def _text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return ""


def cells_of(data: dict) -> list[Cell]:
    cells = data.get("cells")
    if not isinstance(cells, list):
        return []
    result = []
    for i, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            continue
        outputs = cell.get("outputs")
        outputs = tuple(o for o in outputs if isinstance(o, dict)) if isinstance(outputs, list) else ()
        result.append(Cell(i, str(cell.get("cell_type") or "?"), _text(cell.get("source")), outputs))
    return result


def output_texts(output: dict) -> Iterator[str]:
    """The text of one output (streams, tracebacks, text-like MIME data); images are skipped."""
    kind = output.get("output_type")
    if kind == "stream":
        yield _text(output.get("text"))
    elif kind == "error":
        yield _text(output.get("evalue"))
        yield _text(output.get("traceback"))
    data = output.get("data")
    if isinstance(data, dict):
        for mime, value in data.items():
            if not str(mime).startswith("image/") or mime == "image/svg+xml":
                yield value if isinstance(value, str) else _text(value) or json.dumps(value)[:1_000_000]


# --------------------------------------------------------------------------------------------------------------
# Python source of a code cell

# Cell magics whose body is Python; any other %%magic (bash, writefile, html, sql …) is not parsed.
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "python", "python3", "debug"}
# Possessive indentation (Python 3.11+): a line of 100,000 spaces must not make these regexes backtrack.
_LINE_MAGIC = re.compile(
    r"^([ \t]*+)(?:%{1,2}[A-Za-z_]"  # %pip, %%time (a line magic)
    r"|!{1,2}(?!=)\S"  # !ls, !!ls (a shell escape)
    r"|[\w.,\[\]()* \t]{1,200}?=[ \t]*+(?:%[A-Za-z_]|!(?!=)\S))"  # files = !ls, t = %timeit f()
)
_HELP = re.compile(r"^([ \t]*+)(?:\?{1,2}[\w.]++|[\w.]++\?{1,2})[ \t]*+$")
_CELL_MAGIC = re.compile(r"%%(\S+)")


def python_source(source: str) -> tuple[str | None, str]:
    """The cell as plain Python (magics and shell escapes blanked, line numbers kept) or (None, magic)."""
    lines = source.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        match = _CELL_MAGIC.match(lines[first].lstrip())
        name = match.group(1) if match else ""
        if name not in PYTHON_CELL_MAGICS:
            return None, f"%%{name}"
        lines[first] = ""
    continuing = False  # a magic line ending in a backslash continues on the next line
    for i, line in enumerate(lines):
        if continuing:
            continuing = line.rstrip().endswith("\\")
            lines[i] = ""
            continue
        match = _LINE_MAGIC.match(line) or _HELP.match(line)
        if match:
            continuing = line.rstrip().endswith("\\")
            lines[i] = match.group(1) + "pass"
    return "\n".join(lines), ""


def parse_python(code: str, name: str) -> tuple[int, str] | None:
    """None when ``code`` parses; else (line, message)."""
    try:
        compile(code, name, "exec", flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    except SyntaxError as exc:
        return exc.lineno or 1, exc.msg
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        return 1, f"{type(exc).__name__}: {str(exc)[:120] or 'too deeply nested'}"
    return None


# --------------------------------------------------------------------------------------------------------------
# Workflow sections (AWS's templates: model package 1 subscribe … 4 clean up; algorithm 1 subscribe … 7 clean up)


@dataclass(frozen=True)
class Section:
    code: str
    name: str
    kinds: tuple[str, ...]
    heading: re.Pattern
    code_pattern: dict[str, re.Pattern]  # by product kind; "*" for both
    heading_enough: bool = False  # a heading alone shows the section (no reliable code signature)
    after_inference: bool = False

    def pattern_for(self, kind: str) -> re.Pattern | None:
        return self.code_pattern.get(kind) or self.code_pattern.get("*")


def _re(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.I)


BOTH = (MODEL_PACKAGE, ALGORITHM)
SECTIONS = (
    Section("notebook.E009", "subscribe and set the product ARN", BOTH, _re(r"subscri"),
            {MODEL_PACKAGE: re.compile(r"\bModelPackage\s*\(|model_package_arn|model_package_map|ModelPackageName"),
             ALGORITHM: re.compile(r"AlgorithmEstimator\s*\(|algorithm_arn|algo_arn|AlgorithmName")}),
    Section("notebook.E016", "prepare the training data", (ALGORITHM,),
            _re(r"prepar\w*.*data|dataset|data ?set|upload"),
            {"*": re.compile(r"upload_data\s*\(|S3Uploader|upload_file\s*\(|data/train")}, heading_enough=True),
    Section("notebook.E017", "train a model", (ALGORITHM,), _re(r"\btrain"),
            {"*": re.compile(r"\.fit\s*\(|create_training_job\s*\(")}),
    Section("notebook.I018", "tune hyperparameters", (ALGORITHM,), _re(r"\btun(e|ing)\b|hyper-?parameter optimi"),
            {"*": re.compile(r"HyperparameterTuner\s*\(|create_hyper_parameter_tuning_job\s*\(")}),
    Section("notebook.E010", "create an endpoint", BOTH, _re(r"(creat|deploy)\w*.*endpoint|deploy"),
            {"*": re.compile(r"\.deploy\s*\(|create_endpoint\s*\(")}),
    Section("notebook.E011", "real-time inference", BOTH, _re(r"real[- ]?time|predict|invoke"),
            {"*": re.compile(r"invoke_endpoint\s*\(|invoke-endpoint|\.predict\s*\(")}),
    Section("notebook.W012", "show the output", BOTH, _re(r"output|result|visuali[sz]|prediction|response"),
            {"*": re.compile(r"\bprint\s*\(|\bdisplay\s*\(|json\.loads?\s*\(|\.head\s*\(|\bplt\.|\bImage\s*\(|"
                             r"pprint|\bcat\s")},
            heading_enough=True, after_inference=True),
    Section("notebook.E013", "delete the endpoint", BOTH, _re(r"delete\w*.*endpoint|tear ?down"),
            {"*": re.compile(r"delete_endpoint\s*\(|delete-endpoint|delete_predictor\s*\(")}),
    Section("notebook.E014", "batch transform", BOTH, _re(r"batch|transform"),
            {"*": re.compile(r"\.transformer\s*\(|\bTransformer\s*\(|create_transform_job\s*\(|\.transform\s*\(")}),
    Section("notebook.E015", "clean up", BOTH, _re(r"clean[- ]?up|delete\w*.*model|unsubscribe"),
            {"*": re.compile(r"delete_model\s*\(|delete-model")}),
)

_MD_HEADING = re.compile(r"^[ ]{0,3}#{1,6}[ \t]+([^\n]{1,500})|<h[1-6][^>]{0,200}>([^<]{0,500})</h[1-6]>",
                         re.M | re.I)


def headings(cell: Cell) -> list[str]:
    return [(m.group(1) or m.group(2) or "").strip().rstrip("#").strip() for m in _MD_HEADING.finditer(cell.source)]


def _workflow(cells: list[Cell], kind: str, where: str) -> Iterator[Finding]:
    code_cells = [c for c in cells if c.kind == "code"]
    heading_cells = [(c, h) for c in cells if c.kind == "markdown" for h in headings(c)]
    inference = next(s for s in SECTIONS if s.code == "notebook.E011").pattern_for(kind)
    first_inference = next((c.number for c in code_cells if inference.search(c.source)), 0)
    for section in SECTIONS:
        if kind not in section.kinds:
            continue
        r = rule(section.code)
        start = first_inference if section.after_inference else 0
        pattern = section.pattern_for(kind)
        code_hit = next((c for c in code_cells if c.number >= start and pattern.search(c.source)), None)
        heading_hit = next((c for c, h in heading_cells if c.number >= start and section.heading.search(h)), None)
        if code_hit:
            yield r.passed(f"The notebook does this: {section.name} (cell {code_hit.number}).",
                           location=code_hit.where)
        elif heading_hit and section.heading_enough:
            yield r.passed(f"A heading covers this: {section.name} (cell {heading_hit.number}).",
                           location=heading_hit.where)
        elif heading_hit:
            yield r.failed(f"A heading in cell {heading_hit.number} suggests '{section.name}', but no code cell "
                           "does it.", location=heading_hit.where, section=section.name)
        else:
            yield r.failed(f"No section that does this: {section.name}.", location=where, section=section.name)


# --------------------------------------------------------------------------------------------------------------
# Placeholders, secrets, account ids

_PLACEHOLDER_ANY_CASE = re.compile(
    r"<<[^<>\n]{1,80}>>"
    r"|<\s*(?:your|specify|insert|enter|replace|update|provide|fill[\s_-]?in|add)(?:[\s_\-:][^<>\n]{0,80})?>"
    r"|<(?!\s*customer\b)[^<>\n=\"']{0,60}\b(?:arn|filename|file_name|bucket|prefix|account[\s_-]?id|"
    r"instance[\s_-]?type|endpoint[\s_-]?name|model[\s_-]?name)\b[^<>\n=\"']{0,60}>"
    r"|for\s+seller\s+to\s+(?:update|read)",
    re.I,
)
_PLACEHOLDER_UPPER = re.compile(r"\b(?:TODO|FIXME|XXX|REPLACE_ME|CHANGE_?ME)\b")

_ACCESS_KEY = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")
_SECRET_CONTEXT = re.compile(r"aws_?secret|secret_?access_?key|secret-access-key", re.I)
_SECRET_VALUE = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_SESSION_TOKEN = re.compile(
    r"(?:session_?token|security_?token)[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{100,})"
    r"|\b((?:FwoGZXIvYXdzE|IQoJb3JpZ2luX2Vj)[A-Za-z0-9/+=]{60,})",
    re.I,
)
_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
_TWELVE_DIGITS = re.compile(r"(?<!\d)\d{12}(?!\d)")
_ARN_PREFIX = re.compile(r"arn:aws[\w-]*:[\w-]*:[\w-]*:$")
_DEFAULT_BUCKET_PREFIX = re.compile(r"sagemaker-[a-z]{2}(?:-gov)?-[a-z]+-\d-$")


def mask(secret: str) -> str:
    return f"{secret[:4]}…({len(secret)} characters, masked)"


def find_secrets(text: str) -> Iterator[tuple[str, str]]:
    """(what, masked) for each credential in ``text``; the secret itself never leaves this function."""
    for m in _ACCESS_KEY.finditer(text):
        if "EXAMPLE" not in m.group():
            yield "AWS access key id", mask(m.group())
    for ctx in _SECRET_CONTEXT.finditer(text):
        window = text[ctx.end(): ctx.end() + 120]
        value = _SECRET_VALUE.search(window)
        if value and "EXAMPLE" not in value.group():
            yield "AWS secret access key", "(40 characters, masked)"
    for m in _SESSION_TOKEN.finditer(text):
        token = m.group(1) or m.group(2)
        yield "AWS session token", f"({len(token)} characters, masked)"
    for m in _PRIVATE_KEY.finditer(text):
        yield "private key", m.group()


def find_account_ids(text: str, *, code: bool) -> Iterator[str]:
    """Account ids shown outside an ARN: in an ECR address, a default bucket name, next to the word
    'account', or as a 12-digit string literal in code. Other 12-digit numbers (timestamps) are left alone."""
    for m in _TWELVE_DIGITS.finditer(text):
        before = text[max(0, m.start() - 60): m.start()]
        if _ARN_PREFIX.search(before):
            continue
        after = text[m.end(): m.end() + 9]
        quoted = code and before[-1:] in "\"'" and after[:1] == before[-1:]
        if (after.startswith(".dkr.ecr") or _DEFAULT_BUCKET_PREFIX.search(before)
                or "account" in before[-40:].lower() or quoted):
            yield m.group()[:2] + "…" + m.group()[-2:]


# --------------------------------------------------------------------------------------------------------------
# ARNs and buckets

_ARN = re.compile(r"arn:aws[^\s\"'<>]{0,200}?:(?:model-package|algorithm)/[^\s\"'<>,)\]]{0,2048}")
_REGION = re.compile(r"[a-z]{2}(?:-gov)?-[a-z]+-\d")
_REGION_KEYED_ARN = re.compile(r"[\"']([a-z]{2}(?:-gov)?-[a-z]+-\d)[\"']\s*:\s*(?:f|rf|fr)?[\"']arn:aws")
_TEMPLATE = re.compile(r"\{[^{}]*\}|%\(?\w*\)?s")
_S3_LITERAL = re.compile(r"s3://([a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])(?=[/\"'\s]|$)")
_BUCKET_ASSIGN = re.compile(r"\b(?:bucket(?:_name)?|Bucket)\s*=\s*[\"']([a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])[\"']")
PUBLIC_BUCKETS = re.compile(r"sagemaker-sample-files|sagemaker-sample-data-[a-z0-9-]+|"
                            r"sagemaker-example-files-prod-[a-z0-9-]+|jumpstart-(?:private-)?cache-prod-[a-z0-9-]+")


def arn_well_formed(arn: str) -> bool:
    """Matches botocore's ModelPackageArn / AlgorithmArn pattern; templated slots ({region}) are allowed."""
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return False
    dummies = {3: "us-east-1", 4: "123456789012"}
    for i, dummy in dummies.items():
        if _TEMPLATE.search(parts[i]):
            parts[i] = dummy
    parts[5] = _TEMPLATE.sub("name", parts[5])
    candidate = ":".join(parts)
    kind = "algorithm" if ":algorithm/" in candidate else "model-package"
    return _arn_pattern(kind).fullmatch(candidate) is not None


def _arn_pattern(kind: str) -> re.Pattern:
    pattern = rule("notebook.E025").limit[kind]
    return compile_java_pattern(pattern) or re.compile(pattern)


# --------------------------------------------------------------------------------------------------------------
# The check


class _Findings:
    """Failures capped per rule, so a notebook full of one mistake stays readable."""

    def __init__(self) -> None:
        self.items: list[Finding] = []
        self.counts: dict[str, int] = {}

    def add(self, finding: Finding) -> None:
        n = self.counts.get(finding.code, 0) + 1
        self.counts[finding.code] = n
        if n <= MAX_REPORTED:
            self.items.append(finding)

    def extend(self, findings: Iterable[Finding]) -> None:
        for f in findings:
            self.add(f)


def _not_run_rest(done: set[str], reason: str, where: str, kind: str) -> Iterator[Finding]:
    algorithm_only = {s.code for s in SECTIONS if s.kinds == (ALGORITHM,)}
    for code in CODES:
        if code in done or code == "notebook.E001" or (kind != ALGORITHM and code in algorithm_only):
            continue
        yield rule(code).not_run(reason, location=where)


def _load(f: ArtifactFile, out: _Findings, kind: str) -> dict | None:
    """Read and parse safely; on failure record why and the rules that could not run."""
    where = f"file:{f.name}"
    too_big = rule("notebook.E002")
    try:
        size = f.path.stat().st_size
    except OSError as exc:
        out.extend(_not_run_rest(set(), f"the notebook could not be opened: {exc.strerror or exc}", where, kind))
        return None
    if size > too_big.limit:
        out.add(too_big.failed(f"{human_size(size)} ({size:,} bytes); we check notebooks up to {too_big.limit}.",
                               location=where, size=size, limit=int(too_big.limit)))
        out.extend(_not_run_rest({"notebook.E002"}, "not parsed: the notebook is too large", where, kind))
        return None
    out.add(too_big.passed(f"{human_size(size)}, within {too_big.limit}.", location=where, size=size))

    invalid = rule("notebook.E003")
    done = {"notebook.E002", "notebook.E003"}
    try:
        raw = f.path.read_bytes()
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        out.add(invalid.failed(f"Not UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start:,}.", location=where))
        out.extend(_not_run_rest(done, "not parsed: the file is not valid JSON", where, kind))
        return None
    except (OSError, MemoryError) as exc:
        out.extend(_not_run_rest({"notebook.E002"}, f"the notebook could not be read: {type(exc).__name__}",
                                 where, kind))
        return None
    text = text.removeprefix("\ufeff")
    depth_limit = _json_depth_limit()
    deep = first_excess_depth(text, depth_limit)
    data = None
    if deep is not None:
        line, col = line_col(text, deep)
        out.add(invalid.failed(f"JSON nested more than {depth_limit} levels deep (line {line}, column {col}); not "
                               "parsed.", location=where, line=line, limit=depth_limit))
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            out.add(invalid.failed(f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).",
                                   location=where, line=exc.lineno, column=exc.colno))
        except (RecursionError, MemoryError, ValueError) as exc:
            out.add(invalid.failed(f"JSON could not be parsed: {type(exc).__name__}.", location=where))
        else:
            if not isinstance(data, dict):
                out.add(invalid.failed(f"The file is a JSON {type(data).__name__}, not a notebook object.",
                                       location=where))
                data = None
    if data is None:
        out.extend(_not_run_rest(done, "not parsed: the file is not valid JSON", where, kind))
        return None
    out.add(invalid.passed("Valid JSON.", location=where))

    version = data.get("nbformat")
    old = rule("notebook.E005")
    done.add("notebook.E005")
    if not isinstance(version, int) or isinstance(version, bool):
        out.add(rule("notebook.E004").failed(f"'nbformat' is {version!r}, not a version number.", location=where))
        out.extend(_not_run_rest(done | {"notebook.E004"}, "not checked: the notebook has no format version",
                                 where, kind))
        return None
    if version < old.limit:
        out.add(old.failed(f"nbformat {version}; version {old.limit} or later is needed.", location=where,
                           version=version))
        out.extend(_not_run_rest(done, f"not checked: convert the notebook to nbformat {old.limit} first",
                                 where, kind))
        return None
    out.add(old.passed(f"nbformat {version}.{data.get('nbformat_minor', 0)}.", location=where))

    schema = rule("notebook.E004")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nbformat.validate(nbformat.from_dict(data))
    except nbformat.ValidationError as exc:
        path = list(getattr(exc, "absolute_path", []) or [])
        location = f"cell:{path[1] + 1}" if len(path) >= 2 and path[0] == "cells" and isinstance(path[1], int) \
            else where
        out.add(schema.failed(f"Schema error: {str(exc.message)[:300]}", location=location))
    except Exception as exc:  # noqa: BLE001 - the validator itself failing on hostile input is a finding
        out.add(schema.failed(f"The schema could not be checked: {type(exc).__name__}.", location=where))
    else:
        out.add(schema.passed("Matches the nbformat schema.", location=where))
    return data


def _kernel(data: dict, where: str) -> Iterator[Finding]:
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    spec = metadata.get("kernelspec") if isinstance(metadata.get("kernelspec"), dict) else None
    info = metadata.get("language_info") if isinstance(metadata.get("language_info"), dict) else {}
    named = rule("notebook.W007")
    if spec and (spec.get("name") or spec.get("display_name")):
        yield named.passed(f"Kernel {spec.get('display_name') or spec.get('name')}.", location=where)
    else:
        yield named.failed("The notebook metadata names no kernel.", location=where)
    language = str((spec or {}).get("language") or info.get("name") or "").lower()
    name = str((spec or {}).get("name") or "").lower()
    python = rule("notebook.E006")
    if language:
        if language.startswith("python"):
            yield python.passed(f"Kernel language {language}.", location=where)
        else:
            yield python.failed(f"Kernel language is {language}, not Python.", location=where, language=language)
    elif "python" in name or re.search(r"_p\d{2,3}$", name):
        yield python.passed(f"Kernel {name}.", location=where)
    else:
        yield python.not_run("The notebook does not say which language its kernel runs.", location=where)


def _code(cells: list[Cell], where: str) -> Iterator[Finding]:
    r = rule("notebook.E008")
    parsed, skipped, failed = 0, [], False
    for cell in cells:
        if cell.kind != "code" or not cell.source.strip():
            continue
        code, magic = python_source(cell.source)
        if code is None:
            skipped.append(f"cell {cell.number} ({magic})")
            continue
        error = parse_python(code, f"cell {cell.number}")
        if error:
            failed = True
            line, message = error
            yield r.failed(f"Cell {cell.number}, line {line}: {message}.", location=cell.where, line=line)
        else:
            parsed += 1
    if not failed:
        note = f"; not Python, skipped: {', '.join(skipped[:5])}" if skipped else ""
        yield r.passed(f"{parsed} code cells parse as Python{note}.", location=where, cells=parsed)


def _placeholders(cells: list[Cell], where: str) -> Iterator[Finding]:
    r = rule("notebook.E019")
    found = False
    for cell in cells:
        if cell.kind not in ("code", "markdown"):
            continue
        hits = []
        for line_no, line in enumerate(cell.source.split("\n"), start=1):
            for m in (*_PLACEHOLDER_ANY_CASE.finditer(line), *_PLACEHOLDER_UPPER.finditer(line)):
                hits.append((line_no, m.group()[:60]))
        if hits:
            found = True
            line_no, text = hits[0]
            more = f" (and {len(hits) - 1} more in this cell)" if len(hits) > 1 else ""
            yield r.failed(f"Cell {cell.number}, line {line_no}: placeholder {text!r}{more}.", location=cell.where,
                           line=line_no, count=len(hits))
    if not found:
        yield r.passed("No template placeholders left.", location=where)


def _secrets(data: dict, cells: list[Cell], where: str) -> Iterator[Finding]:
    secret, account = rule("notebook.E020"), rule("notebook.W021")
    secret_found = account_found = False

    def places(cell: Cell) -> Iterator[tuple[str, str, bool]]:
        yield "source", cell.source, cell.kind == "code"
        for k, output in enumerate(cell.outputs, start=1):
            for text in output_texts(output):
                yield f"output {k}", text, False

    for cell in cells:
        for place, text, is_code in places(cell):
            for what, masked in find_secrets(text):
                secret_found = True
                yield secret.failed(f"Cell {cell.number} {place}: {what} {masked}.", location=cell.where,
                                    kind=what, place=place)
            for masked in dict.fromkeys(find_account_ids(text, code=is_code)):
                account_found = True
                yield account.failed(f"Cell {cell.number} {place}: account id {masked}.", location=cell.where,
                                     place=place)
    try:
        meta = json.dumps(data.get("metadata", {}))
    except (TypeError, ValueError, RecursionError):
        meta = ""
    for what, masked in find_secrets(meta):
        secret_found = True
        yield secret.failed(f"Notebook metadata: {what} {masked}.", location=where, kind=what, place="metadata")
    if not secret_found:
        yield secret.passed("No credentials in sources, outputs or metadata.", location=where)
    if not account_found:
        yield account.passed("No account id outside an ARN.", location=where)


def _outputs(cells: list[Cell], where: str) -> Iterator[Finding]:
    each, total_rule = rule("notebook.W022"), rule("notebook.W023")
    total, largest, too_big = 0, 0, False
    for cell in cells:
        for k, output in enumerate(cell.outputs, start=1):
            try:
                size = len(json.dumps(output, separators=(",", ":")).encode())
            except (TypeError, ValueError, RecursionError):
                size = 0
            total += size
            largest = max(largest, size)
            if size > each.limit:
                too_big = True
                yield each.failed(f"Cell {cell.number} output {k} is {human_size(size)}; keep each output at most "
                                  f"{each.limit}.", location=cell.where, size=size, limit=int(each.limit))
    if not too_big:
        yield each.passed(f"Largest output {human_size(largest)}, within {each.limit}.", location=where,
                          largest=largest)
    if total > total_rule.limit:
        yield total_rule.failed(f"Outputs total {human_size(total)}; keep them at most {total_rule.limit}.",
                                location=where, size=total, limit=int(total_rule.limit))
    else:
        yield total_rule.passed(f"Outputs total {human_size(total)}, within {total_rule.limit}.", location=where,
                                size=total)


def _errors(cells: list[Cell], where: str) -> Iterator[Finding]:
    r = rule("notebook.W027")
    found = False
    for cell in cells:
        for k, output in enumerate(cell.outputs, start=1):
            if output.get("output_type") == "error":
                found = True
                name = str(output.get("ename") or "an error")[:80]
                yield r.failed(f"Cell {cell.number} output {k} is {name}.", location=cell.where)
    if not found:
        yield r.passed("No saved error outputs.", location=where)


def _arns_and_buckets(cells: list[Cell], where: str) -> Iterator[Finding]:
    malformed, per_region, bucket = rule("notebook.E025"), rule("notebook.W024"), rule("notebook.W026")
    arns: list[tuple[Cell, str]] = []
    keyed_regions: set[str] = set()
    bad = False
    bucket_found = False
    for cell in cells:
        if cell.kind != "code":
            continue
        for m in _ARN.finditer(cell.source):
            arns.append((cell, m.group()))
            if not arn_well_formed(m.group()):
                bad = True
                yield malformed.failed(f"Cell {cell.number}: {m.group()[:120]!r} does not match "
                                       "arn:aws:sagemaker:<region>:<12 digits>:model-package/<name> (or "
                                       "…:algorithm/<name>).", location=cell.where)
        keyed_regions.update(_REGION_KEYED_ARN.findall(cell.source))
        for m in (*_S3_LITERAL.finditer(cell.source), *_BUCKET_ASSIGN.finditer(cell.source)):
            if PUBLIC_BUCKETS.fullmatch(m.group(1)):
                continue
            bucket_found = True
            yield bucket.failed(f"Cell {cell.number}: bucket {m.group(1)!r} is hard-coded.", location=cell.where,
                                bucket=m.group(1))
    if not arns:
        yield malformed.not_run("The notebook names no product ARN literally.", location=where)
        yield per_region.not_run("The notebook names no product ARN literally (the buyer pastes it).",
                                 location=where)
    else:
        if not bad:
            yield malformed.passed(f"{len(arns)} product ARN(s), all well-formed.", location=where)
        templated = [arn for _, arn in arns if _TEMPLATE.search(arn.split(":", 5)[3] if arn.count(":") >= 5 else "")]
        literal_regions = {arn.split(":")[3] for _, arn in arns if arn.count(":") >= 5}
        literal_regions = {r for r in literal_regions if _REGION.fullmatch(r)}
        if len(keyed_regions) >= 2 or templated or len(literal_regions) >= 2:
            regions = len(keyed_regions | literal_regions)
            yield per_region.passed(f"ARNs chosen per Region ({regions} Regions listed)." if regions > 1 else
                                    "The ARN is built from the Region variable.", location=where)
        else:
            cell = arns[0][0]
            region = next(iter(literal_regions), "one Region")
            yield per_region.failed(f"Cell {cell.number}: only an ARN for {region} is given; buyers elsewhere cannot "
                                    "run the notebook.", location=cell.where, region=region)
    if not bucket_found:
        yield bucket.passed("No hard-coded S3 bucket.", location=where)


def check_notebook(f: ArtifactFile, kind: str) -> list[Finding]:
    out = _Findings()
    where = f"file:{f.name}"
    data = _load(f, out, kind)
    if data is None:
        return out.items
    cells = cells_of(data)
    steps = [
        (("notebook.W007", "notebook.E006"), lambda: _kernel(data, where)),
        (("notebook.E008",), lambda: _code(cells, where)),
        (tuple(s.code for s in SECTIONS), lambda: _workflow(cells, kind, where) if kind in BOTH else iter(())),
        (("notebook.E019",), lambda: _placeholders(cells, where)),
        (("notebook.E020", "notebook.W021"), lambda: _secrets(data, cells, where)),
        (("notebook.W022", "notebook.W023"), lambda: _outputs(cells, where)),
        (("notebook.W027",), lambda: _errors(cells, where)),
        (("notebook.E025", "notebook.W024", "notebook.W026"), lambda: _arns_and_buckets(cells, where)),
    ]
    for codes, step in steps:
        try:
            out.extend(list(step()))
        except Exception as exc:  # noqa: BLE001 - one failing step must not hide the others
            for code in codes:
                out.add(rule(code).not_run(f"stopped unexpectedly ({type(exc).__name__}); please report this",
                                           location=where))
    if kind not in BOTH:
        for section in SECTIONS:
            if section.kinds == BOTH:
                out.add(rule(section.code).not_run(f"the product kind {kind!r} is not model_package or algorithm",
                                                   location=where))
    for code, count in out.counts.items():
        if count > MAX_REPORTED:
            out.items.append(rule(code).failed(f"{count - MAX_REPORTED} more findings like the ones above.",
                                               location=where, more=count - MAX_REPORTED))
    return out.items


@check(name="notebook.sample_notebook", title="Sample notebook", stage=STAGE_NOTEBOOK, codes=CODES, time_limit=60.0)
def sample_notebook(subject: Subject) -> Iterator[Finding]:
    listing = subject.listing or {}
    kind = str(listing.get("kind") or "")
    notebooks = subject.files_of("notebook")
    provided = rule("notebook.E001")
    if not notebooks:
        url = str((listing.get("version") or {}).get("notebook_url") or "").strip()
        message = (f"The notebook at {url} is referenced but not uploaded; upload the .ipynb so it can be checked "
                   "and included in the submission bundle." if url else "No sample notebook uploaded.")
        yield provided.failed(message, location="field:notebook_url")
        return
    yield provided.passed(f"{len(notebooks)} notebook(s) uploaded.", location="field:notebook_url")
    for f in notebooks:
        yield from check_notebook(f, kind)
