//! # GPoW pallet: Guarantee Proof of Work
//!
//! Edge nodes are paid only for work the chain can check. Per epoch (a governed number of blocks):
//!
//! 1. **Report.** Inside the submission window after an epoch ends, each node's operator submits one
//!    [`WorkReport`]: the Merkle roots of the client-signed [`DeliveryReceipt`]s and [`ComputeReceipt`]s it
//!    collected, their counts and their totals (bytes, compute units) ([`Pallet::submit_work_report`]).
//! 2. **Challenge.** The randomness of the block `challenge_delay` blocks after the submission, which nobody
//!    knew when the roots were committed, seeds `k` byte offsets of the claimed bytes and, independently, `c`
//!    unit offsets of the claimed compute units ([`Pallet::challenge_of`]). The node answers with the receipt
//!    covering each offset and its path in the sorted Merkle-sum tree ([`enreach_primitives::merkle`]) before
//!    the deadline ([`Pallet::answer_challenge`]). The pallet checks each path against its root (exact shape,
//!    strictly increasing keys, sums adding up to the claim), that the receipt covers its offset, each client
//!    signature (ed25519 host function), that node, epoch and genesis match, that a dApp had authorized the
//!    client in that epoch ([`ClientAuthority`]) and that a compute receipt's code is a registered app's
//!    ([`AppCatalog`]). If all holds, the claimed bytes and units are credited per (node, dApp) for settlement
//!    in proportion to the samples. An answer that fails a check is rejected with the named error; a report not
//!    verified by its deadline is voided and reported as an offence ([`WorkOffenceHandler`]).
//! 3. **Keepers.** Each epoch every active node is assigned `K` keepers ([`Pallet::keepers_of`]), chosen
//!    deterministically from the epoch seed by stake, never its own operator. Only they may submit
//!    [`KeeperObservation`]s of it ([`Pallet::submit_observation`]), judged by what the node was at the epoch's
//!    start. Once a majority of its keepers observed it, the node's work score is computed from the per-metric
//!    medians of their observations, so one lying keeper cannot move it; keepers far from medians a majority
//!    agrees on are recorded for GPoS. Keepers also replay the node's sampled compute sessions on the same code;
//!    once a strict majority of its assigned keepers report a failed replay, the node's compute of that epoch
//!    is void and reported as an offence ([`WorkOffence::WrongCompute`]).
//!
//! 4. **Storage.** Each epoch a node proves, for every content it pinned before the epoch began,
//!    `storage_samples` 1 KiB chunks drawn from the epoch seed ([`Pallet::storage_challenges_of`],
//!    [`Pallet::answer_storage_challenge`]). Among the nodes that proved a content, the epoch seed ranks who fills
//!    its paid replica slots ([`StorageProvers`]); settlement pays only those.
//!
//! Seeds come from [`Config::Randomness`] (BABE's VRF output of the parent block), never from a block hash an
//! author could vary.
//!
//! Expired challenges are processed in [`Hooks::on_initialize`] in pages of at most
//! [`Config::MaxExpiriesPerBlock`], with a stored cursor, so no block exceeds its weight however many nodes
//! report.

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
pub mod runtime_api;
mod sampling;
mod scoring;
#[cfg(feature = "std")]
pub mod testing;
#[cfg(test)]
mod tests;
pub mod weights;

pub use sampling::sample_offsets;
pub use scoring::{score_of, WorkScore};
pub use weights::WeightInfo;

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use enreach_primitives::{
    content::{self, ChunkProof},
    ClientKey, ComputeReceipt, ContentId, DeliveryReceipt, EpochIndex, Hash32, KeeperObservation,
    NodeId, Signature64, SummedLeaf, WorkReport,
};
use scale_info::TypeInfo;

/// Protocol parameters of GPoW, set at genesis and changed by governance ([`Pallet::set_params`]).
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct GpowParams<BlockNumber> {
    /// Blocks per epoch (600 = 1 hour of 6 s blocks on a production network).
    pub epoch_length: BlockNumber,
    /// Blocks after an epoch ends during which its reports are accepted.
    pub submission_window: BlockNumber,
    /// The randomness of the block this many blocks after a report's submission seeds its challenge (at least
    /// 1, so the seed is unknown when the root is committed).
    pub challenge_delay: BlockNumber,
    /// Blocks after the seed block within which the challenge must be answered.
    pub answer_window: BlockNumber,
    /// Delivery receipts sampled by an audit (`k`).
    pub sample_size: u32,
    /// Compute receipts sampled by an audit (`c`), independently of the delivery sample.
    pub compute_sample_size: u32,
    /// Share of reports, in percent, whose challenge is an audit (the full `k` and `c` samples), drawn from the
    /// challenge seed; every other report is challenged with `light_sample_size` samples of each part. A
    /// report failing either kind is void and its node slashed, so inflating a claim never pays in expectation
    /// (`docs/PROTOCOL.md`, "Sampled challenges"); audits bound how long a cheater can stay lucky.
    pub audit_percent: u8,
    /// Receipts sampled per part by a challenge that is not an audit.
    pub light_sample_size: u32,
    /// Keepers assigned to each node per epoch (`K`).
    pub keepers_per_node: u32,
    /// A keeper whose observation differs from the median by more than this percentage is recorded as a
    /// deviation.
    pub keeper_tolerance_percent: u8,
    /// Highest upload bandwidth a keeper may credit a node with, Mbit/s; a node is also never credited more
    /// than it claimed at the epoch's start.
    pub max_bandwidth_mbps: u32,
    /// Chunks of each pin a node proves per epoch (`s`): a node that kept a share `h` of a pin passes with
    /// probability `h^s`.
    pub storage_samples: u32,
}

/// What GPoW judges a node's epoch by, as it was at the epoch's start: whether it was active and the upload
/// bandwidth it claimed. Changing either during an epoch changes nothing for that epoch's keeper assignment and
/// scoring.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct NodeState {
    /// Registered and active.
    pub active: bool,
    /// Upload bandwidth it claimed, Mbit/s.
    pub bandwidth_up_mbps: u32,
}

/// Where a report is in its life.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
pub enum ReportStatus<BlockNumber> {
    /// Waiting for the challenge answer; the challenge seed is the randomness of block `seed_block`.
    Challenged {
        /// The block whose randomness seeds the sample.
        seed_block: BlockNumber,
        /// Last block at which the answer is accepted.
        deadline: BlockNumber,
    },
    /// The challenge was answered correctly; the claimed bytes were credited.
    Verified,
    /// The challenge was missed; the report earns nothing.
    Voided,
}

/// A submitted report and its state.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct ReportRecord<AccountId, BlockNumber> {
    /// The report as submitted.
    pub report: WorkReport,
    /// Who submitted it (the node's operator at the time), to be paid or penalized.
    pub operator: AccountId,
    /// Where it stands.
    pub status: ReportStatus<BlockNumber>,
    /// Whether a majority of the node's keepers found its compute wrong: its compute credit was voided and
    /// [`WorkOffence::WrongCompute`] reported, once.
    pub compute_refuted: bool,
}

/// The current epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct EpochInfo<BlockNumber> {
    /// Its index.
    pub index: EpochIndex,
    /// The block it started at.
    pub start: BlockNumber,
}

/// A keeper eligible for assignment, with its weight (effective stake under GPoS).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct KeeperCandidate<AccountId> {
    /// The keeper's account.
    pub account: AccountId,
    /// Selection weight; zero is never selected.
    pub weight: u64,
}

/// Where one track of deletion of old epochs stands: the oldest epoch not fully deleted, which of the track's
/// maps is being cleared, and the storage cursor inside that map.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct PruneState {
    /// The epoch being deleted.
    pub epoch: EpochIndex,
    /// Which of the track's maps ([`PruneCursor`], [`ObservationPruneCursor`]).
    pub stage: u8,
    /// Where the previous page stopped.
    pub cursor: Option<frame_support::BoundedVec<u8, frame_support::traits::ConstU32<256>>>,
}

/// Epochs the per-keeper records of a node's observations ([`Observations`], [`KeeperDeviations`]) are kept:
/// nothing reads them once the epoch's observation window closed (within the next epoch), and they are most
/// of what an epoch stores per node (`K` observations against one report and one score), so they go after
/// two epochs instead of `HistoryDepth`.
pub const OBSERVATION_DEPTH: EpochIndex = 2;

/// Work-related offences, reported to GPoS for slashing.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
pub enum WorkOffence {
    /// The node did not answer its work-report challenge in time.
    MissedChallenge,
    /// A majority of the node's keepers could not reproduce its sampled compute: responses or units differ from
    /// what the code computes, or the node withheld the transcripts.
    WrongCompute,
}

/// Which dApp pays for a client's receipts. Settlement implements it with dApp accounts.
pub trait ClientAuthority<AccountId> {
    /// The dApp account that had authorized `client` during `epoch`, when the receipt was signed. What the
    /// dApp does afterwards (revoking the key, running out of funds) cannot change the answer, so it cannot
    /// void an honest node's report; unpaid work becomes the dApp's debt.
    fn payer(client: &ClientKey, epoch: EpochIndex) -> Option<AccountId>;
    /// Makes `payer` pay for `client`, for benchmarks.
    #[cfg(feature = "runtime-benchmarks")]
    fn authorize_for_benchmark(client: &ClientKey, payer: &AccountId);
}

/// Which code compute receipts may bill (the apps registry).
pub trait AppCatalog {
    /// Whether `code` was a registered app's code at some time in `epoch`. It stays so for receipts of that
    /// epoch until they can no longer be challenged, whatever the app's owner does after (upgrading or removing
    /// the app), so an owner cannot get the nodes that served it voided.
    fn runs_code(code: &ContentId, epoch: EpochIndex) -> bool;
    /// Registers an app running `code`, for benchmarks.
    #[cfg(feature = "runtime-benchmarks")]
    fn deploy_for_benchmark(code: &ContentId);
}

/// Which content storage is paid for (settlement's published contents).
pub trait ContentCatalog {
    /// The published size of `content` if its storage is paid for in `epoch`. A BLAKE3 chunk proof does not
    /// bind the blob's length (a prefix of a blob proves against the same root), so a pin is challenged and
    /// paid only at exactly this length.
    fn published_size(content: &ContentId, epoch: EpochIndex) -> Option<u64>;
    /// Publishes `content` at `size`, for benchmarks.
    #[cfg(feature = "runtime-benchmarks")]
    fn publish_for_benchmark(content: &ContentId, size: u64);
}

/// Receives work offences (GPoS slashes the node's deposit and jails it).
pub trait WorkOffenceHandler<AccountId> {
    /// `node`, operated by `operator`, committed `offence` in `epoch`.
    fn on_offence(node: &NodeId, operator: &AccountId, epoch: EpochIndex, offence: WorkOffence);
}

/// Receives verified work as it is proven, for settlement to charge dApps and pay nodes.
pub trait WorkAccounting<AccountId> {
    /// `bytes` served by `node` (operated by `operator`) in `epoch` to clients paid for by `payer` were
    /// verified by a challenge answer.
    fn on_traffic_verified(
        epoch: EpochIndex,
        node: &NodeId,
        operator: &AccountId,
        payer: &AccountId,
        bytes: u64,
    );
    /// `units` of compute run by `node` (operated by `operator`) in `epoch` for clients paid for by `payer` were
    /// verified by a challenge answer.
    fn on_compute_verified(
        epoch: EpochIndex,
        node: &NodeId,
        operator: &AccountId,
        payer: &AccountId,
        units: u64,
    );
    /// The `units` of `node`'s compute in `epoch` credited to `payer` were refuted by its keepers' replays: they
    /// must not be charged or paid. Called before the epoch is settled.
    fn on_compute_voided(epoch: EpochIndex, node: &NodeId, payer: &AccountId, units: u64);
}

impl<AccountId> WorkAccounting<AccountId> for () {
    fn on_traffic_verified(_: EpochIndex, _: &NodeId, _: &AccountId, _: &AccountId, _: u64) {}
    fn on_compute_verified(_: EpochIndex, _: &NodeId, _: &AccountId, _: &AccountId, _: u64) {}
    fn on_compute_voided(_: EpochIndex, _: &NodeId, _: &AccountId, _: u64) {}
}

/// Which part of a report: its delivery receipts or its compute receipts.
#[derive(Clone, Copy)]
enum Part {
    Delivery,
    Compute,
}

/// The signed terms a challenge checks on every sampled receipt, whatever its kind.
struct Terms<'a> {
    genesis_hash: &'a Hash32,
    epoch: EpochIndex,
    node: &'a NodeId,
    client: &'a ClientKey,
    signature: &'a Signature64,
}

/// A client-signed receipt that can be sampled: a leaf of a receipt tree with terms and a signature.
trait SignedReceipt: SummedLeaf {
    fn terms(&self) -> Terms<'_>;
    /// The bytes the client signed.
    fn payload(&self) -> alloc::vec::Vec<u8>;
}

/// Both kinds of receipt name their terms with the same fields.
macro_rules! impl_signed_receipt {
    ($($receipt:ty),*) => {$(
        impl SignedReceipt for $receipt {
            fn terms(&self) -> Terms<'_> {
                Terms {
                    genesis_hash: &self.genesis_hash,
                    epoch: self.epoch,
                    node: &self.node,
                    client: &self.client,
                    signature: &self.signature,
                }
            }
            fn payload(&self) -> alloc::vec::Vec<u8> {
                self.signing_payload()
            }
        }
    )*};
}

impl_signed_receipt!(DeliveryReceipt, ComputeReceipt);

/// How many of one part's samples each paying dApp's receipts answered.
struct Tally<AccountId> {
    hits: alloc::vec::Vec<(AccountId, u32)>,
    samples: u32,
}

impl<AccountId: PartialEq> Tally<AccountId> {
    fn new(samples: usize) -> Self {
        Self {
            hits: alloc::vec::Vec::new(),
            samples: samples as u32,
        }
    }

    fn add(&mut self, payer: AccountId) {
        match self.hits.iter_mut().find(|(p, _)| *p == payer) {
            Some((_, hits)) => *hits += 1,
            None => self.hits.push((payer, 1)),
        }
    }

    /// `total` split over the payers by the samples they answered, rounded down so the parts never exceed the
    /// whole.
    fn shares(self, total: u64) -> alloc::vec::Vec<(AccountId, u64)> {
        let samples = self.samples.max(1) as u128;
        self.hits
            .into_iter()
            .map(|(payer, hits)| {
                let share = (total as u128).saturating_mul(hits as u128) / samples;
                (payer, share as u64)
            })
            .collect()
    }
}

/// The keepers eligible this epoch (GPoS supplies them, weighted by effective stake).
pub trait KeeperSet<AccountId> {
    /// Eligible keepers; the pallet keeps at most `MaxKeepers` of them.
    fn keepers() -> alloc::vec::Vec<KeeperCandidate<AccountId>>;
    /// Makes `keepers` the eligible set, for benchmarks.
    #[cfg(feature = "runtime-benchmarks")]
    fn set_for_benchmark(keepers: alloc::vec::Vec<KeeperCandidate<AccountId>>);
}

#[frame_support::pallet]
pub mod pallet {
    use super::*;
    use alloc::vec::Vec;
    use enreach_primitives::{
        merkle::{verify_receipt, ProofError},
        ReceiptProof,
    };
    use frame_support::pallet_prelude::*;
    use frame_support::traits::Randomness;
    use frame_system::pallet_prelude::*;
    use pallet_edge_nodes::NodeRegistry;
    use sp_runtime::traits::{CheckedSub, One, Saturating, Zero};

    /// One proven chunk of a pin: its bytes and their BLAKE3 path to the content hash.
    pub type StorageSample = (
        BoundedVec<u8, ConstU32<{ content::CHUNK_LEN as u32 }>>,
        ChunkProof,
    );

    /// A storage answer: one sample per drawn chunk index, in draw order.
    pub type StorageAnswerOf<T> = BoundedVec<StorageSample, <T as Config>::MaxStorageSamples>;

    /// A challenge answer: the sampled receipts with their Merkle paths, in sample order.
    pub type AnswerOf<T> =
        BoundedVec<(DeliveryReceipt, ReceiptProof), <T as Config>::MaxSampleSize>;

    /// The compute part of a challenge answer: the sampled compute receipts with their Merkle paths, in sample
    /// order.
    pub type ComputeAnswerOf<T> =
        BoundedVec<(ComputeReceipt, ReceiptProof), <T as Config>::MaxSampleSize>;

    /// Compute units credited to each paying dApp for one node's epoch, kept until the epoch is pruned so that a
    /// keeper verdict can take them back.
    pub type ComputeCreditsOf<T> =
        BoundedVec<(<T as frame_system::Config>::AccountId, u64), <T as Config>::MaxSampleSize>;

    /// A stored report.
    pub type ReportRecordOf<T> =
        ReportRecord<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;

    #[pallet::pallet]
    pub struct Pallet<T>(_);

    #[pallet::config]
    pub trait Config: frame_system::Config {
        /// The node registry (edge-nodes pallet): operators and statuses.
        type Registry: NodeRegistry<Self::AccountId>;
        /// Which dApp pays for which client.
        type ClientAuthority: ClientAuthority<Self::AccountId>;
        /// Which content storage is paid for, and at what size.
        type Contents: ContentCatalog;
        /// Which code compute receipts may bill.
        type Apps: AppCatalog;
        /// Receives offences.
        type OffenceHandler: WorkOffenceHandler<Self::AccountId>;
        /// Receives verified traffic and compute (settlement).
        type Accounting: WorkAccounting<Self::AccountId>;
        /// Supplies keepers each epoch.
        type Keepers: KeeperSet<Self::AccountId>;
        /// Who may change [`GpowParams`].
        type ParamsOrigin: EnsureOrigin<Self::RuntimeOrigin>;
        /// Upper bound of the governed sample size `k`.
        #[pallet::constant]
        type MaxSampleSize: Get<u32>;
        /// Upper bound of the governed keepers per node `K`.
        #[pallet::constant]
        type MaxKeepersPerNode: Get<u32>;
        /// Most keepers in an epoch's snapshot.
        #[pallet::constant]
        type MaxKeepers: Get<u32>;
        /// Most observations one [`Pallet::submit_observations`] carries.
        #[pallet::constant]
        type MaxObservationsPerCall: Get<u32>;
        /// Most reports that may be submitted in one block (they share a deadline).
        #[pallet::constant]
        type MaxReportsPerBlock: Get<u32>;
        /// Most expired challenges processed per block; the rest wait for the next block.
        #[pallet::constant]
        type MaxExpiriesPerBlock: Get<u32>;
        /// Epochs of records (reports, credits, observations, scores, proofs) kept; older ones are deleted.
        #[pallet::constant]
        type HistoryDepth: Get<EpochIndex>;
        /// Most records deleted per block when pruning old epochs.
        #[pallet::constant]
        type MaxPrunePerBlock: Get<u32>;
        /// Upper bound of the governed chunks proven per pin and epoch (`storage_samples`).
        #[pallet::constant]
        type MaxStorageSamples: Get<u32>;
        /// Most provers of one content ranked per epoch: the most replicas a content can be paid for.
        #[pallet::constant]
        type MaxReplicas: Get<u32>;
        /// Blocks whose randomness is kept to seed challenges; bounds `challenge_delay + answer_window`.
        #[pallet::constant]
        type SeedHistory: Get<u32>;
        /// Randomness of the parent block that its author could not choose: BABE's VRF output
        /// (`pallet_babe::ParentBlockRandomness`). `None` only where a block carries none (the first block), and
        /// then the parent hash stands in.
        type Randomness: Randomness<Option<Self::Hash>, BlockNumberFor<Self>>;
        /// Weights of this pallet's calls and hooks.
        type WeightInfo: WeightInfo;
    }

    /// The GPoW parameters in force.
    #[pallet::storage]
    pub type Params<T: Config> = StorageValue<_, GpowParams<BlockNumberFor<T>>, OptionQuery>;

    /// The epoch in progress.
    #[pallet::storage]
    pub type CurrentEpoch<T: Config> = StorageValue<_, EpochInfo<BlockNumberFor<T>>, OptionQuery>;

    /// Seed of each recent epoch (the block seed of its first block, recorded by the second), for keeper
    /// assignment and storage challenges. Pruned after two
    /// epochs.
    #[pallet::storage]
    pub type EpochSeeds<T: Config> = StorageMap<_, Twox64Concat, EpochIndex, [u8; 32]>;

    /// Keepers eligible in each recent epoch. Pruned after two epochs.
    #[pallet::storage]
    pub type EpochKeepers<T: Config> = StorageMap<
        _,
        Twox64Concat,
        EpochIndex,
        BoundedVec<KeeperCandidate<T::AccountId>, T::MaxKeepers>,
        ValueQuery,
    >;

    /// Work reports by epoch and node.
    #[pallet::storage]
    pub type Reports<T: Config> =
        StorageDoubleMap<_, Twox64Concat, EpochIndex, Blake2_128Concat, NodeId, ReportRecordOf<T>>;

    /// Challenges by deadline block, for expiry processing.
    #[pallet::storage]
    pub type Deadlines<T: Config> = StorageMap<
        _,
        Twox64Concat,
        BlockNumberFor<T>,
        BoundedVec<(EpochIndex, NodeId), T::MaxReportsPerBlock>,
        ValueQuery,
    >;

    /// The first deadline block whose expired challenges are not all processed yet.
    #[pallet::storage]
    pub type ExpiryCursor<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

    /// Verified bytes per epoch, node and paying dApp: what settlement charges and pays.
    #[pallet::storage]
    pub type Credits<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        EpochIndex,
        Blake2_128Concat,
        (NodeId, T::AccountId),
        u64,
        ValueQuery,
    >;

    /// Verified compute units per epoch and node, by paying dApp (at most one entry per sample).
    #[pallet::storage]
    pub type ComputeCredits<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        EpochIndex,
        Blake2_128Concat,
        NodeId,
        ComputeCreditsOf<T>,
        ValueQuery,
    >;

    /// Keeper observations by epoch, node and keeper; deleted [`OBSERVATION_DEPTH`] epochs on.
    #[pallet::storage]
    pub type Observations<T: Config> = StorageNMap<
        _,
        (
            NMapKey<Twox64Concat, EpochIndex>,
            NMapKey<Blake2_128Concat, NodeId>,
            NMapKey<Blake2_128Concat, T::AccountId>,
        ),
        KeeperObservation,
    >;

    /// Each node's work score per epoch, from the medians of its keepers' observations.
    #[pallet::storage]
    pub type WorkScores<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        EpochIndex,
        Blake2_128Concat,
        NodeId,
        WorkScore,
        ValueQuery,
    >;

    /// Sum of all nodes' work scores per epoch: the denominator when capacity is paid in proportion to score.
    #[pallet::storage]
    pub type TotalWorkScore<T: Config> = StorageMap<_, Twox64Concat, EpochIndex, u128, ValueQuery>;

    /// Per epoch and keeper, the sum of the work scores of the nodes it observed: the verified work it
    /// guarantees, from which GPoS derives its stake limit.
    #[pallet::storage]
    pub type KeeperOversight<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        EpochIndex,
        Blake2_128Concat,
        T::AccountId,
        u64,
        ValueQuery,
    >;

    /// Per epoch and keeper, how many of its observations are currently far from their node's median.
    #[pallet::storage]
    pub type DeviationCount<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        EpochIndex,
        Blake2_128Concat,
        T::AccountId,
        u32,
        ValueQuery,
    >;

    /// Keepers whose observation of a node was far from the median, by epoch, node and keeper: GPoS penalizes
    /// repeat offenders. Recomputed with every observation of the node, so it reflects the final median.
    #[pallet::storage]
    pub type KeeperDeviations<T: Config> = StorageNMap<
        _,
        (
            NMapKey<Twox64Concat, EpochIndex>,
            NMapKey<Blake2_128Concat, NodeId>,
            NMapKey<Blake2_128Concat, T::AccountId>,
        ),
        (),
    >;

    /// What each node was at the start of the last two epochs in which its registration changed, newest first:
    /// `(e, state)` is the state at the start of epoch `e`, recorded at the first change during `e`. With the
    /// registry's live state this gives the node's state at the start of the current and the previous epoch
    /// ([`Pallet::node_state_at`]). One entry per registered node, removed when it leaves the registry.
    #[pallet::storage]
    pub type NodeHistory<T: Config> = StorageMap<
        _,
        Blake2_128Concat,
        NodeId,
        BoundedVec<(EpochIndex, NodeState), ConstU32<2>>,
        ValueQuery,
    >;

    /// Seed of each of the last `SeedHistory` blocks, chained over every block's VRF output: what challenge
    /// samples are drawn from.
    #[pallet::storage]
    pub type BlockSeeds<T: Config> = StorageMap<_, Twox64Concat, BlockNumberFor<T>, [u8; 32]>;

    /// Per epoch and content, the nodes that proved they store it, best [`sampling::replica_rank`] first and
    /// at most `MaxReplicas`: settlement pays the first `replicas` of them.
    #[pallet::storage]
    pub type StorageProvers<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        EpochIndex,
        Blake2_128Concat,
        ContentId,
        BoundedVec<NodeId, T::MaxReplicas>,
        ValueQuery,
    >;

    /// The oldest epoch whose records are still being deleted, `HistoryDepth` epochs on, with the map reached
    /// (reports, credits, scores, storage provers, total score, keeper oversight, deviation counts, compute
    /// credits); advanced a page per block.
    #[pallet::storage]
    pub type PruneCursor<T: Config> = StorageValue<_, PruneState, OptionQuery>;

    /// The oldest epoch whose observations and deviations are still being deleted, [`OBSERVATION_DEPTH`]
    /// epochs on; advanced a page per block.
    #[pallet::storage]
    pub type ObservationPruneCursor<T: Config> = StorageValue<_, PruneState, OptionQuery>;

    #[pallet::genesis_config]
    #[derive(frame_support::DefaultNoBound)]
    pub struct GenesisConfig<T: Config> {
        /// Initial parameters; `None` leaves GPoW idle until governance sets them.
        pub params: Option<GpowParams<BlockNumberFor<T>>>,
    }

    #[pallet::genesis_build]
    impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
        fn build(&self) {
            if let Some(params) = &self.params {
                assert!(
                    Pallet::<T>::params_are_valid(params),
                    "invalid GPoW genesis parameters"
                );
                Params::<T>::put(params);
            }
        }
    }

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// A new epoch started.
        EpochStarted {
            /// The epoch concerned.
            epoch: EpochIndex,
            /// Number of eligible keepers in the snapshot.
            keepers: u32,
        },
        /// A node reported its work for an epoch and was challenged.
        WorkReported {
            /// The edge node.
            node: NodeId,
            /// The epoch concerned.
            epoch: EpochIndex,
            /// Receipts under the reported delivery root.
            receipts: u32,
            /// Bytes claimed.
            bytes: u64,
            /// Receipts under the reported compute root.
            compute_receipts: u32,
            /// Compute units claimed.
            units: u64,
            /// Last block for the challenge answer.
            deadline: BlockNumberFor<T>,
        },
        /// A challenge was answered correctly; the claimed bytes and units are credited.
        WorkVerified {
            /// The edge node.
            node: NodeId,
            /// The epoch concerned.
            epoch: EpochIndex,
            /// Bytes claimed.
            bytes: u64,
            /// Compute units claimed.
            units: u64,
        },
        /// A majority of a node's keepers failed to reproduce its sampled compute: its compute credit for the
        /// epoch is void and an offence was reported.
        ComputeRefuted {
            /// The edge node.
            node: NodeId,
            /// The epoch concerned.
            epoch: EpochIndex,
            /// The compute units no longer credited.
            units: u64,
        },
        /// A challenge expired unanswered; the report is void and an offence was reported.
        ReportVoided {
            /// The edge node.
            node: NodeId,
            /// The epoch concerned.
            epoch: EpochIndex,
        },
        /// A keeper observed a node.
        Observed {
            /// The observing keeper.
            keeper: T::AccountId,
            /// The edge node.
            node: NodeId,
            /// The epoch concerned.
            epoch: EpochIndex,
            /// The node's work score after this observation.
            score: WorkScore,
        },
        /// An observation of a batch was refused; the others were recorded.
        ObservationRefused {
            /// The observing keeper.
            keeper: T::AccountId,
            /// The edge node.
            node: NodeId,
            /// The epoch the observation named.
            epoch: EpochIndex,
            /// Why.
            error: DispatchError,
        },
        /// Governance changed the parameters.
        ParamsChanged,
        /// A node proved it stores the challenged chunks of a pinned content.
        StorageProven {
            /// The edge node.
            node: NodeId,
            /// The epoch concerned.
            epoch: EpochIndex,
            /// BLAKE3 hash of the content.
            content: ContentId,
            /// Whether it ranks among the content's paid replica slots for now (a better-ranked prover may
            /// still take its slot this epoch).
            ranked: bool,
        },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// GPoW has no parameters yet.
        NotConfigured,
        /// The parameters are out of range (zero lengths, `k` or `K` above their bounds, delay of zero).
        InvalidParams,
        /// The node is not registered or not active.
        NodeNotActive,
        /// Only the node's operator may report for it.
        NotOperator,
        /// Reports for this epoch are not accepted now: it has not ended, or its window has closed.
        OutsideSubmissionWindow,
        /// This node already reported for this epoch.
        DuplicateReport,
        /// The report claims neither bytes (with receipts) nor compute units (with compute receipts).
        EmptyReport,
        /// Too many reports were submitted in this block; submit in the next one.
        TooManyReportsThisBlock,
        /// No report of this node for this epoch.
        ReportNotFound,
        /// The report is not awaiting a challenge answer.
        NotChallenged,
        /// The challenge seed block has not been produced yet.
        ChallengeNotReady,
        /// The answer came after the deadline.
        LateAnswer,
        /// The answer does not hold one receipt per sampled byte offset, in sample order, each covering its
        /// offset.
        WrongSample,
        /// The compute answer does not hold one compute receipt per sampled unit offset, in sample order, each
        /// covering its offset (none when the report claims no units).
        WrongComputeSample,
        /// A proof's path is not as long as the report's leaf count implies for its position, or the position
        /// is outside the tree.
        WrongProofShape,
        /// Two receipts on a proof's path are not in strictly increasing (client, session) order: the tree
        /// holds a receipt twice, or a session more than once.
        DuplicateReceipt,
        /// A receipt's Merkle path does not lead to the reported root.
        WrongMerklePath,
        /// A receipt is for another chain.
        WrongGenesis,
        /// A receipt is from another epoch than the report.
        ReceiptFromOtherEpoch,
        /// A receipt names another node.
        ReceiptForOtherNode,
        /// A receipt's client signature does not verify.
        ForgedClientSignature,
        /// A receipt's client is not authorized by any paying dApp.
        UnauthorizedClient,
        /// The tree's byte sums do not add up to the claimed total.
        InflatedByteTotal,
        /// The compute tree's unit sums do not add up to the claimed total.
        InflatedUnitTotal,
        /// A compute receipt's code is not a registered app's code in the receipt's epoch.
        UnknownAppCode,
        /// The keeper is not assigned to this node in this epoch.
        KeeperNotAssigned,
        /// The observation is not for the previous epoch, or its window has closed.
        ObservationOutsideWindow,
        /// The observation claims more answers than probes, more passes than challenges, or more failed replays
        /// than replays.
        InconsistentObservation,
        /// This keeper already observed this node in this epoch.
        DuplicateObservation,
        /// A keeper may not observe a node its own account operates.
        OwnNode,
        /// The batch holds no observation.
        NoObservations,
        /// The epoch has not started (or GPoW has no epoch yet): it has no storage challenge.
        NoStorageChallenge,
        /// Storage answers for that epoch are closed: only the current and the previous epoch are open.
        StorageEpochClosed,
        /// The node does not pin this content, or pinned it during or after the epoch (a pin counts from the
        /// epoch after it was made).
        NotPinned,
        /// The content is not published for that epoch, or the pin's length is not its published size.
        NotPublished,
        /// The node already proved this content this epoch.
        StorageAlreadyProven,
        /// The answer does not hold one chunk per drawn index, in draw order, each with its BLAKE3 path to the
        /// content hash.
        WrongStorageProof,
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        fn on_initialize(now: BlockNumberFor<T>) -> Weight {
            let Some(params) = Params::<T>::get() else {
                return T::DbWeight::get().reads(1);
            };
            let mut weight = Self::record_seed(now);
            let next = match CurrentEpoch::<T>::get() {
                None => Some(0),
                Some(epoch) if now >= epoch.start.saturating_add(params.epoch_length) => {
                    Some(epoch.index + 1)
                }
                Some(_) => None,
            };
            match (next, CurrentEpoch::<T>::get()) {
                (Some(index), _) => weight.saturating_accrue(Self::start_epoch(index, now)),
                // The epoch's seed is its first block's: drawn after every registration, pin and stake that
                // counts for the epoch was fixed (changes in that block count from the next epoch).
                (None, Some(epoch)) if now == epoch.start.saturating_add(One::one()) => {
                    if let Some(seed) = BlockSeeds::<T>::get(epoch.start) {
                        EpochSeeds::<T>::insert(epoch.index, seed);
                    }
                    weight.saturating_accrue(T::DbWeight::get().reads_writes(1, 1));
                }
                _ => {}
            }
            weight.saturating_accrue(Self::expire_challenges(now));
            weight
                .saturating_add(Self::prune_old_epochs())
                .saturating_add(Self::prune_old_observations())
        }
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Reports a node's work for the epoch that just ended. Signed by the node's operator; one per node and
        /// epoch; only inside the submission window. Starts the challenge.
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::submit_work_report())]
        pub fn submit_work_report(origin: OriginFor<T>, report: WorkReport) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let params = Params::<T>::get().ok_or(Error::<T>::NotConfigured)?;
            ensure!(
                T::Registry::is_active(&report.node),
                Error::<T>::NodeNotActive
            );
            ensure!(
                T::Registry::operator(&report.node).as_ref() == Some(&who),
                Error::<T>::NotOperator
            );
            let now = frame_system::Pallet::<T>::block_number();
            let epoch = CurrentEpoch::<T>::get().ok_or(Error::<T>::OutsideSubmissionWindow)?;
            ensure!(
                report.epoch.checked_add(1) == Some(epoch.index)
                    && now < epoch.start.saturating_add(params.submission_window),
                Error::<T>::OutsideSubmissionWindow
            );
            ensure!(
                !Reports::<T>::contains_key(report.epoch, report.node),
                Error::<T>::DuplicateReport
            );
            ensure!(
                report.claims_delivery() || report.claims_compute(),
                Error::<T>::EmptyReport
            );

            let seed_block = now.saturating_add(params.challenge_delay);
            let deadline = seed_block.saturating_add(params.answer_window);
            Deadlines::<T>::try_mutate(deadline, |due| due.try_push((report.epoch, report.node)))
                .map_err(|_| Error::<T>::TooManyReportsThisBlock)?;
            Self::deposit_event(Event::WorkReported {
                node: report.node,
                epoch: report.epoch,
                receipts: report.receipt_count,
                bytes: report.total_bytes,
                compute_receipts: report.compute_receipt_count,
                units: report.total_units,
                deadline,
            });
            Reports::<T>::insert(
                report.epoch,
                report.node,
                ReportRecord {
                    report,
                    operator: who,
                    status: ReportStatus::Challenged {
                        seed_block,
                        deadline,
                    },
                    compute_refuted: false,
                },
            );
            Ok(())
        }

        /// Answers the challenge of `node`'s report for `epoch` with the sampled delivery receipts and compute
        /// receipts and their Merkle paths ([`Pallet::challenge_of`]; `compute_answer` is empty when the report
        /// claims no units). Anyone may submit the answer (the data proves itself); on success the claimed bytes
        /// and units are credited to the node, each split over the paying dApps in proportion to its samples.
        #[pallet::call_index(1)]
        #[pallet::weight(Pallet::<T>::answer_weight(
            answer.len() as u32,
            compute_answer.len() as u32,
            answer.len().saturating_add(compute_answer.len()) as u32,
        ))]
        pub fn answer_challenge(
            origin: OriginFor<T>,
            node: NodeId,
            epoch: EpochIndex,
            answer: AnswerOf<T>,
            compute_answer: ComputeAnswerOf<T>,
        ) -> DispatchResultWithPostInfo {
            ensure_signed(origin)?;
            let mut record = Reports::<T>::get(epoch, node).ok_or(Error::<T>::ReportNotFound)?;
            let ReportStatus::Challenged {
                seed_block,
                deadline,
            } = record.status
            else {
                return Err(Error::<T>::NotChallenged.into());
            };
            let now = frame_system::Pallet::<T>::block_number();
            ensure!(now > seed_block, Error::<T>::ChallengeNotReady);
            ensure!(now <= deadline, Error::<T>::LateAnswer);
            let params = Params::<T>::get().ok_or(Error::<T>::NotConfigured)?;
            let seed = BlockSeeds::<T>::get(seed_block).ok_or(Error::<T>::ChallengeNotReady)?;
            let report = &record.report;
            let (offsets, compute_offsets) = Self::samples_of(report, &seed, &params);

            let delivery =
                Self::verify_part(Part::Delivery, report, &offsets, answer.as_slice(), |_| {
                    Ok(())
                })?;
            let compute = Self::verify_part(
                Part::Compute,
                report,
                &compute_offsets,
                compute_answer.as_slice(),
                |receipt: &ComputeReceipt| {
                    ensure!(
                        T::Apps::runs_code(&receipt.code, epoch),
                        Error::<T>::UnknownAppCode
                    );
                    Ok(())
                },
            )?;

            // Charged for a distinct payer per sample; refunded to the payers there were.
            let actual = Self::answer_weight(
                answer.len() as u32,
                compute_answer.len() as u32,
                (delivery.hits.len() + compute.hits.len()) as u32,
            );
            // Every sample landed on a distinct signed receipt of an authorized client inside a tree whose
            // sums add up to the claim: credit each claim, split over the payers by the samples they answered.
            for (payer, bytes) in delivery.shares(report.total_bytes) {
                Credits::<T>::mutate(epoch, (node, &payer), |credit| {
                    *credit = credit.saturating_add(bytes)
                });
                T::Accounting::on_traffic_verified(epoch, &node, &record.operator, &payer, bytes);
            }
            let units = compute.shares(report.total_units);
            for (payer, units) in &units {
                T::Accounting::on_compute_verified(epoch, &node, &record.operator, payer, *units);
            }
            if !units.is_empty() {
                // At most one payer per sample, so the bound holds.
                ComputeCredits::<T>::insert(epoch, node, BoundedVec::truncate_from(units));
            }
            record.status = ReportStatus::Verified;
            Reports::<T>::insert(epoch, node, record.clone());
            Deadlines::<T>::mutate(deadline, |due| due.retain(|entry| *entry != (epoch, node)));
            Self::deposit_event(Event::WorkVerified {
                node,
                epoch,
                bytes: record.report.total_bytes,
                units: record.report.total_units,
            });
            if record.report.claims_compute() {
                Self::refute_if_replays_failed(epoch, &node, &params);
            }
            Ok(Some(actual).into())
        }

        /// A keeper's observations of the nodes it is assigned to, for the previous epoch, inside the observation
        /// window ([`Pallet::observation_window`]): one transaction per keeper carries many nodes, sharing the
        /// keeper snapshot and the totals it updates. Each observation updates its node's work score from the
        /// medians of all its keepers' observations so far, and refutes the node's compute once a strict majority
        /// of its assigned keepers report a failed replay. An observation that cannot count (a node that left, a
        /// duplicate) is refused alone with [`Event::ObservationRefused`], so no node can make its keeper lose the
        /// rest; the call fails, with the first refusal's error, only if none counted. Charged for the worst case
        /// (every node's other keepers observed first, every deviation rewritten) and refunded to what was done.
        #[pallet::call_index(2)]
        #[pallet::weight(Pallet::<T>::observations_weight(observations))]
        pub fn submit_observations(
            origin: OriginFor<T>,
            observations: BoundedVec<KeeperObservation, T::MaxObservationsPerCall>,
        ) -> DispatchResultWithPostInfo {
            let keeper = ensure_signed(origin)?;
            ensure!(!observations.is_empty(), Error::<T>::NoObservations);
            let params = Params::<T>::get().ok_or(Error::<T>::NotConfigured)?;
            let now = frame_system::Pallet::<T>::block_number();
            let current = CurrentEpoch::<T>::get().ok_or(Error::<T>::ObservationOutsideWindow)?;
            let epoch = current
                .index
                .checked_sub(1)
                .ok_or(Error::<T>::ObservationOutsideWindow)?;
            ensure!(
                now < current
                    .start
                    .saturating_add(Self::observation_window(&params)),
                Error::<T>::ObservationOutsideWindow
            );
            let mut batch = ObservationBatch::<T> {
                keeper,
                epoch,
                assignment: Assignment::load(epoch),
                params,
                added: 0,
                removed: 0,
                done: ObservationWork::default(),
            };
            let mut first_refusal = None;
            for observation in observations {
                let (node, observed) = (observation.node, observation.epoch);
                if let Err(error) = Self::observe(&mut batch, observation) {
                    let error: DispatchError = error.into();
                    Self::deposit_event(Event::ObservationRefused {
                        keeper: batch.keeper.clone(),
                        node,
                        epoch: observed,
                        error,
                    });
                    first_refusal.get_or_insert(error);
                }
            }
            if batch.done.recorded == 0 {
                return Err(first_refusal
                    .unwrap_or(Error::<T>::NoObservations.into())
                    .into());
            }
            TotalWorkScore::<T>::mutate(epoch, |total| {
                *total = total
                    .saturating_sub(batch.removed)
                    .saturating_add(batch.added)
            });
            Ok(Some(Self::observation_work_weight(&batch.done)).into())
        }

        /// Proves that `node` stores the pinned `content` in `epoch` (the current or the previous one): the
        /// chunks the epoch's seed draws ([`Pallet::storage_challenges_of`]) with their BLAKE3 paths. Anyone may
        /// submit it. The node must have been active at the epoch's start and pinned the content before it. It
        /// then takes a paid replica slot of the content if it ranks among the best `MaxReplicas` provers.
        #[pallet::call_index(6)]
        #[pallet::weight(T::WeightInfo::answer_storage_challenge(
            answer.len() as u32,
            Pallet::<T>::deepest_path(answer),
        ))]
        pub fn answer_storage_challenge(
            origin: OriginFor<T>,
            node: NodeId,
            epoch: EpochIndex,
            content: ContentId,
            answer: StorageAnswerOf<T>,
        ) -> DispatchResult {
            ensure_signed(origin)?;
            let current = CurrentEpoch::<T>::get()
                .ok_or(Error::<T>::NoStorageChallenge)?
                .index;
            ensure!(epoch <= current, Error::<T>::NoStorageChallenge);
            ensure!(
                epoch.saturating_add(1) >= current,
                Error::<T>::StorageEpochClosed
            );
            ensure!(
                Self::node_state_at(&node, epoch).active,
                Error::<T>::NodeNotActive
            );
            let pin = T::Registry::pins(&node)
                .into_iter()
                .find(|p| p.content == content && p.since <= epoch)
                .ok_or(Error::<T>::NotPinned)?;
            ensure!(
                T::Contents::published_size(&content, epoch) == Some(pin.len),
                Error::<T>::NotPublished
            );
            let seed = EpochSeeds::<T>::get(epoch).ok_or(Error::<T>::NoStorageChallenge)?;
            let mut provers = StorageProvers::<T>::get(epoch, content);
            ensure!(!provers.contains(&node), Error::<T>::StorageAlreadyProven);
            let samples = Params::<T>::get()
                .ok_or(Error::<T>::NotConfigured)?
                .storage_samples;
            let chunks = sampling::storage_chunks(&seed, &node, &content, pin.len, samples);
            ensure!(
                answer.len() == chunks.len()
                    && answer.iter().zip(&chunks).all(|((chunk, proof), &index)| {
                        content::verify_chunk(&content.0, pin.len, index, chunk, proof)
                    }),
                Error::<T>::WrongStorageProof
            );
            let rank = |n: &NodeId| sampling::replica_rank(&seed, &content, n);
            let mine = rank(&node);
            let position = provers.partition_point(|other| rank(other) < mine);
            let ranked = position < T::MaxReplicas::get() as usize;
            if ranked {
                // Full: the worst-ranked prover gives up its slot.
                if provers.is_full() {
                    provers.pop();
                }
                provers
                    .try_insert(position, node)
                    .expect("a slot was freed above; qed");
                StorageProvers::<T>::insert(epoch, content, provers);
            }
            Self::deposit_event(Event::StorageProven {
                node,
                epoch,
                content,
                ranked,
            });
            Ok(())
        }

        /// Replaces the GPoW parameters. Governance only.
        #[pallet::call_index(3)]
        #[pallet::weight(T::WeightInfo::set_params())]
        pub fn set_params(
            origin: OriginFor<T>,
            params: GpowParams<BlockNumberFor<T>>,
        ) -> DispatchResult {
            T::ParamsOrigin::ensure_origin(origin)?;
            ensure!(Self::params_are_valid(&params), Error::<T>::InvalidParams);
            Params::<T>::put(params);
            Self::deposit_event(Event::ParamsChanged);
            Ok(())
        }
    }

    impl<T: Config> pallet_edge_nodes::NodeChangeObserver for Pallet<T> {
        /// Records the node's state at the start of the current epoch before its first change in it.
        fn before_change(node: &NodeId) {
            let Some(epoch) = CurrentEpoch::<T>::get().map(|e| e.index) else {
                return;
            };
            NodeHistory::<T>::mutate(node, |history| {
                if history.first().is_some_and(|(e, _)| *e == epoch) {
                    return;
                }
                let mut newest = Vec::with_capacity(2);
                newest.push((epoch, Self::live_state(node)));
                newest.extend(history.first().copied());
                *history = BoundedVec::truncate_from(newest);
            });
        }

        fn on_removed(node: &NodeId) {
            NodeHistory::<T>::remove(node);
        }

        fn next_epoch() -> EpochIndex {
            CurrentEpoch::<T>::get().map_or(0, |e| e.index.saturating_add(1))
        }
    }

    impl<T: Config> Pallet<T> {
        /// Weight of an answer of `k` delivery and `c` compute samples answered by `payers` distinct paying
        /// dApps (at most one per sample before it runs): the benchmark (the deepest proofs, one paying dApp;
        /// `answer_delivery` without compute) plus each further payer's credit and settlement accruals.
        pub fn answer_weight(k: u32, c: u32, payers: u32) -> Weight {
            // The benchmarks credit one payer; each further one is three more reads and writes (its credit,
            // accrual and usage). They answer every sample from one client (and compute sample from one app
            // code): a sample of another client, or code, reads its authorization too.
            let extra_payers = payers.saturating_sub(1) as u64;
            let lookups = k.saturating_add(c) as u64;
            let extra = T::DbWeight::get()
                .reads_writes(3 * extra_payers, 3 * extra_payers)
                .saturating_add(T::DbWeight::get().reads(lookups));
            if c == 0 {
                return T::WeightInfo::answer_delivery(k).saturating_add(extra);
            }
            let weight = T::WeightInfo::answer_challenge(k, c).saturating_add(extra);
            // A verified compute report is refuted at once if its keepers already said so
            // ([`Pallet::refute_if_replays_failed`]): the assignment, the observations, the refutation.
            // An observation of a fully observed node does the same assignment and reads as many observations.
            weight
                .saturating_add(Self::observation_work_weight(&ObservationWork {
                    processed: 1,
                    recorded: 1,
                    priors: T::MaxKeepersPerNode::get().saturating_sub(1),
                    ..Default::default()
                }))
                .saturating_add(T::WeightInfo::refute_compute(T::MaxSampleSize::get()))
        }

        /// The longest BLAKE3 path in a storage answer, counted up to the deepest a proof may be: what its
        /// weight grows with besides the number of chunks.
        pub fn deepest_path(answer: &StorageAnswerOf<T>) -> u32 {
            answer
                .iter()
                .map(|(_, proof)| proof.siblings.len())
                .max()
                .unwrap_or(0)
                .min(content::MAX_CHUNK_PROOF_DEPTH as usize) as u32
        }

        /// Whether `params` are usable: non-zero lengths, a delay of at least one block, `k`, `c` and `K`
        /// within their bounds, percentages at most 100.
        pub fn params_are_valid(params: &GpowParams<BlockNumberFor<T>>) -> bool {
            !params.epoch_length.is_zero()
                && !params.submission_window.is_zero()
                && !params.challenge_delay.is_zero()
                && !params.answer_window.is_zero()
                && (1..=T::MaxSampleSize::get()).contains(&params.sample_size)
                && (1..=T::MaxSampleSize::get()).contains(&params.compute_sample_size)
                && (1..=T::MaxSampleSize::get()).contains(&params.light_sample_size)
                && params.audit_percent <= 100
                && (1..=T::MaxKeepersPerNode::get()).contains(&params.keepers_per_node)
                // A report's challenge must be settled before the epoch after next starts, when settlement
                // pays for it.
                && params
                    .submission_window
                    .saturating_add(params.challenge_delay)
                    .saturating_add(params.answer_window)
                    <= params.epoch_length
                && params.keeper_tolerance_percent <= 100
                && params.max_bandwidth_mbps > 0
                && (1..=T::MaxStorageSamples::get()).contains(&params.storage_samples)
                // A challenge's seed must still be kept when it is answered.
                && params
                    .challenge_delay
                    .saturating_add(params.answer_window)
                    < T::SeedHistory::get().into()
        }

        /// The byte and unit offsets the challenge of `node`'s report for `epoch` samples, once its seed block
        /// exists, and its deadline.
        pub fn challenge_of(
            epoch: EpochIndex,
            node: &NodeId,
        ) -> Option<runtime_api::OpenChallenge<BlockNumberFor<T>>> {
            let record = Reports::<T>::get(epoch, node)?;
            let ReportStatus::Challenged {
                seed_block,
                deadline,
            } = record.status
            else {
                return None;
            };
            if frame_system::Pallet::<T>::block_number() <= seed_block {
                return None;
            }
            let params = Params::<T>::get()?;
            let (offsets, compute_offsets) =
                Self::samples_of(&record.report, &BlockSeeds::<T>::get(seed_block)?, &params);
            Some(runtime_api::OpenChallenge {
                epoch,
                offsets,
                compute_offsets,
                deadline,
            })
        }

        /// The challenge `node` must answer now: for the last or the one-before-last epoch, whose challenges
        /// may still be open.
        pub fn open_challenge(
            node: &NodeId,
        ) -> Option<runtime_api::OpenChallenge<BlockNumberFor<T>>> {
            let current = CurrentEpoch::<T>::get()?.index;
            (1..=2)
                .filter_map(|back| current.checked_sub(back))
                .find_map(|epoch| Self::challenge_of(epoch, node))
        }

        /// What `node` must prove it stores in `epoch`: for every published content it pinned (at its
        /// published size) before the epoch began, the chunks the epoch's seed draws. Empty if the epoch has no
        /// seed yet or the node was not active at its start.
        pub fn storage_challenges_of(
            epoch: EpochIndex,
            node: &NodeId,
        ) -> Vec<runtime_api::StorageChallenge> {
            let (Some(seed), Some(params)) = (EpochSeeds::<T>::get(epoch), Params::<T>::get())
            else {
                return Vec::new();
            };
            if !Self::node_state_at(node, epoch).active {
                return Vec::new();
            }
            T::Registry::pins(node)
                .into_iter()
                .filter(|pin| {
                    pin.since <= epoch
                        && T::Contents::published_size(&pin.content, epoch) == Some(pin.len)
                })
                .map(|pin| runtime_api::StorageChallenge {
                    epoch,
                    content: pin.content,
                    len: pin.len,
                    chunks: sampling::storage_chunks(
                        &seed,
                        node,
                        &pin.content,
                        pin.len,
                        params.storage_samples,
                    ),
                })
                .collect()
        }

        /// Deletes a page of the oldest epoch's records once it is more than `HistoryDepth` epochs old: one map
        /// per block, at most `MaxPrunePerBlock` entries.
        pub(crate) fn prune_old_epochs() -> Weight {
            let state = PruneCursor::<T>::get();
            let (next, weight) = Self::prune_page(
                state,
                T::HistoryDepth::get(),
                8,
                |epoch, stage, limit, cursor| match stage {
                    0 => Reports::<T>::clear_prefix(epoch, limit, cursor),
                    1 => Credits::<T>::clear_prefix(epoch, limit, cursor),
                    2 => WorkScores::<T>::clear_prefix(epoch, limit, cursor),
                    3 => StorageProvers::<T>::clear_prefix(epoch, limit, cursor),
                    4 => {
                        TotalWorkScore::<T>::remove(epoch);
                        sp_io::MultiRemovalResults {
                            maybe_cursor: None,
                            backend: 1,
                            unique: 1,
                            loops: 1,
                        }
                    }
                    5 => KeeperOversight::<T>::clear_prefix(epoch, limit, cursor),
                    6 => DeviationCount::<T>::clear_prefix(epoch, limit, cursor),
                    _ => ComputeCredits::<T>::clear_prefix(epoch, limit, cursor),
                },
            );
            if let Some(next) = next {
                PruneCursor::<T>::put(next);
            }
            weight
        }

        /// Deletes a page of the oldest epoch's observations and deviations once it is more than
        /// [`OBSERVATION_DEPTH`] epochs old.
        pub(crate) fn prune_old_observations() -> Weight {
            let state = ObservationPruneCursor::<T>::get();
            let (next, weight) = Self::prune_page(
                state,
                OBSERVATION_DEPTH,
                2,
                |epoch, stage, limit, cursor| match stage {
                    0 => Observations::<T>::clear_prefix((epoch,), limit, cursor),
                    _ => KeeperDeviations::<T>::clear_prefix((epoch,), limit, cursor),
                },
            );
            if let Some(next) = next {
                ObservationPruneCursor::<T>::put(next);
            }
            weight
        }

        /// One page of a deletion track of `stages` maps keeping `depth` epochs: `clear` deletes at most `limit`
        /// entries of map `stage` of `epoch` from `cursor`. Returns where the track stands after it (`None` if
        /// nothing was due) and its weight.
        fn prune_page(
            state: Option<PruneState>,
            depth: EpochIndex,
            stages: u8,
            clear: impl FnOnce(EpochIndex, u8, u32, Option<&[u8]>) -> sp_io::MultiRemovalResults,
        ) -> (Option<PruneState>, Weight) {
            let Some(current) = CurrentEpoch::<T>::get() else {
                return (None, T::DbWeight::get().reads(1));
            };
            let PruneState {
                epoch,
                stage,
                cursor,
            } = state.unwrap_or_default();
            if epoch.saturating_add(depth) > current.index {
                return (None, T::DbWeight::get().reads(2));
            }
            let result = clear(
                epoch,
                stage,
                T::MaxPrunePerBlock::get(),
                cursor.as_ref().map(|c| c.as_slice()),
            );
            // A storage key is far shorter than the bound; a cursor that did not fit would restart the stage,
            // which is slower but still correct.
            let next = match result.maybe_cursor.map(BoundedVec::try_from) {
                Some(cursor) => PruneState {
                    epoch,
                    stage,
                    cursor: cursor.ok(),
                },
                None if stage + 1 >= stages => PruneState {
                    epoch: epoch.saturating_add(1),
                    stage: 0,
                    cursor: None,
                },
                None => PruneState {
                    epoch,
                    stage: stage + 1,
                    cursor: None,
                },
            };
            (Some(next), T::WeightInfo::prune_old_epochs(result.backend))
        }

        /// The keepers assigned to `node` in `epoch`: `count` distinct keepers drawn by weight from the
        /// epoch's snapshot, never the node's own operator. Empty if the epoch is unknown or the node was not
        /// active at its start.
        pub fn keepers_of(epoch: EpochIndex, node: &NodeId, count: u32) -> Vec<T::AccountId> {
            if !Self::node_state_at(node, epoch).active {
                return Vec::new();
            }
            Self::assign(epoch, node, T::Registry::operator(node), count)
        }

        /// Every node active at `epoch`'s start with its keepers, as positions in the epoch's keeper snapshot: the
        /// whole epoch's assignment in one call, from which the node serves each keeper its nodes
        /// (`gpow_assignedNodes`); a keeper of a large network would otherwise ask [`Pallet::keepers_of`] of
        /// every node. Reads the whole registry (seconds at 100 000 nodes): for the runtime API only. `None`
        /// before the epoch has a keeper snapshot.
        pub fn epoch_assignments(
            epoch: EpochIndex,
        ) -> Option<runtime_api::EpochAssignments<T::AccountId>> {
            let params = Params::<T>::get()?;
            let assignment = Assignment::<T>::load(epoch)?;
            let nodes = T::Registry::node_ids()
                .into_iter()
                .filter(|node| Self::node_state_at(node, epoch).active)
                .map(|node| {
                    let operator = T::Registry::operator(&node);
                    let keepers = sampling::keeper_positions(
                        &assignment.seed,
                        &node,
                        &assignment.keepers,
                        operator.as_ref(),
                        params.keepers_per_node as usize,
                    );
                    (node, keepers.into_iter().map(|i| i as u32).collect())
                })
                .collect();
            Some(runtime_api::EpochAssignments {
                keepers: assignment.keepers.into_iter().map(|k| k.account).collect(),
                nodes,
            })
        }

        /// [`Pallet::keepers_of`] a node known to have been active at the epoch's start and operated by
        /// `operator`.
        fn assign(
            epoch: EpochIndex,
            node: &NodeId,
            operator: Option<T::AccountId>,
            count: u32,
        ) -> Vec<T::AccountId> {
            Assignment::<T>::load(epoch).map_or_else(Vec::new, |assignment| {
                assignment.keepers_for(node, operator.as_ref(), count)
            })
        }

        /// Records one observation of a batch ([`Pallet::submit_observations`]) and rescores its node.
        fn observe(
            batch: &mut ObservationBatch<T>,
            observation: KeeperObservation,
        ) -> Result<(), Error<T>> {
            batch.done.processed += 1;
            ensure!(
                observation.epoch == batch.epoch,
                Error::<T>::ObservationOutsideWindow
            );
            ensure!(
                observation.probes_answered <= observation.probes_sent
                    && observation.storage_passed <= observation.storage_sent
                    && observation.replays_failed <= observation.replays_sent,
                Error::<T>::InconsistentObservation
            );
            let (node, epoch, keeper) = (observation.node, batch.epoch, &batch.keeper);
            // Judged by what the node was when the epoch started, whatever it changed since.
            let state = Self::node_state_at(&node, epoch);
            ensure!(state.active, Error::<T>::NodeNotActive);
            let operator = T::Registry::operator(&node);
            ensure!(operator.as_ref() != Some(keeper), Error::<T>::OwnNode);
            let assigned = batch
                .assignment
                .as_ref()
                .map_or_else(Vec::new, |assignment| {
                    assignment.keepers_for(&node, operator.as_ref(), batch.params.keepers_per_node)
                });
            ensure!(assigned.contains(keeper), Error::<T>::KeeperNotAssigned);
            // Nobody is credited more bandwidth than it claimed, nor more than governance deems credible.
            let mut observation = observation;
            observation.bandwidth_mbps = observation
                .bandwidth_mbps
                .min(state.bandwidth_up_mbps)
                .min(batch.params.max_bandwidth_mbps);
            ensure!(
                !Observations::<T>::contains_key((epoch, node, keeper)),
                Error::<T>::DuplicateObservation
            );
            let failed_replay = observation.replays_failed > 0;
            Observations::<T>::insert((epoch, node, keeper), observation);

            let all: Vec<(T::AccountId, KeeperObservation)> =
                Observations::<T>::iter_prefix((epoch, node)).collect();
            batch.done.recorded += 1;
            batch.done.priors += all.len().saturating_sub(1) as u32;
            let observations: Vec<&KeeperObservation> = all.iter().map(|(_, o)| o).collect();
            // A strict majority of the node's assigned keepers must observe it before it scores, and agree
            // before anyone is recorded as deviating.
            let quorum = assigned.len() / 2 + 1;
            let (score, deviating) =
                scoring::score_of(&observations, batch.params.keeper_tolerance_percent, quorum);
            let old_score = WorkScores::<T>::get(epoch, node);
            WorkScores::<T>::insert(epoch, node, score);
            batch.removed = batch.removed.saturating_add(old_score as u128);
            batch.added = batch.added.saturating_add(score as u128);
            // Every keeper that observed the node now vouches for its new score (the new keeper had vouched
            // for nothing yet).
            for (observer, _) in &all {
                let vouched = if observer == keeper { 0 } else { old_score };
                KeeperOversight::<T>::mutate(epoch, observer, |sum| {
                    *sum = sum.saturating_sub(vouched).saturating_add(score)
                });
            }
            // At most `keepers_per_node` entries under this prefix.
            for (previous, ()) in KeeperDeviations::<T>::drain_prefix((epoch, node)) {
                batch.done.deviation_changes += 1;
                DeviationCount::<T>::mutate(epoch, previous, |count| {
                    *count = count.saturating_sub(1)
                });
            }
            for i in deviating {
                batch.done.deviation_changes += 1;
                KeeperDeviations::<T>::insert((epoch, node, &all[i].0), ());
                DeviationCount::<T>::mutate(epoch, &all[i].0, |count| {
                    *count = count.saturating_add(1)
                });
            }
            // Only a failed replay can complete a refuting majority.
            if failed_replay && scoring::replays_refute(&observations, quorum) {
                batch.done.refutations += 1;
                Self::refute_compute(epoch, &node);
            }
            Self::deposit_event(Event::Observed {
                keeper: keeper.clone(),
                node,
                epoch,
                score,
            });
            Ok(())
        }

        /// What [`Pallet::submit_observations`] is charged before it runs: every observation on a node whose
        /// other `K - 1` keepers observed first, every deviation of the node rewritten, and a refutation for
        /// each observation reporting a failed replay (only those can complete a refuting majority).
        pub fn observations_weight(observations: &[KeeperObservation]) -> Weight {
            let n = observations.len() as u32;
            let keepers = Params::<T>::get()
                .map_or(T::MaxKeepersPerNode::get(), |p| p.keepers_per_node)
                .max(1);
            Self::observation_work_weight(&ObservationWork {
                processed: n,
                recorded: n,
                priors: n.saturating_mul(keepers - 1),
                // The node's old deviations removed and its new ones written: at most its keepers each.
                deviation_changes: n.saturating_mul(2 * keepers),
                refutations: observations.iter().filter(|o| o.replays_failed > 0).count() as u32,
            })
        }

        /// The weight of what a batch of observations did. The benchmark measures observations of fresh nodes
        /// and of nodes whose `MaxKeepersPerNode - 1` other keepers observed first; an observation after `o`
        /// others costs in between, in proportion. Deviation rewrites are database work: a read and two writes
        /// each (the entry and the keeper's count).
        fn observation_work_weight(work: &ObservationWork) -> Weight {
            let base = T::WeightInfo::submit_observations(0, 0);
            let fresh = T::WeightInfo::submit_observations(1, 0).saturating_sub(base);
            let full = T::WeightInfo::submit_observations(0, 1).saturating_sub(base);
            let per_prior = full
                .saturating_sub(fresh)
                .checked_div(T::MaxKeepersPerNode::get().saturating_sub(1).max(1) as u64)
                .unwrap_or_default();
            base.saturating_add(fresh.saturating_mul(work.processed as u64))
                .saturating_add(per_prior.saturating_mul(work.priors as u64))
                .saturating_add(T::DbWeight::get().reads_writes(
                    work.deviation_changes as u64,
                    2 * work.deviation_changes as u64,
                ))
                .saturating_add(
                    T::WeightInfo::refute_compute(T::MaxSampleSize::get())
                        .saturating_mul(work.refutations as u64),
                )
        }

        /// `node` as the registry has it now.
        fn live_state(node: &NodeId) -> NodeState {
            NodeState {
                active: T::Registry::is_active(node),
                bandwidth_up_mbps: T::Registry::capabilities(node)
                    .map_or(0, |c| c.bandwidth_up_mbps),
            }
        }

        /// What `node` was at the start of `epoch`, for the current and the previous epoch (older epochs are
        /// answered as inactive when the node changed since).
        pub fn node_state_at(node: &NodeId, epoch: EpochIndex) -> NodeState {
            let inactive = NodeState {
                active: false,
                bandwidth_up_mbps: 0,
            };
            match NodeHistory::<T>::get(node).as_slice() {
                // No change since GPoW started, or every change before `epoch` began.
                [] => Self::live_state(node),
                [(newest, _), ..] if epoch > *newest => Self::live_state(node),
                [(newest, state), ..] if epoch == *newest => *state,
                // `epoch` is older than the newest change: the state at the newest change's epoch start held
                // since the change before it.
                [(_, state)] => *state,
                [(_, state), (older, _)] if epoch > *older => *state,
                [_, (older, state)] if epoch == *older => *state,
                _ => inactive,
            }
        }

        /// The byte offsets and the unit offsets the challenge of `report` seeded by `seed` samples: for an
        /// audit ([`sampling::is_audited`]) `k` byte offsets if it claims bytes and `c` unit offsets if it claims
        /// units, otherwise `light_sample_size` of each; drawn independently (distinct domains), so knowing one
        /// sample tells nothing about the other.
        fn samples_of(
            report: &WorkReport,
            seed: &[u8; 32],
            params: &GpowParams<BlockNumberFor<T>>,
        ) -> (Vec<u64>, Vec<u64>) {
            let (sample_size, compute_sample_size) =
                if sampling::is_audited(seed, &report.node, report.epoch, params.audit_percent) {
                    (params.sample_size, params.compute_sample_size)
                } else {
                    (params.light_sample_size, params.light_sample_size)
                };
            let draw = |domain, total, count| {
                sampling::sample_offsets(domain, seed, &report.node, report.epoch, total, count)
            };
            (
                draw(
                    sampling::DELIVERY_SAMPLE_DOMAIN,
                    report.total_bytes,
                    sample_size,
                ),
                draw(
                    sampling::COMPUTE_SAMPLE_DOMAIN,
                    report.total_units,
                    compute_sample_size,
                ),
            )
        }

        /// Checks one part of a challenge answer against `report`: one receipt per sampled offset, in order, each
        /// covering its offset under the part's root with a path of the right shape, signed by an authorized
        /// client for this chain, node and epoch, and passing `check` (what only this kind of receipt needs).
        /// Returns how many samples each paying dApp answered.
        fn verify_part<L: SignedReceipt>(
            part: Part,
            report: &WorkReport,
            offsets: &[u64],
            answer: &[(L, ReceiptProof)],
            check: impl Fn(&L) -> Result<(), Error<T>>,
        ) -> Result<Tally<T::AccountId>, Error<T>> {
            let (root, count, total) = match part {
                Part::Delivery => (
                    &report.receipts_root,
                    report.receipt_count,
                    report.total_bytes,
                ),
                Part::Compute => (
                    &report.compute_root,
                    report.compute_receipt_count,
                    report.total_units,
                ),
            };
            let wrong_sample = || match part {
                Part::Delivery => Error::<T>::WrongSample,
                Part::Compute => Error::<T>::WrongComputeSample,
            };
            let inflated = || match part {
                Part::Delivery => Error::<T>::InflatedByteTotal,
                Part::Compute => Error::<T>::InflatedUnitTotal,
            };
            ensure!(answer.len() == offsets.len(), wrong_sample());
            let genesis = Self::genesis_hash();
            let mut tally = Tally::new(offsets.len());
            for ((receipt, proof), offset) in answer.iter().zip(offsets) {
                let start =
                    verify_receipt(root, count, total, receipt, proof).map_err(|e| match e {
                        ProofError::WrongShape => Error::<T>::WrongProofShape,
                        ProofError::Unordered => Error::<T>::DuplicateReceipt,
                        ProofError::WrongRoot => Error::<T>::WrongMerklePath,
                        ProofError::WrongTotal | ProofError::Overflow => inflated(),
                    })?;
                // The receipt must cover the sampled offset: `start <= offset < start + amount`.
                ensure!(
                    *offset >= start && offset - start < receipt.amount(),
                    wrong_sample()
                );
                let terms = receipt.terms();
                ensure!(*terms.genesis_hash == genesis, Error::<T>::WrongGenesis);
                ensure!(
                    terms.epoch == report.epoch,
                    Error::<T>::ReceiptFromOtherEpoch
                );
                ensure!(*terms.node == report.node, Error::<T>::ReceiptForOtherNode);
                ensure!(
                    sp_io::crypto::ed25519_verify(
                        &sp_core::ed25519::Signature::from_raw(*terms.signature),
                        &receipt.payload(),
                        &sp_core::ed25519::Public::from_raw(terms.client.0),
                    ),
                    Error::<T>::ForgedClientSignature
                );
                check(receipt)?;
                let payer = T::ClientAuthority::payer(terms.client, report.epoch)
                    .ok_or(Error::<T>::UnauthorizedClient)?;
                tally.add(payer);
            }
            Ok(tally)
        }

        /// Records the parent block's seed: the seed before it hashed with the parent's randomness (its hash
        /// where it has none: the first block). A seed thus depends on the VRF output of every block before it:
        /// one that follows a commitment by `D` blocks is known in advance only to whoever authors all `D`
        /// (a block's author can compute its own VRF output before the slot). Forgets the seed `SeedHistory`
        /// blocks older.
        fn record_seed(now: BlockNumberFor<T>) -> Weight {
            let parent = now.saturating_sub(One::one());
            let (random, _) = T::Randomness::random(b"enreach/gpow/seed");
            let randomness =
                Self::hash_bytes(&random.unwrap_or_else(frame_system::Pallet::<T>::parent_hash));
            let before = parent
                .checked_sub(&One::one())
                .and_then(BlockSeeds::<T>::get)
                .unwrap_or_default();
            let mut hasher = blake3::Hasher::new();
            hasher.update(b"enreach/gpow/block-seed/v1");
            hasher.update(&before);
            hasher.update(&randomness);
            BlockSeeds::<T>::insert(parent, *hasher.finalize().as_bytes());
            if let Some(old) = parent.checked_sub(&T::SeedHistory::get().into()) {
                BlockSeeds::<T>::remove(old);
            }
            T::DbWeight::get().reads_writes(2, 2)
        }

        /// A block hash as the 32 bytes receipts and seeds use (zero-padded if the chain's hash is shorter).
        fn hash_bytes(hash: &T::Hash) -> [u8; 32] {
            let mut out = [0u8; 32];
            let bytes = hash.as_ref();
            let len = bytes.len().min(32);
            out[..len].copy_from_slice(&bytes[..len]);
            out
        }

        pub(crate) fn genesis_hash() -> [u8; 32] {
            Self::hash_bytes(&frame_system::Pallet::<T>::block_hash(
                BlockNumberFor::<T>::zero(),
            ))
        }

        pub(crate) fn start_epoch(index: EpochIndex, now: BlockNumberFor<T>) -> Weight {
            CurrentEpoch::<T>::put(EpochInfo { index, start: now });
            let keepers = BoundedVec::<_, T::MaxKeepers>::truncate_from(
                T::Keepers::keepers()
                    .into_iter()
                    .filter(|k| k.weight > 0)
                    .collect(),
            );
            let count = keepers.len() as u32;
            EpochKeepers::<T>::insert(index, keepers);
            if let Some(old) = index.checked_sub(2) {
                EpochSeeds::<T>::remove(old);
                EpochKeepers::<T>::remove(old);
            }
            Self::deposit_event(Event::EpochStarted {
                epoch: index,
                keepers: count,
            });
            T::WeightInfo::start_epoch(count)
        }

        /// Voids challenges whose deadline has passed, at most `MaxExpiriesPerBlock` per block, resuming from
        /// the stored cursor.
        pub(crate) fn expire_challenges(now: BlockNumberFor<T>) -> Weight {
            let mut cursor = ExpiryCursor::<T>::get();
            let mut budget = T::MaxExpiriesPerBlock::get();
            let mut processed = 0u32;
            let mut blocks_scanned = 0u32;
            // Deadlines are at most `challenge_delay + answer_window` ahead, so the scan is short; bound it anyway.
            while cursor < now && budget > 0 && blocks_scanned < T::MaxExpiriesPerBlock::get() {
                blocks_scanned += 1;
                let mut due = Deadlines::<T>::take(cursor);
                while budget > 0 {
                    let Some((epoch, node)) = due.pop() else {
                        break;
                    };
                    budget -= 1;
                    processed += 1;
                    Self::void_if_unanswered(epoch, &node);
                }
                if due.is_empty() {
                    cursor = cursor.saturating_add(1u32.into());
                } else {
                    Deadlines::<T>::insert(cursor, due);
                }
            }
            ExpiryCursor::<T>::put(cursor);
            T::WeightInfo::expire_challenges(processed).saturating_add(
                T::DbWeight::get()
                    .reads_writes(blocks_scanned as u64 + 1, blocks_scanned as u64 + 1),
            )
        }

        /// Blocks after an epoch ends during which keepers observe it: the submission window, then as long as
        /// the last report's challenge may take (`challenge_delay + answer_window`), then as long again for the
        /// keepers to replay the sampled compute sessions, but never past the end of the next epoch, so every
        /// verdict is in before the epoch is settled.
        pub fn observation_window(params: &GpowParams<BlockNumberFor<T>>) -> BlockNumberFor<T> {
            params
                .submission_window
                .saturating_add(params.challenge_delay)
                .saturating_add(params.answer_window.saturating_mul(2u32.into()))
                .min(params.epoch_length)
        }

        /// Refutes `node`'s verified compute of `epoch` if a quorum of its assigned keepers already reported
        /// failed replays: keepers may observe while the report is still challenged (they must observe within
        /// the observation window, and a node may answer late in it), so a verdict reached before the answer
        /// applies once it lands.
        fn refute_if_replays_failed(
            epoch: EpochIndex,
            node: &NodeId,
            params: &GpowParams<BlockNumberFor<T>>,
        ) {
            let operator = T::Registry::operator(node);
            let quorum = Self::assign(epoch, node, operator, params.keepers_per_node).len() / 2 + 1;
            // At most `keepers_per_node` entries under this prefix.
            let observations: Vec<KeeperObservation> =
                Observations::<T>::iter_prefix_values((epoch, *node)).collect();
            let observations: Vec<&KeeperObservation> = observations.iter().collect();
            if scoring::replays_refute(&observations, quorum) {
                Self::refute_compute(epoch, node);
            }
        }

        /// Voids `node`'s verified compute of `epoch` after its keepers refuted it: settlement takes back every
        /// payer's credit and the node is reported for [`WorkOffence::WrongCompute`]. Only a verified report with
        /// compute credit can be refuted (nothing else was sampled to replay), and only once.
        pub(crate) fn refute_compute(epoch: EpochIndex, node: &NodeId) {
            let Some(mut record) = Reports::<T>::get(epoch, node) else {
                return;
            };
            if record.compute_refuted
                || record.status != ReportStatus::Verified
                || !record.report.claims_compute()
            {
                return;
            }
            for (payer, units) in ComputeCredits::<T>::take(epoch, node) {
                T::Accounting::on_compute_voided(epoch, node, &payer, units);
            }
            T::OffenceHandler::on_offence(node, &record.operator, epoch, WorkOffence::WrongCompute);
            record.compute_refuted = true;
            Self::deposit_event(Event::ComputeRefuted {
                node: *node,
                epoch,
                units: record.report.total_units,
            });
            Reports::<T>::insert(epoch, node, record);
        }

        fn void_if_unanswered(epoch: EpochIndex, node: &NodeId) {
            Reports::<T>::mutate(epoch, node, |record| {
                if let Some(record) = record {
                    if matches!(record.status, ReportStatus::Challenged { .. }) {
                        record.status = ReportStatus::Voided;
                        T::OffenceHandler::on_offence(
                            node,
                            &record.operator,
                            epoch,
                            WorkOffence::MissedChallenge,
                        );
                        Self::deposit_event(Event::ReportVoided { node: *node, epoch });
                    }
                }
            });
        }
    }
}

/// An epoch's keeper snapshot and seed, read once and drawn from for every node a batch names.
struct Assignment<T: Config> {
    seed: [u8; 32],
    keepers: frame_support::BoundedVec<KeeperCandidate<T::AccountId>, T::MaxKeepers>,
}

impl<T: Config> Assignment<T> {
    /// The snapshot of `epoch`, if it has a seed yet.
    fn load(epoch: EpochIndex) -> Option<Self> {
        Some(Self {
            seed: EpochSeeds::<T>::get(epoch)?,
            keepers: EpochKeepers::<T>::get(epoch),
        })
    }

    /// The `count` keepers of `node`, never its `operator`.
    fn keepers_for(
        &self,
        node: &NodeId,
        operator: Option<&T::AccountId>,
        count: u32,
    ) -> alloc::vec::Vec<T::AccountId> {
        sampling::assign_keepers(&self.seed, node, &self.keepers, operator, count as usize)
    }
}

/// One keeper's batch of observations as it is recorded: what all of them share, and what they did.
struct ObservationBatch<T: Config> {
    keeper: T::AccountId,
    epoch: EpochIndex,
    assignment: Option<Assignment<T>>,
    params: GpowParams<frame_system::pallet_prelude::BlockNumberFor<T>>,
    /// Scores added to and removed from the epoch's total, written once at the end.
    added: u128,
    removed: u128,
    done: ObservationWork,
}

/// What a batch of observations did, for its weight.
#[derive(Default)]
struct ObservationWork {
    /// Observations looked at, refused or not.
    processed: u32,
    /// Observations recorded.
    recorded: u32,
    /// Other keepers' observations already stored for the nodes observed, summed.
    priors: u32,
    /// Deviation entries removed or written.
    deviation_changes: u32,
    /// Compute refutations carried out.
    refutations: u32,
}
