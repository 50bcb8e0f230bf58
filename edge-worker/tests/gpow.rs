//! GPoW end to end against a real dev chain (1-minute epochs): an edge (`run --role edge`) serves a client
//! that signs receipts with a key a dApp authorized, is SIGKILLed and restarted with the receipts still owed
//! a report, reports them after the chain node it talks to was SIGKILLed and restarted too, answers its
//! challenge and proves its pinned storage; a keeper (`run --role keeper`) submits its observations; the epoch settles, charging the dApp and paying the edge exactly what was
//! verified. In the same epochs, edges that cheat (forged, replayed and inflated receipts, an ignored
//! challenge) earn nothing and are jailed with the pallet's named errors, and a keeper that reports a dead
//! node as up is outvoted and recorded.

mod common;

use std::{
    future::Future,
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use common::{binary, chain::DevChain, cli, loopback, publish, random_file, secret_file, Worker};
use ed25519_dalek::{Signer, SigningKey};
use enreach_edge_chain::{
    capabilities::{self, Claims},
    registration, Chain, ChainError, Wait,
};
use enreach_primitives::{
    ClientKey, ComputeReceipt, ContentId, Continent, DeliveryReceipt, EpochIndex,
    KeeperObservation, NodeId, ReceiptProof, ReceiptTree, Region, SessionId, WorkReport,
};
use futures::future::join_all;
use serde_json::Value;
use subxt::rpcs::{rpc_params, RpcClient};
use subxt_signer::sr25519::{dev, Keypair};

const MIB: u64 = 1 << 20;
const GIB: u128 = 1 << 30;

/// The test's view of the chain: the worker's client, and raw JSON-RPC for the node's query methods.
struct View {
    runtime: tokio::runtime::Runtime,
    chain: Chain,
    rpc: RpcClient,
}

impl View {
    fn connect(url: &str) -> Self {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let (chain, rpc) = runtime.block_on(async {
            (
                Chain::connect(url).await.unwrap(),
                RpcClient::from_insecure_url(url).await.unwrap(),
            )
        });
        Self {
            runtime,
            chain,
            rpc,
        }
    }

    fn run<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    fn call(&self, method: &str, params: subxt::rpcs::client::RpcParams) -> Value {
        self.run(self.rpc.request::<Value>(method, params))
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    fn epoch(&self) -> EpochIndex {
        self.run(self.chain.current_epoch())
            .unwrap()
            .expect("GPoW runs on dev chains")
            .index
    }

    /// Waits until epoch `epoch` has begun.
    fn wait_for_epoch(&self, epoch: EpochIndex) {
        while self.epoch() < epoch {
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    fn submit<Args: subxt::ext::scale_encode::EncodeAsFields>(
        &self,
        signer: &Keypair,
        call: (&str, &str, Args),
    ) -> Result<(), ChainError> {
        self.run(self.chain.submit(signer, call, Wait::InBlock))
    }

    fn status(&self, node: NodeId) -> String {
        self.call("edgeNodes_nodeInfo", rpc_params![hex_key(&node)])["status"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn score(&self, epoch: EpochIndex, node: NodeId) -> u64 {
        self.call("gpow_workScore", rpc_params![epoch, hex_key(&node)])
            .as_u64()
            .unwrap()
    }

    fn node_rewards(&self, operator: &Keypair) -> u128 {
        let account = operator.public_key().to_account_id().to_string();
        decimal(&self.call("settlement_nodeRewards", rpc_params![account]))
    }

    fn settlement_params(&self) -> Value {
        self.call("settlement_params", rpc_params![])
    }

    /// Whether `keeper` is recorded as far from the median of `node` in `epoch`.
    fn deviates(&self, epoch: EpochIndex, node: NodeId, keeper: &Keypair) -> bool {
        let address =
            subxt::dynamic::storage::<(u32, [u8; 32], [u8; 32]), ()>("Gpow", "KeeperDeviations");
        self.run(async {
            let api =
                subxt::OnlineClient::<subxt::PolkadotConfig>::from_rpc_client(self.rpc.clone())
                    .await
                    .unwrap();
            let at = api.at_current_block().await.unwrap();
            at.storage()
                .try_fetch(address, (epoch, node.0, keeper.public_key().0))
                .await
                .unwrap()
                .is_some()
        })
    }
}

fn hex_key(node: &NodeId) -> String {
    format!("0x{}", hex::encode(node.0))
}

fn decimal(value: &Value) -> u128 {
    value.as_str().expect("a decimal string").parse().unwrap()
}

/// A node registered on chain by the test itself: its key, with endpoints nobody listens on.
fn register_unreachable(view: &View, operator: &Keypair, data_dir: &Path) -> NodeId {
    let key = libp2p::identity::Keypair::generate_ed25519();
    let peer = key.public().to_peer_id();
    let capabilities = capabilities::describe(
        data_dir,
        Claims {
            bandwidth_up_mbps: 100,
            bandwidth_down_mbps: 100,
            region: Region {
                continent: Continent::Europe,
                country: *b"DE",
            },
            hvm: None,
        },
    )
    .unwrap();
    let endpoint = format!("{}/p2p/{peer}", loopback()).into_bytes();
    view.run(registration::ensure_registered(
        &view.chain,
        &key,
        operator,
        capabilities,
        vec![endpoint],
    ))
    .unwrap();
    edge_worker::keys::node_id(&key)
}

/// Signs receipts of `count` sessions of `bytes` each, for `node` in `epoch`.
fn receipts(
    genesis: [u8; 32],
    node: NodeId,
    epoch: EpochIndex,
    client: &SigningKey,
    signer: &SigningKey,
    bytes: u64,
) -> Vec<DeliveryReceipt> {
    (0..8u8)
        .map(|i| {
            let mut receipt = DeliveryReceipt {
                genesis_hash: genesis,
                epoch,
                node,
                client: ClientKey(client.verifying_key().to_bytes()),
                content: ContentId([7; 32]),
                session: SessionId([i; 16]),
                cumulative_bytes: bytes,
                signature: [0; 64],
            };
            receipt.signature = signer.sign(&receipt.signing_payload()).to_bytes();
            receipt
        })
        .collect()
}

/// A node reported receipts it made up, and how it will answer its challenge.
struct Cheat {
    name: &'static str,
    node: NodeId,
    tree: ReceiptTree,
    report: WorkReport,
    /// The pallet error its answer must fail with; `None` never answers.
    expected_error: Option<&'static str>,
}

#[test]
fn edges_earn_what_clients_signed_and_cheaters_are_caught() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = DevChain::start();
    let view = View::connect(&chain.url);
    let genesis = view.chain.genesis_hash();
    let (alice, bob, charlie, dave, eve, ferdie) = (
        dev::alice(),
        dev::bob(),
        dev::charlie(),
        dev::dave(),
        dev::eve(),
        dev::ferdie(),
    );

    // A dApp (Alice) with funds and an authorized client key.
    let client_dir = dir.path().join("client");
    let client = cli(&client_dir, &["key", "client"]);
    let client_key_path = client["client_key"].as_str().unwrap().to_string();
    let client_key = edge_worker::keys::load_or_create_client(Path::new(&client_key_path)).unwrap();
    let dapp = |args: &[&str]| {
        let mut all = vec!["dapp", "--chain", &chain.url, "--account", "//Alice"];
        all.extend_from_slice(args);
        cli(&client_dir, &all)
    };
    dapp(&["open-account", "--deposit", "100000000000000000"]);
    dapp(&["authorize-client", client["client"].as_str().unwrap()]);

    // The dApp publishes 80 MiB; the edge (operator Eve) holds it and pins it; the keeper (Bob) watches every
    // node.
    let content = dir.path().join("content.bin");
    let size = 80 * MIB;
    random_file(&content, size as usize, 61);
    let edge_dir = dir.path().join("edge");
    let id = publish(&edge_dir, &content);
    let eve_key = secret_file(dir.path(), "eve", "//Eve");
    let edge_listen = loopback();
    let edge_args = [
        "run",
        "--listen",
        &edge_listen,
        "--role",
        "edge",
        "--chain",
        &chain.url,
        "--operator-key",
        &eve_key,
    ];
    let mut edge = Worker::spawn(&edge_dir, &edge_args);
    let edge_address = edge.address();
    let registered = edge.event("registered", Duration::from_secs(120));
    let edge_node = NodeId(
        hex::decode(registered["node"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap(),
    );
    let content_id = ContentId(hex::decode(&id).unwrap().try_into().unwrap());
    // Storage is challenged and paid only for content a dApp published, at its published size.
    let max_price = u128::MAX;
    view.submit(
        &alice,
        (
            "Settlement",
            "publish_content",
            (content_id, size, 1u32, max_price, None::<Vec<u8>>),
        ),
    )
    .unwrap();
    view.submit(&eve, ("EdgeNodes", "pin", (edge_node, content_id, size)))
        .unwrap();
    let bob_key = secret_file(dir.path(), "bob", "//Bob");
    let mut keeper = common::keeper(&dir.path().join("keeper"), &chain.url, &bob_key, &[]);

    // Ferdie registers four nodes that will cheat; Dave one that is never up.
    let cheaters: Vec<NodeId> = (0..4)
        .map(|_| register_unreachable(&view, &ferdie, dir.path()))
        .collect();
    let dead = register_unreachable(&view, &dave, dir.path());

    // A fresh epoch `e` (not the first: replayed receipts come from the one before).
    let epoch = view.epoch().max(1) + 1;
    view.wait_for_epoch(epoch);
    // The edge learns of the epoch on its next look at the chain (every 2 s); receipts signed before that are
    // for the epoch before, and reported as its.
    std::thread::sleep(Duration::from_secs(4));

    // The client fetches everything, signing receipts as bytes verify; the edge accepted receipts for all.
    let fetched = cli(
        &dir.path().join("client"),
        &[
            "fetch",
            &id,
            "--json",
            "--client-key",
            &client_key_path,
            "--peer",
            &edge_address,
        ],
    );
    let edge_peer = edge_address.rsplit('/').next().unwrap();
    assert_eq!(
        fetched["report"]["bytes_by_peer"][edge_peer], size,
        "{fetched}"
    );
    assert_eq!(fetched["report"]["receipted_by_peer"][edge_peer], size);

    // A client that signs nothing is cut off once it owes receipts for too many bytes.
    let freeloader = Command::new(binary())
        .arg("--data-dir")
        .arg(dir.path().join("freeloader"))
        .args(["fetch", &id, "--json", "--peer", &edge_address])
        .output()
        .unwrap();
    assert!(!freeloader.status.success(), "{freeloader:?}");
    let message = String::from_utf8_lossy(&freeloader.stderr);
    assert!(
        message.contains("providers require delivery receipts"),
        "{message}"
    );

    // SIGKILL between acknowledging the receipts and reporting them; the restarted edge still has them all.
    edge.kill();
    let mut edge = Worker::spawn(&edge_dir, &edge_args);
    assert_eq!(
        edge.event("registered", Duration::from_secs(60))["outcome"],
        "unchanged"
    );
    // The chain node the edge and the keeper talk to is SIGKILLed and restarted too: they reconnect, and their
    // reports and observations below still land.
    drop(view);
    chain.restart();
    let view = View::connect(&chain.url);

    // The cheaters' receipts: signed with a key that is not the client's; signed by the client but in the
    // epoch before; genuine but for a tenth of the bytes claimed; genuine, but the challenge is ignored.
    let impostor = SigningKey::from_bytes(&[9; 32]);
    let cheat = |name, node, receipts: Vec<DeliveryReceipt>, factor, expected_error| {
        let tree = ReceiptTree::new(receipts).unwrap();
        let report = WorkReport {
            node,
            epoch,
            receipts_root: tree.root(),
            receipt_count: tree.len(),
            total_bytes: tree.total() * factor,
            compute_root: [0; 32],
            compute_receipt_count: 0,
            total_units: 0,
        };
        Cheat {
            name,
            node,
            tree,
            report,
            expected_error,
        }
    };
    let cheats = [
        cheat(
            "forged",
            cheaters[0],
            receipts(genesis, cheaters[0], epoch, &client_key, &impostor, MIB),
            1,
            Some("ForgedClientSignature"),
        ),
        cheat(
            "replayed",
            cheaters[1],
            receipts(
                genesis,
                cheaters[1],
                epoch - 1,
                &client_key,
                &client_key,
                MIB,
            ),
            1,
            Some("ReceiptFromOtherEpoch"),
        ),
        cheat(
            "inflated",
            cheaters[2],
            receipts(genesis, cheaters[2], epoch, &client_key, &client_key, MIB),
            10,
            Some("InflatedByteTotal"),
        ),
        cheat(
            "silent",
            cheaters[3],
            receipts(genesis, cheaters[3], epoch, &client_key, &client_key, MIB),
            1,
            None,
        ),
    ];

    // Epoch e ends. Cheaters report; Alice and Charlie observe the dead node, Charlie claiming it was up.
    view.wait_for_epoch(epoch + 1);
    let reports = cheats.iter().map(|c| {
        view.chain.submit(
            &ferdie,
            ("Gpow", "submit_work_report", (c.report.clone(),)),
            Wait::InBlock,
        )
    });
    let observation = |answered, bandwidth_mbps| KeeperObservation {
        node: dead,
        epoch,
        probes_answered: answered,
        probes_sent: 12,
        median_rtt_ms: 5,
        storage_passed: 0,
        storage_sent: 0,
        bandwidth_mbps,
        replays_sent: 0,
        replays_failed: 0,
    };
    let honest = view.chain.submit(
        &alice,
        ("Gpow", "submit_observations", (vec![observation(0, 0)],)),
        Wait::InBlock,
    );
    let lying = view.chain.submit(
        &charlie,
        ("Gpow", "submit_observations", (vec![observation(12, 100)],)),
        Wait::InBlock,
    );
    let (reported, honest, lying) =
        view.run(async { tokio::join!(join_all(reports), honest, lying) });
    for (cheat, result) in cheats.iter().zip(reported) {
        result.unwrap_or_else(|e| panic!("{} report: {e}", cheat.name));
    }
    honest.unwrap();
    lying.unwrap();

    // The cheaters' answers fail with the named errors.
    for cheat in cheats.iter().filter(|c| c.expected_error.is_some()) {
        let challenge = loop {
            if let Some(c) = view.run(view.chain.open_challenge(cheat.node)).unwrap() {
                break c;
            }
            std::thread::sleep(Duration::from_millis(500));
        };
        assert_eq!(challenge.epoch, epoch);
        // The receipt covering each sampled byte (the last one for bytes beyond what the tree holds).
        let answer: Vec<_> = challenge
            .offsets
            .iter()
            .map(|&offset| {
                let leaf = cheat.tree.leaf_at(offset).unwrap_or(cheat.tree.len() - 1);
                (
                    cheat.tree.receipts()[leaf as usize].clone(),
                    cheat.tree.proof(leaf).unwrap(),
                )
            })
            .collect();
        let error = view
            .submit(
                &ferdie,
                (
                    "Gpow",
                    "answer_challenge",
                    (
                        cheat.node,
                        epoch,
                        answer,
                        Vec::<(ComputeReceipt, ReceiptProof)>::new(),
                    ),
                ),
            )
            .expect_err(cheat.name);
        let expected = cheat.expected_error.unwrap();
        assert!(error.is_dispatch_error(expected), "{}: {error}", cheat.name);
    }

    // The honest edge reports every receipted byte (none lost to the SIGKILL) and answers its challenge.
    let reported = edge.event("work_reported", Duration::from_secs(60));
    assert_eq!(reported["epoch"], epoch);
    assert_eq!(reported["bytes"], size);
    assert_eq!(
        edge.event("challenge_answered", Duration::from_secs(60))["epoch"],
        epoch
    );
    edge.event("storage_proven", Duration::from_secs(60));

    // The keeper's observations of epoch e landed, the edge's among them, measured over PeerDTS.
    let edge_hex = hex::encode(edge_node.0);
    let of_edge = keeper.event_matching(
        "observed",
        |e| e["node"] == edge_hex.as_str() && e["epoch"] == epoch,
        Duration::from_secs(60),
    );
    assert!(
        of_edge["probes_answered"].as_u64().unwrap() > 0,
        "{of_edge}"
    );
    assert!(of_edge["storage_passed"].as_u64().unwrap() > 0, "{of_edge}");

    // The dead node is scored as down; the lying keeper is recorded, the honest one is not. The keeper observes
    // a node that did not report once the submission window closed (it might still report compute to replay).
    let dead_hex = hex::encode(dead.0);
    keeper.event_matching(
        "observed",
        |e| e["node"] == dead_hex.as_str() && e["epoch"] == epoch,
        Duration::from_secs(90),
    );
    // Read at the finalized block, which follows the observation's block by a few seconds.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !view.deviates(epoch, dead, &charlie) {
        assert!(
            Instant::now() < deadline,
            "the lying keeper is never recorded"
        );
        std::thread::sleep(Duration::from_secs(1));
    }
    assert_eq!(view.score(epoch, dead), 0);
    assert!(!view.deviates(epoch, dead, &alice));
    assert!(!view.deviates(epoch, dead, &bob));

    // Once the challenges expire, every cheater is jailed; the honest edge stays active.
    view.wait_for_epoch(epoch + 2);
    for cheat in &cheats {
        assert_eq!(view.status(cheat.node), "jailed", "{}", cheat.name);
    }
    assert_eq!(view.status(edge_node), "active");

    // Settlement of epoch e: the dApp pays exactly for the verified bytes, the edge's operator receives that
    // less the protocol fee, plus the subsidy its work score earns; the cheaters' operator receives nothing.
    let settled_through = |next: EpochIndex| {
        while (view.settlement_params()["nextEpochToSettle"]
            .as_u64()
            .unwrap() as EpochIndex)
            < next
        {
            std::thread::sleep(Duration::from_millis(300));
        }
    };
    settled_through(epoch);
    let before = view.node_rewards(&eve);
    settled_through(epoch + 1);
    let after = view.node_rewards(&eve);
    let alice_account = alice.public_key().to_account_id().to_string();
    let usage = view.call("settlement_usage", rpc_params![alice_account, epoch]);
    assert_eq!(usage["bytes"], size, "{usage}");
    assert_eq!(usage["settled"], true);
    let params = view.settlement_params();
    let delivery = decimal(&params["deliveryPricePerGib"]);
    let storage = decimal(&params["storagePricePerGibEpoch"]);
    let stored = usage["stored"].as_u64().unwrap() as u128;
    let cost = delivery * size as u128 / GIB + storage * stored / GIB;
    assert_eq!(decimal(&usage["cost"]), cost);
    assert_eq!(decimal(&usage["paid"]), cost);
    let fee = (cost * params["protocolFeePpb"].as_u64().unwrap() as u128).div_ceil(1_000_000_000);
    let emission = decimal(&params["currentEmissionPerEpoch"]);
    let node_subsidy =
        emission - emission * params["keeperSharePpb"].as_u64().unwrap() as u128 / 1_000_000_000;
    for other in cheaters.iter().chain([&dead]) {
        assert_eq!(view.score(epoch, *other), 0);
    }
    let subsidy = if view.score(epoch, edge_node) > 0 {
        node_subsidy
    } else {
        0
    };
    assert_eq!(after - before, cost - fee + subsidy);
    assert_eq!(view.node_rewards(&ferdie), 0);
}
