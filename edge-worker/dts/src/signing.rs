//! The downloader's side of delivery receipts: with a client key a dApp authorized, it signs a cumulative
//! receipt for what it verified from each paid provider at least every [`RECEIPT_INTERVAL`] bytes and once more
//! when the download ends. A receipt is signed only for bytes that verified against the content id, so a
//! client never pays for corrupt data.

use std::io;

use ed25519_dalek::{Signer, SigningKey};
use enreach_primitives::{ClientKey, ContentId, DeliveryReceipt, NodeId, SessionId};
use libp2p::PeerId;
use rand::RngCore;

use crate::{
    keys::node_id_of,
    protocol::{self, ReceiptAnswer, ReceiptTerms, Refusal, Request},
    store::ContentHash,
};

/// Most bytes a client receives from a paid provider between two receipts.
pub const RECEIPT_INTERVAL: u64 = 4 << 20;

/// Why receipts to a provider stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    /// The provider refused a receipt.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The provider could not be reached or broke the protocol.
    #[error("receipt exchange failed: {0}")]
    Io(#[from] io::Error),
    /// The provider's peer id is not an ed25519 key, so no receipt can name it.
    #[error("the provider's peer id names no ed25519 node key")]
    NoNodeKey,
    /// The provider named new terms at every try of one exchange: its epoch cannot be moving that fast.
    #[error("the provider's receipt terms changed at every try ({0} tries)")]
    TermsKeepChanging(usize),
}

/// Tries of one receipt exchange: one epoch change during it is normal, more would be a broken provider.
const SETTLE_TRIES: usize = 3;

/// A client key that signs receipts.
pub struct ClientSigner {
    key: SigningKey,
}

impl ClientSigner {
    /// Signs with `key`.
    pub fn new(key: SigningKey) -> Self {
        Self { key }
    }

    /// The public key receipts name.
    pub fn client(&self) -> ClientKey {
        ClientKey(self.key.verifying_key().to_bytes())
    }

    fn sign(&self, mut receipt: DeliveryReceipt) -> DeliveryReceipt {
        receipt.signature = self.key.sign(&receipt.signing_payload()).to_bytes();
        receipt
    }
}

/// The receipts of one download from one provider: its current session and what receipts already cover.
pub struct ProviderReceipts {
    peer: PeerId,
    node: NodeId,
    content: ContentId,
    terms: ReceiptTerms,
    session: SessionId,
    /// Bytes received from the provider before this session began (covered by earlier sessions).
    base: u64,
    /// Bytes received from the provider that accepted receipts cover.
    acknowledged: u64,
}

fn new_session() -> SessionId {
    let mut id = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut id);
    SessionId(id)
}

impl ProviderReceipts {
    /// Receipts for `content` from `peer`, which named `terms`.
    pub fn new(
        peer: PeerId,
        content: ContentHash,
        terms: ReceiptTerms,
    ) -> Result<Self, ReceiptError> {
        Ok(Self {
            peer,
            node: node_id_of(&peer).ok_or(ReceiptError::NoNodeKey)?,
            content: ContentId(*content.as_bytes()),
            terms,
            session: new_session(),
            base: 0,
            acknowledged: 0,
        })
    }

    /// The provider.
    pub fn peer(&self) -> PeerId {
        self.peer
    }

    /// Bytes that accepted receipts cover.
    pub fn acknowledged(&self) -> u64 {
        self.acknowledged
    }

    /// Signs and delivers a receipt covering `received` bytes from the provider in all. When the provider's
    /// epoch moved on, the bytes not yet acknowledged are signed again in a new session of the new epoch.
    pub async fn settle(
        &mut self,
        control: &libp2p_stream::Control,
        signer: &ClientSigner,
        received: u64,
    ) -> Result<(), ReceiptError> {
        if received <= self.acknowledged {
            return Ok(());
        }
        for _ in 0..SETTLE_TRIES {
            let receipt = signer.sign(DeliveryReceipt {
                genesis_hash: self.terms.genesis_hash,
                epoch: self.terms.epoch,
                node: self.node,
                client: signer.client(),
                content: self.content,
                session: self.session,
                cumulative_bytes: received - self.base,
                signature: [0; 64],
            });
            match self.deliver(control, receipt).await? {
                ReceiptAnswer::Accepted => {
                    self.acknowledged = received;
                    return Ok(());
                }
                ReceiptAnswer::Stale(terms) => {
                    self.terms = terms;
                    self.session = new_session();
                    self.base = self.acknowledged;
                }
                ReceiptAnswer::Refused(why) => return Err(why.into()),
            }
        }
        Err(ReceiptError::TermsKeepChanging(SETTLE_TRIES))
    }

    async fn deliver(
        &self,
        control: &libp2p_stream::Control,
        receipt: DeliveryReceipt,
    ) -> Result<ReceiptAnswer, ReceiptError> {
        let request = Request::Receipt(Box::new(receipt));
        Ok(protocol::ask(control, self.peer, request, |stream| {
            Box::pin(protocol::read_receipt_answer(stream))
        })
        .await?)
    }
}
