//! The trust layer: the edge-node registry and GPoW work verification, and the glue between them until GPoS
//! and settlement take over their roles (keeper selection by stake, slashing, dApp accounts).

use alloc::vec::Vec;
use enreach_primitives::{EpochIndex, NodeId};
use frame_support::{parameter_types, traits::ConstU32};
use frame_system::EnsureRoot;
use pallet_edge_nodes::{NodeRegistry, NodeStatus};
use pallet_gpow::{KeeperCandidate, KeeperSet, WorkOffence, WorkOffenceHandler};

use super::super::{
    AccountId, Balance, Balances, BlockNumber, EdgeNodes, Gpow, Runtime, RuntimeHoldReason, DAYS,
    UNIT,
};

parameter_types! {
    /// Held per registered node: what a node stands to lose for cheating.
    pub const NodeDeposit: Balance = 100 * UNIT;
    /// A deregistered node's deposit stays slashable this long.
    pub const NodeUnbondingPeriod: BlockNumber = DAYS;
}

impl pallet_edge_nodes::Config for Runtime {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type RegistrationDeposit = NodeDeposit;
    type UnbondingPeriod = NodeUnbondingPeriod;
    type MaxNodes = ConstU32<100_000>;
    type MaxNodesPerOperator = ConstU32<64>;
    type MaxEndpoints = ConstU32<8>;
    type MaxEndpointLen = ConstU32<128>;
    type MaxPinsPerNode = ConstU32<256>;
    type StatusOrigin = EnsureRoot<AccountId>;
    type WeightInfo = pallet_edge_nodes::weights::SubstrateWeight<Runtime>;
}

/// Most keepers in an epoch's snapshot.
pub const MAX_KEEPERS: u32 = 1024;

/// Until GPoS elects keepers by stake, the operators of active edge nodes keep watch over each other, each
/// with weight one and the region of its first node, taken from the first `MAX_KEEPERS` registry records.
pub struct OperatorsAsKeepers;

impl KeeperSet<AccountId> for OperatorsAsKeepers {
    fn keepers() -> Vec<KeeperCandidate<AccountId>> {
        let mut keepers: Vec<KeeperCandidate<AccountId>> = Vec::new();
        // At most MAX_KEEPERS records are read, so the epoch start costs what its benchmark measured
        // however many nodes are registered.
        for (_, info) in pallet_edge_nodes::Nodes::<Runtime>::iter().take(MAX_KEEPERS as usize) {
            if info.status == NodeStatus::Active
                && !keepers.iter().any(|k| k.account == info.operator)
            {
                keepers.push(KeeperCandidate {
                    account: info.operator,
                    region: info.capabilities.region,
                    weight: 1,
                });
            }
        }
        keepers
    }

    #[cfg(feature = "runtime-benchmarks")]
    fn set_for_benchmark(keepers: Vec<KeeperCandidate<AccountId>>) {
        for (i, keeper) in keepers.into_iter().enumerate() {
            let mut id = [0xBEu8; 32];
            id[..4].copy_from_slice(&(i as u32).to_le_bytes());
            EdgeNodes::register_for_benchmark(NodeId(id), keeper.account, keeper.region);
        }
    }
}

/// Until GPoS slashes, a work offence jails the node: it earns nothing until governance reactivates it.
pub struct JailOffender;

impl WorkOffenceHandler<AccountId> for JailOffender {
    fn on_offence(node: &NodeId, _operator: &AccountId, _epoch: EpochIndex, _offence: WorkOffence) {
        EdgeNodes::jail(node);
    }
}

impl pallet_gpow::Config for Runtime {
    type Registry = EdgeNodes;
    /// dApps authorize their clients in GPoW itself until settlement's dApp accounts exist.
    type ClientAuthority = Gpow;
    type OffenceHandler = JailOffender;
    type Keepers = OperatorsAsKeepers;
    type ParamsOrigin = EnsureRoot<AccountId>;
    type MaxSampleSize = ConstU32<64>;
    type MaxKeepersPerNode = ConstU32<16>;
    type MaxKeepers = ConstU32<MAX_KEEPERS>;
    type MaxReportsPerBlock = ConstU32<1000>;
    type MaxExpiriesPerBlock = ConstU32<500>;
    /// A week of 1-hour epochs: long enough for settlement to charge and pay from the credits.
    type HistoryDepth = ConstU32<168>;
    type MaxPrunePerBlock = ConstU32<1000>;
    type WeightInfo = pallet_gpow::weights::SubstrateWeight<Runtime>;
}
