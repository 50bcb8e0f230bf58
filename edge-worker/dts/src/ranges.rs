//! The ranges of a `GET`, checked at a cost bounded by their number. A request may name up to
//! [`MAX_RANGES`](crate::protocol::MAX_RANGES) ranges, each as wide as it likes and overlapping the others:
//! checked group by group as sent, that costs ranges × groups (a thousand times a 1 TiB blob's 64 Mi groups).
//! Sorted and merged first, in O(ranges log ranges), what follows (the presence check, the encoding) costs at
//! most the blob's groups, and in whole bytes of the bitfield.

use std::ops::Range;

/// `ranges` of a blob of `groups` groups sorted and merged (overlapping or adjacent ones joined), or `None` if
/// one reaches past the blob.
pub fn normalize(mut ranges: Vec<Range<u64>>, groups: u64) -> Option<Vec<Range<u64>>> {
    if ranges.iter().any(|r| r.end > groups) {
        return None;
    }
    ranges.sort_unstable_by_key(|r| r.start);
    let mut merged: Vec<Range<u64>> = Vec::with_capacity(ranges.len());
    for r in ranges.into_iter().filter(|r| r.start < r.end) {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    Some(merged)
}

/// Groups the normalized `ranges` cover.
pub fn group_total(ranges: &[Range<u64>]) -> u64 {
    ranges.iter().map(|r| r.end - r.start).sum()
}

#[cfg(test)]
// Single ranges are what the API takes: slices of group ranges.
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;
    use crate::{bitfield::Bitfield, protocol::MAX_RANGES, store::group_count};
    use std::time::{Duration, Instant};

    #[test]
    fn ranges_are_merged_and_bounded() {
        assert_eq!(
            normalize(vec![5..7, 0..2, 1..3, 7..9, 20..21], 30),
            Some(vec![0..3, 5..9, 20..21])
        );
        assert_eq!(normalize(vec![0..31], 30), None);
        assert_eq!(normalize(vec![0..u64::MAX], 30), None);
        assert_eq!(normalize(vec![], 30), Some(vec![]));
    }

    #[test]
    fn the_largest_request_against_the_largest_blob_is_checked_in_a_blink() {
        let groups = group_count(crate::protocol::MAX_SIZE);
        let present = Bitfield::full(groups);
        let ranges = vec![0..groups; MAX_RANGES];
        let started = Instant::now();
        let merged = normalize(ranges, groups).unwrap();
        assert!(merged.iter().all(|r| present.contains_range(r.clone())));
        assert_eq!(group_total(&merged), groups);
        // Group by group as sent, this was 2^36 checks: hours.
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }
}
