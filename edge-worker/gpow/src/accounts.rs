//! What an edge sent each downloader against what its receipts cover: the edge's only defence against serving
//! for nothing on the open internet.
//!
//! - **Per request.** One `GET` may ask for at most [`MAX_REQUEST_BYTES`]: a request for a whole blob would
//!   otherwise be sent in full before a single receipt could be asked for.
//! - **Per debtor.** A downloader owes what it was sent and did not receipt; past [`UNRECEIPTED_LIMIT`] it is
//!   refused. Debts are kept per client key once a peer signed under one (a new peer id signing under the
//!   same key inherits them), and they survive the epoch boundary: the downloader signs them again under the
//!   new epoch's terms, so forgiving them would give a free [`UNRECEIPTED_LIMIT`] every epoch.
//!   Peers that never signed (keepers' probes among them) are forgiven each epoch, as a new peer id would be.
//! - **Per content.** Receipts of a peer for a content may cover at most what was sent to that peer for that
//!   content: a receipt claiming more is refused and not stored (an inflated total would bill the signer's
//!   dApp for nothing and, dwarfing the node's other receipts, draw the challenge's samples to itself).
//!
//! Every byte total is checked arithmetic: a request or receipt that would overflow is refused.

use std::collections::{HashMap, HashSet};

use enreach_primitives::{ClientKey, Hash32};
use libp2p::PeerId;

use enreach_dts::{schedule::Scheduler, signing::RECEIPT_INTERVAL, store::GROUP_BYTES};

/// Most bytes one `GET` may ask of a paid edge: an honest downloader's largest batch
/// ([`Scheduler::MAX_BATCH`] groups).
pub const MAX_REQUEST_BYTES: u64 = Scheduler::<PeerId>::MAX_BATCH * GROUP_BYTES;

/// Bytes a debtor may owe receipts for, this request included: the batches an honest downloader has in
/// flight, two receipt intervals, and headroom for the receipt round trip on a fast link.
pub const UNRECEIPTED_LIMIT: u64 = Scheduler::<PeerId>::BATCHES_IN_FLIGHT as u64
    * MAX_REQUEST_BYTES
    + 2 * RECEIPT_INTERVAL
    + (16 << 20);

/// Who owes receipts: the client key a peer signed under, once it did; the peer itself until then.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Debtor {
    Client(ClientKey),
    Peer(PeerId),
}

/// Bytes sent to one peer for one content, and how many of them its receipts cover.
#[derive(Clone, Copy, Debug, Default)]
struct Delivery {
    sent: u64,
    receipted: u64,
}

/// Why a receipt's bytes are not admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Inadmissible {
    /// More than was sent to this peer for this content.
    #[error("receipt covers more bytes than were sent")]
    MoreThanSent,
}

/// Why a request is not served.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unserved {
    /// The request alone asks for more than [`MAX_REQUEST_BYTES`].
    #[error("request larger than {MAX_REQUEST_BYTES} bytes")]
    TooLarge,
    /// Serving it would take the debtor's unreceipted bytes past [`UNRECEIPTED_LIMIT`].
    #[error("too many bytes without a receipt")]
    Owes,
}

/// The edge's accounts.
#[derive(Debug, Default)]
pub struct Accounts {
    deliveries: HashMap<(PeerId, Hash32), Delivery>,
    /// The client key each peer first signed under.
    clients: HashMap<PeerId, ClientKey>,
    debts: HashMap<Debtor, u64>,
}

impl Accounts {
    fn debtor(&self, peer: &PeerId) -> Debtor {
        self.clients
            .get(peer)
            .map_or(Debtor::Peer(*peer), |c| Debtor::Client(*c))
    }

    /// Counts `bytes` of `content` as sent to `peer`, unless the request is too large or its debtor would owe
    /// receipts for more than [`UNRECEIPTED_LIMIT`].
    pub fn may_send(&mut self, peer: &PeerId, content: Hash32, bytes: u64) -> Result<(), Unserved> {
        if bytes > MAX_REQUEST_BYTES {
            return Err(Unserved::TooLarge);
        }
        let debtor = self.debtor(peer);
        let debt = self.debts.get(&debtor).copied().unwrap_or(0);
        let owed = debt
            .checked_add(bytes)
            .filter(|owed| *owed <= UNRECEIPTED_LIMIT)
            .ok_or(Unserved::Owes)?;
        let delivery = self.deliveries.entry((*peer, content)).or_default();
        delivery.sent = delivery.sent.checked_add(bytes).ok_or(Unserved::Owes)?;
        self.debts.insert(debtor, owed);
        Ok(())
    }

    /// Receipts of `peer` under `client` cover `bytes` more of `content`, if that is no more than was sent to
    /// `peer` for `content`; checked and counted at once, so concurrent receipts cannot both pass. The first
    /// key a peer signs under becomes its debtor, and takes on what the peer owed so far.
    pub fn receipt(
        &mut self,
        peer: &PeerId,
        client: ClientKey,
        content: Hash32,
        bytes: u64,
    ) -> Result<(), Inadmissible> {
        let delivery = self
            .deliveries
            .get_mut(&(*peer, content))
            .ok_or(Inadmissible::MoreThanSent)?;
        delivery.receipted = delivery
            .receipted
            .checked_add(bytes)
            .filter(|covered| *covered <= delivery.sent)
            .ok_or(Inadmissible::MoreThanSent)?;
        if !self.clients.contains_key(peer) {
            self.clients.insert(*peer, client);
            if let Some(owed) = self.debts.remove(&Debtor::Peer(*peer)) {
                let debt = self.debts.entry(Debtor::Client(client)).or_default();
                *debt = debt.saturating_add(owed);
            }
        }
        if let Some(debt) = self.debts.get_mut(&self.debtor(peer)) {
            *debt = debt.saturating_sub(bytes);
        }
        Ok(())
    }

    /// Takes back a [`Accounts::receipt`] whose receipt could not be stored: the downloader will send it again.
    pub fn unreceipt(&mut self, peer: &PeerId, content: Hash32, bytes: u64) {
        if let Some(delivery) = self.deliveries.get_mut(&(*peer, content)) {
            delivery.receipted = delivery.receipted.saturating_sub(bytes);
        }
        let debt = self.debts.entry(self.debtor(peer)).or_default();
        *debt = debt.saturating_add(bytes);
    }

    /// At an epoch boundary: forgets what is settled. Debts under client keys are kept (see the module
    /// documentation), and so is what was sent and not receipted, which may be receipted under the new terms.
    /// Debts of peers that never signed are forgiven: such a peer could start over under a new peer id anyway,
    /// and keepers, whose probes are never receipted, must not be cut off for good after a few epochs.
    pub fn settle(&mut self) {
        // Deliveries matter while a client key may still sign for them; a peer that never bound one has its
        // debt forgiven below, and keeping its rows would let throwaway peer ids grow this map for ever.
        let Self {
            deliveries,
            clients,
            ..
        } = self;
        deliveries.retain(|(peer, _), d| d.receipted < d.sent && clients.contains_key(peer));
        self.debts
            .retain(|debtor, owed| *owed > 0 && matches!(debtor, Debtor::Client(_)));
        let open: HashSet<PeerId> = self.deliveries.keys().map(|(peer, _)| *peer).collect();
        let Self { clients, debts, .. } = self;
        clients
            .retain(|peer, key| open.contains(peer) || debts.contains_key(&Debtor::Client(*key)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOB: Hash32 = [7; 32];
    const OTHER: Hash32 = [8; 32];
    const BATCH: u64 = 16 << 20;

    /// Sends `peer` batches of `content` until refused; what was sent.
    fn drain(accounts: &mut Accounts, peer: &PeerId, content: Hash32) -> u64 {
        let mut sent = 0;
        while accounts.may_send(peer, content, BATCH).is_ok() {
            sent += BATCH;
        }
        sent
    }

    #[test]
    fn throwaway_peer_ids_that_never_sign_leave_nothing_behind_an_epoch() {
        // Found by an attacker review: every (peer, content) delivered to was kept for ever.
        let mut accounts = Accounts::default();
        for i in 0..1_000u32 {
            let mut content = [0u8; 32];
            content[..4].copy_from_slice(&i.to_le_bytes());
            accounts
                .may_send(&PeerId::random(), content, BATCH)
                .unwrap();
        }
        accounts.settle();
        assert!(
            accounts.deliveries.is_empty(),
            "{} kept",
            accounts.deliveries.len()
        );
    }

    #[test]
    fn an_attacker_cannot_take_a_blob_in_one_request_nor_have_its_debt_forgiven() {
        let (thief, honest) = (PeerId::random(), PeerId::random());
        let honest_key = ClientKey([1; 32]);
        let mut accounts = Accounts::default();
        assert_eq!(
            accounts.may_send(&thief, BLOB, 1 << 40),
            Err(Unserved::TooLarge),
            "a whole 1 TiB blob in one GET"
        );
        assert_eq!(
            accounts.may_send(&thief, BLOB, u64::MAX),
            Err(Unserved::TooLarge)
        );
        // The thief signs once under its dApp's key to look paying, then stops.
        let thief_key = ClientKey([2; 32]);
        accounts.may_send(&thief, BLOB, BATCH).unwrap();
        accounts.receipt(&thief, thief_key, BLOB, BATCH).unwrap();
        let stolen = drain(&mut accounts, &thief, BLOB);
        assert!(
            stolen <= UNRECEIPTED_LIMIT,
            "served {stolen} bytes unreceipted"
        );
        accounts.settle();
        assert_eq!(
            accounts.may_send(&thief, BLOB, BATCH),
            Err(Unserved::Owes),
            "debt forgiven at the epoch boundary"
        );
        // Meanwhile a downloader whose receipts keep up is served without end, across epochs.
        for round in 0..100 {
            accounts.may_send(&honest, BLOB, BATCH).unwrap();
            accounts.receipt(&honest, honest_key, BLOB, BATCH).unwrap();
            if round % 10 == 0 {
                accounts.settle();
            }
        }
        // And a thief that catches up is served again.
        accounts.receipt(&thief, thief_key, BLOB, stolen).unwrap();
        accounts.may_send(&thief, BLOB, BATCH).unwrap();
    }

    #[test]
    fn a_peer_that_never_signs_is_bounded_per_epoch() {
        let keeper = PeerId::random();
        let mut accounts = Accounts::default();
        for _ in 0..10 {
            let probed = drain(&mut accounts, &keeper, BLOB);
            assert!(probed > 0 && probed <= UNRECEIPTED_LIMIT);
            accounts.settle();
        }
    }

    #[test]
    fn a_debt_under_a_client_key_follows_the_key_to_a_new_peer_id() {
        let (first, second) = (PeerId::random(), PeerId::random());
        let key = ClientKey([3; 32]);
        let mut accounts = Accounts::default();
        accounts.may_send(&first, BLOB, BATCH).unwrap();
        accounts.receipt(&first, key, BLOB, BATCH).unwrap();
        assert!(drain(&mut accounts, &first, BLOB) > 0);
        // The same client comes back under a new peer id and signs under the same key: it owes what it owed.
        accounts.may_send(&second, OTHER, BATCH).unwrap();
        accounts.receipt(&second, key, OTHER, BATCH).unwrap();
        assert_eq!(
            accounts.may_send(&second, OTHER, BATCH),
            Err(Unserved::Owes)
        );
    }

    #[test]
    fn receipts_cover_at_most_what_was_sent_for_that_content() {
        let peer = PeerId::random();
        let key = ClientKey([4; 32]);
        let mut accounts = Accounts::default();
        assert_eq!(
            accounts.receipt(&peer, key, BLOB, 1),
            Err(Inadmissible::MoreThanSent),
            "nothing sent, nothing to sign for"
        );
        accounts.may_send(&peer, BLOB, 10 << 20).unwrap();
        assert!(
            accounts.receipt(&peer, key, OTHER, 1).is_err(),
            "bytes of another content"
        );
        // An absurd total, as a shell dApp's client would sign to draw every sample of the report to itself,
        // and one that overflows.
        assert!(accounts.receipt(&peer, key, BLOB, 1 << 62).is_err());
        assert!(accounts.receipt(&peer, key, BLOB, (10 << 20) + 1).is_err());
        accounts.receipt(&peer, key, BLOB, 4 << 20).unwrap();
        assert!(accounts.receipt(&peer, key, BLOB, u64::MAX).is_err());
        // A receipt that could not be stored is taken back, so the downloader may send it again.
        accounts.receipt(&peer, key, BLOB, 1 << 20).unwrap();
        accounts.unreceipt(&peer, BLOB, 1 << 20);
        // The epoch changes with 6 MiB unreceipted: they may be signed again under the new terms, no more.
        accounts.settle();
        assert!(accounts.receipt(&peer, key, BLOB, (6 << 20) + 1).is_err());
        accounts.receipt(&peer, key, BLOB, 6 << 20).unwrap();
        accounts.settle();
        assert!(
            accounts.deliveries.is_empty() && accounts.debts.is_empty(),
            "nothing left"
        );
    }
}
