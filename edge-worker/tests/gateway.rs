//! HTTP gateway conformance, checked with `curl` against a real `edge-worker run --gateway`: full GET, HEAD,
//! single and multiple ranges, an unsatisfiable range, ETag revalidation, unknown content, and metrics.

mod common;

use std::time::Duration;

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
        &["run", "--listen", &listen, "--gateway", "127.0.0.1:0"],
    );
    let gateway = worker.event("gateway", Duration::from_secs(20))["address"]
        .as_str()
        .unwrap()
        .to_string();
    let url = format!("http://{gateway}/c/{id}");

    let (status, head, body) = curl(&url, &[]);
    assert_eq!(status, 200);
    assert!(body == bytes, "full GET returns the content");
    assert_eq!(header(&head, "content-length"), Some("300000"));
    assert_eq!(header(&head, "content-type"), Some("application/json"));
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

    let (status, _, body) = curl(&format!("http://{gateway}/metrics"), &[]);
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("enreach_dts_active_transfers"));
}
