//! `enreach:ai/inference`: an app answers a prompt with a model the node holds, the same answer and the same
//! compute units on a keeper's replay; a model the node lacks is fetched and the request runs again; the
//! model's work is paid for in compute units before it runs.

mod common;

use std::{
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, AtomicU32, Ordering},
        Arc,
    },
    time::Duration,
};

use bytes::Bytes;
use common::hvm_with;
use enreach_hvm::{AppLimits, Execution, Held, Hvm, Invocation, Models, NodeCaps, Outcome};
use enreach_infer::Model;

/// The node's models: one folder, held or not until fetched.
struct Folder {
    id: [u8; 32],
    dir: PathBuf,
    held: AtomicBool,
    fetches: AtomicU32,
}

impl Models for Folder {
    fn held(&self, id: &[u8; 32]) -> Held {
        if *id != self.id || !self.held.load(Ordering::SeqCst) {
            return Held::Unavailable("not held".into());
        }
        Model::from_folder(&self.dir).into()
    }

    fn fetch(
        &self,
        id: [u8; 32],
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + '_>> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let known = id == self.id;
        Box::pin(async move {
            if !known {
                return Err("no such model".into());
            }
            self.held.store(true, Ordering::SeqCst);
            Ok(())
        })
    }
}

struct Node {
    hvm: Hvm,
    app: [u8; 32],
    models: Arc<Folder>,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

/// A PeerHVM running `edge-chat`, with the tiny model of `seed` (held from the start or not).
fn node(seed: u64, held: bool) -> Node {
    let models_dir = tempfile::tempdir().unwrap();
    enreach_infer::tiny::write(models_dir.path(), seed).unwrap();
    let models = Arc::new(Folder {
        id: [seed as u8; 32],
        dir: models_dir.path().into(),
        held: AtomicBool::new(held),
        fetches: AtomicU32::new(0),
    });
    let (hvm, dir, ids) = hvm_with(NodeCaps::default(), &["edge-chat"]);
    Node {
        hvm: hvm.with_models(models.clone()),
        app: ids[0],
        models,
        _dirs: (dir, models_dir),
    }
}

fn ask(model: &[u8; 32], max: u32, prompt: &str) -> Invocation {
    let model: String = model.iter().map(|b| format!("{b:02x}")).collect();
    Invocation {
        method: "POST".into(),
        path_and_query: format!("/generate?model={model}&max={max}"),
        headers: vec![],
        body: Bytes::copy_from_slice(prompt.as_bytes()),
        time: Duration::from_secs(1_790_000_000),
        seed: [3; 32],
    }
}

async fn run(node: &Node, compute_units: u64, invocation: &Invocation) -> Execution {
    let limits = AppLimits {
        compute_units,
        ..AppLimits::default()
    };
    node.hvm
        .invoke(&node.app, limits, Arc::from(Vec::new()), invocation)
        .await
        .unwrap()
}

fn json(execution: &Execution) -> serde_json::Value {
    serde_json::from_slice(&execution.body).unwrap_or_else(|e| panic!("{e}: {:?}", execution.body))
}

const UNITS: u64 = 200_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_answers_a_prompt_with_the_nodes_model_and_a_replay_gets_the_same() {
    let edge = node(7, true);
    let question = ask(&edge.models.id, 24, "What is an edge cloud?");
    let answer = run(&edge, UNITS, &question).await;
    assert_eq!(
        (answer.outcome.clone(), answer.status),
        (Outcome::Answered, 200),
        "{answer:?}"
    );
    let tokens = json(&answer)["tokens"].as_array().unwrap().len();
    assert!((1..=24).contains(&tokens), "{tokens} tokens");
    assert!(answer.is_replayable());

    // The model's work is in the compute units: 23 more positions asked cost what the model says they do, and
    // the app's own work for the longer answer on top.
    let short = run(
        &edge,
        UNITS,
        &ask(&edge.models.id, 1, "What is an edge cloud?"),
    )
    .await;
    let model = Model::from_folder(&edge.models.dir).unwrap();
    let more = model.cost(22, 24) - model.cost(22, 1);
    assert!(
        answer.compute_units - short.compute_units >= more,
        "{} vs {}",
        answer.compute_units,
        short.compute_units
    );
    assert!(answer.compute_units > model.cost(22, 24));

    // A keeper's own PeerHVM with the same model: the same answer, the same units.
    let keeper = node(7, true);
    let replay = run(&keeper, answer.compute_units, &question).await;
    assert_eq!(replay.response_hash(), answer.response_hash());
    assert_eq!(replay.compute_units, answer.compute_units);

    // Another prompt, another answer; another model, another answer.
    let other = run(
        &edge,
        UNITS,
        &ask(&edge.models.id, 24, "Who pays the nodes?"),
    )
    .await;
    assert_ne!(json(&other)["tokens"], json(&answer)["tokens"]);
    let elsewhere = node(9, true);
    let there = run(
        &elsewhere,
        UNITS,
        &ask(&elsewhere.models.id, 24, "What is an edge cloud?"),
    )
    .await;
    assert_ne!(json(&there)["tokens"], json(&answer)["tokens"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_the_node_lacks_is_fetched_and_the_request_runs_with_it() {
    let holding = node(7, true);
    let question = ask(&holding.models.id, 16, "hello");
    let expected = run(&holding, UNITS, &question).await;

    let lacking = node(7, false);
    let answer = run(&lacking, UNITS, &question).await;
    assert_eq!(lacking.models.fetches.load(Ordering::SeqCst), 1);
    assert_eq!(answer.response_hash(), expected.response_hash());
    assert_eq!(answer.compute_units, expected.compute_units);
    assert!(answer.is_replayable());

    // A model no one has: the app is told, and the execution, which saw this node's state, is not replayed.
    let unknown = run(&lacking, UNITS, &ask(&[0xab; 32], 16, "hello")).await;
    assert_eq!(unknown.status, 422, "{unknown:?}");
    assert!(!unknown.is_replayable());
    // A name that is not a model id at all is the app's mistake, the same everywhere.
    let mut garbled = ask(&[0xab; 32], 16, "hello");
    garbled.path_and_query = "/generate?model=xyz&max=4".into();
    let garbled = run(&lacking, UNITS, &garbled).await;
    assert_eq!(garbled.status, 422);
    assert!(garbled.is_replayable());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_models_work_is_paid_before_it_runs() {
    let edge = node(7, true);
    let question = ask(&edge.models.id, 64, "a long answer, please");
    let model = Model::from_folder(&edge.models.dir).unwrap();
    // Enough units to start the app but not for 64 tokens of the model: stopped, billed the whole limit.
    let limit = model.cost(21, 64) / 2;
    let stopped = run(&edge, limit, &question).await;
    assert_eq!(stopped.outcome, Outcome::OutOfCompute, "{stopped:?}");
    assert_eq!(stopped.compute_units, limit);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_that_is_not_one_is_refused_the_same_way_everywhere() {
    let edge = node(7, true);
    let config = edge.models.dir.join("config.json");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace("\"intermediate_size\": 128", "\"intermediate_size\": 96"),
    )
    .unwrap();
    let refused = run(&edge, UNITS, &ask(&edge.models.id, 8, "hello")).await;
    assert_eq!(refused.status, 422);
    assert!(
        json(&refused)["error"]
            .as_str()
            .unwrap()
            .contains("not a model"),
        "{refused:?}"
    );
    assert!(refused.is_replayable());
    assert_eq!(edge.models.fetches.load(Ordering::SeqCst), 0);
}
