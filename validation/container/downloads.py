"""Hints that the container fetches things at run time — which fails on SageMaker, where it has no network.

These are *hints* (a warning, never a failure): the rehearsal run is what proves a connection attempt. We
look at the command line, the scripts it names, and the seller's own code outside library folders.
"""

from __future__ import annotations

import re

from validation.container.report import DownloadHint

_SHELL = re.compile(
    rb"(?P<pip_install>\b(?:pip3?|uv pip|python3? -m pip) install\b)"
    rb"|(?P<conda_install>\b(?:conda|mamba|micromamba) install\b)"
    rb"|(?P<apt_install>\bapt(?:-get)? install\b)"
    rb"|(?P<curl>\bcurl\s+[^|\n]*https?://)"
    rb"|(?P<wget>\bwget\s+[^|\n]*https?://)"
    rb"|(?P<git_clone>\bgit clone\b)"
    rb"|(?P<s3_copy>\baws s3 (?:cp|sync)\b)"
    rb"|(?P<hub_cli>\bhuggingface-cli download\b)"
)
_PYTHON = re.compile(
    rb"(?P<from_pretrained>from_pretrained\(\s*(?P<q>['\"])(?P<model>[^'\"\n]+)(?P=q))"
    rb"|(?P<hub_download>\b(?:snapshot_download|hf_hub_download)\()"
    rb"|(?P<torch_hub>\btorch\.hub\.load\()"
    rb"|(?P<urlopen>\burllib\.request\.(?:urlopen|urlretrieve)\(\s*['\"]https?://)"
    rb"|(?P<requests>\brequests\.(?:get|post)\(\s*['\"]https?://)"
    rb"|(?P<nltk>\bnltk\.download\()"
    rb"|(?P<spacy>\bspacy\.cli\.download\()"
)
_HUB_KINDS = {"from_pretrained", "hub_download"}
# Literal words at least one of which every pattern above needs: ``in`` runs at memory speed, the
# alternation regex at a few MB/s, so the regex only sees the rare files that mention one of them.
_SHELL_WORDS = (b"install", b"curl", b"wget", b"git clone", b"aws s3", b"huggingface-cli")
_PYTHON_WORDS = (b"from_pretrained(", b"_download(", b"torch.hub", b"urllib.request", b"requests.", b"nltk.",
                 b"spacy.cli")


def _excerpt(data: bytes, start: int) -> str:
    line_start = data.rfind(b"\n", 0, start) + 1
    line_end = data.find(b"\n", start)
    line = data[line_start: line_end if line_end >= 0 else len(data)]
    return line.strip()[:160].decode("utf-8", "replace")


def scan_command(argv: list[str], where: str) -> list[DownloadHint]:
    text = " ".join(argv).encode("utf-8", "replace")
    return [DownloadHint(m.lastgroup or "download", where, text[:160].decode("utf-8", "replace"))
            for m in _SHELL.finditer(text)][:5]


def scan_code(data: bytes, location: str, *, python: bool, offline: bool, limit: int = 10) -> list[DownloadHint]:
    """``offline``: HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE set, so hub calls read the local cache only."""
    hits: list[DownloadHint] = []
    patterns = [pat for pat, words in ((_SHELL, _SHELL_WORDS), (_PYTHON, _PYTHON_WORDS if python else ()))
                if any(w in data for w in words)]
    for pattern in patterns:
        for m in pattern.finditer(data):
            kind = m.lastgroup or "download"  # the outer group closes last, so nested groups never win
            if kind in _HUB_KINDS and offline:
                continue
            if kind == "from_pretrained":
                call = data[m.start(): m.start() + 400].split(b")\n", 1)[0]
                # A path (/opt/ml/model, ./model) or local_files_only=True loads without the network.
                if m.group("model").startswith((b"/", b".", b"~")) or b"local_files_only" in call:
                    continue
            line = data.count(b"\n", 0, m.start()) + 1
            hits.append(DownloadHint(kind.replace("_", "-"), f"{location}:line {line}", _excerpt(data, m.start())))
            if len(hits) >= limit:
                return hits
    return hits
