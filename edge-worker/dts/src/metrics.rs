//! Prometheus metrics of the worker: bytes in and out per peer, chunk groups verified and rejected, active
//! transfers. Served as text at the gateway's `/metrics`.

use std::sync::{atomic::AtomicI64, Arc, Mutex};

use libp2p::PeerId;
use prometheus_client::{
    encoding::{text::encode, EncodeLabelSet},
    metrics::{counter::Counter, family::Family, gauge::Gauge},
    registry::Registry,
};

/// Labels of per-peer metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PeerLabel {
    /// The remote peer id.
    pub peer: String,
}

/// The worker's metrics.
pub struct Metrics {
    registry: Mutex<Registry>,
    bytes_in: Family<PeerLabel, Counter>,
    bytes_out: Family<PeerLabel, Counter>,
    /// Groups received that verified against the content id.
    pub groups_verified: Counter,
    /// Groups received that failed verification (their sender is banned).
    pub groups_rejected: Counter,
    active: Gauge<i64, AtomicI64>,
}

impl Metrics {
    /// Registers every metric under the `enreach_dts` prefix.
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix("enreach_dts");
        let bytes_in = Family::<PeerLabel, Counter>::default();
        let bytes_out = Family::<PeerLabel, Counter>::default();
        let groups_verified = Counter::default();
        let groups_rejected = Counter::default();
        let active = Gauge::<i64, AtomicI64>::default();
        registry.register("bytes_in", "Bytes received per peer", bytes_in.clone());
        registry.register("bytes_out", "Bytes sent per peer", bytes_out.clone());
        registry.register(
            "groups_verified",
            "Chunk groups received and verified",
            groups_verified.clone(),
        );
        registry.register(
            "groups_rejected",
            "Chunk groups received that failed verification",
            groups_rejected.clone(),
        );
        registry.register("active_transfers", "Transfers in progress", active.clone());
        Arc::new(Self {
            registry: Mutex::new(registry),
            bytes_in,
            bytes_out,
            groups_verified,
            groups_rejected,
            active,
        })
    }

    /// The counter of bytes received from `peer`.
    pub fn bytes_in(&self, peer: &PeerId) -> Counter {
        self.bytes_in
            .get_or_create(&PeerLabel {
                peer: peer.to_string(),
            })
            .clone()
    }

    /// The counter of bytes sent to `peer`.
    pub fn bytes_out(&self, peer: &PeerId) -> Counter {
        self.bytes_out
            .get_or_create(&PeerLabel {
                peer: peer.to_string(),
            })
            .clone()
    }

    /// Counts a transfer as active until the guard drops.
    pub fn transfer_started(&self) -> TransferGuard {
        self.active.inc();
        TransferGuard(self.active.clone())
    }

    /// Transfers in progress now: the load an edge reports to routers.
    pub fn active_transfers(&self) -> u32 {
        self.active.get().clamp(0, u32::MAX as i64) as u32
    }

    /// The metrics in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let registry = self.registry.lock().unwrap_or_else(|e| e.into_inner());
        encode(&mut out, &registry).expect("writing to a String cannot fail");
        out
    }
}

/// Decrements the active-transfer gauge when dropped.
pub struct TransferGuard(Gauge<i64, AtomicI64>);

impl Drop for TransferGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_render_with_peer_labels() {
        let metrics = Metrics::new();
        let peer = PeerId::random();
        metrics.bytes_in(&peer).inc_by(42);
        metrics.groups_verified.inc();
        let guard = metrics.transfer_started();
        let text = metrics.render();
        assert!(
            text.contains(&format!("enreach_dts_bytes_in_total{{peer=\"{peer}\"}} 42")),
            "{text}"
        );
        assert!(text.contains("enreach_dts_active_transfers 1"), "{text}");
        assert_eq!(metrics.active_transfers(), 1);
        drop(guard);
        assert!(metrics.render().contains("enreach_dts_active_transfers 0"));
    }
}
