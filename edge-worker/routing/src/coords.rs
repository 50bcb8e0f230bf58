//! Network coordinates (Vivaldi, Dabek et al., SIGCOMM 2004): every node keeps a point in a 2-D plane plus a
//! height, such that the distance between two coordinates predicts their round-trip time. The height models
//! the access link every path from a node crosses. Coordinates are updated from round trips the workers measure
//! anyway (keeper probes, PeerDTS requests), so the router predicts the latency between any client and any node
//! without measuring every pair.

use serde::{Deserialize, Serialize};

/// A Vivaldi coordinate, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Coord {
    /// Position in the plane.
    pub x: f32,
    /// Position in the plane.
    pub y: f32,
    /// Access-link latency, never negative.
    pub height: f32,
}

/// Heights never fall below this, so two nodes are never predicted to be zero apart.
const MIN_HEIGHT: f32 = 0.1;

impl Coord {
    /// A coordinate at `(x, y)` with access latency `height`.
    pub fn new(x: f32, y: f32, height: f32) -> Self {
        Self {
            x,
            y,
            height: height.max(MIN_HEIGHT),
        }
    }

    /// A synthetic coordinate within 20 ms of synthetic region `region`'s centre (centres 100 ms apart), drawn
    /// from `seed`: what a router would have learnt from probes, for benchmarks whose nodes are never probed.
    pub fn near_region(region: u16, seed: &[u8; 32]) -> Self {
        let jitter = |b: u8| (b as f32 / 255.0 - 0.5) * 20.0;
        Self::new(
            region as f32 * 100.0 + jitter(seed[0]),
            jitter(seed[1]),
            1.0,
        )
    }

    /// Predicted round-trip time to `other`, ms.
    pub fn rtt(&self, other: &Coord) -> f32 {
        ((self.x - other.x).powi(2) + (self.y - other.y).powi(2)).sqrt()
            + self.height
            + other.height
    }
}

/// A node's own coordinate and how much it trusts it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Vivaldi {
    /// The coordinate.
    pub coord: Coord,
    /// Relative error estimate, 0 (certain) to 1 (unknown).
    pub error: f32,
}

/// How fast the error estimate moves.
const CE: f32 = 0.25;
/// How fast the coordinate moves.
const CC: f32 = 0.25;

impl Default for Vivaldi {
    fn default() -> Self {
        Self {
            coord: Coord::new(0.0, 0.0, MIN_HEIGHT),
            error: 1.0,
        }
    }
}

impl Vivaldi {
    /// Moves toward agreeing with a measured round trip `rtt_ms` to a peer at `remote` (error `remote_error`).
    /// `jitter` breaks the symmetry of two nodes at the same point (any value in `[-1, 1]`).
    pub fn observe(&mut self, remote: &Coord, remote_error: f32, rtt_ms: f32, jitter: f32) {
        if !(rtt_ms.is_finite() && rtt_ms > 0.0) {
            return;
        }
        let predicted = self.coord.rtt(remote);
        let weight = self.error / (self.error + remote_error).max(f32::EPSILON);
        let sample_error = (predicted - rtt_ms).abs() / rtt_ms;
        self.error =
            (sample_error * CE * weight + self.error * (1.0 - CE * weight)).clamp(0.0, 1.0);
        let step = CC * weight * (rtt_ms - predicted);
        let (mut dx, mut dy) = (self.coord.x - remote.x, self.coord.y - remote.y);
        let mut plane = (dx * dx + dy * dy).sqrt();
        if plane < f32::EPSILON {
            (dx, dy, plane) = (jitter, 1.0 - jitter.abs(), 1.0);
        }
        // The unit vector away from the remote, in the plane and along the heights.
        let norm = plane + self.coord.height + remote.height;
        self.coord.x += step * dx / norm;
        self.coord.y += step * dy / norm;
        self.coord.height =
            (self.coord.height + step * (self.coord.height + remote.height) / norm).max(MIN_HEIGHT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_learn_a_metric_from_round_trips() {
        // Four nodes at the corners of a 30 ms square, each behind a 2 ms access link.
        let truth = [(0.0, 0.0), (30.0, 0.0), (0.0, 30.0), (30.0, 30.0)]
            .map(|(x, y)| Coord::new(x, y, 2.0));
        let mut nodes = [Vivaldi::default(); 4];
        for round in 0..2000 {
            let (i, j) = (round % 4, (round / 4 + round) % 4);
            if i == j {
                continue;
            }
            let remote = nodes[j];
            let jitter = ((round * 7919) % 200) as f32 / 100.0 - 1.0;
            nodes[i].observe(&remote.coord, remote.error, truth[i].rtt(&truth[j]), jitter);
        }
        for i in 0..4 {
            for j in 0..4 {
                if i != j {
                    let (predicted, actual) =
                        (nodes[i].coord.rtt(&nodes[j].coord), truth[i].rtt(&truth[j]));
                    assert!(
                        (predicted - actual).abs() / actual < 0.15,
                        "{i}-{j}: {predicted} vs {actual}"
                    );
                }
            }
        }
    }

    #[test]
    fn nonsense_measurements_are_ignored() {
        let mut node = Vivaldi::default();
        let before = node;
        node.observe(&Coord::new(5.0, 5.0, 1.0), 0.5, f32::NAN, 0.0);
        node.observe(&Coord::new(5.0, 5.0, 1.0), 0.5, -3.0, 0.0);
        assert_eq!(node, before);
    }
}
