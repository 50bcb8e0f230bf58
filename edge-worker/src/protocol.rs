//! The PeerDTS wire protocol, `/enreach/dts/1`, one request per libp2p substream:
//!
//! ```text
//! downloader                                   provider
//!     │── HAVE  id ───────────────────────────────▶│
//!     │◀── KNOWN size name bitfield | UNKNOWN ─────│   which 16 KiB groups it holds, verified
//!     │── GET   id [start,end)… ──────────────────▶│
//!     │◀── OK + bao encoding of the groups ────────│   data interleaved with the BLAKE3 tree hashes
//!     │◀── MISSING ────────────────────────────────│   (or: a group is not held)
//! ```
//!
//! Integers are little-endian. A downloader may rely on: the bao encoding is checked group by group against
//! the content id as it arrives (a provider cannot make it store a wrong byte); the size a provider reports
//! is only trusted once the last group has verified, since the root hash commits to it. A provider may rely
//! on: requests are bounded (at most [`MAX_RANGES`] ranges, names of at most [`MAX_NAME`] bytes), so a
//! malicious downloader cannot make it allocate unbounded memory.

use std::{io, ops::Range};

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;

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

const HAVE: u8 = 0;
const GET: u8 = 1;
const KNOWN: u8 = 1;
const UNKNOWN: u8 = 0;
const OK: u8 = 0;
const MISSING: u8 = 1;

/// A request from a downloader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Which groups of `id` do you hold?
    Have(ContentHash),
    /// Send these groups of `id`.
    Get(ContentHash, Vec<Range<u64>>),
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
                name: (!name.is_empty()).then(|| String::from_utf8_lossy(&name).into_owned()),
                present,
            }))
        }
        _ => Err(invalid("unknown answer kind")),
    }
}

/// Writes the status byte that precedes the encoding of a `GET`: whether every group is held.
pub async fn write_get_status(w: &mut (impl AsyncWrite + Unpin), ok: bool) -> io::Result<()> {
    w.write_all(&[if ok { OK } else { MISSING }]).await?;
    w.flush().await
}

/// Reads that status byte: `true` if the encoding follows.
pub async fn read_get_status(r: &mut (impl AsyncRead + Unpin)) -> io::Result<bool> {
    match read_u8(r).await? {
        OK => Ok(true),
        MISSING => Ok(false),
        _ => Err(invalid("unknown status")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    #[test]
    fn requests_and_answers_round_trip() {
        block_on(async {
            let id = blake3::hash(b"x");
            for request in [Request::Have(id), Request::Get(id, vec![0..3, 7..9])] {
                let mut buf = Vec::new();
                request.write(&mut buf).await.unwrap();
                assert_eq!(Request::read(&mut &buf[..]).await.unwrap(), request);
            }
            let mut present = Bitfield::new(group_count(100_000));
            present.set(3);
            let answer = HaveAnswer {
                size: 100_000,
                name: Some("model.bin".into()),
                present,
            };
            let mut buf = Vec::new();
            write_have(&mut buf, Some(&answer)).await.unwrap();
            assert_eq!(read_have(&mut &buf[..]).await.unwrap(), Some(answer));
            let mut buf = Vec::new();
            write_have(&mut buf, None).await.unwrap();
            assert_eq!(read_have(&mut &buf[..]).await.unwrap(), None);
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
        });
    }
}
