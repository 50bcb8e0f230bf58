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

/// The ring of one set of nodes.
#[derive(Clone, Debug, Default)]
pub struct Ring {
    points: Vec<(u64, NodeIdx)>,
}

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
        Self { points }
    }

    /// Whether the ring has no node.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Nodes clockwise from `key`, one lap (a node appears once per virtual point).
    pub fn walk(&self, key: u64) -> impl Iterator<Item = NodeIdx> + '_ {
        let start = self.points.partition_point(|(p, _)| *p < key);
        let (after, before) = self.points.split_at(start);
        before.iter().chain(after).map(|(_, node)| *node)
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
    fn walks_visit_every_node() {
        let ring = Ring::new((0..10).map(|i| (i, mix(i as u64))), 8);
        let mut seen = owners(&ring, 12345, 10);
        seen.sort_unstable();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
        assert!(Ring::default().walk(1).next().is_none());
    }
}
