//! `scripts/bench/epoch-capacity`: how many blocks one epoch of GPoW transactions of `N` nodes takes on a real
//! node, against plain transfers measured in the same run.
//!
//! It writes a chain spec with `N` registered nodes (generated at genesis, 50 per operator, each pinning one
//! published 1 MiB content), `K` keepers bonded in GPoS and production GPoW parameters, starts the given node
//! binary on it (Alice validating alone), and then submits, as a network of `N` nodes would, every GPoW transaction of one epoch:
//!
//! - each node's work report (one per node) and its challenge answer (light or audit, as the seed draws),
//! - each node's storage proof of its pin,
//! - every keeper's observations of the nodes the chain assigned to it (`gpow_assignedNodes`), in batches.
//!
//! Transactions are fed so that the pool always holds a few blocks' worth, which keeps every block full. Each
//! block is then read back: the share of the normal class's weight and length it used (whichever is larger is
//! the block's fullness), and the events that prove each transaction did what it should. The sum of fullness
//! over the blocks is the epoch's cost in full blocks, compared with the production epoch of 600 blocks.
//! Last, `T` `transfer_keep_alive`s go through the same way, for the baseline.
//!
//! Usage: `epoch_capacity <node binary> <work dir> [nodes] [keepers] [receipts per node] [transfers]`.

use std::{
    collections::{HashMap, VecDeque},
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use ed25519_dalek::{Signer as _, SigningKey};
use enreach_edge_chain::{
    capabilities::region_key, observations, registry::Registry, Chain, EncodedCall, Wait,
};
use enreach_node_process::{NodeConfig, NodeProcess};
use enreach_primitives::{
    content::chunk_proof, merkle::ReceiptProof, ClientKey, ComputeReceipt, ContentId, Continent,
    DeliveryReceipt, KeeperObservation, NodeId, ReceiptTree, SessionId, WorkReport,
};
use enreach_routing::{content_key, ClientHint, Coord, NodeInfo, Params, Router};
use futures::{stream, StreamExt};
use serde_json::json;
use subxt::{
    client::OnlineClientAtBlock,
    config::DefaultExtrinsicParamsBuilder,
    dynamic::{self, Value},
    rpcs::{rpc_params, RpcClient},
    OnlineClient, PolkadotConfig,
};
use subxt_signer::sr25519::{dev, Keypair};

/// One ENR in planck.
const UNIT: u128 = 1_000_000_000_000;
/// Blocks of a production epoch (one hour of 6 s blocks): what the measured cost is compared with.
const PRODUCTION_EPOCH: f64 = 600.0;
/// Normal-class limits of a block (runtime `configs/mod.rs`): 75 % of 2 s of compute and of 5 MiB.
const NORMAL_REF_TIME: f64 = 1.5e12;
const NORMAL_LENGTH: f64 = 0.75 * 5.0 * 1024.0 * 1024.0;
/// The published content every node pins.
const CONTENT_LEN: usize = 1 << 20;
/// Transactions kept waiting in the node's pool: a few full blocks, so blocks stay full without the pool's
/// revalidation of a huge backlog taking the node's CPU.
const POOL_TARGET: usize = 6_000;
/// Keepers assigned to each node.
const KEEPERS_PER_NODE: u32 = 5;

struct Args {
    node_bin: PathBuf,
    work: PathBuf,
    nodes: usize,
    keepers: usize,
    receipts: u32,
    transfers: usize,
}

fn args() -> Args {
    let a: Vec<String> = std::env::args().collect();
    let number =
        |i: usize, default: usize| a.get(i).map_or(default, |v| v.parse().expect("a number"));
    Args {
        node_bin: a.get(1).expect("node binary").into(),
        work: a.get(2).expect("work dir").into(),
        nodes: number(3, 100_000),
        keepers: number(4, 200),
        receipts: number(5, 32) as u32,
        transfers: number(6, 20_000),
    }
}

/// A deterministic sr25519 account for `role` number `i`.
fn account(role: &str, i: usize) -> Keypair {
    let secret = blake3::hash(format!("enreach/bench/{role}/{i}").as_bytes());
    Keypair::from_secret_key(*secret.as_bytes()).expect("a 32-byte mini secret")
}

/// Nodes per operator (the registry allows 64): 2 000 operators for 100 000 nodes.
const NODES_PER_OPERATOR: usize = 50;

/// Generated node `i`, as the genesis registers it.
fn node_id(i: usize) -> NodeId {
    NodeId::generated(i as u32)
}

/// Each operator's next nonce, counted here: its transactions are signed ahead of their inclusion.
#[derive(Default)]
struct Nonces(HashMap<usize, u64>);

impl Nonces {
    fn next(&mut self, operator: usize) -> u64 {
        let nonce = self.0.entry(operator).or_default();
        *nonce += 1;
        *nonce - 1
    }
}

fn ss58(key: &Keypair) -> String {
    key.public_key().to_account_id().to_string()
}

/// The dApp's client that signs every receipt.
fn client() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

/// Node `i`'s receipts of epoch 0: `count` sessions of 1 MiB each from the one client.
fn receipts(
    genesis: [u8; 32],
    i: usize,
    count: u32,
    content: ContentId,
) -> ReceiptTree<DeliveryReceipt> {
    let client = client();
    let node = node_id(i);
    let receipts = (0..count)
        .map(|s| {
            let mut session = [0u8; 16];
            session[..4].copy_from_slice(&s.to_le_bytes());
            let mut r = DeliveryReceipt {
                genesis_hash: genesis,
                epoch: 0,
                node,
                client: ClientKey(client.verifying_key().to_bytes()),
                content,
                session: SessionId(session),
                cumulative_bytes: 1 << 20,
                signature: [0; 64],
            };
            r.signature = client.sign(&r.signing_payload()).to_bytes();
            r
        })
        .collect();
    ReceiptTree::new(receipts).expect("distinct sessions")
}

/// GPoW parameters: a 20-block epoch 0 (so the measured epoch starts within minutes), then production ones.
fn gpow_params(epoch_length: u32) -> serde_json::Value {
    json!({
        "epoch_length": epoch_length, "submission_window": if epoch_length > 100 { 200 } else { 10 },
        "challenge_delay": 1, "answer_window": if epoch_length > 100 { 100 } else { 5 },
        "sample_size": 32, "compute_sample_size": 32, "keepers_per_node": KEEPERS_PER_NODE,
        "keeper_tolerance_percent": 25, "max_bandwidth_mbps": 10000, "storage_samples": 2,
        "audit_percent": 5, "light_sample_size": 2
    })
}

/// `params` (a flat JSON object of numbers) as a composite value for a dynamic call.
fn params_value(params: &serde_json::Value) -> Value {
    Value::named_composite(
        params
            .as_object()
            .expect("an object")
            .iter()
            .map(|(name, v)| {
                (
                    name.clone(),
                    Value::u128(v.as_u64().expect("a number") as u128),
                )
            }),
    )
}

/// The dev chain spec with the bench's nodes, keepers and parameters added to its genesis.
fn chain_spec(args: &Args, content: ContentId) -> PathBuf {
    let out = std::process::Command::new(&args.node_bin)
        .args(["build-spec", "--chain", "dev"])
        .output()
        .expect("run build-spec");
    assert!(
        out.status.success(),
        "build-spec failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut spec: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("a JSON chain spec");
    let patch = spec
        .pointer_mut("/genesis/runtimeGenesis/patch")
        .expect("the dev spec carries a genesis patch");
    let balances = patch["balances"]["balances"]
        .as_array_mut()
        .expect("balances");
    let keeper_bond = 10_000 * UNIT;
    let operators: Vec<String> = (0..args.nodes.div_ceil(NODES_PER_OPERATOR))
        .map(|o| ss58(&account("operator", o)))
        .collect();
    for operator in &operators {
        balances.push(json!([operator, 100_000 * UNIT]));
    }
    for j in 0..args.keepers {
        balances.push(json!([ss58(&account("keeper", j)), 2 * keeper_bond]));
    }
    let region = json!({"continent": "Europe", "country": [68, 69]});
    let gpos_keepers = patch["gpos"]["keepers"]
        .as_array_mut()
        .expect("gpos keepers");
    for j in 0..args.keepers {
        gpos_keepers.push(json!([
            ss58(&account("keeper", j)),
            keeper_bond,
            50_000_000,
            region
        ]));
    }
    // Listed, 100 000 nodes would be more JSON than the runtime may allocate to read its genesis.
    assert_eq!(
        args.nodes % NODES_PER_OPERATOR,
        0,
        "nodes come in operators' sets of {NODES_PER_OPERATOR}"
    );
    patch["edgeNodes"] = json!({ "generated": {
        "operators": operators,
        "per_operator": NODES_PER_OPERATOR,
        "pin": [content.0, CONTENT_LEN],
    }});
    patch["gpow"]["params"] = gpow_params(20);
    let path = args.work.join("spec.json");
    std::fs::write(&path, serde_json::to_vec(&spec).expect("serialize")).expect("write spec");
    path
}

/// What the blocks from the measured one on did, read back from each block.
#[derive(Default, Debug)]
struct Tally {
    blocks: u32,
    fullness: f64,
    weight_share: f64,
    length_share: f64,
    bytes: u64,
    transactions: u64,
    events: HashMap<String, u64>,
    /// Per call: how many, and the block-equivalents of weight (after refunds) and of length they used.
    calls: HashMap<String, (u64, f64, f64)>,
}

impl Tally {
    fn count(&self, event: &str) -> u64 {
        self.events.get(event).copied().unwrap_or(0)
    }
}

#[derive(scale_decode::DecodeAsType)]
struct Weight {
    ref_time: u64,
    #[allow(dead_code)]
    proof_size: u64,
}

/// `System.ExtrinsicSuccess`'s only field.
#[derive(scale_decode::DecodeAsType)]
struct Success {
    dispatch_info: DispatchInfo,
}

#[derive(scale_decode::DecodeAsType)]
struct DispatchInfo {
    weight: Weight,
    #[allow(dead_code)]
    class: Value,
    #[allow(dead_code)]
    pays_fee: Value,
}

#[derive(scale_decode::DecodeAsType)]
struct PerClass {
    normal: Weight,
    #[allow(dead_code)]
    operational: Weight,
    #[allow(dead_code)]
    mandatory: Weight,
}

/// The bench's view of the node: the RPC client, subxt over it and the setup client.
struct Node {
    rpc: RpcClient,
    api: OnlineClient<PolkadotConfig>,
    chain: Chain,
}

impl Node {
    async fn best(&self) -> u32 {
        self.chain.best_number().await.expect("best block")
    }

    /// Reads block `number` into `tally`; returns the nodes whose reports it included.
    async fn read_block(&self, number: u32, tally: &mut Tally) -> Vec<NodeId> {
        let hash: String = self
            .rpc
            .request("chain_getBlockHash", rpc_params![number])
            .await
            .expect("block hash");
        let block: serde_json::Value = self
            .rpc
            .request("chain_getBlock", rpc_params![&hash])
            .await
            .expect("block");
        let extrinsics = block["block"]["extrinsics"].as_array().expect("extrinsics");
        // The first is the timestamp inherent, which is mandatory, not normal, class.
        let bytes: u64 = extrinsics
            .iter()
            .skip(1)
            .map(|x| (x.as_str().unwrap_or("0x").len() as u64 - 2) / 2)
            .sum();
        let at = self.api.at_block(number as u64).await.expect("block");
        let weight = at
            .storage()
            .try_fetch(
                dynamic::storage::<(), PerClass>("System", "BlockWeight"),
                (),
            )
            .await
            .expect("block weight")
            .expect("block weight is set")
            .decode()
            .expect("decode block weight");
        let weight_share = weight.normal.ref_time as f64 / NORMAL_REF_TIME;
        let length_share = bytes as f64 / NORMAL_LENGTH;
        tally.blocks += 1;
        tally.weight_share += weight_share;
        tally.length_share += length_share;
        tally.fullness += weight_share.max(length_share);
        tally.bytes += bytes;
        tally.transactions += extrinsics.len().saturating_sub(1) as u64;
        let mut calls = HashMap::new();
        for extrinsic in at.extrinsics().fetch().await.expect("extrinsics").iter() {
            let extrinsic = extrinsic.expect("extrinsic");
            let call = format!("{}.{}", extrinsic.pallet_name(), extrinsic.call_name());
            calls.insert(extrinsic.index() as u32, (call, extrinsic.bytes().len()));
        }
        let mut reported = Vec::new();
        for event in at.events().fetch().await.expect("events").iter() {
            let event = event.expect("event");
            let name = format!("{}.{}", event.pallet_name(), event.event_name());
            if let (subxt::events::Phase::ApplyExtrinsic(index), "System.ExtrinsicSuccess") =
                (event.phase(), name.as_str())
            {
                let success: Success = event.decode_fields_unchecked_as().expect("dispatch info");
                if let Some((call, len)) = calls.get(&index) {
                    let entry = tally.calls.entry(call.clone()).or_default();
                    entry.0 += 1;
                    entry.1 += success.dispatch_info.weight.ref_time as f64 / NORMAL_REF_TIME;
                    entry.2 += *len as f64 / NORMAL_LENGTH;
                }
            }
            if name == "Gpow.WorkReported" {
                let mut id = [0u8; 32];
                id.copy_from_slice(&event.field_bytes()[..32]);
                reported.push(NodeId(id));
            }
            // A call that failed inside a batch is counted by its error, so a run says why.
            let name = if name == "Utility.ItemFailed" {
                let error =
                    subxt::error::DispatchError::decode_from(event.field_bytes(), at.metadata())
                        .map_or_else(|e| e.to_string(), |e| e.to_string());
                format!("{name} ({error})")
            } else {
                name
            };
            *tally.events.entry(name).or_default() += 1;
        }
        reported
    }

    /// The latest block, to sign a round of transactions against.
    async fn at(&self) -> OnlineClientAtBlock<PolkadotConfig> {
        self.api.at_current_block().await.expect("current block")
    }
}

/// `call` signed by `signer` with `nonce`, immortal, SCALE-encoded, against `at`'s metadata and genesis.
fn sign(
    at: &OnlineClientAtBlock<PolkadotConfig>,
    signer: &Keypair,
    nonce: u64,
    call: impl subxt::transactions::Payload,
) -> Vec<u8> {
    {
        let params = DefaultExtrinsicParamsBuilder::<PolkadotConfig>::new()
            .nonce(nonce)
            .immortal()
            .build();
        at.transactions()
            .create_signable_offline(&call, params)
            .expect("signable")
            .sign(signer)
            .expect("signed")
            .into_encoded()
    }
}

/// `call` encoded against `at`'s metadata, for a batch.
fn encode(
    at: &OnlineClientAtBlock<PolkadotConfig>,
    call: impl subxt::transactions::Payload,
) -> EncodedCall {
    EncodedCall::new(at, &call).expect("encodable call")
}

impl Node {
    /// Submits without waiting; false if the pool refused it.
    async fn submit(&self, tx: Vec<u8>) -> bool {
        let hex = format!("0x{}", hex::encode(tx));
        let submitted: Result<serde_json::Value, _> = self
            .rpc
            .request("author_submitExtrinsic", rpc_params![hex])
            .await;
        if let Err(e) = &submitted {
            eprintln!("submission refused: {e}");
        }
        submitted.is_ok()
    }
}

/// Submits `transactions` (built on demand by `make`) keeping about [`POOL_TARGET`] of them in the pool, and
/// reads every block from `first` on until `done` says the work is in; `on_block` may queue more (answers to
/// the reports a block included).
struct Feeder<'a> {
    node: &'a Node,
    next_block: u32,
    tally: Tally,
    submitted: u64,
}

impl<'a> Feeder<'a> {
    async fn new(node: &'a Node) -> Self {
        Self {
            node,
            next_block: node.best().await + 1,
            tally: Tally::default(),
            submitted: 0,
        }
    }

    /// Reads the blocks produced since the last call; returns the nodes whose reports they included, with the
    /// block that did.
    async fn read_new_blocks(&mut self) -> Vec<(u32, NodeId)> {
        let best = self.node.best().await;
        let mut reported = Vec::new();
        while self.next_block <= best {
            let nodes = self.node.read_block(self.next_block, &mut self.tally).await;
            reported.extend(nodes.into_iter().map(|node| (self.next_block, node)));
            self.next_block += 1;
        }
        reported
    }

    fn in_pool(&self) -> u64 {
        self.submitted.saturating_sub(self.tally.transactions)
    }

    /// Submits `batch` (already signed), at most 32 at a time.
    async fn submit_all(&mut self, batch: Vec<Vec<u8>>) {
        let node = self.node;
        let accepted = stream::iter(batch)
            .map(|tx| node.submit(tx))
            .buffer_unordered(32)
            .filter(|ok| futures::future::ready(*ok))
            .count()
            .await;
        self.submitted += accepted as u64;
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args = args();
    std::fs::create_dir_all(&args.work).expect("work dir");
    let started = Instant::now();
    let blob: Vec<u8> = {
        let mut out = vec![0u8; CONTENT_LEN];
        blake3::Hasher::new()
            .update(b"enreach/bench/content")
            .finalize_xof()
            .fill(&mut out);
        out
    };
    let content = ContentId(*blake3::hash(&blob).as_bytes());
    let spec = chain_spec(&args, content);
    println!(
        "chain spec: {} nodes, {} keepers, {:.0} MiB, written in {:.1?}",
        args.nodes,
        args.keepers,
        std::fs::metadata(&spec).map_or(0, |m| m.len()) as f64 / (1 << 20) as f64,
        started.elapsed()
    );

    let mut config = NodeConfig::new(
        &args.node_bin,
        spec.to_str().expect("utf-8 path"),
        Some("alice"),
        &args.work.join("node"),
    );
    config.extra_args = [
        "--pool-limit",
        "100000",
        "--pool-kbytes",
        "2000000",
        "--rpc-max-request-size",
        "64",
        "--rpc-max-response-size",
        "256",
        "--rpc-max-connections",
        "1000",
    ]
    .map(String::from)
    .to_vec();
    let node_started = Instant::now();
    let mut process = NodeProcess::start(config);
    process.wait_rpc_port(Duration::from_secs(1800));
    println!(
        "node up (genesis of {} nodes built) in {:.1?}",
        args.nodes,
        node_started.elapsed()
    );
    let url = format!("ws://127.0.0.1:{}", process.config.rpc_port);
    let rpc = RpcClient::from_insecure_url(&url).await.expect("rpc");
    let node = Node {
        api: OnlineClient::from_rpc_client(rpc.clone())
            .await
            .expect("subxt"),
        rpc,
        chain: Chain::connect(&url).await.expect("chain client"),
    };
    let genesis = node.chain.genesis_hash();

    // Epoch 0: Alice opens a dApp account, authorizes the client and publishes the content every node pins.
    let alice = dev::alice();
    node.chain
        .submit(
            &alice,
            ("Settlement", "open_account", (100_000u128 * UNIT,)),
            Wait::InBlock,
        )
        .await
        .expect("open the dApp account");
    node.chain
        .submit(
            &alice,
            (
                "Settlement",
                "authorize_client",
                (ClientKey(client().verifying_key().to_bytes()),),
            ),
            Wait::InBlock,
        )
        .await
        .expect("authorize the client");
    node.chain
        .submit(
            &alice,
            (
                "Settlement",
                "publish_content",
                (content, CONTENT_LEN as u64, 64u32, UNIT, None::<Vec<u8>>),
            ),
            Wait::InBlock,
        )
        .await
        .expect("publish the content");

    // Node receipts of epoch 0 (their trees' roots go into the reports).
    let signing = Instant::now();
    let roots: Vec<([u8; 32], u32, u64)> = {
        let receipts_per_node = args.receipts;
        let nodes = args.nodes;
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let chunk = nodes.div_ceil(threads);
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                std::thread::spawn(move || {
                    (t * chunk..((t + 1) * chunk).min(nodes))
                        .map(|i| {
                            let tree = receipts(genesis, i, receipts_per_node, content);
                            (tree.root(), tree.len(), tree.total())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("signer thread"))
            .collect()
    };
    println!(
        "{} receipts signed and {} trees built in {:.1?}",
        args.nodes as u64 * args.receipts as u64,
        args.nodes,
        signing.elapsed()
    );

    // Epoch 1: production parameters from now on, then the measured epoch's transactions.
    while node
        .chain
        .current_epoch()
        .await
        .expect("epoch")
        .is_none_or(|e| e.index < 1)
    {
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let set_params = Value::unnamed_variant(
        "Gpow",
        [Value::named_variant(
            "set_params",
            [("params", params_value(&gpow_params(600)))],
        )],
    );
    node.chain
        .submit(&alice, ("Sudo", "sudo", (set_params,)), Wait::InBlock)
        .await
        .expect("production GPoW parameters");
    // The epoch seed (for storage challenges) is recorded by the epoch's second block.
    tokio::time::sleep(Duration::from_secs(7)).await;

    let measured = Instant::now();
    let mut feeder = Feeder::new(&node).await;
    let operators: Vec<Keypair> = (0..args.nodes / NODES_PER_OPERATOR)
        .map(|o| account("operator", o))
        .collect();
    let operator_of = |i: usize| i / NODES_PER_OPERATOR;
    let mut nonces = Nonces::default();
    // The bench's keepers and the dev chain's own (Alice, Bob and Charlie keep from genesis).
    let keepers: Vec<Keypair> = (0..args.keepers)
        .map(|j| account("keeper", j))
        .chain([dev::alice(), dev::bob(), dev::charlie()])
        .collect();

    // Every keeper's observations of epoch 0, batched.
    let mut observation_batches: VecDeque<(usize, u64, Vec<KeeperObservation>)> = VecDeque::new();
    // Each keeper asks for its nodes as `edge-worker`'s keeper does: the first call draws the epoch's assignment,
    // the others are served from the chain node's memory.
    let assignments: Vec<(Vec<NodeId>, u64)> = stream::iter(&keepers)
        .map(|keeper| async {
            let assigned = node
                .chain
                .assigned_nodes(0, &ss58(keeper))
                .await
                .expect("assigned nodes");
            let nonce: u64 = node
                .rpc
                .request("system_accountNextIndex", rpc_params![ss58(keeper)])
                .await
                .expect("nonce");
            (assigned, nonce)
        })
        .buffered(4)
        .collect()
        .await;
    for (j, (assigned, first_nonce)) in assignments.into_iter().enumerate() {
        let observed: Vec<KeeperObservation> = assigned
            .iter()
            .map(|&node| KeeperObservation {
                node,
                epoch: 0,
                probes_answered: 12,
                probes_sent: 12,
                median_rtt_ms: 20,
                storage_passed: 2,
                storage_sent: 2,
                bandwidth_mbps: 800,
                replays_sent: 0,
                replays_failed: 0,
            })
            .collect();
        // Packed as `edge-worker`'s keeper packs them.
        for (n, batch) in observations::batches(&observed, KEEPERS_PER_NODE)
            .into_iter()
            .enumerate()
        {
            observation_batches.push_back((j, first_nonce + n as u64, batch));
        }
    }
    let observations: u64 = observation_batches
        .iter()
        .map(|(_, _, b)| b.len() as u64)
        .sum();
    println!(
        "{observations} observations in {} batches assigned by the chain ({:.1?})",
        observation_batches.len(),
        measured.elapsed()
    );

    // Each node's report with its storage proof, then its challenge answer, signed by its operator in turn.
    let index_of: HashMap<NodeId, usize> = (0..args.nodes).map(|i| (node_id(i), i)).collect();
    let mut next_report = 0usize;
    let mut answers_due: VecDeque<(u32, usize)> = VecDeque::new();
    let total_batches = observation_batches.len();
    let mut sent_batches = 0usize;
    let mut last_progress = (0u64, feeder.next_block);
    let per_round = 600usize;
    loop {
        for (block, reported) in feeder.read_new_blocks().await {
            if let Some(&i) = index_of.get(&reported) {
                // The challenge is seeded by the next block and known once a block follows that one.
                answers_due.push_back((block + 2, i));
            }
        }
        let verified = feeder.tally.count("Gpow.WorkVerified");
        let proven = feeder.tally.count("Gpow.StorageProven");
        let observed = feeder.tally.count("Gpow.Observed");
        if verified as usize >= args.nodes
            && proven as usize >= args.nodes
            && observed >= observations
        {
            break;
        }
        // Everything was sent and nothing has happened for 20 blocks: some transactions failed (the events
        // above say which).
        let progress = verified + proven + observed;
        if progress != last_progress.0 {
            last_progress = (progress, feeder.next_block);
        } else if next_report == args.nodes
            && observation_batches.is_empty()
            && answers_due.is_empty()
            && feeder.next_block > last_progress.1 + 20
        {
            eprintln!("stalled: {verified} verified, {proven} proven, {observed} observed");
            break;
        }
        if feeder.tally.count("Gpow.ReportVoided") > 0 {
            eprintln!("a report was voided: an answer came too late");
        }
        if (feeder.in_pool() as usize) < POOL_TARGET {
            let mut batch = Vec::new();
            let at = node.at().await;
            // Answers first: they have a deadline.
            let mut due_now = Vec::new();
            while let Some(&(due, i)) = answers_due.front() {
                if due > feeder.next_block.saturating_sub(1) || due_now.len() >= per_round {
                    break;
                }
                answers_due.pop_front();
                due_now.push(i);
            }
            let chain = &node.chain;
            let challenges: Vec<_> = stream::iter(due_now)
                .map(|i| async move {
                    let challenge = chain
                        .open_challenge(node_id(i))
                        .await
                        .expect("challenge")
                        .expect("an open challenge for a reported node");
                    (i, challenge)
                })
                .buffered(16)
                .collect()
                .await;
            for (i, challenge) in challenges {
                let tree = receipts(genesis, i, args.receipts, content);
                let answer: Vec<_> = challenge
                    .offsets
                    .iter()
                    .map(|&offset| {
                        let leaf = tree.leaf_at(offset).expect("offset inside the tree");
                        (
                            tree.receipts()[leaf as usize].clone(),
                            tree.proof(leaf).expect("leaf"),
                        )
                    })
                    .collect();
                let call = dynamic::transaction(
                    "Gpow",
                    "answer_challenge",
                    (
                        node_id(i),
                        0u32,
                        answer,
                        Vec::<(ComputeReceipt, ReceiptProof)>::new(),
                    ),
                );
                let o = operator_of(i);
                batch.push(sign(&at, &operators[o], nonces.next(o), call));
            }
            // Reports first, as a network's nodes all report when the window opens: 1 000 a round (a block
            // takes at most `MaxReportsPerBlock` of them), so every one is in long before the window closes. Each
            // goes in one transaction with the node's storage proofs of the epoch, as `edge-worker` sends them.
            let reported_to = (next_report + 1_000).min(args.nodes);
            let storage: Vec<_> = stream::iter(next_report..reported_to)
                .map(|i| async move {
                    let challenges = chain
                        .storage_challenges(node_id(i))
                        .await
                        .expect("storage challenges");
                    (i, challenges)
                })
                .buffered(16)
                .collect()
                .await;
            for (i, challenges) in storage {
                let (root, count, total) = roots[i];
                let report = WorkReport {
                    node: node_id(i),
                    epoch: 0,
                    receipts_root: root,
                    receipt_count: count,
                    total_bytes: total,
                    compute_root: [0; 32],
                    compute_receipt_count: 0,
                    total_units: 0,
                };
                let mut calls = vec![encode(
                    &at,
                    dynamic::transaction("Gpow", "submit_work_report", (report,)),
                )];
                for challenge in challenges {
                    let proof: Vec<_> = challenge
                        .chunks
                        .iter()
                        .map(|&chunk| chunk_proof(&blob, chunk).expect("chunk inside the content"))
                        .collect();
                    calls.push(encode(
                        &at,
                        dynamic::transaction(
                            "Gpow",
                            "answer_storage_challenge",
                            (node_id(i), challenge.epoch, content, proof),
                        ),
                    ));
                }
                let o = operator_of(i);
                batch.push(sign(
                    &at,
                    &operators[o],
                    nonces.next(o),
                    enreach_edge_chain::batch(calls),
                ));
            }
            next_report = reported_to;
            // Keepers' batches go out as the nodes' transactions do, in proportion.
            let due = (total_batches * next_report).div_ceil(args.nodes.max(1));
            while sent_batches < due {
                sent_batches += 1;
                if let Some((j, nonce, batch_obs)) = observation_batches.pop_front() {
                    batch.push(sign(
                        &at,
                        &keepers[j],
                        nonce,
                        dynamic::transaction("Gpow", "submit_observations", (batch_obs,)),
                    ));
                }
            }
            feeder.submit_all(batch).await;
        } else {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    let gpow = std::mem::take(&mut feeder.tally);
    let gpow_time = measured.elapsed();
    report("GPoW epoch", &gpow, args.nodes, gpow_time);
    let mut engine = router_and_keeper(&node, &keepers[0]).await;

    // The baseline: transfers from the operators.
    let mut feeder = Feeder::new(&node).await;
    let baseline = Instant::now();
    let alice_id = dev::alice().public_key().to_account_id();
    let mut next = 0usize;
    while feeder.tally.count("Balances.Transfer") < args.transfers as u64 {
        feeder.read_new_blocks().await;
        if (feeder.in_pool() as usize) < POOL_TARGET && next < args.transfers {
            let end = (next + 2000).min(args.transfers);
            let mut batch = Vec::new();
            let at = node.at().await;
            for i in next..end {
                let call = dynamic::transaction(
                    "Balances",
                    "transfer_keep_alive",
                    (
                        dynamic::Value::unnamed_variant(
                            "Id",
                            [dynamic::Value::from_bytes(alice_id.0)],
                        ),
                        UNIT,
                    ),
                );
                let o = i % operators.len();
                batch.push(sign(&at, &operators[o], nonces.next(o), call));
            }
            next = end;
            feeder.submit_all(batch).await;
        } else {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    let transfers = feeder.tally;
    report("transfers", &transfers, args.transfers, baseline.elapsed());
    let per_transfer = transfers.fullness / args.transfers as f64;
    println!(
        "GPoW epoch of {} nodes = {:.1} full blocks = {:.1} % of a {PRODUCTION_EPOCH}-block epoch = the block space of {:.0} transfers ({:.0} per block)",
        args.nodes,
        gpow.fullness,
        100.0 * gpow.fullness / PRODUCTION_EPOCH,
        gpow.fullness / per_transfer,
        1.0 / per_transfer
    );
    let state = dir_size(&args.work.join("node"));
    println!(
        "node database after the run: {:.0} MiB",
        state as f64 / (1 << 20) as f64
    );
    // What `scripts/bench/scaling-model` projects from: each call's mean weight and length.
    let calls: serde_json::Map<String, serde_json::Value> = gpow
        .calls
        .iter()
        .chain(&transfers.calls)
        .map(|(call, (count, weight, length))| {
            let n = *count as f64;
            (
                call.clone(),
                json!({
                    "count": count,
                    "weight_us": weight * NORMAL_REF_TIME / 1e6 / n,
                    "bytes": length * NORMAL_LENGTH / n,
                }),
            )
        })
        .collect();
    let result = json!({
        "nodes": args.nodes,
        "keepers": args.keepers + 3,
        "keepers_per_node": KEEPERS_PER_NODE,
        "full_blocks": gpow.fullness,
        "blocks": gpow.blocks,
        "transfers_per_block": 1.0 / per_transfer,
        "normal_ref_time_us": NORMAL_REF_TIME / 1e6,
        "normal_length_bytes": NORMAL_LENGTH,
        "calls": calls,
    });
    let path = args.work.join("result.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&result).expect("json")).expect("write result");
    println!("per-call costs: {}", path.display());
    process.kill();
    time_decisions(&mut engine);
}

/// What a router and a keeper of this network do against the chain, timed, with the memory they take: the
/// router's copy of the registry (one full read, then a block's events) and its engine over it, whose decisions
/// are timed once the node has stopped ([`time_decisions`]); the keeper's list of its nodes (one runtime call) and
/// the entries it then reads.
async fn router_and_keeper(node: &Node, keeper: &Keypair) -> Router {
    let before = rss_kib();
    let started = Instant::now();
    let mut registry = Registry::default();
    let full = registry.sync(&node.chain).await.expect("registry");
    let full_took = started.elapsed();
    let registry_kib = rss_kib().saturating_sub(before);
    while node.chain.finalized_number().await.expect("finalized") < full.block + 1 {
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let started = Instant::now();
    let step = registry.sync(&node.chain).await.expect("registry");
    let step_took = started.elapsed();
    println!(
        "router: registry of {} nodes read whole in {full_took:.1?} ({:.0} MiB of memory); then {} blocks followed from their events in {step_took:.1?} ({} entries read again)",
        registry.nodes().len(),
        registry_kib as f64 / 1024.0,
        step.block - full.block,
        step.changed,
    );

    let before = rss_kib();
    let started = Instant::now();
    let mut engine = Router::new(Params::default());
    for (id, record) in registry.nodes() {
        let region = region_key(record.capabilities.region.continent);
        let idx = engine.upsert(
            NodeInfo {
                key: id.0,
                region,
                coord: Coord::near_region(region, &id.0),
                capacity: record.capabilities.bandwidth_up_mbps,
                score: 1,
                runs_apps: false,
            },
            0,
        );
        engine.heartbeat(idx, 0);
    }
    engine.rebuild();
    let built = started.elapsed();
    let engine_kib = rss_kib().saturating_sub(before);
    println!(
        "router: engine over {} nodes built in {built:.1?} ({:.0} MiB)",
        registry.nodes().len(),
        engine_kib as f64 / 1024.0,
    );

    let epoch = node
        .chain
        .current_epoch()
        .await
        .expect("epoch")
        .expect("an epoch")
        .index;
    let started = Instant::now();
    let assigned = node
        .chain
        .assigned_nodes(epoch, &ss58(keeper))
        .await
        .expect("assigned");
    let listed = started.elapsed();
    let read: usize = stream::iter(&assigned)
        .map(|id| node.chain.node(*id))
        .buffer_unordered(16)
        .filter(|entry| futures::future::ready(matches!(entry, Ok(Some(_)))))
        .count()
        .await;
    assert_eq!(read, assigned.len(), "every assigned node is registered");
    println!(
        "keeper: its {} nodes of epoch {epoch} listed in {listed:.1?} (the chain node drew the epoch's whole assignment, one runtime call, for every keeper), their entries read in {:.1?}",
        assigned.len(),
        started.elapsed() - listed,
    );
    engine
}

/// Times 200 000 of the router's decisions over `engine`, with nothing else running (the node stopped), beside
/// a fixed computation of similar length timed the same way: what the machine itself adds to a p99 shows in
/// the control.
fn time_decisions(engine: &mut Router) {
    let decisions = 200_000u64;
    let mut took = Vec::with_capacity(decisions as usize);
    let mut control = Vec::with_capacity(decisions as usize);
    let block = [7u8; 4096];
    for r in 0..decisions {
        let content = content_key(blake3::hash(&(r % 10_000).to_le_bytes()).as_bytes());
        let region = region_key(REGION_CONTINENTS[(r % 6) as usize]);
        let client = ClientHint {
            region,
            coord: Some(Coord::near_region(
                region,
                blake3::hash(&r.to_be_bytes()).as_bytes(),
            )),
        };
        let started = Instant::now();
        let chosen = engine.route(content, &client, 4, 1);
        took.push(started.elapsed());
        assert!(!chosen.is_empty(), "the router found no node");
        let started = Instant::now();
        std::hint::black_box(blake3::hash(std::hint::black_box(&block)));
        control.push(started.elapsed());
    }
    let quantiles = |mut took: Vec<Duration>| {
        took.sort();
        let at = |q: f64| took[((took.len() - 1) as f64 * q) as usize];
        (at(0.5), at(0.99), at(1.0))
    };
    let (p50, p99, max) = quantiles(took);
    let (c50, c99, cmax) = quantiles(control);
    println!(
        "router: {decisions} decisions: p50 {p50:.1?}, p99 {p99:.1?}, max {max:.1?} (control, BLAKE3 of 4 KiB: p50 {c50:.1?}, p99 {c99:.1?}, max {cmax:.1?})"
    );
}

/// The continents of [`REGIONS`], as the registry records them.
const REGION_CONTINENTS: [Continent; 6] = [
    Continent::Europe,
    Continent::NorthAmerica,
    Continent::Asia,
    Continent::SouthAmerica,
    Continent::Africa,
    Continent::Oceania,
];

/// This process's resident memory, KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn report(what: &str, tally: &Tally, subjects: usize, took: Duration) {
    println!(
        "{what}: {subjects} subjects, {} transactions in {} blocks ({:.1?}): {:.1} full blocks (weight {:.1}, length {:.1} block-equivalents), {:.1} MiB",
        tally.transactions,
        tally.blocks,
        took,
        tally.fullness,
        tally.weight_share,
        tally.length_share,
        tally.bytes as f64 / (1 << 20) as f64,
    );
    let mut calls: Vec<_> = tally.calls.iter().collect();
    calls.sort_by(|a, b| a.0.cmp(b.0));
    for (call, (count, weight, length)) in calls {
        println!(
            "  {call}: {count}, weight {weight:.2} and length {length:.2} block-equivalents ({:.1} us and {:.0} bytes each)",
            weight * NORMAL_REF_TIME / 1e6 / *count as f64,
            length * NORMAL_LENGTH / *count as f64
        );
    }
    let mut events: Vec<_> = tally
        .events
        .iter()
        .filter(|(k, _)| {
            !k.starts_with("System.ExtrinsicSuccess") && !k.starts_with("TransactionPayment")
        })
        .collect();
    events.sort();
    for (name, count) in events {
        println!("  {name}: {count}");
    }
}

fn dir_size(path: &Path) -> u64 {
    std::fs::read_dir(path).map_or(0, |entries| {
        entries
            .flatten()
            .map(|e| match e.metadata() {
                Ok(m) if m.is_dir() => dir_size(&e.path()),
                Ok(m) => m.len(),
                Err(_) => 0,
            })
            .sum()
    })
}
