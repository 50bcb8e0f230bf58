//! Attacks on the edge's compute sessions (`enreach_gpow::compute`) by clients: requests the edge refuses must
//! not cost it (or its other clients) anything it keeps for the rest of the epoch.

use ed25519_dalek::{Signer as _, SigningKey};
use enreach_gpow::{
    compute::{ClientSession, Refusal, Sessions, Verified, MAX_SESSIONS_PER_CLIENT},
    receipts::Expected,
};
use enreach_primitives::{ClientKey, ComputeReceipt, ContentId, NodeId, SessionId};

const TERMS: Expected = Expected {
    genesis_hash: [1; 32],
    node: NodeId([2; 32]),
    epoch: 7,
};
const APP: ContentId = ContentId([3; 32]);

fn session(n: u32) -> SessionId {
    let mut id = [0u8; 16];
    id[..4].copy_from_slice(&n.to_le_bytes());
    SessionId(id)
}

/// A receipt that decodes (so the gateway hands it on) but that the edge refuses: it claims a request that
/// never ran, signed by the client itself.
fn bogus_receipt(key: &SigningKey, session: SessionId) -> ComputeReceipt {
    let mut receipt = ComputeReceipt {
        genesis_hash: TERMS.genesis_hash,
        epoch: TERMS.epoch,
        node: TERMS.node,
        client: ClientKey(key.verifying_key().to_bytes()),
        code: APP,
        session,
        requests: 1,
        cumulative_units: 1,
        transcript: [7; 32],
        signature: [0; 64],
    };
    receipt.signature = key.sign(&receipt.signing_payload()).to_bytes();
    receipt
}

/// Attack: a client (or a dApp with a few of its 1024 authorized keys per account) sends, for fresh session ids,
/// a first request carrying a receipt the edge refuses (`400`). Nothing runs, yet `Sessions::begin` inserted the
/// session before checking the receipt, so each refused request holds one of the key's 16 session slots (and
/// one of the edge's 100 000) until the epoch ends. The key's honest later sessions are refused
/// (`429 TooManySessions`); with ~6 250 keys (7 dApp accounts) every client of every dApp on the edge is locked
/// out for the epoch at no compute cost.
#[test]
fn refused_requests_do_not_hold_session_slots() {
    let key = SigningKey::from_bytes(&[5; 32]);
    let client = ClientKey(key.verifying_key().to_bytes());
    let mut edge = Sessions::new(TERMS);
    for n in 0..MAX_SESSIONS_PER_CLIENT as u32 {
        let refused = edge.begin(
            client,
            session(n),
            APP,
            Some(Verified::check(bogus_receipt(&key, session(n))).expect("signed")),
        );
        assert_eq!(
            refused,
            Err(Refusal::ReceiptMismatch),
            "refused (400), nothing ran"
        );
    }
    // The same key now opens an honest session and makes its first request: nothing of it is running or
    // unpaid, so the edge has no reason to refuse it.
    let honest = ClientSession::new(key, TERMS, APP, session(1_000), None);
    let admitted = edge.begin(client, honest.id(), APP, None);
    assert!(
        admitted.is_ok(),
        "requests the edge refused still hold the key's session slots: {admitted:?}"
    );
}
