//! # enreach-gpow: an edge's Generalized Proof of Work duties
//!
//! What turns served bytes into verified work on chain: [`collector`] (the edge's receipt terms, the check that
//! a dApp pays for the client key, the [`accounts`] of bytes sent against bytes receipted) records receipts in
//! the [`receipts`] ledger (compute receipts and their transcripts too: [`compute_ledger`]); [`agent`] does the edge's duties each epoch (report, answer the challenge, prove
//! pinned storage); [`keeper`] is the keeper role (assignment, PeerDTS probes, compute replays, observations), which
//! [`transcripts`] answers on the node's side.
//!
//! Below it: `enreach-dts` (receipts arrive on its `RECEIPT` substream; [`collector::Collector`] implements its
//! `serve::ReceiptCollector`) and `enreach-edge-chain`.

pub mod accounts;
pub mod agent;
pub mod collector;
pub mod compute;
mod compute_journal;
pub mod compute_ledger;
pub mod compute_wire;
pub mod keeper;
pub mod models;
pub mod receipts;
pub mod replay;
pub mod transcripts;

/// `mutex`'s guard, also after a thread panicked holding it: what the crate guards stays usable (a ledger's
/// journal, a collector's sessions), so one panic does not stop every later call.
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
