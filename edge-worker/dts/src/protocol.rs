//! The PeerDTS wire protocol, `/enreach/dts/1`, one request per libp2p substream:
//!
//! ```text
//! downloader                                   provider
//!     │── HAVE  id ───────────────────────────────▶│
//!     │◀── KNOWN size name bitfield | UNKNOWN ─────│   which 16 KiB groups it holds, verified
//!     │── GET   id [start,end)… ──────────────────▶│
//!     │◀── OK + bao encoding of the groups ────────│   data interleaved with the BLAKE3 tree hashes
//!     │◀── MISSING ────────────────────────────────│   (or: a group is not held)
//!     │◀── UNPAID ─────────────────────────────────│   (or: too many bytes without a receipt)
//!     │── RECEIPT signed delivery receipt ────────▶│
//!     │◀── ACCEPTED | STALE terms | REFUSED why ───│   accepted only once durably recorded
//!
//! router                                       edge
//!     │── STATUS ─────────────────────────────────▶│
//!     │◀── load, content held, round trips ────────│   the router's heartbeat, inventory and coordinates
//!     │── PREFETCH id ────────────────────────────▶│
//!     │◀── STARTED | HELD | BUSY | UNPUBLISHED ────│   placement ahead of demand
//! ```
//!
//! A provider that is paid through GPoW names its receipt terms (the chain and the epoch) in its `KNOWN`
//! answer; a downloader with a client key then signs cumulative receipts for what it verified from it, and the
//! provider stops serving one that falls too far behind ([`GetStatus::Unpaid`]).
//!
//! Integers are little-endian. A downloader may rely on: the bao encoding is checked group by group against
//! the content id as it arrives (a provider cannot make it store a wrong byte); the size in a `KNOWN` answer is
//! never trusted: a blob is created only with a size from a trusted source (the chain's record) or one proven
//! by the last group's encoding, since the root hash commits to the length ([`crate::size_proof`]). A provider
//! may rely on: requests are bounded (at most [`MAX_RANGES`] ranges, names of at most [`MAX_NAME`] bytes), so a
//! malicious downloader cannot make it allocate unbounded memory; `GET` ranges are merged and checked against
//! the blob before anything is served (overlaps are served once, a range past the blob is `MISSING`); and every
//! step has a deadline ([`crate::limits`]): a request not sent in time, or an answer not read, ends the
//! substream. Substreams past a provider's per-peer or total slots are reset at once: a downloader retries.
//!
//! Longer than this crate's other modules on purpose (about 530 lines of code, then its round-trip tests): every
//! message of the protocol, its encoding and its limits are read and checked in one place, the way iroh-blobs
//! and rust-libp2p keep a protocol's wire format in one `protocol.rs`; split by message, a reader would have to
//! gather the exchange from several files.

use std::{io, ops::Range, time::Duration};

use codec::{Decode, Encode, MaxEncodedLen};
use enreach_primitives::{DeliveryReceipt, EpochIndex, Hash32, NodeId};
use futures::{future::BoxFuture, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::{PeerId, Stream, StreamProtocol};

use crate::{
    bitfield::Bitfield,
    store::{group_count, ContentHash},
};

/// The protocol name.
pub const PROTOCOL: StreamProtocol = StreamProtocol::new("/enreach/dts/1");

/// Most ranges in one `GET`.
pub const MAX_RANGES: usize = 1024;
/// Longest file name in a `HAVE` answer.
pub const MAX_NAME: usize = 255;
/// Largest blob the protocol accepts (1 TiB), which bounds bitfields to 8 MiB.
pub const MAX_SIZE: u64 = 1 << 40;
/// Most content ids in a `STATUS` answer: an edge lists the complete blobs it holds up to this many.
pub const MAX_INVENTORY: usize = 4096;
/// Most round-trip samples in a `STATUS` answer.
pub const MAX_ROUND_TRIPS: usize = 32;

const HAVE: u8 = 0;
const GET: u8 = 1;
const RECEIPT: u8 = 2;
const STATUS: u8 = 3;
const PREFETCH: u8 = 4;
const KNOWN: u8 = 1;
const UNKNOWN: u8 = 0;
const OK: u8 = 0;
const MISSING: u8 = 1;
const UNPAID: u8 = 2;
const ACCEPTED: u8 = 0;
const STALE: u8 = 1;
const REFUSED: u8 = 2;

/// A request from a downloader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Which groups of `id` do you hold?
    Have(ContentHash),
    /// Send these groups of `id`.
    Get(ContentHash, Vec<Range<u64>>),
    /// A signed receipt for bytes received from this provider.
    Receipt(Box<DeliveryReceipt>),
    /// How loaded are you, what do you hold, how far are your peers? (A router's heartbeat.)
    Status,
    /// Fetch `id` now, ahead of the demand a router predicts.
    Prefetch(ContentHash),
}

/// An edge's answer to [`Request::Status`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeStatus {
    /// Transfers it is serving now.
    pub load: u32,
    /// Complete blobs it holds (at most [`MAX_INVENTORY`]).
    pub held: Vec<ContentHash>,
    /// Round trips it measured to peers, by their node ids, in microseconds (at most [`MAX_ROUND_TRIPS`]):
    /// what network coordinates are fitted to.
    pub round_trips: Vec<(NodeId, u32)>,
}

/// An edge's answer to [`Request::Prefetch`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrefetchAnswer {
    /// It is fetching the content.
    Started,
    /// It holds the content already (or is fetching it).
    Held,
    /// It runs as many prefetches as it allows.
    Busy,
    /// No dApp published the content on chain: it is not fetched for anyone.
    Unpublished,
    /// The requester is not one of the node's routers: a prefetch costs the node a download and its disk, so
    /// it takes them only from routers its operator trusts.
    NotAuthorized,
}

impl PrefetchAnswer {
    const ALL: [PrefetchAnswer; 5] = [
        PrefetchAnswer::Started,
        PrefetchAnswer::Held,
        PrefetchAnswer::Busy,
        PrefetchAnswer::Unpublished,
        PrefetchAnswer::NotAuthorized,
    ];
}

/// What a provider paid through GPoW wants receipts to say: which chain, which epoch. The node is the
/// provider's own key, which the downloader knows from the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReceiptTerms {
    /// Genesis hash of the chain.
    pub genesis_hash: Hash32,
    /// The epoch the provider is serving in.
    pub epoch: EpochIndex,
}

/// Why a provider did not record a receipt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The provider does not collect receipts (it serves for free or is not registered).
    #[error("the provider does not collect receipts")]
    NotCollecting,
    /// The client key is not authorized by a paying dApp.
    #[error("the client key is not authorized by a paying dApp")]
    Unauthorized,
    /// The signature does not verify, or the receipt names another chain or node.
    #[error("the receipt is invalid")]
    Invalid,
    /// The session already has a receipt for as many or more bytes.
    #[error("the receipt adds no bytes to its session")]
    NotNewer,
    /// The provider could not record it (its ledger failed).
    #[error("the provider could not record the receipt")]
    Internal,
}

impl Refusal {
    const ALL: [Refusal; 5] = [
        Refusal::NotCollecting,
        Refusal::Unauthorized,
        Refusal::Invalid,
        Refusal::NotNewer,
        Refusal::Internal,
    ];
}

/// A provider's answer to [`Request::Receipt`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiptAnswer {
    /// Recorded durably.
    Accepted,
    /// The receipt's epoch is over (or not yet begun): sign the unacknowledged bytes in a new session on these
    /// terms.
    Stale(ReceiptTerms),
    /// Not recorded, for this reason.
    Refused(Refusal),
}

/// Whether a `GET` is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GetStatus {
    /// Every group is held: the encoding follows.
    Ok,
    /// Some group is not held.
    Missing,
    /// The downloader owes receipts for too many bytes already.
    Unpaid,
}

/// A provider's answer to [`Request::Have`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HaveAnswer {
    /// Length of the blob in bytes.
    pub size: u64,
    /// File name it was published under.
    pub name: Option<String>,
    /// Groups the provider holds, verified.
    pub present: Bitfield,
    /// The receipts it collects, if it is paid through GPoW.
    pub terms: Option<ReceiptTerms>,
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_string())
}

async fn read_u8(r: &mut (impl AsyncRead + Unpin)) -> io::Result<u8> {
    let mut b = [0u8; 1];
    r.read_exact(&mut b).await?;
    Ok(b[0])
}

async fn read_u64(r: &mut (impl AsyncRead + Unpin)) -> io::Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b).await?;
    Ok(u64::from_le_bytes(b))
}

async fn read_hash(r: &mut (impl AsyncRead + Unpin)) -> io::Result<ContentHash> {
    let mut b = [0u8; 32];
    r.read_exact(&mut b).await?;
    Ok(blake3::Hash::from_bytes(b))
}

impl Request {
    /// Writes the request.
    pub async fn write(&self, w: &mut (impl AsyncWrite + Unpin)) -> io::Result<()> {
        let mut buf = Vec::new();
        match self {
            Request::Have(id) => {
                buf.push(HAVE);
                buf.extend_from_slice(id.as_bytes());
            }
            Request::Get(id, ranges) => {
                if ranges.len() > MAX_RANGES {
                    return Err(invalid("too many ranges"));
                }
                buf.push(GET);
                buf.extend_from_slice(id.as_bytes());
                buf.extend_from_slice(&(ranges.len() as u16).to_le_bytes());
                for r in ranges {
                    buf.extend_from_slice(&r.start.to_le_bytes());
                    buf.extend_from_slice(&r.end.to_le_bytes());
                }
            }
            Request::Receipt(receipt) => {
                buf.push(RECEIPT);
                receipt.encode_to(&mut buf);
            }
            Request::Status => buf.push(STATUS),
            Request::Prefetch(id) => {
                buf.push(PREFETCH);
                buf.extend_from_slice(id.as_bytes());
            }
        }
        w.write_all(&buf).await?;
        w.flush().await
    }

    /// Reads a request, rejecting malformed or oversized ones.
    pub async fn read(r: &mut (impl AsyncRead + Unpin)) -> io::Result<Self> {
        match read_u8(r).await? {
            HAVE => Ok(Request::Have(read_hash(r).await?)),
            GET => {
                let id = read_hash(r).await?;
                let mut n = [0u8; 2];
                r.read_exact(&mut n).await?;
                let n = u16::from_le_bytes(n) as usize;
                if n > MAX_RANGES {
                    return Err(invalid("too many ranges"));
                }
                let mut ranges = Vec::with_capacity(n);
                for _ in 0..n {
                    let start = read_u64(r).await?;
                    let end = read_u64(r).await?;
                    if start >= end {
                        return Err(invalid("empty or inverted range"));
                    }
                    ranges.push(start..end);
                }
                Ok(Request::Get(id, ranges))
            }
            RECEIPT => {
                // Every field of a receipt has a fixed size: the encoding is exactly this long.
                let mut bytes = vec![0u8; DeliveryReceipt::max_encoded_len()];
                r.read_exact(&mut bytes).await?;
                let receipt = DeliveryReceipt::decode(&mut &bytes[..])
                    .map_err(|_| invalid("malformed receipt"))?;
                Ok(Request::Receipt(Box::new(receipt)))
            }
            STATUS => Ok(Request::Status),
            PREFETCH => Ok(Request::Prefetch(read_hash(r).await?)),
            _ => Err(invalid("unknown request kind")),
        }
    }
}

/// Writes the answer to a `HAVE`: `None` if the blob is unknown here.
pub async fn write_have(
    w: &mut (impl AsyncWrite + Unpin),
    answer: Option<&HaveAnswer>,
) -> io::Result<()> {
    let mut buf = Vec::new();
    match answer {
        None => buf.push(UNKNOWN),
        Some(a) => {
            buf.push(KNOWN);
            buf.extend_from_slice(&a.size.to_le_bytes());
            let name = a.name.as_deref().unwrap_or("").as_bytes();
            let name = &name[..name.len().min(MAX_NAME)];
            buf.push(name.len() as u8);
            buf.extend_from_slice(name);
            buf.extend_from_slice(a.present.as_bytes());
            write_terms(&mut buf, a.terms.as_ref());
        }
    }
    w.write_all(&buf).await?;
    w.flush().await
}

/// Reads the answer to a `HAVE`.
pub async fn read_have(r: &mut (impl AsyncRead + Unpin)) -> io::Result<Option<HaveAnswer>> {
    match read_u8(r).await? {
        UNKNOWN => Ok(None),
        KNOWN => {
            let size = read_u64(r).await?;
            if size > MAX_SIZE {
                return Err(invalid("blob too large"));
            }
            let name_len = read_u8(r).await? as usize;
            let mut name = vec![0u8; name_len];
            r.read_exact(&mut name).await?;
            let groups = group_count(size);
            let mut bits = vec![0u8; groups.div_ceil(8) as usize];
            r.read_exact(&mut bits).await?;
            let present =
                Bitfield::from_bytes(groups, bits).ok_or_else(|| invalid("malformed bitfield"))?;
            Ok(Some(HaveAnswer {
                size,
                // Strict UTF-8: a lossy decoding would accept many encodings of one name.
                name: match name.is_empty() {
                    true => None,
                    false => {
                        Some(String::from_utf8(name).map_err(|_| invalid("name is not UTF-8"))?)
                    }
                },
                present,
                terms: read_terms(r).await?,
            }))
        }
        _ => Err(invalid("unknown answer kind")),
    }
}

/// How long a short request (`HAVE`, `RECEIPT`) waits for its answer.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// One short exchange with `peer` on a fresh substream ([`send`]): sends `request`, reads the answer with
/// `read`, all within [`ANSWER_TIMEOUT`], closes the substream.
pub async fn ask<T>(
    control: &libp2p_stream::Control,
    peer: PeerId,
    request: Request,
    read: impl for<'a> Fn(&'a mut Stream) -> BoxFuture<'a, io::Result<T>>,
) -> io::Result<T> {
    let (mut stream, answer) =
        tokio::time::timeout(ANSWER_TIMEOUT, send(control, peer, &request, read))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no answer in time"))??;
    let _ = stream.close().await;
    Ok(answer)
}

/// How often a request whose substream the provider dropped unread is sent again.
const DROPPED_RETRIES: u32 = 4;

/// Opens a substream to `peer`, sends `request` and reads the beginning of the answer with `first`, which is
/// returned with the stream. libp2p-stream hands a provider its inbound substreams through a queue of one and
/// drops any that finds it full, which happens whenever several come at once (eight nodes pulling one model
/// from each other lost about 1 000 each in 45 s, and gave their providers up as gone): a substream closed
/// before the first byte of an answer was never read, so a `HAVE` or `GET` (safe to ask twice) is sent again
/// after a short pause, up to [`DROPPED_RETRIES`] times. A provider refusing a request past its limits looks
/// the same and is asked only those few times more.
pub async fn send<T>(
    control: &libp2p_stream::Control,
    peer: PeerId,
    request: &Request,
    first: impl for<'a> Fn(&'a mut Stream) -> BoxFuture<'a, io::Result<T>>,
) -> io::Result<(Stream, T)> {
    let mut attempt = 0;
    loop {
        let mut stream = control
            .clone()
            .open_stream(peer, PROTOCOL)
            .await
            .map_err(io::Error::other)?;
        let sent = match request.write(&mut stream).await {
            Ok(()) => first(&mut stream).await,
            Err(e) => Err(e),
        };
        match sent {
            Ok(answer) => return Ok((stream, answer)),
            // Only what is safe to ask twice: a RECEIPT the provider recorded before its substream was cut
            // is refused as not newer when sent again, and a refused STATUS or PREFETCH ends this way on
            // purpose (attacker review).
            Err(e)
                if attempt < DROPPED_RETRIES
                    && dropped_unread(&e)
                    && matches!(request, Request::Have(_) | Request::Get(..)) =>
            {
                attempt += 1;
                let pause =
                    rand::Rng::gen_range(&mut rand::thread_rng(), 5..25) * u64::from(attempt);
                tokio::time::sleep(Duration::from_millis(pause)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Whether `e` is what a substream the other side dropped unread gives: closed for writing, or ended or reset
/// before anything was read.
fn dropped_unread(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WriteZero
            | io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::BrokenPipe
    )
}

fn write_terms(buf: &mut Vec<u8>, terms: Option<&ReceiptTerms>) {
    match terms {
        None => buf.push(0),
        Some(t) => {
            buf.push(1);
            buf.extend_from_slice(&t.genesis_hash);
            buf.extend_from_slice(&t.epoch.to_le_bytes());
        }
    }
}

async fn read_terms(r: &mut (impl AsyncRead + Unpin)) -> io::Result<Option<ReceiptTerms>> {
    match read_u8(r).await? {
        0 => Ok(None),
        1 => {
            let mut genesis_hash = [0u8; 32];
            r.read_exact(&mut genesis_hash).await?;
            let mut epoch = [0u8; 4];
            r.read_exact(&mut epoch).await?;
            Ok(Some(ReceiptTerms {
                genesis_hash,
                epoch: u32::from_le_bytes(epoch),
            }))
        }
        _ => Err(invalid("malformed receipt terms")),
    }
}

/// Writes the status byte that precedes the encoding of a `GET`.
pub async fn write_get_status(
    w: &mut (impl AsyncWrite + Unpin),
    status: GetStatus,
) -> io::Result<()> {
    let byte = match status {
        GetStatus::Ok => OK,
        GetStatus::Missing => MISSING,
        GetStatus::Unpaid => UNPAID,
    };
    w.write_all(&[byte]).await?;
    w.flush().await
}

/// Reads that status byte.
pub async fn read_get_status(r: &mut (impl AsyncRead + Unpin)) -> io::Result<GetStatus> {
    match read_u8(r).await? {
        OK => Ok(GetStatus::Ok),
        MISSING => Ok(GetStatus::Missing),
        UNPAID => Ok(GetStatus::Unpaid),
        _ => Err(invalid("unknown status")),
    }
}

/// Writes the answer to a `RECEIPT`.
pub async fn write_receipt_answer(
    w: &mut (impl AsyncWrite + Unpin),
    answer: ReceiptAnswer,
) -> io::Result<()> {
    let mut buf = Vec::new();
    match answer {
        ReceiptAnswer::Accepted => buf.push(ACCEPTED),
        ReceiptAnswer::Stale(terms) => {
            buf.push(STALE);
            write_terms(&mut buf, Some(&terms));
        }
        ReceiptAnswer::Refused(why) => {
            buf.push(REFUSED);
            buf.push(why as u8);
        }
    }
    w.write_all(&buf).await?;
    w.flush().await
}

/// Reads the answer to a `RECEIPT`.
pub async fn read_receipt_answer(r: &mut (impl AsyncRead + Unpin)) -> io::Result<ReceiptAnswer> {
    match read_u8(r).await? {
        ACCEPTED => Ok(ReceiptAnswer::Accepted),
        STALE => read_terms(r)
            .await?
            .map(ReceiptAnswer::Stale)
            .ok_or_else(|| invalid("stale without terms")),
        REFUSED => {
            let code = read_u8(r).await? as usize;
            Refusal::ALL
                .get(code)
                .map(|why| ReceiptAnswer::Refused(*why))
                .ok_or_else(|| invalid("unknown refusal"))
        }
        _ => Err(invalid("unknown receipt answer")),
    }
}

/// Writes the answer to a `STATUS`, truncated to the protocol's bounds.
pub async fn write_status(
    w: &mut (impl AsyncWrite + Unpin),
    status: &NodeStatus,
) -> io::Result<()> {
    let held = &status.held[..status.held.len().min(MAX_INVENTORY)];
    let round_trips = &status.round_trips[..status.round_trips.len().min(MAX_ROUND_TRIPS)];
    let mut buf = Vec::with_capacity(7 + held.len() * 32 + round_trips.len() * 36);
    buf.extend_from_slice(&status.load.to_le_bytes());
    buf.extend_from_slice(&(held.len() as u16).to_le_bytes());
    for id in held {
        buf.extend_from_slice(id.as_bytes());
    }
    buf.push(round_trips.len() as u8);
    for (node, micros) in round_trips {
        buf.extend_from_slice(&node.0);
        buf.extend_from_slice(&micros.to_le_bytes());
    }
    w.write_all(&buf).await?;
    w.flush().await
}

/// Reads the answer to a `STATUS`, rejecting one over the protocol's bounds.
pub async fn read_status(r: &mut (impl AsyncRead + Unpin)) -> io::Result<NodeStatus> {
    let mut load = [0u8; 4];
    r.read_exact(&mut load).await?;
    let mut held = [0u8; 2];
    r.read_exact(&mut held).await?;
    let held = u16::from_le_bytes(held) as usize;
    if held > MAX_INVENTORY {
        return Err(invalid("inventory too long"));
    }
    let mut status = NodeStatus {
        load: u32::from_le_bytes(load),
        held: Vec::with_capacity(held),
        round_trips: Vec::new(),
    };
    for _ in 0..held {
        status.held.push(read_hash(r).await?);
    }
    let round_trips = read_u8(r).await? as usize;
    if round_trips > MAX_ROUND_TRIPS {
        return Err(invalid("too many round trips"));
    }
    for _ in 0..round_trips {
        let mut node = [0u8; 32];
        r.read_exact(&mut node).await?;
        let mut micros = [0u8; 4];
        r.read_exact(&mut micros).await?;
        status
            .round_trips
            .push((NodeId(node), u32::from_le_bytes(micros)));
    }
    Ok(status)
}

/// Writes the answer to a `PREFETCH`.
pub async fn write_prefetch_answer(
    w: &mut (impl AsyncWrite + Unpin),
    answer: PrefetchAnswer,
) -> io::Result<()> {
    w.write_all(&[answer as u8]).await?;
    w.flush().await
}

/// Reads the answer to a `PREFETCH`.
pub async fn read_prefetch_answer(r: &mut (impl AsyncRead + Unpin)) -> io::Result<PrefetchAnswer> {
    PrefetchAnswer::ALL
        .get(read_u8(r).await? as usize)
        .copied()
        .ok_or_else(|| invalid("unknown prefetch answer"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    #[test]
    fn requests_and_answers_round_trip() {
        block_on(async {
            let id = blake3::hash(b"x");
            let receipt = DeliveryReceipt {
                genesis_hash: [1; 32],
                epoch: 7,
                node: enreach_primitives::NodeId([2; 32]),
                client: enreach_primitives::ClientKey([3; 32]),
                content: enreach_primitives::ContentId([4; 32]),
                session: enreach_primitives::SessionId([5; 16]),
                cumulative_bytes: 4 << 20,
                signature: [6; 64],
            };
            for request in [
                Request::Have(id),
                Request::Get(id, vec![0..3, 7..9]),
                Request::Receipt(Box::new(receipt)),
                Request::Status,
                Request::Prefetch(id),
            ] {
                let mut buf = Vec::new();
                request.write(&mut buf).await.unwrap();
                assert_eq!(Request::read(&mut &buf[..]).await.unwrap(), request);
            }
            let mut present = Bitfield::new(group_count(100_000));
            present.set(3);
            let terms = ReceiptTerms {
                genesis_hash: [9; 32],
                epoch: 12,
            };
            for terms in [None, Some(terms)] {
                let answer = HaveAnswer {
                    size: 100_000,
                    name: Some("model.bin".into()),
                    present: present.clone(),
                    terms,
                };
                let mut buf = Vec::new();
                write_have(&mut buf, Some(&answer)).await.unwrap();
                assert_eq!(read_have(&mut &buf[..]).await.unwrap(), Some(answer));
            }
            let answers = [ReceiptAnswer::Accepted, ReceiptAnswer::Stale(terms)]
                .into_iter()
                .chain(Refusal::ALL.map(ReceiptAnswer::Refused));
            for answer in answers {
                let mut buf = Vec::new();
                write_receipt_answer(&mut buf, answer).await.unwrap();
                assert_eq!(read_receipt_answer(&mut &buf[..]).await.unwrap(), answer);
            }
            for status in [GetStatus::Ok, GetStatus::Missing, GetStatus::Unpaid] {
                let mut buf = Vec::new();
                write_get_status(&mut buf, status).await.unwrap();
                assert_eq!(read_get_status(&mut &buf[..]).await.unwrap(), status);
            }
            let mut buf = Vec::new();
            write_have(&mut buf, None).await.unwrap();
            assert_eq!(read_have(&mut &buf[..]).await.unwrap(), None);
            let status = NodeStatus {
                load: 3,
                held: vec![id, blake3::hash(b"y")],
                round_trips: vec![(NodeId([8; 32]), 1500)],
            };
            let mut buf = Vec::new();
            write_status(&mut buf, &status).await.unwrap();
            assert_eq!(read_status(&mut &buf[..]).await.unwrap(), status);
            for answer in PrefetchAnswer::ALL {
                let mut buf = Vec::new();
                write_prefetch_answer(&mut buf, answer).await.unwrap();
                assert_eq!(read_prefetch_answer(&mut &buf[..]).await.unwrap(), answer);
            }
        });
    }

    #[test]
    fn malformed_requests_are_rejected() {
        block_on(async {
            let id = blake3::hash(b"x");
            let mut buf = vec![GET];
            buf.extend_from_slice(id.as_bytes());
            buf.extend_from_slice(&(MAX_RANGES as u16 + 1).to_le_bytes());
            assert!(
                Request::read(&mut &buf[..]).await.is_err(),
                "too many ranges"
            );
            let mut buf = vec![GET];
            buf.extend_from_slice(id.as_bytes());
            buf.extend_from_slice(&1u16.to_le_bytes());
            buf.extend_from_slice(&5u64.to_le_bytes());
            buf.extend_from_slice(&5u64.to_le_bytes());
            assert!(Request::read(&mut &buf[..]).await.is_err(), "empty range");
            assert!(
                Request::read(&mut &[9u8][..]).await.is_err(),
                "unknown kind"
            );
            let mut buf = vec![KNOWN];
            buf.extend_from_slice(&(MAX_SIZE + 1).to_le_bytes());
            assert!(read_have(&mut &buf[..]).await.is_err(), "oversized blob");
            let mut buf = 0u32.to_le_bytes().to_vec();
            buf.extend_from_slice(&(MAX_INVENTORY as u16 + 1).to_le_bytes());
            assert!(
                read_status(&mut &buf[..]).await.is_err(),
                "oversized inventory"
            );
            assert!(
                read_prefetch_answer(&mut &[9u8][..]).await.is_err(),
                "unknown prefetch answer"
            );
        });
    }
}
