// The whole GPoW loop on a zombienet network, checked against chain state: a dApp publishes content and
// authorizes a client key; two edges (operators Eve and Ferdie, talking to different validators) hold it; two
// keepers (Bob, Charlie, Dave) watch them; a router routes a client to both edges, which it fetches from, signing
// delivery receipts, and calls an edge application (PeerHVM) on both, signing compute receipts. The edges report
// the receipts, answer their challenges and prove the content they pinned, keepers observe them (replaying
// sampled compute), and the epoch settles: the dApp is charged for exactly the bytes delivered and for the
// compute units run, the edges' operators are paid and the keepers' share goes to the era's reward pot (paid out in governance.js).
//
// Workers are `edge-worker` processes (ZOMBIENET_EDGE_WORKER, set by scripts/zombienet; workers.js) started
// here and left running for faults.js; their output is under the network's temporary folder, in
// edge-workers/. Returns 1 when every check passed; throws with the failed check otherwise.

const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const { check, connect, eventually, guarded, lastJson, run: command, setup, state } = require("./workers.js");

const MIB = 1 << 20;
const SIZE = 16 * MIB;
/// What the faults test downloads while an edge is killed.
const LARGE = 96 * MIB;
/// Each edge's upload cap, so that download takes seconds.
const RATE = 8 * MIB;

async function run(_nodeName, networkInfo) {
  const { cli, routedFetch, ws, start, secret } = setup(networkInfo);
  const keyring = new zombie.Keyring({ type: "sr25519" });
  const account = (uri) => keyring.addFromUri(uri).address;
  const chain = await connect(ws("alice"));
  const { api, rpc, submit } = chain;
  let port = 41000 + Math.floor(Math.random() * 1000) * 10;
  const listen = () => `/ip4/127.0.0.1/tcp/${port++}`;
  const dir = path.join(networkInfo.tmpDir, "edge-workers");

  try {
    return await guarded(async () => {
      // The dApp (Alice): an account, the content published, a client key it pays for.
      const content = path.join(dir, "content.bin");
      fs.writeFileSync(content, crypto.randomBytes(SIZE));
      const large = path.join(dir, "large.bin");
      fs.writeFileSync(large, crypto.randomBytes(LARGE));
      const dapp = (args) => cli("dapp", ["dapp", "--chain", ws("alice"), "--account", "//Alice", ...args]);
      await dapp(["open-account", "--deposit", "100000000000000000"]);
      const id = (await dapp(["publish", content, "--max-price", "1000000000000"])).trim();
      const client = lastJson(await cli("client", ["key", "client"]));
      await dapp(["authorize-client", client.client]);
      const largeId = (await dapp(["publish", large, "--max-price", "1000000000000"])).trim();
      // An edge application (the example JSON API, built by scripts/build) deployed by the same dApp.
      const app = process.env.ZOMBIENET_APP;
      check(app && fs.existsSync(app), "ZOMBIENET_APP names the example app's component", app);
      await cli("dapp", ["app", "deploy", app, "--name", "stats", "--chain", ws("alice"), "--account", "//Alice"]);

      // Two edges that hold the content, on different validators' RPC; three of the four keepers, so every
      // node's three assigned keepers include a majority that observes it; a router.
      const edges = [];
      for (const [name, operator, country, node] of [
        ["edge-de", "//Eve", "DE", "alice"],
        ["edge-fr", "//Ferdie", "FR", "bob"],
      ]) {
        check((await cli(name, ["publish", content])).trim() === id, `${name} holds the content`);
        check((await cli(name, ["publish", large])).trim() === largeId, `${name} holds the large content`);
        await cli(name, ["publish", app]);
        edges.push(start(name, [
          "run", "--role", "edge", "--apps", "--chain", ws(node), "--listen", listen(), "--gateway", "127.0.0.1:0",
          "--operator-key", secret(name, operator), "--continent", "europe", "--country", country,
          "--rate-limit", String(RATE),
        ]));
      }
      for (const keeper of ["Bob", "Charlie", "Dave"]) {
        start(`keeper-${keeper}`, [
          "run", "--role", "keeper", "--chain", ws("alice"), "--listen", listen(),
          "--operator-key", secret(keeper, `//${keeper}`),
        ]);
      }
      const router = start("router", [
        "run", "--role", "router", "--chain", ws("alice"), "--listen", listen(), "--rpc", "127.0.0.1:0",
      ]);
      const registered = [];
      for (const edge of edges) registered.push(await edge.event("registered", 180));
      const rpcUrl = `http://${(await router.event("router_rpc", 60)).address}`;
      const peers = [];
      for (const edge of edges) peers.push((await edge.event("listening", 30)).address.split("/").pop());
      const gateways = [];
      for (const edge of edges) gateways.push(`http://${(await edge.event("gateway", 30)).address}`);

      const operators = registered.map((r) => r.operator);
      const nodes = registered.map((r) => `0x${r.node}`);
      // Each operator pins the content on its node: keepers sample pinned content for storage and bandwidth,
      // and the edges prove they store it each epoch.
      for (const [i, operator] of ["//Eve", "//Ferdie"].entries()) {
        await submit(api.tx.edgeNodes.pin(nodes[i], `0x${id}`, SIZE), keyring.addFromUri(operator));
      }
      const rewardsBefore = await Promise.all(operators.map((o) => rpc("settlement_nodeRewards", [o])));
      // Keepers are paid per era from its reward pot, which each settled epoch fills (eras are one
      // 10-minute session on test networks: the loop may cross into the next).
      const era = await rpc("gpos_currentEra");
      const pot = async () => {
        let sum = 0n;
        for (let e = era; e <= (await rpc("gpos_currentEra")); e++) {
          sum += BigInt((await api.query.gpos.erasRewardPot(e)).toString());
        }
        return sum;
      };
      const potBefore = await pot();

      // A fresh epoch, once the edges and the router know of each other.
      await eventually("the router knows both edges", 90, async () => {
        const { stdout } = await command("curl", [
          "-s", "-H", "content-type: application/json", rpcUrl, "-d",
          JSON.stringify({ jsonrpc: "2.0", id: 1, method: "routing_route", params: [id, { region: "europe" }, 2] }),
        ]);
        return JSON.parse(stdout).result.nodes.length === 2 ? true : undefined;
      });
      const epoch = await chain.freshEpoch();

      // The client asks the router and fetches from both edges, signing receipts for every verified byte.
      const { fetched, delivered } = await routedFetch("client", {
        id, size: SIZE, clientKey: client.client_key, rpcUrl,
      });
      check(fetched.routed.length === 2, "the router sent the client to both edges", fetched.routed);
      for (const peer of peers) {
        check(fetched.report.bytes_by_peer[peer] > 0, `bytes came from edge ${peer}`, fetched.report);
      }
      // The same client calls the app on both edges, signing compute receipts.
      for (const gateway of gateways) {
        const answers = (await cli("client", ["app", "call", gateway, "stats", "/hello?name=zombienet", "--repeat", "3"]))
          .trim().split("\n").map((line) => JSON.parse(line));
        check(answers.length === 3 && answers.every((a) => a.status === 200 && a.compute_units > 0),
          `the app answered through ${gateway}, metered`, answers);
      }

      // Each edge reports its receipts for the epoch and answers its challenge; the keepers observe both.
      for (const edge of edges) {
        const report = await edge.event("work_reported", 180, (e) => e.epoch === epoch);
        check(report.bytes > 0, `${edge.name} reported the bytes it served`, report);
        check(report.units > 0, `${edge.name} reported the compute it ran`, report);
        await edge.event("challenge_answered", 180, (e) => e.epoch === epoch);
      }
      for (const node of nodes) {
        const score = await eventually(`work score of ${node}`, 180, async () => {
          const s = await rpc("gpow_workScore", [epoch, node]);
          return s > 0 ? s : undefined;
        });
        check(score > 0, `${node} earned a work score`, score);
      }

      // Settlement: the dApp is charged for exactly the verified bytes; the edges and the keepers are paid.
      const usage = await eventually(`epoch ${epoch} settled`, 240, async () => {
        const u = await rpc("settlement_usage", [account("//Alice"), epoch]);
        return u.settled ? u : undefined;
      });
      check(usage.bytes === delivered, "the dApp is charged for the bytes delivered", { usage, delivered });
      check(usage.units > 0, "the dApp is charged for the compute units run", usage);
      check(BigInt(usage.cost) > 0n && usage.paid === usage.cost, "the dApp paid what the epoch cost", usage);
      for (const [i, operator] of operators.entries()) {
        const after = await rpc("settlement_nodeRewards", [operator]);
        check(BigInt(after) > BigInt(rewardsBefore[i]), `operator ${operator} was paid`, { before: rewardsBefore[i], after });
      }
      const potAfter = await pot();
      check(potAfter > potBefore, `the keepers' reward pots from era ${era} on grew`, {
        before: potBefore.toString(),
        after: potAfter.toString(),
      });
      console.log(`gpow-loop: epoch ${epoch} delivered ${delivered} bytes, charged ${usage.cost}`);
      Object.assign(state.context, {
        edges: edges.map((e) => e.name), peers, nodes, rpcUrl, id, size: SIZE, largeId, large: LARGE, client, era,
      });
      return 1;
    });
  } finally {
    await chain.close();
  }
}

module.exports = { run };
