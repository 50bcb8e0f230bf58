//! Compute receipts and the transcripts they sign, in the receipt ledger's database: what the work report's
//! compute leaves are built from, and what a challenge or a keeper's replay asks the node to reveal.
//!
//! A session's latest receipt replaces the one before (receipts are cumulative); its steps are written once
//! each, when a receipt first covers them, so a long session costs one row per request rather than its whole
//! transcript at every receipt. Next to each step the node keeps the request as the app received it
//! ([`RecordedInvocation`]), since a keeper that replays the step needs it.
//!
//! Writes come with every paid call, so they go through the ledger's journal ([`crate::compute_journal`]): a
//! receipt is checked against its session's transcript and appended with the steps it covers before the
//! request it came with runs (a node killed then loses no receipt it served on), and the tables take the
//! journal in large transactions, before anything reads them. [`Ledger::sync`] makes everything durable
//! against the machine failing too; the node calls it as an epoch ends, before reporting. [`ComputeWriter`]
//! is the apps role's handle on it.

use std::{collections::HashMap, path::Path, sync::Arc, time::Duration};

use codec::{Decode, Encode};
use enreach_primitives::{
    compute::transcript_step, ClientKey, ComputeReceipt, ComputeStep, EpochIndex, Hash32, SessionId,
};
use redb::{Database, Durability, ReadableTable, TableDefinition};
use tracing::warn;

use crate::{
    compute_journal::{self, Journal, Position, APPLIED_KEY, JOURNAL_APPLIED, MAX_PENDING_BYTES},
    lock,
    receipts::{corrupt, failed, Ledger, LedgerError, ReceiptKey},
};

/// Latest compute receipt per session, SCALE-encoded, keyed and ordered like delivery receipts.
pub(crate) const COMPUTE_RECEIPTS: TableDefinition<ReceiptKey, &[u8]> =
    TableDefinition::new("compute_receipts");

/// Where a step is filed: its session's key and its index in the session.
type StepKey = (u32, [u8; 16], [u8; 32], u32);

/// Every receipted step of every session, SCALE-encoded.
pub(crate) const COMPUTE_STEPS: TableDefinition<StepKey, &[u8]> =
    TableDefinition::new("compute_steps");

fn mismatch(what: &str) -> LedgerError {
    LedgerError::TranscriptMismatch(what.into())
}

/// Where each receipted step's invocation is kept for the keepers that replay it (see [`RecordedInvocation`]),
/// keyed like the steps.
pub(crate) const COMPUTE_INVOCATIONS: TableDefinition<StepKey, &[u8]> =
    TableDefinition::new("compute_invocations");

/// What a replay of one request needs beyond the signed transcript: the invocation (the SCALE encoding of
/// `enreach_hvm::Invocation`, whose hash the step signs) and the memory limit the instance ran with, which
/// decides where an app runs out of memory. The limit is not signed: a node that states another one only makes
/// its own replay differ.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct RecordedInvocation {
    pub memory_bytes: u64,
    pub invocation: Vec<u8>,
}

impl RecordedInvocation {
    pub fn new(invocation: &enreach_hvm::Invocation, memory_bytes: u64) -> Self {
        Self {
            memory_bytes,
            invocation: invocation.encode(),
        }
    }
}

/// One write to the compute tables ([`Ledger::append_compute`]).
#[derive(Clone, Debug, Encode, Decode)]
pub enum ComputeWrite {
    /// A receipt with the steps from index `from` on that it may cover ([`Ledger::record_compute`]).
    Receipt {
        receipt: ComputeReceipt,
        from: u32,
        steps: Vec<ComputeStep>,
    },
    /// The invocation of request `index` of `client`'s `session` in `epoch`, kept before its answer leaves.
    Invocation {
        epoch: EpochIndex,
        client: ClientKey,
        session: SessionId,
        index: u32,
        record: RecordedInvocation,
    },
}

impl Ledger {
    /// Records `receipt` with the steps it covers that the ledger lacks: `steps` are the session's steps from
    /// index `from` on, where `from` is at most the number the ledger holds. The new steps must continue the
    /// recorded transcript to exactly the receipt's head and units (a ledger never holds a leaf whose transcript
    /// the node cannot reveal). A receipt that adds no request to its session is not recorded
    /// ([`LedgerError::NotNewer`]).
    pub fn record_compute(
        &self,
        receipt: &ComputeReceipt,
        from: u32,
        steps: &[ComputeStep],
    ) -> Result<(), LedgerError> {
        let write = ComputeWrite::Receipt {
            receipt: receipt.clone(),
            from,
            steps: steps.to_vec(),
        };
        self.append_one(write)
    }

    fn append_one(&self, write: ComputeWrite) -> Result<(), LedgerError> {
        let mut results = self.append_compute(std::slice::from_ref(&write));
        results.pop().expect("one result per write")
    }

    /// Checks `writes` in order and appends those it takes to the journal in one `write`; each one's result. A
    /// write refused for what it says (an older receipt, steps that do not add up to it) leaves the others in,
    /// and a failed append fails them all. One append for many writes is what lets a busy node record a
    /// receipt and an invocation with every request ([`ComputeWriter`]).
    pub fn append_compute(&self, writes: &[ComputeWrite]) -> Vec<Result<(), LedgerError>> {
        let mut appending = lock(&self.appending);
        // Where each session's transcript stands after this group's receipts so far.
        let mut moved: HashMap<ReceiptKey, Tip> = HashMap::new();
        let (mut records, mut taken) = (Vec::new(), Vec::new());
        let mut results = Vec::with_capacity(writes.len());
        for write in writes {
            let result = match write {
                // An epoch pruned already: nothing would keep it.
                _ if write.epoch() < appending.floor => Err(LedgerError::NotOurs),
                ComputeWrite::Receipt {
                    receipt,
                    from,
                    steps,
                } => {
                    let key = receipt_key(receipt);
                    match moved.get(&key).or_else(|| appending.tips.get(&key)) {
                        Some(tip) => Ok(*tip),
                        None => self.with_db(|db| applied_tip(db, key)),
                    }
                    .and_then(|tip| tip.advance(receipt, *from, steps))
                    .map(|_| {
                        moved.insert(key, Tip::of(receipt));
                    })
                }
                ComputeWrite::Invocation { .. } => Ok(()),
            };
            if result.is_ok() {
                let size = compute_journal::encode(write, &mut records);
                taken.push((write.clone(), size));
            }
            results.push(result);
        }
        if taken.is_empty() {
            return results;
        }
        let journal = &mut appending.journal;
        let appended = if journal.pending_bytes + records.len() > MAX_PENDING_BYTES {
            Err(LedgerError::Io(
                "the compute journal is backed up: the ledger's tables do not take it".into(),
            ))
        } else {
            journal.append(&records).map_err(failed)
        };
        match appended {
            Ok(()) => {
                journal.pending.extend(taken);
                journal.pending_bytes += records.len();
                appending.tips.extend(moved);
            }
            Err(e) => {
                for result in results.iter_mut().filter(|r| r.is_ok()) {
                    *result = Err(e.clone());
                }
            }
        }
        results
    }

    /// Moves what the journal holds into the tables, in one transaction that also records how far they took
    /// it. On failure (a panic inside the database included) the writes stay pending, to be tried again.
    pub(crate) fn apply_journal(&self) -> Result<(), LedgerError> {
        let _applying = lock(&self.applying);
        let (taken, at) = {
            let journal = &mut lock(&self.appending).journal;
            (std::mem::take(&mut journal.pending), journal.end())
        };
        if taken.is_empty() {
            return Ok(());
        }
        let committed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.with_db(|db| {
                let writes = taken.iter().map(|(write, _)| write);
                commit_compute(db, writes, at, Durability::Eventual)
            })
        }))
        .unwrap_or_else(|_| {
            Err(LedgerError::Database(
                "applying the compute journal panicked".into(),
            ))
        });
        let mut appending = lock(&self.appending);
        match committed {
            Ok(()) => {
                appending.journal.pending_bytes -=
                    taken.iter().map(|(_, size)| size).sum::<usize>();
                appending.journal.forget_before(at.0);
                Ok(())
            }
            Err(e) => {
                let later = std::mem::replace(&mut appending.journal.pending, taken);
                appending.journal.pending.extend(later);
                Err(e)
            }
        }
    }

    /// Brings the tables up to the journal before they are read. They are a prefix of the journal whether
    /// or not this succeeds (a full disk), so a reader that goes on reads a consistent ledger: the newest
    /// writes may be missing, but no receipt without its steps.
    pub(crate) fn catch_up(&self) {
        if let Err(e) = self.apply_journal() {
            warn!(%e, "the compute journal cannot go into the ledger's tables now");
        }
    }

    /// The kept invocations of requests `indices` of `client`'s `session` in `epoch`, in that order; `None`
    /// for one the ledger lacks.
    pub fn compute_invocations(
        &self,
        epoch: EpochIndex,
        client: ClientKey,
        session: SessionId,
        indices: &[u32],
    ) -> Result<Vec<Option<RecordedInvocation>>, LedgerError> {
        self.catch_up();
        self.with_db(|db| {
            let tx = db.begin_read().map_err(failed)?;
            let table = tx.open_table(COMPUTE_INVOCATIONS).map_err(failed)?;
            indices
                .iter()
                .map(|&index| {
                    match table
                        .get((epoch, session.0, client.0, index))
                        .map_err(failed)?
                    {
                        Some(bytes) => RecordedInvocation::decode(&mut bytes.value())
                            .map(Some)
                            .map_err(corrupt),
                        None => Ok(None),
                    }
                })
                .collect()
        })
    }

    /// The latest compute receipt of every session in `epoch`, in ledger order.
    pub fn compute_receipts(&self, epoch: EpochIndex) -> Result<Vec<ComputeReceipt>, LedgerError> {
        self.catch_up();
        self.with_db(|db| {
            let tx = db.begin_read().map_err(failed)?;
            let table = tx.open_table(COMPUTE_RECEIPTS).map_err(failed)?;
            table
                .range((epoch, [0; 16], [0; 32])..=(epoch, [0xff; 16], [0xff; 32]))
                .map_err(failed)?
                .map(|entry| {
                    let (_, value) = entry.map_err(failed)?;
                    ComputeReceipt::decode(&mut value.value()).map_err(corrupt)
                })
                .collect()
        })
    }

    /// The receipted steps of `client`'s `session` in `epoch`, in order: the transcript its latest receipt
    /// signs.
    pub fn compute_transcript(
        &self,
        epoch: EpochIndex,
        client: ClientKey,
        session: SessionId,
    ) -> Result<Vec<ComputeStep>, LedgerError> {
        self.catch_up();
        self.with_db(|db| {
            let tx = db.begin_read().map_err(failed)?;
            let table = tx.open_table(COMPUTE_STEPS).map_err(failed)?;
            let (s, c) = (session.0, client.0);
            table
                .range((epoch, s, c, 0)..=(epoch, s, c, u32::MAX))
                .map_err(failed)?
                .map(|entry| {
                    let (_, value) = entry.map_err(failed)?;
                    ComputeStep::decode(&mut value.value()).map_err(corrupt)
                })
                .collect()
        })
    }

    /// Makes every write so far durable: the journal goes into the tables, and a commit waits for the disk.
    pub fn sync(&self) -> Result<(), LedgerError> {
        self.apply_journal()?;
        self.with_db(|db| {
            let mut tx = db.begin_write().map_err(failed)?;
            tx.set_durability(Durability::Immediate);
            tx.commit().map_err(failed)
        })
    }
}

/// How often the journal goes into the tables when nothing reads them sooner: a transaction a second rewrites
/// each B-tree page it touches once for thousands of calls.
const APPLY_EVERY: Duration = Duration::from_secs(1);

/// Where a node's paid calls write: the ledger's journal, appended to on the caller's thread (one `write` of a
/// few hundred bytes to the page cache costs less than handing the write to another thread and being woken
/// with its answer: a busy node spent a tenth of its CPU on that), with a thread that applies the journal to
/// the tables every [`APPLY_EVERY`], off the calls' path.
#[derive(Clone)]
pub struct ComputeWriter {
    ledger: Arc<Ledger>,
}

impl ComputeWriter {
    /// A writer for `ledger`, and its applying thread, which ends with the ledger.
    pub fn start(ledger: Arc<Ledger>) -> Self {
        let applied = Arc::downgrade(&ledger);
        std::thread::Builder::new()
            .name("compute-journal".into())
            .spawn(move || loop {
                std::thread::sleep(APPLY_EVERY);
                let Some(ledger) = applied.upgrade() else {
                    return;
                };
                if let Err(e) = ledger.apply_journal() {
                    warn!(%e, "applying the compute journal failed; trying again");
                }
            })
            .expect("the compute journal's thread starts");
        Self { ledger }
    }

    /// Appends `write` ([`Ledger::append_compute`]).
    pub fn write(&self, write: ComputeWrite) -> Result<(), LedgerError> {
        self.ledger.append_one(write)
    }
}

/// The ledger's appending side: the journal, and where each session's transcript stands in it.
pub(crate) struct Appending {
    journal: Journal,
    /// Each session's latest appended receipt, as far as the next one must lead on from; sessions the journal
    /// has not seen since the ledger opened are read from the tables.
    tips: HashMap<ReceiptKey, Tip>,
    /// Epochs before it are pruned: writes for them are refused.
    floor: EpochIndex,
}

impl Appending {
    /// Refuses writes for epochs before `epoch` from now on and drops those pending: the epochs are pruned.
    pub(crate) fn prune_before(&mut self, epoch: EpochIndex) {
        self.floor = self.floor.max(epoch);
        self.tips.retain(|(e, _, _), _| *e >= epoch);
        let journal = &mut self.journal;
        let mut dropped = 0;
        journal.pending.retain(|(write, size)| {
            let kept = write.epoch() >= epoch;
            if !kept {
                dropped += size;
            }
            kept
        });
        journal.pending_bytes -= dropped;
    }
}

impl ComputeWrite {
    fn epoch(&self) -> EpochIndex {
        match self {
            ComputeWrite::Receipt { receipt, .. } => receipt.epoch,
            ComputeWrite::Invocation { epoch, .. } => *epoch,
        }
    }
}

/// Opens the journal of the ledger at `path` (its tables in `db`): what a crash left in it goes into the
/// tables first, and appends go to a new file.
pub(crate) fn open_journal(path: &Path, db: &Database) -> Result<Appending, LedgerError> {
    let dir = compute_journal::dir_of(path);
    let applied = {
        let tx = db.begin_read().map_err(failed)?;
        let table = tx.open_table(JOURNAL_APPLIED).map_err(failed)?;
        let applied = table.get(APPLIED_KEY).map_err(failed)?;
        applied.map(|a| a.value()).unwrap_or((0, 0))
    };
    let (writes, last) = compute_journal::recover(&dir, applied).map_err(failed)?;
    let next = last + 1;
    // Durable before the files it came from are deleted.
    commit_compute(db, &writes, (next, 0), Durability::Immediate)?;
    Ok(Appending {
        journal: Journal::start(&dir, next).map_err(failed)?,
        tips: HashMap::new(),
        floor: 0,
    })
}

/// Applies journaled `writes` in one transaction, in order, with the journal position `applied` they reach. A
/// write the tables refuse (checked when it was appended, so only after a bug) is left out and logged.
fn commit_compute<'a>(
    db: &Database,
    writes: impl IntoIterator<Item = &'a ComputeWrite>,
    applied: Position,
    durability: Durability,
) -> Result<(), LedgerError> {
    let mut tx = db.begin_write().map_err(failed)?;
    tx.set_durability(durability);
    {
        let mut receipts = tx.open_table(COMPUTE_RECEIPTS).map_err(failed)?;
        let mut steps = tx.open_table(COMPUTE_STEPS).map_err(failed)?;
        let mut invocations = tx.open_table(COMPUTE_INVOCATIONS).map_err(failed)?;
        for write in writes {
            let result = match write {
                ComputeWrite::Receipt {
                    receipt,
                    from,
                    steps: new,
                } => record_receipt(&mut receipts, &mut steps, receipt, *from, new),
                ComputeWrite::Invocation {
                    epoch,
                    client,
                    session,
                    index,
                    record,
                } => invocations
                    .insert(
                        (*epoch, session.0, client.0, *index),
                        record.encode().as_slice(),
                    )
                    .map(|_| ())
                    .map_err(failed),
            };
            match result {
                Ok(()) => {}
                Err(e @ (LedgerError::NotNewer | LedgerError::TranscriptMismatch(_))) => {
                    warn!(%e, "the ledger refused a journaled compute write")
                }
                // Any other error may have left the transaction half-written.
                Err(e) => return Err(e),
            }
        }
        tx.open_table(JOURNAL_APPLIED)
            .map_err(failed)?
            .insert(APPLIED_KEY, applied)
            .map_err(failed)?;
    }
    tx.commit().map_err(failed)
}

/// Where a session's transcript stands: after its latest receipt.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Tip {
    requests: u32,
    head: Hash32,
    units: u64,
}

impl Tip {
    fn of(receipt: &ComputeReceipt) -> Self {
        Self {
            requests: receipt.requests,
            head: receipt.transcript,
            units: receipt.cumulative_units,
        }
    }

    /// The steps among `steps` (the session's from index `from` on) that lead from this tip to `receipt`,
    /// checked to reach exactly its head and units.
    fn advance<'a>(
        &self,
        receipt: &ComputeReceipt,
        from: u32,
        steps: &'a [ComputeStep],
    ) -> Result<&'a [ComputeStep], LedgerError> {
        if receipt.requests <= self.requests {
            return Err(LedgerError::NotNewer);
        }
        let new = (self.requests.checked_sub(from))
            .and_then(|skip| steps.get(skip as usize..(receipt.requests - from) as usize))
            .ok_or_else(|| mismatch("the steps do not reach from the ledger to the receipt"))?;
        let (mut head, mut units) = (self.head, self.units);
        for step in new {
            head = transcript_step(&head, step);
            units = units
                .checked_add(step.units)
                .ok_or_else(|| mismatch("units overflow"))?;
        }
        if head != receipt.transcript || units != receipt.cumulative_units {
            return Err(mismatch("the steps do not add up to the receipt"));
        }
        Ok(new)
    }
}

fn receipt_key(receipt: &ComputeReceipt) -> ReceiptKey {
    (receipt.epoch, receipt.session.0, receipt.client.0)
}

/// The tip of session `key` as the tables hold it.
fn applied_tip(db: &Database, key: ReceiptKey) -> Result<Tip, LedgerError> {
    let tx = db.begin_read().map_err(failed)?;
    held_tip(&tx.open_table(COMPUTE_RECEIPTS).map_err(failed)?, key)
}

/// The tip of session `key` in `receipts` (the tables' latest receipt per session, read or being written).
fn held_tip(
    receipts: &impl ReadableTable<ReceiptKey, &'static [u8]>,
    key: ReceiptKey,
) -> Result<Tip, LedgerError> {
    match receipts.get(key).map_err(failed)? {
        Some(bytes) => Ok(Tip::of(
            &ComputeReceipt::decode(&mut bytes.value()).map_err(corrupt)?,
        )),
        None => Ok(Tip::default()),
    }
}

/// A receipt and its new steps into the tables, checked against the session's tip there.
fn record_receipt(
    receipts: &mut redb::Table<ReceiptKey, &[u8]>,
    table: &mut redb::Table<StepKey, &[u8]>,
    receipt: &ComputeReceipt,
    from: u32,
    steps: &[ComputeStep],
) -> Result<(), LedgerError> {
    let key = receipt_key(receipt);
    let tip = held_tip(receipts, key)?;
    let new = tip.advance(receipt, from, steps)?;
    for (index, step) in (tip.requests..).zip(new) {
        table
            .insert((key.0, key.1, key.2, index), step.encode().as_slice())
            .map_err(failed)?;
    }
    receipts
        .insert(key, receipt.encode().as_slice())
        .map_err(failed)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};
    use enreach_primitives::compute::transcript_head;

    fn step(n: u8) -> ComputeStep {
        ComputeStep {
            invocation: [n; 32],
            response: [n.wrapping_add(1); 32],
            units: 1000 + n as u64,
            replayable: true,
        }
    }

    /// A receipt of `key` over the first `requests` of `steps`.
    fn receipt(
        key: &SigningKey,
        session: u8,
        steps: &[ComputeStep],
        requests: u32,
    ) -> ComputeReceipt {
        let covered = &steps[..requests as usize];
        let mut receipt = ComputeReceipt {
            genesis_hash: [1; 32],
            epoch: 7,
            node: enreach_primitives::NodeId([2; 32]),
            client: ClientKey(key.verifying_key().to_bytes()),
            code: enreach_primitives::ContentId([3; 32]),
            session: SessionId([session; 16]),
            requests,
            cumulative_units: covered.iter().map(|s| s.units).sum(),
            transcript: transcript_head(covered),
            signature: [0; 64],
        };
        receipt.signature = key.sign(&receipt.signing_payload()).to_bytes();
        receipt
    }

    #[test]
    fn receipts_and_their_transcripts_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.redb");
        let key = SigningKey::from_bytes(&[9; 32]);
        let steps: Vec<_> = (0..5).map(step).collect();
        {
            let ledger = Ledger::open(&path).unwrap();
            // Each receipt hands over the steps since the last one; the first all of them from 0.
            for (requests, from) in [(2, 0), (3, 2), (5, 3)] {
                let signed = receipt(&key, 1, &steps, requests);
                ledger
                    .record_compute(&signed, from, &steps[from as usize..])
                    .unwrap();
            }
            // An older receipt of the session, or one that adds nothing, is not recorded.
            assert!(matches!(
                ledger.record_compute(&receipt(&key, 1, &steps, 4), 0, &steps),
                Err(LedgerError::NotNewer)
            ));
            ledger
                .record_compute(&receipt(&key, 2, &steps, 1), 0, &steps)
                .unwrap();
            ledger.sync().unwrap();
        }
        let ledger = Ledger::open(&path).unwrap();
        let receipts = ledger.compute_receipts(7).unwrap();
        assert_eq!(
            receipts
                .iter()
                .map(|r| (r.session.0[0], r.requests))
                .collect::<Vec<_>>(),
            [(1, 5), (2, 1)]
        );
        let client = ClientKey(key.verifying_key().to_bytes());
        let transcript = ledger
            .compute_transcript(7, client, SessionId([1; 16]))
            .unwrap();
        assert_eq!(transcript, steps);
        assert!(receipts[0].matches(&transcript));
        assert!(ledger.compute_receipts(8).unwrap().is_empty());
        // Pruning drops both the receipts and the steps of older epochs.
        ledger.prune_before(8).unwrap();
        assert!(ledger.compute_receipts(7).unwrap().is_empty());
        assert!(ledger
            .compute_transcript(7, client, SessionId([1; 16]))
            .unwrap()
            .is_empty());
    }

    /// The ledger keeps only what a receipt signs: steps that do not add up to the receipt's head are refused,
    /// so a report never carries a leaf whose transcript the node cannot reveal.
    #[test]
    fn steps_other_than_the_signed_ones_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(&dir.path().join("ledger.redb")).unwrap();
        let key = SigningKey::from_bytes(&[9; 32]);
        let steps: Vec<_> = (0..3).map(step).collect();
        let signed = receipt(&key, 1, &steps, 3);
        let mut other = steps.clone();
        other[1].units += 1;
        assert!(ledger.record_compute(&signed, 0, &other).is_err());
        assert!(ledger.record_compute(&signed, 0, &steps[..2]).is_err());
        // Steps that start past what the ledger holds leave a gap.
        assert!(ledger.record_compute(&signed, 1, &steps[1..]).is_err());
        assert!(ledger.compute_receipts(7).unwrap().is_empty());
        ledger.record_compute(&signed, 0, &steps).unwrap();
        // A later receipt's new steps must lead from the recorded transcript to its head.
        let mut longer: Vec<_> = steps.clone();
        longer.push(step(9));
        let next = receipt(&key, 1, &longer, 4);
        let mut forked = longer.clone();
        forked[3].units += 1;
        assert!(ledger.record_compute(&next, 3, &forked[3..]).is_err());
        ledger.record_compute(&next, 3, &longer[3..]).unwrap();
    }
    /// One commit for many writes: a write refused for what it says is refused alone, the others land, and
    /// invocations are kept and pruned with their steps.
    #[test]
    fn grouped_writes_keep_each_ones_result() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Arc::new(Ledger::open(&dir.path().join("ledger.redb")).unwrap());
        let key = SigningKey::from_bytes(&[9; 32]);
        let client = ClientKey(key.verifying_key().to_bytes());
        let steps: Vec<_> = (0..3).map(step).collect();
        let kept = |n: u8| RecordedInvocation {
            memory_bytes: 64 << 20,
            invocation: vec![n; 100],
        };
        let mut forged = steps.clone();
        forged[0].units += 1;
        let writes = vec![
            ComputeWrite::Receipt {
                receipt: receipt(&key, 1, &steps, 2),
                from: 0,
                steps: steps.clone(),
            },
            ComputeWrite::Receipt {
                receipt: receipt(&key, 2, &steps, 3),
                from: 0,
                steps: forged,
            },
            ComputeWrite::Invocation {
                epoch: 7,
                client,
                session: SessionId([1; 16]),
                index: 1,
                record: kept(1),
            },
            // Sees the first write of its own batch.
            ComputeWrite::Receipt {
                receipt: receipt(&key, 1, &steps, 3),
                from: 2,
                steps: steps[2..].to_vec(),
            },
        ];
        let results = ledger.append_compute(&writes);
        assert!(
            results[0].is_ok() && results[2].is_ok() && results[3].is_ok(),
            "{results:?}"
        );
        assert!(matches!(
            results[1],
            Err(LedgerError::TranscriptMismatch(_))
        ));
        // Through the writer thread: the session leads on from the group above.
        let writer = ComputeWriter::start(ledger.clone());
        let mut longer = steps.clone();
        longer.push(step(3));
        let next = ComputeWrite::Receipt {
            receipt: receipt(&key, 1, &longer, 4),
            from: 3,
            steps: longer[3..].to_vec(),
        };
        writer.write(next.clone()).unwrap();
        assert!(matches!(writer.write(next), Err(LedgerError::NotNewer)));
        let receipts = ledger.compute_receipts(7).unwrap();
        assert_eq!(receipts.len(), 1);
        assert_eq!(receipts[0].requests, 4);
        assert_eq!(
            ledger
                .compute_invocations(7, client, SessionId([1; 16]), &[1, 0])
                .unwrap(),
            vec![Some(kept(1)), None]
        );
        ledger.prune_before(8).unwrap();
        assert_eq!(
            ledger
                .compute_invocations(7, client, SessionId([1; 16]), &[1])
                .unwrap(),
            vec![None]
        );
    }

    fn invocation(epoch: EpochIndex, client: ClientKey, index: u32) -> ComputeWrite {
        ComputeWrite::Invocation {
            epoch,
            client,
            session: SessionId([1; 16]),
            index,
            record: RecordedInvocation {
                memory_bytes: 1 << 20,
                invocation: vec![index as u8; 1000],
            },
        }
    }

    /// The journal files of the ledger at `path`, by generation.
    fn journal_files(path: &std::path::Path) -> Vec<std::path::PathBuf> {
        let dir = compute_journal::dir_of(path);
        let generations = compute_journal::generations(&dir).unwrap();
        generations
            .into_iter()
            .map(|g| compute_journal::file_of(&dir, g))
            .collect()
    }

    /// A node killed before the journal went into the tables loses nothing the journal took: the ledger takes
    /// it as it opens, once.
    #[test]
    fn what_the_journal_took_survives_a_kill() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.redb");
        let key = SigningKey::from_bytes(&[9; 32]);
        let client = ClientKey(key.verifying_key().to_bytes());
        let steps: Vec<_> = (0..4).map(step).collect();
        {
            let ledger = Ledger::open(&path).unwrap();
            ledger
                .record_compute(&receipt(&key, 1, &steps, 2), 0, &steps)
                .unwrap();
            let results = ledger.append_compute(&[
                invocation(7, client, 0),
                ComputeWrite::Receipt {
                    receipt: receipt(&key, 1, &steps, 4),
                    from: 2,
                    steps: steps[2..].to_vec(),
                },
            ]);
            assert!(results.iter().all(Result::is_ok), "{results:?}");
            // Dropped without anything read or synced: nothing went into the tables.
        }
        for _ in 0..2 {
            let ledger = Ledger::open(&path).unwrap();
            let receipts = ledger.compute_receipts(7).unwrap();
            assert_eq!(receipts.len(), 1);
            assert_eq!(receipts[0].requests, 4);
            assert_eq!(
                ledger
                    .compute_transcript(7, client, SessionId([1; 16]))
                    .unwrap(),
                steps
            );
            let kept = ledger
                .compute_invocations(7, client, SessionId([1; 16]), &[0])
                .unwrap();
            assert!(kept[0].is_some());
            // The next receipt leads on from what the journal held.
            assert!(matches!(
                ledger.record_compute(&receipt(&key, 1, &steps, 3), 2, &steps[2..]),
                Err(LedgerError::NotNewer)
            ));
        }
    }

    /// The tables take each journal record once: a receipt pruned after it went in does not come back when
    /// the ledger opens again and reads its journal, and writes for a pruned epoch are refused.
    #[test]
    fn the_journal_is_applied_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.redb");
        let key = SigningKey::from_bytes(&[9; 32]);
        let steps: Vec<_> = (0..2).map(step).collect();
        {
            let ledger = Ledger::open(&path).unwrap();
            ledger
                .record_compute(&receipt(&key, 1, &steps, 2), 0, &steps)
                .unwrap();
            assert_eq!(ledger.compute_receipts(7).unwrap().len(), 1);
            ledger.prune_before(8).unwrap();
            assert!(matches!(
                ledger.record_compute(&receipt(&key, 2, &steps, 2), 0, &steps),
                Err(LedgerError::NotOurs)
            ));
        }
        let ledger = Ledger::open(&path).unwrap();
        assert!(ledger.compute_receipts(7).unwrap().is_empty());
    }

    /// A process killed inside a journal `write` leaves a torn record at the end: it is cut off as the ledger
    /// opens, and what follows it later is read again.
    #[test]
    fn a_torn_record_ends_the_journal_and_no_more() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.redb");
        let client = ClientKey([5; 32]);
        {
            let ledger = Ledger::open(&path).unwrap();
            let results =
                ledger.append_compute(&[invocation(7, client, 0), invocation(7, client, 1)]);
            assert!(results.iter().all(Result::is_ok));
        }
        let mut torn = Vec::new();
        compute_journal::encode(&invocation(7, client, 2), &mut torn);
        torn.truncate(torn.len() / 2);
        let last = journal_files(&path).pop().unwrap();
        let mut file = std::fs::OpenOptions::new().append(true).open(last).unwrap();
        std::io::Write::write_all(&mut file, &torn).unwrap();
        {
            let ledger = Ledger::open(&path).unwrap();
            let kept = ledger
                .compute_invocations(7, client, SessionId([1; 16]), &[0, 1, 2])
                .unwrap();
            assert_eq!(
                kept.iter().map(Option::is_some).collect::<Vec<_>>(),
                [true, true, false]
            );
            assert!(ledger.append_compute(&[invocation(7, client, 3)])[0].is_ok());
        }
        let ledger = Ledger::open(&path).unwrap();
        let kept = ledger
            .compute_invocations(7, client, SessionId([1; 16]), &[0, 1, 2, 3])
            .unwrap();
        assert_eq!(
            kept.iter().map(Option::is_some).collect::<Vec<_>>(),
            [true, true, false, true]
        );
    }

    /// The journal moves on to new files as it grows, and files the tables took are deleted: its size follows
    /// what is pending, not what was ever written.
    #[test]
    fn applied_journal_files_are_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.redb");
        let client = ClientKey([5; 32]);
        let ledger = Ledger::open(&path).unwrap();
        for index in 0..20 {
            assert!(ledger.append_compute(&[invocation(7, client, index)])[0].is_ok());
        }
        assert!(journal_files(&path).len() > 2, "{:?}", journal_files(&path));
        let indices: Vec<u32> = (0..20).collect();
        let kept = ledger
            .compute_invocations(7, client, SessionId([1; 16]), &indices)
            .unwrap();
        assert!(kept.iter().all(Option::is_some));
        assert_eq!(journal_files(&path).len(), 1);
        drop(ledger);
        let ledger = Ledger::open(&path).unwrap();
        let kept = ledger
            .compute_invocations(7, client, SessionId([1; 16]), &indices)
            .unwrap();
        assert!(kept.iter().all(Option::is_some));
    }
}
