"""Secrets in files, environment, labels and build history — found, located, and never repeated in clear.

Anything in an image is readable by every buyer (``docker save`` and look), including files a later layer
deleted. Values are masked before they reach a report; only a prefix of a key *id* is kept so a seller can
tell which key to rotate.
"""

from __future__ import annotations

import re

from validation.container.report import SecretHit

# One alternation, one pass over each text (group name = kind). Documented example keys are skipped.
_PATTERNS = re.compile(
    rb"(?P<aws_access_key>(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9]))"
    rb"|(?P<aws_secret_key>(?i:aws_?secret_?access_?key)['\"]?\s*[:=]\s*['\"]?[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+]))"
    rb"|(?P<private_key>-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----)"
    rb"|(?P<token>(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36}|hf_[A-Za-z0-9]{34}|xox[baprs]-[A-Za-z0-9-]{10,}"
    rb"|AIza[0-9A-Za-z_\-]{35}|sk_live_[0-9A-Za-z]{24,}|glpat-[0-9A-Za-z_\-]{20}))"
)
_AWS_KINDS = {"aws_access_key", "aws_secret_key"}
# Every pattern contains one of these literals; checking them with ``in`` first keeps the scan at memory
# speed for the (vast) majority of files that contain none.
_WORDS = (b"AKIA", b"ASIA", b"ecret", b"ECRET", b"PRIVATE KEY", b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_",
          b"hf_", b"xox", b"AIza", b"sk_live_", b"glpat-")

# File names that are credentials whatever they contain (checked on the path, not the bytes).
_CRED_FILES = re.compile(
    r"(^|/)(\.aws/credentials|\.env(\.[\w-]+)?|\.netrc|\.pypirc|\.git-credentials|\.docker/config\.json"
    r"|\.ssh/id_(rsa|dsa|ecdsa|ed25519)|id_(rsa|dsa|ecdsa|ed25519))$"
)
_NOT_SECRET_SUFFIX = (".example", ".sample", ".template", ".dist", ".pub")

# Environment names that hold secrets: whole ``_``-separated words, so TOKENIZERS_PARALLELISM is not a token.
_SENSITIVE_WORDS = {"SECRET", "PASSWORD", "PASSWD", "TOKEN", "APIKEY", "CREDENTIALS", "CREDENTIAL"}
_SENSITIVE_PAIRS = {("API", "KEY"), ("ACCESS", "KEY"), ("PRIVATE", "KEY"), ("SECRET", "KEY"), ("AUTH", "KEY")}
_AWS_ENV = {"AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN"}
_BUILD_ARG = re.compile(r"(?<![A-Za-z0-9_])([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|'[^']*'|[^\s\"']+)")


def mask(value: str, keep: int = 0) -> str:
    """``AKIA…`` style: at most ``keep`` leading characters, then the length — never the rest."""
    value = value.strip()
    if keep and len(value) > keep + 8:
        return f"{value[:keep]}…({len(value)} chars)"
    return f"••••({len(value)} chars)"


def sensitive_name(name: str) -> bool:
    words = [w for w in re.split(r"[^A-Za-z0-9]+", name.upper()) if w]
    if any(w in _SENSITIVE_WORDS for w in words):
        return True
    return any(pair in _SENSITIVE_PAIRS for pair in zip(words, words[1:]))


def is_credential_file(path: str) -> bool:
    return bool(_CRED_FILES.search(path)) and not path.endswith(_NOT_SECRET_SUFFIX)


def scan_bytes(data: bytes, where: str, location: str, limit: int = 20) -> list[SecretHit]:
    hits: list[SecretHit] = []
    if not any(w in data for w in _WORDS):
        return hits
    seen: set[tuple[str, str]] = set()
    for m in _PATTERNS.finditer(data):
        kind = m.lastgroup or "secret"
        text = m.group(0).decode("ascii", "replace")
        if "EXAMPLE" in text:
            continue
        line = data.count(b"\n", 0, m.start()) + 1
        shown = text if kind == "private_key" else mask(text, 4 if kind in ("aws_access_key", "token") else 0)
        key = (kind, shown)
        if key in seen:
            continue
        seen.add(key)
        loc = f"{location}:line {line}" if where == "file" else location
        hits.append(SecretHit(kind.replace("_", "-"), where, loc, shown, aws=kind in _AWS_KINDS))
        if len(hits) >= limit:
            break
    return hits


def scan_env(env: dict[str, str]) -> tuple[dict[str, str], list[SecretHit]]:
    """The environment with sensitive values masked, and what in it is a secret."""
    masked: dict[str, str] = {}
    hits: list[SecretHit] = []
    for name, value in env.items():
        found = scan_bytes(value.encode("utf-8", "replace"), "env", f"env:{name}")
        if name in _AWS_ENV and value:
            hits.append(SecretHit("aws-credential-env", "env", f"env:{name}", mask(value), aws=True))
        elif sensitive_name(name) and value and not found:
            hits.append(SecretHit("sensitive-env", "env", f"env:{name}", mask(value)))
        hits.extend(found)
        masked[name] = mask(value) if (found or (sensitive_name(name) and value) or name in _AWS_ENV) else value
    return masked, hits


def scan_history(lines: list[str]) -> list[SecretHit]:
    """``RUN |2 HF_TOKEN=… /bin/sh -c …`` keeps build arguments forever in the image's history."""
    hits: list[SecretHit] = []
    for i, line in enumerate(lines):
        loc = f"history:{i}"
        found = scan_bytes(line.encode("utf-8", "replace"), "history", loc)
        hits.extend(found)
        if found:
            continue
        for name, value in _BUILD_ARG.findall(line):
            if sensitive_name(name) and value.strip("\"'"):
                hits.append(SecretHit("build-arg", "history", f"{loc}:{name}", mask(value),
                                      aws=name in _AWS_ENV))
    return hits


def mask_text(text: str) -> str:
    """The same text with anything secret-looking replaced (for history lines and commands in reports)."""
    out = _BUILD_ARG.sub(lambda m: f"{m.group(1)}={mask(m.group(2).strip(chr(34) + chr(39)))}"
                         if sensitive_name(m.group(1)) else m.group(0), text)

    def repl(m: re.Match[bytes]) -> bytes:
        return mask(m.group(0).decode("ascii", "replace"), 4).encode()

    return _PATTERNS.sub(repl, out.encode("utf-8", "replace")).decode("utf-8", "replace")
