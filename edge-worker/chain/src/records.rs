//! What the chain client reads: the pallets' records decoded by shape (`DecodeAsType`) and the node's `gpow_*`
//! JSON-RPC answers.

use enreach_dts::{keys::node_id_of, network::peer_of};
use enreach_primitives::{AppLimits, Capabilities, ContentId, EpochIndex, NodeId};
use libp2p::{multiaddr::Protocol, Multiaddr, PeerId};
use scale_decode::DecodeAsType;
use serde::Deserialize;

/// A published content as the settlement pallet records it.
#[derive(Clone, Debug, PartialEq, Eq, DecodeAsType)]
pub struct ContentRecord {
    /// The dApp paying for it.
    pub owner: [u8; 32],
    /// Its length in bytes.
    pub size: u64,
    /// Nodes paid to store it.
    pub replicas: u32,
    /// Highest storage price per GiB and epoch the dApp accepts.
    pub max_price: u128,
    /// Where gateways pull it from on a miss.
    pub origin: Option<Vec<u8>>,
}

impl ContentRecord {
    /// The origin URL, if the dApp registered a valid one.
    pub fn origin_url(&self) -> Option<&str> {
        self.origin
            .as_deref()
            .filter(|url| enreach_primitives::is_valid_origin(url))
            .and_then(|url| std::str::from_utf8(url).ok())
    }
}

/// An edge application as the apps pallet records it (the fields a node acts on).
#[derive(Clone, Debug, PartialEq, Eq, DecodeAsType)]
pub struct AppRecord {
    /// The dApp that deployed it.
    pub owner: [u8; 32],
    /// Its component's content id.
    pub code: ContentId,
    /// One more at every upgrade.
    pub version: u32,
    /// What one request may use.
    pub limits: AppLimits,
    /// The `scheme://host[:port]` origins its requests may call.
    pub origins: Vec<Vec<u8>>,
}

impl AppRecord {
    /// The declared origins that are valid, as text.
    pub fn origin_urls(&self) -> Vec<String> {
        self.origins
            .iter()
            .filter(|url| enreach_primitives::is_valid_app_origin(url))
            .filter_map(|url| String::from_utf8(url.clone()).ok())
            .collect()
    }
}

/// A client key's authorization as the settlement pallet records it: a revoked key stays on record, with the
/// last epoch it was paid for, until its receipts can no longer be challenged.
#[derive(Clone, Debug, PartialEq, Eq, DecodeAsType)]
pub struct ClientAuth {
    /// The dApp paying for its receipts.
    pub dapp: [u8; 32],
    /// First epoch paid for.
    pub from: EpochIndex,
    /// Last epoch paid for, once revoked.
    pub until: Option<EpochIndex>,
}

impl ClientAuth {
    /// Whether the dApp pays for the key's receipts of `epoch` (the settlement pallet's rule).
    pub fn covers(&self, epoch: EpochIndex) -> bool {
        self.from <= epoch && self.until.is_none_or(|until| epoch <= until)
    }
}

/// A registered edge node as the registry records it (the fields edge-worker acts on).
#[derive(Clone, Debug, PartialEq, Eq, DecodeAsType)]
pub struct NodeRecord {
    /// The account that registered it and is paid for its work.
    pub operator: [u8; 32],
    /// What it offers.
    pub capabilities: Capabilities,
    /// Multiaddresses (UTF-8) it is reached at.
    pub endpoints: Vec<Vec<u8>>,
    /// Whether it may work.
    pub status: NodeStatus,
}

/// Whether a registered node may work, as the registry records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, DecodeAsType)]
pub enum NodeStatus {
    /// Serving, reporting work and being challenged: the only status keepers watch and routers route to.
    Active,
    /// Out of service by governance decision.
    Suspended,
    /// Punished for an offence.
    Jailed,
    /// Deregistered by its operator.
    Leaving {
        /// Block at which its deposit unlocks.
        unlock_at: u32,
    },
}

impl NodeRecord {
    /// Whether the node may work: keepers watch it and routers send clients to it.
    pub fn is_active(&self) -> bool {
        self.status == NodeStatus::Active
    }

    /// The peer id of `node` and the registered addresses that reach it (those ending in `/p2p/<its peer
    /// id>`); `None` if no endpoint names the node's own peer id.
    pub fn reach(&self, node: NodeId) -> Option<(PeerId, Vec<Multiaddr>)> {
        let addresses: Vec<Multiaddr> = self
            .endpoints
            .iter()
            .filter_map(|e| std::str::from_utf8(e).ok()?.parse().ok())
            .filter(|a| peer_of(a).is_some_and(|p| node_id_of(&p) == Some(node)))
            .collect();
        Some((peer_of(addresses.first()?)?, addresses))
    }

    /// The node's HTTP gateway, from an endpoint such as `/ip4/203.0.113.7/tcp/8080/http`
    /// (`http://203.0.113.7:8080`).
    pub fn gateway_url(&self) -> Option<String> {
        self.endpoints
            .iter()
            .find_map(|e| gateway_url(&std::str::from_utf8(e).ok()?.parse().ok()?))
    }
}

/// The URL of the HTTP gateway at `address` (`/ip4|ip6|dns/<host>/tcp/<port>/http|https`), if it names one.
pub fn gateway_url(address: &Multiaddr) -> Option<String> {
    let mut parts = address.iter();
    let host = match parts.next()? {
        Protocol::Ip4(ip) => ip.to_string(),
        Protocol::Ip6(ip) => format!("[{ip}]"),
        Protocol::Dns(host) | Protocol::Dns4(host) | Protocol::Dns6(host) => host.to_string(),
        _ => return None,
    };
    let Protocol::Tcp(port) = parts.next()? else {
        return None;
    };
    let scheme = match parts.next()? {
        Protocol::Http => "http",
        Protocol::Https => "https",
        _ => return None,
    };
    parts
        .next()
        .is_none()
        .then(|| format!("{scheme}://{host}:{port}"))
}

/// The endpoint that registers an HTTP gateway bound to `address`; `None` for an unspecified address, which
/// names no host clients could reach.
pub fn gateway_endpoint(address: std::net::SocketAddr) -> Option<Multiaddr> {
    if address.ip().is_unspecified() {
        return None;
    }
    let ip = match address.ip() {
        std::net::IpAddr::V4(ip) => Protocol::Ip4(ip),
        std::net::IpAddr::V6(ip) => Protocol::Ip6(ip),
    };
    Some(
        Multiaddr::empty()
            .with(ip)
            .with(Protocol::Tcp(address.port()))
            .with(Protocol::Http),
    )
}

/// Content a node declared it stores, and is challenged on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, DecodeAsType)]
pub struct PinRecord {
    /// BLAKE3 hash of the blob.
    pub content: [u8; 32],
    /// Its length in bytes.
    pub len: u64,
    /// The first epoch the node is challenged on it (the one after it was pinned).
    pub since: EpochIndex,
}

/// The epoch in progress, as `gpow_currentEpoch` reports it (at the best block) or `Gpow::CurrentEpoch` stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, DecodeAsType)]
pub struct Epoch {
    /// Its index.
    pub index: EpochIndex,
    /// The block it started at.
    pub start: u32,
}

/// A work-report challenge the node must answer, as `gpow_openChallenge` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Challenge {
    /// Epoch of the challenged report.
    pub epoch: EpochIndex,
    /// Byte offsets of the reported total; the answer holds the receipt covering each, in order.
    pub offsets: Vec<u64>,
    /// Unit offsets of the reported compute total; the compute answer holds the compute receipt covering
    /// each, in order.
    pub compute_offsets: Vec<u64>,
    /// Last block at which the answer is accepted.
    pub deadline: u32,
}

/// The chunks of one pinned content the node must prove it stores, as `gpow_storageChallenges` reports them.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct StorageChallenge {
    /// The epoch the answer names.
    pub epoch: EpochIndex,
    /// BLAKE3 hash of the pinned blob (hex).
    pub content: String,
    /// Its length in bytes.
    pub len: u64,
    /// Indices of the 1 KiB chunks to prove, in answer order.
    pub chunks: Vec<u64>,
}

/// A node's work report of an epoch as GPoW records it: its compute part and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, DecodeAsType)]
pub struct ReportState {
    pub report: ComputeClaim,
    pub status: ReportStatus,
    /// Whether the node's keepers refuted its compute.
    pub compute_refuted: bool,
}

/// The compute part of a work report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, DecodeAsType)]
pub struct ComputeClaim {
    pub compute_root: [u8; 32],
    pub compute_receipt_count: u32,
    pub total_units: u64,
}

impl ComputeClaim {
    /// Whether the report claims compute (as `WorkReport::claims_compute`).
    pub fn claims_compute(&self) -> bool {
        self.compute_receipt_count > 0 && self.total_units > 0
    }
}

/// Where a work report stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, DecodeAsType)]
pub enum ReportStatus {
    Challenged { seed_block: u32, deadline: u32 },
    Verified,
    Voided,
}

/// The GPoW parameters that time an epoch's duties, in blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, DecodeAsType)]
pub struct GpowTiming {
    pub epoch_length: u32,
    pub submission_window: u32,
    pub challenge_delay: u32,
    pub answer_window: u32,
}

impl GpowTiming {
    /// Blocks into epoch e+1 during which keepers' observations of e are taken (the runtime's
    /// `Gpow::observation_window`).
    pub fn observation_window(&self) -> u32 {
        (self.submission_window + self.challenge_delay + 2 * self.answer_window)
            .min(self.epoch_length)
    }

    /// The latest epoch whose work scores are final at block `now` of `current`: the previous one once its
    /// observation window closed, the one before until then (the runtime's `WorkOracle::last_scored_epoch`).
    pub fn last_scored_epoch(&self, current: &Epoch, now: u64) -> Option<EpochIndex> {
        let closed = now >= u64::from(current.start) + u64::from(self.observation_window());
        current.index.checked_sub(if closed { 1 } else { 2 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scores of the previous epoch arrive during the observation window: read before it closes, they are
    /// empty, and a router that cached them would route to no one (or anyone) for the epoch.
    #[test]
    fn scores_are_final_for_the_previous_epoch_only_once_its_observations_closed() {
        let timing = GpowTiming {
            epoch_length: 100,
            submission_window: 10,
            challenge_delay: 2,
            answer_window: 5,
        };
        let current = Epoch {
            index: 7,
            start: 700,
        };
        assert_eq!(timing.observation_window(), 22);
        assert_eq!(timing.last_scored_epoch(&current, 700), Some(5));
        assert_eq!(timing.last_scored_epoch(&current, 721), Some(5));
        assert_eq!(timing.last_scored_epoch(&current, 722), Some(6));
        let first = Epoch { index: 1, start: 0 };
        assert_eq!(timing.last_scored_epoch(&first, 5), None);
    }

    #[test]
    fn gateway_endpoints_name_their_url() {
        let endpoint = gateway_endpoint("127.0.0.1:8081".parse().unwrap()).unwrap();
        assert_eq!(endpoint.to_string(), "/ip4/127.0.0.1/tcp/8081/http");
        assert_eq!(
            gateway_url(&endpoint).as_deref(),
            Some("http://127.0.0.1:8081")
        );
        assert_eq!(gateway_endpoint("0.0.0.0:8081".parse().unwrap()), None);
        for not_a_gateway in [
            "/ip4/1.2.3.4/tcp/4001",
            "/ip4/1.2.3.4/tcp/80/http/p2p-circuit",
        ] {
            assert_eq!(gateway_url(&not_a_gateway.parse().unwrap()), None);
        }
        assert_eq!(
            gateway_url(&"/dns/edge.example/tcp/443/https".parse().unwrap()).as_deref(),
            Some("https://edge.example:443")
        );
    }
}
