//! How a keeper's observations are packed into `Gpow::submit_observations` transactions: as few as possible, each
//! sure to fit a block. The chain charges a batch before it runs for the worst its observations could cost
//! (every node's other keepers observed first, all their deviations rewritten), which grows with the keepers per
//! node `K`, and a whole compute refutation for each observation reporting a failed replay.

use enreach_primitives::KeeperObservation;

/// Most observations in one batch at up to [`KEEPERS_AT_FULL_BATCH`] keepers per node: the runtime's
/// `MaxObservationsPerCall`. A batch's fixed cost is shared by all its observations.
pub const OBSERVATIONS_PER_TRANSACTION: usize = 512;

/// Keepers per node up to which a batch may be full (the production intent); with more, batches shrink in
/// proportion, as each observation's worst case grows with `K`.
pub const KEEPERS_AT_FULL_BATCH: u32 = 5;

/// Most observations reporting a failed replay in one batch. The chain charges each of them a whole compute
/// refutation before it runs (only those can complete a refuting majority), about 8 ms: unbounded, a batch
/// naming many compute nodes that fail replays would be charged more than a block holds and never land, and the
/// honest observations in it with it.
pub const FAILED_REPLAYS_PER_TRANSACTION: usize = 32;

/// The most observations one batch carries when nodes have `keepers_per_node` keepers. The runtime's tests
/// (`runtime/tests/weights.rs`) check that a batch of this size, with [`FAILED_REPLAYS_PER_TRANSACTION`] failed
/// replays, fits one transaction for every `K` the runtime allows.
pub fn batch_size(keepers_per_node: u32) -> usize {
    OBSERVATIONS_PER_TRANSACTION * KEEPERS_AT_FULL_BATCH as usize
        / keepers_per_node.max(KEEPERS_AT_FULL_BATCH) as usize
}

/// `observations` cut into the batches a keeper submits when nodes have `keepers_per_node` keepers: at most
/// [`batch_size`] each, and at most [`FAILED_REPLAYS_PER_TRANSACTION`] of them reporting a failed replay.
pub fn batches(
    observations: &[KeeperObservation],
    keepers_per_node: u32,
) -> Vec<Vec<KeeperObservation>> {
    let size = batch_size(keepers_per_node);
    let mut batches: Vec<Vec<KeeperObservation>> = Vec::new();
    let mut failed_in_last = 0;
    for observation in observations {
        let failed = observation.replays_failed > 0;
        let full = batches.last().is_none_or(|last| {
            last.len() == size || (failed && failed_in_last == FAILED_REPLAYS_PER_TRANSACTION)
        });
        if full {
            batches.push(Vec::new());
            failed_in_last = 0;
        }
        failed_in_last += usize::from(failed);
        batches
            .last_mut()
            .expect("pushed above")
            .push(observation.clone());
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;
    use enreach_primitives::NodeId;

    fn observation(i: u32, failed: bool) -> KeeperObservation {
        KeeperObservation {
            node: NodeId([0; 32]),
            epoch: i,
            probes_answered: 0,
            probes_sent: 0,
            median_rtt_ms: 0,
            storage_passed: 0,
            storage_sent: 0,
            bandwidth_mbps: 0,
            replays_sent: u16::from(failed),
            replays_failed: u16::from(failed),
        }
    }

    /// Compute nodes that fail every replay must not make a keeper's batch too heavy to land, and with it the
    /// honest observations it carries.
    #[test]
    fn batches_bound_their_size_and_their_failed_replays() {
        let many: Vec<_> = (0..1100).map(|i| observation(i, false)).collect();
        let cut = batches(&many, 5);
        assert_eq!(cut.iter().map(Vec::len).collect::<Vec<_>>(), [512, 512, 76]);
        assert_eq!(cut.concat(), many, "in order, none lost");

        // Every third observation a failed replay: batches close at 32 of them.
        let mixed: Vec<_> = (0..300).map(|i| observation(i, i % 3 == 0)).collect();
        let cut = batches(&mixed, 3);
        for batch in &cut {
            assert!(batch.len() <= OBSERVATIONS_PER_TRANSACTION);
            assert!(
                batch.iter().filter(|o| o.replays_failed > 0).count()
                    <= FAILED_REPLAYS_PER_TRANSACTION
            );
        }
        assert_eq!(cut.len(), 4, "100 failed replays need four batches");
        assert_eq!(cut.concat(), mixed);
        assert!(batches(&[], 5).is_empty());
    }

    /// More keepers per node make each observation's worst case dearer: batches shrink in proportion.
    #[test]
    fn batches_shrink_with_more_keepers_per_node() {
        assert_eq!(batch_size(1), 512);
        assert_eq!(batch_size(5), 512);
        assert_eq!(batch_size(10), 256);
        assert_eq!(batch_size(16), 160);
        let many: Vec<_> = (0..400).map(|i| observation(i, false)).collect();
        assert_eq!(
            batches(&many, 16).iter().map(Vec::len).collect::<Vec<_>>(),
            [160, 160, 80]
        );
    }
}
