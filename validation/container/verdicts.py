"""Facts (``ImageReport``) plus the listing → findings with rule codes. Pure; no I/O.

Every rule the static check owns yields at least one finding per image — passed, failed or not run (with
why) — so a reviewer can see that, e.g., the secret scan ran and found nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from validation.container import frameworks, instances
from validation.container.report import ImageReport
from validation.findings import Finding
from validation.rules.container import RULES_BY_CODE as R

ARCHIVE_CODES = tuple(f"container.E00{i}" for i in range(1, 9))
CODES = tuple(R)
ROOT_USERS = {"", "root", "0", "0:0", "root:root", "root:0", "0:root"}
SHELLS = {"sh", "bash", "dash", "ash", "zsh", "ksh"}
BIND_LABEL = "com.amazonaws.sagemaker.capabilities.accept-bind-to-port"
_MAX_PER_CODE = 20


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:,.1f} MB"


def is_shell_form(argv: list[str]) -> bool:
    return len(argv) >= 2 and argv[0].rsplit("/", 1)[-1] in SHELLS and argv[1] in ("-c", "-lc")


def findings(report: ImageReport, listing: Mapping, *, role: str = "", where: str = "image") -> list[Finding]:
    """``role``: "inference" or "training" when the seller said which job this image serves; else from kind."""
    return list(_findings(report, listing, role, where))


def _findings(report: ImageReport, listing: Mapping, role: str, where: str) -> Iterator[Finding]:
    by_code: dict[str, list] = {}
    for p in report.problems:
        by_code.setdefault(p.code, []).append(p)
    unread = "Not run: the image could not be read (see the failures above)."
    for code in CODES:
        probs = by_code.get(code, [])
        for p in probs[:_MAX_PER_CODE]:
            yield R[code].failed(p.message, location=p.location or where, **p.measured)
        if len(probs) > _MAX_PER_CODE:
            yield R[code].failed(f"… and {len(probs) - _MAX_PER_CODE} more like this.", location=where)
        if code in ARCHIVE_CODES and not probs:
            yield R[code].passed(location=where) if report.layers else R[code].not_run(unread, location=where)
    if not report.layers:
        for code in CODES:
            if code not in ARCHIVE_CODES:
                yield R[code].not_run(unread, location=where)
        return
    partial = "" if report.complete else " (partial: not every layer could be read)"
    yield from _layers(report, where)
    yield from _platform(report, listing, where)
    yield from _commands(report, listing, role, where, partial)
    yield from _gpu(report, listing, where, partial)
    yield from _framework(report, listing, where, partial)
    yield from _secrets(report, where, partial)
    yield from _space(report, where, partial)


def _layers(report: ImageReport, where: str) -> Iterator[Finding]:
    ecr = R["container.E009"]
    big = [lr for lr in report.layers if lr.size_compressed > ecr.limit * 1024 * 1024]
    for lr in big:
        yield ecr.failed(f"Layer {lr.index} is {_mb(lr.size_compressed)}; ECR accepts at most {ecr.limit:,} MiB.",
                         location=f"layer:{lr.index}", size=lr.size_compressed, max_mib=ecr.limit)
    if not big:
        yield ecr.passed(location=where)
    layers = [{"index": lr.index, "compressed": lr.size_compressed, "uncompressed": lr.size_uncompressed,
               "files": lr.files, "wasted": lr.wasted_bytes, "created_by": lr.created_by[:200]}
              for lr in report.layers]
    yield R["container.I025"].passed(
        f"{len(report.layers)} layers, {_mb(report.size_compressed)} stored, {_mb(report.size_uncompressed)} "
        f"unpacked, {_mb(report.size_final)} in the final file system.", location=where,
        compressed=report.size_compressed, uncompressed=report.size_uncompressed, final=report.size_final,
        layers=layers)
    counts: dict[str, int] = {}
    for p in report.packages:
        counts[p.ecosystem] = counts.get(p.ecosystem, 0) + 1
    listed = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no packages"
    yield R["container.I026"].passed(f"SBOM: {listed}." + (f" Note: {'; '.join(report.package_notes)}."
                                                           if report.package_notes else ""),
                                     location=where, packages=counts, notes=report.package_notes)


def _platform(report: ImageReport, listing: Mapping, where: str) -> Iterator[Finding]:
    rule = R["container.E010"]
    cfg = report.config
    if cfg.os != "linux":
        yield rule.failed(f"The image is built for os {cfg.os or '(none)'!r}; SageMaker runs linux images.",
                          location="config:os", os=cfg.os)
        return
    if not instances.available():
        yield rule.not_run("Not run: instance-type facts (validation.aws_models) are unavailable.", location=where)
        return
    facts = instances.all_declared(listing)
    if not facts:
        yield rule.not_run("Not run: no instance types are chosen yet.", location="field:instance_types")
        return
    archs = {instances.OCI_ARCH.get(cfg.architecture, cfg.architecture)}
    archs |= {instances.OCI_ARCH.get(p.split("/")[1], p.split("/")[1]) for p in report.platforms_available
              if p.count("/") >= 1}
    wrong = [f.name for f in facts if f.architecture not in archs]
    if wrong:
        need = sorted({f.architecture for f in facts if f.name in wrong})
        yield rule.failed(f"The image is linux/{cfg.architecture}, but {', '.join(wrong)} need {', '.join(need)}.",
                          location="field:instance_types", image=cfg.architecture, types=wrong)
    else:
        yield rule.passed(f"linux/{cfg.architecture} fits all {len(facts)} instance types.", location=where)


def _commands(report: ImageReport, listing: Mapping, role: str, where: str, partial: str) -> Iterator[Finding]:
    cfg = report.config
    shell = is_shell_form(cfg.entrypoint)
    if shell:
        yield R["container.E013"].failed(f"ENTRYPOINT is {cfg.entrypoint!r}: `sh -c` drops the argument "
                                         "SageMaker passes.", location="config:Entrypoint",
                                         entrypoint=cfg.entrypoint)
    else:
        yield R["container.E013"].passed(location="config:Entrypoint")
    algorithm = listing.get("kind") == "algorithm"
    needs = {"serve": role != "training", "train": algorithm and role != "inference"}
    for word, code in (("serve", "container.E011"), ("train", "container.E012")):
        rule = R[code]
        if not needs[word]:
            yield rule.not_run(f"Not run: this image is not used for `{word}`.", location=where)
        elif shell:
            yield rule.not_run(f"Cannot tell: the shell-form ENTRYPOINT ignores `{word}` (see container.E013); "
                               "the rehearsal run shows what starts.", location="config:Entrypoint")
        elif cfg.entrypoint:
            found = report.executables.get("entrypoint", "")
            if found:
                yield rule.passed(f"ENTRYPOINT {found} receives `{word}` as its argument; the rehearsal run "
                                  "proves it handles it.", location="config:Entrypoint")
            elif partial:
                yield rule.not_run(f"Not run: ENTRYPOINT {cfg.entrypoint[0]} not found{partial}.",
                                   location="config:Entrypoint")
            else:
                yield rule.failed(f"ENTRYPOINT program {cfg.entrypoint[0]!r} is not an executable file in the "
                                  "image.", location="config:Entrypoint")
        elif report.executables.get(word):
            yield rule.passed(f"No ENTRYPOINT: `docker run IMAGE {word}` runs {report.executables[word]}.",
                              location=where)
        elif partial:
            yield rule.not_run(f"Not run: no `{word}` found on the PATH{partial}.", location=where)
        else:
            yield rule.failed(f"No ENTRYPOINT and no executable `{word}` on the PATH: `docker run IMAGE {word}` "
                              "fails." + (f" (CMD {cfg.cmd!r} is replaced by `{word}`.)" if cfg.cmd else ""),
                              location="config:Entrypoint")
    user = cfg.user.strip()
    if user in ROOT_USERS:
        yield R["container.E014"].passed(location="config:User")
    else:
        yield R["container.E014"].failed(f"USER is {user!r}.", location="config:User", user=user)
    port = R["container.W015"]
    if cfg.labels.get(BIND_LABEL, "").lower() == "true":
        yield port.passed(f"The image accepts SAGEMAKER_BIND_TO_PORT ({BIND_LABEL}=true): it must listen on the "
                          "port that variable names.", location="config:Labels")
    elif cfg.exposed_ports and not {f"{port.limit}/tcp", str(port.limit)} & set(cfg.exposed_ports):
        yield port.failed(f"The image exposes {', '.join(cfg.exposed_ports)} but SageMaker calls port {port.limit}.",
                          location="config:ExposedPorts", exposed=cfg.exposed_ports)
    else:
        yield port.passed("Port 8080 exposed." if cfg.exposed_ports else
                          "No EXPOSE; SageMaker calls port 8080 regardless.", location="config:ExposedPorts")


def _gpu(report: ImageReport, listing: Mapping, where: str, partial: str) -> Iterator[Finding]:
    driver = R["container.E016"]
    if report.nvidia_driver_files:
        yield driver.failed(f"NVIDIA driver files: {', '.join(report.nvidia_driver_files[:5])}"
                            + (" …" if len(report.nvidia_driver_files) > 5 else "") + ".",
                            location=f"path:{report.nvidia_driver_files[0]}", files=report.nvidia_driver_files)
    else:
        yield driver.passed(f"No NVIDIA driver bundled{partial}.", location=where)
    facts = instances.all_declared(listing) if instances.available() else []
    if not facts:
        for code in ("container.W017", "container.W018"):
            yield R[code].not_run("Not run: no instance types are chosen yet (or their facts are unavailable).",
                                  location="field:instance_types")
        return
    gpu = [f.name for f in facts if f.accelerator == "nvidia_gpu"]
    cuda = report.cuda_libraries
    if cuda and not gpu:
        yield R["container.W017"].failed(f"CUDA libraries ({', '.join(cuda[:3])}) but only non-GPU instance "
                                         "types are chosen.", location="field:instance_types", libraries=cuda[:10])
    else:
        yield R["container.W017"].passed(location=where)
    if gpu and not cuda:
        yield R["container.W018"].failed(f"{', '.join(gpu)} chosen, but no CUDA runtime library was found{partial}.",
                                         location="field:instance_types", types=gpu)
    else:
        yield R["container.W018"].passed(location=where)


def _framework(report: ImageReport, listing: Mapping, where: str, partial: str) -> Iterator[Finding]:
    rule = R["container.W019"]
    endpoint = listing.get("endpoint") or {}
    want = frameworks.declared(str(endpoint.get("framework") or ""))
    found = {p.name: p for p in report.frameworks}
    shown = ", ".join(f"{p.name} {p.version}".strip() for p in report.frameworks) or "none"
    if want is None:
        yield rule.passed(f"No framework declared; found: {shown}.", location="field:framework")
        return
    if want not in found:
        yield rule.failed(f"Declared {endpoint.get('framework')!r}, but the image has: {shown}{partial}.",
                          location="field:framework", declared=want, found=sorted(found))
        return
    version = str(endpoint.get("framework_version") or "").strip()
    got = found[want].version
    if version and not (got == version or got.startswith(version + ".") or got.startswith(version + "+")):
        yield rule.failed(f"Declared {want} {version}, but the image has {want} {got}.",
                          location="field:framework_version", declared=version, found=got)
    else:
        yield rule.passed(f"{want} {got} found, as declared.", location="field:framework")


def _secrets(report: ImageReport, where: str, partial: str) -> Iterator[Finding]:
    for code, aws in (("container.E020", True), ("container.W021", False)):
        rule = R[code]
        hits = [h for h in report.secrets if h.aws == aws]
        for h in hits[:_MAX_PER_CODE]:
            gone = "" if h.present else " (deleted by a later layer, but still inside the image)"
            yield rule.failed(f"{h.kind} in {h.where} {h.location}: {h.masked}{gone}.", location=h.location,
                              kind=h.kind, where=h.where, masked=h.masked)
        if len(hits) > _MAX_PER_CODE:
            yield rule.failed(f"… and {len(hits) - _MAX_PER_CODE} more.", location=where)
        if not hits:
            yield rule.passed(f"None found in files, environment, labels or history{partial}.", location=where,
                              text_bytes_scanned=report.text_bytes_scanned)
    hints = R["container.W022"]
    for h in report.download_hints[:_MAX_PER_CODE]:
        yield hints.failed(f"{h.kind}: {h.excerpt}", location=h.location, kind=h.kind)
    if not report.download_hints:
        yield hints.passed(f"No run-time download found in the command line or the application code{partial}.",
                           location=where)


def _space(report: ImageReport, where: str, partial: str) -> Iterator[Finding]:
    waste = R["container.W023"]
    share = report.wasted_bytes / report.size_uncompressed if report.size_uncompressed else 0.0
    top = [{"path": w.path, "size": w.size, "layer": w.layer, "hidden_by": w.hidden_by, "how": w.how}
           for w in report.top_wasted[:10]]
    if share > waste.limit:
        biggest = report.top_wasted[0] if report.top_wasted else None
        yield waste.failed(
            f"{_mb(report.wasted_bytes)} ({share:.0%}) of the image is hidden by later layers "
            f"(overwritten {_mb(report.overwritten_bytes)}, deleted {_mb(report.deleted_bytes)})"
            + (f"; largest: {biggest.path} ({_mb(biggest.size)}, layer {biggest.layer}, {biggest.how} in layer "
               f"{biggest.hidden_by})" if biggest else "") + ".",
            location=f"layer:{biggest.layer}:{biggest.path}" if biggest else where,
            wasted=report.wasted_bytes, share=round(share, 4), top=top)
    else:
        yield waste.passed(f"{_mb(report.wasted_bytes)} hidden by later layers ({share:.1%}).", location=where,
                           wasted=report.wasted_bytes, top=top)
    caches = R["container.W024"]
    total = sum(c.bytes for c in report.caches)
    if total > caches.limit:
        for c in report.caches:
            yield caches.failed(f"{c.kind} cache {c.path}: {_mb(c.bytes)} in {c.files:,} files.",
                                location=f"path:{c.path}", kind=c.kind, bytes=c.bytes, files=c.files)
    else:
        yield caches.passed(f"{_mb(total)} of package caches{partial}.", location=where, bytes=total)
