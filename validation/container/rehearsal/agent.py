"""The in-namespace agent: the prober and the outbound-connection watcher, run inside the container's netns.

Started by the runner as ``nsenter --net=/proc/<pid>/ns/net -- python -I agent.py`` *before* the
container's program runs: nsenter switches only the network namespace, so this (host) Python and the
sample files stay reachable while 127.0.0.1:<port> is the container's own loopback.

Standard library only (it runs as a script, not as part of the Django project). It:
- routes every address to the loopback device (``ip route add local default dev lo``), so a connection to
  any host is *visible* (its SYN crosses ``lo``) and refused at once, instead of failing silently with
  "network unreachable" — the container sees no network, we see where it wanted to go;
- answers DNS on 127.0.0.53 (the rootfs' resolv.conf points there) with a distinct address per name from
  198.18.0.0/15 (reserved for benchmarks, never routed), recording the name, so a later TCP attempt to that
  address is reported with the name it was for;
- captures, with a packet socket on ``lo``, every TCP SYN, UDP datagram and ping to a non-loopback address;
- answers probe commands, one JSON object per line on stdin, with one JSON line on stdout.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time

DNS_ADDR = "127.0.0.53"
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4

_lock = threading.Lock()
_events: dict[tuple, dict] = {}
_names: dict[str, str] = {}  # fake address → name
_by_name: dict[str, str] = {}


def record(kind: str, **what: object) -> None:
    key = (kind, what.get("name"), what.get("dst"), what.get("port"))
    with _lock:
        ev = _events.get(key)
        if ev is None:
            if len(_events) >= 500:
                return
            _events[key] = {"kind": kind, **what, "first": time.time(), "count": 1}
        else:
            ev["count"] += 1


def fake_address(name: str) -> str:
    with _lock:
        addr = _by_name.get(name)
        if addr is None:
            n = len(_by_name)
            addr = f"198.18.{n // 250}.{n % 250 + 1}"  # the first name gets 198.18.0.1
            _by_name[name] = addr
            _names[addr] = name
        return addr


def parse_question(data: bytes) -> tuple[int, int, str, int, bytes] | None:
    if len(data) < 17:
        return None
    qid, flags, qdcount = struct.unpack("!HHH", data[:6])
    if flags & 0x8000 or qdcount < 1:
        return None
    pos, labels = 12, []
    while pos < len(data):
        n = data[pos]
        pos += 1
        if n == 0:
            break
        if n & 0xC0 or pos + n > len(data):
            return None
        labels.append(data[pos:pos + n].decode("ascii", "replace"))
        pos += n
    if pos + 4 > len(data):
        return None
    qtype = struct.unpack("!H", data[pos:pos + 2])[0]
    return qid, flags, ".".join(labels).lower(), qtype, data[12:pos + 4]


def dns_server(sock: socket.socket) -> None:
    while True:
        try:
            data, peer = sock.recvfrom(4096)
        except OSError:
            return
        q = parse_question(data)
        if q is None:
            continue
        qid, flags, name, qtype, question = q
        record("dns", name=name, qtype={1: "A", 28: "AAAA"}.get(qtype, str(qtype)))
        answers = b""
        if qtype == 1 and name:
            answers = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 5, 4) + socket.inet_aton(fake_address(name))
        header = struct.pack("!HHHHHH", qid, 0x8180 | (flags & 0x0100), 1, 1 if answers else 0, 0, 0)
        try:
            sock.sendto(header + question + answers, peer)
        except OSError:
            pass


def _loopback(addr: bytes) -> bool:
    return ipaddress.ip_address(addr).is_loopback


def capture(sock: socket.socket) -> None:
    while True:
        try:
            data, meta = sock.recvfrom(65535)
        except OSError:
            return
        if meta[2] != PACKET_OUTGOING or len(data) < 34:
            continue
        try:
            _packet(data)
        except (IndexError, struct.error, ValueError):
            continue


def _packet(data: bytes) -> None:
    ethertype = struct.unpack("!H", data[12:14])[0]
    off = 14
    if ethertype == 0x0800:
        proto, dst, l4 = data[off + 9], data[off + 16:off + 20], off + (data[off] & 0x0F) * 4
    elif ethertype == 0x86DD:
        proto, dst, l4 = data[off + 6], data[off + 24:off + 40], off + 40
    else:
        return
    if _loopback(dst):
        return
    ip = str(ipaddress.ip_address(dst))
    dport = struct.unpack("!H", data[l4 + 2:l4 + 4])[0]
    if proto == 6:
        flags = data[l4 + 13]
        if flags & 0x02 and not flags & 0x10:  # SYN without ACK: a new connection
            record("tcp", dst=ip, port=dport, name=_names.get(ip))
    elif proto in (1, 58) and data[l4] in (8, 128):  # ICMP / ICMPv6 echo request (ping)
        record("icmp", dst=ip, name=_names.get(ip))
    elif proto == 17:
        if dport == 53:
            q = parse_question(data[l4 + 8:])
            record("dns", dst=ip, port=53, name=q[2] if q else None)
        else:
            record("udp", dst=ip, port=dport, name=_names.get(ip))


def setup() -> dict:
    state: dict = {"routes": True, "dns": True, "capture": True}
    for args in (["ip", "route", "add", "local", "0.0.0.0/0", "dev", "lo"],
                 ["ip", "-6", "route", "add", "local", "::/0", "dev", "lo"]):
        try:
            r = subprocess.run(args, capture_output=True, timeout=10)
            ok = r.returncode == 0
        except (OSError, subprocess.SubprocessError):
            ok = False
        state["routes"] = state["routes"] and ok
    try:
        dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        dns.bind((DNS_ADDR, 53))
        threading.Thread(target=dns_server, args=(dns,), daemon=True).start()
    except OSError as exc:
        state["dns"] = f"{exc}"
    try:
        raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        raw.bind(("lo", 0))
        threading.Thread(target=capture, args=(raw,), daemon=True).start()
    except (OSError, AttributeError) as exc:
        state["capture"] = f"{exc}"
    return state


def _kind(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timeout"
    if isinstance(exc, (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError)):
        return "reset"
    return "error"


def op_connect(req: dict) -> dict:
    t0 = time.monotonic()
    try:
        socket.create_connection(("127.0.0.1", int(req["port"])), timeout=float(req["timeout"])).close()
        return {"ok": True, "ms": (time.monotonic() - t0) * 1000}
    except OSError as exc:
        return {"ok": False, "ms": (time.monotonic() - t0) * 1000, "error": _kind(exc), "detail": str(exc)}


def op_http(req: dict) -> dict:
    timeout = float(req["timeout"])
    max_body = int(req.get("max_body", 1 << 20))
    t0 = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", int(req["port"]), timeout=timeout)
    body = open(req["body"], "rb") if req.get("body") else None
    out = open(req["out"], "wb") if req.get("out") else None
    got = kept = 0
    try:
        headers = dict(req.get("headers") or {})
        if body is not None:
            headers["Content-Length"] = str(os.fstat(body.fileno()).st_size)
        conn.request(req.get("method", "GET"), req["path"], body=body, headers=headers)
        resp = conn.getresponse()
        first = time.monotonic()
        while True:
            chunk = resp.read(65536)
            if not chunk:
                break
            got += len(chunk)
            if out is not None and kept < max_body:
                out.write(chunk[:max_body - kept])
                kept += min(len(chunk), max_body - kept)
            if time.monotonic() - t0 > timeout:
                raise TimeoutError("the response did not finish in time")
        return {"status": resp.status, "reason": resp.reason, "headers": resp.getheaders(), "bytes": got,
                "truncated": got > kept if out is not None else False,
                "ms": (time.monotonic() - t0) * 1000, "first_byte_ms": (first - t0) * 1000}
    except (OSError, http.client.HTTPException) as exc:
        return {"error": _kind(exc), "detail": f"{type(exc).__name__}: {exc}"[:300], "bytes": got,
                "ms": (time.monotonic() - t0) * 1000}
    finally:
        conn.close()
        for f in (body, out):
            if f is not None:
                f.close()


def main() -> None:
    state = setup()
    print(json.dumps({"ready": True, **state}), flush=True)
    for line in sys.stdin:
        try:
            req = json.loads(line)
        except ValueError:
            continue
        op = req.get("op")
        if op == "connect":
            reply = op_connect(req)
        elif op == "http":
            reply = op_http(req)
        elif op == "events":
            with _lock:
                reply = {"events": [dict(e) for e in _events.values()]}
        elif op == "quit":
            break
        else:
            reply = {"error": f"unknown op {op!r}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
