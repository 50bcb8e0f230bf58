//! Delivery receipts: a client's signed statement that a node has served it so many bytes of some content in
//! one session. Receipts are cumulative: each one restates the session's running total, so a node keeps only
//! the latest (the highest) per session and a client cannot be made to pay twice for the same bytes.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

use crate::{EpochIndex, Hash32, NodeId, Signature64};

/// Domain separation for receipt signatures: a receipt signature can never be mistaken for any other message
/// the client key signs.
pub const RECEIPT_SIGNING_CONTEXT: &[u8] = b"enreach/delivery-receipt/v1";

/// A client's ed25519 public key. dApps authorize the keys of their clients; only their receipts count.
#[derive(
    Clone,
    Copy,
    Debug,
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
pub struct ClientKey(pub [u8; 32]);

/// Content identifier: the BLAKE3 (bao) root of the content's bytes, so any chunk can be verified against it.
#[derive(
    Clone,
    Copy,
    Debug,
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
pub struct ContentId(pub Hash32);

/// A delivery session between one client and one node, chosen at random by the client.
#[derive(
    Clone,
    Copy,
    Debug,
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
pub struct SessionId(pub [u8; 16]);

/// A signed receipt. Everything but the signature is what the client signs (see
/// [`DeliveryReceipt::signing_payload`]).
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "subxt",
    derive(scale_encode::EncodeAsType, scale_decode::DecodeAsType)
)]
pub struct DeliveryReceipt {
    /// Genesis hash of the chain the receipt is for: no replay across networks.
    pub genesis_hash: Hash32,
    /// Epoch the bytes were served in: no replay across epochs.
    pub epoch: EpochIndex,
    /// The node that served: no replay by another node.
    pub node: NodeId,
    /// The client that received and signs.
    pub client: ClientKey,
    /// What was served.
    pub content: ContentId,
    /// Which session; totals are cumulative within it.
    pub session: SessionId,
    /// Bytes served in this session so far, including earlier receipts' bytes.
    pub cumulative_bytes: u64,
    /// The client's ed25519 signature over [`Self::signing_payload`].
    #[cfg_attr(feature = "serde", serde(with = "serde_signature"))]
    pub signature: Signature64,
}

impl DeliveryReceipt {
    /// The bytes the client signs: the context tag, then the SCALE encoding of every field but the signature.
    pub fn signing_payload(&self) -> Vec<u8> {
        let mut payload = Vec::with_capacity(RECEIPT_SIGNING_CONTEXT.len() + 160);
        payload.extend_from_slice(RECEIPT_SIGNING_CONTEXT);
        (
            &self.genesis_hash,
            self.epoch,
            &self.node,
            &self.client,
            &self.content,
            &self.session,
            self.cumulative_bytes,
        )
            .encode_to(&mut payload);
        payload
    }

    /// Whether this receipt supersedes `other`: same session of the same client and node, more bytes.
    pub fn supersedes(&self, other: &DeliveryReceipt) -> bool {
        self.session == other.session
            && self.client == other.client
            && self.node == other.node
            && self.cumulative_bytes > other.cumulative_bytes
    }
}

#[cfg(feature = "serde")]
pub(crate) mod serde_signature {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(sig: &[u8; 64], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(sig)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 64], D::Error> {
        let bytes: alloc::vec::Vec<u8> = Deserialize::deserialize(d)?;
        bytes
            .try_into()
            .map_err(|_| D::Error::custom("a signature is 64 bytes"))
    }
}
