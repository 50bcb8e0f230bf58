// Faults on the workers gpow-loop.js left running, after the validator Bob, the chain node edge-fr talks to,
// was restarted by the test: a client downloads the large content from both edges (each capped at 8 MiB/s)
// and edge-de is SIGKILLed in the middle; the client finishes from edge-fr. Restarted from its data folder,
// edge-de reports every byte the client had receipts acknowledged for (its receipts survived the kill), and
// edge-fr, reconnected to Bob, reports its share: both reports land on chain. Stops every worker at the end.
// Returns 1 when every check passed.

const { spawn } = require("child_process");
const fs = require("fs");
const path = require("path");
const readline = require("readline");
const { check, connect, eventually, lastJson, routedFetchArgs, setup, sleep, state, stopAll } = require(
  "./workers.js",
);

/// How long the download runs before edge-de is killed.
const KILL_AFTER_MS = 3000;

async function run(_nodeName, networkInfo) {
  const { bin, dir, ws } = setup(networkInfo);
  const ctx = state.context;
  const chain = await connect(ws("alice"));
  const { rpc } = chain;
  try {
    check(ctx.largeId, "gpow-loop.js left its workers running");
    const [de, fr] = ctx.edges.map((name) => state.workers.get(name));
    const [dePeer, frPeer] = ctx.peers;

    // A fresh epoch, so both edges' reports of it are this download's.
    const epoch = await chain.freshEpoch();

    // The download, with edge-de killed in the middle.
    const log = fs.openSync(path.join(dir, "fault-fetch.log"), "a");
    const fetch = spawn(
      bin,
      ["--data-dir", path.join(dir, "client-faults"), ...routedFetchArgs(ctx.largeId, ctx.client.client_key, ctx.rpcUrl)],
      { stdio: ["ignore", "pipe", log] },
    );
    const lines = [];
    readline.createInterface({ input: fetch.stdout }).on("line", (l) => lines.push(l));
    const exited = new Promise((resolve) => fetch.on("exit", resolve));
    await sleep(KILL_AFTER_MS);
    await de.kill();
    const code = await exited;
    check(code === 0, "the download finished without edge-de", code);
    const report = lastJson(lines.join("\n")).report;
    const bytes = report.bytes_by_peer;
    check(bytes[dePeer] > 0, "edge-de served part of the download before it was killed", report);
    check(bytes[frPeer] > 0, "edge-fr served the rest", report);
    check(bytes[dePeer] + bytes[frPeer] >= ctx.large, "the client has the whole content", report);
    const acknowledged = report.receipted_by_peer[dePeer] || 0;
    check(acknowledged > 0, "edge-de acknowledged receipts before it was killed", report);

    // edge-de comes back on its data folder and reports what it had acknowledged (at most what it sent).
    const restarted = de.restart();
    state.workers.set(de.name, restarted);
    const deReport = await restarted.event("work_reported", 240, (e) => e.epoch === epoch);
    check(
      deReport.bytes >= acknowledged && deReport.bytes <= bytes[dePeer],
      "edge-de's report covers every acknowledged receipt",
      { deReport, acknowledged, sent: bytes[dePeer] },
    );
    // edge-fr, whose chain node was restarted, reports its share through it.
    const frReport = await fr.event("work_reported", 240, (e) => e.epoch === epoch);
    check(frReport.bytes === report.receipted_by_peer[frPeer], "edge-fr reports its receipts", {
      frReport,
      report,
    });
    for (const node of ctx.nodes) {
      await eventually(`work score of ${node} in epoch ${epoch}`, 240, async () =>
        (await rpc("gpow_workScore", [epoch, node])) > 0 ? true : undefined,
      );
    }
    console.log(
      `faults: edge-de killed after ${bytes[dePeer]} bytes (${acknowledged} receipted) and restarted; both reports landed`,
    );
    return 1;
  } finally {
    stopAll();
    await chain.close();
  }
}

module.exports = { run };
