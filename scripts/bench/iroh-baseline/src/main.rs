//! iroh-blobs on the same footing as PeerDTS in `scripts/bench/dts`: a file-system store on each side, a direct
//! QUIC connection over loopback (no relay, no address lookup), one provider.
//!
//!   iroh-baseline provide <store dir> <file>   imports the file, prints a ticket line, serves until killed
//!   iroh-baseline fetch <store dir> <ticket>   fetches into the store, prints `{"seconds": ...}` (from the
//!                                              connection being up to the blob stored and verified)

use std::{net::SocketAddr, path::PathBuf, time::Instant};

use anyhow::{bail, Context};
use iroh::{endpoint::presets, protocol::Router, Endpoint, RelayMode};
use iroh_blobs::{store::fs::FsStore, ticket::BlobTicket, BlobsProtocol};

async fn endpoint() -> anyhow::Result<Endpoint> {
    let loopback: SocketAddr = "127.0.0.1:0".parse()?;
    Ok(Endpoint::builder(presets::Minimal)
        .relay_mode(RelayMode::Disabled)
        .clear_address_lookup()
        .clear_ip_transports()
        .bind_addr(loopback)?
        .bind()
        .await?)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["provide", dir, file] => {
            let store = FsStore::load(PathBuf::from(dir)).await?;
            let path = std::path::absolute(file)?;
            let tag = store.blobs().add_path(path).await?;
            let endpoint = endpoint().await?;
            let ticket = BlobTicket::new(endpoint.addr(), tag.hash, tag.format);
            let _router = Router::builder(endpoint)
                .accept(iroh_blobs::ALPN, BlobsProtocol::new(&store, None))
                .spawn();
            println!("{ticket}");
            tokio::signal::ctrl_c().await?;
        }
        ["fetch", dir, ticket] => {
            let ticket: BlobTicket = ticket.parse().context("bad ticket")?;
            let store = FsStore::load(PathBuf::from(dir)).await?;
            let endpoint = endpoint().await?;
            let connection = endpoint.connect(ticket.addr().clone(), iroh_blobs::ALPN).await?;
            let started = Instant::now();
            let stats = store.remote().fetch(connection, ticket.hash_and_format()).await?;
            let seconds = started.elapsed().as_secs_f64();
            store.sync_db().await?;
            println!("{{\"seconds\":{seconds},\"bytes\":{}}}", stats.payload_bytes_read);
            endpoint.close().await;
        }
        _ => bail!("usage: iroh-baseline provide <store dir> <file> | fetch <store dir> <ticket>"),
    }
    Ok(())
}
