//! Compute sessions over HTTP: the headers a client and an edge's gateway exchange around each call of an edge
//! application (`/a/<app>/<path>`), so that any HTTP client that can sign ed25519 can pay for what it calls.
//!
//! Request: [`CLIENT`] (hex client key), [`SESSION`] (hex, 16 bytes), and from the second request on
//! [`RECEIPT`] (hex SCALE of the [`ComputeReceipt`] of the session so far). Response: [`TERMS`] (what a receipt
//! names: genesis hash, node, epoch), [`CODE`] (the content id of the code that ran), [`STEP`] (this request's invocation hash, response hash, compute units and whether it replays)
//! and [`TOTALS`] (the session's requests, units and transcript head after it), and [`TIME`] (the invocation's
//! time, whole Unix seconds: what the app's wall clock started at). None of these headers reaches the app: the
//! invocation a keeper replays holds the request's other headers only.
//!
//! The rest of what makes an invocation is the caller's: its request, and the seed of the app's randomness,
//! derived from the client key, session and request index (`PROTOCOL.md`). The caller can therefore predict
//! the app's randomness: an app must not use WASI random for secrets on the edge.

use codec::{Decode, Encode};
use enreach_primitives::{ClientKey, ComputeReceipt, ComputeStep, ContentId, NodeId, SessionId};

use crate::{compute::Totals, receipts::Expected};

pub const CLIENT: &str = "enreach-client";
pub const SESSION: &str = "enreach-session";
pub const RECEIPT: &str = "enreach-receipt";
pub const TERMS: &str = "enreach-terms";
pub const CODE: &str = "enreach-code";
pub const STEP: &str = "enreach-step";
pub const TOTALS: &str = "enreach-totals";
pub const TIME: &str = "enreach-time";

/// Whether `name` (lower case) is one of the compute session's headers, which are never handed to an app.
pub fn is_session_header(name: &str) -> bool {
    name.starts_with("enreach-")
}

fn array<const N: usize>(hex_text: &str) -> Option<[u8; N]> {
    hex::decode(hex_text).ok()?.try_into().ok()
}

pub fn parse_client(value: &str) -> Option<ClientKey> {
    array(value).map(ClientKey)
}

pub fn parse_session(value: &str) -> Option<SessionId> {
    array(value).map(SessionId)
}

pub fn parse_code(value: &str) -> Option<ContentId> {
    array(value).map(ContentId)
}

pub fn encode_receipt(receipt: &ComputeReceipt) -> String {
    hex::encode(receipt.encode())
}

pub fn parse_receipt(value: &str) -> Option<ComputeReceipt> {
    let bytes = hex::decode(value).ok()?;
    let mut input = bytes.as_slice();
    let receipt = ComputeReceipt::decode(&mut input).ok()?;
    input.is_empty().then_some(receipt)
}

pub fn encode_terms(terms: &Expected) -> String {
    format!(
        "{}.{}.{}",
        hex::encode(terms.genesis_hash),
        hex::encode(terms.node.0),
        terms.epoch
    )
}

pub fn parse_terms(value: &str) -> Option<Expected> {
    let mut parts = value.split('.');
    let terms = Expected {
        genesis_hash: array(parts.next()?)?,
        node: NodeId(array(parts.next()?)?),
        epoch: parts.next()?.parse().ok()?,
    };
    parts.next().is_none().then_some(terms)
}

pub fn encode_step(step: &ComputeStep) -> String {
    format!(
        "{}.{}.{}.{}",
        hex::encode(step.invocation),
        hex::encode(step.response),
        step.units,
        if step.replayable { "r" } else { "x" }
    )
}

pub fn parse_step(value: &str) -> Option<ComputeStep> {
    let mut parts = value.split('.');
    let step = ComputeStep {
        invocation: array(parts.next()?)?,
        response: array(parts.next()?)?,
        units: parts.next()?.parse().ok()?,
        replayable: match parts.next()? {
            "r" => true,
            "x" => false,
            _ => return None,
        },
    };
    parts.next().is_none().then_some(step)
}

pub fn encode_totals(totals: &Totals) -> String {
    format!(
        "{}.{}.{}",
        totals.requests,
        totals.units,
        hex::encode(totals.transcript)
    )
}

pub fn parse_totals(value: &str) -> Option<Totals> {
    let mut parts = value.split('.');
    let totals = Totals {
        requests: parts.next()?.parse().ok()?,
        units: parts.next()?.parse().ok()?,
        transcript: array(parts.next()?)?,
    };
    parts.next().is_none().then_some(totals)
}

/// An invocation time as [`TIME`] names it: whole seconds since the Unix epoch.
pub fn encode_time(time: std::time::Duration) -> String {
    time.as_secs().to_string()
}

pub fn parse_time(value: &str) -> Option<std::time::Duration> {
    value.parse().ok().map(std::time::Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_header_round_trips_and_trailing_garbage_is_refused() {
        let terms = Expected {
            genesis_hash: [1; 32],
            node: NodeId([2; 32]),
            epoch: 9,
        };
        assert_eq!(parse_terms(&encode_terms(&terms)), Some(terms));
        let step = ComputeStep {
            invocation: [3; 32],
            response: [4; 32],
            units: 12345,
            replayable: false,
        };
        assert_eq!(parse_step(&encode_step(&step)), Some(step));
        assert_eq!(parse_step(&encode_step(&step).replace(".x", ".y")), None);
        let totals = Totals {
            requests: 3,
            units: 99,
            transcript: [5; 32],
        };
        assert_eq!(parse_totals(&encode_totals(&totals)), Some(totals));
        assert_eq!(parse_totals(&(encode_totals(&totals) + ".1")), None);
        assert_eq!(
            parse_step(&encode_step(&step).replace(".12345", ".-1")),
            None
        );
        assert_eq!(
            parse_client(&"ab".repeat(31)),
            None,
            "31 bytes is not a key"
        );
        assert_eq!(parse_session(&"ab".repeat(16)), Some(SessionId([0xab; 16])));
        let receipt = ComputeReceipt {
            genesis_hash: [1; 32],
            epoch: 9,
            node: NodeId([2; 32]),
            client: ClientKey([6; 32]),
            code: enreach_primitives::ContentId([7; 32]),
            session: SessionId([8; 16]),
            requests: 1,
            cumulative_units: 12345,
            transcript: [5; 32],
            signature: [9; 64],
        };
        let encoded = encode_receipt(&receipt);
        assert_eq!(parse_receipt(&encoded), Some(receipt));
        assert_eq!(parse_receipt(&(encoded + "00")), None);
        let time = std::time::Duration::from_secs(1_700_000_000);
        assert_eq!(parse_time(&encode_time(time)), Some(time));
        assert_eq!(parse_time("1700000000.5"), None, "whole seconds only");
        assert!(is_session_header(RECEIPT) && !is_session_header("content-type"));
        assert!(is_session_header(TIME));
    }
}
