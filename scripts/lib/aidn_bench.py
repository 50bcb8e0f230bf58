#!/usr/bin/env python3
"""The AiDN benchmark (scripts/bench/aidn runs it; not a test): a model published on one seed and pulled by N
nodes at once, every node's upload capped at the same rate R, against the same N clients pulling it over HTTP from
nginx capped at R; and huggingface_hub's snapshot_download through an edge gateway against nginx serving the same
files with the Hub's routes. Prints a table; the figures go in docs/BENCHMARKS.md.

Usage: aidn_bench.py <edge-worker> <work dir> <MiB> <N> <R bytes/s> <python with huggingface_hub>
With AIDN_ONLY=dts, only the PeerDTS runs (alone, then N at once).
"""
import json
import os
import socket
import subprocess
import sys
import threading
import time

BIN, WORK, MIB, N, RATE, HF_PYTHON = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(
    sys.argv[5]), sys.argv[6]
SHARDS = 4
NS = f"aidn{os.getpid()}"
NS_ADDR, HOST_ADDR = "10.78.0.2", "10.78.0.1"
procs = []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def model(path):
    """A model repository of MIB MiB: a configuration, a tokenizer and SHARDS safetensors shards (random
    bytes: the transfer does not look inside)."""
    os.makedirs(path, exist_ok=True)
    files = {"config.json": json.dumps({"model_type": "llama", "hidden_size": 4096}).encode(),
             "tokenizer.json": json.dumps({"version": "1.0", "model": {"type": "BPE"}}).encode()}
    for name, data in files.items():
        with open(os.path.join(path, name), "wb") as f:
            f.write(data)
    shard = (MIB << 20) // SHARDS
    names = [f"model-{i:05}-of-{SHARDS:05}.safetensors" for i in range(1, SHARDS + 1)]
    for name in names:
        with open(os.path.join(path, name), "wb") as f:
            for _ in range(shard >> 23):
                f.write(os.urandom(8 << 20))
    index = {"metadata": {}, "weight_map": {f"layer.{i}": n for i, n in enumerate(names)}}
    with open(os.path.join(path, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f)
    return sum(os.path.getsize(os.path.join(path, p)) for p in os.listdir(path))


class Node:
    """An edge-worker process whose JSON events are read as they come."""

    def __init__(self, name, args, netns=None):
        cmd = [BIN, "--data-dir", os.path.join(WORK, name)] + args
        if netns:
            cmd = ["ip", "netns", "exec", netns] + cmd
        # Its log beside its data, the end of which a failure shows.
        self.log = os.path.join(WORK, f"{name}.log")
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True)
        procs.append(self.proc)
        self.events = []
        self.times = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            with self.cond:
                self.events.append(event)
                self.times.append(time.monotonic())
                self.cond.notify_all()

    def event(self, name, timeout=1800):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for event, at in zip(self.events, self.times):
                    if event.get("event") == name:
                        return event, at
                left = deadline - time.monotonic()
                ended = self.proc.poll() is not None
                # An ended process's last lines may still be on their way from the reader thread.
                if left <= 0 or ended and not self.cond.wait(0.5):
                    with open(self.log) as log:
                        tail = "".join(log.readlines()[-20:])
                    raise SystemExit(f"no {name} event (exit {self.proc.poll()}); the end of its log:\n{tail}")
                if not ended:
                    self.cond.wait(min(left, 1.0))

    def kill(self):
        self.proc.kill()
        self.proc.wait()


def note(line):
    """A figure as soon as it is measured (on stderr), so a later failure does not lose it."""
    print(line, file=sys.stderr, flush=True)


def stop(proc):
    """Stops an nginx master with its workers (SIGTERM: a killed master leaves them holding the port)."""
    proc.terminate()
    proc.wait()


def run(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw).stdout.strip()


def swarm(label, collection, seed_addr, seed_peer, count):
    """COUNT nodes fetch the collection at once from the seed (and each other), each serving at most RATE:
    (seconds until each completed, bytes the seed sent them)."""
    started = time.monotonic()
    nodes = []
    for i in range(count):
        port = free_port()
        nodes.append(Node(f"{label}-{i}", ["fetch", collection, "--json", "--serve", "--listen",
                                           f"/ip4/127.0.0.1/tcp/{port}", "--peer", seed_addr,
                                           "--rate-limit", str(RATE)]))
    done, from_seed = [], 0
    for node in nodes:
        event, at = node.event("fetched_collection")
        done.append(at - started)
        from_seed += event["bytes_by_peer"].get(seed_peer, 0)
        note(f"  {label}: {at - started:.1f} s, {event['bytes_by_peer'].get(seed_peer, 0) >> 20} MiB from the seed, "
             f"{len(event['bytes_by_peer']) - 1} other providers")
    for node in nodes:
        node.kill()
    return done, from_seed


def http_pull(base, paths, count):
    """COUNT curl clients each pull every file from BASE at once: seconds until each completed."""
    started = time.monotonic()
    clients = []
    for _ in range(count):
        args = ["curl", "-sf"]
        for p in paths:
            args += ["-o", "/dev/null", f"{base}/{p}"]
        clients.append(subprocess.Popen(args))
    done = []
    for c in clients:
        if c.wait() != 0:
            raise SystemExit("a curl client failed")
        done.append(time.monotonic() - started)
    return done


def nginx_conf(name, listen, root, commit):
    prefix = os.path.join(WORK, name)
    os.makedirs(os.path.join(prefix, "logs"), exist_ok=True)
    conf = os.path.join(prefix, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""daemon off; worker_processes 1; error_log {prefix}/logs/error.log; pid {prefix}/nginx.pid;
events {{ worker_connections 256; }}
http {{
  access_log off; sendfile on; tcp_nopush on; default_type application/octet-stream;
  client_body_temp_path {prefix}/body; proxy_temp_path {prefix}/proxy; fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi; scgi_temp_path {prefix}/scgi;
  server {{
    listen {listen}; root {root};
    location /api/ {{ default_type application/json; try_files $uri $uri/index.json =404; }}
    location / {{ add_header X-Repo-Commit {commit} always; }}
  }}
}}
""")
    return conf


def hub_tree(root, repo, files, model_dir, commit):
    """The Hub's routes as static files: /api/models/<repo>[/revision/main] and <repo>/resolve/main/<path>."""
    info = {"id": repo, "modelId": repo, "sha": commit, "siblings": [{"rfilename": p} for p in files]}
    for api in [f"api/models/{repo}", f"api/models/{repo}/revision/main"]:
        os.makedirs(os.path.join(root, api), exist_ok=True)
        with open(os.path.join(root, api, "index.json"), "w") as f:
            json.dump(info, f)
    resolve = os.path.join(root, repo, "resolve", "main")
    os.makedirs(resolve, exist_ok=True)
    for p in files:
        os.symlink(os.path.join(model_dir, p), os.path.join(resolve, p))
    # snapshot_download asks for the files at the commit the info names, as the gateway answers too.
    os.symlink("main", os.path.join(root, repo, "resolve", commit))


def snapshot(endpoint, repo, cache):
    code = f"from huggingface_hub import snapshot_download\nsnapshot_download({repo!r})"
    env = dict(os.environ, HF_ENDPOINT=endpoint, HF_HUB_CACHE=cache, HF_HUB_DISABLE_TELEMETRY="1",
               HF_HUB_DISABLE_PROGRESS_BARS="1", HF_HUB_ETAG_TIMEOUT="60", HF_HUB_DOWNLOAD_TIMEOUT="600")
    started = time.monotonic()
    subprocess.run([HF_PYTHON, "-c", code], check=True, env=env, capture_output=True)
    return time.monotonic() - started


def main():
    model_dir = os.path.join(WORK, "model")
    size = model(model_dir)
    files = sorted(os.listdir(model_dir))
    collection = run([BIN, "--data-dir", os.path.join(WORK, "seed"), "publish", model_dir])
    seed_port = free_port()
    seed = Node("seed", ["run", "--listen", f"/ip4/127.0.0.1/tcp/{seed_port}", "--rate-limit", str(RATE)])
    seed_addr = seed.event("listening")[0]["address"]
    seed_peer = seed_addr.rsplit("/p2p/", 1)[1]

    alone, alone_seed = swarm("alone", collection, seed_addr, seed_peer, 1)
    note(f"PeerDTS alone: {alone[0]:.1f} s, the seed sent {alone_seed} bytes of {size}")
    many, many_seed = swarm("swarm", collection, seed_addr, seed_peer, N)
    note(f"PeerDTS {N} at once: " + ", ".join(f"{t:.1f}" for t in sorted(many)) + f" s, the seed sent {many_seed}")
    seed.kill()
    if os.environ.get("AIDN_ONLY") == "dts":
        print(f"seed egress / size {many_seed / size:.2f}, last of N / alone {max(many) / alone[0]:.2f}")
        return

    # nginx in a network namespace whose link sends at most RATE (tc's token bucket), the N clients outside.
    root = os.path.join(WORK, "www")
    repo = f"enreach/{collection}"
    hub_tree(root, repo, files, model_dir, collection)
    os.chmod(WORK, 0o755)
    sh = lambda *a: run(list(a))
    sh("ip", "netns", "add", NS)
    try:
        sh("ip", "link", "add", f"{NS}h", "type", "veth", "peer", "name", f"{NS}n")
        sh("ip", "link", "set", f"{NS}n", "netns", NS)
        sh("ip", "addr", "add", f"{HOST_ADDR}/24", "dev", f"{NS}h")
        sh("ip", "link", "set", f"{NS}h", "up")
        for args in (["ip", "addr", "add", f"{NS_ADDR}/24", "dev", f"{NS}n"], ["ip", "link", "set", f"{NS}n", "up"],
                     ["ip", "link", "set", "lo", "up"],
                     ["tc", "qdisc", "add", "dev", f"{NS}n", "root", "tbf", "rate", f"{RATE}bps", "burst",
                      str(max(RATE // 20, 256 << 10)), "latency", "200ms"]):
            sh("ip", "netns", "exec", NS, *args)
        capped = subprocess.Popen(["ip", "netns", "exec", NS, "nginx", "-c",
                                   nginx_conf("nginx-capped", f"{NS_ADDR}:8080", root, collection)])
        procs.append(capped)
        time.sleep(1)
        paths = [f"{repo}/resolve/main/{p}" for p in files]
        base = f"http://{NS_ADDR}:8080"
        nginx_alone = http_pull(base, paths, 1)
        note(f"nginx capped alone: {nginx_alone[0]:.1f} s")
        nginx_many = http_pull(base, paths, N)
        note(f"nginx capped, {N} at once: " + ", ".join(f"{t:.1f}" for t in sorted(nginx_many)) + " s")
        stop(capped)
    finally:
        subprocess.run(["ip", "netns", "del", NS])

    # huggingface_hub, uncapped on loopback: an edge's gateway holding the model against nginx.
    gateway_data = "gateway"
    run([BIN, "--data-dir", os.path.join(WORK, gateway_data), "publish", model_dir])
    gateway = Node(gateway_data, ["run", "--listen", f"/ip4/127.0.0.1/tcp/{free_port()}", "--gateway",
                                  "127.0.0.1:0"])
    gateway_addr = gateway.event("gateway")[0]["address"]
    hf_port = free_port()
    plain = subprocess.Popen(["nginx", "-c", nginx_conf("nginx-hf", f"127.0.0.1:{hf_port}", root, collection)])
    procs.append(plain)
    time.sleep(1)
    hf_rounds = []
    for r in range(3):
        g = snapshot(f"http://{gateway_addr}", repo, os.path.join(WORK, f"hf-gw-{r}"))
        x = snapshot(f"http://127.0.0.1:{hf_port}", repo, os.path.join(WORK, f"hf-nginx-{r}"))
        hf_rounds.append((g, x))
        note(f"snapshot_download round {r}: gateway {g:.2f} s, nginx {x:.2f} s")
    gateway.kill()
    stop(plain)

    mb = lambda s: f"{s / 2**20:,.0f} MiB"
    g_med = sorted(g for g, _ in hf_rounds)[1]
    x_med = sorted(x for _, x in hf_rounds)[1]
    rows = [
        ("PeerDTS seed egress / model size", f"{many_seed / size:.2f}", "<= 1.5",
         f"{mb(many_seed)} sent for {N} copies of {mb(size)}"),
        ("PeerDTS last of N / one alone", f"{max(many) / alone[0]:.2f}", "<= 2",
         f"last {max(many):.1f} s (first {min(many):.1f} s), alone {alone[0]:.1f} s"),
        ("nginx capped: last of N / one alone", f"{max(nginx_many) / nginx_alone[0]:.2f}", "-",
         f"last {max(nginx_many):.1f} s, alone {nginx_alone[0]:.1f} s"),
        ("nginx capped: origin egress / size", f"{N:.2f}", "-", "every client pulls its own copy"),
        ("PeerDTS last of N vs nginx last of N", f"{max(nginx_many) / max(many):.2f}x faster", "-", ""),
        ("snapshot_download: gateway / nginx", f"{x_med / g_med:.2f}", "-",
         f"gateway {g_med:.2f} s ({mb(size / g_med)}/s), nginx {x_med:.2f} s ({mb(size / x_med)}/s), medians of 3"),
    ]
    print(f"AiDN: {mb(size)} model in {len(files)} files, N = {N}, every upload capped at {mb(RATE)}/s")
    for name, figure, target, detail in rows:
        print(f"{name:40} {figure:>14}  {target:>7}  {detail}")
    print(f"(alone: the seed sent {mb(alone_seed)}; completions of N: "
          + ", ".join(f"{t:.1f}" for t in sorted(many)) + " s)")


try:
    main()
finally:
    for p in procs:
        if p.poll() is None:
            p.terminate()
            p.wait()
