#!/usr/bin/env python3
"""A long, lossy link between two network namespaces, for edge-worker's tests (tests/nat.rs) and
scripts/bench/dts. Needs root.

    lossy-link.py PREFIX [DELAY_MS [LOSS]]      (defaults: 25 ms each way, 1 % loss each way)

creates the namespaces PREFIX-a (10.1.0.2) and PREFIX-b (10.2.0.2), each joined by a veth to PREFIX-link, which
routes between them through a TUN device read by this process: every packet is held DELAY_MS and dropped with
probability LOSS, in each direction (so 50 ms round trip, 1 % loss each way by default). It prints "ready" once
the link carries traffic, runs until SIGTERM/SIGINT, and then deletes the three namespaces.

This is netem's job (`tc qdisc add ... netem delay 25ms loss 1%`), done in user space because the kernels these
tests run on are built without sch_netem (CONFIG_NET_SCH_NETEM unset, no modules); a TUN device and veths
are all it needs. Nothing outside the three namespaces is touched.
"""
import collections
import ctypes
import fcntl
import os
import random
import select
import signal
import struct
import subprocess
import sys
import time

prefix = sys.argv[1]
delay = float(sys.argv[2] if len(sys.argv) > 2 else 25) / 1000
loss = float(sys.argv[3] if len(sys.argv) > 3 else 0.01)
A, B, L = f"{prefix}-a", f"{prefix}-b", f"{prefix}-link"
LIMIT = 1000  # packets held at most, as netem's default queue


def ip(*args):
    subprocess.run(["ip", *args], check=True)


def cleanup():
    for ns in (A, B, L):
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)


signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
try:
    for ns in (A, B, L):
        ip("netns", "add", ns)
        ip("-n", ns, "link", "set", "lo", "up")
    for ns, peer, net in ((A, "va", "10.1.0"), (B, "vb", "10.2.0")):
        ip("-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", peer, "netns", L)
        ip("-n", ns, "addr", "add", f"{net}.2/24", "dev", "eth0")
        ip("-n", ns, "link", "set", "eth0", "up")
        ip("-n", ns, "route", "add", "default", "via", f"{net}.1")
        ip("-n", L, "addr", "add", f"{net}.1/24", "dev", peer)
        ip("-n", L, "link", "set", peer, "up")
        # What arrives from either side goes through the TUN device (table 100); what this process writes
        # back into it is routed on normally (main table).
        ip("-n", L, "rule", "add", "iif", peer, "lookup", "100")
    ip("-n", L, "tuntap", "add", "dev", "lnk", "mode", "tun")
    for key in ("net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.lnk.rp_filter=0"):
        subprocess.run(["ip", "netns", "exec", L, "sysctl", "-qw", key], check=True)

    # Enter the link namespace to attach to its TUN device.
    libc = ctypes.CDLL(None, use_errno=True)
    with open(f"/run/netns/{L}") as f:
        if libc.setns(f.fileno(), 0x40000000) != 0:  # CLONE_NEWNET
            raise OSError(ctypes.get_errno(), "setns")
    tun = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(tun, 0x400454CA, struct.pack("16sH", b"lnk", 0x0001 | 0x1000))  # TUNSETIFF: IFF_TUN|IFF_NO_PI
    ip("link", "set", "lnk", "up")
    ip("route", "add", "default", "dev", "lnk", "table", "100")
    print("ready", flush=True)

    rng = random.Random(1)
    held = collections.deque()
    while True:
        timeout = max(0.0, held[0][0] - time.monotonic()) if held else None
        readable, _, _ = select.select([tun], [], [], timeout)
        if readable:
            for _ in range(256):
                try:
                    packet = os.read(tun, 65536)
                except BlockingIOError:
                    break
                if rng.random() >= loss and len(held) < LIMIT:
                    held.append((time.monotonic() + delay, packet))
        now = time.monotonic()
        while held and held[0][0] <= now:
            try:
                os.write(tun, held.popleft()[1])
            except BlockingIOError:
                pass
finally:
    cleanup()
