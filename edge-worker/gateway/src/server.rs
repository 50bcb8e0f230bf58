//! Serves a router on the open internet: hyper with its timer set (without one its header read timeout is
//! silently off) and a small head buffer, a cap on open connections and on connections per client address
//! (nested for IPv6), a request rate per client address (nested likewise; `429` past it), a timeout on producing each
//! response head, and one on a client that stops reading (`stall`). HTTP/1 handles one
//! request at a time per connection, so the connection caps also cap the requests in flight.

use std::{
    convert::Infallible,
    net::{IpAddr, Ipv6Addr},
    num::NonZeroU32,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    body::Body,
    http::{header, Request, Response, StatusCode},
    Router,
};
use governor::{DefaultKeyedRateLimiter, RateLimiter};
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
    /// See [`limits::MIN_SEND_RATE`].
    pub min_send_rate: u64,
    /// See [`limits::MAX_CONNECTIONS`].
    pub max_connections: usize,
    /// See [`limits::MAX_CONNECTIONS_PER_IP`].
    pub max_connections_per_ip: usize,
    /// See [`limits::REQUESTS_PER_SECOND_PER_IP`].
    pub requests_per_second_per_ip: u32,
    /// See [`limits::REQUEST_BURST_PER_IP`].
    pub request_burst_per_ip: u32,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: limits::HEADER_READ_TIMEOUT,
            request_timeout: limits::REQUEST_TIMEOUT,
            write_stall_timeout: limits::WRITE_STALL_TIMEOUT,
            min_send_rate: limits::MIN_SEND_RATE,
            max_connections: limits::MAX_CONNECTIONS,
            max_connections_per_ip: limits::MAX_CONNECTIONS_PER_IP,
            requests_per_second_per_ip: limits::REQUESTS_PER_SECOND_PER_IP,
            request_burst_per_ip: limits::REQUEST_BURST_PER_IP,
        }
    }
}

/// Serves `app` on `listener` within `limits`, until the task is dropped.
pub async fn serve(listener: TcpListener, app: Router, limits: ServerLimits) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_header_size(limits::MAX_REQUEST_HEAD_BYTES)
        .max_buf_size(limits::CONNECTION_BUFFER_BYTES);
    let rates = Arc::new(RequestRates::new(&limits));
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
        let client = client_of(peer.ip());
        let rates = rates.clone();
        rates.forget_idle();
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            let allowed = rates.allows(client);
            respond(app.clone(), request, request_timeout, allowed)
        });
        let stream = StallGuard::new(stream, limits.write_stall_timeout, limits.min_send_rate);
        let connection = http.serve_connection(TokioIo::new(stream), service);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                debug!(%e, %peer, "gateway connection ended");
            }
            drop((slot, permit));
        });
    }
}

/// `app`'s response to `request`, or `503` if its head is not ready within `timeout`; `429` if its client
/// is not `allowed` another request now.
async fn respond(
    app: Router,
    request: Request<Incoming>,
    timeout: Duration,
    allowed: bool,
) -> Result<Response<Body>, Infallible> {
    if !allowed {
        return Ok(Response::builder()
            .status(StatusCode::TOO_MANY_REQUESTS)
            .header(header::RETRY_AFTER, "1")
            .body(Body::from("too many requests from this address\n"))
            .expect("static response"));
    }
    match tokio::time::timeout(timeout, app.oneshot(request.map(Body::new))).await {
        Ok(response) => response,
        Err(_) => Ok(Response::builder()
            .status(StatusCode::SERVICE_UNAVAILABLE)
            .body(Body::from("timed out\n"))
            .expect("static response")),
    }
}

/// Each client's request rate (GCRA, [`governor`]): per IPv4 address, and for IPv6 per /64 and, nested, per
/// /56 and /48 at the multiples of [`limits::IPV6_CLIENT_BLOCKS`], so an attacker's many /64s share their
/// site's rate as they share its connection caps.
struct RequestRates {
    v4: DefaultKeyedRateLimiter<IpAddr>,
    /// Each block's prefix length and its limiter, the widest block first.
    v6: Vec<(u8, DefaultKeyedRateLimiter<IpAddr>)>,
    /// When clients whose bucket is full again were last forgotten.
    swept: Mutex<Instant>,
}

impl RequestRates {
    fn new(limits: &ServerLimits) -> Self {
        let quota = |times: usize| {
            let times = u32::try_from(times).unwrap_or(u32::MAX);
            let per_second =
                NonZeroU32::new(limits.requests_per_second_per_ip.saturating_mul(times))
                    .unwrap_or(NonZeroU32::MIN);
            let burst = NonZeroU32::new(limits.request_burst_per_ip.saturating_mul(times))
                .unwrap_or(per_second);
            governor::Quota::per_second(per_second).allow_burst(burst)
        };
        let mut v6: Vec<_> = limits::IPV6_CLIENT_BLOCKS
            .iter()
            .map(|&(prefix, times)| (prefix, RateLimiter::keyed(quota(times))))
            .collect();
        v6.sort_by_key(|(prefix, _)| *prefix);
        Self {
            v4: RateLimiter::keyed(quota(1)),
            v6,
            swept: Mutex::new(Instant::now()),
        }
    }

    /// Whether `client` may make a request now (and counts it in each of its blocks). The widest block is
    /// asked first and its refusal asks no narrower one: while a site is over its rate, its new /64s add no
    /// key to the narrower limiters, so a /48 cycling through its 65 536 /64s grows the maps at its site's
    /// rate only.
    fn allows(&self, client: IpAddr) -> bool {
        match client.to_canonical() {
            v4 @ IpAddr::V4(_) => self.v4.check_key(&v4).is_ok(),
            IpAddr::V6(v6) => self.v6.iter().all(|(prefix, limiter)| {
                limiter
                    .check_key(&IpAddr::V6(block_of(v6, *prefix)))
                    .is_ok()
            }),
        }
    }

    /// Forgets, now and then, the clients that could burst again in full: they are as if new, and the maps
    /// stay as large as their recent clients.
    fn forget_idle(&self) {
        let mut swept = self.swept.lock().unwrap_or_else(|e| e.into_inner());
        if swept.elapsed() >= RATE_SWEEP_INTERVAL {
            *swept = Instant::now();
            self.v4.retain_recent();
            for (_, limiter) in &self.v6 {
                limiter.retain_recent();
            }
        }
    }
}

/// How often [`RequestRates`] forgets idle clients: often enough that a scan of many addresses does not pile
/// up, rarely enough that the sweep (a pass over the map) costs nothing next to the requests.
const RATE_SWEEP_INTERVAL: Duration = Duration::from_secs(60);

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
/// block one subscriber is given, so that one attacker's many IPv6 addresses count as one (and its wider
/// blocks as [`RequestRates`] counts them).
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

    /// Serves a router answering `ok` on 127.0.0.1 within `limits`; its base URL.
    async fn serving(limits: ServerLimits) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route("/", axum::routing::get(|| async { "ok" }));
        tokio::spawn(serve(listener, app, limits));
        format!("http://{addr}/")
    }

    #[tokio::test]
    async fn a_client_sending_requests_too_fast_is_answered_429() {
        let url = serving(ServerLimits {
            requests_per_second_per_ip: 1,
            request_burst_per_ip: 3,
            ..Default::default()
        })
        .await;
        let client = reqwest::Client::new();
        let mut statuses = Vec::new();
        for _ in 0..10 {
            statuses.push(client.get(&url).send().await.unwrap().status().as_u16());
        }
        assert_eq!(statuses[0], 200);
        assert!(statuses.contains(&429), "{statuses:?}");
    }

    #[tokio::test]
    async fn a_request_head_larger_than_the_buffer_is_refused() {
        let url = serving(ServerLimits::default()).await;
        // Twice the head limit, far below the connection's buffer (attacker review: with only the buffer
        // bounding heads, one of up to 288 KiB was read and kept for the connection's life).
        let huge = "a".repeat(2 * limits::MAX_REQUEST_HEAD_BYTES);
        let answer = reqwest::Client::new()
            .get(&url)
            .header("x-padding", huge)
            .send()
            .await;
        // hyper answers 431 or closes the connection: either way, the head is not buffered and served.
        assert!(
            answer.as_ref().map_or(true, |r| r.status() == 431),
            "{:?}",
            answer.map(|r| r.status())
        );
    }

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
    fn many_64s_of_one_ipv6_site_share_its_request_rate() {
        // Second attacker review: connections are capped per /64 and, nested, per /56 and /48, but the request
        // rate only per /64. A /48 (a free tunnel-broker allocation) holds 65 536 /64s, each with a full burst
        // and rate of its own: the chain look-ups the rate exists to bound are 65 536 times the cap, and the
        // limiter keeps a key per /64 seen in the last minute.
        let rates = RequestRates::new(&ServerLimits {
            requests_per_second_per_ip: 1,
            request_burst_per_ip: 3,
            ..Default::default()
        });
        let allowed = (0..1000u16)
            .map(|subnet| IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 7, subnet, 0, 0, 0, 1)))
            .filter(|ip| rates.allows(client_of(*ip)))
            .count();
        // Even as generous as the connection caps (4 times a /64's share for its /48).
        assert!(
            allowed <= 3 * 4,
            "{allowed} requests at once from one /48 (a /64 may burst 3)"
        );
    }

    #[test]
    fn a_full_ipv6_site_leaves_other_sites_their_rate() {
        let rates = RequestRates::new(&ServerLimits {
            requests_per_second_per_ip: 1,
            request_burst_per_ip: 3,
            ..Default::default()
        });
        let one_64: IpAddr = "2001:db8:7::1".parse().unwrap();
        assert_eq!(
            (0..10).filter(|_| rates.allows(one_64)).count(),
            3,
            "a /64 bursts its own share"
        );
        let other_site: IpAddr = "2001:db8:8::1".parse().unwrap();
        assert!(rates.allows(other_site));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(
            (0..10).filter(|_| rates.allows(mapped)).count(),
            3,
            "mapped IPv4 is counted as IPv4"
        );
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
