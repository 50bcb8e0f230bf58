//! The edge's side of delivery receipts: it names its terms (chain and epoch) to downloaders, records the
//! receipts they sign in the [`Ledger`] before acknowledging them, stops serving a downloader that owes
//! receipts for more than [`UNRECEIPTED_LIMIT`] bytes, and refuses receipts for more bytes than it sent. Only receipts under client keys a paying dApp authorized
//! are recorded: anything else could never be paid for.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, RwLock},
    time::{Duration, Instant},
};

use enreach_primitives::{ClientKey, DeliveryReceipt, EpochIndex, NodeId};
use libp2p::PeerId;
use tracing::warn;

use enreach_dts::serve::ReceiptCollector;
use futures::future::BoxFuture;

use enreach_dts::{
    protocol::{ReceiptAnswer, ReceiptTerms, Refusal},
    schedule::Scheduler,
    signing::RECEIPT_INTERVAL,
    store::GROUP_BYTES,
};
use enreach_edge_chain::Chain;

use crate::receipts::{Expected, Ledger, LedgerError};

/// Bytes a downloader may have been sent beyond what its receipts cover before the edge refuses further
/// requests: the batches a downloader may have in flight, two receipt intervals, and headroom for the receipt
/// round trip on a fast link.
pub const UNRECEIPTED_LIMIT: u64 =
    Scheduler::<PeerId>::BATCHES_IN_FLIGHT as u64 * Scheduler::<PeerId>::MAX_BATCH * GROUP_BYTES
        + 2 * RECEIPT_INTERVAL
        + (16 << 20);

/// How long a client key's authorization (or its absence) is trusted before the chain is asked again.
const AUTHORIZATION_TTL: Duration = Duration::from_secs(30);

/// What a downloader was sent and what its receipts cover.
#[derive(Clone, Copy, Debug, Default)]
struct Account {
    sent: u64,
    receipted: u64,
    /// Bytes sent in the previous epoch and not receipted then: the downloader signs them again under the new
    /// epoch's terms, so they may be receipted now without counting as owed.
    carried: u64,
}

/// Per-downloader accounts of bytes sent against bytes receipted.
#[derive(Debug, Default)]
struct Accounts(HashMap<PeerId, Account>);

impl Accounts {
    /// Counts `bytes` as sent to `peer` unless it already owes receipts for more than [`UNRECEIPTED_LIMIT`].
    fn may_send(&mut self, peer: &PeerId, bytes: u64) -> bool {
        let account = self.0.entry(*peer).or_default();
        if account.sent.saturating_sub(account.receipted) > UNRECEIPTED_LIMIT {
            return false;
        }
        account.sent += bytes;
        true
    }

    /// Whether `peer`'s receipts may cover `bytes` more: never more than it was sent. A downloader that signs
    /// totals it never received would bill its dApp for nothing and, dwarfing the node's other receipts, draw
    /// the challenge's byte samples (and so the charge for everyone's bytes) to itself.
    fn may_receipt(&self, peer: &PeerId, bytes: u64) -> bool {
        let account = self.0.get(peer).copied().unwrap_or_default();
        account.receipted.saturating_add(bytes) <= account.sent.saturating_add(account.carried)
    }

    /// `peer`'s receipts now cover `bytes` more.
    fn receipted(&mut self, peer: &PeerId, bytes: u64) {
        let account = self.0.entry(*peer).or_default();
        account.receipted = account.receipted.saturating_add(bytes);
    }

    /// The accounts of a new epoch: nothing is owed any more (the old epoch's receipts can no longer be paid),
    /// but what was sent and not receipted may still be receipted under the new terms.
    fn next_epoch(&self) -> Accounts {
        Accounts(
            self.0
                .iter()
                .map(|(peer, old)| {
                    let unreceipted = (old.sent + old.carried).saturating_sub(old.receipted);
                    (
                        *peer,
                        Account {
                            carried: unreceipted,
                            ..Account::default()
                        },
                    )
                })
                .filter(|(_, account)| account.carried > 0)
                .collect(),
        )
    }
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
    /// A collector for `node`, recording into `ledger`, checking client keys on `chain`.
    pub fn new(ledger: Arc<Ledger>, chain: Chain, node: NodeId) -> Self {
        Self {
            ledger,
            chain,
            node,
            epoch: RwLock::new(None),
            accounts: Mutex::new(Accounts::default()),
            authorized: Mutex::new(HashMap::new()),
        }
    }

    /// The epoch now being served; receipts of earlier epochs are refused as stale from here on, and what
    /// downloaders owed in the old epoch is forgiven (its receipts can no longer be paid).
    pub fn set_epoch(&self, epoch: EpochIndex) {
        let mut current = self.epoch.write().unwrap_or_else(|e| e.into_inner());
        if *current != Some(epoch) {
            *current = Some(epoch);
            let mut accounts = lock(&self.accounts);
            *accounts = accounts.next_epoch();
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

    /// Whether `peer` may be sent `bytes` more content; if so, they are counted as owed.
    pub fn may_send(&self, peer: &PeerId, bytes: u64) -> bool {
        lock(&self.accounts).may_send(peer, bytes)
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
            Ok(Ok(Ok(added))) => {
                lock(&self.accounts).receipted(&peer, added);
                ReceiptAnswer::Accepted
            }
            Ok(Ok(Err(
                LedgerError::BadSignature | LedgerError::NotOurs | LedgerError::MoreThanSent,
            ))) => ReceiptAnswer::Refused(Refusal::Invalid),
            Ok(Ok(Err(LedgerError::NotNewer))) => ReceiptAnswer::Refused(Refusal::NotNewer),
            Ok(Ok(Err(e @ LedgerError::Database(_)))) => {
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
            Some(current) if current == receipt.epoch => Ok(self.ledger.record(
                receipt,
                Expected {
                    genesis_hash: self.chain.genesis_hash(),
                    node: self.node,
                    epoch: current,
                },
                |added| lock(&self.accounts).may_receipt(peer, added),
            )),
            Some(current) => Err(Some(self.terms_of(current))),
            None => Err(None),
        }
    }

    /// Whether a paying dApp authorized `client`, from a cache refreshed every [`AUTHORIZATION_TTL`].
    async fn authorized(&self, client: ClientKey) -> Result<bool, ()> {
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

    fn may_send(&self, peer: &PeerId, bytes: u64) -> bool {
        Collector::may_send(self, peer, bytes)
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
    use super::*;

    #[test]
    fn a_downloader_is_served_until_it_owes_receipts_for_more_than_the_limit() {
        let (payer, freeloader) = (PeerId::random(), PeerId::random());
        let mut accounts = Accounts::default();
        let batch = 16 << 20;
        let mut sent = 0;
        while accounts.may_send(&freeloader, batch) {
            sent += batch;
            assert!(
                sent <= UNRECEIPTED_LIMIT + batch,
                "served {sent} bytes unreceipted"
            );
        }
        assert!(sent > UNRECEIPTED_LIMIT);
        // A downloader whose receipts keep up is served without end, and one who catches up is served again.
        for _ in 0..100 {
            assert!(accounts.may_send(&payer, batch));
            accounts.receipted(&payer, batch);
        }
        accounts.receipted(&freeloader, sent);
        assert!(accounts.may_send(&freeloader, batch));
    }

    #[test]
    fn receipts_never_cover_more_than_was_sent_but_survive_an_epoch_change() {
        let peer = PeerId::random();
        let mut accounts = Accounts::default();
        assert!(
            !accounts.may_receipt(&peer, 1),
            "nothing sent, nothing to sign for"
        );
        assert!(accounts.may_send(&peer, 10 << 20));
        assert!(accounts.may_receipt(&peer, 10 << 20));
        assert!(!accounts.may_receipt(&peer, (10 << 20) + 1));
        // An absurd total, as a shell dApp's client would sign to draw every sample of the report to itself.
        assert!(!accounts.may_receipt(&peer, 1 << 62));
        accounts.receipted(&peer, 4 << 20);
        // The epoch changes with 6 MiB unreceipted: they may be signed again under the new terms, no more.
        let mut next = accounts.next_epoch();
        assert!(next.may_receipt(&peer, 6 << 20));
        assert!(!next.may_receipt(&peer, (6 << 20) + 1));
        next.receipted(&peer, 6 << 20);
        assert!(next.next_epoch().0.is_empty(), "nothing left to carry");
    }
}
