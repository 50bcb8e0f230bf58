//! What dApp developers and node operators ask the chain about settlement, served by the node's
//! `settlement_*` JSON-RPC methods.

use codec::{Codec, Decode, Encode};
use enreach_primitives::EpochIndex;
use scale_info::TypeInfo;
use sp_runtime::Perbill;

use crate::{EmissionSchedule, EpochUsage};

/// A dApp account as its developer sees it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct DappAccountInfo<Balance> {
    /// Prepaid funds.
    pub balance: Balance,
    /// Unpaid charges.
    pub debt: Balance,
    /// Whether its clients are paused (it is in debt).
    pub paused: bool,
    /// Authorized client keys.
    pub clients: u32,
    /// Published contents.
    pub contents: u32,
}

/// The economic parameters in force.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct SettlementParams<Balance> {
    /// Price of one GiB delivered.
    pub delivery_price: Balance,
    /// Price of one GiB stored for an epoch.
    pub storage_price: Balance,
    /// Price of one million compute units run.
    pub compute_price: Balance,
    /// Treasury's share of payments to nodes.
    pub protocol_fee: Perbill,
    /// Subsidy schedule.
    pub emission: EmissionSchedule<Balance>,
    /// Subsidy per epoch in the current era.
    pub current_emission: Balance,
    /// Keepers' share of the subsidy.
    pub keeper_share: Perbill,
    /// The next epoch to be settled.
    pub next_epoch_to_settle: EpochIndex,
}

sp_api::decl_runtime_apis! {
    /// Settlement queries.
    pub trait SettlementApi<AccountId, Balance> where AccountId: Codec, Balance: Codec {
        /// `dapp`'s account, if it has one.
        fn dapp_account(dapp: AccountId) -> Option<DappAccountInfo<Balance>>;
        /// `dapp`'s usage in `epoch` (zero if none or pruned).
        fn usage(dapp: AccountId, epoch: EpochIndex) -> EpochUsage<Balance>;
        /// Node earnings `operator` can claim.
        fn pending_node_rewards(operator: AccountId) -> Balance;
        /// Prices, fee and subsidy in force.
        fn params() -> SettlementParams<Balance>;
    }
}
