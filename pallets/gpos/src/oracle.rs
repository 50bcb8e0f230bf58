//! What GPoS reads from GPoW: which epoch's work scores are final, and per keeper the work it vouched for and
//! how often it strayed from the median.

use enreach_primitives::EpochIndex;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::Saturating;

/// GPoW's verified work, as GPoS needs it.
pub trait WorkOracle<AccountId> {
    /// The latest epoch whose keeper observations can no longer change (its submission window closed).
    fn last_scored_epoch() -> Option<EpochIndex>;
    /// Sum of the work scores of the nodes `keeper` observed in `epoch`.
    fn oversight(epoch: EpochIndex, keeper: &AccountId) -> u64;
    /// How many of `keeper`'s observations in `epoch` were far from their node's median.
    fn deviations(epoch: EpochIndex, keeper: &AccountId) -> u32;
}

impl<T: pallet_gpow::Config> WorkOracle<T::AccountId> for pallet_gpow::Pallet<T> {
    fn last_scored_epoch() -> Option<EpochIndex> {
        let current = pallet_gpow::CurrentEpoch::<T>::get()?;
        let params = pallet_gpow::Params::<T>::get()?;
        let now: BlockNumberFor<T> = frame_system::Pallet::<T>::block_number();
        // Observations of epoch `e` arrive during the observation window at the start of `e + 1`.
        let closed = now
            >= current
                .start
                .saturating_add(pallet_gpow::Pallet::<T>::observation_window(&params));
        current.index.checked_sub(if closed { 1 } else { 2 })
    }

    fn oversight(epoch: EpochIndex, keeper: &T::AccountId) -> u64 {
        pallet_gpow::KeeperOversight::<T>::get(epoch, keeper)
    }

    fn deviations(epoch: EpochIndex, keeper: &T::AccountId) -> u32 {
        pallet_gpow::DeviationCount::<T>::get(epoch, keeper)
    }
}
