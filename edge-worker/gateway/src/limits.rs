//! Every limit the gateway and origin pull enforce, in one place, each with why it has its value. The ones an
//! operator tunes have `edge-worker run` flags; the rest are here to be read, not turned.

use std::time::Duration;

/// How long a client may take to send a request head, and how long a kept-alive connection may wait idle for
/// the next one: hyper's header read timeout, which runs whenever the connection waits for a head. Browsers
/// send a head at once; 10 s covers slow mobile links and stops slowloris from holding a descriptor for long.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a client may accept none of a response's bytes before its connection is closed (slow read): a
/// phone that loses signal for a moment resumes well within it, and a client that stopped reading on purpose
/// holds its connection no longer.
pub const WRITE_STALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The slowest a client may read a response, in bytes per second of the gateway waiting for it, measured
/// over each [`WRITE_STALL_TIMEOUT`] of waiting: a client reading a byte now and then never stalls, yet
/// holds its connection for days on a large content. 4 KiB/s is below the poorest mobile link that plays
/// anything.
pub const MIN_SEND_RATE: u64 = 4 * 1024;

/// How long a request may take to produce its response head: a miss waits for its origin pull, so the
/// pull's deadline (`--origin-timeout`, [`ORIGIN_DEADLINE`] by default) plus [`PULL_SLACK`].
pub const REQUEST_TIMEOUT: Duration =
    Duration::from_secs(ORIGIN_DEADLINE.as_secs() + PULL_SLACK.as_secs());

/// A request's time beyond its origin pull's deadline: the chain look-up before the pull, waiting for a pull
/// slot ([`ORIGIN_SLOT_WAIT`]), and hashing the pulled bytes (about 1 s per GB).
pub const PULL_SLACK: Duration = Duration::from_secs(30);

/// Connections the gateway holds open at once (`--gateway-max-connections`). Each costs a descriptor and a
/// little memory; past the cap the gateway stops accepting until one closes, which keeps it under the
/// process's descriptor limit (commonly 65536 on servers) with room for PeerDTS and the chain client.
pub const MAX_CONNECTIONS: usize = 8192;

/// Connections one client address may hold open at once (`--gateway-max-connections-per-ip`); IPv6 clients
/// are counted per /64, the block one subscriber gets. A browser opens at most 6 per host; 64 leaves room for
/// a NAT of many users, and one attacker cannot take more than 1/128 of [`MAX_CONNECTIONS`].
pub const MAX_CONNECTIONS_PER_IP: usize = 64;

/// The wider IPv6 blocks a client's connections and requests are also counted in, each as (prefix length,
/// multiple of [`MAX_CONNECTIONS_PER_IP`] and of [`REQUESTS_PER_SECOND_PER_IP`] and [`REQUEST_BURST_PER_IP`]):
/// a subscriber gets a /64, a household often a /56 and a site a /48, so one attacker holds many /64s.
/// Counted per /64 only, a /57 would open 128 times the per-address cap; nested, a /48 holds at most 4 times
/// it (1/32 of [`MAX_CONNECTIONS`]) and makes at most 4 times one address's requests.
pub const IPV6_CLIENT_BLOCKS: [(u8, usize); 3] = [(64, 1), (56, 2), (48, 4)];

/// Requests per second one client address (IPv6: one /64, and its wider blocks the multiples of
/// [`IPV6_CLIENT_BLOCKS`]) may make on average
/// (`--gateway-max-requests-per-ip`); past it, and past [`REQUEST_BURST_PER_IP`], it is answered `429`. A
/// request for a stored content costs little, but a miss costs a chain look-up: without a cap, one client
/// asking for random ids keeps the chain client busy for everyone. 50 per second leaves room for a NAT of
/// many users and for players fetching ranges.
pub const REQUESTS_PER_SECOND_PER_IP: u32 = 50;

/// Requests one client address may make at once beyond its rate: a page loading a gallery of contents.
pub const REQUEST_BURST_PER_IP: u32 = 200;

/// The largest request head (request line and headers) the gateway reads: a content request needs well under
/// 8 KiB (nginx's default is 4 buffers of 8 KiB). Past it, hyper answers 431.
pub const MAX_REQUEST_HEAD_BYTES: usize = 32 * 1024;

/// hyper's per-connection buffer limit, which bounds the response bytes it queues before waiting for the
/// socket (the head is bounded apart, by [`MAX_REQUEST_HEAD_BYTES`]). Two [`READ_CHUNK`]s must fit, so the next
/// chunk is read from disk while the one before is written: at 32 KiB each chunk waited for the one before to
/// drain and the gateway served 40 % slower in the same run.
pub const CONNECTION_BUFFER_BYTES: usize = READ_CHUNK + MAX_REQUEST_HEAD_BYTES;

/// Ranges one request may ask for before its `Range` header is ignored and the whole content sent once, as
/// nginx's `max_ranges`. Players and download managers ask for one or a few; many tiny ranges only cost the
/// server a part header and a file seek each.
pub const MAX_RANGES: usize = 16;

/// Largest request body handed to an edge application: the whole body is read before the app runs (its hash
/// goes in the client's compute receipt), so it is bounded like PeerHVM's own cap.
pub const MAX_APP_REQUEST_BYTES: usize = 4 << 20;

/// Bytes read from disk at a time when streaming a content: large enough for throughput close to sendfile,
/// small enough that many concurrent downloads do not add up to much memory.
pub const READ_CHUNK: usize = 256 * 1024;

/// How long an origin has to accept a connection.
pub const ORIGIN_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest an origin may pause between two reads of its body.
pub const ORIGIN_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest one origin pull may take from connecting to the last byte (`--origin-timeout`): an origin
/// that trickles bytes never trips [`ORIGIN_READ_TIMEOUT`], and waiting clients hold connections meanwhile.
/// 5 minutes moves 3.75 GB at 100 Mbit/s, close to [`MAX_ORIGIN_BYTES`].
pub const ORIGIN_DEADLINE: Duration = Duration::from_secs(300);

/// The largest content a gateway pulls from an origin (`--max-origin-bytes`). The size comes from the chain,
/// where any dApp writes it; without a cap one record could fill an edge's disk. 4 GiB covers large models
/// and videos; bigger contents are served from PeerDTS replicas instead.
pub const MAX_ORIGIN_BYTES: u64 = 4 << 30;

/// Origin pulls in flight at once (`--max-origin-pulls`): each holds a connection, a staging file and disk
/// bandwidth; misses past the cap wait up to [`ORIGIN_SLOT_WAIT`] for a slot, then answer `503`.
pub const MAX_ORIGIN_PULLS: usize = 16;

/// Origin pulls in flight at once from one origin host: a dApp whose origin is slow, or an attacker's slow
/// host, takes at most a quarter of [`MAX_ORIGIN_PULLS`]; past it a miss answers `503` at once. A host is
/// counted by the name the published URL gives it before connecting, and by the address that answered (IPv6:
/// its /64) once its answer's head arrives, since names cost nothing: a wildcard DNS name or a redirect gives
/// one server any number of them.
pub const MAX_ORIGIN_PULLS_PER_HOST: usize = 4;

/// Origin pulls in flight at once for the contents of one dApp: one dApp's misses, whatever hosts its URLs
/// name, take at most a quarter of [`MAX_ORIGIN_PULLS`], leaving the rest to the other dApps; past it a
/// miss answers `503` at once.
pub const MAX_ORIGIN_PULLS_PER_DAPP: usize = 4;

/// How long a miss waits for a free origin pull slot before answering `503` with [`RETRY_AFTER`]. Not part
/// of the pull's deadline, and not remembered as a failure of the origin: slots taken by other dApps' slow
/// origins must not fail this dApp's pulls. Long enough to ride out a burst of misses, short enough that a
/// client is told to come back rather than kept waiting.
pub const ORIGIN_SLOT_WAIT: Duration = Duration::from_secs(10);

/// What a `503` of a busy gateway tells the client (`Retry-After`): about the time a pull slot frees up
/// under a burst of misses.
pub const RETRY_AFTER: Duration = Duration::from_secs(10);

/// The slowest an origin may send once [`ORIGIN_RATE_GRACE`] is over, in bytes per second since the request
/// was sent: origins are CDNs and object stores sending megabytes per second, while an origin that
/// trickles would hold a pull slot until [`ORIGIN_DEADLINE`] and never trip [`ORIGIN_READ_TIMEOUT`]. 64 KiB/s
/// still moves a 1 MB file in the grace period and is a poor mobile link.
pub const MIN_ORIGIN_RATE: u64 = 64 * 1024;

/// How long an origin may take before [`MIN_ORIGIN_RATE`] applies: connecting, TLS, a cold object store's
/// first byte, TCP slow start.
pub const ORIGIN_RATE_GRACE: Duration = Duration::from_secs(15);

/// Redirects an origin pull follows, each one checked like the first URL. CDNs and object stores use one or
/// two; more is a loop or a walk through addresses.
pub const MAX_ORIGIN_REDIRECTS: usize = 4;

/// How long a failed pull is remembered, during which misses of that content answer `502` without asking the
/// origin again. Without it, publishing a victim's URL makes every edge download it on every request; a
/// minute keeps that to one download per edge and minute, and a fixed origin is pulled again soon.
pub const FAILED_PULL_TTL: Duration = Duration::from_secs(60);

/// Failed pulls remembered at once: a dApp can publish many contents, so the memory is bounded; past it the
/// oldest failure is forgotten first.
pub const MAX_FAILED_PULLS: usize = 4096;

/// Content types remembered at once (from the dApps' publications, see `origin::OriginPull::content_type`),
/// so serving a popular content does not ask the chain on every request.
pub const MAX_CONTENT_TYPES: usize = 16384;

/// How long a content type learnt from the chain is kept: a published content's origin rarely changes, and
/// an hour-old type is harmless.
pub const CONTENT_TYPE_TTL: Duration = Duration::from_secs(3600);
