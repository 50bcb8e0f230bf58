//! Moving bulk bytes from a libp2p substream (async, on the runtime) to the blocking thread that decodes and
//! verifies the bao stream: 256 KiB chunks over a bounded channel, so the thread wakes once per chunk rather
//! than once per transport frame, and a slow decoder applies back-pressure to the network.

use std::io::{self, Read};

use futures::AsyncReadExt;
use tokio::sync::mpsc;

/// Bytes per hand-over.
pub const CHUNK: usize = 256 * 1024;

/// Chunks in flight between the two sides.
const DEPTH: usize = 4;

/// Reads `stream` until it ends into chunks for a [`ChunkReader`]; stops early if the reader is dropped.
pub async fn pump_in(
    mut stream: impl futures::AsyncRead + Unpin,
    chunks: mpsc::Sender<io::Result<Vec<u8>>>,
) {
    loop {
        let mut chunk = vec![0u8; CHUNK];
        let mut filled = 0;
        let mut ended = false;
        while filled < CHUNK {
            match stream.read(&mut chunk[filled..]).await {
                Ok(0) => {
                    ended = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) => {
                    let _ = chunks.send(Err(e)).await;
                    return;
                }
            }
        }
        chunk.truncate(filled);
        if (!chunk.is_empty() && chunks.send(Ok(chunk)).await.is_err()) || ended {
            return;
        }
    }
}

/// The blocking side of [`pump_in`]: a `Read` over the chunks.
pub struct ChunkReader {
    chunks: mpsc::Receiver<io::Result<Vec<u8>>>,
    current: Vec<u8>,
    position: usize,
}

impl ChunkReader {
    /// A reader and the sender [`pump_in`] fills.
    pub fn channel() -> (mpsc::Sender<io::Result<Vec<u8>>>, Self) {
        let (tx, rx) = mpsc::channel(DEPTH);
        (
            tx,
            Self {
                chunks: rx,
                current: Vec::new(),
                position: 0,
            },
        )
    }
}

impl Read for ChunkReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.position == self.current.len() {
            match self.chunks.blocking_recv() {
                Some(Ok(chunk)) => {
                    self.current = chunk;
                    self.position = 0;
                }
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.current.len() - self.position);
        out[..n].copy_from_slice(&self.current[self.position..self.position + n]);
        self.position += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn bytes_cross_intact_in_order() {
        let data: Vec<u8> = (0..1_000_003u32).map(|i| (i % 251) as u8).collect();
        let (tx, mut reader) = ChunkReader::channel();
        let source = tokio::spawn(pump_in(futures::io::Cursor::new(data.clone()), tx));
        let read = tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            reader.read_to_end(&mut out).unwrap();
            out
        })
        .await
        .unwrap();
        source.await.unwrap();
        assert_eq!(read, data);
    }
}
