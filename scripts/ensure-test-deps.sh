#!/usr/bin/env bash
# Installs the Debian packages the test suite drives for real (no downloads of our own: these come from
# Debian's archive) and fails loudly when a service the tests need cannot be reached.
set -euo pipefail

need=()
command -v chromium >/dev/null || need+=(chromium)
[ -x /bin/busybox ] || need+=(busybox-static)
command -v skopeo >/dev/null || need+=(skopeo)
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v zip >/dev/null || need+=(zip)
command -v unzip >/dev/null || need+=(unzip)
command -v bwrap >/dev/null || need+=(bubblewrap)
command -v ip >/dev/null || need+=(iproute2)
if [ ${#need[@]} -gt 0 ]; then
  echo "Installing Debian packages for the tests: ${need[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: ${need[*]} missing and not running as root; install them with apt-get." >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

python3 - <<'PY'
import socket, sys
for name, port in (("PostgreSQL", 5432), ("Redis", 6379)):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=3).close()
    except OSError as exc:
        sys.exit(f"error: {name} is not reachable on 127.0.0.1:{port} ({exc}). Start it (see .ci/run) and retry.")
PY
