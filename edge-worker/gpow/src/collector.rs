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
    receipts::{Expected, Ledger, LedgerError},
};

/// How long a client key's authorization (or its absence) is trusted before the chain is asked again.
const AUTHORIZATION_TTL: Duration = Duration::from_secs(30);

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
    authorized: Mutex<HashMap<ClientKey, (bool, Instant)>>,
}

impl std::fmt::Debug for Collector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collector")
            .field("node", &self.node)
            .field("terms", &self.terms())
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Collector {
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
            authorized: Mutex::new(HashMap::new()),
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

    /// Checks `receipt` from `peer` and, if it is good, records it durably; the answer to send back.
    pub async fn accept(self: &Arc<Self>, peer: PeerId, receipt: DeliveryReceipt) -> ReceiptAnswer {
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
        if let Some((known, at)) = lock(&self.authorized).get(&client) {
            if at.elapsed() < AUTHORIZATION_TTL {
                return Ok(*known);
            }
        }
        match self.chain.client_owner(client).await {
            Ok(owner) => {
                let known = owner.is_some();
                lock(&self.authorized).insert(client, (known, Instant::now()));
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
