"""``analyse_image``: the static analysis of an uploaded image archive, in one streaming pass.

Order of work: index the outer tar (headers only) → read manifest/index/config → stream every layer in
layer order (digests, hostile members, waste, small files) → summarise the final file tree. Any failure of
the input becomes a ``Problem`` in the report; no exception from the archive escapes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping

from validation.container import frameworks
from validation.container.archive import ArchiveIndex, ImageError, ImageLayout, LayerRef, index_members, open_layout
from validation.container.content import CUDA_LIB, DRIVER, DRIVER_OK, ContentScanner, cache_kind
from validation.container.downloads import scan_command
from validation.container.instances import preferred_platforms
from validation.container.limits import DEFAULT_LIMITS, ReadLimits
from validation.container.report import CacheUse, ImageConfig, ImageReport, LayerReport
from validation.container.secrets import mask_text, scan_bytes, scan_env, scan_history
from validation.container.walker import LayerWalker

Progress = Callable[[int, int], None]
NewWalker = Callable[[ImageReport, ReadLimits, ContentScanner, Callable[[int], None]], LayerWalker]
ReadLayer = Callable[[LayerWalker, LayerRef, LayerReport], bool]  # False: stop the read here
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_OFFLINE = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
_LISTED = 50  # paths listed per kind in the report (all are counted)


class _CallbackError(Exception):
    """Raised by the caller's progress callback (e.g. a cancelled task): re-raised, never turned into a finding."""


def _strings(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def config_facts(config: Mapping) -> tuple[ImageConfig, dict[str, str], list]:
    """The config's runtime settings, the raw environment (kept out of the report) and secrets found in it."""
    c = config.get("config") if isinstance(config.get("config"), dict) else {}
    raw_env: dict[str, str] = {}
    for item in _strings(c.get("Env")):
        name, _, value = item.partition("=")
        raw_env[name] = value
    env, hits = scan_env(raw_env)
    labels = {str(k): str(v) for k, v in (c.get("Labels") or {}).items()} if isinstance(c.get("Labels"), dict) else {}
    for name, value in labels.items():
        found = scan_bytes(value.encode("utf-8", "replace"), "label", f"label:{name}")
        if found:
            hits.extend(found)
            labels[name] = mask_text(value)
    ports = c.get("ExposedPorts")
    # The command line is shown on pages and in messages: mask what looks secret (``--token=…``).
    facts = ImageConfig(
        os=str(config.get("os", "")), architecture=str(config.get("architecture", "")),
        variant=str(config.get("variant", "") or ""),
        entrypoint=[mask_text(a) for a in _strings(c.get("Entrypoint"))],
        cmd=[mask_text(a) for a in _strings(c.get("Cmd"))], env=env,
        exposed_ports=sorted(ports) if isinstance(ports, dict) else [], labels=labels,
        user=str(c.get("User") or ""), workdir=str(c.get("WorkingDir") or ""),
    )
    return facts, raw_env, hits


def _path_dirs(env: dict[str, str]) -> list[str]:
    return [d.strip("/") for d in env.get("PATH", DEFAULT_PATH).split(":") if d.startswith("/")]


def _script_paths(cfg: ImageConfig, env: dict[str, str]) -> set[str]:
    """Files the command line will run: scanned for download hints whatever their folder."""
    found = set()
    for token in cfg.entrypoint + cfg.cmd:
        found.update(p.strip("/") for p in re.findall(r"(?<![\w.])(/[\w.\-/]+)", token))
    names = ["serve", "train"] + ([cfg.entrypoint[0]] if cfg.entrypoint and "/" not in cfg.entrypoint[0] else [])
    for d in _path_dirs(env):
        found.update(f"{d}/{n}" if d else n for n in names)
    return {p for p in found if p}


def analyse_image(path: str | os.PathLike, listing: Mapping | None = None, progress: Progress | None = None,
                  *, limits: ReadLimits = DEFAULT_LIMITS) -> ImageReport:
    """Read the archive at ``path`` once and report what is in it. ``progress(done, total)`` gets bytes."""
    report = ImageReport(archive=os.path.basename(os.fspath(path)))
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        report.problem("container.E001", f"The archive cannot be opened: {exc.strerror}.")
        return report
    try:
        _analyse(fd, listing or {}, progress, limits, report)
    except _CallbackError as exc:
        raise exc.__cause__ or exc  # noqa: B904 - the caller's own exception, unchanged
    except ImageError as exc:
        report.problem(exc.code, exc.message, exc.location)
    except Exception as exc:  # a bug or an input we did not foresee: a finding, not a dead run
        report.problem("container.E001", f"The image could not be analysed ({type(exc).__name__}: {exc}).")
    finally:
        os.close(fd)
    return report


def _analyse(fd: int, listing: Mapping, progress: Progress | None, limits: ReadLimits,
             report: ImageReport) -> None:
    size = os.fstat(fd).st_size
    ix = ArchiveIndex(fd, size, index_members(fd, size, limits, report.problems), limits)
    layout = open_layout(ix, preferred_platforms(listing))

    def read_layer(walker: LayerWalker, ref: LayerRef, lr: LayerReport) -> bool:
        walker.read(fd, ref, lr)
        return True

    analyse_layout(layout, LayerWalker, read_layer, progress, limits, report)


def analyse_layout(layout: ImageLayout, new_walker: NewWalker, read_layer: ReadLayer, progress: Progress | None,
                   limits: ReadLimits, report: ImageReport) -> None:
    """Everything after the layout is known, whatever the source (archive or registry): config facts, every
    layer through the walker, the summary. ``read_layer`` returns False to stop before the next layer."""
    report.format, report.repo_tags = layout.format, layout.repo_tags
    report.manifest_digest, report.config_digest = layout.manifest_digest, layout.config_digest
    report.platforms_available, report.notes = layout.platforms_available, list(layout.notes)
    report.config, raw_env, config_secrets = config_facts(layout.config)

    history = [h for h in layout.config.get("history") or [] if isinstance(h, dict)]
    created = [mask_text(str(h.get("created_by", ""))) for h in history if not h.get("empty_layer")]
    secrets = config_secrets + scan_history([str(h.get("created_by", "")) for h in history])

    total = sum(ref.member.size for ref in layout.layers)
    state = {"done": 0, "told": 0}

    def meter(n: int) -> None:
        state["done"] += n
        if progress and state["done"] - state["told"] >= limits.progress_every:
            state["told"] = state["done"]
            _tell(progress, state["done"], total)

    offline = any(raw_env.get(k, "") not in ("", "0", "false") for k in _OFFLINE)
    scanner = ContentScanner(limits, _script_paths(report.config, raw_env), offline)
    walker = new_walker(report, limits, scanner, meter)
    for ref in layout.layers:
        lr = LayerReport(ref.index, ref.member.name, ref.digest, ref.diff_id, ref.media_type,
                         created_by=created[ref.index] if len(created) == len(layout.layers) else "")
        report.layers.append(lr)
        if not read_layer(walker, ref, lr):
            break
        if progress:
            _tell(progress, state["done"], total)
    _summarise(report, walker, scanner, raw_env, secrets)


def _tell(progress: Progress, done: int, total: int) -> None:
    try:
        progress(done, total)
    except Exception as exc:
        raise _CallbackError() from exc


def _summarise(report: ImageReport, walker: LayerWalker, scanner: ContentScanner, env: dict[str, str],
               secrets: list) -> None:
    tree = walker.tree
    caches: dict[tuple[str, str], list[int]] = {}
    for path, rec in tree.files():
        report.files_final += 1
        report.size_final += rec[1]
        hit = cache_kind(path)
        if hit:
            acc = caches.setdefault(hit, [0, 0])
            acc[0] += rec[1]
            acc[1] += 1
        if ".so" in path or ".ko" in path:
            if CUDA_LIB.search(path) and len(report.cuda_libraries) < _LISTED:
                report.cuda_libraries.append("/" + path)
            if DRIVER.search(path) and not DRIVER_OK.search("/" + path) and len(report.nvidia_driver_files) < _LISTED:
                report.nvidia_driver_files.append("/" + path)
    report.cuda_libraries.sort()
    report.nvidia_driver_files.sort()
    report.caches = sorted((CacheUse(k, "/" + p, b, n) for (k, p), (b, n) in caches.items()), key=lambda c: -c.bytes)

    report.size_compressed = sum(lr.size_compressed for lr in report.layers)
    report.size_uncompressed = sum(lr.size_uncompressed for lr in report.layers)
    report.wasted_bytes = report.overwritten_bytes + report.deleted_bytes
    if report.size_uncompressed:
        report.efficiency = round(1 - report.wasted_bytes / report.size_uncompressed, 4)
    report.top_wasted = walker.top_wasted()
    report.complete = bool(report.layers) and all(lr.complete for lr in report.layers)

    dirs = _path_dirs(env)

    def which(name: str) -> str:
        candidates = [name] if name.startswith("/") else [f"/{d}/{name}" for d in dirs]
        for cand in candidates:
            resolved, node = tree.resolve(cand)
            if isinstance(node, tuple) and node[3] in "fh" and node[2] & 0o111:
                return resolved
        return ""

    cfg = report.config
    report.executables = {"serve": which("serve"), "train": which("train")}
    argv0 = (cfg.entrypoint or cfg.cmd or [""])[0]
    if argv0:
        report.executables["entrypoint"] = which(argv0)

    for (hit, path, layer) in scanner.secrets:
        node = tree.get(path)
        hit.present = isinstance(node, tuple) and node[0] == layer
        secrets.append(hit)
    report.secrets = secrets
    report.download_hints = scan_command(cfg.entrypoint + cfg.cmd, "config:entrypoint/cmd") + scanner.hints
    report.text_bytes_scanned = scanner.text_bytes
    if scanner.skipped_budget:
        report.notes.append(f"{scanner.skipped_budget} small text files were not scanned (text budget reached).")
    report.package_notes = sorted(scanner.notes)
    packages = [p for _, pkgs in scanner.packages.values() for p in pkgs]
    report.packages = sorted(packages, key=lambda p: (p.ecosystem, p.name.lower(), p.version))
    report.frameworks = frameworks.detect(report.packages)
    if scanner.os_release:
        report.os_release = max(scanner.os_release.values(), key=lambda v: v[0])[1]
