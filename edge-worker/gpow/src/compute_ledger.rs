//! Compute receipts and the transcripts they sign, in the receipt ledger's database: what the work report's
//! compute leaves are built from, and what a challenge or a keeper's replay asks the node to reveal.
//!
//! A session's latest receipt replaces the one before (receipts are cumulative); its steps are written once
//! each, when a receipt first covers them, so a long session costs one row per request rather than its whole
//! transcript at every receipt. A receipt is committed with the steps it covers in one transaction, before the
//! request it came with runs: a node that crashes loses no receipt it served on. Commits do not wait for the
//! disk (redb's eventual durability: they survive the process, not the machine, failing) since one comes with
//! every request; [`Ledger::sync`] makes everything durable, and the node calls it as an epoch ends, before
//! reporting.

use codec::{Decode, Encode};
use enreach_primitives::{
    compute::transcript_step, ClientKey, ComputeReceipt, ComputeStep, EpochIndex, SessionId,
};
use redb::{Durability, ReadableTable, TableDefinition};

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
        self.with_db(|db| {
            let mut tx = db.begin_write().map_err(failed)?;
            tx.set_durability(Durability::Eventual);
            {
                let mut receipts = tx.open_table(COMPUTE_RECEIPTS).map_err(failed)?;
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
                    .ok_or_else(|| {
                        mismatch("the steps do not reach from the ledger to the receipt")
                    })?;
                for step in new {
                    head = transcript_step(&head, step);
                    units = units
                        .checked_add(step.units)
                        .ok_or_else(|| mismatch("units overflow"))?;
                }
                if head != receipt.transcript || units != receipt.cumulative_units {
                    return Err(mismatch("the steps do not add up to the receipt"));
                }
                let mut table = tx.open_table(COMPUTE_STEPS).map_err(failed)?;
                for (index, step) in (before..).zip(new) {
                    table
                        .insert((key.0, key.1, key.2, index), step.encode().as_slice())
                        .map_err(failed)?;
                }
                receipts
                    .insert(key, receipt.encode().as_slice())
                    .map_err(failed)?;
            }
            tx.commit().map_err(failed)
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
}
