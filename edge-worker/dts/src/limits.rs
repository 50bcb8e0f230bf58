//! Every bound a PeerDTS node puts on what other peers can make it spend, in one place: an edge is on the open
//! internet, and any peer can connect, open substreams, and send (or not send, or not read) at any pace. Each
//! value says why it is what it is; [`ServeLimits`] carries the per-request ones so tests can shorten them.

use std::time::Duration;

/// Connections one peer may hold to this node: a direct one, a relayed one while DCUtR upgrades it, and a
/// redial racing each. More buys a peer nothing but our memory.
pub const MAX_CONNECTIONS_PER_PEER: u32 = 4;

/// Incoming connections still in their handshake: each costs a noise handshake's CPU, and a flood of them
/// must not starve established transfers.
pub const MAX_PENDING_INCOMING: u32 = 128;

/// Incoming connections still in their handshake from one address (IPv6: one /64), so one host cannot hold
/// the whole pending pool ([`MAX_PENDING_INCOMING`]): a few peers behind one NAT connecting at once fit.
pub const MAX_PENDING_INCOMING_PER_ADDRESS: u32 = 16;

/// Established connections in all. Every connection holds yamux buffers (a few hundred KiB at most when
/// idle); 1024 of them stay well inside an edge's memory while serving far more peers than a 2-core edge can
/// feed with data.
pub const MAX_ESTABLISHED: u32 = 1024;

/// Share of the machine's memory past which new connections are refused (`memory_connection_limits`): what
/// the connection counts cannot foresee (large yamux windows, many substreams) is caught before the kernel's
/// out-of-memory killer is.
pub const MAX_MEMORY_FRACTION: f64 = 0.9;

/// Requests one peer may have served at once. A download asks a provider for
/// [`crate::schedule::Scheduler::BATCHES_IN_FLIGHT`] batches, a `HAVE` and a `RECEIPT` at a time; 16 lets a
/// gateway run a few downloads from the same provider. Substreams past it are reset at once, not queued.
pub const MAX_STREAMS_PER_PEER: usize = 16;

/// Requests served at once over all peers. A `GET` holds one blocking thread while it encodes; 128 keeps
/// serving well below tokio's 512 blocking threads, so downloads and disk work always find one.
pub const MAX_STREAMS: usize = 128;

/// Time a requester has to send its whole request, from the substream's opening. The largest request (a `GET`
/// of [`crate::protocol::MAX_RANGES`] ranges) is 16 KiB: a live peer sends it in a round trip.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Time a send may make no progress before the requester is taken to have stopped reading, and its substream,
/// buffers and encoding thread are released. Long enough for an honest downloader's pauses (a full disk
/// queue), short enough that a stalled one holds a slot briefly.
pub const WRITE_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Time the answer to a short request (`HAVE`, `RECEIPT`, `STATUS`, `PREFETCH`) may take, checks on chain
/// included: the requester gives up after [`crate::protocol::ANSWER_TIMEOUT`] anyway.
pub const ANSWER_DEADLINE: Duration = Duration::from_secs(30);

/// How long a downloader waits for the next bytes of a `GET` answer: a provider that answered `OK` and then
/// stalls would otherwise hold the batch (and, as the download's last provider, the download) for ever; it is
/// never banned, since stalling proves nothing wrong, but its worker fails and the batch goes to another.
pub const READ_IDLE_TIMEOUT: Duration = Duration::from_secs(15);

/// `STATUS` answers one host (an IPv4 address or IPv6 /64, [`crate::hosts::Host`]: peer ids are free) gets per
/// second. A router probes each node every 3 s; an answer lists the node's inventory, which costs a pass over
/// the store, so anyone else asking in a loop is cut to this rate. A few routers sharing a host still fit.
pub const STATUS_PER_SECOND_PER_PEER: u32 = 1;

/// `STATUS` answers one host may get at once beyond [`STATUS_PER_SECOND_PER_PEER`]: a router's probe and its
/// retry after a lost answer.
pub const STATUS_BURST_PER_PEER: u32 = 3;

/// The per-request limits a provider enforces ([`crate::serve::serve`]); the defaults are the constants above.
#[derive(Clone, Copy, Debug)]
pub struct ServeLimits {
    /// See [`MAX_STREAMS_PER_PEER`].
    pub streams_per_peer: usize,
    /// See [`MAX_STREAMS`].
    pub streams: usize,
    /// See [`REQUEST_TIMEOUT`].
    pub request_timeout: Duration,
    /// See [`WRITE_IDLE_TIMEOUT`].
    pub write_idle_timeout: Duration,
    /// See [`ANSWER_DEADLINE`].
    pub answer_deadline: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            streams_per_peer: MAX_STREAMS_PER_PEER,
            streams: MAX_STREAMS,
            request_timeout: REQUEST_TIMEOUT,
            write_idle_timeout: WRITE_IDLE_TIMEOUT,
            answer_deadline: ANSWER_DEADLINE,
        }
    }
}

// The relay server (`--relay-server`). A relay is not paid for what it carries (receipts pay the provider), so a
// circuit is only for reaching a node behind a NAT while DCUtR punches a direct connection through it, which
// takes a few round trips. Without these caps any stranger could use an edge as a free, unlimited proxy.

/// Bytes one circuit may carry before the relay closes it: the DCUtR signalling and a download's first, small
/// batches ([`crate::schedule::Scheduler::FIRST_BATCH`] groups) while the hole punch runs, with room to spare
/// for a slow punch; what goes on after the punch takes the direct connection.
pub const RELAY_MAX_CIRCUIT_BYTES: u64 = 16 << 20;

/// How long one circuit may stay open: a hole punch takes seconds; a peer whose punch failed may open a new
/// circuit, within [`RELAY_CIRCUITS_PER_IP`].
pub const RELAY_MAX_CIRCUIT_DURATION: Duration = Duration::from_secs(120);

/// Circuits open at once through this relay, and per peer (either end): relayed bytes cost the relay's
/// bandwidth twice (in and out), so a handful of concurrent punches is what a relaying edge is for.
pub const RELAY_MAX_CIRCUITS: usize = 32;
/// See [`RELAY_MAX_CIRCUITS`].
pub const RELAY_MAX_CIRCUITS_PER_PEER: usize = 4;

/// New circuits a source host ([`crate::hosts::Host`]: an IPv4 address or an IPv6 /64) may open: this many per
/// [`RELAY_RATE_INTERVAL`], all at once at most. Per host, not per peer id, since peer ids are free, nor per IPv6
/// address, since a line has a /64 of them.
pub const RELAY_CIRCUITS_PER_IP: u32 = 8;

/// Reservations (nodes behind NATs reachable through this relay) held at once, and per peer: a reservation
/// costs a slot in these tables and lets its holder be dialed through the relay.
pub const RELAY_MAX_RESERVATIONS: usize = 128;
/// See [`RELAY_MAX_RESERVATIONS`].
pub const RELAY_MAX_RESERVATIONS_PER_PEER: usize = 2;

/// New reservations a host (as for [`RELAY_CIRCUITS_PER_IP`]) may make: this many per [`RELAY_RATE_INTERVAL`],
/// all at once at most, so one host cannot take every reservation slot by rotating peer ids or addresses.
pub const RELAY_RESERVATIONS_PER_IP: u32 = 4;

/// Refill interval of the per-host circuit and reservation budgets.
pub const RELAY_RATE_INTERVAL: Duration = Duration::from_secs(60);
