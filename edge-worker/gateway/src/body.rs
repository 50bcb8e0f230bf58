//! Response bodies read from a complete content's data file: one range, or several as `multipart/byteranges`.
//! Only the requested bytes are read, a chunk at a time, so neither a large content nor a request of many
//! ranges is ever held in memory, and a `HEAD` computes the lengths without reading anything.

use std::{io::SeekFrom, ops::RangeInclusive, path::PathBuf};

use axum::body::{Body, Bytes};
use futures::{stream, Stream, StreamExt, TryStreamExt};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use crate::limits::READ_CHUNK;

/// The boundary between the parts of a multipart body: the parts are content bytes, which could contain any
/// fixed string, but a client finds each part's end from its `Content-Range`, not by searching.
const BOUNDARY: &str = "enreach-byteranges";

/// `range` of the data file at `path`, streamed.
pub fn range(path: PathBuf, range: RangeInclusive<u64>) -> Body {
    Body::from_stream(read_range(path, range))
}

/// The bytes of `range` of the file at `path`, a chunk at a time.
fn read_range(
    path: PathBuf,
    range: RangeInclusive<u64>,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send {
    let len = range.end() + 1 - range.start();
    stream::once(async move {
        let mut file = tokio::fs::File::open(&path).await?;
        file.seek(SeekFrom::Start(*range.start())).await?;
        Ok::<_, std::io::Error>(ReaderStream::with_capacity(file.take(len), READ_CHUNK))
    })
    .try_flatten()
}

/// A `multipart/byteranges` body of several ranges of one content.
pub struct Multipart {
    /// Each part's headers (with the boundary before them) and its range.
    parts: Vec<(String, RangeInclusive<u64>)>,
}

impl Multipart {
    /// The parts of `ranges` of a content of `size` bytes, each labelled `content_type`.
    pub fn new(ranges: Vec<RangeInclusive<u64>>, content_type: &str, size: u64) -> Self {
        let parts = ranges
            .into_iter()
            .map(|r| {
                let head = format!(
                    "\r\n--{BOUNDARY}\r\nContent-Type: {content_type}\r\nContent-Range: bytes {}-{}/{size}\r\n\r\n",
                    r.start(),
                    r.end()
                );
                (head, r)
            })
            .collect();
        Self { parts }
    }

    /// The body's `Content-Type`.
    pub fn content_type() -> String {
        format!("multipart/byteranges; boundary={BOUNDARY}")
    }

    /// The body's exact length in bytes (its `Content-Length`).
    pub fn byte_len(&self) -> u64 {
        let parts: u64 = self
            .parts
            .iter()
            .map(|(head, r)| head.len() as u64 + r.end() + 1 - r.start())
            .sum();
        parts + Self::closing().len() as u64
    }

    /// The body, streamed from the data file at `path`.
    pub fn body(self, path: PathBuf) -> Body {
        let parts = stream::iter(self.parts).flat_map(move |(head, r)| {
            stream::once(async move { Ok(Bytes::from(head)) }).chain(read_range(path.clone(), r))
        });
        Body::from_stream(parts.chain(stream::once(async { Ok(Bytes::from(Self::closing())) })))
    }

    /// The closing delimiter after the last part.
    fn closing() -> String {
        format!("\r\n--{BOUNDARY}--\r\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_multipart_body_is_as_long_as_announced_and_holds_the_ranges() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        let bytes: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let multipart = Multipart::new(vec![0..=0, 500..=999], "application/octet-stream", 1000);
        let len = multipart.byte_len();
        let body = axum::body::to_bytes(multipart.body(path), usize::MAX)
            .await
            .unwrap();
        assert_eq!(body.len() as u64, len);
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("Content-Range: bytes 500-999/1000"));
        assert!(body.ends_with(format!("--{BOUNDARY}--\r\n").as_bytes()));
        assert!(body.windows(500).any(|w| w == &bytes[500..]));
    }
}
