//! Connection floods (attacker review of issue 2.3): `MAX_PENDING_INCOMING` is global, so one host keeping that
//! many TCP connections open and silent (no multistream, no noise), reconnecting as soon as one is closed, held
//! the whole pending pool and every other peer's connection was refused. The flood comes from 127.0.0.2, the
//! honest peer from 127.0.0.1: two hosts.

mod common;

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use common::Node;
use libp2p::multiaddr::Protocol;
use tokio::io::AsyncReadExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn silent_tcp_connections_from_one_host_do_not_lock_out_other_peers() {
    let provider = Node::start().await;
    let addr = provider.network.listen_addrs().await.remove(0);
    let port = addr
        .iter()
        .find_map(|p| match p {
            Protocol::Tcp(port) => Some(port),
            _ => None,
        })
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    // 200 silent connections from one host, each reopened as soon as it is closed.
    let mut flood = Vec::new();
    for _ in 0..200 {
        let stop = stop.clone();
        flood.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let socket = tokio::net::TcpSocket::new_v4().unwrap();
                socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
                let Ok(mut stream) = socket.connect(([127, 0, 0, 1], port).into()).await else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let mut buf = [0u8; 64];
                while !stop.load(Ordering::Relaxed) {
                    // Closed or reset by the provider: connect again.
                    let read =
                        tokio::time::timeout(Duration::from_millis(500), stream.read(&mut buf));
                    if let Ok(Ok(0) | Err(_)) = read.await {
                        break;
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let honest = Node::start().await;
    let connected = tokio::time::timeout(Duration::from_secs(25), async {
        // An honest peer retries its dial every second.
        while !honest.network.connected().await.contains(&provider.id()) {
            honest.network.dial(addr.clone()).await;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
    .await;
    stop.store(true, Ordering::Relaxed);
    for task in flood {
        task.abort();
    }
    assert!(
        connected.is_ok(),
        "an honest peer could not connect for 25 s while one host held the pending pool"
    );
}
