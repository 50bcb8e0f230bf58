//! Baselines for `scripts/bench/dts`, measured by the same binary as PeerDTS itself: the libp2p transport
//! streaming bytes with no protocol, verification or storage, and the BLAKE3 tree hashing that verification
//! costs. Enabled only by hidden flags: a node does not stream free bytes to anyone who asks.

use std::{io, path::Path, time::Instant};

use futures::{AsyncReadExt, AsyncWriteExt, StreamExt};
use libp2p::{PeerId, StreamProtocol};

/// The raw streaming protocol: the client sends a length (u64 LE), the server sends that many bytes.
pub const BENCH_PROTOCOL: StreamProtocol = StreamProtocol::new("/enreach/bench-stream/1");

/// Serves [`BENCH_PROTOCOL`] until the node stops.
pub async fn serve_raw(mut incoming: libp2p_stream::IncomingStreams) {
    while let Some((_, mut stream)) = incoming.next().await {
        tokio::spawn(async move {
            let mut len = [0u8; 8];
            stream.read_exact(&mut len).await?;
            let mut left = u64::from_le_bytes(len);
            let block = vec![0x42u8; 256 * 1024];
            while left > 0 {
                let n = left.min(block.len() as u64) as usize;
                stream.write_all(&block[..n]).await?;
                left -= n as u64;
            }
            stream.close().await?;
            Ok::<_, io::Error>(())
        });
    }
}

/// Streams `bytes` from `peer` over [`BENCH_PROTOCOL`]; returns the seconds it took.
pub async fn fetch_raw(
    control: &mut libp2p_stream::Control,
    peer: PeerId,
    bytes: u64,
) -> io::Result<f64> {
    let mut stream = control
        .open_stream(peer, BENCH_PROTOCOL)
        .await
        .map_err(io::Error::other)?;
    let started = Instant::now();
    stream.write_all(&bytes.to_le_bytes()).await?;
    stream.flush().await?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut got = 0u64;
    while got < bytes {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        got += n as u64;
    }
    Ok(started.elapsed().as_secs_f64())
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
