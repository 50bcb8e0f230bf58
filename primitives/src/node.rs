//! Edge node identity and the PeerHVM capability descriptor: one standard shape for heterogeneous machines, so
//! routing and the chain can compare a Raspberry Pi behind a NAT with a GPU server in a data centre.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// An edge node's ed25519 public key. The same key is its libp2p identity, so a peer reached on the network
/// and a node registered on chain are provably the same machine.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "subxt",
    derive(scale_encode::EncodeAsType, scale_decode::DecodeAsType)
)]
pub struct NodeId(pub [u8; 32]);

impl NodeId {
    /// The id of the `i`-th node a benchmark genesis generates (`pallet_edge_nodes::GeneratedNodes`): derived,
    /// so the tools that drive those nodes know them without reading 100 000 records back.
    pub fn generated(i: u32) -> Self {
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"enreach/generated-node/v1");
        hasher.update(&i.to_le_bytes());
        NodeId(*hasher.finalize().as_bytes())
    }
}

impl core::fmt::Debug for NodeId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "NodeId(")?;
        for b in &self.0[..4] {
            write!(f, "{b:02x}")?;
        }
        write!(f, "…)")
    }
}

/// Domain separation for proofs of possession: the node key signs nothing else with this prefix.
pub const POP_CONTEXT: &[u8] = b"enreach/node-proof-of-possession/v1";

/// What a node key signs to prove it belongs to `operator` on the chain with `genesis_hash`: registration
/// checks it, so a node key cannot be claimed by an operator who does not hold it, nor replayed on another
/// chain.
pub fn pop_payload<AccountId: Encode, Hash: Encode>(
    operator: &AccountId,
    genesis_hash: &Hash,
) -> alloc::vec::Vec<u8> {
    let mut payload = POP_CONTEXT.to_vec();
    (operator, genesis_hash).encode_to(&mut payload);
    payload
}

/// Continents, the coarse level of a node's [`Region`].
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "subxt",
    derive(scale_encode::EncodeAsType, scale_decode::DecodeAsType)
)]
pub enum Continent {
    /// Africa.
    Africa,
    /// Antarctica.
    Antarctica,
    /// Asia.
    Asia,
    /// Europe.
    Europe,
    /// North and Central America.
    NorthAmerica,
    /// Australia and the Pacific.
    Oceania,
    /// South America.
    SouthAmerica,
}

/// Where a node is: routing prefers nearby nodes, keeper assignment prefers keepers in the same region.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "subxt",
    derive(scale_encode::EncodeAsType, scale_decode::DecodeAsType)
)]
pub struct Region {
    /// Continent.
    pub continent: Continent,
    /// ISO 3166-1 alpha-2 country code, upper case ASCII (`*b"DE"`).
    pub country: [u8; 2],
}

impl Region {
    /// Whether the country code is two upper-case ASCII letters.
    pub fn is_valid(&self) -> bool {
        self.country.iter().all(u8::is_ascii_uppercase)
    }
}

/// How reachable a node is from the internet; decides whether peers dial it directly, hole-punch, or relay.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "subxt",
    derive(scale_encode::EncodeAsType, scale_decode::DecodeAsType)
)]
pub enum NatType {
    /// A public address: dialable directly.
    Public,
    /// Behind a NAT that hole punching traverses (full, restricted or port-restricted cone).
    Cone,
    /// Behind a symmetric NAT: reachable only through a relay.
    Symmetric,
    /// Not yet determined by AutoNAT.
    Unknown,
}

/// A GPU offered for compute workloads (AI inference).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "subxt",
    derive(scale_encode::EncodeAsType, scale_decode::DecodeAsType)
)]
pub struct Gpu {
    /// PCI vendor id (0x10de NVIDIA, 0x1002 AMD, ...).
    pub vendor_id: u16,
    /// PCI device id: with the vendor, names the model without free-form strings.
    pub device_id: u16,
    /// Number of identical GPUs.
    pub count: u8,
    /// Memory per GPU, MiB.
    pub memory_mib: u32,
}

/// `edge-worker` release, so the network can require a minimum version after a protocol change.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "subxt",
    derive(scale_encode::EncodeAsType, scale_decode::DecodeAsType)
)]
pub struct SoftwareVersion {
    /// Incompatible protocol changes.
    pub major: u16,
    /// Compatible additions.
    pub minor: u16,
    /// Fixes.
    pub patch: u16,
}

/// The PeerHVM descriptor: what a node offers, in one shape for every kind of machine. Claimed by the operator
/// at registration; keepers measure the claims and the work score counts only what they verify.
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "subxt",
    derive(scale_encode::EncodeAsType, scale_decode::DecodeAsType)
)]
pub struct Capabilities {
    /// Upload bandwidth offered, Mbit/s: what serving content uses.
    pub bandwidth_up_mbps: u32,
    /// Download bandwidth, Mbit/s: what fetching content to cache uses.
    pub bandwidth_down_mbps: u32,
    /// Storage offered for cached and pinned content, GiB.
    pub storage_gib: u32,
    /// CPU cores offered to workloads.
    pub cpu_cores: u16,
    /// Memory offered to workloads, MiB.
    pub memory_mib: u32,
    /// GPU, if any.
    pub gpu: Option<Gpu>,
    /// The PeerHVM runtime it runs edge applications on (its wasmtime release), `None` if it runs none: routers
    /// send app requests only to nodes naming one, and a dApp can see which engine runs its code.
    pub hvm: Option<SoftwareVersion>,
    /// Where the node is.
    pub region: Region,
    /// How it is reached.
    pub nat: NatType,
    /// Which `edge-worker` it runs.
    pub version: SoftwareVersion,
}

/// Why a [`Capabilities`] descriptor is not acceptable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapabilitiesError {
    /// It offers no bandwidth, storage or compute at all.
    NothingOffered,
    /// The country code is not two upper-case ASCII letters.
    InvalidCountry,
    /// A GPU entry with zero GPUs or no memory.
    InvalidGpu,
    /// It runs edge applications but offers no CPU core or memory to run them with.
    HvmWithoutCompute,
}

impl Capabilities {
    /// Checks the descriptor is internally consistent. Says nothing about whether the claims are true: that is
    /// what keeper measurements are for.
    pub fn validate(&self) -> Result<(), CapabilitiesError> {
        let offers_something =
            self.bandwidth_up_mbps > 0 || self.storage_gib > 0 || self.cpu_cores > 0;
        if !offers_something {
            return Err(CapabilitiesError::NothingOffered);
        }
        if !self.region.is_valid() {
            return Err(CapabilitiesError::InvalidCountry);
        }
        if let Some(gpu) = self.gpu {
            if gpu.count == 0 || gpu.memory_mib == 0 {
                return Err(CapabilitiesError::InvalidGpu);
            }
        }
        if self.hvm.is_some() && (self.cpu_cores == 0 || self.memory_mib == 0) {
            return Err(CapabilitiesError::HvmWithoutCompute);
        }
        Ok(())
    }
}
