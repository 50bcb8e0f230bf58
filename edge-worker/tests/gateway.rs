//! HTTP gateway conformance, checked with `curl` against a real `edge-worker run --gateway`: full GET, HEAD,
//! single and multiple ranges, an unsatisfiable range, ETag revalidation, unknown content, and metrics on
//! their own address; and the gateway on the open internet: raw TCP clients that hold connections open
//! (slowloris) or ask for many ranges of a large content, while an honest client from another address is
//! served.

mod common;

use std::{
    io::{ErrorKind, Read, Write},
    net::{SocketAddr, TcpStream},
    time::{Duration, Instant},
};

use common::{curl, header, loopback, publish, random_file, Worker};

#[test]
fn the_gateway_serves_content_with_ranges_etags_and_correct_headers() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("catalog.json");
    let bytes = random_file(&file, 300_000, 3);
    let data = dir.path().join("edge");
    let id = publish(&data, &file);
    let listen = loopback();
    let mut worker = Worker::spawn(
        &data,
        &[
            "run",
            "--listen",
            &listen,
            "--gateway",
            "127.0.0.1:0",
            "--metrics",
            "127.0.0.1:0",
        ],
    );
    let gateway = worker.gateway();
    let metrics = worker.event("metrics", Duration::from_secs(20))["address"]
        .as_str()
        .unwrap()
        .to_string();
    let url = format!("http://{gateway}/c/{id}");

    let (status, head, body) = curl(&url, &[]);
    assert_eq!(status, 200);
    assert!(body == bytes, "full GET returns the content");
    assert_eq!(header(&head, "content-length"), Some("300000"));
    // No dApp publication to take a type from (no chain): the file's name is never trusted.
    assert_eq!(
        header(&head, "content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(header(&head, "x-content-type-options"), Some("nosniff"));
    assert_eq!(header(&head, "accept-ranges"), Some("bytes"));
    let etag = header(&head, "etag").unwrap().to_string();
    assert_eq!(etag, format!("\"{id}\""));

    let (status, head, body) = curl(&url, &["-I"]);
    assert_eq!(status, 200);
    assert!(body.is_empty(), "HEAD has no body");
    assert_eq!(header(&head, "content-length"), Some("300000"));

    let (status, head, body) = curl(&url, &["-H", "Range: bytes=1000-1999"]);
    assert_eq!(status, 206);
    assert!(body == bytes[1000..2000]);
    assert_eq!(
        header(&head, "content-range"),
        Some("bytes 1000-1999/300000")
    );
    assert_eq!(header(&head, "content-length"), Some("1000"));

    let (status, _, body) = curl(&url, &["-H", "Range: bytes=-500"]);
    assert_eq!(status, 206);
    assert!(body == bytes[bytes.len() - 500..], "suffix range");

    let (status, head, body) = curl(&url, &["-H", "Range: bytes=0-9,200000-200009"]);
    assert_eq!(status, 206);
    assert!(header(&head, "content-type")
        .unwrap()
        .starts_with("multipart/byteranges; boundary="));
    let text = String::from_utf8_lossy(&body);
    assert!(
        text.contains("content-range: bytes 0-9/300000")
            || text.contains("Content-Range: bytes 0-9/300000")
    );
    assert!(text.contains("Content-Range: bytes 200000-200009/300000"));
    assert!(
        body.windows(10).any(|w| w == &bytes[200_000..200_010]),
        "second part's bytes"
    );
    assert_eq!(
        header(&head, "content-length")
            .unwrap()
            .parse::<usize>()
            .unwrap(),
        body.len()
    );

    let (status, head, _) = curl(&url, &["-H", "Range: bytes=400000-500000"]);
    assert_eq!(status, 416);
    assert_eq!(header(&head, "content-range"), Some("bytes */300000"));

    let (status, _, body) = curl(&url, &["-H", &format!("If-None-Match: {etag}")]);
    assert_eq!(status, 304);
    assert!(body.is_empty());

    let unknown = format!("http://{gateway}/c/{}", "ab".repeat(32));
    assert_eq!(curl(&unknown, &[]).0, 404);
    assert_eq!(curl(&format!("http://{gateway}/c/not-hex"), &[]).0, 400);

    // Metrics (with peer ids) are on the operator's address only, not on the public gateway port.
    assert_eq!(curl(&format!("http://{gateway}/metrics"), &[]).0, 404);
    let (status, _, body) = curl(&format!("http://{metrics}/metrics"), &[]);
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("enreach_dts_active_transfers"));
}

/// Connections one address may hold open at once (`--gateway-max-connections-per-ip`'s default).
const PER_IP: usize = 64;

/// How long the gateway waits for a request head (`enreach_gateway::limits::HEADER_READ_TIMEOUT`) plus slack.
const HEAD_TIMEOUT_AND_SLACK: Duration = Duration::from_secs(20);

#[test]
fn slow_and_greedy_clients_cannot_starve_the_gateway_of_connections_or_memory() {
    let dir = tempfile::tempdir().unwrap();
    // A name a peer could have chosen: it must not make the gateway serve HTML.
    let size = 32 << 20;
    let (worker, gateway, id, bytes) = serving_edge(dir.path(), "page.html", size, 5);
    let path = format!("/c/{id}");
    let url = format!("http://{gateway}{path}");
    // The honest client comes from another loopback address than the attacker (127.0.0.1).
    let honest = |extra: &[&str]| curl(&url, &[&["--interface", "127.0.0.2"], extra].concat());

    // Slowloris: the attacker opens as many connections as one address may and sends half a request head on each.
    let started = Instant::now();
    let stalled: Vec<TcpStream> = (0..PER_IP).map(|_| half_request(gateway, &path)).collect();
    // One more from the same address is turned away at once.
    let mut extra = half_request(gateway, &path);
    assert!(
        closed_within(&mut extra, Duration::from_secs(5)),
        "a connection over the per-address cap is closed at once"
    );
    // The honest client is served meanwhile.
    let (status, _, body) = honest(&[]);
    assert_eq!(status, 200);
    assert!(body == bytes, "the honest client gets the content");
    // Heads never completed are dropped once the header read timeout passes.
    for mut conn in stalled {
        let left = HEAD_TIMEOUT_AND_SLACK.saturating_sub(started.elapsed());
        assert!(
            closed_within(&mut conn, left),
            "a stalled request head is closed by the header read timeout"
        );
    }

    // Many ranges of a large content: streamed from disk, never read whole into memory, HEAD reads nothing.
    let peak = peak_rss(worker.pid());
    let (status, head, body) = honest(&["-I", "-H", "Range: bytes=0-0,2-"]);
    assert_eq!(status, 206);
    assert!(body.is_empty(), "HEAD has no body");
    let announced: usize = header(&head, "content-length").unwrap().parse().unwrap();
    let (status, head, body) = honest(&["-H", "Range: bytes=0-0,2-"]);
    assert_eq!(status, 206);
    assert!(header(&head, "content-type")
        .unwrap()
        .starts_with("multipart/byteranges; boundary="));
    assert_eq!(body.len(), announced, "HEAD announces the GET's length");
    assert!(
        body.windows(4096).any(|w| w == &bytes[size - 4096..]),
        "the second part ends with the content's last bytes"
    );
    let grown = peak_rss(worker.pid()).saturating_sub(peak);
    assert!(
        grown < 8 << 20,
        "serving {size} bytes of ranges grew the peak memory by {grown} bytes"
    );

    // More ranges than any client needs: the Range header is ignored and the content sent once (nginx's
    // max_ranges), rather than a response of many small parts.
    let many = (0..17)
        .map(|i| format!("{}-{}", i * 10, i * 10 + 1))
        .collect::<Vec<_>>()
        .join(",");
    let (status, head, body) = honest(&["-H", &format!("Range: bytes={many}")]);
    assert_eq!(status, 200);
    assert_eq!(
        header(&head, "content-length"),
        Some(size.to_string().as_str())
    );
    assert!(body == bytes);

    // A name a peer chose is not a type: no HTML from `page.html`, and browsers are told not to sniff one.
    let (_, head, _) = honest(&["-I"]);
    assert_eq!(
        header(&head, "content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(header(&head, "x-content-type-options"), Some("nosniff"));
}

/// How long the gateway waits for a client that reads nothing (`enreach_gateway::limits::WRITE_STALL_TIMEOUT`)
/// plus slack.
const STALL_TIMEOUT_AND_SLACK: Duration = Duration::from_secs(40);

#[test]
fn a_client_that_stops_reading_is_cut_off_while_others_are_served() {
    let dir = tempfile::tempdir().unwrap();
    // Far more than loopback's socket buffers hold, so the gateway's writes stall.
    let size = 64 << 20;
    let (_worker, gateway, id, bytes) = serving_edge(dir.path(), "video.bin", size, 9);
    let url = format!("http://{gateway}/c/{id}");

    // Slow read: the attacker asks for the whole content and reads none of it.
    let mut reader = TcpStream::connect(gateway).unwrap();
    reader
        .write_all(format!("GET /c/{id} HTTP/1.1\r\nHost: edge\r\n\r\n").as_bytes())
        .unwrap();
    let (status, _, body) = curl(&url, &["--interface", "127.0.0.2"]);
    assert_eq!(status, 200);
    assert!(body == bytes, "the honest client is served meanwhile");
    std::thread::sleep(STALL_TIMEOUT_AND_SLACK);
    // What the kernel buffered can still be read; then the connection ends, short of the content.
    reader
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut got = 0;
    let mut buf = vec![0u8; 1 << 16];
    let closed = loop {
        match reader.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => got += n,
            Err(e) => break !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        }
    };
    assert!(
        closed,
        "the stalled connection is closed (read {got} bytes, then it hung)"
    );
    assert!(got < size, "the stalled client did not get the content");
}

/// A connection from 127.0.0.1 that sent a request line and one header, and stalls.
/// An edge serving a random file of `size` bytes named `name` from its gateway: the worker, the gateway's
/// address, the content id and the bytes.
fn serving_edge(
    dir: &std::path::Path,
    name: &str,
    size: usize,
    seed: u64,
) -> (Worker, SocketAddr, String, Vec<u8>) {
    let file = dir.join(name);
    let bytes = random_file(&file, size, seed);
    let data = dir.join("edge");
    let id = publish(&data, &file);
    let mut worker = Worker::spawn(
        &data,
        &["run", "--listen", &loopback(), "--gateway", "127.0.0.1:0"],
    );
    let gateway = worker.gateway().parse().unwrap();
    (worker, gateway, id, bytes)
}

fn half_request(gateway: SocketAddr, path: &str) -> TcpStream {
    let mut conn = TcpStream::connect(gateway).expect("connects");
    conn.write_all(format!("GET {path} HTTP/1.1\r\nHost: edge\r\n").as_bytes())
        .expect("sends");
    conn
}

/// Whether the gateway closes `conn` (end of stream or reset) within `timeout`, sending no response.
fn closed_within(conn: &mut TcpStream, timeout: Duration) -> bool {
    conn.set_read_timeout(Some(timeout.max(Duration::from_millis(1))))
        .unwrap();
    let mut buf = [0u8; 1024];
    match conn.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
    }
}

/// The peak resident memory of process `pid`, in bytes (`VmHWM`).
fn peak_rss(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    kib << 10
}
