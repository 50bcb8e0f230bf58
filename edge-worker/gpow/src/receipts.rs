//! The edge's receipt ledger: every delivery receipt a client signs is checked and committed to an embedded
//! database (redb: pure Rust, ACID, crash-safe commits) before the edge acknowledges it or serves more, so a
//! crash or SIGKILL loses no receipt. Receipts are cumulative per session, so the ledger keeps only the latest
//! of each session; at an epoch's end those are the leaves of the work report's receipt tree
//! ([`enreach_primitives::merkle`]), the same tree the chain checks.

use std::{
    path::{Path, PathBuf},
    sync::{Mutex, RwLock},
};

use codec::{Decode, Encode};
use ed25519_dalek::{Signature, VerifyingKey};
use enreach_primitives::{
    ComputeReceipt, DeliveryReceipt, EpochIndex, Hash32, NodeId, ReceiptProof, ReceiptTree,
    SummedLeaf, WorkReport,
};
use redb::{Database, ReadableTable, TableDefinition};
use tracing::warn;

use crate::{
    accounts::Inadmissible,
    compute_journal::JOURNAL_APPLIED,
    compute_ledger::{
        open_journal, Appending, COMPUTE_INVOCATIONS, COMPUTE_RECEIPTS, COMPUTE_STEPS,
    },
};

/// Where a receipt is filed: its epoch, session and client.
pub(crate) type ReceiptKey = (u32, [u8; 16], [u8; 32]);

/// Latest receipt per [`ReceiptKey`], SCALE-encoded. The key orders an epoch's receipts, so every reader of the
/// ledger builds the same tree.
const RECEIPTS: TableDefinition<ReceiptKey, &[u8]> = TableDefinition::new("receipts");

/// Why a receipt was not recorded.
#[derive(Clone, Debug, thiserror::Error)]
pub enum LedgerError {
    /// The signature does not verify under the client key: forged or corrupted.
    #[error("receipt signature does not verify")]
    BadSignature,
    /// The receipt is for another chain, node or epoch than this edge is serving in.
    #[error("receipt is for another chain, node or epoch")]
    NotOurs,
    /// An equal or larger total of the same session is already recorded: a replay or a stale receipt.
    #[error("receipt does not add bytes to its session")]
    NotNewer,
    /// The edge's accounts do not admit the receipt: it claims more bytes than the edge sent its signer (an
    /// inflated total would bill the signer's dApp for nothing and, dwarfing every other receipt, draw the
    /// challenge's samples and the charge to it), or opens one session too many.
    #[error("receipt not admitted: {0}")]
    Inadmissible(#[from] Inadmissible),
    /// The disk is full: nothing was recorded, what was committed is kept; receipts are taken again once
    /// there is room.
    #[error("receipt ledger: the disk is full")]
    DiskFull,
    /// Reading or writing the database failed; the ledger reopens it before its next use, so one failed
    /// commit does not refuse every later receipt.
    #[error("receipt ledger I/O: {0}")]
    Io(String),
    /// The steps handed over with a compute receipt do not continue the session's recorded transcript to
    /// the receipt's head and units.
    #[error("compute transcript does not match the receipt: {0}")]
    TranscriptMismatch(String),
    /// A stored receipt does not decode.
    #[error("receipt ledger holds a corrupt receipt: {0}")]
    Corrupt(String),
    /// The database failed otherwise.
    #[error("receipt ledger: {0}")]
    Database(String),
}

impl LedgerError {
    /// Whether the database must be reopened: after an I/O error redb refuses every later transaction.
    fn needs_reopen(&self) -> bool {
        matches!(self, LedgerError::DiskFull | LedgerError::Io(_))
    }
}

pub(crate) fn failed(e: impl Into<redb::Error>) -> LedgerError {
    match e.into() {
        redb::Error::Io(e) if e.kind() == std::io::ErrorKind::StorageFull => LedgerError::DiskFull,
        redb::Error::Io(e) => LedgerError::Io(e.to_string()),
        e @ redb::Error::PreviousIo => LedgerError::Io(e.to_string()),
        e => LedgerError::Database(e.to_string()),
    }
}

pub(crate) fn corrupt(e: codec::Error) -> LedgerError {
    LedgerError::Corrupt(e.to_string())
}

/// What a receipt adds to the ledger, for the edge's accounts to admit or refuse before it is committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Added {
    /// Bytes beyond the session's last recorded receipt.
    pub bytes: u64,
    /// Whether the session has no receipt in the ledger yet: a new row.
    pub new_session: bool,
}

/// What receipts an edge accepts: for this chain, this node, the current epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expected {
    /// The chain's genesis hash.
    pub genesis_hash: Hash32,
    /// This node.
    pub node: NodeId,
    /// The epoch being served.
    pub epoch: EpochIndex,
}

/// Checks that `receipt` is for `expected` and that its client key signed it: local and cheap, so a collector
/// runs it before anything that costs more (asking the chain whether the key is authorized).
pub fn verify(receipt: &DeliveryReceipt, expected: Expected) -> Result<(), LedgerError> {
    if receipt.genesis_hash != expected.genesis_hash
        || receipt.node != expected.node
        || receipt.epoch != expected.epoch
    {
        return Err(LedgerError::NotOurs);
    }
    let key = VerifyingKey::from_bytes(&receipt.client.0).map_err(|_| LedgerError::BadSignature)?;
    key.verify_strict(
        &receipt.signing_payload(),
        &Signature::from_bytes(&receipt.signature),
    )
    .map_err(|_| LedgerError::BadSignature)
}

/// Receipts, durable.
pub struct Ledger {
    path: PathBuf,
    /// `None` after a failed reopen: tried again on next use.
    db: RwLock<Option<Database>>,
    /// Compute writes on their way into the tables ([`crate::compute_ledger`]).
    pub(crate) appending: Mutex<Appending>,
    /// Held while the journal goes into the tables, so it goes in order.
    pub(crate) applying: Mutex<()>,
}

fn open_db(path: &Path) -> Result<Database, LedgerError> {
    let db = Database::create(path).map_err(failed)?;
    let tx = db.begin_write().map_err(failed)?;
    tx.open_table(RECEIPTS).map_err(failed)?;
    tx.open_table(COMPUTE_RECEIPTS).map_err(failed)?;
    tx.open_table(COMPUTE_STEPS).map_err(failed)?;
    tx.open_table(COMPUTE_INVOCATIONS).map_err(failed)?;
    tx.open_table(JOURNAL_APPLIED).map_err(failed)?;
    tx.commit().map_err(failed)?;
    Ok(db)
}

impl Ledger {
    /// Opens (or creates) the ledger at `path`.
    pub fn open(path: &Path) -> Result<Self, LedgerError> {
        let db = open_db(path)?;
        let appending = open_journal(path, &db)?;
        Ok(Self {
            db: RwLock::new(Some(db)),
            path: path.into(),
            appending: Mutex::new(appending),
            applying: Mutex::new(()),
        })
    }

    /// Runs `op` on the database: reopens it first if it is closed, and closes and reopens it after `op`
    /// failed with an I/O error (redb then refuses every transaction until the database is reopened).
    pub(crate) fn with_db<T>(
        &self,
        op: impl FnOnce(&Database) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        if self.db.read().unwrap_or_else(|e| e.into_inner()).is_none() {
            self.reopen();
        }
        let result = match &*self.db.read().unwrap_or_else(|e| e.into_inner()) {
            Some(db) => op(db),
            None => Err(LedgerError::Io(
                "closed after an I/O error and not reopened yet".into(),
            )),
        };
        if result.as_ref().is_err_and(LedgerError::needs_reopen) {
            self.reopen();
        }
        result
    }

    /// Closes the database and opens it again; leaves it closed (to be tried again on next use) if it cannot.
    fn reopen(&self) {
        let mut db = self.db.write().unwrap_or_else(|e| e.into_inner());
        // The old handle holds redb's file lock: it must be closed before the file is opened again.
        *db = None;
        match open_db(&self.path) {
            Ok(reopened) => {
                *db = Some(reopened);
                warn!("receipt ledger reopened after an I/O error");
            }
            Err(e) => warn!(%e, "receipt ledger cannot be reopened; trying again on next use"),
        }
    }

    /// Checks `receipt` and commits it durably; returns the bytes it adds to its session. Only after this
    /// returns may the edge acknowledge the receipt.
    pub fn record(
        &self,
        receipt: &DeliveryReceipt,
        expected: Expected,
        admit: impl FnOnce(Added) -> Result<(), Inadmissible>,
    ) -> Result<u64, LedgerError> {
        verify(receipt, expected)?;
        self.with_db(|db| {
            let tx = db.begin_write().map_err(failed)?;
            let added = {
                let mut table = tx.open_table(RECEIPTS).map_err(failed)?;
                let id = (receipt.epoch, receipt.session.0, receipt.client.0);
                let before = match table.get(id).map_err(failed)? {
                    Some(bytes) => Some(
                        DeliveryReceipt::decode(&mut bytes.value())
                            .map_err(corrupt)?
                            .cumulative_bytes,
                    ),
                    None => None,
                };
                if receipt.cumulative_bytes <= before.unwrap_or(0) {
                    return Err(LedgerError::NotNewer);
                }
                let added = receipt.cumulative_bytes - before.unwrap_or(0);
                admit(Added {
                    bytes: added,
                    new_session: before.is_none(),
                })?;
                table
                    .insert(id, receipt.encode().as_slice())
                    .map_err(failed)?;
                added
            };
            tx.commit().map_err(failed)?;
            Ok(added)
        })
    }

    /// The latest receipt of every session in `epoch`, in ledger order.
    pub fn receipts(&self, epoch: EpochIndex) -> Result<Vec<DeliveryReceipt>, LedgerError> {
        self.with_db(|db| {
            let tx = db.begin_read().map_err(failed)?;
            let table = tx.open_table(RECEIPTS).map_err(failed)?;
            table
                .range((epoch, [0; 16], [0; 32])..=(epoch, [0xff; 16], [0xff; 32]))
                .map_err(failed)?
                .map(|entry| {
                    let (_, value) = entry.map_err(failed)?;
                    DeliveryReceipt::decode(&mut value.value()).map_err(corrupt)
                })
                .collect()
        })
    }

    /// Forgets the receipts (delivery and compute, with their transcripts) of epochs before `epoch` (settled,
    /// challenge windows closed).
    pub fn prune_before(&self, epoch: EpochIndex) -> Result<(), LedgerError> {
        // Writes for the pruned epochs are refused first, so none lands after the tables are pruned; pruning
        // goes on if the journal cannot be applied (a full disk), since it is what frees room.
        crate::lock(&self.appending).prune_before(epoch);
        self.catch_up();
        self.with_db(|db| {
            let tx = db.begin_write().map_err(failed)?;
            {
                let mut table = tx.open_table(RECEIPTS).map_err(failed)?;
                table.retain(|(e, _, _), _| e >= epoch).map_err(failed)?;
                let mut table = tx.open_table(COMPUTE_RECEIPTS).map_err(failed)?;
                table.retain(|(e, _, _), _| e >= epoch).map_err(failed)?;
                let mut table = tx.open_table(COMPUTE_STEPS).map_err(failed)?;
                table.retain(|(e, _, _, _), _| e >= epoch).map_err(failed)?;
                let mut table = tx.open_table(COMPUTE_INVOCATIONS).map_err(failed)?;
                table.retain(|(e, _, _, _), _| e >= epoch).map_err(failed)?;
            }
            tx.commit().map_err(failed)
        })
    }
}

/// The receipt covering each sampled offset of `tree`'s total, with its path: a challenge's answer for one
/// part of the report (empty for a part without receipts, which the chain samples nothing of).
pub fn sampled<L: SummedLeaf + Clone>(
    tree: Option<&ReceiptTree<L>>,
    offsets: &[u64],
) -> Vec<(L, ReceiptProof)> {
    let Some(tree) = tree else {
        return Vec::new();
    };
    offsets
        .iter()
        .filter_map(|&offset| {
            let leaf = tree.leaf_at(offset)?;
            Some((tree.receipts()[leaf as usize].clone(), tree.proof(leaf)?))
        })
        .collect()
}

/// An epoch's work report and the receipt trees its two parts commit to (a part without receipts has none).
pub struct Claim {
    pub report: WorkReport,
    pub delivery: Option<ReceiptTree>,
    pub compute: Option<ReceiptTree<ComputeReceipt>>,
}

/// `node`'s work report for `epoch` over `receipts` and `compute` (an epoch's latest delivery and compute
/// receipt per session, as [`Ledger::receipts`] and [`Ledger::compute_receipts`] give them) and the trees under
/// it; `None` if there are neither.
pub fn work_report(
    node: NodeId,
    epoch: EpochIndex,
    receipts: Vec<DeliveryReceipt>,
    compute: Vec<ComputeReceipt>,
) -> Option<Claim> {
    let delivery = summed_tree(receipts);
    let compute = summed_tree(compute);
    if delivery.is_none() && compute.is_none() {
        return None;
    }
    let (receipts_root, receipt_count, total_bytes) = summary(delivery.as_ref());
    let (compute_root, compute_receipt_count, total_units) = summary(compute.as_ref());
    Some(Claim {
        report: WorkReport {
            node,
            epoch,
            receipts_root,
            receipt_count,
            total_bytes,
            compute_root,
            compute_receipt_count,
            total_units,
        },
        delivery,
        compute,
    })
}

/// What a report says of one part: its tree's root, leaf count and total; zeros for a part without receipts.
fn summary<L: SummedLeaf>(tree: Option<&ReceiptTree<L>>) -> (Hash32, u32, u64) {
    tree.map_or(([0; 32], 0, 0), |tree| {
        (tree.root(), tree.len(), tree.total())
    })
}

/// The receipt tree over `leaves`; `None` if there are none. Leaves whose amounts would overflow the report's
/// `u64` total (absurd totals a client signed) are left out, the largest first, so one such client cannot stop
/// the node from reporting its other work.
fn summed_tree<L: SummedLeaf>(mut leaves: Vec<L>) -> Option<ReceiptTree<L>> {
    leaves.sort_by_key(|r| r.amount());
    let mut total: u64 = 0;
    leaves.retain(|r| match total.checked_add(r.amount()) {
        Some(sum) => {
            total = sum;
            true
        }
        None => false,
    });
    ReceiptTree::new(leaves).ok()
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::{Signer, SigningKey};
    use enreach_dts::testing::SmallDisk;
    use enreach_primitives::{merkle, ClientKey, ContentId, SessionId};

    use super::*;

    const EXPECTED: Expected = Expected {
        genesis_hash: [1; 32],
        node: NodeId([2; 32]),
        epoch: 7,
    };

    fn receipt(client: &SigningKey, session: u16, bytes: u64) -> DeliveryReceipt {
        let mut id = [0; 16];
        id[..2].copy_from_slice(&session.to_le_bytes());
        let mut receipt = DeliveryReceipt {
            genesis_hash: EXPECTED.genesis_hash,
            epoch: EXPECTED.epoch,
            node: EXPECTED.node,
            client: ClientKey(client.verifying_key().to_bytes()),
            content: ContentId([3; 32]),
            session: SessionId(id),
            cumulative_bytes: bytes,
            signature: [0; 64],
        };
        receipt.signature = client.sign(&receipt.signing_payload()).to_bytes();
        receipt
    }

    #[test]
    fn only_genuine_newer_receipts_for_this_node_and_epoch_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(&dir.path().join("receipts.redb")).unwrap();
        let client = SigningKey::from_bytes(&[9; 32]);
        assert_eq!(
            ledger
                .record(&receipt(&client, 1, 4 << 20), EXPECTED, |_| Ok(()))
                .unwrap(),
            4 << 20
        );
        assert_eq!(
            ledger
                .record(&receipt(&client, 1, 6 << 20), EXPECTED, |_| Ok(()))
                .unwrap(),
            2 << 20
        );
        assert!(matches!(
            ledger.record(&receipt(&client, 1, 6 << 20), EXPECTED, |_| Ok(())),
            Err(LedgerError::NotNewer)
        ));
        // More than the collector admits (more than was sent): refused, nothing recorded.
        assert!(matches!(
            ledger.record(&receipt(&client, 1, 1 << 40), EXPECTED, |added| {
                (added.bytes <= 4 << 20)
                    .then_some(())
                    .ok_or(Inadmissible::MoreThanSent)
            }),
            Err(LedgerError::Inadmissible(Inadmissible::MoreThanSent))
        ));
        assert_eq!(
            ledger.receipts(EXPECTED.epoch).unwrap()[0].cumulative_bytes,
            6 << 20
        );
        let mut forged = receipt(&client, 1, 9 << 20);
        forged.cumulative_bytes = 90 << 20;
        assert!(matches!(
            ledger.record(&forged, EXPECTED, |_| Ok(())),
            Err(LedgerError::BadSignature)
        ));
        for other in [
            Expected {
                epoch: 8,
                ..EXPECTED
            },
            Expected {
                node: NodeId([5; 32]),
                ..EXPECTED
            },
            Expected {
                genesis_hash: [6; 32],
                ..EXPECTED
            },
        ] {
            assert!(matches!(
                ledger.record(&receipt(&client, 2, 1), other, |_| Ok(())),
                Err(LedgerError::NotOurs)
            ));
        }
        assert_eq!(
            ledger.receipts(EXPECTED.epoch).unwrap(),
            vec![receipt(&client, 1, 6 << 20)]
        );
    }

    #[test]
    fn receipts_survive_reopening_and_make_the_report_the_chain_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("receipts.redb");
        let clients: Vec<SigningKey> = (1..=3u8)
            .map(|i| SigningKey::from_bytes(&[i; 32]))
            .collect();
        {
            let ledger = Ledger::open(&path).unwrap();
            for (i, client) in clients.iter().enumerate() {
                ledger
                    .record(&receipt(client, i as u16, 1 << 20), EXPECTED, |_| Ok(()))
                    .unwrap();
                ledger
                    .record(&receipt(client, i as u16, 3 << 20), EXPECTED, |_| Ok(()))
                    .unwrap();
            }
        }
        let ledger = Ledger::open(&path).unwrap();
        let all = ledger.receipts(EXPECTED.epoch).unwrap();
        let claim = work_report(EXPECTED.node, EXPECTED.epoch, all.clone(), Vec::new()).unwrap();
        let (report, tree) = (claim.report, claim.delivery.unwrap());
        assert!(claim.compute.is_none());
        assert_eq!((report.compute_receipt_count, report.total_units), (0, 0));
        assert_eq!(tree.len(), 3);
        assert_eq!(report.receipt_count, 3);
        assert_eq!(report.total_bytes, 9 << 20);
        assert_eq!(report.receipts_root, tree.root());
        // Any sampled byte leads to a receipt whose proof the chain accepts.
        let leaf = tree.leaf_at(5 << 20).unwrap();
        assert_eq!(
            merkle::verify_receipt(
                &report.receipts_root,
                report.receipt_count,
                report.total_bytes,
                &tree.receipts()[leaf as usize],
                &tree.proof(leaf).unwrap()
            ),
            Ok(3 << 20)
        );
        let next = ledger.receipts(EXPECTED.epoch + 1).unwrap();
        assert!(work_report(EXPECTED.node, EXPECTED.epoch + 1, next, Vec::new()).is_none());
        // Receipts of a client the chain does not pay for are left out of the report.
        let paid = all
            .into_iter()
            .filter(|r| r.client.0 != clients[0].verifying_key().to_bytes())
            .collect();
        let without = work_report(EXPECTED.node, EXPECTED.epoch, paid, Vec::new())
            .unwrap()
            .report;
        assert_eq!((without.receipt_count, without.total_bytes), (2, 6 << 20));
        ledger.prune_before(EXPECTED.epoch + 1).unwrap();
        assert!(ledger.receipts(EXPECTED.epoch).unwrap().is_empty());
    }

    #[test]
    fn the_ledger_refuses_receipts_while_the_disk_is_full_and_takes_them_again_once_it_has_room() {
        let Some(disk) = SmallDisk::mount("8m") else {
            return;
        };
        let ledger = Ledger::open(&disk.path().join("receipts.redb")).unwrap();
        let client = SigningKey::from_bytes(&[9; 32]);
        ledger
            .record(&receipt(&client, 0, 1 << 20), EXPECTED, |_| Ok(()))
            .unwrap();
        let ballast = disk.fill();
        let mut session = 1;
        // Receipts until the full disk refuses one (what the database file already holds takes a few).
        let mut until_refused = |most: u16| {
            let first = session;
            loop {
                match ledger.record(&receipt(&client, session, 1 << 20), EXPECTED, |_| Ok(())) {
                    Ok(_) => session += 1,
                    Err(e) => break e,
                }
                assert!(
                    session - first < most,
                    "the full disk never refused a receipt"
                );
            }
        };
        let refused = until_refused(10_000);
        assert!(matches!(refused, LedgerError::DiskFull), "{refused}");
        // Still full: refused again, with the same clear error, whether or not the reopen succeeded (and freed
        // a page or two of the file).
        let again = until_refused(8);
        assert!(
            matches!(again, LedgerError::DiskFull | LedgerError::Io(_)),
            "{again:?}"
        );
        std::fs::remove_file(ballast).unwrap();
        // Room again: receipts are taken without a restart, and nothing committed was lost.
        ledger
            .record(&receipt(&client, session, 1 << 20), EXPECTED, |_| Ok(()))
            .unwrap();
        let kept = ledger.receipts(EXPECTED.epoch).unwrap();
        assert_eq!(kept.len(), session as usize + 1);
    }
}
