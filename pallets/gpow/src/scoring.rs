//! A node's work score from its keepers' observations: the median of each metric over the keepers, so that
//! fewer than half of them lying cannot move it, and the keepers whose observations stray from the medians.
//! Nothing counts before a quorum (a strict majority of the node's assigned keepers) has observed the node, so
//! one keeper alone cannot set a score; and a keeper is recorded as deviating only when a quorum agrees without
//! it, so a low outlier next to one honest keeper cannot get the honest one recorded.

use alloc::vec::Vec;
use enreach_primitives::KeeperObservation;

/// Verified capacity for one epoch: upload bandwidth in kbit/s as measured by keepers, scaled by the share of
/// liveness probes and storage challenges the node passed. Zero for a node that was down.
pub type WorkScore = u64;

const PPM: u64 = 1_000_000;

fn ratio_ppm(passed: u16, sent: u16) -> u64 {
    // A keeper that sent no storage challenge has nothing to hold against the node.
    if sent == 0 {
        PPM
    } else {
        passed as u64 * PPM / sent as u64
    }
}

/// Lower median: for an even count, the smaller middle value, so a tie never rounds in the node's favour.
fn median(mut values: Vec<u64>) -> u64 {
    if values.is_empty() {
        return 0;
    }
    values.sort_unstable();
    values[(values.len() - 1) / 2]
}

fn far(value: u64, median: u64, tolerance_percent: u8) -> bool {
    let allowed = median.saturating_mul(tolerance_percent as u64) / 100;
    value.abs_diff(median) > allowed
}

/// The score from `observations` once there are at least `quorum` of them (zero before), and the positions of
/// observations outside `tolerance_percent` of the median uptime, storage-pass ratio or bandwidth, or whose
/// replay verdict (a failed replay or none) is not the majority's ([`replays_refute`]), if at least `quorum`
/// others agree (nobody otherwise: a disagreement between too few says nothing about who lies). Bandwidth
/// measurements are noisy, so the score itself does not wait for agreement.
pub fn score_of(
    observations: &[&KeeperObservation],
    tolerance_percent: u8,
    quorum: usize,
) -> (WorkScore, Vec<usize>) {
    if observations.len() < quorum.max(1) {
        return (0, Vec::new());
    }
    let uptimes: Vec<u64> = observations
        .iter()
        .map(|o| ratio_ppm(o.probes_answered, o.probes_sent))
        .collect();
    let storages: Vec<u64> = observations
        .iter()
        .map(|o| ratio_ppm(o.storage_passed, o.storage_sent))
        .collect();
    let bandwidths: Vec<u64> = observations
        .iter()
        .map(|o| o.bandwidth_mbps as u64)
        .collect();

    let uptime = median(uptimes.clone());
    let stored = median(storages.clone());
    let bandwidth = median(bandwidths.clone());
    let score = bandwidth.saturating_mul(1000).saturating_mul(uptime) / PPM * stored / PPM;

    let refuted = replays_refute(observations, quorum);
    let deviating: Vec<usize> = (0..observations.len())
        .filter(|&i| {
            let replayed = observations[i].replays_sent > 0;
            far(uptimes[i], uptime, tolerance_percent)
                || far(storages[i], stored, tolerance_percent)
                || far(bandwidths[i], bandwidth, tolerance_percent)
                || (replayed && (observations[i].replays_failed > 0) != refuted)
        })
        .collect();
    if observations.len() - deviating.len() < quorum {
        return (score, Vec::new());
    }
    (score, deviating)
}

/// Whether `observations` refute the node's compute: at least `quorum` (a strict majority of the node's assigned
/// keepers) report a failed replay. That is the lower median of the assigned keepers' verdicts, counting a keeper
/// that did not observe or did not replay as "reproduced": fewer than half of them lying can neither frame an
/// honest node nor, once the others have replayed, clear a cheating one.
pub fn replays_refute(observations: &[&KeeperObservation], quorum: usize) -> bool {
    observations.iter().filter(|o| o.replays_failed > 0).count() >= quorum.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use enreach_primitives::NodeId;

    fn observed(answered: u16, bandwidth: u32, passed: u16, sent: u16) -> KeeperObservation {
        KeeperObservation {
            node: NodeId([0; 32]),
            epoch: 1,
            probes_answered: answered,
            probes_sent: 10,
            median_rtt_ms: 20,
            storage_passed: passed,
            storage_sent: sent,
            bandwidth_mbps: bandwidth,
            replays_sent: 0,
            replays_failed: 0,
        }
    }

    fn obs(answered: u16, bandwidth: u32) -> KeeperObservation {
        observed(answered, bandwidth, 2, 2)
    }

    #[test]
    fn one_lying_keeper_does_not_move_the_score() {
        let honest = [obs(5, 100), obs(5, 100), obs(5, 100)];
        let liar = obs(10, 10_000);
        let all = [&honest[0], &honest[1], &liar];
        let (score, deviating) = score_of(&all, 20, 2);
        // 100 Mbit/s, half the probes answered, all storage passed.
        assert_eq!(score, 50_000);
        assert_eq!(deviating, vec![2]);
        let (honest_score, none) = score_of(&[&honest[0], &honest[1], &honest[2]], 20, 2);
        assert_eq!(score, honest_score);
        assert!(none.is_empty());
    }

    #[test]
    fn a_dead_node_scores_zero() {
        let dead = [obs(0, 0), obs(0, 0)];
        assert_eq!(score_of(&[&dead[0], &dead[1]], 20, 2).0, 0);
        assert_eq!(score_of(&[], 20, 2).0, 0);
    }

    #[test]
    fn a_low_outlier_next_to_one_honest_keeper_frames_nobody_and_zeroes_nothing_for_good() {
        let (liar, honest) = (obs(0, 0), obs(10, 100));
        // Two of three assigned keepers disagree: the lower median holds for now, and nobody is recorded.
        assert_eq!(score_of(&[&liar, &honest], 20, 2), (0, Vec::new()));
        // The third keeper agrees with the honest one: the node scores, and the liar is recorded.
        let (score, deviating) = score_of(&[&liar, &honest, &honest], 20, 2);
        assert_eq!(score, 100_000);
        assert_eq!(deviating, vec![0]);
    }

    #[test]
    fn one_observation_alone_sets_no_score() {
        let inflated = obs(10, 4_000_000);
        assert_eq!(score_of(&[&inflated], 20, 2), (0, Vec::new()));
    }

    #[test]
    fn noisy_bandwidth_still_scores_and_frames_nobody() {
        let measured = [obs(10, 60), obs(10, 100), obs(10, 140)];
        let (score, deviating) = score_of(&[&measured[0], &measured[1], &measured[2]], 20, 2);
        assert_eq!(score, 100_000);
        assert!(deviating.is_empty());
    }

    #[test]
    fn a_keeper_hiding_failed_storage_challenges_is_recorded() {
        // Two keepers saw the node fail every storage challenge; the third sent none, to help it.
        let (failed, helper) = (observed(10, 100, 0, 4), observed(10, 100, 0, 0));
        let (score, deviating) = score_of(&[&failed, &failed, &helper], 20, 2);
        assert_eq!(score, 0);
        assert_eq!(deviating, vec![2]);
    }

    fn replayed(sent: u16, failed: u16) -> KeeperObservation {
        KeeperObservation {
            replays_sent: sent,
            replays_failed: failed,
            ..obs(10, 100)
        }
    }

    #[test]
    fn a_keeper_lying_about_replays_is_recorded_once_a_quorum_of_others_agrees() {
        let (liar, honest) = (replayed(4, 4), replayed(4, 0));
        // Framing an honest node: recorded once two others reproduced what the liar says failed.
        assert_eq!(score_of(&[&liar, &honest], 20, 2).1, Vec::<usize>::new());
        assert_eq!(score_of(&[&liar, &honest, &honest], 20, 2).1, vec![0]);
        // Covering for a cheating node: recorded once two others found the failure it denies.
        let failed = replayed(4, 2);
        assert_eq!(score_of(&[&failed, &honest, &failed], 20, 2).1, vec![1]);
        // A keeper that did not replay takes no side.
        assert!(score_of(&[&failed, &obs(10, 100), &failed], 20, 2)
            .1
            .is_empty());
    }

    #[test]
    fn one_lying_keeper_cannot_refute_compute_and_a_majority_can() {
        let (liar, honest, idle) = (replayed(4, 4), replayed(4, 0), replayed(0, 0));
        // Three assigned keepers: quorum 2.
        assert!(!replays_refute(&[&liar], 2), "alone");
        assert!(!replays_refute(&[&liar, &honest, &honest], 2));
        assert!(
            !replays_refute(&[&liar, &idle], 2),
            "next to one that did not replay"
        );
        assert!(replays_refute(&[&liar, &liar], 2));
        assert!(replays_refute(
            &[&honest, &replayed(4, 1), &replayed(2, 2)],
            2
        ));
    }
}
