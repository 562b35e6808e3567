"""Tiny SageMaker-style images for the rehearsal tests: /bin/busybox plus shell scripts, built with imagebuild.

The model server is busybox ``nc -ll -e``: a persistent listener that runs ``/opt/program/handler`` per
connection with the socket on stdin/stdout; the handler reads one HTTP request and answers it. Behaviour
is switched by small files in the image (``/opt/program/conf/*``), so every variant is the same server.
"""

from __future__ import annotations

from pathlib import Path

from tests.container import imagebuild as ib

HANDLER = r"""#!/bin/sh
# One HTTP/1.0 exchange: request on stdin, answer on stdout.
C=/opt/program/conf
read -r method path proto
len=0
while read -r line; do
  line=$(printf '%s' "$line" | tr -d '\r')
  [ -z "$line" ] && break
  case "$line" in
    [Cc]ontent-[Ll]ength:*) len=${line#*: } ;;
    [Cc]ontent-[Tt]ype:*) ctype=${line#*: } ;;
  esac
done
[ "$len" -gt 0 ] && head -c "$len" > /tmp/request.$$
respond() {  # status, content type, body file, extra header line (optional)
  size=$(wc -c < "$3")
  printf 'HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %s\r\n' "$1" "$2" "$size"
  [ -n "$4" ] && printf '%s\r\n' "$4"
  printf 'Connection: close\r\n\r\n'
  cat "$3"
}
case "$path" in
  /ping)
    if [ -f /tmp/ready ] || [ ! -f $C/load_seconds ]; then
      printf 'healthy\n' > /tmp/ping.$$; respond "200 OK" text/plain /tmp/ping.$$
    else
      printf 'loading\n' > /tmp/ping.$$; respond "503 Service Unavailable" text/plain /tmp/ping.$$
    fi ;;
  /invocations)
    [ -f $C/invoke_sleep ] && sleep "$(cat $C/invoke_sleep)"
    if [ -f $C/answer_from_model ]; then
      if [ -f /opt/ml/model/model.txt ]; then
        printf '0.91\n' > /tmp/answer.$$; respond "200 OK" text/csv /tmp/answer.$$
      else
        printf 'no model\n' > /tmp/answer.$$; respond "500 Internal Server Error" text/plain /tmp/answer.$$
      fi
    elif [ "$SAGEMAKER_BATCH" = "true" ]; then
      printf 'batch,%s,%s\n' "$SAGEMAKER_BATCH_STRATEGY" "$SAGEMAKER_MAX_PAYLOAD_IN_MB" > /tmp/answer.$$
      respond "200 OK" text/csv /tmp/answer.$$
    else
      respond "200 OK" "$(cat $C/answer_type)" $C/answer "$(cat $C/extra_header 2>/dev/null)"
    fi ;;
  /execution-parameters)
    if [ -f $C/execution_parameters ]; then respond "200 OK" application/json $C/execution_parameters
    else printf 'no\n' > /tmp/np.$$; respond "404 Not Found" text/plain /tmp/np.$$; fi ;;
  *) printf 'no\n' > /tmp/np.$$; respond "404 Not Found" text/plain /tmp/np.$$ ;;
esac
rm -f /tmp/*.$$
"""

SERVE = r"""#!/bin/sh
C=/opt/program/conf
echo "serve: starting on ${SAGEMAKER_BIND_TO_PORT:-8080} (batch=${SAGEMAKER_BATCH:-false})"
[ -f $C/prelude ] && . $C/prelude
if [ -f $C/ignore_term ]; then trap '' TERM; else trap 'echo "serve: SIGTERM, bye"; kill $pid; exit 0' TERM; fi
if [ -f $C/load_seconds ]; then (sleep "$(cat $C/load_seconds)"; touch /tmp/ready) & fi
busybox nc -ll -p "${SAGEMAKER_BIND_TO_PORT:-8080}" -e /opt/program/handler &
pid=$!
while :; do wait $pid; done
"""

TRAIN = r"""#!/bin/sh
echo "train: hyperparameters $(cat /opt/ml/input/config/hyperparameters.json | tr -d '\n ')"
echo "train: host $(cat /opt/ml/input/config/resourceconfig.json)"
if grep -q '"fail": "yes"' /opt/ml/input/config/hyperparameters.json; then
  echo "train: bad hyperparameter" >&2
  echo "Invalid hyperparameter fail=yes: training stopped." > /opt/ml/output/failure
  exit 3
fi
n=$(cat /opt/ml/input/data/train/* | wc -l)
echo "train: read $n rows"
echo "epoch 1 train-loss: 0.52"
echo "validation-accuracy: 0.91"
echo "weights $n" > /opt/ml/model/model.txt
exit 0
"""

CSV_OUT = "0.91\n"


def conf(**items: str) -> dict:
    return {f"opt/program/conf/{k}": v for k, v in items.items()}


def server_layers(*, extra: dict | None = None, **settings: str) -> list[bytes]:
    settings.setdefault("answer", CSV_OUT)
    settings.setdefault("answer_type", "text/csv")
    app = {
        "opt/": ib.F(type="dir"),
        "opt/program/": ib.F(type="dir"),
        "opt/program/serve": ib.exe(SERVE),
        "opt/program/train": ib.exe(TRAIN),
        "opt/program/handler": ib.exe(HANDLER),
        **conf(**settings),
        **(extra or {}),
    }
    return [ib.layer_tar(ib.base_layer()), ib.layer_tar(app)]


def build(path: Path, layers: list[bytes], *, oci: bool = False, **cfg) -> Path:
    config = ib.config(layers, **cfg)
    if oci:
        return ib.oci_layout(path, [(layers, config)])
    return ib.docker_save(path, layers, config)
