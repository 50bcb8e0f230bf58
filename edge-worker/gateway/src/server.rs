//! Serves a router on the open internet: hyper with its timer set (without one its header read timeout is
//! silently off), a cap on open connections and on connections per client address, a timeout on
//! producing each response head, and one on a client that stops reading (`stall`). HTTP/1 handles one
//! request at a time per connection, so the connection caps also cap the requests in flight.

use std::{
    collections::HashMap,
    convert::Infallible,
    net::{IpAddr, Ipv6Addr},
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    body::Body,
    http::{Request, Response, StatusCode},
    Router,
};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{net::TcpListener, sync::Semaphore};
use tower::ServiceExt;
use tracing::{debug, warn};

use crate::{limits, stall::StallGuard};

/// The limits of one listener.
#[derive(Clone, Debug)]
pub struct ServerLimits {
    /// See [`limits::HEADER_READ_TIMEOUT`].
    pub header_read_timeout: Duration,
    /// See [`limits::REQUEST_TIMEOUT`].
    pub request_timeout: Duration,
    /// See [`limits::WRITE_STALL_TIMEOUT`].
    pub write_stall_timeout: Duration,
    /// See [`limits::MAX_CONNECTIONS`].
    pub max_connections: usize,
    /// See [`limits::MAX_CONNECTIONS_PER_IP`].
    pub max_connections_per_ip: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: limits::HEADER_READ_TIMEOUT,
            request_timeout: limits::REQUEST_TIMEOUT,
            write_stall_timeout: limits::WRITE_STALL_TIMEOUT,
            max_connections: limits::MAX_CONNECTIONS,
            max_connections_per_ip: limits::MAX_CONNECTIONS_PER_IP,
        }
    }
}

/// Serves `app` on `listener` within `limits`, until the task is dropped.
pub async fn serve(listener: TcpListener, app: Router, limits: ServerLimits) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let per_client = Arc::new(Mutex::new(HashMap::new()));
    loop {
        // At the cap, stop accepting: the kernel's backlog holds new clients until a connection closes.
        let permit = connections
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of descriptors, most likely: give closing connections a moment rather than spin.
                warn!(%e, "gateway accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some(slot) = ClientSlot::take(&per_client, peer.ip(), limits.max_connections_per_ip)
        else {
            debug!(%peer, "gateway connection over the per-address cap, closed");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let request_timeout = limits.request_timeout;
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            respond(app.clone(), request, request_timeout)
        });
        let stream = StallGuard::new(stream, limits.write_stall_timeout);
        let connection = http.serve_connection(TokioIo::new(stream), service);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                debug!(%e, %peer, "gateway connection ended");
            }
            drop((slot, permit));
        });
    }
}

/// `app`'s response to `request`, or `503` if its head is not ready within `timeout`.
async fn respond(
    app: Router,
    request: Request<Incoming>,
    timeout: Duration,
) -> Result<Response<Body>, Infallible> {
    match tokio::time::timeout(timeout, app.oneshot(request.map(Body::new))).await {
        Ok(response) => response,
        Err(_) => Ok(Response::builder()
            .status(StatusCode::SERVICE_UNAVAILABLE)
            .body(Body::from("timed out\n"))
            .expect("static response")),
    }
}

/// One of the connections a client address may hold; dropping it gives the place back.
struct ClientSlot {
    clients: Arc<Mutex<HashMap<IpAddr, usize>>>,
    client: IpAddr,
}

impl ClientSlot {
    /// A place for a connection from `ip`, unless its client already holds `max`.
    fn take(clients: &Arc<Mutex<HashMap<IpAddr, usize>>>, ip: IpAddr, max: usize) -> Option<Self> {
        let client = client_of(ip);
        let mut counts = clients.lock().unwrap_or_else(|e| e.into_inner());
        let count = counts.entry(client).or_default();
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(Self {
            clients: clients.clone(),
            client,
        })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut counts = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = counts.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.client);
            }
        }
    }
}

/// The client an address belongs to: itself for IPv4 (also when written IPv4-mapped), its /64 for IPv6, the
/// block one subscriber is given, so that one attacker's many IPv6 addresses count as one.
fn client_of(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_counted_per_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_of(a), client_of(b));
        assert_ne!(client_of(a), client_of(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(client_of(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn a_client_holds_at_most_its_cap_and_gets_places_back() {
        let clients = Arc::new(Mutex::new(HashMap::new()));
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let held: Vec<_> = (0..3)
            .map(|_| ClientSlot::take(&clients, ip, 3).unwrap())
            .collect();
        assert!(ClientSlot::take(&clients, ip, 3).is_none());
        assert!(ClientSlot::take(&clients, "192.0.2.2".parse().unwrap(), 3).is_some());
        drop(held);
        assert!(clients.lock().unwrap().is_empty());
        assert!(ClientSlot::take(&clients, ip, 3).is_some());
    }
}
