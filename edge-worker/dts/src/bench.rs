//! Baselines for `scripts/bench/dts`, measured by the same binary as PeerDTS itself: the libp2p transport
//! streaming a stored file with no protocol, verification or storage, and the BLAKE3 tree hashing that verification
//! costs. Enabled only by hidden flags: a node does not stream free bytes to anyone who asks.

use std::{io, path::Path, sync::Arc, time::Instant};

use futures::{AsyncReadExt, AsyncWriteExt, StreamExt};
use libp2p::{PeerId, StreamProtocol};

use crate::store::{ContentHash, ContentStore};

/// The raw streaming protocol: the client sends a content id (32 bytes), the server sends the stored content's
/// size (u64 LE) and then its bytes as read from its store, with no framing or proof.
pub const BENCH_PROTOCOL: StreamProtocol = StreamProtocol::new("/enreach/bench-stream/2");

/// Serves [`BENCH_PROTOCOL`] from `store` until the node stops.
pub async fn serve_raw(store: Arc<ContentStore>, mut incoming: libp2p_stream::IncomingStreams) {
    while let Some((_, mut stream)) = incoming.next().await {
        let store = store.clone();
        tokio::spawn(async move {
            let mut id = [0u8; 32];
            stream.read_exact(&mut id).await?;
            let blob = store
                .get(&ContentHash::from_bytes(id))
                .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
            stream.write_all(&blob.size().to_le_bytes()).await?;
            let mut block = vec![0u8; 256 * 1024];
            let mut offset = 0;
            while offset < blob.size() {
                let n = (blob.size() - offset).min(block.len() as u64) as usize;
                blob.read_at(offset, &mut block[..n])
                    .map_err(|e| io::Error::other(e.to_string()))?;
                stream.write_all(&block[..n]).await?;
                offset += n as u64;
            }
            stream.close().await?;
            Ok::<_, io::Error>(())
        });
    }
}

/// Streams content `id` from `peer` over [`BENCH_PROTOCOL`]; returns its size and the seconds it took.
pub async fn fetch_raw(
    control: &mut libp2p_stream::Control,
    peer: PeerId,
    id: ContentHash,
) -> io::Result<(u64, f64)> {
    let mut stream = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        control.open_stream(peer, BENCH_PROTOCOL),
    )
    .await
    .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no stream to the peer in 30 s"))?
    .map_err(io::Error::other)?;
    let started = Instant::now();
    stream.write_all(id.as_bytes()).await?;
    stream.flush().await?;
    let mut size = [0u8; 8];
    stream.read_exact(&mut size).await?;
    let size = u64::from_le_bytes(size);
    let mut buf = vec![0u8; 256 * 1024];
    let mut got = 0u64;
    while got < size {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        got += n as u64;
    }
    Ok((size, started.elapsed().as_secs_f64()))
}

/// Seconds of one core to hash `path` into its BLAKE3 tree with 16 KiB groups: what verifying it costs a
/// downloader.
pub fn verify_cost(path: &Path) -> io::Result<f64> {
    let data = std::fs::read(path)?;
    let started = Instant::now();
    let outboard =
        bao_tree::io::outboard::PreOrderMemOutboard::create(&data, crate::store::block_size());
    let seconds = started.elapsed().as_secs_f64();
    std::hint::black_box(outboard.root);
    Ok(seconds)
}
