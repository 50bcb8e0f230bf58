//! Compute sessions: how an edge meters a client's requests to an edge application and is paid for them.
//!
//! A client calls an app in sessions it numbers itself. Each response tells the client the request's step
//! (invocation hash, response hash, compute units) and the session's new totals and transcript head; the client
//! signs a [`ComputeReceipt`] over them and sends it with its next request. The edge therefore runs at most
//! [`MAX_UNRECEIPTED`] requests of a session ahead of what the client signed, one request of a session at a
//! time (so the transcript has one order), and keeps the latest receipt of each session for its work report and
//! the steps for a challenge's replay.
//!
//! A client that stops signing costs the edge at most [`MAX_UNRECEIPTED`] requests per session and
//! [`MAX_SESSIONS_PER_CLIENT`] sessions; keys are authorized (and paid for) by a dApp on chain, so they are not
//! free to rotate. A receipt the edge cannot reproduce from its own record (another head, count or total) is
//! refused, so the edge never stores a receipt a keeper's replay would contradict.

use std::collections::{hash_map::Entry, HashMap};

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use enreach_primitives::{
    compute::transcript_step, ClientKey, ComputeReceipt, ComputeStep, ContentId, EpochIndex,
    Hash32, SessionId,
};

use crate::receipts::Expected;

/// Requests of a session the edge runs beyond the client's latest receipt: the one running and the one whose
/// receipt the client sends with its next request.
pub const MAX_UNRECEIPTED: u32 = 2;

/// Open sessions per client key: enough for a client's parallel callers, bounded so that a client that never
/// signs cannot hold many.
pub const MAX_SESSIONS_PER_CLIENT: usize = 16;

/// Open sessions of all clients: what an edge keeps in memory for an epoch stays bounded however many keys
/// dApps authorize.
pub const MAX_SESSIONS: usize = 100_000;

/// Requests per session: the transcript a challenge may ask for stays bounded; a client starts a new session.
pub const MAX_REQUESTS_PER_SESSION: u32 = 10_000;

/// Why an edge does not run a request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The receipt does not verify, or is for another chain, node, epoch, client, session or app.
    #[error("the compute receipt is not valid for this session")]
    BadReceipt,
    /// The receipt names totals or a transcript the edge did not record: it signs something else than what ran.
    #[error("the compute receipt does not match the session's transcript")]
    ReceiptMismatch,
    /// The client is too many requests ahead of its receipts.
    #[error("sign a receipt for the session's earlier requests first")]
    ReceiptRequired,
    /// A request of the session is running.
    #[error("a request of this session is running; sessions run one request at a time")]
    Busy,
    /// The session reached [`MAX_REQUESTS_PER_SESSION`].
    #[error("the session is full; start a new one")]
    SessionFull,
    /// The client has [`MAX_SESSIONS_PER_CLIENT`] sessions open, or the edge [`MAX_SESSIONS`].
    #[error("too many open sessions")]
    TooManySessions,
    /// The session was opened for another app.
    #[error("the session belongs to another app")]
    OtherApp,
}

/// A session's totals after a request, as the response tells the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Totals {
    pub requests: u32,
    pub units: u64,
    pub transcript: Hash32,
}

impl Totals {
    const START: Totals = Totals {
        requests: 0,
        units: 0,
        transcript: [0; 32],
    };

    fn after(&self, step: &ComputeStep) -> Totals {
        Totals {
            requests: self.requests + 1,
            units: self.units.saturating_add(step.units),
            transcript: transcript_step(&self.transcript, step),
        }
    }
}

struct Session {
    code: ContentId,
    steps: Vec<ComputeStep>,
    /// Totals after each step: `totals[n]` after `n` requests.
    totals: Vec<Totals>,
    receipt: Option<ComputeReceipt>,
    running: bool,
    /// Requests whose steps (and the receipt covering them) the ledger holds.
    ledgered: u32,
}

impl Session {
    fn new(code: ContentId) -> Self {
        Self {
            code,
            steps: Vec::new(),
            totals: vec![Totals::START],
            receipt: None,
            running: false,
            ledgered: 0,
        }
    }

    fn receipted(&self) -> u32 {
        self.receipt.as_ref().map_or(0, |r| r.requests)
    }
}

/// The edge's compute sessions of the epoch it serves.
pub struct Sessions {
    terms: Expected,
    sessions: HashMap<(ClientKey, SessionId), Session>,
    per_client: HashMap<ClientKey, usize>,
}

impl Sessions {
    pub fn new(terms: Expected) -> Self {
        Self {
            terms,
            sessions: HashMap::new(),
            per_client: HashMap::new(),
        }
    }

    /// The chain, node and epoch receipts must name.
    pub fn terms(&self) -> Expected {
        self.terms
    }

    /// Takes `receipt` (if any) and admits the next request of `session` for `code`: the session is then
    /// running until [`Sessions::finish`] or [`Sessions::abandon`].
    ///
    /// A session is opened (takes one of the key's and the edge's session slots) only by a request that is
    /// admitted: a refused first request leaves nothing behind, so refusals cannot fill the slots. A new
    /// session has run nothing, so the only receipt it can take is one of zero requests.
    pub fn begin(
        &mut self,
        client: ClientKey,
        session: SessionId,
        code: ContentId,
        receipt: Option<Verified>,
    ) -> Result<Totals, Refusal> {
        let count = self.per_client.get(&client).copied().unwrap_or(0);
        let total = self.sessions.len();
        let state = match self.sessions.entry((client, session)) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(_) if count >= MAX_SESSIONS_PER_CLIENT || total >= MAX_SESSIONS => {
                return Err(Refusal::TooManySessions)
            }
            Entry::Vacant(entry) => {
                let mut state = Session::new(code);
                if let Some(receipt) = receipt {
                    take_receipt(&self.terms, client, session, &mut state, receipt)?;
                }
                // Nothing of a new session runs, is unreceipted or is full: it is admitted.
                state.running = true;
                *self.per_client.entry(client).or_default() += 1;
                entry.insert(state);
                return Ok(Totals::START);
            }
        };
        if state.code != code {
            return Err(Refusal::OtherApp);
        }
        if let Some(receipt) = receipt {
            take_receipt(&self.terms, client, session, state, receipt)?;
        }
        if state.running {
            return Err(Refusal::Busy);
        }
        let requests = state.steps.len() as u32;
        if requests >= MAX_REQUESTS_PER_SESSION {
            return Err(Refusal::SessionFull);
        }
        if requests - state.receipted() >= MAX_UNRECEIPTED {
            return Err(Refusal::ReceiptRequired);
        }
        state.running = true;
        Ok(*state
            .totals
            .last()
            .expect("totals start with the empty session"))
    }

    /// Records the step of the request [`Sessions::begin`] admitted; returns the session's new totals.
    pub fn finish(
        &mut self,
        client: ClientKey,
        session: SessionId,
        step: ComputeStep,
    ) -> Option<Totals> {
        let state = self
            .sessions
            .get_mut(&(client, session))
            .filter(|s| s.running)?;
        let totals = state.totals.last().expect("never empty").after(&step);
        state.steps.push(step);
        state.totals.push(totals);
        state.running = false;
        Some(totals)
    }

    /// Ends an admitted request that did not run (the node refused it after admission). A session that has
    /// run nothing is closed again, so requests the node refuses (an app that cannot be loaded, a busy node)
    /// do not hold the key's session slots.
    pub fn abandon(&mut self, client: ClientKey, session: SessionId) {
        let Entry::Occupied(mut entry) = self.sessions.entry((client, session)) else {
            return;
        };
        entry.get_mut().running = false;
        if entry.get().steps.is_empty() {
            entry.remove();
            if let Entry::Occupied(mut open) = self.per_client.entry(client) {
                *open.get_mut() -= 1;
                if *open.get() == 0 {
                    open.remove();
                }
            }
        }
    }

    /// The latest receipt of every session that has one: the compute leaves of the work report.
    pub fn receipts(&self) -> Vec<ComputeReceipt> {
        let mut receipts: Vec<_> = self
            .sessions
            .values()
            .filter_map(|s| s.receipt.clone())
            .collect();
        receipts.sort_by_key(|r| (r.client, r.session));
        receipts
    }

    /// What of `session` the ledger does not hold yet: its latest receipt, the index of the first step the
    /// ledger lacks, and the steps from there to the last the receipt covers; `None` if the ledger holds it
    /// all. Only the new steps are handed over, so a long session costs the same per request throughout.
    pub fn unledgered(
        &self,
        client: ClientKey,
        session: SessionId,
    ) -> Option<(ComputeReceipt, u32, Vec<ComputeStep>)> {
        let state = self.sessions.get(&(client, session))?;
        let receipt = state.receipt.as_ref()?;
        (receipt.requests > state.ledgered).then(|| {
            let new = &state.steps[state.ledgered as usize..receipt.requests as usize];
            (receipt.clone(), state.ledgered, new.to_vec())
        })
    }

    /// The ledger holds `session` up to its request `requests`.
    pub fn ledgered(&mut self, client: ClientKey, session: SessionId, requests: u32) {
        if let Some(state) = self.sessions.get_mut(&(client, session)) {
            state.ledgered = state.ledgered.max(requests);
        }
    }

    /// Moves on to `epoch`, forgetting the old epoch's sessions: what they earned is in the ledger already
    /// (every receipt is recorded before the request it came with runs, [`Sessions::unledgered`]).
    pub fn next_epoch(&mut self, epoch: EpochIndex) {
        self.terms.epoch = epoch;
        self.per_client.clear();
        self.sessions.clear();
    }
}

/// Checks `receipt` against the session's record and keeps it if it adds requests.
fn take_receipt(
    terms: &Expected,
    client: ClientKey,
    session: SessionId,
    state: &mut Session,
    Verified(receipt): Verified,
) -> Result<(), Refusal> {
    let ours = receipt.genesis_hash == terms.genesis_hash
        && receipt.node == terms.node
        && receipt.epoch == terms.epoch
        && receipt.client == client
        && receipt.session == session
        && receipt.code == state.code;
    if !ours {
        return Err(Refusal::BadReceipt);
    }
    let recorded = state
        .totals
        .get(receipt.requests as usize)
        .ok_or(Refusal::ReceiptMismatch)?;
    if recorded.units != receipt.cumulative_units || recorded.transcript != receipt.transcript {
        return Err(Refusal::ReceiptMismatch);
    }
    if receipt.requests > state.receipted() {
        state.receipt = Some(receipt);
    }
    Ok(())
}

/// The seed of a request's randomness: fixed by who calls and which request of the session it is, so a node
/// cannot try seeds until one makes the app burn more units. The caller knows all three, so it can predict
/// the app's randomness: apps must not use WASI random for secrets on the edge (README, PROTOCOL.md).
pub fn request_seed(client: &ClientKey, session: &SessionId, index: u32) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new_derive_key("enreach hvm request seed v1");
    hasher.update(&client.0);
    hasher.update(&session.0);
    hasher.update(&index.to_le_bytes());
    *hasher.finalize().as_bytes()
}

/// A compute receipt whose client's signature verifies. Verifying (an ed25519 check) is the costliest part of
/// admitting a request, so it is done before the sessions are locked, and [`Sessions::begin`] takes only this.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified(ComputeReceipt);

impl Verified {
    /// `receipt`, if its client key signed it.
    pub fn check(receipt: ComputeReceipt) -> Result<Self, Refusal> {
        if verifies(&receipt) {
            Ok(Self(receipt))
        } else {
            Err(Refusal::BadReceipt)
        }
    }
}

pub(crate) fn verifies(receipt: &ComputeReceipt) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(&receipt.client.0) else {
        return false;
    };
    key.verify_strict(
        &receipt.signing_payload(),
        &Signature::from_bytes(&receipt.signature),
    )
    .is_ok()
}

/// Why a client does not sign what an edge reports.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unsigned {
    /// The reported totals do not follow from the step and the session's previous totals.
    #[error("the totals do not follow from the step")]
    Inconsistent,
    /// The step bills more units than the app's per-request limit: no request of the app could have burnt
    /// them, and a receipt over them would bill the client's dApp for work that cannot have happened.
    #[error("the step bills {units} compute units, over the app's limit of {limit} per request")]
    OverLimit { units: u64, limit: u64 },
}

/// The client half: one session's totals and the receipts that sign them.
pub struct ClientSession {
    key: SigningKey,
    terms: Expected,
    code: ContentId,
    session: SessionId,
    /// The app's compute units per request (its `AppLimits` on chain), when the client knows them.
    max_units: Option<u64>,
    totals: Totals,
}

impl ClientSession {
    /// A session of `key` with the edge of `terms` for the app of `code`. `max_units`, the app's per-request
    /// compute limit if the client knows it, is the most it signs for one request: the units are the one
    /// part of a step a client cannot check otherwise.
    pub fn new(
        key: SigningKey,
        terms: Expected,
        code: ContentId,
        session: SessionId,
        max_units: Option<u64>,
    ) -> Self {
        Self {
            key,
            terms,
            code,
            session,
            max_units,
            totals: Totals::START,
        }
    }

    pub fn id(&self) -> SessionId {
        self.session
    }

    /// The chain, node and epoch its receipts name: a session lives in one epoch of one edge.
    pub fn terms(&self) -> Expected {
        self.terms
    }

    pub fn client(&self) -> ClientKey {
        ClientKey(self.key.verifying_key().to_bytes())
    }

    /// Applies a response's step; refuses totals the edge reports that do not follow from it (a client signs
    /// only what it can recompute) and a step over the app's per-request limit.
    pub fn record(&mut self, step: &ComputeStep, reported: &Totals) -> Result<(), Unsigned> {
        if let Some(limit) = self.max_units.filter(|limit| step.units > *limit) {
            return Err(Unsigned::OverLimit {
                units: step.units,
                limit,
            });
        }
        let next = self.totals.after(step);
        if &next != reported {
            return Err(Unsigned::Inconsistent);
        }
        self.totals = next;
        Ok(())
    }

    /// The receipt of everything recorded so far, if anything was.
    pub fn receipt(&self) -> Option<ComputeReceipt> {
        (self.totals.requests > 0).then(|| {
            let mut receipt = ComputeReceipt {
                genesis_hash: self.terms.genesis_hash,
                epoch: self.terms.epoch,
                node: self.terms.node,
                client: self.client(),
                code: self.code,
                session: self.session,
                requests: self.totals.requests,
                cumulative_units: self.totals.units,
                transcript: self.totals.transcript,
                signature: [0; 64],
            };
            receipt.signature = self.key.sign(&receipt.signing_payload()).to_bytes();
            receipt
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use enreach_primitives::NodeId;

    const TERMS: Expected = Expected {
        genesis_hash: [1; 32],
        node: NodeId([2; 32]),
        epoch: 7,
    };
    const APP: ContentId = ContentId([3; 32]);

    fn client(seed: u8) -> ClientSession {
        ClientSession::new(
            SigningKey::from_bytes(&[seed; 32]),
            TERMS,
            APP,
            SessionId([seed; 16]),
            None,
        )
    }

    fn step(n: u32) -> ComputeStep {
        ComputeStep {
            invocation: [n as u8; 32],
            response: [!(n as u8); 32],
            units: 1000 + n as u64,
            replayable: true,
        }
    }

    /// `c`'s latest receipt, checked as the edge checks it.
    fn verified(c: &ClientSession) -> Option<Verified> {
        c.receipt()
            .map(|r| Verified::check(r).expect("the client signs"))
    }

    /// Runs one request of `c` on `edge`, sending `c`'s latest receipt; returns the refusal if any.
    fn call(edge: &mut Sessions, c: &mut ClientSession, n: u32) -> Result<(), Refusal> {
        edge.begin(c.client(), c.id(), APP, verified(c))?;
        let totals = edge.finish(c.client(), c.id(), step(n)).expect("admitted");
        c.record(&step(n), &totals)
            .expect("the edge reports honest totals");
        Ok(())
    }

    #[test]
    fn an_honest_client_is_served_and_its_receipts_cover_every_request() {
        let mut edge = Sessions::new(TERMS);
        let mut c = client(1);
        for n in 0..20 {
            call(&mut edge, &mut c, n).unwrap();
        }
        // The last request's receipt comes with the next request, or at the end.
        edge.begin(c.client(), c.id(), APP, verified(&c)).unwrap();
        edge.abandon(c.client(), c.id());
        let receipts = edge.receipts();
        assert_eq!(receipts.len(), 1);
        assert_eq!(receipts[0].requests, 20);
        assert_eq!(
            receipts[0].cumulative_units,
            (0..20).map(|n| 1000 + n as u64).sum::<u64>()
        );
        let (latest, from, transcript) = edge.unledgered(c.client(), c.id()).unwrap();
        assert_eq!((&latest, from), (&receipts[0], 0));
        assert!(receipts[0].matches(&transcript));
        // Once the ledger holds it, nothing is handed over again.
        edge.ledgered(c.client(), c.id(), latest.requests);
        assert_eq!(edge.unledgered(c.client(), c.id()), None);
    }

    #[test]
    fn a_client_that_stops_signing_gets_at_most_the_unreceipted_allowance() {
        let mut edge = Sessions::new(TERMS);
        let c = client(1);
        let mut served = 0;
        for n in 0..10 {
            match edge.begin(c.client(), c.id(), APP, None) {
                Ok(_) => {
                    edge.finish(c.client(), c.id(), step(n));
                    served += 1;
                }
                Err(refusal) => assert_eq!(refusal, Refusal::ReceiptRequired),
            }
        }
        assert_eq!(served, MAX_UNRECEIPTED);
        // Fresh sessions of the same key are bounded too.
        let mut sessions = 1;
        for s in 2..=(MAX_SESSIONS_PER_CLIENT as u8 + 4) {
            match edge.begin(c.client(), SessionId([s; 16]), APP, None) {
                Ok(_) => {
                    edge.finish(c.client(), SessionId([s; 16]), step(0));
                    sessions += 1;
                }
                Err(refusal) => assert_eq!(refusal, Refusal::TooManySessions),
            }
        }
        assert_eq!(sessions, MAX_SESSIONS_PER_CLIENT);
    }

    #[test]
    fn receipts_the_edge_did_not_record_are_refused() {
        let mut edge = Sessions::new(TERMS);
        let mut c = client(1);
        call(&mut edge, &mut c, 0).unwrap();
        let honest = c.receipt().unwrap();
        let sign = |mut r: ComputeReceipt| {
            r.signature = SigningKey::from_bytes(&[1; 32])
                .sign(&r.signing_payload())
                .to_bytes();
            r
        };
        // Units or transcripts the edge never produced (a client shaving its bill, or fishing for a mismatch
        // that would void the edge's report), a count ahead of what ran, another epoch, another key's signature.
        let fewer_units = sign(ComputeReceipt {
            cumulative_units: 1,
            ..honest.clone()
        });
        let other_head = sign(ComputeReceipt {
            transcript: [9; 32],
            ..honest.clone()
        });
        let ahead = sign(ComputeReceipt {
            requests: 5,
            ..honest.clone()
        });
        let old_epoch = sign(ComputeReceipt {
            epoch: 6,
            ..honest.clone()
        });
        let forged = ComputeReceipt {
            signature: SigningKey::from_bytes(&[2; 32])
                .sign(&honest.signing_payload())
                .to_bytes(),
            ..honest.clone()
        };
        for (receipt, refusal) in [
            (fewer_units, Refusal::ReceiptMismatch),
            (other_head, Refusal::ReceiptMismatch),
            (ahead, Refusal::ReceiptMismatch),
            (old_epoch, Refusal::BadReceipt),
            (forged, Refusal::BadReceipt),
        ] {
            assert_eq!(
                Verified::check(receipt).and_then(|receipt| edge.begin(
                    c.client(),
                    c.id(),
                    APP,
                    Some(receipt)
                )),
                Err(refusal)
            );
        }
        assert!(edge.receipts().is_empty(), "nothing invalid was kept");
        let honest = Verified::check(honest).unwrap();
        edge.begin(c.client(), c.id(), APP, Some(honest)).unwrap();
        assert_eq!(edge.receipts().len(), 1);
    }

    #[test]
    fn a_session_that_ran_nothing_is_closed_when_its_request_is_abandoned() {
        let mut edge = Sessions::new(TERMS);
        let c = client(1);
        // Requests the node refuses after admission (the app's code cannot be fetched) leave no session open.
        for s in 0..=(MAX_SESSIONS_PER_CLIENT as u8 * 2) {
            edge.begin(c.client(), SessionId([s; 16]), APP, None)
                .unwrap();
            edge.abandon(c.client(), SessionId([s; 16]));
        }
        assert!(edge.sessions.is_empty() && edge.per_client.is_empty());
        // A session that ran something keeps its record (and its slot): its steps are billed.
        let mut c = client(2);
        call(&mut edge, &mut c, 0).unwrap();
        edge.begin(c.client(), c.id(), APP, verified(&c)).unwrap();
        edge.abandon(c.client(), c.id());
        assert_eq!(
            edge.unledgered(c.client(), c.id())
                .map(|(_, from, steps)| (from, steps.len())),
            Some((0, 1))
        );
        assert_eq!(edge.per_client.get(&c.client()), Some(&1));
    }

    #[test]
    fn a_session_runs_one_request_at_a_time_and_for_one_app() {
        let mut edge = Sessions::new(TERMS);
        let c = client(1);
        edge.begin(c.client(), c.id(), APP, None).unwrap();
        assert_eq!(
            edge.begin(c.client(), c.id(), APP, None),
            Err(Refusal::Busy)
        );
        assert_eq!(
            edge.begin(c.client(), c.id(), ContentId([4; 32]), None),
            Err(Refusal::OtherApp)
        );
    }

    #[test]
    fn a_client_signs_only_totals_that_follow_from_the_step() {
        let mut c = client(1);
        let inflated = Totals {
            units: 1_000_000,
            ..Totals::START.after(&step(0))
        };
        assert_eq!(c.record(&step(0), &inflated), Err(Unsigned::Inconsistent));
        assert_eq!(c.receipt(), None);
        c.record(&step(0), &Totals::START.after(&step(0))).unwrap();
        assert_eq!(c.receipt().unwrap().cumulative_units, step(0).units);
    }

    #[test]
    fn a_client_that_knows_the_apps_limit_signs_no_step_over_it() {
        let limit = step(0).units;
        let mut c = ClientSession::new(
            SigningKey::from_bytes(&[1; 32]),
            TERMS,
            APP,
            SessionId([1; 16]),
            Some(limit),
        );
        c.record(&step(0), &Totals::START.after(&step(0))).unwrap();
        let over = step(1);
        let consistent = Totals::START.after(&step(0)).after(&over);
        assert_eq!(
            c.record(&over, &consistent),
            Err(Unsigned::OverLimit {
                units: over.units,
                limit
            })
        );
        assert_eq!(
            c.receipt().unwrap().requests,
            1,
            "the step over it is not signed"
        );
    }

    #[test]
    fn a_new_epoch_hands_back_the_old_epochs_receipts_and_their_steps() {
        let mut edge = Sessions::new(TERMS);
        let (mut a, mut b, unsigned) = (client(1), client(2), client(3));
        for n in 0..3 {
            call(&mut edge, &mut a, n).unwrap();
        }
        edge.begin(a.client(), a.id(), APP, verified(&a)).unwrap();
        edge.finish(a.client(), a.id(), step(3));
        call(&mut edge, &mut b, 0).unwrap();
        edge.begin(b.client(), b.id(), APP, verified(&b)).unwrap();
        edge.begin(unsigned.client(), unsigned.id(), APP, None)
            .unwrap();
        edge.finish(unsigned.client(), unsigned.id(), step(0));
        // What the ledger is handed: per session with a receipt, exactly the steps it signed (not the one it
        // has not yet).
        let signed = |c: &ClientSession| {
            edge.unledgered(c.client(), c.id())
                .map(|(receipt, from, steps)| {
                    assert!(receipt.matches(&steps) && from == 0);
                    receipt.requests
                })
        };
        assert_eq!(
            (signed(&a), signed(&b), signed(&unsigned)),
            (Some(3), Some(1), None)
        );
        edge.next_epoch(TERMS.epoch + 1);
        assert!(edge.receipts().is_empty() && edge.per_client.is_empty());
        assert_eq!(edge.terms().epoch, TERMS.epoch + 1);
    }
}
