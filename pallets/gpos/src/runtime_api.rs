//! What stakers and dApps ask the chain about GPoS, served by the node's `gpos_*` JSON-RPC methods.

use codec::{Codec, Decode, Encode};
use scale_info::TypeInfo;

use crate::EraIndex;

/// A keeper's stake as it would count if an era started now.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct KeeperStake<Balance> {
    /// Own bond.
    pub bonded: Balance,
    /// Sum of guarantees backing it.
    pub guaranteed: Balance,
    /// Stake limit from the verified work it oversaw.
    pub stake_limit: Balance,
    /// `min(bonded + guaranteed, stake_limit)`.
    pub effective_stake: Balance,
    /// Effective stake fixed for the current era (zero if it was not a keeper when the era started).
    pub era_effective_stake: Balance,
}

sp_api::decl_runtime_apis! {
    /// GPoS queries.
    pub trait GposApi<AccountId, Balance> where AccountId: Codec, Balance: Codec {
        /// The era in progress.
        fn current_era() -> EraIndex;
        /// `keeper`'s stake, limit and effective stake, if it is a keeper.
        fn keeper_stake(keeper: AccountId) -> Option<KeeperStake<Balance>>;
        /// Rewards `who` can still claim as keeper or guarantor.
        fn pending_rewards(who: AccountId) -> Balance;
    }
}
