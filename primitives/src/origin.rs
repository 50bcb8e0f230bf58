//! Origin URLs: where an edge gateway pulls a content from when a request misses its store. A dApp registers
//! one with the content on chain; the gateway fetches it over HTTP(S), checks the bytes against the content id
//! (the BLAKE3 root) and only then stores and serves them, so a wrong or hostile origin can waste a fetch but
//! never put unverified bytes in front of a user.

use bounded_collections::{BoundedVec, ConstU32};

/// Longest origin URL a dApp may register, in bytes.
pub const MAX_ORIGIN_URL_LEN: u32 = 256;

/// An origin URL as stored on chain: bounded, and valid per [`is_valid_origin`] once accepted.
pub type OriginUrl = BoundedVec<u8, ConstU32<MAX_ORIGIN_URL_LEN>>;

/// Whether `url` is one a gateway can pull from: `http://` or `https://`, a non-empty rest, printable ASCII
/// only (no spaces or control bytes that could split an HTTP request line).
pub fn is_valid_origin(url: &[u8]) -> bool {
    let rest = url
        .strip_prefix(b"https://")
        .or_else(|| url.strip_prefix(b"http://"));
    rest.is_some_and(|rest| !rest.is_empty() && rest.iter().all(|b| b.is_ascii_graphic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_urls_of_printable_ascii_are_valid() {
        assert!(is_valid_origin(b"https://cdn.example.com/model.bin"));
        assert!(is_valid_origin(b"http://127.0.0.1:8080/a?b=c"));
        for bad in [
            &b""[..],
            b"https://",
            b"ftp://example.com/x",
            b"file:///etc/passwd",
            b"https://exa mple.com/",
            b"https://example.com/\r\nHost: evil",
            "https://例え.jp/".as_bytes(),
        ] {
            assert!(!is_valid_origin(bad), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
