//! The keeper role: each epoch it reads which edge nodes the chain assigned to it, probes them over PeerDTS
//! (a `HAVE` round trip for liveness and latency, a random 16 KiB group of pinned content for storage, one
//! larger range for bandwidth, every group verified against the content id) and, when the epoch ends,
//! submits one observation per node inside the observation window. A node whose report claims compute is
//! first replayed ([`crate::replay`]) and observed once its report's challenge is decided, so that a failed
//! replay can still refute it. A node's score is the median over its keepers, so an honest keeper needs only to
//! measure; one that lies is outvoted and recorded.

use std::{collections::HashMap, sync::Arc, time::Duration};

use enreach_primitives::{EpochIndex, KeeperObservation, NodeId};
use futures::{future::join_all, StreamExt};
use libp2p::{Multiaddr, PeerId};
use rand::{seq::SliceRandom, Rng};
use subxt_signer::sr25519::Keypair;
use tokio::time::{timeout, Instant};
use tracing::{debug, info, warn};

use enreach_dts::{
    metrics::Metrics,
    network::{announce_event, Network},
    store::{group_count, ContentStore},
    transfer::{get_groups, have},
};
use enreach_edge_chain::{
    observations::batches, Chain, ChainError, Epoch, PinRecord, ReportState, ReportStatus, Wait,
};

use crate::replay::{Replayer, Replays, REPLAYS_AT_ONCE};

/// Time between two probes of the same node.
const PROBE_EVERY: Duration = Duration::from_secs(5);

/// How long a probe waits for the node.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// The runtime's `MaxKeepersPerNode`: the batch size assumed when the chain's parameters cannot be read.
const MAX_KEEPERS_PER_NODE: u32 = 16;

/// Groups fetched for the bandwidth sample (1 MiB).
const BANDWIDTH_SAMPLE_GROUPS: u64 = 64;

/// Longest pin a keeper samples when no content record on chain bounds its length. The pin's length is the
/// node's own claim and sampling allocates for it (a bitfield of its groups, sparse files): a node pinning an
/// absurd length must not make its keepers allocate it. 64 GiB is a 512 KiB bitfield.
pub const MAX_UNRECORDED_PIN: u64 = 64 << 30;

/// The length `pin` is sampled at: the size of its content record on chain (`recorded`) when there is one,
/// since a node cannot hold the content at another length; otherwise its claim, up to
/// [`MAX_UNRECORDED_PIN`]. `None` when the claim is not believable: its storage samples fail without anything
/// allocated for it.
pub fn sampled_len(pin: &PinRecord, recorded: Option<u64>) -> Option<u64> {
    match recorded {
        Some(size) => (size == pin.len).then_some(size),
        None => (pin.len <= MAX_UNRECORDED_PIN).then_some(pin.len),
    }
}

/// A pin a keeper samples: its content and the length to sample it at ([`sampled_len`]).
#[derive(Clone, Copy, Debug)]
struct Sampled {
    content: [u8; 32],
    len: Option<u64>,
}

/// What a keeper measured of one node in one epoch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    probes_sent: u16,
    probes_answered: u16,
    rtts_ms: Vec<u32>,
    storage_sent: u16,
    storage_passed: u16,
    bandwidth_mbps: Option<u32>,
}

impl Tally {
    /// The observation to submit for `node` in `epoch`.
    pub fn observation(&self, node: NodeId, epoch: EpochIndex) -> KeeperObservation {
        let mut rtts = self.rtts_ms.clone();
        rtts.sort_unstable();
        KeeperObservation {
            node,
            epoch,
            probes_answered: self.probes_answered,
            probes_sent: self.probes_sent,
            median_rtt_ms: rtts
                .get(rtts.len().saturating_sub(1) / 2)
                .copied()
                .unwrap_or(0),
            storage_passed: self.storage_passed,
            storage_sent: self.storage_sent,
            bandwidth_mbps: self.bandwidth_mbps.unwrap_or(0),
            replays_sent: 0,
            replays_failed: 0,
        }
    }
}

/// A node this keeper watches this epoch.
struct Watched {
    peer: PeerId,
    addresses: Vec<Multiaddr>,
    /// Its HTTP gateway, where it reveals its compute for replays.
    gateway: Option<String>,
    pins: Vec<Sampled>,
    tally: Tally,
    next_probe: Instant,
}

/// The keeper.
pub struct Keeper {
    chain: Chain,
    account: Keypair,
    network: Network,
    samples: Arc<ContentStore>,
    metrics: Arc<Metrics>,
    epoch: Option<EpochIndex>,
    watched: HashMap<NodeId, Watched>,
    /// Observations of the last epoch the chain has not taken yet (a dropped connection, a full pool): tried
    /// again every step until they land or their window closes.
    unsent: Vec<KeeperObservation>,
    /// Observations of the last epoch held back until the node's report is in and, if it claims compute,
    /// replayed and decided.
    pending: Vec<Pending>,
    /// Replays compute; `None`: this keeper does not replay (it reports no replays).
    replayer: Option<Replayer>,
}

/// Whether the node's report (if it has one) claims no compute: nothing to replay or wait for.
fn report_claims_nothing(report: &Option<ReportState>) -> bool {
    report.as_ref().is_some_and(|r| !r.report.claims_compute())
}

/// An observation waiting for its node's report.
struct Pending {
    peer: PeerId,
    observation: KeeperObservation,
    gateway: Option<String>,
    replays: Option<Replays>,
}

impl Keeper {
    /// A keeper signing with `account`, probing through `network`, keeping sampled groups in `samples`.
    pub fn new(
        chain: Chain,
        account: Keypair,
        network: Network,
        samples: Arc<ContentStore>,
        metrics: Arc<Metrics>,
        replayer: Option<Replayer>,
    ) -> Self {
        Self {
            replayer,
            pending: Vec::new(),
            chain,
            account,
            network,
            samples,
            metrics,
            epoch: None,
            watched: HashMap::new(),
            unsent: Vec::new(),
        }
    }

    /// Keeps watching until the process ends.
    pub async fn run(mut self) {
        loop {
            if let Err(e) = self.step().await {
                warn!(%e, "keeper step failed; retrying");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn step(&mut self) -> Result<(), ChainError> {
        let Some(epoch) = self.chain.current_epoch().await? else {
            return Ok(());
        };
        // The chain draws an epoch's keepers from the seed its second block records, and serves the assignment
        // once that block is final.
        if self.epoch != Some(epoch.index)
            && self.chain.finalized_number().await? > u64::from(epoch.start)
        {
            // What was not submitted of the epoch before is past its window now.
            self.unsent.clear();
            self.pending = match self.epoch.filter(|e| e + 1 == epoch.index) {
                Some(ended) => self
                    .watched
                    .iter()
                    .map(|(node, w)| Pending {
                        observation: w.tally.observation(*node, ended),
                        gateway: w.gateway.clone(),
                        peer: w.peer,
                        replays: None,
                    })
                    .collect(),
                None => Vec::new(),
            };
            self.watched = self.assignment(epoch.index).await?;
            self.epoch = Some(epoch.index);
            announce_event(serde_json::json!({
                "event": "keeper_assigned",
                "epoch": epoch.index,
                "nodes": self.watched.keys().map(|n| hex::encode(n.0)).collect::<Vec<_>>(),
            }));
        }
        if !self.pending.is_empty() {
            self.settle(&epoch).await?;
        }
        if !self.unsent.is_empty() {
            self.submit().await;
        }
        // Due nodes are probed side by side: a node that answers slowly (or never) delays no other's probes.
        let now = Instant::now();
        let due: Vec<NodeId> = self
            .watched
            .iter()
            .filter(|(_, w)| w.next_probe <= now)
            .map(|(n, _)| *n)
            .collect();
        let mut probed: Vec<(NodeId, Watched)> = due
            .into_iter()
            .filter_map(|node| self.watched.remove(&node).map(|w| (node, w)))
            .collect();
        join_all(probed.iter_mut().map(|(_, watched)| self.probe(watched))).await;
        for (node, mut watched) in probed {
            watched.next_probe = Instant::now() + PROBE_EVERY;
            self.watched.insert(node, watched);
        }
        Ok(())
    }

    /// Moves the held-back observations whose node is decided to `unsent`: its report is in (or its submission
    /// window closed without one), replayed if it claims compute, and its challenge answered or missed. Near
    /// the end of the observation window everything goes as it is.
    async fn settle(&mut self, epoch: &Epoch) -> Result<(), ChainError> {
        let Some(timing) = self.chain.gpow_timing().await? else {
            return Ok(());
        };
        let mut reported = Vec::with_capacity(self.pending.len());
        let mut all = std::mem::take(&mut self.pending).into_iter();
        while let Some(pending) = all.next() {
            let (node, ended) = (pending.observation.node, pending.observation.epoch);
            match self.chain.report(ended, node).await {
                Ok(report) => reported.push((pending, report)),
                Err(e) => {
                    self.pending = reported.into_iter().map(|(p, _)| p).chain(all).collect();
                    return Err(e);
                }
            }
        }
        // Nodes are replayed side by side, a few at a time: one that answers slowly holds up no other.
        let to_replay = |(pending, report): &&mut (Pending, Option<ReportState>)| {
            pending.replays.is_none() && report.as_ref().is_some_and(|r| r.report.claims_compute())
        };
        let limits = match &self.replayer {
            Some(replayer) if reported.iter_mut().any(|p| to_replay(&p)) => {
                // Replayed at the next settling when the chain does not answer now.
                replayer
                    .unit_limits()
                    .await
                    .inspect_err(|e| debug!(%e, "cannot read the apps' limits: not replaying now"))
                    .ok()
            }
            _ => None,
        };
        if let (Some(replayer), Some(limits)) = (&self.replayer, &limits) {
            futures::stream::iter(reported.iter_mut().filter(to_replay))
                .for_each_concurrent(REPLAYS_AT_ONCE, |(pending, report)| async move {
                    let (node, ended) = (pending.observation.node, pending.observation.epoch);
                    let claim = &report.as_ref().expect("filtered on a report").report;
                    pending.replays = Some(match &pending.gateway {
                        Some(gateway) => {
                            replayer
                                .replay(ended, node, pending.peer, gateway, claim, limits)
                                .await
                        }
                        // A node that claims compute and names no gateway reveals nothing.
                        None => Replays::withheld(),
                    });
                })
                .await;
        }
        // Replays take time: where the epoch stands is read after them.
        let into_epoch = self.chain.best_number().await?.saturating_sub(epoch.start);
        let last_call = into_epoch + 2 >= timing.observation_window();
        for (pending, report) in reported {
            let decided = report_claims_nothing(&report)
                || match &report {
                    None => into_epoch > timing.submission_window,
                    Some(state) => !matches!(state.status, ReportStatus::Challenged { .. }),
                };
            if decided || last_call {
                let mut observation = pending.observation;
                if let Some(replays) = pending.replays {
                    observation.replays_sent = replays.sent;
                    observation.replays_failed = replays.failed;
                }
                self.unsent.push(observation);
            } else {
                self.pending.push(pending);
            }
        }
        Ok(())
    }

    /// The active nodes the chain assigned to this keeper in `epoch`, with where to reach them: one runtime
    /// call lists them (the chain draws every node's keepers from one snapshot), then only their own registry
    /// entries are read, so a keeper's cost follows its share of the network, not the network's size.
    async fn assignment(&self, epoch: EpochIndex) -> Result<HashMap<NodeId, Watched>, ChainError> {
        let me = self.account.public_key().to_account_id().to_string();
        let mut watched = HashMap::new();
        let mut recorded: HashMap<[u8; 32], Option<u64>> = HashMap::new();
        for node in self.chain.assigned_nodes(epoch, &me).await? {
            let Some(record) = self.chain.node(node).await? else {
                continue;
            };
            if !record.is_active() {
                continue;
            }
            let Some((peer, addresses)) = record.reach(node) else {
                warn!(node = %hex::encode(node.0), "assigned node names no address with its peer id");
                continue;
            };
            let mut pins = Vec::new();
            // Content pinned during the epoch is not yet owed (the chain does not challenge it).
            for pin in self.chain.pins(node).await? {
                if pin.since > epoch {
                    continue;
                }
                let size = match recorded.get(&pin.content) {
                    Some(size) => *size,
                    None => {
                        let id = blake3::Hash::from_bytes(pin.content);
                        let size = self.chain.content(id).await?.map(|c| c.size);
                        recorded.insert(pin.content, size);
                        size
                    }
                };
                pins.push(Sampled {
                    content: pin.content,
                    len: sampled_len(&pin, size),
                });
            }
            watched.insert(
                node,
                Watched {
                    peer,
                    addresses,
                    gateway: record.gateway_url(),
                    pins,
                    tally: Tally::default(),
                    next_probe: Instant::now(),
                },
            );
        }
        Ok(watched)
    }

    /// One round of probes of a node: liveness and latency, a storage sample, and (once an epoch) bandwidth.
    async fn probe(&self, watched: &mut Watched) {
        if !self.network.connected().await.contains(&watched.peer) {
            for address in &watched.addresses {
                self.network.dial(address.clone()).await;
            }
        }
        let control = self.network.control();
        let tally = &mut watched.tally;
        tally.probes_sent = tally.probes_sent.saturating_add(1);
        let began = Instant::now();
        let unknown = blake3::hash(&rand::thread_rng().gen::<[u8; 32]>());
        if !matches!(
            timeout(PROBE_TIMEOUT, have(&control, watched.peer, unknown)).await,
            Ok(Ok(_))
        ) {
            return;
        }
        tally.probes_answered = tally.probes_answered.saturating_add(1);
        tally
            .rtts_ms
            .push(began.elapsed().as_millis().min(u32::MAX as u128) as u32);
        let Some(pin) = watched.pins.choose(&mut rand::thread_rng()).copied() else {
            return;
        };
        tally.storage_sent = tally.storage_sent.saturating_add(1);
        let Some(len) = pin.len else {
            return;
        };
        let groups = group_count(len);
        let (first, count) = if tally.bandwidth_mbps.is_none() {
            (0, groups.min(BANDWIDTH_SAMPLE_GROUPS))
        } else {
            (rand::thread_rng().gen_range(0..groups), 1)
        };
        let id = blake3::Hash::from_bytes(pin.content);
        let Ok(blob) = self.samples.create_sparse(id, len) else {
            return;
        };
        let began = Instant::now();
        let sample = std::iter::once(first..first + count).collect();
        let fetched = timeout(
            PROBE_TIMEOUT,
            get_groups(
                &control,
                watched.peer,
                &blob,
                sample,
                &self.metrics,
                |_, _| {},
            ),
        )
        .await;
        if let Ok(Ok(bytes)) = fetched {
            tally.storage_passed = tally.storage_passed.saturating_add(1);
            if count > 1 {
                let seconds = began.elapsed().as_secs_f64().max(1e-6);
                tally.bandwidth_mbps = Some((bytes as f64 * 8.0 / seconds / 1e6) as u32);
            }
        }
    }

    /// Submits the unsent observations in [`batches`] (a few per keeper and epoch: the chain scores a batch
    /// for a fraction of what single observations cost), the transactions in parallel; keeps those that failed
    /// for a reason that may pass. The chain refuses a single observation of a batch that cannot count with an
    /// event, not by failing the batch.
    async fn submit(&mut self) {
        let observations = std::mem::take(&mut self.unsent);
        // Unknown, the batches are cut for the most keepers per node the runtime allows.
        let keepers_per_node = match self.chain.keepers_per_node().await {
            Ok(Some(k)) => k,
            _ => MAX_KEEPERS_PER_NODE,
        };
        let batches = batches(&observations, keepers_per_node);
        let submissions = batches.iter().map(|batch| {
            self.chain.submit(
                &self.account,
                ("Gpow", "submit_observations", (batch.clone(),)),
                Wait::InBlock,
            )
        });
        let results = join_all(submissions).await;
        for (batch, result) in batches.iter().zip(results) {
            let epoch = batch.first().map_or(0, |o| o.epoch);
            match result {
                Ok(()) => {
                    info!(epoch, observations = batch.len(), "observations submitted");
                    for observation in batch {
                        announce_event(serde_json::json!({
                            "event": "observed",
                            "epoch": observation.epoch,
                            "node": hex::encode(observation.node.0),
                            "probes_answered": observation.probes_answered,
                            "probes_sent": observation.probes_sent,
                            "storage_passed": observation.storage_passed,
                            "bandwidth_mbps": observation.bandwidth_mbps,
                            "replays_sent": observation.replays_sent,
                            "replays_failed": observation.replays_failed,
                        }));
                    }
                }
                // Every one of them was in already: a batch sent again after its connection dropped.
                Err(e) if e.is_dispatch_error("DuplicateObservation") => {}
                // None could count (the window closed): final. Anything else may pass, until the next epoch
                // replaces what is unsent.
                Err(e @ ChainError::Dispatch(_)) => warn!(epoch, %e, "observations refused"),
                Err(e) => {
                    warn!(epoch, %e, "observations not submitted; trying again");
                    self.unsent.extend_from_slice(batch);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_carry_the_counts_and_the_lower_median_round_trip() {
        let tally = Tally {
            probes_sent: 5,
            probes_answered: 4,
            rtts_ms: vec![40, 10, 30, 20],
            storage_sent: 3,
            storage_passed: 2,
            bandwidth_mbps: Some(80),
        };
        let node = NodeId([1; 32]);
        assert_eq!(
            tally.observation(node, 7),
            KeeperObservation {
                node,
                epoch: 7,
                probes_answered: 4,
                probes_sent: 5,
                median_rtt_ms: 20,
                storage_passed: 2,
                storage_sent: 3,
                bandwidth_mbps: 80,
                replays_sent: 0,
                replays_failed: 0,
            }
        );
        let dead = Tally {
            probes_sent: 6,
            ..Tally::default()
        }
        .observation(node, 7);
        assert_eq!(
            (
                dead.probes_answered,
                dead.probes_sent,
                dead.median_rtt_ms,
                dead.bandwidth_mbps
            ),
            (0, 6, 0, 0)
        );
    }

    /// A watched node pins a content at an absurd length: its keepers must not allocate for it.
    #[test]
    fn a_claimed_pin_length_is_bounded_by_the_chain_record_or_a_cap() {
        let pin = |len| PinRecord {
            content: [1; 32],
            len,
            since: 0,
        };
        assert_eq!(sampled_len(&pin(u64::MAX), None), None);
        assert_eq!(sampled_len(&pin(MAX_UNRECORDED_PIN + 1), None), None);
        assert_eq!(
            sampled_len(&pin(u64::MAX), Some(1 << 20)),
            None,
            "not the recorded size"
        );
        // Honest pins are sampled at their length.
        assert_eq!(sampled_len(&pin(1 << 20), Some(1 << 20)), Some(1 << 20));
        assert_eq!(sampled_len(&pin(1 << 40), Some(1 << 40)), Some(1 << 40));
        assert_eq!(sampled_len(&pin(5 << 30), None), Some(5 << 30));
    }
}
