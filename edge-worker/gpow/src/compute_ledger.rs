//! Compute receipts and the transcripts they sign, in the receipt ledger's database: what the work report's
//! compute leaves are built from, and what a challenge or a keeper's replay asks the node to reveal.
//!
//! A session's latest receipt replaces the one before (receipts are cumulative); its steps are written once
//! each, when a receipt first covers them, so a long session costs one row per request rather than its whole
//! transcript at every receipt. A receipt is committed with the steps it covers in one transaction, before the
//! request it came with runs: a node that crashes loses no receipt it served on. Commits do not wait for the
//! disk (redb's eventual durability: they survive the process, not the machine, failing) since one comes with
//! every request; [`Ledger::sync`] makes everything durable, and the node calls it as an epoch ends, before
//! reporting. Next to each step the node keeps the request as the app received it ([`RecordedInvocation`]),
//! since a keeper that replays the step needs it; writes are committed in groups ([`ComputeWriter`]).

use std::sync::Arc;

use codec::{Decode, Encode};
use enreach_primitives::{
    compute::transcript_step, ClientKey, ComputeReceipt, ComputeStep, EpochIndex, SessionId,
};
use redb::{Durability, ReadableTable, TableDefinition};
use tokio::sync::oneshot;

use crate::receipts::{corrupt, failed, Ledger, LedgerError, ReceiptKey};

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

/// One write to the compute tables ([`Ledger::write_compute`]).
#[derive(Clone, Debug)]
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
        let mut results = self.write_compute(std::slice::from_ref(&write));
        results.pop().expect("one result per write")
    }

    /// Applies `writes` in one transaction, in order, and returns each one's result: a write refused for what
    /// it says (an older receipt, steps that do not add up) leaves the others in, and a failed commit fails
    /// them all. One commit for many writes is what lets a busy node record a receipt and an invocation with
    /// every request ([`ComputeWriter`]).
    pub fn write_compute(&self, writes: &[ComputeWrite]) -> Vec<Result<(), LedgerError>> {
        let outcome = self.with_db(|db| {
            let mut tx = db.begin_write().map_err(failed)?;
            tx.set_durability(Durability::Eventual);
            let mut results = Vec::with_capacity(writes.len());
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
                    // Only a refusal of what the write says is its own; any other error may have left the
                    // transaction half-written, and fails the whole batch.
                    if let Err(e) = &result {
                        if !matches!(
                            e,
                            LedgerError::NotNewer | LedgerError::TranscriptMismatch(_)
                        ) {
                            return Err(e.clone());
                        }
                    }
                    results.push(result);
                }
            }
            tx.commit().map_err(failed)?;
            Ok(results)
        });
        match outcome {
            Ok(results) => results,
            Err(e) => writes.iter().map(|_| Err(e.clone())).collect(),
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

    /// Makes every commit so far durable (an empty commit that waits for the disk).
    pub fn sync(&self) -> Result<(), LedgerError> {
        self.with_db(|db| {
            let mut tx = db.begin_write().map_err(failed)?;
            tx.set_durability(Durability::Immediate);
            tx.commit().map_err(failed)
        })
    }
}

/// Most writes one commit takes, so the first of them does not wait behind an unbounded queue.
const MAX_BATCH: usize = 256;

type Queued = (ComputeWrite, oneshot::Sender<Result<(), LedgerError>>);

/// Commits compute writes in groups. A paid call writes twice (the receipt it brings before it runs, its
/// invocation before its answer leaves), and a redb commit costs about half a millisecond whatever it holds:
/// one commit per write would cap a node at some two thousand calls a second across all its apps. The writer
/// thread takes whatever queued while the last commit ran and commits it at once, so a busy node pays one
/// commit for many calls and an idle one answers after one.
#[derive(Clone)]
pub struct ComputeWriter {
    queue: std::sync::mpsc::Sender<Queued>,
}

impl ComputeWriter {
    /// A writer thread for `ledger`; it ends when the last clone of the writer is dropped.
    pub fn start(ledger: Arc<Ledger>) -> Self {
        let (queue, queued) = std::sync::mpsc::channel::<Queued>();
        std::thread::Builder::new()
            .name("compute-ledger".into())
            .spawn(move || {
                while let Ok(first) = queued.recv() {
                    let mut batch = vec![first];
                    while batch.len() < MAX_BATCH {
                        match queued.try_recv() {
                            Ok(next) => batch.push(next),
                            Err(_) => break,
                        }
                    }
                    let (writes, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
                    for (reply, result) in replies.into_iter().zip(ledger.write_compute(&writes)) {
                        let _ = reply.send(result);
                    }
                }
            })
            .expect("the compute ledger's writer thread starts");
        Self { queue }
    }

    /// Commits `write` with whatever else is waiting; its own result.
    pub async fn write(&self, write: ComputeWrite) -> Result<(), LedgerError> {
        self.submit(write).await
    }

    /// Queues `write` now (writes are committed in the order they are queued) and returns its result once
    /// committed: a caller can do other work while the commit runs.
    pub fn submit(
        &self,
        write: ComputeWrite,
    ) -> impl std::future::Future<Output = Result<(), LedgerError>> + Send + 'static {
        let stopped = || LedgerError::Io("the compute ledger's writer stopped".into());
        let (reply, result) = oneshot::channel();
        let queued = self.queue.send((write, reply)).map_err(|_| stopped());
        async move {
            queued?;
            result.await.unwrap_or_else(|_| Err(stopped()))
        }
    }
}

/// [`Ledger::record_compute`] inside a write transaction.
fn record_receipt(
    receipts: &mut redb::Table<ReceiptKey, &[u8]>,
    table: &mut redb::Table<StepKey, &[u8]>,
    receipt: &ComputeReceipt,
    from: u32,
    steps: &[ComputeStep],
) -> Result<(), LedgerError> {
    let key = (receipt.epoch, receipt.session.0, receipt.client.0);
    let (before, mut head, mut units) = match receipts.get(key).map_err(failed)? {
        Some(bytes) => {
            let held = ComputeReceipt::decode(&mut bytes.value()).map_err(corrupt)?;
            (held.requests, held.transcript, held.cumulative_units)
        }
        None => (0, [0; 32], 0),
    };
    if receipt.requests <= before {
        return Err(LedgerError::NotNewer);
    }
    let new = (before.checked_sub(from))
        .and_then(|skip| steps.get(skip as usize..(receipt.requests - from) as usize))
        .ok_or_else(|| mismatch("the steps do not reach from the ledger to the receipt"))?;
    for step in new {
        head = transcript_step(&head, step);
        units = units
            .checked_add(step.units)
            .ok_or_else(|| mismatch("units overflow"))?;
    }
    if head != receipt.transcript || units != receipt.cumulative_units {
        return Err(mismatch("the steps do not add up to the receipt"));
    }
    for (index, step) in (before..).zip(new) {
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
    #[tokio::test]
    async fn grouped_writes_keep_each_ones_result() {
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
        let writer = ComputeWriter::start(ledger.clone());
        let results = futures::future::join_all(writes.into_iter().map(|w| writer.write(w))).await;
        assert!(
            results[0].is_ok() && results[2].is_ok() && results[3].is_ok(),
            "{results:?}"
        );
        assert!(matches!(
            results[1],
            Err(LedgerError::TranscriptMismatch(_))
        ));
        let receipts = ledger.compute_receipts(7).unwrap();
        assert_eq!(receipts.len(), 1);
        assert_eq!(receipts[0].requests, 3);
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
}
