//! The trust layer: the edge-node registry, GPoW work verification, GPoS staking and settlement, wired to each
//! other and to the governed parameters.

use frame_support::{parameter_types, traits::ConstU32, PalletId};

use super::{
    governance::{dynamic_params, ProtocolParametersOrigin, SlashCancelOrigin, TreasuryAccount},
    MAX_AUTHORITIES,
};
use crate::{BlockNumber, EdgeNodes, Gpos, Runtime, RuntimeHoldReason, Settlement, HOURS};

parameter_types! {
    /// A deregistered node's deposit stays slashable this long.
    pub const NodeUnbondingPeriod: BlockNumber = 24 * HOURS;
}

impl pallet_edge_nodes::Config for Runtime {
    type Currency = crate::Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type RegistrationDeposit = dynamic_params::edge_nodes::NodeDeposit;
    type UnbondingPeriod = NodeUnbondingPeriod;
    type MaxNodes = ConstU32<100_000>;
    type MaxNodesPerOperator = ConstU32<64>;
    type MaxEndpoints = ConstU32<8>;
    type MaxEndpointLen = ConstU32<128>;
    type MaxPinsPerNode = ConstU32<256>;
    type StatusOrigin = ProtocolParametersOrigin;
    type OnChange = crate::Gpow;
    type WeightInfo = pallet_edge_nodes::weights::SubstrateWeight<Runtime>;
}

/// Most keepers in an epoch's snapshot, and most GPoS candidates.
pub const MAX_KEEPERS: u32 = 1024;

impl pallet_gpow::Config for Runtime {
    type Registry = EdgeNodes;
    /// dApps authorize their clients with settlement's dApp accounts; paused accounts' clients are not paid.
    type ClientAuthority = Settlement;
    /// Storage is challenged and paid for content settlement's dApps published, at its published size.
    type Contents = Settlement;
    /// Compute receipts bill only code a registered app ran in their epoch.
    type Apps = crate::Apps;
    /// Missed challenges jail the node and schedule a GPoS slash of its deposit.
    type OffenceHandler = Gpos;
    type Accounting = Settlement;
    /// Keepers elected by GPoS, weighted by effective stake.
    type Keepers = Gpos;
    type ParamsOrigin = ProtocolParametersOrigin;
    type MaxSampleSize = ConstU32<64>;
    type MaxKeepersPerNode = ConstU32<16>;
    type MaxKeepers = ConstU32<MAX_KEEPERS>;
    /// A keeper of 2 500 nodes (100 000 nodes, 5 keepers each, 200 keepers) sends five of them an epoch.
    type MaxObservationsPerCall = ConstU32<512>;
    type MaxReportsPerBlock = ConstU32<1000>;
    type MaxExpiriesPerBlock = ConstU32<500>;
    /// A day of 1-hour epochs: settlement pays an epoch two epochs on and GPoS reads only the last scored one;
    /// older records (about 550 bytes per node and epoch, docs/SCALING.md) are history for indexers, which
    /// read it from events. Observations go after two epochs whatever this says.
    type HistoryDepth = ConstU32<24>;
    type MaxPrunePerBlock = ConstU32<1000>;
    type MaxStorageSamples = ConstU32<16>;
    /// Most replicas a published content may ask for.
    type MaxReplicas = ConstU32<64>;
    /// An hour of blocks: far more than any challenge delay and answer window.
    type SeedHistory = ConstU32<600>;
    /// The VRF output of the parent block: its author could only withhold the block, not choose the value.
    type Randomness = pallet_babe::ParentBlockRandomness<Runtime>;
    type WeightInfo = pallet_gpow::weights::SubstrateWeight<Runtime>;
}

impl pallet_gpos::Config for Runtime {
    type Currency = crate::Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type Work = crate::Gpow;
    type Registry = EdgeNodes;
    type HasSessionKeys = pallet_gpos::WithSessionKeys<Runtime>;
    type SessionValidators = crate::Session;
    type SlashBeneficiary = TreasuryAccount;
    type SlashCancelOrigin = SlashCancelOrigin;
    /// Six 10-minute sessions: one-hour eras.
    type SessionsPerEra = ConstU32<6>;
    type BondingDuration = dynamic_params::gpos::BondingDuration;
    type SlashDeferDuration = dynamic_params::gpos::SlashDeferDuration;
    type MinBond = dynamic_params::gpos::MinBond;
    type MinGuarantee = dynamic_params::gpos::MinGuarantee;
    type BaseStakeLimit = dynamic_params::gpos::BaseStakeLimit;
    type StakePerWorkScore = dynamic_params::gpos::StakePerWorkScore;
    type MissedChallengeSlash = dynamic_params::gpos::MissedChallengeSlash;
    type DeviationSlash = dynamic_params::gpos::DeviationSlash;
    type DeviationsBeforeSlash = dynamic_params::gpos::DeviationsBeforeSlash;
    type MinValidators = ConstU32<1>;
    type MaxValidators = ConstU32<MAX_AUTHORITIES>;
    type MaxCandidates = ConstU32<MAX_KEEPERS>;
    type MaxGuarantorsPerKeeper = ConstU32<256>;
    type ExposurePageSize = ConstU32<64>;
    type MaxUnlockingChunks = ConstU32<32>;
    type MaxSlashesPerEra = ConstU32<1000>;
    /// A week of one-hour eras.
    type HistoryDepth = ConstU32<168>;
    type WeightInfo = pallet_gpos::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
    /// Seed of the account holding dApp funds and unclaimed node earnings.
    pub const SettlementPalletId: PalletId = PalletId(*b"enr/setl");
}

impl pallet_settlement::Config for Runtime {
    type Currency = crate::Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type PalletId = SettlementPalletId;
    type Treasury = TreasuryAccount;
    type Staking = Gpos;
    type DeliveryPrice = dynamic_params::settlement::DeliveryPrice;
    type StoragePrice = dynamic_params::settlement::StoragePrice;
    type ComputePrice = dynamic_params::settlement::ComputePrice;
    type ProtocolFee = dynamic_params::settlement::ProtocolFee;
    type AccountDeposit = dynamic_params::settlement::AccountDeposit;
    type WithdrawDelay = dynamic_params::settlement::WithdrawDelay;
    type Emission = dynamic_params::settlement::Emission;
    type KeeperShare = dynamic_params::settlement::KeeperShare;
    type MaxClientsPerAccount = ConstU32<1024>;
    type MaxContentsPerAccount = ConstU32<1024>;
    // A model repository of a few hundred files (shards, tokenizers, configs) in one call.
    type MaxCollectionFiles = ConstU32<512>;
    type MaxSettlePerBlock = ConstU32<500>;
    /// A week of 1-hour epochs.
    type UsageHistory = ConstU32<168>;
    type WeightInfo = pallet_settlement::weights::SubstrateWeight<Runtime>;
}
