//! Moving bulk bytes between a libp2p substream (async, on the runtime) and the blocking thread that encodes or
//! decodes the bao stream: 256 KiB chunks over a bounded channel, so a thread wakes once per chunk rather than
//! once per transport frame, both sides work at the same time (the encoder fills the next chunk while the
//! network sends the last), and the slower side applies back-pressure to the other. Chunk buffers go back to
//! the side that fills them, so a transfer allocates (and the kernel maps) a handful of buffers, not one per
//! chunk.

use std::{
    io::{self, Read, Write},
    sync::{Arc, Mutex},
    time::Duration,
};

use futures::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::limits::READ_IDLE_TIMEOUT;

/// Bytes per hand-over.
pub const CHUNK: usize = 256 * 1024;

/// Chunks in flight between the two sides.
const DEPTH: usize = 4;

/// Spent chunk buffers, returned by the side that empties them to the side that fills them.
#[derive(Clone, Default)]
struct Pool(Arc<Mutex<Vec<Vec<u8>>>>);

impl Pool {
    /// An empty buffer of [`CHUNK`] capacity: a returned one if there is one.
    fn take(&self) -> Vec<u8> {
        let mut spent = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut buffer = spent.pop().unwrap_or_else(|| Vec::with_capacity(CHUNK));
        buffer.clear();
        buffer
    }

    fn give(&self, buffer: Vec<u8>) {
        let mut spent = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if spent.len() <= DEPTH {
            spent.push(buffer);
        }
    }
}

/// The filling end of a [`ChunkReader`], for [`pump_in`].
pub struct ChunkSender {
    chunks: mpsc::Sender<io::Result<Vec<u8>>>,
    pool: Pool,
}

/// Reads `stream` until it ends into chunks for a [`ChunkReader`]; stops early if the reader is dropped.
pub async fn pump_in(mut stream: impl futures::AsyncRead + Unpin, sender: ChunkSender) {
    let ChunkSender { chunks, pool } = sender;
    loop {
        let mut chunk = pool.take();
        chunk.resize(CHUNK, 0);
        let mut filled = 0;
        let mut ended = false;
        while filled < CHUNK {
            let read = tokio::time::timeout(READ_IDLE_TIMEOUT, stream.read(&mut chunk[filled..]));
            match read.await.unwrap_or_else(|_| {
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the provider sent nothing for too long",
                ))
            }) {
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
    pool: Pool,
    current: Vec<u8>,
    position: usize,
}

impl ChunkReader {
    /// A reader and the sender [`pump_in`] fills.
    pub fn channel() -> (ChunkSender, Self) {
        let (tx, rx) = mpsc::channel(DEPTH);
        let pool = Pool::default();
        (
            ChunkSender {
                chunks: tx,
                pool: pool.clone(),
            },
            Self {
                chunks: rx,
                pool,
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
                    self.pool.give(std::mem::replace(&mut self.current, chunk));
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

/// The draining end of a [`ChunkWriter`], for [`pump_out`].
pub struct ChunkReceiver {
    chunks: mpsc::Receiver<Vec<u8>>,
    pool: Pool,
}

/// Writes the chunks of a [`ChunkWriter`] to `stream` until the writer is dropped; then flushes. Returns the
/// stream for closing. If the stream fails, or takes no byte for `idle` (a requester that stopped reading), it
/// fails with [`io::ErrorKind::TimedOut`], and the writer's next write fails too, releasing its thread.
pub async fn pump_out<S: futures::AsyncWrite + Unpin>(
    mut stream: S,
    receiver: ChunkReceiver,
    idle: Duration,
) -> io::Result<S> {
    let ChunkReceiver { mut chunks, pool } = receiver;
    let stalled = || io::Error::new(io::ErrorKind::TimedOut, "the requester stopped reading");
    while let Some(chunk) = chunks.recv().await {
        let mut sent = 0;
        while sent < chunk.len() {
            // Each write is as large as the transport takes at once: a timer per write, not per byte.
            match tokio::time::timeout(idle, stream.write(&chunk[sent..])).await {
                Ok(Ok(0)) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(Ok(n)) => sent += n,
                Ok(Err(e)) => return Err(e),
                Err(_) => return Err(stalled()),
            }
        }
        pool.give(chunk);
    }
    tokio::time::timeout(idle, stream.flush())
        .await
        .map_err(|_| stalled())??;
    Ok(stream)
}

/// The blocking side of [`pump_out`]: a `Write` that hands over full chunks (and the rest on `flush`).
pub struct ChunkWriter {
    chunks: mpsc::Sender<Vec<u8>>,
    pool: Pool,
    current: Vec<u8>,
}

impl ChunkWriter {
    /// A writer and the receiver [`pump_out`] drains.
    pub fn channel() -> (Self, ChunkReceiver) {
        let (tx, rx) = mpsc::channel(DEPTH);
        let pool = Pool::default();
        (
            Self {
                chunks: tx,
                current: pool.take(),
                pool: pool.clone(),
            },
            ChunkReceiver { chunks: rx, pool },
        )
    }

    fn hand_over(&mut self) -> io::Result<()> {
        let full = std::mem::replace(&mut self.current, self.pool.take());
        self.chunks
            .blocking_send(full)
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(CHUNK - self.current.len());
        self.current.extend_from_slice(&buf[..n]);
        if self.current.len() == CHUNK {
            self.hand_over()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.current.is_empty() {
            return Ok(());
        }
        self.hand_over()
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

    #[tokio::test(flavor = "multi_thread")]
    async fn written_bytes_reach_the_stream_intact_in_order() {
        let data: Vec<u8> = (0..1_000_003u32).map(|i| (i % 251) as u8).collect();
        let (mut writer, chunks) = ChunkWriter::channel();
        let sink = tokio::spawn(pump_out(
            futures::io::Cursor::new(Vec::new()),
            chunks,
            Duration::from_secs(10),
        ));
        let source = data.clone();
        tokio::task::spawn_blocking(move || {
            // Odd-sized writes straddle chunk boundaries.
            for piece in source.chunks(7_777) {
                writer.write_all(piece).unwrap();
            }
            writer.flush().unwrap();
        })
        .await
        .unwrap();
        assert_eq!(sink.await.unwrap().unwrap().into_inner(), data);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_failed_stream_fails_the_writer() {
        let (mut writer, chunks) = ChunkWriter::channel();
        drop(chunks);
        let failed = tokio::task::spawn_blocking(move || writer.write_all(&vec![0; CHUNK + 1]))
            .await
            .unwrap();
        assert_eq!(failed.unwrap_err().kind(), io::ErrorKind::BrokenPipe);
    }
}
