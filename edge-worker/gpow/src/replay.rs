//! A keeper's replay of a node's compute: draw unit offsets of the node's reported total, have the node reveal
//! the receipts covering them with their paths and transcripts ([`crate::transcripts`]), check all of it
//! against the report's root on chain and the clients' signatures, and run a few of each session's requests
//! again on the same code with the same inputs. A session the node cannot or will not reveal, or whose replay
//! does not reproduce what the client signed, is a failed replay.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::{Duration, Instant},
};

use codec::{Decode, Encode};
use enreach_dts::{
    metrics::Metrics,
    network::Network,
    store::{Blob, ContentHash, ContentStore},
    transfer::{fetch, Sources},
};
use enreach_edge_chain::{Chain, ChainError, ComputeClaim};
use enreach_hvm::{AppLimits, CodeId, Execution, Hvm, HvmError, Invocation, NodeCaps, Outcome};
use enreach_primitives::{
    merkle::verify_receipt, ComputeStep, ContentId, EpochIndex, NodeId, SummedLeaf,
};
use libp2p::PeerId;
use rand::{seq::index::sample, Rng};
use subxt_signer::sr25519::Keypair;
use tracing::{debug, warn};

use crate::{
    compute::{request_seed, verifies},
    compute_ledger::RecordedInvocation,
    models::{ModelUnavailable, StoreModels},
    transcripts::{Ask, KeeperQuery, SampledSession},
};

/// Rounds of fetching the models a replay missed and replaying again.
const MODEL_ROUNDS: usize = 3;

/// Unit offsets a keeper draws of a node's compute each epoch: each lands in one session.
pub const SESSIONS_PER_NODE: usize = 4;

/// Requests of each sampled session replayed, drawn at random: a node that answered a share `f` of a session's
/// requests wrongly is caught with probability `1 - (1 - f)^4` per session, by each keeper.
pub const STEPS_PER_SESSION: usize = 4;

/// How long one query to the node may take.
const QUERY_TIMEOUT: Duration = Duration::from_secs(20);

/// Tries of a query before the node counts as withholding: a gateway restarting for a moment is not fraud.
const QUERY_TRIES: usize = 3;

/// Largest answer a keeper reads: 8 transcripts of 10 000 steps, or 4 invocations of the largest request.
const MAX_ANSWER_BYTES: usize = 24 << 20;

/// How long a node has to answer all of one keeper's queries of a replay: one that makes it wait longer is
/// withholding.
pub const REPLAY_DEADLINE: Duration = Duration::from_secs(45);

/// Nodes a keeper replays at once. Each replays one request at a time, so this is also how many instances a
/// keeper runs at once.
pub const REPLAYS_AT_ONCE: usize = 4;

/// The caps of a keeper's PeerHVM: room for any app's memory and compute (what a node may give an instance is
/// bounded by the app's registered limits, themselves bounded by the chain), an instance for each replay at
/// once, whichever app they run (several nodes running one app are replayed together): a replay refused a
/// slot would count for the node.
pub fn replay_caps() -> NodeCaps {
    NodeCaps {
        memory_bytes: 4 << 30,
        compute_units: u64::MAX,
        instances: REPLAYS_AT_ONCE as u32,
        app_instances: Some(REPLAYS_AT_ONCE as u32),
        ..NodeCaps::default()
    }
}

/// How long fetching an app's code may take.
const CODE_FETCH_DEADLINE: Duration = Duration::from_secs(60);

/// Why code cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum CodeUnavailable {
    #[error("the app's code is not published")]
    NotPublished,
    #[error("{size} bytes, over this node's limit of {limit}")]
    TooLarge { size: u64, limit: u64 },
    #[error("the app's code cannot be fetched now")]
    Unfetchable,
}

/// Why a keeper cannot run code it replays.
#[derive(Debug, thiserror::Error)]
enum Unready {
    #[error(transparent)]
    Code(CodeUnavailable),
    #[error("the code does not load here: {0}")]
    Load(String),
}

/// Where app code comes from: the store it is kept in, and PeerDTS (with the chain's record of its size) for
/// code the store lacks. Shared by an edge's apps role and a keeper's replays.
#[derive(Clone)]
pub struct CodeSource {
    pub chain: Chain,
    pub network: Network,
    pub store: Arc<ContentStore>,
    pub metrics: Arc<Metrics>,
}

impl CodeSource {
    /// The complete blob of app code `code`: held in the store, or fetched through PeerDTS (verified against
    /// its content id) after the chain's record of its size passed `hvm`'s cap, before a byte is fetched.
    pub async fn held(
        &self,
        hvm: &Hvm,
        code: ContentId,
        sources: Sources,
    ) -> Result<Arc<Blob>, CodeUnavailable> {
        self.published(code, hvm.caps().code_bytes as u64, sources)
            .await
    }

    /// The complete blob of published content `content` (held, or fetched as [`Self::held`] fetches code) if
    /// the chain's record of its size is at most `limit`.
    pub async fn published(
        &self,
        content: ContentId,
        limit: u64,
        sources: Sources,
    ) -> Result<Arc<Blob>, CodeUnavailable> {
        let id = ContentHash::from_bytes(content.0);
        if let Some(blob) = self.store.get(&id).filter(|b| b.is_complete()) {
            return Ok(blob);
        }
        let size = self.chain.content(id).await.ok().flatten().map(|c| c.size);
        let size = size.ok_or(CodeUnavailable::NotPublished)?;
        if size > limit {
            return Err(CodeUnavailable::TooLarge { size, limit });
        }
        let fetched = tokio::time::timeout(
            CODE_FETCH_DEADLINE,
            fetch(
                &self.network,
                self.store.clone(),
                id,
                Some(size),
                sources,
                self.metrics.clone(),
                None,
                |_| {},
            ),
        )
        .await;
        if !matches!(fetched, Ok(Ok(_))) {
            return Err(CodeUnavailable::Unfetchable);
        }
        self.network.announce(id).await;
        self.store
            .get(&id)
            .filter(|b| b.is_complete())
            .ok_or(CodeUnavailable::Unfetchable)
    }
}

/// Whether `replay`, run with `step.units` of fuel, reproduces `step`. `Ok(false)`: the keeper cannot tell
/// (its own wall-time limit stopped the replay), which counts for the node.
pub fn judge(step: &ComputeStep, replay: &Execution) -> Result<bool, String> {
    // The keeper's own wall-time stop, or a model the app names that the keeper could not fetch.
    if replay.outcome == Outcome::TimedOut || !replay.missing_models.is_empty() {
        return Ok(false);
    }
    // A step the node could not replay itself (a model it lacked, say) whose replay ran a model: the keeper
    // held what the node did not, so the two runs saw different things.
    if !step.replayable && replay.models_used {
        return Ok(false);
    }
    if step.replayable {
        if !replay.is_replayable() {
            return Err(format!(
                "signed as replayable, but the replay ended {:?}",
                replay.outcome
            ));
        }
        if replay.response_hash() != step.response {
            return Err("the replay answered otherwise than the signed answer".into());
        }
        if replay.compute_units != step.units {
            return Err(format!(
                "the replay took {} units, not the {} billed",
                replay.compute_units, step.units
            ));
        }
        return Ok(true);
    }
    // A step the node says it stopped (wall time, a response over its cap) or that saw the outside world: the
    // app must really have run all the units billed without finishing on its own.
    if replay.is_replayable() && replay.outcome != Outcome::OutOfCompute {
        return Err(format!(
            "signed as not replayable, but the app finishes within its {} units",
            step.units
        ));
    }
    Ok(true)
}

/// Replays nodes' compute for one keeper.
pub struct Replayer {
    pub hvm: Arc<Hvm>,
    pub chain: Chain,
    pub keeper: Keypair,
    /// Where the replayed code comes from (the keeper's sample store and PeerDTS).
    pub code: CodeSource,
    /// The models apps name, as `hvm` runs them (fetched from the node replayed: [`crate::models::Fetching::Asked`]).
    pub models: Arc<StoreModels>,
    pub http: reqwest::Client,
}

/// The outcome of replaying one node: sessions replayed and sessions that failed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Replays {
    pub sent: u16,
    pub failed: u16,
}

impl Replays {
    /// Every drawn session failed: the node did not reveal them (in time, or at all).
    pub fn withheld() -> Self {
        Self {
            sent: SESSIONS_PER_NODE as u16,
            failed: SESSIONS_PER_NODE as u16,
        }
    }
}

/// The most units one request of each code may bill: its apps' registered limit (the largest, when several
/// apps run one code). Code no app runs any more is held to the default node's cap.
pub struct UnitLimits(HashMap<ContentId, u64>);

impl UnitLimits {
    fn of(&self, code: &ContentId) -> u64 {
        self.0
            .get(code)
            .copied()
            .unwrap_or(NodeCaps::default().compute_units)
    }
}

impl Replayer {
    /// The apps' limits as the chain has them now, read once for all the nodes replayed together.
    pub async fn unit_limits(&self) -> Result<UnitLimits, ChainError> {
        let mut limits = HashMap::new();
        for (_, app) in self.chain.apps().await? {
            let limit = limits.entry(app.code).or_insert(0u64);
            *limit = (*limit).max(app.limits.compute_units);
        }
        Ok(UnitLimits(limits))
    }

    /// Replays a sample of `node`'s compute in `epoch`, as its report (`claim`) commits to, asking its gateway.
    /// The node has [`REPLAY_DEADLINE`] in all to answer the keeper's queries (past it, what is unanswered
    /// counts as withheld); the keeper's own work (fetching and compiling the code, running it) is not counted
    /// against it.
    pub async fn replay(
        &self,
        epoch: EpochIndex,
        node: NodeId,
        peer: PeerId,
        gateway: &str,
        claim: &ComputeClaim,
        limits: &UnitLimits,
    ) -> Replays {
        let ask = Asking {
            gateway,
            epoch,
            node,
            deadline: Instant::now() + REPLAY_DEADLINE,
            peer,
        };
        let offsets: Vec<u64> = {
            let mut rng = rand::thread_rng();
            (0..SESSIONS_PER_NODE)
                .map(|_| rng.gen_range(0..claim.total_units))
                .collect()
        };
        let Some(sessions) = self
            .query::<Vec<SampledSession>>(
                &ask,
                Ask::Sample {
                    offsets: offsets.clone(),
                },
            )
            .await
            .filter(|s| s.len() == offsets.len())
        else {
            warn!(node = %hex::encode(node.0), epoch, "the node did not reveal its sampled compute");
            return Replays::withheld();
        };
        let mut seen = HashSet::new();
        let mut replays = Replays::default();
        for (offset, session) in offsets.iter().zip(sessions) {
            // Every answer must be the receipt covering its offset; a session drawn twice is replayed once.
            let checked = self.check_sampled(epoch, node, claim, *offset, &session);
            let first = seen.insert((session.receipt.client, session.receipt.session));
            if checked.is_ok() && !first {
                continue;
            }
            replays.sent += 1;
            let outcome = match checked {
                Ok(()) => self.replay_session(&ask, limits, &session).await,
                Err(why) => Err(why),
            };
            if let Err(why) = outcome {
                warn!(node = %hex::encode(node.0), epoch, %why, "a compute replay failed");
                replays.failed += 1;
            }
        }
        replays
    }

    /// Checks that `session` is what the report commits to at `offset`: the receipt in the reported tree,
    /// covering the offset, its client's for this node and epoch, with the transcript it signs.
    fn check_sampled(
        &self,
        epoch: EpochIndex,
        node: NodeId,
        claim: &ComputeClaim,
        offset: u64,
        session: &SampledSession,
    ) -> Result<(), String> {
        let receipt = &session.receipt;
        let start = verify_receipt(
            &claim.compute_root,
            claim.compute_receipt_count,
            claim.total_units,
            receipt,
            &session.proof,
        )
        .map_err(|e| format!("the receipt is not in the reported tree: {e:?}"))?;
        if offset < start || offset - start >= receipt.amount() {
            return Err("the receipt does not cover the drawn offset".into());
        }
        if receipt.epoch != epoch
            || receipt.node != node
            || receipt.genesis_hash != self.chain.genesis_hash()
            || !verifies(receipt)
        {
            return Err("the receipt is not its client's for this node and epoch".into());
        }
        if !receipt.matches(&session.steps) {
            return Err("the transcript is not the one the client signed".into());
        }
        Ok(())
    }

    /// Replays some of the requests of a checked session.
    async fn replay_session(
        &self,
        ask: &Asking<'_>,
        limits: &UnitLimits,
        session: &SampledSession,
    ) -> Result<(), String> {
        let receipt = &session.receipt;
        let most_units = limits.of(&receipt.code);
        if let Some(step) = session.steps.iter().find(|s| s.units > most_units) {
            return Err(format!(
                "a request billed {} units, over its app's limit of {most_units}",
                step.units
            ));
        }
        let indices: Vec<u32> = {
            let mut rng = rand::thread_rng();
            let count = session.steps.len().min(STEPS_PER_SESSION);
            sample(&mut rng, session.steps.len(), count)
                .into_iter()
                .map(|i| i as u32)
                .collect()
        };
        let question = Ask::Invocations {
            client: receipt.client,
            session: receipt.session,
            indices: indices.clone(),
        };
        let kept = self
            .query::<Vec<Option<RecordedInvocation>>>(ask, question)
            .await
            .filter(|kept| kept.len() == indices.len())
            .ok_or("the node did not reveal the invocations")?;
        // A node holds the code it ran (nothing evicts it from its store) and is asked for it first: code no
        // one serves, the node included, is withheld. Code the keeper cannot take or load (its size over the
        // keeper's cap, a record the chain no longer has, a compiler that refuses it) is no fault of the
        // node's: not replayed.
        match self.ready(receipt.code, ask.peer).await {
            Ok(()) => {}
            Err(Unready::Code(CodeUnavailable::Unfetchable)) => {
                return Err("the node did not serve the code it ran".into());
            }
            Err(e) => {
                warn!(%e, code = %hex::encode(receipt.code.0), "cannot replay: the code is not ready here");
                return Ok(());
            }
        }
        for (index, kept) in indices.into_iter().zip(kept) {
            let step = &session.steps[index as usize];
            let kept = kept.ok_or("an invocation is missing")?;
            let invocation = Invocation::decode(&mut &kept.invocation[..])
                .map_err(|_| "an invocation does not decode")?;
            if invocation.hash() != step.invocation {
                return Err("an invocation is not the signed one".into());
            }
            // The seed is the request's own: a node cannot sign one execution into many requests, nor try
            // seeds until an app burns more.
            if invocation.seed != request_seed(&receipt.client, &receipt.session, index) {
                return Err("an invocation's seed is not its request's".into());
            }
            // No node runs an instance with more memory than a keeper allows any (see `replay_caps`).
            if kept.memory_bytes > self.hvm.caps().memory_bytes {
                return Err("an invocation ran with more memory than any app may have".into());
            }
            let mut replay = self
                .run(receipt.code.0, kept.memory_bytes, step, &invocation)
                .await?;
            // The node says it ran the models the replay missed: they must be published, or no one could
            // check what it answered with them; it holds them, and is asked for them first. An app may name
            // a model only once another answered: a few rounds.
            for _ in 0..MODEL_ROUNDS {
                let missing = replay.as_ref().map(|r| r.missing_models.clone());
                let Some(missing) = missing.filter(|m| step.replayable && !m.is_empty()) else {
                    break;
                };
                for model in missing {
                    match self.models.fetch_within(model, ask.peer).await {
                        Ok(()) => {}
                        Err(ModelUnavailable::NotPublished) => {
                            return Err("the app ran a model no one published".into())
                        }
                        // Not a model at all: remembered as refused, which the replay now answers as the
                        // node had to.
                        Err(ModelUnavailable::NotAModel(_)) => {}
                        // Not served in time (a node's free allowance for a stranger is smaller than a model,
                        // and keepers do not pay) or the keeper's own trouble: not replayed.
                        Err(e) => {
                            warn!(%e, model = %hex::encode(model), "cannot replay: a model is not here");
                            return Ok(());
                        }
                    }
                }
                replay = self
                    .run(receipt.code.0, kept.memory_bytes, step, &invocation)
                    .await?;
            }
            if let Some(replay) = replay {
                judge(step, &replay)?;
            }
        }
        Ok(())
    }

    /// Fetches (if need be) and loads `code`.
    async fn ready(&self, code: ContentId, node: PeerId) -> Result<(), Unready> {
        let blob = self
            .code
            .held(&self.hvm, code, Sources::Routed(vec![node]))
            .await
            .map_err(Unready::Code)?;
        let hvm = self.hvm.clone();
        tokio::task::spawn_blocking(move || {
            let wasm = std::fs::read(blob.data_path())?;
            hvm.load(&code.0, &wasm).map_err(std::io::Error::other)
        })
        .await
        .map_err(|e| Unready::Load(e.to_string()))?
        .map_err(|e| Unready::Load(e.to_string()))
    }

    /// Runs `invocation` with the step's units as fuel; `None` when the keeper cannot run it (its own state).
    /// wasmtime stops an instance whose fuel reaches exactly zero at its next check, which an app that
    /// answered with its last unit may still pass: a run out of fuel that does not reproduce the signed
    /// answer is tried again with one unit more, and must then use exactly the step's units.
    async fn run(
        &self,
        code: CodeId,
        memory_bytes: u64,
        step: &ComputeStep,
        invocation: &Invocation,
    ) -> Result<Option<Execution>, String> {
        let mut fuel = step.units;
        loop {
            let limits = AppLimits {
                memory_bytes,
                compute_units: fuel,
                wall_time: self.hvm.caps().wall_time,
            };
            let replay = match self
                .hvm
                .invoke(&code, limits, Arc::from(Vec::new()), invocation)
                .await
            {
                Ok(replay) => replay,
                // The keeper's own state, not the node's doing.
                Err(e @ (HvmError::Busy | HvmError::Io(_) | HvmError::NotLoaded)) => {
                    warn!(%e, "cannot replay: this keeper cannot run the code now");
                    return Ok(None);
                }
                Err(e) => return Err(format!("the invocation cannot run: {e}")),
            };
            let exhausted =
                replay.outcome == Outcome::OutOfCompute && replay.response_hash() != step.response;
            if fuel == step.units && exhausted {
                fuel = step.units.saturating_add(1);
                continue;
            }
            return Ok(Some(replay));
        }
    }

    /// Asks the node a signed query, a few times within the deadline; `None` if it never answers with
    /// something that decodes.
    async fn query<T: Decode>(&self, asking: &Asking<'_>, ask: Ask) -> Option<T> {
        let query = KeeperQuery::signed(
            &self.keeper,
            self.chain.genesis_hash(),
            asking.node,
            asking.epoch,
            ask,
        )
        .encode();
        for attempt in 0..QUERY_TRIES {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            let left = asking.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            let sent = self
                .http
                .post(format!("{}/gpow/transcripts", asking.gateway))
                .timeout(QUERY_TIMEOUT.min(left))
                .body(query.clone())
                .send()
                .await;
            let Ok(mut response) = sent else { continue };
            if !response.status().is_success() {
                debug!(status = %response.status(), "transcript query refused");
                continue;
            }
            if response
                .content_length()
                .is_some_and(|len| len > MAX_ANSWER_BYTES as u64)
            {
                return None;
            }
            let mut body = Vec::new();
            let complete = loop {
                match response.chunk().await {
                    Ok(Some(chunk)) if body.len() + chunk.len() <= MAX_ANSWER_BYTES => {
                        body.extend_from_slice(&chunk)
                    }
                    Ok(Some(_)) => return None,
                    Ok(None) => break true,
                    // A connection dropped mid-answer: another try.
                    Err(_) => break false,
                }
            };
            if complete {
                return T::decode(&mut &body[..]).ok();
            }
        }
        None
    }
}

/// Where and about what a replay asks, and until when the node may take to answer.
struct Asking<'a> {
    gateway: &'a str,
    epoch: EpochIndex,
    node: NodeId,
    deadline: Instant,
    /// The node's peer: it must hold the code it ran, so its code is asked of it first.
    peer: PeerId,
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn execution(outcome: Outcome, body: &str, units: u64) -> Execution {
        Execution {
            outcome,
            status: 200,
            headers: Vec::new(),
            body: Bytes::from(body.to_owned()),
            compute_units: units,
            instantiation: Duration::ZERO,
            external_inputs: false,
            missing_models: Vec::new(),
            models_used: false,
        }
    }

    fn step_of(execution: &Execution, replayable: bool) -> ComputeStep {
        ComputeStep {
            invocation: [1; 32],
            response: execution.response_hash(),
            units: execution.compute_units,
            replayable,
        }
    }

    #[test]
    fn a_replay_must_reproduce_the_signed_answer_and_units() {
        let honest = execution(Outcome::Answered, "42", 1000);
        assert_eq!(judge(&step_of(&honest, true), &honest), Ok(true));
        // The node answered something else, or billed more than the app ran.
        let wrong = execution(Outcome::Answered, "41", 1000);
        assert!(judge(&step_of(&wrong, true), &honest).is_err());
        let inflated = execution(Outcome::Answered, "42", 5000);
        assert!(judge(&step_of(&inflated, true), &honest).is_err());
        // The keeper's own wall-time stop says nothing about the node.
        let slow = execution(Outcome::TimedOut, "", 10);
        assert_eq!(judge(&step_of(&honest, true), &slow), Ok(false));
        // Nor does a model the keeper could not fetch: its replay saw the keeper's state, not the app's.
        let without_model = Execution {
            missing_models: vec![[9; 32]],
            external_inputs: true,
            ..execution(Outcome::Answered, "no model", 300)
        };
        assert_eq!(judge(&step_of(&honest, true), &without_model), Ok(false));
        // A step the node ran without a model it lacked, replayed by a keeper that held it.
        let lacked = execution(Outcome::Answered, "no model here", 300);
        let with_model = Execution {
            models_used: true,
            ..execution(Outcome::Answered, "an answer", 900)
        };
        assert_eq!(judge(&step_of(&lacked, false), &with_model), Ok(false));
    }

    #[test]
    fn a_step_signed_as_not_replayable_must_really_have_needed_its_units() {
        // The node stopped the app on wall time after 1000 units: the replay with 1000 units runs out too.
        let stopped = execution(Outcome::TimedOut, "timed out", 1000);
        let out = execution(Outcome::OutOfCompute, "limit", 1000);
        assert_eq!(judge(&step_of(&stopped, false), &out), Ok(true));
        // The app saw the outside world: nothing more to check.
        let external = Execution {
            external_inputs: true,
            ..execution(Outcome::Answered, "x", 600)
        };
        assert_eq!(judge(&step_of(&stopped, false), &external), Ok(true));
        // But an app that finishes on its own within the billed units was not stopped: the node made it up
        // (a fake answer passed off as a timeout) to escape the replay.
        let finishes = execution(Outcome::Answered, "42", 700);
        assert!(judge(&step_of(&stopped, false), &finishes).is_err());
    }
}
