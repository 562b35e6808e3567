"""Container image rules, static analysis (AWS_RULES.md §4–5; DESIGN.md "Container validation").

Codes E001–E009 are about the archive itself (broken or hostile input); E010 onwards about what SageMaker
and Marketplace ask of the image. ``limit`` holds the one AWS number each rule enforces, where it has one.
"""

from __future__ import annotations

from validation.findings import Severity
from validation.rules.base import MP_DOCS, SM_DOCS, Rule

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO
_UPLOAD = MP_DOCS + "ml-uploading-your-images.html"
_SECURITY = MP_DOCS + "ml-security-and-intellectual-property.html"
_REQS = MP_DOCS + "ml-listing-requirements-and-best-practices.html"
_LIMITS = MP_DOCS + "ml-service-restrictions-and-limits.html"
_INFER = SM_DOCS + "your-algorithms-inference-code.html"
_TRAIN = SM_DOCS + "your-algorithms-training-algo-dockerfile.html"
_ECR_QUOTAS = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/service-quotas.html"
_OCI = "https://github.com/opencontainers/image-spec/blob/main/layer.md"

RULES = [
    # -- the archive (hostile or broken input): nothing else can be trusted until these pass ------------------
    Rule("container.E001", "Image archive cannot be read", E, "MP", _UPLOAD,
         "Upload the plain tar written by `docker save IMAGE -o image.tar` (or `skopeo copy … oci-archive:`); "
         "re-upload if the file was cut short.", section="5"),
    Rule("container.E002", "Image manifest, index or config is missing or invalid", E, "MP", _UPLOAD,
         "Re-export the image with `docker save`; the archive needs manifest.json or an OCI index.json, and "
         "a config listing one diff_id per layer.", section="5"),
    Rule("container.E003", "A blob named by the manifest is missing", E, "MP", _UPLOAD,
         "Export the whole image (not selected layers); foreign/non-distributable layers cannot be pushed to "
         "ECR.", section="5"),
    Rule("container.E004", "Layer does not match its digest", E, "MP", _UPLOAD,
         "The archive was altered or damaged after export; export and upload it again.", section="5"),
    Rule("container.E005", "Layer exceeds decompression limits", E, "MP", _UPLOAD,
         "A layer expands far beyond its compressed size (a decompression bomb) or past the size limit; "
         "rebuild it from ordinary files.", section="5"),
    Rule("container.E006", "Unsafe path in a layer", E, "MP", _OCI,
         "Layer members must be relative paths inside the image; remove absolute names and '..' components.",
         section="5"),
    Rule("container.E007", "Link escapes the image root", E, "MP", _OCI,
         "Point symbolic and hard links at paths inside the image, and never write files through a "
         "symbolic link.", section="5"),
    Rule("container.E008", "Device node in a layer", E, "MP", _OCI,
         "Remove character and block devices from the image; the runtime creates /dev itself.", section="5"),
    Rule("container.E009", "Layer larger than ECR accepts", E, "MP", _ECR_QUOTAS,
         "ECR refuses layers over {limit:,} MiB; split the content over several layers or slim it down.",
         limit=52_000, section="5"),
    # -- what SageMaker and Marketplace need ---------------------------------------------------------------
    Rule("container.E010", "Image platform does not fit the instance types", E, "MP", _REQS,
         "Build linux/amd64 for x86 instance types and linux/arm64 only for Graviton (arm64) types, or "
         "choose instance types that match the image.", section="4"),
    Rule("container.E011", "The image does not start `serve`", E, "SM", _INFER,
         "SageMaker runs `docker run IMAGE serve`: use an exec-form ENTRYPOINT that handles the argument "
         "`serve`, or put an executable named `serve` on the PATH.", section="5"),
    Rule("container.E012", "The image does not start `train`", E, "SM", _TRAIN,
         "SageMaker runs `docker run IMAGE train` for training jobs: use an exec-form ENTRYPOINT that "
         "handles `train`, or put an executable named `train` on the PATH.", section="5"),
    Rule("container.E013", "ENTRYPOINT in shell form", E, "SM", _INFER,
         'Write ENTRYPOINT ["/path/to/program"] (exec form): in shell form `sh -c` swallows the `serve` '
         "argument and the program never receives SIGTERM.", section="5"),
    Rule("container.E014", "Image runs as a non-root user", E, "SM", _INFER,
         "Remove the USER instruction (or set USER root): SageMaker's container contract runs the image as "
         "root.", section="5"),
    Rule("container.W015", "Port 8080 is not what the image exposes", W, "SM", _INFER,
         "SageMaker sends requests to port 8080 (or to SAGEMAKER_BIND_TO_PORT when the label "
         "com.amazonaws.sagemaker.capabilities.accept-bind-to-port=true is set); EXPOSE 8080.",
         aws_rejects=False, limit=8080, section="5"),
    Rule("container.E016", "NVIDIA driver bundled in the image", E, "FAQ", _REQS,
         "Remove libcuda.so, libnvidia-*.so and nvidia kernel modules: the host provides the driver "
         "(CUDA's stubs/ and cuda-compat are fine).", section="5"),
    Rule("container.W017", "CUDA libraries without GPU instance types", W, "FAQ", _REQS,
         "The image carries CUDA but no GPU instance type is chosen: add GPU types or build a smaller CPU "
         "image.", aws_rejects=False, section="5"),
    Rule("container.W018", "GPU instance types without CUDA libraries", W, "FAQ", _REQS,
         "GPU instance types are chosen but no CUDA runtime (libcudart, libcublas, libcudnn) was found: the "
         "model will run on the CPU, or fail.", aws_rejects=False, section="5"),
    Rule("container.W019", "Framework in the image differs from the one declared", W, "FAQ", _REQS,
         "Declare the framework (and version) the image really uses, so buyers and reviewers see the truth.",
         aws_rejects=False, section="5"),
    Rule("container.E020", "AWS credentials in the image", E, "MP", _SECURITY,
         "Remove the key from files, ENV, labels and build arguments (a later `rm` does not remove it from "
         "earlier layers), rebuild, and rotate the key now: every buyer can read it.",
         aws_rejects=False, section="5"),
    Rule("container.W021", "Secrets in the image", W, "MP", _SECURITY,
         "Private keys, tokens and credential files in an image are readable by every buyer; remove them "
         "(and rotate them) unless the product needs them.", aws_rejects=False, section="5"),
    Rule("container.W022", "The container may download at run time", W, "MP", _LIMITS,
         "SageMaker runs Marketplace containers with no network: bake models and packages into the image "
         "(e.g. from_pretrained('/opt/ml/model') or local_files_only=True; no pip/curl at start-up).",
         aws_rejects=False, section="5"),
    Rule("container.W023", "Space wasted by files later layers hide", W, "FAQ", _REQS,
         "Delete files in the same RUN that creates them (or use a multi-stage build): hidden files still "
         "ship and slow every start-up. Warned above {limit:.0%} of the image.",
         aws_rejects=False, limit=0.10, section="5"),
    Rule("container.W024", "Package caches left in the image", W, "FAQ", _REQS,
         "Use `pip install --no-cache-dir`, `rm -rf /var/lib/apt/lists/*` and `conda clean -afy` in the "
         "same RUN. Warned above {limit:,} bytes.", aws_rejects=False, limit=1024 * 1024, section="5"),
    Rule("container.I025", "Image size by layer", I, "FAQ", _REQS,
         "Image size drives start-up time; the largest layers and the waste are listed.",
         aws_rejects=False, section="5"),
    Rule("container.I026", "Software bill of materials", I, "MP", _SECURITY,
         "OS and Python packages found in the image (CycloneDX); ECR scanning blocks Critical and High "
         "vulnerabilities.", aws_rejects=False, section="5"),
]

RULES_BY_CODE = {r.code: r for r in RULES}
