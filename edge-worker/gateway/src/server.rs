//! Serves a router on the open internet: hyper with its timer set (without one its header read timeout is
//! silently off), a cap on open connections and on connections per client address, a timeout on
//! producing each response head, and one on a client that stops reading (`stall`). HTTP/1 handles one
//! request at a time per connection, so the connection caps also cap the requests in flight.

use std::{
    convert::Infallible,
    net::{IpAddr, Ipv6Addr},
    sync::Arc,
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

use crate::{
    limits,
    quota::{Quota, QuotaSlot},
    stall::StallGuard,
};

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
    let clients = ClientCaps::new(limits.max_connections_per_ip);
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
        let Some(slot) = clients.take(peer.ip()) else {
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

/// The caps on one client's connections: per IPv4 address, and for IPv6 per /64 (one subscriber) and, nested,
/// per /56 and /48 (one site), so an attacker's many /64s share their site's caps
/// ([`limits::IPV6_CLIENT_BLOCKS`]).
struct ClientCaps {
    v4: Quota<IpAddr>,
    /// Each block's prefix length and the cap on its connections.
    v6: Vec<(u8, Quota<IpAddr>)>,
}

impl ClientCaps {
    /// Caps of `per_ip` connections per address (IPv6: per /64, and its multiples per wider block).
    fn new(per_ip: usize) -> Self {
        Self {
            v4: Quota::new(per_ip),
            v6: limits::IPV6_CLIENT_BLOCKS
                .iter()
                .map(|&(prefix, times)| (prefix, Quota::new(per_ip.saturating_mul(times))))
                .collect(),
        }
    }

    /// A place in every block `ip` belongs to, or `None` (and none taken) if one of them is full.
    fn take(&self, ip: IpAddr) -> Option<Vec<QuotaSlot<IpAddr>>> {
        match ip.to_canonical() {
            v4 @ IpAddr::V4(_) => Some(vec![self.v4.take(v4)?]),
            IpAddr::V6(v6) => self
                .v6
                .iter()
                .map(|(prefix, quota)| quota.take(IpAddr::V6(block_of(v6, *prefix))))
                .collect(),
        }
    }
}

/// The client an address belongs to: itself for IPv4 (also when written IPv4-mapped), its /64 for IPv6, the
/// block one subscriber is given, so that one attacker's many IPv6 addresses count as one.
fn client_of(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(block_of(v6, 64)),
        v4 => v4,
    }
}

/// The first address of the /`prefix` block holding `ip`.
fn block_of(ip: Ipv6Addr, prefix: u8) -> Ipv6Addr {
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
    Ipv6Addr::from(u128::from(ip) & mask)
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
    fn many_64s_of_one_ipv6_site_share_the_caps_of_its_56_and_48() {
        // An attacker's /57 holds 128 /64s: counted per /64 only, it would open 128 times the per-address cap.
        let caps = ClientCaps::new(3);
        let held: Vec<_> = (0..128u16)
            .flat_map(|subnet| {
                let ip = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, subnet, 0, 0, 0, 1));
                std::iter::repeat_n(ip, 3)
            })
            .filter_map(|ip| caps.take(ip))
            .collect();
        assert!(
            held.len() <= 3 * 2,
            "{} connections from one /57",
            held.len()
        );
        // A full /56 takes nothing from another one, and a refused client holds no place.
        assert!(caps.take("2001:db8:0:100::1".parse().unwrap()).is_some());
        drop(held);
        assert!(caps.v6.iter().all(|(_, quota)| quota.keys_held() == 0));
    }

    #[test]
    fn a_client_holds_at_most_its_cap_and_gets_places_back() {
        let caps = ClientCaps::new(3);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let held: Vec<_> = (0..3).map(|_| caps.take(ip).unwrap()).collect();
        assert!(caps.take(ip).is_none());
        assert!(
            caps.take("::ffff:192.0.2.1".parse().unwrap()).is_none(),
            "mapped IPv4 is IPv4"
        );
        assert!(caps.take("192.0.2.2".parse().unwrap()).is_some());
        drop(held);
        assert_eq!(caps.v4.keys_held(), 0);
        assert!(caps.take(ip).is_some());
    }
}
