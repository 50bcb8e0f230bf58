//! The edge's side of delivery receipts: it names its terms (chain and epoch) to downloaders, records the
//! receipts they sign in the [`Ledger`] before acknowledging them, and keeps the [`Accounts`] of bytes sent
//! against bytes receipted: requests too large or from downloaders that owe too many receipts are refused,
//! and so are receipts for more bytes than were sent. Only receipts under client keys a paying dApp
//! authorized are recorded: anything else could never be paid for.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, RwLock},
    time::{Duration, Instant},
};

use enreach_primitives::{ClientKey, DeliveryReceipt, EpochIndex, NodeId};
use libp2p::PeerId;
use tracing::{debug, warn};

use enreach_dts::serve::ReceiptCollector;
use futures::future::BoxFuture;

use enreach_dts::{
    hosts::PeerHosts,
    protocol::{ReceiptAnswer, ReceiptTerms, Refusal},
    store::ContentHash,
};
use enreach_edge_chain::Chain;

use crate::{
    accounts::Accounts,
    lock,
    receipts::{verify, Expected, Ledger, LedgerError},
};

/// How long a client key's authorization (or its absence) is trusted before the chain is asked again.
const AUTHORIZATION_TTL: Duration = Duration::from_secs(30);

/// Client keys whose authorization is cached at most. Anyone can make a key pair and sign a genuine receipt
/// with it, so the keys a peer names are not bounded by anything else; an edge's paying keys (a dApp's key is
/// shared by its users) seen within [`AUTHORIZATION_TTL`] are far fewer, and an entry is under 100 bytes.
const MAX_CACHED_AUTHORIZATIONS: usize = 10_000;

/// What the chain last answered about client keys' authorization, at most [`MAX_CACHED_AUTHORIZATIONS`] keys.
#[derive(Debug, Default)]
struct Authorizations(HashMap<ClientKey, (bool, Instant)>);

impl Authorizations {
    /// Whether `client` is authorized, if the chain said so within [`AUTHORIZATION_TTL`].
    fn get(&self, client: &ClientKey) -> Option<bool> {
        self.0
            .get(client)
            .filter(|(_, at)| at.elapsed() < AUTHORIZATION_TTL)
            .map(|(known, _)| *known)
    }

    /// Remembers the chain's answer about `client`. When full, drops answers past their time and keys no dApp
    /// authorized (what a flood of fresh keys leaves), then, if that was not enough, everything: the paying
    /// keys are asked about again, once each.
    fn insert(&mut self, client: ClientKey, known: bool) {
        if self.0.len() >= MAX_CACHED_AUTHORIZATIONS && !self.0.contains_key(&client) {
            self.0
                .retain(|_, (known, at)| *known && at.elapsed() < AUTHORIZATION_TTL);
            if self.0.len() >= MAX_CACHED_AUTHORIZATIONS {
                self.0.clear();
            }
        }
        self.0.insert(client, (known, Instant::now()));
    }

    fn clear(&mut self) {
        self.0.clear();
    }
}

/// The answer to `receipt` if it can be given without the chain: none while the edge names no `terms` (knows
/// no epoch), stale if it is for another epoch, invalid if it is for another chain or node or its client key
/// did not sign it. Checked before the key's authorization, so a receipt that is not genuine costs no chain
/// query and no cache entry ([`Ledger::record`] checks again, when it is recorded).
fn screen(
    receipt: &DeliveryReceipt,
    terms: Option<ReceiptTerms>,
    node: NodeId,
) -> Result<(), ReceiptAnswer> {
    let terms = terms.ok_or(ReceiptAnswer::Refused(Refusal::NotCollecting))?;
    if receipt.epoch != terms.epoch {
        return Err(ReceiptAnswer::Stale(terms));
    }
    let expected = Expected {
        genesis_hash: terms.genesis_hash,
        node,
        epoch: terms.epoch,
    };
    verify(receipt, expected).map_err(|_| ReceiptAnswer::Refused(Refusal::Invalid))
}

/// Collects receipts for one edge node.
pub struct Collector {
    ledger: Arc<Ledger>,
    chain: Chain,
    node: NodeId,
    /// The epoch receipts are accepted for; `None` until the chain told it. Writers wait for receipts being
    /// recorded, so a work report built after [`Collector::set_epoch`] sees every receipt of the old epoch.
    epoch: RwLock<Option<EpochIndex>>,
    accounts: Mutex<Accounts>,
    /// Where peers connect from: peers that never signed owe per host.
    hosts: PeerHosts,
    authorized: Mutex<Authorizations>,
}

impl std::fmt::Debug for Collector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collector")
            .field("node", &self.node)
            .field("terms", &self.terms())
            .finish_non_exhaustive()
    }
}

impl Collector {
    /// The ledger it records into (the apps role records compute receipts there too).
    pub fn ledger(&self) -> &Arc<Ledger> {
        &self.ledger
    }

    /// A collector for `node`, recording into `ledger`, checking client keys on `chain`, learning where peers
    /// connect from in `hosts`.
    pub fn new(ledger: Arc<Ledger>, chain: Chain, node: NodeId, hosts: PeerHosts) -> Self {
        Self {
            ledger,
            chain,
            node,
            epoch: RwLock::new(None),
            accounts: Mutex::new(Accounts::default()),
            hosts,
            authorized: Mutex::new(Authorizations::default()),
        }
    }

    /// The epoch now being served; receipts of earlier epochs are refused as stale from here on. What
    /// downloaders owe is not forgiven: they sign it again under the new terms.
    pub fn set_epoch(&self, epoch: EpochIndex) {
        let mut current = self.epoch.write().unwrap_or_else(|e| e.into_inner());
        if *current != Some(epoch) {
            *current = Some(epoch);
            lock(&self.accounts).settle();
            lock(&self.authorized).clear();
        }
    }

    /// The terms downloaders sign receipts under, once the epoch is known.
    pub fn terms(&self) -> Option<ReceiptTerms> {
        self.epoch
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .map(|epoch| self.terms_of(epoch))
    }

    fn terms_of(&self, epoch: EpochIndex) -> ReceiptTerms {
        ReceiptTerms {
            genesis_hash: self.chain.genesis_hash(),
            epoch,
        }
    }

    /// Whether `peer` may be sent `bytes` more of `content`; if so, they are counted as owed, by its client
    /// key or else by the host it connects from.
    pub fn may_send(&self, peer: &PeerId, content: &ContentHash, bytes: u64) -> bool {
        let host = self.hosts.get(peer);
        match lock(&self.accounts).may_send(peer, host, *content.as_bytes(), bytes) {
            Ok(()) => true,
            Err(e) => {
                debug!(%peer, ?host, %e, "request refused");
                false
            }
        }
    }

    /// A request admitted for `admitted` bytes wrote `written`: the rest is not owed.
    pub fn delivered(&self, peer: &PeerId, content: &ContentHash, admitted: u64, written: u64) {
        lock(&self.accounts).delivered(peer, *content.as_bytes(), admitted, written);
    }

    /// Checks `receipt` from `peer` and, if it is good, records it durably; the answer to send back. Its terms
    /// and signature are checked first, locally: only a genuine receipt costs a look at the chain.
    pub async fn accept(self: &Arc<Self>, peer: PeerId, receipt: DeliveryReceipt) -> ReceiptAnswer {
        if let Err(answer) = screen(&receipt, self.terms(), self.node) {
            return answer;
        }
        match self.authorized(receipt.client).await {
            Ok(true) => {}
            Ok(false) => return ReceiptAnswer::Refused(Refusal::Unauthorized),
            Err(()) => return ReceiptAnswer::Refused(Refusal::Internal),
        }
        let this = self.clone();
        let recorded = tokio::task::spawn_blocking(move || this.record(&peer, &receipt)).await;
        match recorded {
            Ok(Ok(Ok(_))) => ReceiptAnswer::Accepted,
            Ok(Ok(Err(
                LedgerError::BadSignature | LedgerError::NotOurs | LedgerError::Inadmissible(_),
            ))) => ReceiptAnswer::Refused(Refusal::Invalid),
            Ok(Ok(Err(LedgerError::NotNewer))) => ReceiptAnswer::Refused(Refusal::NotNewer),
            Ok(Ok(Err(
                e @ (LedgerError::DiskFull
                | LedgerError::Io(_)
                | LedgerError::Corrupt(_)
                | LedgerError::TranscriptMismatch(_)
                | LedgerError::Database(_)),
            ))) => {
                warn!(%e, "cannot record a receipt");
                ReceiptAnswer::Refused(Refusal::Internal)
            }
            Ok(Err(terms)) => match terms {
                Some(terms) => ReceiptAnswer::Stale(terms),
                None => ReceiptAnswer::Refused(Refusal::NotCollecting),
            },
            Err(e) => {
                warn!(%e, "recording a receipt panicked");
                ReceiptAnswer::Refused(Refusal::Internal)
            }
        }
    }

    /// Records `receipt` if it is for the epoch being served (holding the epoch so it cannot end meanwhile);
    /// otherwise returns the current terms.
    fn record(
        &self,
        peer: &PeerId,
        receipt: &DeliveryReceipt,
    ) -> Result<Result<u64, LedgerError>, Option<ReceiptTerms>> {
        let epoch = self.epoch.read().unwrap_or_else(|e| e.into_inner());
        match *epoch {
            Some(current) if current == receipt.epoch => {
                // Counted when admitted, under the ledger's write transaction; taken back if the commit fails.
                let admitted = std::cell::Cell::new(None);
                let recorded = self.ledger.record(
                    receipt,
                    Expected {
                        genesis_hash: self.chain.genesis_hash(),
                        node: self.node,
                        epoch: current,
                    },
                    |added| {
                        lock(&self.accounts).receipt(
                            peer,
                            receipt.client,
                            receipt.content.0,
                            added.bytes,
                            added.new_session,
                        )?;
                        admitted.set(Some(added));
                        Ok(())
                    },
                );
                if let (Err(_), Some(added)) = (&recorded, admitted.get()) {
                    lock(&self.accounts).unreceipt(
                        peer,
                        receipt.content.0,
                        added.bytes,
                        added.new_session,
                    );
                }
                Ok(recorded)
            }
            Some(current) => Err(Some(self.terms_of(current))),
            None => Err(None),
        }
    }

    /// Whether a paying dApp authorized `client`, from a cache refreshed every [`AUTHORIZATION_TTL`].
    pub async fn authorized(&self, client: ClientKey) -> Result<bool, ()> {
        if let Some(known) = lock(&self.authorized).get(&client) {
            return Ok(known);
        }
        match self.chain.client_owner(client).await {
            Ok(owner) => {
                let known = owner.is_some();
                lock(&self.authorized).insert(client, known);
                Ok(known)
            }
            Err(e) => {
                warn!(%e, "cannot check a client key on chain");
                Err(())
            }
        }
    }
}

/// The provider (`enreach_dts::serve`) asks the collector through this trait, so PeerDTS needs no chain client.
impl ReceiptCollector for Collector {
    fn terms(&self) -> Option<ReceiptTerms> {
        Collector::terms(self)
    }

    fn may_send(&self, peer: &PeerId, content: &ContentHash, bytes: u64) -> bool {
        Collector::may_send(self, peer, content, bytes)
    }

    fn delivered(&self, peer: &PeerId, content: &ContentHash, admitted: u64, written: u64) {
        Collector::delivered(self, peer, content, admitted, written)
    }

    fn accept(
        self: Arc<Self>,
        peer: PeerId,
        receipt: DeliveryReceipt,
    ) -> BoxFuture<'static, ReceiptAnswer> {
        Box::pin(async move { Collector::accept(&self, peer, receipt).await })
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::{Signer, SigningKey};
    use enreach_primitives::{ContentId, SessionId};

    use super::*;

    const TERMS: ReceiptTerms = ReceiptTerms {
        genesis_hash: [1; 32],
        epoch: 7,
    };
    const NODE: NodeId = NodeId([2; 32]);

    fn receipt(client: &SigningKey, signer: &SigningKey, node: NodeId) -> DeliveryReceipt {
        let mut receipt = DeliveryReceipt {
            genesis_hash: TERMS.genesis_hash,
            epoch: TERMS.epoch,
            node,
            client: ClientKey(client.verifying_key().to_bytes()),
            content: ContentId([3; 32]),
            session: SessionId([4; 16]),
            cumulative_bytes: 1 << 20,
            signature: [0; 64],
        };
        receipt.signature = signer.sign(&receipt.signing_payload()).to_bytes();
        receipt
    }

    #[test]
    fn a_receipt_not_genuine_is_answered_before_the_chain_is_asked_about_its_key() {
        // Found by an attacker review: the chain was asked whether a receipt's key is authorized (and the
        // answer cached) before its terms and signature were checked, so every made-up key cost a query.
        let (client, other) = (
            SigningKey::from_bytes(&[5; 32]),
            SigningKey::from_bytes(&[6; 32]),
        );
        let refused = Err(ReceiptAnswer::Refused(Refusal::Invalid));
        assert_eq!(
            screen(&receipt(&client, &other, NODE), Some(TERMS), NODE),
            refused,
            "signed by another key than the one it names"
        );
        assert_eq!(
            screen(
                &receipt(&client, &client, NodeId([9; 32])),
                Some(TERMS),
                NODE
            ),
            refused,
            "for another node"
        );
        let genuine = receipt(&client, &client, NODE);
        let next = ReceiptTerms {
            epoch: TERMS.epoch + 1,
            ..TERMS
        };
        assert_eq!(
            screen(&genuine, Some(next), NODE),
            Err(ReceiptAnswer::Stale(next))
        );
        assert_eq!(
            screen(&genuine, None, NODE),
            Err(ReceiptAnswer::Refused(Refusal::NotCollecting))
        );
        assert_eq!(screen(&genuine, Some(TERMS), NODE), Ok(()));
    }

    #[test]
    fn a_flood_of_fresh_keys_does_not_grow_the_authorization_cache_nor_evict_paying_keys() {
        let key = |i: u64| {
            let mut bytes = [0; 32];
            bytes[..8].copy_from_slice(&i.to_le_bytes());
            ClientKey(bytes)
        };
        let paying = ClientKey([0xff; 32]);
        let mut cache = Authorizations::default();
        cache.insert(paying, true);
        for i in 0..3 * MAX_CACHED_AUTHORIZATIONS as u64 {
            cache.insert(key(i), false);
            assert!(cache.0.len() <= MAX_CACHED_AUTHORIZATIONS);
        }
        assert_eq!(cache.get(&paying), Some(true));
        assert_eq!(
            cache.get(&key(3 * MAX_CACHED_AUTHORIZATIONS as u64 - 1)),
            Some(false)
        );
    }
}
