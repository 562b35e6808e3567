"""Rehearsal-run rules: the seller's container run the way SageMaker runs it (AWS_RULES.md §5).

Each AWS number the rehearsal enforces is held here once, in ``Rule.limit`` (seconds as floats, sizes in
bytes). Numbers another area already holds are *referenced*, not copied: the port comes from
``container.W015`` and the payload sizes from ``data.W013``/``data.E014``/``data.E015``. The run's own
budgets (``validation.container.rehearsal.budgets``) default to these limits; tests pass short ones.
"""

from __future__ import annotations

from validation.findings import Severity
from validation.rules import container as _container
from validation.rules import data as _data
from validation.rules.base import MP_DOCS, SM_DOCS, Rule

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO
_INFER = SM_DOCS + "your-algorithms-inference-code.html"
_BATCH = SM_DOCS + "your-algorithms-batch-code.html"
_TRAIN_RUN = SM_DOCS + "your-algorithms-training-algo-dockerfile.html"
_TRAIN_OUT = SM_DOCS + "your-algorithms-training-algo-output.html"
_TRAIN_CFG = SM_DOCS + "your-algorithms-training-algo-running-container.html"
_METRICS = SM_DOCS + "training-metrics.html"
_LIMITS = MP_DOCS + "ml-service-restrictions-and-limits.html"
_PRICING = MP_DOCS + "machine-learning-pricing.html"
_SECURITY = MP_DOCS + "ml-security-and-intellectual-property.html"
_REQS = MP_DOCS + "ml-listing-requirements-and-best-practices.html"

_DATA = {r.code: r for r in _data.RULES}
PORT = _container.RULES_BY_CODE["container.W015"].limit  # 8080, held by the static rule

RULES = [
    Rule("rehearsal.I001", "Rehearsal sandbox", I, "SM", _INFER,
         "The container ran in a sandbox with no network but loopback; the runner, the limits and how they "
         "were enforced are shown here.", aws_rejects=False, section="5"),
    Rule("rehearsal.E002", "The container starts and keeps running", E, "SM", _INFER,
         "SageMaker runs `docker run IMAGE serve`; the process must start and keep serving. Read the "
         "container log below for why it stopped.", section="5"),
    Rule("rehearsal.E003", "Accepts connections on the serving port within 250 ms", E, "SM", _INFER,
         "Listen on port 8080 (or SAGEMAKER_BIND_TO_PORT) and accept connections promptly: a connection must "
         "be accepted within {limit:g} s.", limit=0.25, section="5"),
    Rule("rehearsal.E004", "/ping is healthy within the start-up limit", E, "SM", _INFER,
         "GET /ping must answer 200 within {limit:g} s of the container starting; load the model faster "
         "(bake it into the image, avoid downloads) or answer 503 until it is ready.", limit=480.0,
         section="5"),
    Rule("rehearsal.W005", "/ping is healthy within the recommended start-up time", W, "SM", _INFER,
         "AWS recommends being healthy within {limit:g} s; slow start-ups delay every endpoint and batch job.",
         aws_rejects=False, limit=240.0, section="5"),
    Rule("rehearsal.E006", "Every /ping answers within 2 s", E, "SM", _INFER,
         "Answer GET /ping within {limit:g} s even while the model loads (answer 503 until ready); do the "
         "loading in another thread or process.", limit=2.0, section="5"),
    Rule("rehearsal.W007", "/ping answers 200 or 503", W, "SM", _INFER,
         "/ping means \"can serve\": answer 503 while loading and 200 when ready; other statuses (404, 500) "
         "make SageMaker's health check fail.", aws_rejects=False, section="5"),
    Rule("rehearsal.E008", "POST /invocations answers every sample", E, "SM", _INFER,
         "The container must answer each sample input, for each content type the listing declares, with a "
         "2xx status.", section="5"),
    Rule("rehearsal.E009", "Real-time /invocations answers within 60 s", E, "SM", _INFER,
         "Real-time requests time out after {limit:g} s; make inference faster or use a bigger instance type.",
         limit=60.0, section="5"),
    Rule("rehearsal.E010", "Batch /invocations answers within 60 min", E, "SM", _BATCH,
         "Batch transform requests time out after {limit:g} s; lower MaxPayloadInMB or speed up inference.",
         limit=3600.0, section="5"),
    Rule("rehearsal.E011", "Response Content-Type is a declared response MIME type", E, "SM", _INFER,
         "Answer with one of the response MIME types the listing declares (honour the Accept header), or "
         "declare the type the container really returns.", section="5"),
    Rule("rehearsal.W012", "Response matches the seller's sample output", W, "EX", _REQS,
         "Buyers compare the real answer with the published sample output: regenerate the sample output "
         "with this image, or fix the model.", aws_rejects=False, section="6"),
    Rule("rehearsal.W013", "Real-time sample is over the classic payload limit", W, "SM", _INFER,
         "Sent anyway; many clients still cap real-time bodies at {limit}. Keep real-time samples small.",
         aws_rejects=False, limit=_DATA["data.W013"].limit, section="5"),
    Rule("rehearsal.E014", "Real-time sample is over the maximum payload", E, "SM", _INFER,
         "Not sent: InvokeEndpoint refuses bodies over {limit}.", limit=_DATA["data.E014"].limit, section="5"),
    Rule("rehearsal.E015", "Batch sample is over the batch payload limit", E, "SM", _BATCH,
         "Not sent: batch transform sends at most {limit} per request.", limit=_DATA["data.E015"].limit,
         section="5"),
    Rule("rehearsal.E016", "/execution-parameters answers valid settings", E, "SM", _BATCH,
         "GET /execution-parameters is optional; when offered it must answer JSON with integer "
         "MaxConcurrentTransforms ≥ 1, BatchStrategy MULTI_RECORD or SINGLE_RECORD and integer "
         "MaxPayloadInMB from 0 to the batch payload limit.", section="5"),
    Rule("rehearsal.E017", "Serves batch with SageMaker's batch environment", E, "SM", _BATCH,
         "With SAGEMAKER_BATCH=true, SAGEMAKER_MAX_PAYLOAD_IN_MB, SAGEMAKER_BATCH_STRATEGY and "
         "SAGEMAKER_MAX_CONCURRENT_TRANSFORMS set, the container must become healthy and answer the batch "
         "samples.", section="5"),
    Rule("rehearsal.E018", "Stops within 30 s of SIGTERM", E, "SM", _INFER,
         "SageMaker sends SIGTERM and kills the container {limit:g} s later: handle SIGTERM (the main process "
         "is PID 1, which ignores signals it has no handler for) and exit promptly.", limit=30.0, section="5"),
    Rule("rehearsal.E019", "Per-inference pricing: the metering header", E, "MP", _PRICING,
         "With per-inference pricing, answer each billable request with the header "
         'X-Amzn-Inference-Metering: {{"Dimension": "inference.count", "ConsumedUnits": N}} (N ≥ 1), or '
         "AWS bills one unit per call.", section="3"),
    Rule("rehearsal.E020", "No outbound network connections", E, "FAQ", _LIMITS,
         "Marketplace containers run with no network at all: bundle every model, package and file in the "
         "image and remove DNS lookups and connections to other hosts.", section="5"),
    Rule("rehearsal.W021", "Writes outside /tmp", W, "SM", _INFER,
         "Only /tmp is writable in the rehearsal (and /opt/ml/model is read-only in SageMaker): write caches "
         "and scratch files under /tmp.", aws_rejects=False, section="5"),
    Rule("rehearsal.W022", "Secrets printed to the container log", W, "MP", _SECURITY,
         "The log showed secret-looking values (masked here): CloudWatch logs are read by the buyer's "
         "account. Stop printing them, and rotate them.", aws_rejects=False, section="5"),
    Rule("rehearsal.I023", "Container log", I, "SM", _INFER,
         "The container's own output during the rehearsal, size-capped, secrets masked.",
         aws_rejects=False, section="5"),
    Rule("rehearsal.E024", "`train` succeeds", E, "SM", _TRAIN_RUN,
         "`docker run IMAGE train` must exit 0 with the listing's default hyperparameters and the sample "
         "channel data; the failure reason and the log are shown.", section="5"),
    Rule("rehearsal.E025", "`train` writes the model to /opt/ml/model", E, "SM", _TRAIN_OUT,
         "Write the trained model under /opt/ml/model; SageMaker packs that folder as model.tar.gz for "
         "serving.", section="5"),
    Rule("rehearsal.W026", "A failed `train` writes /opt/ml/output/failure", W, "SM", _TRAIN_OUT,
         "On failure write the reason to /opt/ml/output/failure (SageMaker shows its first {limit:,} "
         "characters) and exit non-zero.", aws_rejects=False, limit=1024, section="5"),
    Rule("rehearsal.W027", "Metric regexes match the real training log", W, "SM", _METRICS,
         "Print each metric in a line the declared regex matches (its first group is the value).",
         aws_rejects=False, section="4"),
    Rule("rehearsal.E028", "Serves the model `train` produced", E, "SM", _TRAIN_CFG,
         "After training, `serve` must load the model from /opt/ml/model and answer /ping and /invocations.",
         section="5"),
    Rule("rehearsal.E029", "Model data unpacks into /opt/ml/model", E, "SM", _INFER,
         "Upload the model as one .tar.gz of ordinary files with relative paths; SageMaker extracts it into "
         "/opt/ml/model.", section="4"),
]

RULES_BY_CODE = {r.code: r for r in RULES}
CODES = tuple(RULES_BY_CODE)
