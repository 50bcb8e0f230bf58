//! A consistent-hashing ring: each node owns several pseudo-random points, and a key belongs to the nodes met
//! walking clockwise from the key's point. When a node leaves, only the keys it owned move, each to the next
//! node on the ring; every other key keeps its nodes.

/// A node's position in the router's node table.
pub type NodeIdx = u32;

/// SplitMix64: a fast, well-mixed 64-bit permutation (Steele et al.), enough to spread ring points.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The ring of one set of nodes: its points sorted, with a bucket table over the points' top bits so a walk
/// finds its start with one table read and a search of a few points, rather than a binary search over the
/// whole ring (on a large region's ring, a chain of a dozen cache misses per request).
#[derive(Clone, Debug, Default)]
pub struct Ring {
    /// The points, ascending.
    hashes: Vec<u64>,
    /// The node owning each point.
    nodes: Vec<NodeIdx>,
    /// For each bucket `b` (a point's top `64 - shift` bits), the index of its first point; one entry more
    /// than buckets, the last being the number of points.
    starts: Vec<u32>,
    /// Right shift from a point to its bucket.
    shift: u32,
}

/// Points per bucket, on average.
const POINTS_PER_BUCKET: usize = 4;

impl Ring {
    /// A ring of `members` (each a node and a seed unique to it), with `virtual_nodes` points per node.
    pub fn new(members: impl IntoIterator<Item = (NodeIdx, u64)>, virtual_nodes: u32) -> Self {
        let mut points: Vec<(u64, NodeIdx)> = members
            .into_iter()
            .flat_map(|(node, seed)| {
                (0..virtual_nodes as u64).map(move |v| (mix(seed ^ mix(v)), node))
            })
            .collect();
        points.sort_unstable();
        let bits = (points.len() / POINTS_PER_BUCKET)
            .next_power_of_two()
            .trailing_zeros();
        // A shift of 64 would overflow: one bucket then, whose index is always 0.
        let shift = 64 - bits;
        let bucket = |hash: u64| hash.checked_shr(shift).unwrap_or(0) as usize;
        let mut starts = Vec::with_capacity((1 << bits) + 1);
        for (i, (hash, _)) in points.iter().enumerate() {
            while starts.len() <= bucket(*hash) {
                starts.push(i as u32);
            }
        }
        starts.resize((1 << bits) + 1, points.len() as u32);
        let (hashes, nodes) = points.into_iter().unzip();
        Self {
            hashes,
            nodes,
            starts,
            shift,
        }
    }

    /// Whether the ring has no node.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// The index of the first point at or after `key` (the number of points if none is).
    fn start(&self, key: u64) -> usize {
        if self.hashes.is_empty() {
            return 0;
        }
        let bucket = key.checked_shr(self.shift).unwrap_or(0) as usize;
        // Every point of an earlier bucket is below `key`, every point of a later one above it.
        let (from, to) = (
            self.starts[bucket] as usize,
            self.starts[bucket + 1] as usize,
        );
        from + self.hashes[from..to].partition_point(|p| *p < key)
    }

    /// Nodes clockwise from `key`, one lap (a node appears once per virtual point).
    pub fn walk(&self, key: u64) -> impl Iterator<Item = NodeIdx> + '_ {
        let (before, after) = self.nodes.split_at(self.start(key));
        after.iter().chain(before).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owners(ring: &Ring, key: u64, n: usize) -> Vec<NodeIdx> {
        let mut found = Vec::new();
        for node in ring.walk(key) {
            if !found.contains(&node) {
                found.push(node);
                if found.len() == n {
                    break;
                }
            }
        }
        found
    }

    #[test]
    fn a_leaving_node_moves_only_its_own_keys() {
        let members: Vec<(NodeIdx, u64)> = (0..50).map(|i| (i, mix(i as u64 + 1000))).collect();
        let full = Ring::new(members.clone(), 64);
        let without = Ring::new(members.iter().copied().filter(|(i, _)| *i != 7), 64);
        let mut moved = 0;
        for key in 0..10_000u64 {
            let (a, b) = (
                owners(&full, mix(key), 1)[0],
                owners(&without, mix(key), 1)[0],
            );
            if a != b {
                assert_eq!(a, 7, "a key not owned by the leaving node moved");
                moved += 1;
            }
        }
        // Node 7 owned about a fiftieth of the keys.
        assert!((100..=400).contains(&moved), "{moved}");
    }

    #[test]
    fn a_walk_starts_at_the_first_point_at_or_after_its_key() {
        // Rings of every size around the bucket boundaries, keys on, between and around their points.
        for n in [0u32, 1, 2, 3, 5, 17, 100, 1000] {
            for virtual_nodes in [1, 16] {
                let ring = Ring::new((0..n).map(|i| (i, mix(i as u64 + 99))), virtual_nodes);
                let mut points: Vec<(u64, NodeIdx)> = (0..n)
                    .flat_map(|i| {
                        (0..virtual_nodes as u64)
                            .map(move |v| (mix(mix(i as u64 + 99) ^ mix(v)), i))
                    })
                    .collect();
                points.sort_unstable();
                let mut keys: Vec<u64> = vec![0, 1, u64::MAX - 1, u64::MAX, 1 << 63];
                for (p, _) in &points {
                    keys.extend([*p, p.wrapping_sub(1), p.wrapping_add(1)]);
                }
                keys.extend((0..200).map(|k| mix(k ^ 0xabc)));
                for key in keys {
                    let start = points.partition_point(|(p, _)| *p < key);
                    let expected: Vec<NodeIdx> = points[start..]
                        .iter()
                        .chain(&points[..start])
                        .map(|(_, node)| *node)
                        .collect();
                    assert_eq!(
                        ring.walk(key).collect::<Vec<_>>(),
                        expected,
                        "{n} nodes, key {key}"
                    );
                }
            }
        }
    }

    #[test]
    fn walks_visit_every_node() {
        let ring = Ring::new((0..10).map(|i| (i, mix(i as u64))), 8);
        let mut seen = owners(&ring, 12345, 10);
        seen.sort_unstable();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
        assert!(Ring::default().walk(1).next().is_none());
    }
}
