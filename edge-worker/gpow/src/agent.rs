//! The edge's GPoW duties, driven by the chain's epochs: when an epoch ends it reports the receipts collected
//! in it (Merkle root, count, bytes), answers the challenge the chain then draws with the sampled receipts and
//! their Merkle paths, and proves it stores its pinned content when the chain asks for a random chunk of it.
//!
//! Every step is idempotent and driven by what the chain says now, not by what this process remembers: after
//! a crash or restart the agent reports the epoch it had not reported (the receipts are in the ledger),
//! answers a challenge still open, and takes the chain's "already done" errors as done.

use std::{
    collections::{BTreeSet, HashSet},
    sync::Arc,
    time::Duration,
};

use enreach_primitives::{content::chunk_proof, ClientKey, EpochIndex, NodeId};
use subxt_signer::sr25519::Keypair;
use tracing::{info, warn};

use enreach_dts::{
    network::announce_event,
    store::{parse_content_id, ContentStore},
};
use enreach_edge_chain::{Chain, ChainError, EncodeAsFields, EncodedCall, StorageChallenge, Wait};

use crate::{
    collector::Collector,
    receipts::{sampled, work_report, Claim, Ledger},
    transcripts::ReportedCompute,
};

/// Refusals of a storage proof that trying again in the same epoch cannot change.
const FINAL_STORAGE_ERRORS: [&str; 6] = [
    "StorageAlreadyProven",
    "NotPinned",
    "NotPublished",
    "NodeNotActive",
    "StorageEpochClosed",
    "WrongStorageProof",
];

/// How often the agent looks at the chain: well within a block, so a challenge is answered the block after
/// it is drawn.
const POLL: Duration = Duration::from_secs(2);

/// Most storage proofs sent in one transaction with a report: a node's usual pins, each proof about 3 KiB.
const PROOFS_WITH_REPORT: usize = 4;

/// Epochs of receipts kept in the ledger after their epoch ended (their challenges are over by then).
const KEEP_EPOCHS: EpochIndex = 3;

/// Why a duty failed this time (it is retried on the next poll).
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The chain could not be reached or refused the transaction.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] crate::receipts::LedgerError),
    /// The challenged content is not (fully) in the store.
    #[error("cannot prove storage of {0}: not fully stored here")]
    NotStored(String),
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] enreach_dts::store::StoreError),
}

/// The edge's duties and what it already did.
pub struct Agent {
    chain: Chain,
    operator: Keypair,
    node: NodeId,
    ledger: Arc<Ledger>,
    collector: Arc<Collector>,
    store: Arc<ContentStore>,
    /// The compute tree of the epoch last reported, for the keepers' replays ([`crate::transcripts`]).
    compute: Arc<ReportedCompute>,
    reported: BTreeSet<EpochIndex>,
    answered: BTreeSet<EpochIndex>,
    /// (epoch, content) pairs proven.
    proven: BTreeSet<(EpochIndex, String)>,
}

impl Agent {
    /// The duties of `node`, operated by `operator`.
    pub fn new(
        chain: Chain,
        operator: Keypair,
        node: NodeId,
        ledger: Arc<Ledger>,
        collector: Arc<Collector>,
        store: Arc<ContentStore>,
        compute: Arc<ReportedCompute>,
    ) -> Self {
        Self {
            compute,
            chain,
            operator,
            node,
            ledger,
            collector,
            store,
            reported: BTreeSet::new(),
            answered: BTreeSet::new(),
            proven: BTreeSet::new(),
        }
    }

    /// Runs the duties until the process ends.
    pub async fn run(mut self) {
        loop {
            if let Err(e) = self.step().await {
                warn!(%e, "GPoW duty failed; retrying");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// One look at the chain: follow the epoch, then report, answer and prove what is due.
    pub async fn step(&mut self) -> Result<(), AgentError> {
        let Some(epoch) = self.chain.current_epoch().await? else {
            return Ok(());
        };
        self.collector.set_epoch(epoch.index);
        if let Some(previous) = epoch.index.checked_sub(1) {
            self.report(previous).await?;
        }
        self.answer_challenge().await?;
        if let Some(old) = epoch.index.checked_sub(KEEP_EPOCHS) {
            self.ledger.prune_before(old)?;
            for done in [&mut self.reported, &mut self.answered] {
                done.retain(|e| *e >= old);
            }
            self.proven.retain(|(e, _)| *e >= old);
        }
        self.prove_storage().await
    }

    /// The report of `epoch` over the receipts of clients the chain pays for in that epoch. An edge whose view
    /// of the chain lagged may have taken receipts of a key not (or no longer) authorized for their epoch;
    /// reporting them would fail the challenge that samples them. The chain's answer for an epoch does not
    /// change once it is over, so the report and its challenge answer see the same receipts.
    async fn paid_report(&self, epoch: EpochIndex) -> Result<Option<Claim>, AgentError> {
        let mut receipts = self.ledger.receipts(epoch)?;
        let mut compute = self.ledger.compute_receipts(epoch)?;
        let mut clients: Vec<ClientKey> = receipts
            .iter()
            .map(|r| r.client)
            .chain(compute.iter().map(|r| r.client))
            .collect();
        clients.sort();
        clients.dedup();
        let mut paid = HashSet::new();
        for client in clients {
            if self
                .chain
                .client_auth(client)
                .await?
                .is_some_and(|auth| auth.covers(epoch))
            {
                paid.insert(client);
            } else {
                warn!(epoch, client = %hex::encode(client.0), "receipts of a client not paid for in their epoch left out");
            }
        }
        receipts.retain(|r| paid.contains(&r.client));
        compute.retain(|r| paid.contains(&r.client));
        Ok(work_report(self.node, epoch, receipts, compute))
    }

    /// Reports `epoch` once, if this node served receipted bytes in it, in one transaction with the storage
    /// proofs the chain asks of this node now (up to [`PROOFS_WITH_REPORT`]): one extrinsic base, signature and
    /// fee for what would be several, since both fall due when an epoch begins.
    async fn report(&mut self, epoch: EpochIndex) -> Result<(), AgentError> {
        if self.reported.contains(&epoch) {
            return Ok(());
        }
        let Some(Claim {
            report, compute, ..
        }) = self.paid_report(epoch).await?
        else {
            self.reported.insert(epoch);
            return Ok(());
        };
        if let Some(tree) = compute {
            self.compute.set(epoch, tree);
        }
        // The report never waits on a proof: whatever keeps them from being built, it goes alone.
        let proofs = self
            .storage_calls(PROOFS_WITH_REPORT)
            .await
            .unwrap_or_else(|e| {
                warn!(%e, "storage proofs left for later: the report goes alone");
                Vec::new()
            });
        let mut calls = vec![
            self.chain
                .encode_call(("Gpow", "submit_work_report", (report.clone(),)))
                .await?,
        ];
        calls.extend(proofs.iter().map(|(_, call)| call.clone()));
        let mut outcomes = self
            .chain
            .submit_batch(&self.operator, calls, Wait::InBlock)
            .await?
            .into_iter();
        let submitted = outcomes.next().expect("one outcome per call");
        for ((challenge, _), outcome) in proofs.into_iter().zip(outcomes) {
            if let Err(e) = self.storage_outcome(challenge, outcome.map_err(AgentError::from)) {
                warn!(%e, "storage proof to be tried again");
            }
        }
        match submitted {
            Ok(()) => {
                info!(
                    epoch,
                    receipts = report.receipt_count,
                    bytes = report.total_bytes,
                    compute_receipts = report.compute_receipt_count,
                    units = report.total_units,
                    "work reported"
                );
                announce_event(serde_json::json!({
                    "event": "work_reported",
                    "epoch": epoch,
                    "receipts": report.receipt_count,
                    "bytes": report.total_bytes,
                    "compute_receipts": report.compute_receipt_count,
                    "units": report.total_units,
                }));
            }
            Err(e) if e.is_dispatch_error("DuplicateReport") => {
                info!(epoch, "work already reported (before a restart)");
            }
            Err(e) if e.is_dispatch_error("OutsideSubmissionWindow") => {
                // A block of a fork where the epoch had not begun yet can refuse a report its successor takes:
                // tried again while the chain still says the window is open.
                if self.window_open(epoch).await? {
                    warn!(
                        epoch,
                        "the report landed outside its window on a fork; trying again"
                    );
                    return Ok(());
                }
                warn!(
                    epoch,
                    "the submission window closed before the report landed"
                );
            }
            Err(e) => return Err(e.into()),
        }
        self.reported.insert(epoch);
        Ok(())
    }

    /// Whether the chain's best block is inside the submission window of `epoch`'s reports.
    async fn window_open(&self, epoch: EpochIndex) -> Result<bool, AgentError> {
        let (Some(current), Some(timing)) = (
            self.chain.current_epoch().await?,
            self.chain.gpow_timing().await?,
        ) else {
            return Ok(false);
        };
        let best = self.chain.best_number().await?;
        Ok(current.index == epoch + 1 && best < current.start + timing.submission_window)
    }

    /// Answers the open challenge of this node's report with the receipt covering each sampled byte and its
    /// path in the receipt tree.
    async fn answer_challenge(&mut self) -> Result<(), AgentError> {
        let Some(challenge) = self.chain.open_challenge(self.node).await? else {
            return Ok(());
        };
        if self.answered.contains(&challenge.epoch) {
            return Ok(());
        }
        let Some(claim) = self.paid_report(challenge.epoch).await? else {
            return Ok(());
        };
        let answer = sampled(claim.delivery.as_ref(), &challenge.offsets);
        let compute_answer = sampled(claim.compute.as_ref(), &challenge.compute_offsets);
        let submitted = self
            .submit_announced(
                (
                    "Gpow",
                    "answer_challenge",
                    (self.node, challenge.epoch, answer, compute_answer),
                ),
                serde_json::json!({
                    "event": "challenge_answered",
                    "epoch": challenge.epoch,
                    "samples": challenge.offsets.len(),
                    "compute_samples": challenge.compute_offsets.len(),
                }),
            )
            .await;
        match submitted {
            Ok(()) => {}
            Err(e) if e.is_dispatch_error("NotChallenged") => {}
            Err(e) => return Err(e.into()),
        }
        self.answered.insert(challenge.epoch);
        Ok(())
    }

    /// Proves the next content the chain challenges this node on that it has not proven yet (one pin per step,
    /// after the report and the answer, so a work challenge whose miss is slashed never waits behind many
    /// storage proofs). Each answer names its epoch, so one that lands after the next epoch began still counts.
    async fn prove_storage(&mut self) -> Result<(), AgentError> {
        let Some((challenge, call)) = self.storage_calls(1).await?.pop() else {
            return Ok(());
        };
        let outcome = match self
            .chain
            .submit_batch(&self.operator, vec![call], Wait::InBlock)
            .await?
            .pop()
        {
            Some(outcome) => outcome.map_err(AgentError::from),
            None => Err(ChainError::Rpc("no outcome for the storage proof".into()).into()),
        };
        self.storage_outcome(challenge, outcome)
    }

    /// The calls proving up to `most` of the contents the chain challenges this node on now and it has not
    /// proven yet: the chunks each challenge's seed drew, with their paths. A pin that cannot be proven (not
    /// held here) is reported and not tried again this epoch, so it never holds up the others or burns fees
    /// every block; one whose proof cannot be built now (a read failed) is skipped until the next look.
    async fn storage_calls(
        &mut self,
        most: usize,
    ) -> Result<Vec<(StorageChallenge, EncodedCall)>, AgentError> {
        let due: Vec<StorageChallenge> = self
            .chain
            .storage_challenges(self.node)
            .await?
            .into_iter()
            .filter(|c| !self.proven.contains(&(c.epoch, c.content.clone())))
            .collect();
        let mut calls = Vec::new();
        for challenge in due {
            if calls.len() == most {
                break;
            }
            match self.storage_call(&challenge).await {
                Ok(call) => calls.push((challenge, call)),
                Err(e @ AgentError::NotStored(_)) => self.storage_outcome(challenge, Err(e))?,
                Err(e) => {
                    warn!(epoch = challenge.epoch, content = %challenge.content, %e, "storage proof not built")
                }
            }
        }
        Ok(calls)
    }

    /// The call answering `challenge`.
    async fn storage_call(&self, challenge: &StorageChallenge) -> Result<EncodedCall, AgentError> {
        let not_stored = || AgentError::NotStored(challenge.content.clone());
        let id = parse_content_id(&challenge.content).ok_or_else(not_stored)?;
        let blob = self
            .store
            .get(&id)
            .filter(|b| b.is_complete() && b.size() == challenge.len)
            .ok_or_else(not_stored)?;
        let chunks = challenge.chunks.clone();
        let answer = tokio::task::spawn_blocking(move || -> Result<_, AgentError> {
            // The chain checks 1 KiB-chunk BLAKE3 paths, which need the whole blob hashed again; pinned
            // content is what the node is paid to keep, and this runs once per pin and epoch.
            let mut bytes = vec![0u8; blob.size() as usize];
            blob.read_at(0, &mut bytes)?;
            Ok(chunks
                .iter()
                .map(|&chunk| chunk_proof(&bytes, chunk))
                .collect::<Option<Vec<_>>>())
        })
        .await
        .map_err(|e| {
            AgentError::Store(enreach_dts::store::StoreError::Io(std::io::Error::other(e)))
        })??
        .ok_or_else(not_stored)?;
        info!(epoch = challenge.epoch, chunks = answer.len(), content = %challenge.content, "proving storage");
        Ok(self
            .chain
            .encode_call((
                "Gpow",
                "answer_storage_challenge",
                (self.node, challenge.epoch, id.as_bytes(), answer),
            ))
            .await?)
    }

    /// Takes the outcome of proving `challenge`: done when it landed or can never land this epoch (refused for
    /// good, or not held here); anything else is tried again.
    fn storage_outcome(
        &mut self,
        challenge: StorageChallenge,
        outcome: Result<(), AgentError>,
    ) -> Result<(), AgentError> {
        match outcome {
            Ok(()) => announce_event(serde_json::json!({
                "event": "storage_proven",
                "epoch": challenge.epoch,
                "content": challenge.content,
            })),
            Err(AgentError::NotStored(content)) => {
                warn!(epoch = challenge.epoch, %content, "pinned content not held: cannot prove it");
            }
            Err(AgentError::Chain(e))
                if FINAL_STORAGE_ERRORS.iter().any(|n| e.is_dispatch_error(n)) =>
            {
                warn!(epoch = challenge.epoch, content = %challenge.content, %e, "storage proof refused");
            }
            Err(e) => return Err(e),
        }
        self.proven.insert((challenge.epoch, challenge.content));
        Ok(())
    }

    /// Submits `call` signed by the operator key, waiting for inclusion, and announces `event` once it
    /// dispatched: the duties' answers to the chain, whose errors each duty sorts itself.
    async fn submit_announced<Args: EncodeAsFields>(
        &self,
        call: (&str, &str, Args),
        event: serde_json::Value,
    ) -> Result<(), ChainError> {
        self.chain
            .submit(&self.operator, call, Wait::InBlock)
            .await?;
        announce_event(event);
        Ok(())
    }
}
