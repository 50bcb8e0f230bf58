//! What an edge sent each downloader against what its receipts cover: the edge's only defence against serving
//! for nothing on the open internet.
//!
//! - **Per request.** One `GET` may ask for at most [`MAX_REQUEST_BYTES`]: a request for a whole blob would
//!   otherwise be sent in full before a single receipt could be asked for. Its bytes are owed from the moment
//!   it is admitted, and what it did not write by its end (a downloader that cut an endgame duplicate, a
//!   reset) is taken back ([`Accounts::delivered`]): an honest client receipts only what arrived.
//! - **Per debtor.** A downloader owes what it was sent and did not receipt; past [`UNRECEIPTED_LIMIT`] (a
//!   client key's) or [`UNSIGNED_LIMIT`] (a host's or peer's that never signed) it is refused. A peer that never signed owes under the [`Host`] it first connected from (peer ids are free,
//!   hosts are not), so rotating peer ids from one host does not reset its allowance. Once a peer signs under
//!   a client key its debts are the key's (a new peer id signing under the same key inherits them), and they
//!   survive the epoch boundary: the downloader signs them again under the new epoch's terms, so forgiving
//!   them would give a free [`UNRECEIPTED_LIMIT`] every epoch. Hosts' debts (keepers' probes among them, which
//!   are never receipted) are forgiven each epoch: a host gets at most [`UNSIGNED_LIMIT`] unpaid per epoch.
//! - **Per content.** Receipts of a peer for a content may cover at most what was sent to that peer for that
//!   content: a receipt claiming more is refused and not stored (an inflated total would bill the signer's
//!   dApp for nothing and, dwarfing the node's other receipts, draw the challenge's samples to itself).
//! - **Per session.** The receipt ledger keeps one row per session, and a client opens sessions at will: at
//!   most [`MAX_SESSIONS_PER_DELIVERY`] sessions per peer and content are admitted each epoch, so an epoch's
//!   ledger and work report hold at most that many receipts per (peer, content) the edge served a `GET` to,
//!   however few bytes each receipt covers.
//!
//! Every byte total is checked arithmetic: a request or receipt that would overflow is refused.

use std::collections::HashMap;

use enreach_primitives::{ClientKey, Hash32};
use libp2p::PeerId;

use enreach_dts::{
    hosts::Host, schedule::Scheduler, signing::RECEIPT_INTERVAL, store::GROUP_BYTES,
};

/// Most bytes one `GET` may ask of a paid edge: an honest downloader's largest batch
/// ([`Scheduler::MAX_BATCH`] groups).
pub const MAX_REQUEST_BYTES: u64 = Scheduler::<PeerId>::MAX_BATCH * GROUP_BYTES;

/// Downloads one client key may run from one edge at once within [`UNRECEIPTED_LIMIT`]: a dApp's key is shared
/// by its users (two tabs, a backend fetching two contents), and none of them owes anything old.
pub const CONCURRENT_DOWNLOADS_PER_KEY: u64 = 2;

/// Bytes a debtor may owe receipts for, this request included: for each of
/// [`CONCURRENT_DOWNLOADS_PER_KEY`] downloads the batches an honest downloader has in flight and two receipt
/// intervals, and headroom for the receipt round trip on a fast link.
pub const UNRECEIPTED_LIMIT: u64 = CONCURRENT_DOWNLOADS_PER_KEY
    * (Scheduler::<PeerId>::BATCHES_IN_FLIGHT as u64 * MAX_REQUEST_BYTES + 2 * RECEIPT_INTERVAL)
    + (16 << 20);

/// Bytes a host or peer that never signed a receipt may owe: one honest download's batches in flight and two
/// receipt intervals, what it takes to reach the first receipt. Less than a client key's
/// [`UNRECEIPTED_LIMIT`], which is sized for a key's concurrent downloads: a stranger that never signs has no
/// downloads in progress to protect, and each host gets this much free per epoch.
pub const UNSIGNED_LIMIT: u64 =
    Scheduler::<PeerId>::BATCHES_IN_FLIGHT as u64 * MAX_REQUEST_BYTES + 2 * RECEIPT_INTERVAL;

/// Receipt sessions one peer may open for one content in an epoch: an honest downloader opens one per download
/// and provider (and a new one when the epoch changes, which is a new epoch here); two lets a process download
/// the same content twice.
pub const MAX_SESSIONS_PER_DELIVERY: u32 = 2;

/// Who owes receipts: the client key a peer signed under, once it did; until then the host it first connected
/// from, or the peer itself if its host is not known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Debtor {
    Client(ClientKey),
    Host(Host),
    Peer(PeerId),
}

impl Debtor {
    /// What this debtor may owe.
    fn limit(&self) -> u64 {
        match self {
            Debtor::Client(_) => UNRECEIPTED_LIMIT,
            Debtor::Host(_) | Debtor::Peer(_) => UNSIGNED_LIMIT,
        }
    }
}

/// Bytes sent to one peer for one content, how many of them its receipts cover, and the receipt sessions it
/// opened for them this epoch.
#[derive(Clone, Copy, Debug, Default)]
struct Delivery {
    sent: u64,
    receipted: u64,
    sessions: u32,
}

impl Delivery {
    fn unreceipted(&self) -> u64 {
        self.sent - self.receipted
    }
}

/// One peer: who it is charged to and what it was sent.
#[derive(Debug)]
struct PeerAccount {
    debtor: Debtor,
    deliveries: HashMap<Hash32, Delivery>,
}

/// Why a receipt's bytes are not admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Inadmissible {
    /// More than was sent to this peer for this content.
    #[error("receipt covers more bytes than were sent")]
    MoreThanSent,
    /// A new session past [`MAX_SESSIONS_PER_DELIVERY`] for this peer and content this epoch.
    #[error("more than {MAX_SESSIONS_PER_DELIVERY} receipt sessions for one content this epoch")]
    TooManySessions,
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
    peers: HashMap<PeerId, PeerAccount>,
    debts: HashMap<Debtor, u64>,
}

impl Accounts {
    /// Counts `bytes` of `content` as sent to `peer`, connected from `host`, unless the request is too large
    /// or its debtor would owe receipts for more than [`UNRECEIPTED_LIMIT`].
    pub fn may_send(
        &mut self,
        peer: &PeerId,
        host: Option<Host>,
        content: Hash32,
        bytes: u64,
    ) -> Result<(), Unserved> {
        if bytes > MAX_REQUEST_BYTES {
            return Err(Unserved::TooLarge);
        }
        let debtor = self.peers.get(peer).map_or_else(
            || host.map_or(Debtor::Peer(*peer), Debtor::Host),
            |account| account.debtor,
        );
        let debt = self.debts.get(&debtor).copied().unwrap_or(0);
        let owed = debt
            .checked_add(bytes)
            .filter(|owed| *owed <= debtor.limit())
            .ok_or(Unserved::Owes)?;
        let account = self.peers.entry(*peer).or_insert_with(|| PeerAccount {
            debtor,
            deliveries: HashMap::new(),
        });
        let delivery = account.deliveries.entry(content).or_default();
        delivery.sent = delivery.sent.checked_add(bytes).ok_or(Unserved::Owes)?;
        self.debts.insert(debtor, owed);
        Ok(())
    }

    /// A request of `content` admitted for `admitted` bytes ended having written `written` bytes to `peer`: the
    /// rest was never sent, and is no longer owed. `written` counts the encoding (content and hashes), so a
    /// little of what was cut stays owed: never more than was actually sent.
    pub fn delivered(&mut self, peer: &PeerId, content: Hash32, admitted: u64, written: u64) {
        let Some(account) = self.peers.get_mut(peer) else {
            return;
        };
        let Some(delivery) = account.deliveries.get_mut(&content) else {
            return;
        };
        let unsent = admitted.saturating_sub(written).min(delivery.unreceipted());
        delivery.sent -= unsent;
        if let Some(debt) = self.debts.get_mut(&account.debtor) {
            *debt = debt.saturating_sub(unsent);
        }
    }

    /// Receipts of `peer` under `client` cover `bytes` more of `content` (`new_session`: in a session the
    /// ledger has no receipt of yet), if that is no more than was sent to `peer` for `content` and the session
    /// is within [`MAX_SESSIONS_PER_DELIVERY`]; checked and counted at once, so concurrent receipts cannot both
    /// pass. The first key a peer signs under becomes its debtor, and takes on what the peer owed so far.
    pub fn receipt(
        &mut self,
        peer: &PeerId,
        client: ClientKey,
        content: Hash32,
        bytes: u64,
        new_session: bool,
    ) -> Result<(), Inadmissible> {
        let account = self.peers.get_mut(peer).ok_or(Inadmissible::MoreThanSent)?;
        let delivery = account
            .deliveries
            .get_mut(&content)
            .ok_or(Inadmissible::MoreThanSent)?;
        let receipted = delivery
            .receipted
            .checked_add(bytes)
            .filter(|covered| *covered <= delivery.sent)
            .ok_or(Inadmissible::MoreThanSent)?;
        if new_session && delivery.sessions >= MAX_SESSIONS_PER_DELIVERY {
            return Err(Inadmissible::TooManySessions);
        }
        delivery.receipted = receipted;
        delivery.sessions += u32::from(new_session);
        let bound = Debtor::Client(client);
        if !matches!(account.debtor, Debtor::Client(_)) {
            // What the peer owes (this receipt's bytes included) moves from its host to its key.
            let owed: u64 = account
                .deliveries
                .values()
                .map(Delivery::unreceipted)
                .sum::<u64>()
                .saturating_add(bytes);
            if let Some(debt) = self.debts.get_mut(&account.debtor) {
                *debt = debt.saturating_sub(owed);
            }
            account.debtor = bound;
            let debt = self.debts.entry(bound).or_default();
            *debt = debt.saturating_add(owed);
        }
        if let Some(debt) = self.debts.get_mut(&account.debtor) {
            *debt = debt.saturating_sub(bytes);
        }
        Ok(())
    }

    /// Takes back a [`Accounts::receipt`] whose receipt could not be stored: the downloader will send it again.
    pub fn unreceipt(&mut self, peer: &PeerId, content: Hash32, bytes: u64, new_session: bool) {
        let Some(account) = self.peers.get_mut(peer) else {
            return;
        };
        if let Some(delivery) = account.deliveries.get_mut(&content) {
            delivery.receipted = delivery.receipted.saturating_sub(bytes);
            delivery.sessions = delivery.sessions.saturating_sub(u32::from(new_session));
        }
        let debt = self.debts.entry(account.debtor).or_default();
        *debt = debt.saturating_add(bytes);
    }

    /// At an epoch boundary: forgets what is settled, and starts counting sessions afresh. Debts under client
    /// keys are kept (see the module documentation), and so is what was sent and not receipted, which may be
    /// receipted under the new terms. Debts of hosts and of peers that never signed are forgiven, with
    /// everything sent to them: keepers, whose probes are never receipted, must not be cut off for good after
    /// a few epochs, and keeping their rows would let throwaway peer ids grow these maps for ever.
    pub fn settle(&mut self) {
        self.debts
            .retain(|debtor, owed| *owed > 0 && matches!(debtor, Debtor::Client(_)));
        let debts = &self.debts;
        self.peers.retain(|_, account| {
            if !matches!(account.debtor, Debtor::Client(_)) {
                return false;
            }
            account.deliveries.retain(|_, d| d.receipted < d.sent);
            for delivery in account.deliveries.values_mut() {
                delivery.sessions = 0;
            }
            !account.deliveries.is_empty() || debts.contains_key(&account.debtor)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOB: Hash32 = [7; 32];
    const OTHER: Hash32 = [8; 32];
    const BATCH: u64 = 16 << 20;

    /// Sends `peer` (from `host`) batches of `content` until refused; what was sent.
    fn drain(accounts: &mut Accounts, peer: &PeerId, host: Option<Host>, content: Hash32) -> u64 {
        let mut sent = 0;
        while accounts.may_send(peer, host, content, BATCH).is_ok() {
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
                .may_send(&PeerId::random(), None, content, BATCH)
                .unwrap();
        }
        accounts.settle();
        assert!(accounts.peers.is_empty(), "{} kept", accounts.peers.len());
    }

    #[test]
    fn an_attacker_cannot_take_a_blob_in_one_request_nor_have_its_debt_forgiven() {
        let (thief, honest) = (PeerId::random(), PeerId::random());
        let honest_key = ClientKey([1; 32]);
        let mut accounts = Accounts::default();
        assert_eq!(
            accounts.may_send(&thief, None, BLOB, 1 << 40),
            Err(Unserved::TooLarge),
            "a whole 1 TiB blob in one GET"
        );
        assert_eq!(
            accounts.may_send(&thief, None, BLOB, u64::MAX),
            Err(Unserved::TooLarge)
        );
        // The thief signs once under its dApp's key to look paying, then stops.
        let thief_key = ClientKey([2; 32]);
        accounts.may_send(&thief, None, BLOB, BATCH).unwrap();
        accounts
            .receipt(&thief, thief_key, BLOB, BATCH, false)
            .unwrap();
        let stolen = drain(&mut accounts, &thief, None, BLOB);
        assert!(
            stolen <= UNRECEIPTED_LIMIT,
            "served {stolen} bytes unreceipted"
        );
        accounts.settle();
        assert_eq!(
            accounts.may_send(&thief, None, BLOB, BATCH),
            Err(Unserved::Owes),
            "debt forgiven at the epoch boundary"
        );
        // Meanwhile a downloader whose receipts keep up is served without end, across epochs.
        for round in 0..100 {
            accounts.may_send(&honest, None, BLOB, BATCH).unwrap();
            accounts
                .receipt(&honest, honest_key, BLOB, BATCH, false)
                .unwrap();
            if round % 10 == 0 {
                accounts.settle();
            }
        }
        // And a thief that catches up is served again.
        accounts
            .receipt(&thief, thief_key, BLOB, stolen, false)
            .unwrap();
        accounts.may_send(&thief, None, BLOB, BATCH).unwrap();
    }

    #[test]
    fn a_peer_that_never_signs_is_bounded_per_epoch() {
        let keeper = PeerId::random();
        let mut accounts = Accounts::default();
        for _ in 0..10 {
            let probed = drain(&mut accounts, &keeper, None, BLOB);
            assert!(probed > 0 && probed <= UNRECEIPTED_LIMIT);
            accounts.settle();
        }
    }

    #[test]
    fn a_debt_under_a_client_key_follows_the_key_to_a_new_peer_id() {
        let (first, second) = (PeerId::random(), PeerId::random());
        let key = ClientKey([3; 32]);
        let mut accounts = Accounts::default();
        accounts.may_send(&first, None, BLOB, BATCH).unwrap();
        accounts.receipt(&first, key, BLOB, BATCH, false).unwrap();
        assert!(drain(&mut accounts, &first, None, BLOB) > 0);
        // The same client comes back under a new peer id and signs under the same key: it owes what it owed.
        accounts.may_send(&second, None, OTHER, BATCH).unwrap();
        accounts.receipt(&second, key, OTHER, BATCH, false).unwrap();
        assert_eq!(
            accounts.may_send(&second, None, OTHER, BATCH),
            Err(Unserved::Owes)
        );
    }

    #[test]
    fn receipts_cover_at_most_what_was_sent_for_that_content() {
        let peer = PeerId::random();
        let key = ClientKey([4; 32]);
        let mut accounts = Accounts::default();
        assert_eq!(
            accounts.receipt(&peer, key, BLOB, 1, false),
            Err(Inadmissible::MoreThanSent),
            "nothing sent, nothing to sign for"
        );
        accounts.may_send(&peer, None, BLOB, 10 << 20).unwrap();
        assert!(
            accounts.receipt(&peer, key, OTHER, 1, false).is_err(),
            "bytes of another content"
        );
        // An absurd total, as a shell dApp's client would sign to draw every sample of the report to itself,
        // and one that overflows.
        assert!(accounts.receipt(&peer, key, BLOB, 1 << 62, false).is_err());
        assert!(accounts
            .receipt(&peer, key, BLOB, (10 << 20) + 1, false)
            .is_err());
        accounts.receipt(&peer, key, BLOB, 4 << 20, false).unwrap();
        assert!(accounts.receipt(&peer, key, BLOB, u64::MAX, false).is_err());
        // A receipt that could not be stored is taken back, so the downloader may send it again.
        accounts.receipt(&peer, key, BLOB, 1 << 20, false).unwrap();
        accounts.unreceipt(&peer, BLOB, 1 << 20, false);
        // The epoch changes with 6 MiB unreceipted: they may be signed again under the new terms, no more.
        accounts.settle();
        assert!(accounts
            .receipt(&peer, key, BLOB, (6 << 20) + 1, false)
            .is_err());
        accounts.receipt(&peer, key, BLOB, 6 << 20, false).unwrap();
        accounts.settle();
        assert!(
            accounts.peers.is_empty() && accounts.debts.is_empty(),
            "nothing left"
        );
    }
    #[test]
    fn batches_cut_before_delivery_leave_no_debt_on_an_honest_client_key() {
        // Found by an attacker review (M1): bytes were counted as sent when a GET was admitted. An honest client
        // whose endgame duplicates are cut receipts only what arrived; the rest became a debt of its key for good.
        let key = ClientKey([5; 32]);
        let mut accounts = Accounts::default();
        for download in 0..10u32 {
            let peer = PeerId::random(); // a fresh process each time, same dApp key
            let mut content = [0u8; 32];
            content[..4].copy_from_slice(&download.to_le_bytes());
            for _ in 0..2 {
                accounts
                    .may_send(&peer, None, content, MAX_REQUEST_BYTES)
                    .unwrap_or_else(|e| panic!("download {download}: {e}"));
                accounts
                    .receipt(&peer, key, content, MAX_REQUEST_BYTES, false)
                    .unwrap();
            }
            // An endgame duplicate, cut by the downloader after 1 MiB arrived; the provider had written 1 MiB
            // and the hashes with it, and 64 KiB more that were in flight when the downloader reset the stream.
            accounts
                .may_send(&peer, None, content, MAX_REQUEST_BYTES)
                .unwrap_or_else(|e| panic!("download {download}: {e}"));
            accounts
                .receipt(&peer, key, content, 1 << 20, false)
                .unwrap();
            let written = (1 << 20) + (1 << 20) / GROUP_BYTES * 64 + (64 << 10);
            accounts.delivered(&peer, content, MAX_REQUEST_BYTES, written);
            accounts.settle();
        }
    }
    #[test]
    fn two_concurrent_honest_downloads_under_one_key_fit_the_limit() {
        // Found by an attacker review (M1): two downloads under one key (two tabs, a dApp's users sharing its key)
        // each keep their batches in flight; the second was refused though neither owed anything old.
        let key = ClientKey([6; 32]);
        let (a, b) = (PeerId::random(), PeerId::random());
        let mut accounts = Accounts::default();
        for (peer, content) in [(a, BLOB), (b, OTHER)] {
            accounts
                .may_send(&peer, None, content, GROUP_BYTES)
                .unwrap();
            accounts
                .receipt(&peer, key, content, GROUP_BYTES, false)
                .unwrap();
        }
        for (peer, content) in [(a, BLOB), (b, OTHER)] {
            for _ in 0..Scheduler::<PeerId>::BATCHES_IN_FLIGHT {
                assert_eq!(
                    accounts.may_send(&peer, None, content, MAX_REQUEST_BYTES),
                    Ok(()),
                    "{peer}"
                );
            }
        }
    }

    #[test]
    fn what_a_provider_did_not_write_is_refunded_and_no_more() {
        let (peer, key) = (PeerId::random(), ClientKey([9; 32]));
        let mut accounts = Accounts::default();
        accounts.may_send(&peer, None, BLOB, BATCH).unwrap();
        accounts.receipt(&peer, key, BLOB, 4 << 20, false).unwrap();
        // The request is cut after 5 MiB were written: 11 MiB are refunded, 1 MiB is still owed.
        accounts.delivered(&peer, BLOB, BATCH, 5 << 20);
        assert_eq!(accounts.debts[&Debtor::Client(key)], 1 << 20);
        assert!(accounts
            .receipt(&peer, key, BLOB, (1 << 20) + 1, false)
            .is_err());
        // A request that wrote all it was admitted for (its encoding is larger) refunds nothing...
        accounts.may_send(&peer, None, BLOB, BATCH).unwrap();
        accounts.delivered(&peer, BLOB, BATCH, BATCH + 4096);
        assert_eq!(accounts.debts[&Debtor::Client(key)], BATCH + (1 << 20));
        // ...and no refund takes back what receipts already cover.
        accounts.delivered(&peer, BLOB, 4 * BATCH, 0);
        assert_eq!(accounts.debts[&Debtor::Client(key)], 0);
        accounts.receipt(&peer, key, BLOB, 0, false).unwrap();
        assert!(accounts.receipt(&peer, key, BLOB, 1, false).is_err());
    }

    #[test]
    fn rotating_peer_ids_from_one_host_does_not_renew_its_allowance() {
        // Found by an attacker review (H6): every fresh peer id had a free UNRECEIPTED_LIMIT of its own.
        let host = |ip: &str| Some(Host::of(ip.parse().unwrap()));
        let mut accounts = Accounts::default();
        let mut unpaid = 0;
        for i in 0..100u32 {
            // Fresh peer ids, from addresses of one IPv6 /64.
            let (peer, from) = (PeerId::random(), host(&format!("2001:db8:0:1::{i:x}")));
            unpaid += drain(&mut accounts, &peer, from, BLOB);
        }
        assert!(unpaid <= UNRECEIPTED_LIMIT, "{unpaid} bytes unpaid");
        // Another host is served, and the first one again next epoch.
        accounts
            .may_send(&PeerId::random(), host("2001:db8:0:2::1"), BLOB, BATCH)
            .unwrap();
        accounts.settle();
        accounts
            .may_send(&PeerId::random(), host("2001:db8:0:1::1"), BLOB, BATCH)
            .unwrap();
    }

    #[test]
    fn a_host_cannot_launder_its_debt_into_a_client_key_and_start_afresh() {
        // Second attacker review: when a peer first signs, what it owes moves from its host to its key with no
        // check on the key's total. So one host drains its allowance with a fresh peer id, signs a one-byte
        // receipt under one key it holds (any dApp's authorized key, its own), and its host owes nothing
        // again: the next fresh peer id from the same host is served another UNRECEIPTED_LIMIT, for ever.
        let host = Some(Host::of("203.0.113.9".parse().unwrap()));
        let key = ClientKey([11; 32]);
        let mut accounts = Accounts::default();
        let mut unpaid = 0;
        for _ in 0..20 {
            let peer = PeerId::random();
            let sent = drain(&mut accounts, &peer, host, BLOB);
            // One byte receipted, in a new session (a fresh peer id has sessions to spare).
            if sent > 0 {
                accounts.receipt(&peer, key, BLOB, 1, true).unwrap();
                unpaid += sent - 1;
            }
        }
        assert!(
            unpaid <= 2 * UNRECEIPTED_LIMIT,
            "one host and one key got {unpaid} bytes unpaid ({}x the limit) in one epoch",
            unpaid / UNRECEIPTED_LIMIT
        );
    }

    #[test]
    fn a_peer_sharing_the_attackers_host_gets_its_first_batch() {
        // Second attacker review: every peer reached through one relay counts as the relay's host
        // (hosts::Host::of_connection), and so does a peer whose oldest connection is relayed even after a hole
        // punch; bytes are owed from admission until the GET ends. An attacker reaching the edge through its
        // relay keeps GETs admitted (and unread) worth UNRECEIPTED_LIMIT: an honest downloader arriving through
        // the same relay is refused its first batch, so it can never sign a receipt and become a paying key.
        let relay = Some(Host::of("198.51.100.1".parse().unwrap()));
        let mut accounts = Accounts::default();
        let attacker = PeerId::random();
        assert!(drain(&mut accounts, &attacker, relay, BLOB) > 0);
        let honest = PeerId::random();
        assert_eq!(
            accounts.may_send(&honest, relay, OTHER, GROUP_BYTES),
            Ok(()),
            "an honest newcomer behind the same relay is refused its first group"
        );
    }

    #[test]
    fn peer_ids_of_an_indebted_key_are_not_kept_for_ever() {
        // Second attacker review: settle() keeps every peer bound to a key that owes anything, even a peer with
        // nothing left unreceipted. A client leaves one byte unreceipted once, then uses a fresh peer id per
        // 16 KiB it receipts in full: each one stays in the map, epoch after epoch.
        let key = ClientKey([12; 32]);
        let mut accounts = Accounts::default();
        let first = PeerId::random();
        accounts.may_send(&first, None, BLOB, GROUP_BYTES).unwrap();
        accounts
            .receipt(&first, key, BLOB, GROUP_BYTES - 1, true)
            .unwrap();
        for i in 0..1_000u32 {
            let peer = PeerId::random();
            let host = Some(Host::of(std::net::Ipv4Addr::from(i).into()));
            accounts.may_send(&peer, host, BLOB, GROUP_BYTES).unwrap();
            accounts
                .receipt(&peer, key, BLOB, GROUP_BYTES, true)
                .unwrap();
        }
        accounts.settle();
        assert!(
            accounts.peers.len() <= 1,
            "{} peers kept with nothing owed on them",
            accounts.peers.len()
        );
    }

    #[test]
    fn a_client_cannot_grow_the_ledger_with_one_byte_sessions() {
        // Found by an attacker review (M8): every session is a row of the ledger and a leaf of the work report,
        // and one 16 MiB delivery could be receipted in 16 Mi sessions of one byte.
        let (peer, key) = (PeerId::random(), ClientKey([10; 32]));
        let mut accounts = Accounts::default();
        accounts.may_send(&peer, None, BLOB, BATCH).unwrap();
        for _ in 0..MAX_SESSIONS_PER_DELIVERY {
            accounts.receipt(&peer, key, BLOB, 1, true).unwrap();
        }
        assert_eq!(
            accounts.receipt(&peer, key, BLOB, 1, true),
            Err(Inadmissible::TooManySessions)
        );
        // The sessions already open go on; a session whose receipt was not stored is given back.
        accounts.receipt(&peer, key, BLOB, 1, false).unwrap();
        accounts.unreceipt(&peer, BLOB, 1, true);
        accounts.receipt(&peer, key, BLOB, 1, true).unwrap();
        // The next epoch's terms need new sessions.
        accounts.settle();
        accounts.receipt(&peer, key, BLOB, 1, true).unwrap();
    }

    /// Found when a change sized the limit for a key's two concurrent downloads: a stranger that never signs
    /// then took 80 MiB free from one edge. A host that never signs gets one download's first batches.
    #[test]
    fn a_host_that_never_signs_gets_one_downloads_first_batches_only() {
        let mut accounts = Accounts::default();
        let host = Some(Host::of(std::net::Ipv4Addr::new(203, 0, 113, 9).into()));
        let peer = PeerId::random();
        let mut sent = 0;
        while accounts.may_send(&peer, host, BLOB, BATCH).is_ok() {
            sent += BATCH;
        }
        assert!(sent <= UNSIGNED_LIMIT, "{sent} bytes unpaid");
        assert!(
            sent >= Scheduler::<PeerId>::BATCHES_IN_FLIGHT as u64 * BATCH,
            "room for the first batches"
        );
    }
}
