//! A blob's size, never taken on a provider's word. A `HAVE` answer names a size, but a blob created with a
//! wrong one is poison: size 0 makes it complete with nothing verified (then served and announced, so it
//! spreads), any other wrong size makes it unfetchable. So a downloader creates a blob only with a size a
//! provider proved by sending the blob's last group, even when its caller names one (the chain's record of the
//! content can be wrong too): the bao proof of that group binds the length to the content id
//! (its chunk counter, its length and the tree's shape all follow from the size and are hashed into the root).
//! The proof costs one 16 KiB round trip; the verified group is kept, so no byte is fetched twice.

use std::io;

use futures::{AsyncReadExt, AsyncWriteExt};
use libp2p::PeerId;

use crate::{
    protocol::{self, GetStatus, HaveAnswer, Request, ANSWER_TIMEOUT},
    store::{group_count, size_is_possible, verify_encoding, ContentHash, StoreError, GROUP_BYTES},
};

/// Most bytes the encoding of one group takes: the group and the hash pairs on its path to the root (64 bytes
/// per level; a tree of at most [`protocol::MAX_SIZE`] bytes in 16 KiB groups is far shallower than 64).
const MAX_GROUP_ENCODING: u64 = GROUP_BYTES + 64 * 64;

/// Why a provider's size was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum SizeError {
    /// No content but the empty one is 0 bytes long.
    #[error("content cannot be {0} bytes long")]
    Impossible(u64),
    /// The provider does not hold the group that would prove its size (an honest partial copy, or a liar).
    #[error("the provider does not hold the last group, which proves the size")]
    LastGroupNotHeld,
    /// The provider did not send the last group in time, refused, or broke the protocol.
    #[error("the provider did not send the last group: {0}")]
    Io(#[from] io::Error),
    /// The last group the provider sent does not verify for that size: it lied.
    #[error("the last group does not prove size {0}: {1}")]
    Refuted(u64, StoreError),
}

/// A size proven for a content id.
#[derive(Debug)]
pub struct ProvenSize {
    /// The blob's length.
    pub size: u64,
    /// The last group's index and its verified encoding, to store once the blob exists; `None` for the empty
    /// content, which has no group.
    pub last_group: Option<(u64, Vec<u8>)>,
}

/// Checks the size `answer` names for `id` by fetching and verifying the last group from `peer`.
pub async fn prove(
    control: &libp2p_stream::Control,
    peer: PeerId,
    id: ContentHash,
    answer: &HaveAnswer,
) -> Result<ProvenSize, SizeError> {
    let size = answer.size;
    if !size_is_possible(&id, size) {
        return Err(SizeError::Impossible(size));
    }
    if size == 0 {
        return Ok(ProvenSize {
            size,
            last_group: None,
        });
    }
    let last = group_count(size) - 1;
    if !answer.present.get(last) {
        return Err(SizeError::LastGroupNotHeld);
    }
    let encoding = tokio::time::timeout(ANSWER_TIMEOUT, get_group(control, peer, id, last))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no last group in time"))??;
    let last_group = last..last + 1;
    verify_encoding(id, size, &[last_group], &encoding[..])
        .map_err(|e| SizeError::Refuted(size, e))?;
    Ok(ProvenSize {
        size,
        last_group: Some((last, encoding)),
    })
}

/// The raw encoding of `group` from `peer`, at most [`MAX_GROUP_ENCODING`] bytes.
async fn get_group(
    control: &libp2p_stream::Control,
    peer: PeerId,
    id: ContentHash,
    group: u64,
) -> io::Result<Vec<u8>> {
    #[allow(clippy::single_range_in_vec_init)]
    let request = Request::Get(id, vec![group..group + 1]);
    let (mut stream, status) = protocol::send(control, peer, &request, |stream| {
        Box::pin(protocol::read_get_status(stream))
    })
    .await?;
    if status != GetStatus::Ok {
        return Err(io::Error::other("the provider did not serve the group"));
    }
    let mut encoding = Vec::new();
    (&mut stream)
        .take(MAX_GROUP_ENCODING + 1)
        .read_to_end(&mut encoding)
        .await?;
    if encoding.len() as u64 > MAX_GROUP_ENCODING {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the group's encoding is too long",
        ));
    }
    let _ = stream.close().await;
    Ok(encoding)
}
