//! The provider side of PeerDTS: answers `HAVE` and `GET` on incoming substreams from the content store.
//! Encoding runs on a blocking thread (BLAKE3 re-verification and file reads) and hands 256 KiB chunks to the
//! task that writes the substream, so encoding and sending overlap.
//!
//! Any peer on the internet may be the requester, so every request is bounded ([`crate::limits`]): it is served
//! only if its peer gets a slot ([`Admission`]: capped per peer and in all, slots of peers holding more going
//! to newcomers), must arrive within a deadline, is checked at
//! a cost bounded by its size ([`ranges`]), and its requester must keep reading, or it is cut off and its
//! slot, buffers and encoding thread are released.

use std::{
    io::{self, Write},
    num::NonZeroU32,
    ops::Range,
    pin::Pin,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    task::{Context, Poll},
    time::{Duration, Instant},
};

use enreach_primitives::DeliveryReceipt;
use futures::{future::BoxFuture, AsyncWriteExt, StreamExt};
use libp2p::{PeerId, Stream};
use tracing::debug;

use crate::{
    admission::{Admission, Slot},
    chunked::{pump_out, ChunkWriter},
    hosts::{HostRate, PeerHosts},
    limits::{self, ServeLimits},
    metrics::Metrics,
    protocol::{
        self, GetStatus, HaveAnswer, NodeStatus, PrefetchAnswer, ReceiptAnswer, ReceiptTerms,
        Refusal, Request,
    },
    ranges,
    store::{group_count, ContentHash, ContentStore, GROUP_BYTES},
};

/// Who collects a provider's delivery receipts: an edge paid through GPoW (`enreach_gpow::Collector`, which
/// checks on chain who pays for a client key). PeerDTS only carries the receipts and enforces the answer; what
/// a receipt is worth is decided behind this trait, so this crate needs no chain client.
pub trait ReceiptCollector: Send + Sync + std::fmt::Debug {
    /// The terms named in `HAVE` answers (chain, epoch, node), or `None` while they are not known yet: the
    /// provider then serves as a free one would.
    fn terms(&self) -> Option<ReceiptTerms>;
    /// Whether `peer` may be sent `bytes` more of `content`, or asks too much or owes too many receipts
    /// (`UNPAID`).
    fn may_send(&self, peer: &PeerId, content: &ContentHash, bytes: u64) -> bool;
    /// A `GET` of `content` that [`Self::may_send`] admitted for `admitted` bytes ended, however it ended,
    /// having written `written` bytes of its encoding to `peer`: what was admitted and never written (a
    /// downloader that cut an endgame duplicate, a reset, an error) is not owed.
    fn delivered(&self, peer: &PeerId, content: &ContentHash, admitted: u64, written: u64);
    /// Checks and records a receipt `peer` sent on a `RECEIPT` substream; the answer goes back on it.
    fn accept(
        self: Arc<Self>,
        peer: PeerId,
        receipt: DeliveryReceipt,
    ) -> BoxFuture<'static, ReceiptAnswer>;
}

/// A node that takes part in routing (the router role's edge side, `edge_worker::roles::routed`): answers
/// routers' `STATUS` and `PREFETCH` requests.
pub trait RoutedNode: Send + Sync + std::fmt::Debug {
    /// The node's load and inventory for a router's `STATUS`.
    fn status(&self) -> BoxFuture<'_, NodeStatus>;
    /// Starts fetching `id` for a router's `PREFETCH`, if the node has room.
    fn prefetch(self: Arc<Self>, id: ContentHash) -> BoxFuture<'static, PrefetchAnswer>;
    /// Whether `peer` is a router this node takes `PREFETCH` from. Any other peer is answered
    /// [`PrefetchAnswer::NotAuthorized`] without [`RoutedNode::prefetch`] being asked: a prefetch costs a
    /// download and the disk it fills (attacker review H3, M6). Such a router's `STATUS` probes are also
    /// rationed apart from strangers', so strangers cannot use up its allowance.
    fn accepts_prefetch_from(&self, peer: &PeerId) -> bool;
}

/// How many `STATUS` answers each asker gets ([`limits::STATUS_PER_SECOND_PER_PEER`]). A stranger is counted
/// per host, not per peer id: ids are free, and each fresh one got a fresh burst, so one host cycling ids was
/// answered without bound (second attacker review). The node's own routers ([`RoutedNode::accepts_prefetch_from`])
/// are counted per peer id: the operator names them, so they are few, and a stranger sharing their host (or
/// the unknown one) does not use up their allowance.
struct StatusRate {
    strangers: HostRate,
    routers: governor::DefaultKeyedRateLimiter<PeerId>,
    /// Where each peer connects from ([`ServeOptions::hosts`]).
    hosts: PeerHosts,
}

/// The `STATUS` rate, knowing no peer's host until [`ServeOptions::hosts`] is set in.
fn status_rate() -> StatusRate {
    let rate = NonZeroU32::new(limits::STATUS_PER_SECOND_PER_PEER).expect("nonzero");
    let burst = NonZeroU32::new(limits::STATUS_BURST_PER_PEER).expect("nonzero");
    let quota = governor::Quota::per_second(rate).allow_burst(burst);
    StatusRate {
        strangers: HostRate::new(quota),
        routers: governor::RateLimiter::keyed(quota),
        hosts: PeerHosts::default(),
    }
}

/// Whether `peer`, not one of the node's routers, may be answered a `STATUS` now: its host has allowance left.
/// Peers whose host is not known share one allowance ([`HostRate`]).
fn status_allowed(rate: &StatusRate, peer: &PeerId) -> bool {
    rate.strangers.allows(rate.hosts.get(peer))
}

/// Whether `peer` may be answered a `STATUS` now, by the allowance of the node's routers if it is one of them
/// (by `routed`), else by its host's.
fn may_answer_status(rate: &StatusRate, routed: &dyn RoutedNode, peer: &PeerId) -> bool {
    if routed.accepts_prefetch_from(peer) {
        rate.routers.check_key(peer).is_ok()
    } else {
        status_allowed(rate, peer)
    }
}

/// A token bucket shared by all of a provider's transfers: caps what it sends in total per second.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    /// When tokens were last added, and how many there are (negative: sent ahead, must wait).
    state: std::sync::Mutex<(Instant, f64)>,
}

impl RateLimiter {
    /// At most `bytes_per_second`, with bursts of a tenth of a second.
    pub fn new(bytes_per_second: u64) -> Self {
        Self {
            rate: bytes_per_second.max(1) as f64,
            state: std::sync::Mutex::new((Instant::now(), 0.0)),
        }
    }

    /// Accounts `n` bytes sent; blocks the (blocking) thread until they fit the rate.
    fn take(&self, n: usize) {
        let wait = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let refill = now.duration_since(state.0).as_secs_f64() * self.rate;
            state.1 = (state.1 + refill).min(self.rate / 10.0) - n as f64;
            state.0 = now;
            (state.1 < 0.0).then(|| Duration::from_secs_f64(-state.1 / self.rate))
        };
        if let Some(wait) = wait {
            std::thread::sleep(wait);
        }
    }
}

/// How a provider serves, beyond the defaults.
#[derive(Clone, Debug, Default)]
pub struct ServeOptions {
    /// Caps the bytes per second this provider sends over all transfers (benchmarks of capped providers).
    pub rate_limit: Option<Arc<RateLimiter>>,
    /// Test hook: flips bytes in what is sent, to prove downloaders detect and ban such providers.
    pub corrupt: bool,
    /// Collects delivery receipts and refuses downloaders that stop signing them (an edge paid through
    /// GPoW); `None` serves for free.
    pub collector: Option<Arc<dyn ReceiptCollector>>,
    /// Answers routers' `STATUS` and `PREFETCH` (a node that takes part in routing); `None` refuses them.
    pub routed: Option<Arc<dyn RoutedNode>>,
    /// How many requests are served at once and how long each step may take.
    pub limits: ServeLimits,
    /// Where each peer connects from ([`crate::network::Network::hosts`]), so what is rationed against peer
    /// ids being free (`STATUS`) is counted per host; left empty, every peer counts as one unknown host.
    pub hosts: PeerHosts,
}

/// Serves every incoming PeerDTS substream until the node stops: each in a task of its own if [`Admission`]
/// has a slot for it, otherwise refused at once.
pub async fn serve(
    store: Arc<ContentStore>,
    mut incoming: libp2p_stream::IncomingStreams,
    options: ServeOptions,
    metrics: Arc<Metrics>,
) {
    let admission = Admission::new(&options.limits);
    let status_rate = Arc::new(StatusRate {
        hosts: options.hosts.clone(),
        ..status_rate()
    });
    while let Some((peer, stream)) = incoming.next().await {
        let Some(slot) = admission.admit(peer) else {
            debug!(%peer, "substream refused: no free slot");
            continue;
        };
        let (store, options, metrics) = (store.clone(), options.clone(), metrics.clone());
        let provider = Provider {
            store,
            options,
            metrics,
            status_rate: status_rate.clone(),
        };
        tokio::spawn(async move {
            if let Err(e) = handle(peer, stream, &slot, provider).await {
                debug!(%peer, %e, "request failed");
            }
        });
    }
}

/// `f`, or [`io::ErrorKind::TimedOut`] naming `what` if it takes longer than `limit`.
async fn within<T>(
    limit: Duration,
    what: &str,
    f: impl std::future::Future<Output = io::Result<T>>,
) -> io::Result<T> {
    tokio::time::timeout(limit, f).await.map_err(|_| {
        io::Error::new(
            io::ErrorKind::TimedOut,
            format!("{what} took longer than {limit:?}"),
        )
    })?
}

/// What every request of one provider is served with.
struct Provider {
    store: Arc<ContentStore>,
    options: ServeOptions,
    metrics: Arc<Metrics>,
    status_rate: Arc<StatusRate>,
}

/// Reads the request on `stream` and answers it, unless a newcomer takes its `slot` first ([`Admission`]),
/// which drops the substream whatever it was doing.
async fn handle(peer: PeerId, stream: Stream, slot: &Slot, provider: Provider) -> io::Result<()> {
    tokio::select! {
        // Eviction first: a slot taken in the same poll its request arrived serves nothing more.
        biased;
        () = slot.evicted() => Err(io::Error::other(
            "every slot was taken and this one went to a peer holding fewer",
        )),
        served = read_and_answer(peer, stream, slot, provider) => served,
    }
}

/// Reads the request on `stream` and answers it, if `slot` is still held once the request is whole.
async fn read_and_answer(
    peer: PeerId,
    mut stream: Stream,
    slot: &Slot,
    provider: Provider,
) -> io::Result<()> {
    let limits = provider.options.limits;
    let request = within(
        limits.request_timeout,
        "the request",
        Request::read(&mut stream),
    )
    .await?;
    if !slot.answering() {
        // Taken by a newcomer while the request's last bytes were read.
        return Err(io::Error::other("the slot went to a peer holding fewer"));
    }
    match request {
        Request::Get(id, ranges) => {
            let Provider {
                store,
                options,
                metrics,
                ..
            } = provider;
            serve_get(peer, stream, id, ranges, store, options, metrics).await
        }
        request => {
            within(
                limits.answer_deadline,
                "the answer",
                answer(peer, &mut stream, request, &provider),
            )
            .await
        }
    }
}

/// Answers a short request (anything but `GET`) and closes the substream.
async fn answer(
    peer: PeerId,
    stream: &mut Stream,
    request: Request,
    provider: &Provider,
) -> io::Result<()> {
    let Provider { store, options, .. } = provider;
    match request {
        Request::Have(id) => {
            let answer = store.get(&id).map(|blob| HaveAnswer {
                size: blob.size(),
                name: blob.name().map(String::from),
                present: blob.present(),
                terms: options.collector.as_ref().and_then(|c| c.terms()),
            });
            protocol::write_have(stream, answer.as_ref()).await?;
        }
        Request::Receipt(receipt) => {
            let answer = match &options.collector {
                Some(collector) => collector.clone().accept(peer, *receipt).await,
                None => ReceiptAnswer::Refused(Refusal::NotCollecting),
            };
            protocol::write_receipt_answer(stream, answer).await?;
        }
        Request::Status => match &options.routed {
            Some(routed) if may_answer_status(&provider.status_rate, routed.as_ref(), &peer) => {
                protocol::write_status(stream, &routed.status().await).await?;
            }
            // Not a routed node, or asked too often: closed without an answer.
            _ => debug!(%peer, "STATUS not answered"),
        },
        Request::Prefetch(id) => {
            if let Some(routed) = &options.routed {
                let answer = if routed.accepts_prefetch_from(&peer) {
                    routed.clone().prefetch(id).await
                } else {
                    PrefetchAnswer::NotAuthorized
                };
                protocol::write_prefetch_answer(stream, answer).await?;
            }
        }
        Request::Get(..) => unreachable!("served by serve_get"),
    }
    stream.close().await
}

/// Serves a `GET`: its ranges are merged and checked at a bounded cost ([`ranges`]), then the groups are
/// encoded on a blocking thread and sent; a requester that stops reading for
/// [`ServeLimits::write_idle_timeout`](crate::limits::ServeLimits) is cut off, which releases the thread.
async fn serve_get(
    peer: PeerId,
    mut stream: Stream,
    id: ContentHash,
    ranges: Vec<Range<u64>>,
    store: Arc<ContentStore>,
    options: ServeOptions,
    metrics: Arc<Metrics>,
) -> io::Result<()> {
    let idle = options.limits.write_idle_timeout;
    let requested = store.get(&id).and_then(|blob| {
        let ranges = ranges::normalize(ranges, group_count(blob.size()))?;
        ranges
            .iter()
            .all(|r| blob.holds(r))
            .then_some((blob, ranges))
    });
    // Receipts are required only once the edge can name its terms (it knows the epoch); until then it serves
    // as a free provider would.
    let collecting = options.collector.as_ref().filter(|c| c.terms().is_some());
    let mut admitted = None;
    let status = match (&requested, collecting) {
        (None, _) => GetStatus::Missing,
        (Some((blob, ranges)), Some(collector)) => {
            // Normalized ranges lie within the blob, so this cannot overflow; saturating all the same.
            let bytes = ranges::group_total(ranges)
                .saturating_mul(GROUP_BYTES)
                .min(blob.size());
            if collector.may_send(&peer, &id, bytes) {
                admitted = Some(Admitted::new(collector.clone(), peer, id, bytes));
                GetStatus::Ok
            } else {
                GetStatus::Unpaid
            }
        }
        (Some(_), None) => GetStatus::Ok,
    };
    within(
        idle,
        "sending the status",
        protocol::write_get_status(&mut stream, status),
    )
    .await?;
    let Some((blob, ranges)) = requested.filter(|_| status == GetStatus::Ok) else {
        return within(idle, "closing", stream.close()).await;
    };
    let (writer, chunks) = ChunkWriter::channel();
    let sent = metrics.bytes_out(&peer);
    let guard = metrics.transfer_started();
    let encode = tokio::task::spawn_blocking(move || {
        let mut out = Shaped::new(writer, options.rate_limit, options.corrupt, sent);
        blob.encode(&ranges, &mut out)
            .map_err(|e| io::Error::other(e.to_string()))?;
        out.flush()
    });
    let stream = Counted {
        inner: stream,
        written: admitted.as_ref().map(|a| a.written.clone()),
    };
    let (sent, encoded) = tokio::join!(pump_out(stream, chunks, idle), encode);
    drop(guard);
    let mut stream = sent?;
    encoded.map_err(io::Error::other)??;
    within(idle, "closing", stream.close()).await
}

/// A `GET` the collector admitted: when it ends, however it ends (even cancelled), the collector learns how
/// much of it was written.
struct Admitted {
    collector: Arc<dyn ReceiptCollector>,
    peer: PeerId,
    id: ContentHash,
    bytes: u64,
    written: Arc<AtomicU64>,
}

impl Admitted {
    fn new(
        collector: Arc<dyn ReceiptCollector>,
        peer: PeerId,
        id: ContentHash,
        bytes: u64,
    ) -> Self {
        Self {
            collector,
            peer,
            id,
            bytes,
            written: Arc::default(),
        }
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let written = self.written.load(Ordering::Relaxed);
        self.collector
            .delivered(&self.peer, &self.id, self.bytes, written);
    }
}

/// A substream that counts the bytes the transport took (not those still queued for it), if asked to.
struct Counted<S> {
    inner: S,
    written: Option<Arc<AtomicU64>>,
}

impl<S: futures::AsyncWrite + Unpin> futures::AsyncWrite for Counted<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let (Poll::Ready(Ok(n)), Some(written)) = (&polled, &self.written) {
            written.fetch_add(*n as u64, Ordering::Relaxed);
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

/// A writer that counts, optionally rate-limits and (test hook) corrupts what passes through.
struct Shaped<W> {
    inner: W,
    rate_limit: Option<Arc<RateLimiter>>,
    corrupt: bool,
    counter: prometheus_client::metrics::counter::Counter,
    written: u64,
}

impl<W> Shaped<W> {
    fn new(
        inner: W,
        rate_limit: Option<Arc<RateLimiter>>,
        corrupt: bool,
        counter: prometheus_client::metrics::counter::Counter,
    ) -> Self {
        Self {
            inner,
            rate_limit,
            corrupt,
            counter,
            written: 0,
        }
    }
}

impl<W: Write> Write for Shaped<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = if self.corrupt {
            let mut bad = buf.to_vec();
            // One flipped byte every 4 KiB of output: every 16 KiB group is hit.
            for (i, b) in bad.iter_mut().enumerate() {
                if (self.written + i as u64) % 4096 == 4000 {
                    *b ^= 0x5a;
                }
            }
            self.inner.write(&bad)?
        } else {
            self.inner.write(buf)?
        };
        self.written += n as u64;
        self.counter.inc_by(n as u64);
        if let Some(limiter) = &self.rate_limit {
            limiter.take(n);
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_peer_ids_do_not_renew_the_status_rate() {
        // Second attacker review: STATUS (a pass over the store) is limited per peer id, and peer ids are free:
        // each new connection's id gets a full burst. One host cycling ids is answered without bound.
        let rate = status_rate();
        let answered = (0..100)
            .filter(|_| status_allowed(&rate, &PeerId::random()))
            .count();
        assert!(
            answered <= 2 * limits::STATUS_BURST_PER_PEER as usize,
            "{answered} STATUS answered at once to fresh peer ids of one host"
        );
    }
}
