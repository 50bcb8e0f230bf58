//! PeerHVM applications as the chain registers them and edge nodes run them: the name an app is reached by
//! (`<gateway>/a/<name>/<path>`), the limits of one of its requests, and the origins it may call. The chain
//! checks them when a dApp deploys or upgrades an app (`pallet-apps`); edge nodes decode the same bytes and
//! enforce them per request, so what a dApp registered and what a node runs cannot drift apart.

use bounded_collections::{BoundedVec, ConstU32};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

use crate::is_valid_origin;

/// Shortest app name: one- and two-letter names are too few to share fairly, and too easy to squat.
pub const MIN_APP_NAME_LEN: u32 = 3;

/// Longest app name, in bytes: a path segment short enough to type and to store in every app record.
pub const MAX_APP_NAME_LEN: u32 = 32;

/// An app's name, its one path segment under `<gateway>/a/`. Valid per [`is_valid_app_name`] once registered.
pub type AppName = BoundedVec<u8, ConstU32<MAX_APP_NAME_LEN>>;

/// Whether `name` can name an app: [`MIN_APP_NAME_LEN`]`..=`[`MAX_APP_NAME_LEN`] bytes of `[a-z0-9-]`, neither
/// starting nor ending with `-`.
///
/// One spelling per name: lower case only, so `Shop` and `shop` cannot be two apps a user confuses, and only
/// bytes that need no escaping in a URL path, so the name in a link is the name on chain.
pub fn is_valid_app_name(name: &[u8]) -> bool {
    let len_ok = (MIN_APP_NAME_LEN as usize..=MAX_APP_NAME_LEN as usize).contains(&name.len());
    len_ok
        && name
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && name.first() != Some(&b'-')
        && name.last() != Some(&b'-')
}

/// Whether `url` can be one of the origins an app may call: a valid origin URL ([`is_valid_origin`]) that is
/// only `scheme://host[:port]`, with no path, query, fragment or user info.
///
/// PeerHVM compares the `scheme://authority` of each outgoing request with the app's origins, so an entry
/// with anything more could never match: refusing it on chain tells the dApp at once instead of failing its
/// requests on every node. User info is refused because it would put a credential on chain, readable by all.
pub fn is_valid_app_origin(url: &[u8]) -> bool {
    let Some(authority) = url
        .strip_prefix(b"https://")
        .or_else(|| url.strip_prefix(b"http://"))
    else {
        return false;
    };
    is_valid_origin(url)
        && authority
            .iter()
            .all(|b| !matches!(b, b'/' | b'?' | b'#' | b'@' | b'\\'))
}

/// What one request of an app may use. Each is a ceiling the node enforces: a request that reaches one stops,
/// and is billed for what it used.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "subxt",
    derive(scale_encode::EncodeAsType, scale_decode::DecodeAsType)
)]
pub struct AppLimits {
    /// Linear memory of the app's instance, MiB.
    pub memory_mib: u32,
    /// Compute units (wasmtime fuel: one per WebAssembly operation) one request may consume. The same count
    /// on every node and every replay, which is why a dApp pays per compute unit rather than per CPU second.
    pub compute_units: u64,
    /// Wall-clock time one request may take, waiting included, milliseconds.
    pub wall_ms: u32,
}

impl AppLimits {
    /// Whether every limit is at least one: an app with a zero limit could never answer a request.
    pub fn is_nonzero(&self) -> bool {
        self.memory_mib > 0 && self.compute_units > 0 && self.wall_ms > 0
    }

    /// Whether no limit is above the same limit of `ceiling`.
    pub fn is_within(&self, ceiling: &AppLimits) -> bool {
        self.memory_mib <= ceiling.memory_mib
            && self.compute_units <= ceiling.compute_units
            && self.wall_ms <= ceiling.wall_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_names_are_url_safe_lower_case_and_bounded() {
        for good in [&b"abc"[..], b"my-app", b"a1-b2-c3", b"000", &[b'z'; 32]] {
            assert!(
                is_valid_app_name(good),
                "{:?}",
                String::from_utf8_lossy(good)
            );
        }
        for bad in [
            &b""[..],
            b"ab",
            &[b'a'; 33],
            b"-app",
            b"app-",
            b"-",
            b"My-App",
            b"my_app",
            b"my.app",
            b"my app",
            b"my/app",
            b"..",
            b"app%2f",
            "caf\u{e9}".as_bytes(),
        ] {
            assert!(
                !is_valid_app_name(bad),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn app_origins_are_scheme_host_and_port_only() {
        for good in [
            &b"https://api.example.com"[..],
            b"http://127.0.0.1:8080",
            b"https://[2001:db8::1]:443",
        ] {
            assert!(
                is_valid_app_origin(good),
                "{:?}",
                String::from_utf8_lossy(good)
            );
        }
        for bad in [
            &b""[..],
            b"https://",
            b"ftp://example.com",
            b"https://example.com/",
            b"https://example.com/path",
            b"https://example.com?q",
            b"https://example.com#f",
            b"https://user:secret@example.com",
            b"https://example.com\\evil.com",
            b"https://exa mple.com",
            b"api.example.com",
        ] {
            assert!(
                !is_valid_app_origin(bad),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn limits_are_nonzero_and_within_a_ceiling_field_by_field() {
        let ceiling = AppLimits {
            memory_mib: 256,
            compute_units: 1_000,
            wall_ms: 30_000,
        };
        assert!(ceiling.is_nonzero() && ceiling.is_within(&ceiling));
        for over in [
            AppLimits {
                memory_mib: 257,
                ..ceiling
            },
            AppLimits {
                compute_units: 1_001,
                ..ceiling
            },
            AppLimits {
                wall_ms: 30_001,
                ..ceiling
            },
        ] {
            assert!(!over.is_within(&ceiling), "{over:?}");
        }
        for zero in [
            AppLimits {
                memory_mib: 0,
                ..ceiling
            },
            AppLimits {
                compute_units: 0,
                ..ceiling
            },
            AppLimits {
                wall_ms: 0,
                ..ceiling
            },
        ] {
            assert!(!zero.is_nonzero(), "{zero:?}");
        }
    }
}
