//! What a node reveals of its compute to the keepers the chain assigned to it, so they can replay it
//! (`POST <gateway>/gpow/transcripts`).
//!
//! A keeper draws its own unit offsets of the node's reported compute total ([`Ask::Sample`]); the node answers
//! with the compute receipt covering each, its path in the reported tree and the session's transcript, and then
//! with the kept invocations of the steps the keeper picks ([`Ask::Invocations`]). The keeper checks every
//! answer against the report's root on chain and the client's signature, so a node can neither choose what is
//! replayed nor swap one session for another. Clients' requests are revealed only to the node's assigned
//! keepers of the epoch, who sign each query with their account key, and to each only the requests of sessions
//! its own samples drew, within a budget per epoch.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
};

use codec::{Decode, Encode};
use enreach_edge_chain::Chain;
use enreach_primitives::{
    ClientKey, ComputeReceipt, ComputeStep, EpochIndex, Hash32, NodeId, ReceiptProof, ReceiptTree,
    SessionId,
};
use subxt_signer::sr25519;

use crate::{
    compute_ledger::RecordedInvocation,
    receipts::{sampled, Ledger},
};

/// Most unit offsets one sample query asks for: the answer carries a transcript per offset.
pub const MAX_SAMPLE: usize = 8;

/// Most invocations one query asks for: each may carry a request body of a few MiB.
pub const MAX_INVOCATIONS: usize = 4;

/// Longest query the node reads: a signed query is well under it.
pub const MAX_QUERY_BYTES: usize = 1024;

/// Sample queries one keeper may make about one epoch (a keeper asks once, and tries again twice).
pub const SAMPLES_PER_KEEPER: u32 = 3;

/// Invocations one keeper may have of one epoch: what its samples' replays need, with room for retries.
pub const INVOCATIONS_PER_KEEPER: usize =
    SAMPLES_PER_KEEPER as usize * MAX_SAMPLE * MAX_INVOCATIONS;

/// Queries answered at once: each reads the ledger and may hold answers of some MiB.
const ANSWERING_AT_ONCE: usize = 4;

/// Domain of a keeper's signature over a query.
const QUERY_CONTEXT: &[u8] = b"enreach/keeper-query/v1";

/// What a keeper asks.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum Ask {
    /// The compute receipt covering each unit offset of the reported total, with its path and transcript.
    Sample { offsets: Vec<u64> },
    /// The kept invocations of requests `indices` of `client`'s `session`.
    Invocations {
        client: ClientKey,
        session: SessionId,
        indices: Vec<u32>,
    },
}

/// A keeper's signed query about one node's compute in one epoch.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct KeeperQuery {
    pub genesis_hash: Hash32,
    pub node: NodeId,
    pub epoch: EpochIndex,
    /// The keeper's account (sr25519 public key).
    pub keeper: [u8; 32],
    pub ask: Ask,
    pub signature: [u8; 64],
}

impl KeeperQuery {
    /// A query signed by `keeper`.
    pub fn signed(
        keeper: &sr25519::Keypair,
        genesis_hash: Hash32,
        node: NodeId,
        epoch: EpochIndex,
        ask: Ask,
    ) -> Self {
        let mut query = Self {
            genesis_hash,
            node,
            epoch,
            keeper: keeper.public_key().0,
            ask,
            signature: [0; 64],
        };
        query.signature = keeper.sign(&query.signing_payload()).0;
        query
    }

    fn signing_payload(&self) -> Vec<u8> {
        let mut payload = QUERY_CONTEXT.to_vec();
        (
            &self.genesis_hash,
            &self.node,
            self.epoch,
            &self.keeper,
            &self.ask,
        )
            .encode_to(&mut payload);
        payload
    }

    fn verifies(&self) -> bool {
        sr25519::verify(
            &sr25519::Signature(self.signature),
            self.signing_payload(),
            &sr25519::PublicKey(self.keeper),
        )
    }
}

/// One sampled session as the node reveals it: its receipt in the reported tree and the steps it signs.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct SampledSession {
    pub receipt: ComputeReceipt,
    pub proof: ReceiptProof,
    pub steps: Vec<ComputeStep>,
}

/// Why a query is not answered, with the HTTP status the gateway gives it.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("the query does not decode or asks too much")]
    Malformed,
    #[error("the query is for another chain or node, or its signature does not verify")]
    NotForUs,
    #[error("the querying account is not one of this node's keepers in the epoch")]
    NotAssigned,
    #[error("this node reported no compute for the epoch")]
    NotReported,
    #[error("this keeper asked all it may about the epoch, or not about this session")]
    OverBudget,
    #[error("the chain or the ledger cannot be read now: {0}")]
    Unavailable(String),
}

impl Refused {
    pub fn status(&self) -> u16 {
        match self {
            Refused::Malformed => 400,
            Refused::NotForUs | Refused::NotAssigned | Refused::OverBudget => 403,
            Refused::NotReported => 404,
            Refused::Unavailable(_) => 503,
        }
    }
}

/// The compute tree of the last epoch this node reported, set by the agent when it reports: what the node's
/// answers to keepers are drawn from, the same receipts the chain holds the root of.
#[derive(Default)]
pub struct ReportedCompute(Mutex<Option<(EpochIndex, Arc<ReceiptTree<ComputeReceipt>>)>>);

impl ReportedCompute {
    pub fn set(&self, epoch: EpochIndex, tree: ReceiptTree<ComputeReceipt>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((epoch, Arc::new(tree)));
    }

    fn get(&self, epoch: EpochIndex) -> Option<Arc<ReceiptTree<ComputeReceipt>>> {
        let held = self.0.lock().unwrap_or_else(|e| e.into_inner());
        held.as_ref()
            .filter(|(e, _)| *e == epoch)
            .map(|(_, tree)| tree.clone())
    }
}

/// Answers keepers' queries about this node's compute.
pub struct Transcripts {
    node: NodeId,
    chain: Chain,
    ledger: Arc<Ledger>,
    reported: Arc<ReportedCompute>,
    /// The assigned keepers of the last epochs asked about (a chain read per epoch, not per query).
    keepers: Mutex<HashMap<EpochIndex, Vec<String>>>,
    /// What each keeper has asked about the reported epoch: a keeper sees the sessions its own samples drew,
    /// not every client's requests.
    budgets: Mutex<Budgets>,
    answering: tokio::sync::Semaphore,
}

/// What each keeper has asked about the epoch being answered.
#[derive(Default)]
struct Budgets(HashMap<(EpochIndex, [u8; 32]), Budget>);

/// What one keeper has asked about one epoch.
#[derive(Default)]
struct Budget {
    samples: u32,
    sessions: HashSet<(ClientKey, SessionId)>,
    invocations: usize,
}

impl Budgets {
    /// Counts `ask` of `keeper` about `epoch` against its budget, or refuses it.
    fn spend(&mut self, epoch: EpochIndex, keeper: [u8; 32], ask: &Ask) -> Result<(), Refused> {
        // Only the reported epoch is answered: budgets of older ones are done with.
        self.0.retain(|(e, _), _| *e == epoch);
        let budget = self.0.entry((epoch, keeper)).or_default();
        match ask {
            Ask::Sample { .. } if budget.samples < SAMPLES_PER_KEEPER => budget.samples += 1,
            Ask::Invocations {
                client,
                session,
                indices,
            } if budget.sessions.contains(&(*client, *session))
                && budget.invocations + indices.len() <= INVOCATIONS_PER_KEEPER =>
            {
                budget.invocations += indices.len()
            }
            _ => return Err(Refused::OverBudget),
        }
        Ok(())
    }

    /// Lets `keeper` ask for the invocations of `sessions`, which its sample drew.
    fn revealed(
        &mut self,
        epoch: EpochIndex,
        keeper: [u8; 32],
        sessions: impl IntoIterator<Item = (ClientKey, SessionId)>,
    ) {
        let budget = self.0.entry((epoch, keeper)).or_default();
        budget.sessions.extend(sessions);
    }
}

impl Transcripts {
    pub fn new(
        node: NodeId,
        chain: Chain,
        ledger: Arc<Ledger>,
        reported: Arc<ReportedCompute>,
    ) -> Self {
        Self {
            node,
            chain,
            ledger,
            reported,
            keepers: Mutex::new(HashMap::new()),
            budgets: Mutex::new(Budgets::default()),
            answering: tokio::sync::Semaphore::new(ANSWERING_AT_ONCE),
        }
    }

    /// The SCALE-encoded answer to the SCALE-encoded `query`: a `Vec<SampledSession>` or a
    /// `Vec<Option<RecordedInvocation>>`. Everything a stranger can send is checked before the chain is read.
    pub async fn answer(&self, query: &[u8]) -> Result<Vec<u8>, Refused> {
        if query.len() > MAX_QUERY_BYTES {
            return Err(Refused::Malformed);
        }
        let query = KeeperQuery::decode(&mut &query[..]).map_err(|_| Refused::Malformed)?;
        let within = match &query.ask {
            Ask::Sample { offsets } => (1..=MAX_SAMPLE).contains(&offsets.len()),
            Ask::Invocations { indices, .. } => (1..=MAX_INVOCATIONS).contains(&indices.len()),
        };
        if !within {
            return Err(Refused::Malformed);
        }
        if query.genesis_hash != self.chain.genesis_hash()
            || query.node != self.node
            || !query.verifies()
        {
            return Err(Refused::NotForUs);
        }
        // Only the epoch last reported is answered, so no query makes the node read the chain for another.
        let tree = self.reported.get(query.epoch).ok_or(Refused::NotReported)?;
        self.check_assigned(query.epoch, query.keeper).await?;
        let _answering = self
            .answering
            .try_acquire()
            .map_err(|_| Refused::Unavailable("busy answering other keepers".into()))?;
        self.budgets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .spend(query.epoch, query.keeper, &query.ask)?;
        let unavailable = |e: crate::receipts::LedgerError| Refused::Unavailable(e.to_string());
        let epoch = query.epoch;
        match query.ask {
            Ask::Sample { offsets } => {
                let ledger = self.ledger.clone();
                let answer = tokio::task::spawn_blocking(move || {
                    sampled(Some(&tree), &offsets)
                        .into_iter()
                        .map(|(receipt, proof)| {
                            let mut steps = ledger.compute_transcript(
                                epoch,
                                receipt.client,
                                receipt.session,
                            )?;
                            steps.truncate(receipt.requests as usize);
                            Ok(SampledSession {
                                receipt,
                                proof,
                                steps,
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
                .await
                .map_err(|e| Refused::Unavailable(e.to_string()))?
                .map_err(unavailable)?;
                self.budgets
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .revealed(
                        epoch,
                        query.keeper,
                        answer.iter().map(|s| (s.receipt.client, s.receipt.session)),
                    );
                Ok(answer.encode())
            }
            Ask::Invocations {
                client,
                session,
                indices,
            } => {
                let ledger = self.ledger.clone();
                let answer: Vec<Option<RecordedInvocation>> =
                    tokio::task::spawn_blocking(move || {
                        ledger.compute_invocations(epoch, client, session, &indices)
                    })
                    .await
                    .map_err(|e| Refused::Unavailable(e.to_string()))?
                    .map_err(unavailable)?;
                Ok(answer.encode())
            }
        }
    }

    async fn check_assigned(&self, epoch: EpochIndex, keeper: [u8; 32]) -> Result<(), Refused> {
        let cached = self
            .keepers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&epoch)
            .cloned();
        let keepers = match cached {
            Some(keepers) => keepers,
            None => {
                let keepers = self
                    .chain
                    .keepers(epoch, self.node)
                    .await
                    .map_err(|e| Refused::Unavailable(e.to_string()))?;
                let mut cache = self.keepers.lock().unwrap_or_else(|e| e.into_inner());
                // Queries name the epoch just reported; an older one is never asked about again.
                cache.retain(|e, _| *e + 1 >= epoch);
                cache.insert(epoch, keepers.clone());
                keepers
            }
        };
        let account = sr25519::PublicKey(keeper).to_account_id().to_string();
        if keepers.contains(&account) {
            Ok(())
        } else {
            Err(Refused::NotAssigned)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invocations(session: u8, count: usize) -> Ask {
        Ask::Invocations {
            client: ClientKey([1; 32]),
            session: SessionId([session; 16]),
            indices: (0..count as u32).collect(),
        }
    }

    /// An assigned keeper sees the requests of the sessions its own samples drew, and no more than its
    /// replays need: it cannot walk the node's ledger and read every client's requests.
    #[test]
    fn a_keeper_reads_only_the_requests_its_samples_drew_within_its_budget() {
        let mut budgets = Budgets::default();
        let (keeper, other) = ([7; 32], [8; 32]);
        let sample = Ask::Sample { offsets: vec![0] };
        assert!(matches!(
            budgets.spend(3, keeper, &invocations(1, 1)),
            Err(Refused::OverBudget)
        ));
        budgets.spend(3, keeper, &sample).unwrap();
        budgets.revealed(3, keeper, [(ClientKey([1; 32]), SessionId([1; 16]))]);
        budgets.spend(3, keeper, &invocations(1, 4)).unwrap();
        // Another session, or another keeper asking about this one, is refused.
        assert!(budgets.spend(3, keeper, &invocations(2, 1)).is_err());
        assert!(budgets.spend(3, other, &invocations(1, 1)).is_err());
        // Samples and invocations run out.
        for _ in 1..SAMPLES_PER_KEEPER {
            budgets.spend(3, keeper, &sample).unwrap();
        }
        assert!(budgets.spend(3, keeper, &sample).is_err());
        let mut spent = 4;
        while spent + 4 <= INVOCATIONS_PER_KEEPER {
            budgets.spend(3, keeper, &invocations(1, 4)).unwrap();
            spent += 4;
        }
        assert!(budgets.spend(3, keeper, &invocations(1, 4)).is_err());
        // A new epoch starts afresh.
        budgets.spend(4, keeper, &sample).unwrap();
    }
}
