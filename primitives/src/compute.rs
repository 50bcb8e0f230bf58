//! Compute receipts: a client's signed statement that a node ran so many requests of an edge application for it
//! in one session, burning so many compute units, with answers it can name.
//!
//! Like delivery receipts they are cumulative (a node keeps the latest per session), and in addition each one
//! commits to the session's whole transcript: a hash chain over every request's invocation hash, response hash
//! and compute units ([`transcript_step`]). A challenged node reveals the transcript of a sampled session; a
//! keeper checks it against the signed head and replays requests on the same code, which must give the same
//! response hashes and compute units. A node therefore cannot bill units it did not burn (the client would not
//! sign them, and a replay would not reproduce them) nor answer with something else than the code computes.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

use crate::{ClientKey, ContentId, EpochIndex, Hash32, NodeId, SessionId, Signature64};

/// Domain separation for compute receipt signatures, distinct from delivery receipts'.
pub const COMPUTE_RECEIPT_SIGNING_CONTEXT: &[u8] = b"enreach/compute-receipt/v1";

/// Domain separation for the transcript's hash chain.
const TRANSCRIPT_CONTEXT: &str = "enreach compute transcript v1";

/// One request of a session, as the transcript records it.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ComputeStep {
    /// Hash of the complete invocation (method, path, headers, body, time, seed).
    pub invocation: Hash32,
    /// Hash of the complete answer (status, headers, body).
    pub response: Hash32,
    /// Compute units the request burned.
    pub units: u64,
    /// Whether any node must reach the same answer and units from the invocation alone. A request stopped by
    /// the node's wall-time limit, cut off for a response over its cap, or that waited on a timer or an
    /// origin is not: a keeper then checks only that the app truly ran `units` without finishing
    /// deterministically within them. Signed like the rest, so a node cannot change it once the client signed.
    pub replayable: bool,
}

/// The transcript head after `step`, given the head before it (`[0; 32]` for a session's first request).
pub fn transcript_step(head: &Hash32, step: &ComputeStep) -> Hash32 {
    let mut hasher = blake3::Hasher::new_derive_key(TRANSCRIPT_CONTEXT);
    hasher.update(head);
    hasher.update(&step.encode());
    *hasher.finalize().as_bytes()
}

/// The head of a whole transcript.
pub fn transcript_head<'a>(steps: impl IntoIterator<Item = &'a ComputeStep>) -> Hash32 {
    steps
        .into_iter()
        .fold([0; 32], |head, step| transcript_step(&head, step))
}

/// A signed compute receipt. Everything but the signature is what the client signs (see
/// [`ComputeReceipt::signing_payload`]).
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "subxt",
    derive(scale_encode::EncodeAsType, scale_decode::DecodeAsType)
)]
pub struct ComputeReceipt {
    /// Genesis hash of the chain the receipt is for: no replay across networks.
    pub genesis_hash: Hash32,
    /// Epoch the requests ran in: no replay across epochs.
    pub epoch: EpochIndex,
    /// The node that ran them: no replay by another node.
    pub node: NodeId,
    /// The client that called and signs.
    pub client: ClientKey,
    /// The application's code: the content id of its component.
    pub code: ContentId,
    /// Which session; counts and units are cumulative within it.
    pub session: SessionId,
    /// Requests run in this session so far.
    pub requests: u32,
    /// Compute units burned in this session so far.
    pub cumulative_units: u64,
    /// Head of the session's transcript after its last request ([`transcript_head`]).
    pub transcript: Hash32,
    /// The client's ed25519 signature over [`Self::signing_payload`].
    #[cfg_attr(feature = "serde", serde(with = "crate::receipt::serde_signature"))]
    pub signature: Signature64,
}

impl ComputeReceipt {
    /// The bytes the client signs: the context tag, then the SCALE encoding of every field but the signature.
    pub fn signing_payload(&self) -> Vec<u8> {
        let mut payload = Vec::with_capacity(COMPUTE_RECEIPT_SIGNING_CONTEXT.len() + 200);
        payload.extend_from_slice(COMPUTE_RECEIPT_SIGNING_CONTEXT);
        (
            &self.genesis_hash,
            self.epoch,
            &self.node,
            &self.client,
            &self.code,
            &self.session,
            self.requests,
            self.cumulative_units,
            &self.transcript,
        )
            .encode_to(&mut payload);
        payload
    }

    /// Whether this receipt supersedes `other`: same session of the same client, node and code, more requests.
    pub fn supersedes(&self, other: &ComputeReceipt) -> bool {
        self.session == other.session
            && self.client == other.client
            && self.node == other.node
            && self.code == other.code
            && self.requests > other.requests
    }

    /// Whether `steps` is this receipt's transcript: as many requests, the same units in total, the same head.
    pub fn matches(&self, steps: &[ComputeStep]) -> bool {
        let units = steps
            .iter()
            .try_fold(0u64, |total, step| total.checked_add(step.units));
        steps.len() == self.requests as usize
            && units == Some(self.cumulative_units)
            && transcript_head(steps) == self.transcript
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(n: u8, units: u64) -> ComputeStep {
        ComputeStep {
            invocation: [n; 32],
            response: [n.wrapping_add(100); 32],
            units,
            replayable: true,
        }
    }

    fn receipt(steps: &[ComputeStep]) -> ComputeReceipt {
        ComputeReceipt {
            genesis_hash: [1; 32],
            epoch: 3,
            node: NodeId([2; 32]),
            client: ClientKey([3; 32]),
            code: ContentId([4; 32]),
            session: SessionId([5; 16]),
            requests: steps.len() as u32,
            cumulative_units: steps.iter().map(|s| s.units).sum(),
            transcript: transcript_head(steps),
            signature: [0; 64],
        }
    }

    #[test]
    fn a_transcript_matches_only_the_receipt_it_was_signed_as() {
        let steps = [step(1, 10), step(2, 20), step(3, 30)];
        let signed = receipt(&steps);
        assert!(signed.matches(&steps));
        // Any change a node could make to what it reveals: a request dropped, reordered, a response or a
        // count altered, units moved from one request to another.
        let dropped = &steps[..2];
        let reordered = [steps[1], steps[0], steps[2]];
        let other_answer = [
            steps[0],
            ComputeStep {
                response: [0; 32],
                ..steps[1]
            },
            steps[2],
        ];
        let moved_units = [step(1, 15), step(2, 15), step(3, 30)];
        for forged in [dropped, &reordered[..], &other_answer[..], &moved_units[..]] {
            assert!(!signed.matches(forged), "{forged:?}");
        }
    }

    #[test]
    fn units_that_overflow_never_match() {
        let steps = [step(1, u64::MAX), step(2, 2)];
        let mut signed = receipt(&steps[..1]);
        signed.requests = 2;
        signed.cumulative_units = 1; // what a wrapping sum would give
        signed.transcript = transcript_head(&steps);
        assert!(!signed.matches(&steps));
    }

    #[test]
    fn signatures_cover_every_field_and_differ_from_delivery_receipts() {
        let base = receipt(&[step(1, 10)]);
        let payload = base.signing_payload();
        assert!(payload.starts_with(COMPUTE_RECEIPT_SIGNING_CONTEXT));
        let variants = [
            ComputeReceipt {
                requests: 2,
                ..base.clone()
            },
            ComputeReceipt {
                cumulative_units: 11,
                ..base.clone()
            },
            ComputeReceipt {
                transcript: [9; 32],
                ..base.clone()
            },
            ComputeReceipt {
                code: ContentId([8; 32]),
                ..base.clone()
            },
            ComputeReceipt {
                epoch: 4,
                ..base.clone()
            },
        ];
        for variant in variants {
            assert_ne!(variant.signing_payload(), payload);
        }
        let later = receipt(&[step(1, 10), step(2, 1)]);
        assert!(later.supersedes(&base) && !base.supersedes(&later));
        let other_code = ComputeReceipt {
            code: ContentId([8; 32]),
            ..later
        };
        assert!(!other_code.supersedes(&base));
    }
}
