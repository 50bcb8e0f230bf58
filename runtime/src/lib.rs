//! # EnReach runtime
//!
//! The state machine of the EnReach appchain. Blocks are authored by BABE in 6 s slots and finalized by
//! GRANDPA, as on Polkadot; the authority set of both comes from `pallet-session`, so GPoS elections change
//! the validators at session boundaries without touching consensus code. BABE's slot leaders are chosen by
//! a VRF, which also gives each block randomness its author cannot choose (`pallet_babe::ParentBlockRandomness`,
//! for challenge and keeper seeds), and a validator that authors two blocks in one slot or votes twice in one
//! GRANDPA round is reported with a proof and slashed by GPoS (`pallet-offences`). Balances are used through
//! the `fungible` traits (holds and freezes), which is what staking and settlement pallets build on.
//!
//! Module map:
//! - [`configs`]: the `Config` of every pallet and the constants they share.
//! - [`apis`]: the runtime APIs the node and RPC clients call.
//! - [`genesis_config_presets`]: the `development` and `local_testnet` genesis presets.

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime`-style macros expand to large types.
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

pub mod apis;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarks;
pub mod configs;
pub mod genesis_config_presets;
pub mod weights;

extern crate alloc;

use alloc::vec::Vec;

use sp_runtime::{
    generic, impl_opaque_keys,
    traits::{BlakeTwo256, IdentifyAccount, Verify},
    MultiAddress, MultiSignature,
};
use sp_version::RuntimeVersion;

pub use frame_system::Call as SystemCall;
pub use pallet_balances::Call as BalancesCall;
#[cfg(any(feature = "std", test))]
pub use sp_runtime::BuildStorage;

/// Types the node needs without knowing the runtime's extrinsic format, so it keeps syncing across upgrades
/// that change that format.
pub mod opaque {
    use super::*;

    pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

    /// Opaque block header type.
    pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
    /// Opaque block type.
    pub type Block = generic::Block<Header, UncheckedExtrinsic>;
    /// Opaque block hash type.
    pub type Hash = <BlakeTwo256 as sp_runtime::traits::Hash>::Output;
}

impl_opaque_keys! {
    /// The keys a validator registers with `session.set_keys`: BABE (sr25519, VRF) for authoring, GRANDPA
    /// (ed25519) for finality.
    pub struct SessionKeys {
        pub babe: Babe,
        pub grandpa: Grandpa,
    }
}

/// Identifies this runtime to nodes and wallets; bump `spec_version` on every logic change.
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
    spec_name: alloc::borrow::Cow::Borrowed("enreach"),
    impl_name: alloc::borrow::Cow::Borrowed("enreach-node"),
    authoring_version: 1,
    spec_version: 110,
    impl_version: 1,
    apis: apis::RUNTIME_API_VERSIONS,
    transaction_version: 2,
    system_version: 1,
};

/// Target block time. BABE slots are this long; it cannot change once a chain has started.
pub const MILLI_SECS_PER_BLOCK: u64 = 6000;
/// BABE slot duration, equal to the block time: with secondary slots every slot has an author.
pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;

/// Blocks per minute, for durations written in wall-clock terms.
pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
/// Blocks per hour.
pub const HOURS: BlockNumber = MINUTES * 60;
/// Blocks per day.
pub const DAYS: BlockNumber = HOURS * 24;

/// A BABE epoch, and so a session (BABE triggers session changes): 10 minutes of slots. Validator-set
/// changes (GPoS elections) take effect at these boundaries.
///
/// It cannot change once a chain has started: BABE derives epoch indices from slot numbers with it, so
/// changing it stops block production. A new value needs a new chain.
pub const EPOCH_DURATION_IN_SLOTS: u64 = 10 * MINUTES as u64;

/// BABE's `c`: the probability that a slot has a primary (VRF-elected) author is `1 - (1 - c)^n` for `n`
/// equal-weight authorities. Slots without one go to the secondary author, so no slot is empty.
pub const PRIMARY_PROBABILITY: (u64, u64) = (1, 4);

/// The BABE epoch configuration at genesis: primary VRF slots plus secondary slots that also carry a VRF
/// output, so every block adds author randomness.
pub const BABE_GENESIS_EPOCH_CONFIG: sp_consensus_babe::BabeEpochConfiguration =
    sp_consensus_babe::BabeEpochConfiguration {
        c: PRIMARY_PROBABILITY,
        allowed_slots: sp_consensus_babe::AllowedSlots::PrimaryAndSecondaryVRFSlots,
    };

/// One ENR, the native token, in its smallest units (12 decimals).
pub const UNIT: Balance = 1_000_000_000_000;
/// A thousandth of an ENR.
pub const MILLI_UNIT: Balance = 1_000_000_000;
/// A millionth of an ENR.
pub const MICRO_UNIT: Balance = 1_000_000;

/// Below this balance an account is reaped; keeps dust accounts from bloating state.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;

/// Transaction signature: sr25519, ed25519 or ecdsa.
pub type Signature = MultiSignature;
/// An account is identified by its public key.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// Balance of an account.
pub type Balance = u128;
/// Per-account transaction counter.
pub type Nonce = u32;
/// Block and state hash.
pub type Hash = sp_core::H256;
/// Block height.
pub type BlockNumber = u32;
/// How an extrinsic names an account.
pub type Address = MultiAddress<AccountId, ()>;
/// Block header.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// Block of this runtime's extrinsics.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// The checks every signed transaction goes through, in order. `AuthorizeCall` first, so calls that
/// authorize themselves (`#[pallet::authorize]`) can be submitted without a signer.
pub type TxExtension = (
    frame_system::AuthorizeCall<Runtime>,
    frame_system::CheckNonZeroSender<Runtime>,
    frame_system::CheckSpecVersion<Runtime>,
    frame_system::CheckTxVersion<Runtime>,
    frame_system::CheckGenesis<Runtime>,
    frame_system::CheckEra<Runtime>,
    frame_system::CheckNonce<Runtime>,
    frame_system::CheckWeight<Runtime>,
    pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
    frame_metadata_hash_extension::CheckMetadataHash<Runtime>,
    frame_system::WeightReclaim<Runtime>,
);

/// An extrinsic as it travels on the wire and sits in a block.
pub type UncheckedExtrinsic =
    generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;

/// What a signer signs: the call, the extensions and their implicit data.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Dispatches extrinsics to pallets and runs block hooks.
pub type Executive = frame_executive::Executive<
    Runtime,
    Block,
    frame_system::ChainContext<Runtime>,
    Runtime,
    AllPalletsWithSystem,
>;

#[frame_support::runtime]
mod runtime {
    /// The EnReach runtime.
    #[runtime::runtime]
    #[runtime::derive(
        RuntimeCall,
        RuntimeEvent,
        RuntimeError,
        RuntimeOrigin,
        RuntimeFreezeReason,
        RuntimeHoldReason,
        RuntimeSlashReason,
        RuntimeLockId,
        RuntimeTask,
        RuntimeViewFunction
    )]
    pub struct Runtime;

    #[runtime::pallet_index(0)]
    pub type System = frame_system;

    #[runtime::pallet_index(1)]
    pub type Timestamp = pallet_timestamp;

    #[runtime::pallet_index(2)]
    pub type Balances = pallet_balances;

    #[runtime::pallet_index(3)]
    pub type TransactionPayment = pallet_transaction_payment;

    // Session's genesis sets the BABE and GRANDPA authorities; BABE ends sessions (one per epoch).
    #[runtime::pallet_index(4)]
    pub type Session = pallet_session;

    #[runtime::pallet_index(5)]
    pub type Babe = pallet_babe;

    #[runtime::pallet_index(6)]
    pub type Grandpa = pallet_grandpa;

    #[runtime::pallet_index(7)]
    pub type Utility = pallet_utility;

    #[runtime::pallet_index(8)]
    pub type Sudo = pallet_sudo;

    #[runtime::pallet_index(9)]
    pub type Authorship = pallet_authorship;

    #[runtime::pallet_index(10)]
    pub type Offences = pallet_offences;

    #[runtime::pallet_index(11)]
    pub type Historical = pallet_session::historical;

    #[runtime::pallet_index(20)]
    pub type EdgeNodes = pallet_edge_nodes;

    #[runtime::pallet_index(21)]
    pub type Gpow = pallet_gpow;

    #[runtime::pallet_index(22)]
    pub type Gpos = pallet_gpos;

    #[runtime::pallet_index(23)]
    pub type Settlement = pallet_settlement;

    // The service layer: PeerHVM apps, whose code is settlement's published content.
    #[runtime::pallet_index(24)]
    pub type Apps = pallet_apps;

    #[runtime::pallet_index(30)]
    pub type Treasury = pallet_treasury;

    #[runtime::pallet_index(31)]
    pub type Preimage = pallet_preimage;

    #[runtime::pallet_index(32)]
    pub type Scheduler = pallet_scheduler;

    #[runtime::pallet_index(33)]
    pub type Referenda = pallet_referenda;

    #[runtime::pallet_index(34)]
    pub type ConvictionVoting = pallet_conviction_voting;

    #[runtime::pallet_index(35)]
    pub type Origins = crate::configs::governance::pallet_custom_origins;

    #[runtime::pallet_index(36)]
    pub type Parameters = pallet_parameters;
}
