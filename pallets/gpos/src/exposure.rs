//! The arithmetic of GPoS, kept free of storage so it can be tested on its own: how much of a keeper's stake
//! counts under its stake limit, and how an era's reward is split between a keeper and its guarantors.

use alloc::vec::Vec;
use sp_runtime::{
    traits::{AtLeast32BitUnsigned, Zero},
    Perbill,
};

/// The part of a keeper's stake that counts: its own bond first, then guarantees in the order they were made,
/// until `limit`. Guarantees beyond the limit count nothing and so earn nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountedStake<AccountId, Balance> {
    /// The keeper's own bond that counts.
    pub own: Balance,
    /// Guarantors and the part of their guarantee that counts; guarantors that count nothing are left out.
    pub guarantors: Vec<(AccountId, Balance)>,
    /// `own` plus the guarantors' counted stake: the effective stake, never above the limit.
    pub total: Balance,
}

/// Counts `own` and then `guarantees` up to `limit`.
pub fn counted_stake<AccountId: Clone, Balance: AtLeast32BitUnsigned + Copy>(
    own: Balance,
    guarantees: &[(AccountId, Balance)],
    limit: Balance,
) -> CountedStake<AccountId, Balance> {
    let own = own.min(limit);
    let mut room = limit.saturating_sub(own);
    let mut guarantors = Vec::new();
    for (who, amount) in guarantees {
        if room.is_zero() {
            break;
        }
        let counted = (*amount).min(room);
        if !counted.is_zero() {
            guarantors.push((who.clone(), counted));
            room = room.saturating_sub(counted);
        }
    }
    CountedStake {
        own,
        guarantors,
        total: limit.saturating_sub(room),
    }
}

/// `part` of `whole` as a share of `amount`, rounded down, computed without overflow.
pub fn pro_rata<Balance: AtLeast32BitUnsigned + Copy>(
    amount: Balance,
    part: Balance,
    whole: Balance,
) -> Balance {
    if whole.is_zero() {
        return Zero::zero();
    }
    let wide = |b: Balance| -> u128 { b.unique_saturated_into() };
    sp_runtime::helpers_128bit::multiply_by_rational_with_rounding(
        wide(amount),
        wide(part),
        wide(whole),
        sp_runtime::Rounding::Down,
    )
    .map(Balance::unique_saturated_from)
    .unwrap_or_else(Zero::zero)
}

/// A keeper's reward for an era, split: the commission first, the rest in proportion to counted stake. Returns
/// what the keeper itself gets; each guarantor gets [`guarantor_reward`].
pub fn keeper_reward<Balance: AtLeast32BitUnsigned + Copy>(
    reward: Balance,
    commission: Perbill,
    own: Balance,
    total: Balance,
) -> Balance {
    let commission_part = commission.mul_floor(reward);
    commission_part.saturating_add(pro_rata(reward.saturating_sub(commission_part), own, total))
}

/// A guarantor's share of a keeper's era reward after the keeper's commission.
pub fn guarantor_reward<Balance: AtLeast32BitUnsigned + Copy>(
    reward: Balance,
    commission: Perbill,
    counted: Balance,
    total: Balance,
) -> Balance {
    let commission_part = commission.mul_floor(reward);
    pro_rata(reward.saturating_sub(commission_part), counted, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_stake_counts_first_and_guarantees_fill_in_order_up_to_the_limit() {
        let counted = counted_stake(60u64, &[(1u32, 30), (2, 30), (3, 10)], 100);
        assert_eq!(counted.own, 60);
        assert_eq!(counted.guarantors, vec![(1, 30), (2, 10)]);
        assert_eq!(counted.total, 100);
        let capped = counted_stake(150u64, &[(1u32, 30)], 100);
        assert_eq!((capped.own, capped.total), (100, 100));
        assert!(capped.guarantors.is_empty());
        let under = counted_stake(10u64, &[(1u32, 5)], 100);
        assert_eq!(
            (under.own, under.total, under.guarantors),
            (10, 15, vec![(1, 5)])
        );
    }

    #[test]
    fn rewards_split_after_commission_never_exceed_the_reward() {
        let commission = Perbill::from_percent(10);
        let keeper = keeper_reward(1000u64, commission, 60, 100);
        let guarantor = guarantor_reward(1000u64, commission, 40, 100);
        assert_eq!(keeper, 100 + 540);
        assert_eq!(guarantor, 360);
        assert!(keeper + guarantor <= 1000);
        assert_eq!(pro_rata(1000u64, 1, 0), 0);
        assert_eq!(pro_rata(u128::MAX, u128::MAX / 2, u128::MAX), u128::MAX / 2);
    }
}
