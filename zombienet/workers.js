// Edge workers for zombienet tests: `edge-worker` processes (ZOMBIENET_EDGE_WORKER) started by js-scripts,
// their JSON events, and the checks the scripts share. zombienet runs every js-script of a test in its own
// process, so this module (and the workers it started) lives from one script to the next: gpow-loop.js starts
// the network of workers and faults.js, after a validator restart in between, goes on with it. Every worker is
// SIGKILLed when a script fails or zombienet exits.

const { spawn, execFile } = require("child_process");
const { promisify } = require("util");
const fs = require("fs");
const path = require("path");
const readline = require("readline");

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const execFileAsync = promisify(execFile);
/// Runs a command to completion without blocking the event loop; rejects if it fails.
const run = (command, args) => execFileAsync(command, args, { maxBuffer: 64 << 20 });

/// Throws `what` (with `detail`) unless `condition` holds: how a script fails its test.
function check(condition, what, detail) {
  if (!condition) {
    throw new Error(`check failed: ${what}${detail === undefined ? "" : `: ${JSON.stringify(detail)}`}`);
  }
}

/// Polls `probe` every second until it returns a value other than undefined, for up to `seconds`.
async function eventually(what, seconds, probe) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s: ${what}`);
    await sleep(1000);
  }
}

/// The last JSON object a command printed (a command's summary comes after its node's events).
function lastJson(out) {
  const line = out
    .trim()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .pop();
  check(line !== undefined, "the command printed JSON", out);
  return JSON.parse(line);
}

/// A running edge-worker and the JSON events it printed.
class Worker {
  constructor(bin, dir, name, args) {
    fs.mkdirSync(dir, { recursive: true });
    Object.assign(this, { bin, dir, name, args, events: [], exited: false });
    const log = fs.openSync(path.join(dir, "worker.log"), "a");
    this.child = spawn(bin, ["--data-dir", dir, ...args], { stdio: ["ignore", "pipe", log] });
    this.child.on("exit", () => (this.exited = true));
    readline.createInterface({ input: this.child.stdout }).on("line", (line) => {
      try {
        this.events.push(JSON.parse(line));
      } catch (_) {
        // Not an event.
      }
    });
  }

  /// The first event named `name` for which `wanted` holds, waiting up to `seconds`.
  event(name, seconds, wanted = () => true) {
    return eventually(`${this.name}: event ${name}`, seconds, async () =>
      this.events.find((e) => e.event === name && wanted(e)),
    );
  }

  /// SIGKILLs it and waits for it to be gone.
  async kill() {
    this.child.kill("SIGKILL");
    await eventually(`${this.name} to exit`, 10, async () => (this.exited ? true : undefined));
  }

  /// A new process with the same data folder and arguments.
  restart() {
    return new Worker(this.bin, this.dir, this.name, this.args);
  }
}

/// The workers of the test and what the scripts know of them (content id, client, ...).
const state = { workers: new Map(), context: {} };

function stopAll() {
  for (const w of state.workers.values()) w.child.kill("SIGKILL");
  state.workers.clear();
}
process.on("exit", stopAll);

/// The arguments of a paying client's fetch of `id` from the two European nodes the router at `rpcUrl` names.
function routedFetchArgs(id, clientKey, rpcUrl) {
  return [
    "fetch", id, "--json", "--client-key", clientKey, "--router", rpcUrl, "--region", "europe", "--routed-nodes", "2",
  ];
}

/// The folder, binary and helpers of a test on `networkInfo`.
function setup(networkInfo) {
  const bin = process.env.ZOMBIENET_EDGE_WORKER;
  check(bin && fs.existsSync(bin), "ZOMBIENET_EDGE_WORKER names the edge-worker binary", bin);
  const dir = path.join(networkInfo.tmpDir, "edge-workers");
  fs.mkdirSync(dir, { recursive: true });
  /// Runs an edge-worker command to completion; its stdout. Asynchronous: a script's chain connection must
  /// keep being served while a command waits for finality.
  const cli = async (data, args) => (await run(bin, ["--data-dir", path.join(dir, data), ...args])).stdout;
  return {
    bin,
    dir,
    ws: (node) => networkInfo.nodesByName[node].wsUri,
    cli,
    /// A paying client's routed fetch of `id` (`size` bytes) into data folder `data`, checked: every byte
    /// from every provider is receipted, and the whole content arrived (endgame requests may fetch a few
    /// groups from two providers: those bytes are delivered and receipted too). Its summary and the bytes
    /// delivered.
    routedFetch: async (data, { id, size, clientKey, rpcUrl }) => {
      const fetched = lastJson(await cli(data, routedFetchArgs(id, clientKey, rpcUrl)));
      const { bytes_by_peer: bytes, receipted_by_peer: receipted } = fetched.report;
      let delivered = 0;
      for (const [peer, sent] of Object.entries(bytes)) {
        check(receipted[peer] === sent, `every byte from ${peer} is receipted`, fetched.report);
        delivered += sent;
      }
      check(delivered >= size, "the whole content was delivered", fetched.report);
      return { fetched, delivered };
    },
    /// Starts (or replaces) the worker `name`.
    start: (name, args) => {
      const w = new Worker(bin, path.join(dir, name), name, args);
      state.workers.set(name, w);
      return w;
    },
    /// A 0600 file holding a secret URI, for `--operator-key`.
    secret: (name, uri) => {
      const file = path.join(dir, `${name}.suri`);
      fs.writeFileSync(file, `${uri}\n`, { mode: 0o600 });
      return file;
    },
  };
}

/// The chain as a script sees it through the node at `uri`: the node's own JSON-RPC methods (gpow_*,
/// settlement_*, ...) over a plain provider, as polkadot.js decorates only the standard ones; polkadot.js for
/// storage and transactions; `submit`, which resolves with a transaction's events once it is in a block;
/// `freshEpoch`, which waits for the next GPoW epoch.
async function connect(uri) {
  const provider = new zombie.WsProvider(uri);
  await provider.isReady;
  const api = await zombie.connect(uri);
  const submit = (tx, signer) =>
    new Promise((resolve, reject) => {
      tx.signAndSend(signer, ({ status, dispatchError, events }) => {
        if (dispatchError) reject(new Error(`${tx.method.section}.${tx.method.method}: ${dispatchError}`));
        else if (status.isInBlock) resolve(events.map(({ event }) => event));
      }).catch(reject);
    });
  const rpc = (method, params = []) => provider.send(method, params);
  const epochNow = async () => (await rpc("gpow_currentEpoch")).index;
  /// Waits for the next GPoW epoch to start and for the edges to learn of it (they look every 2 s), so
  /// what is served from now on is reported as that epoch's; returns its index.
  const freshEpoch = async () => {
    const epoch = (await epochNow()) + 1;
    await eventually(`epoch ${epoch}`, 120, async () => ((await epochNow()) >= epoch ? true : undefined));
    await sleep(4000);
    return epoch;
  };
  return {
    api,
    rpc,
    submit,
    freshEpoch,
    close: async () => {
      await provider.disconnect();
      await api.disconnect();
    },
  };
}

/// Runs `body`; stops every worker if it throws.
async function guarded(body) {
  try {
    return await body();
  } catch (e) {
    stopAll();
    throw e;
  }
}

module.exports = {
  check, connect, eventually, guarded, lastJson, routedFetchArgs, run, setup, sleep, state, stopAll,
};
