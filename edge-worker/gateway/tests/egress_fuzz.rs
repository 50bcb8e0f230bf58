//! Fuzzing the origin-pull fence with the addresses an attacker would aim a gateway at: loopback, private,
//! shared (CGNAT), link-local and cloud metadata addresses, written every way a URL parser or a resolver
//! accepts them (dotted, one integer, hex, octal, two- and three-part short forms, IPv4-mapped, NAT64 and 6to4
//! IPv6, trailing dots, user info, ports). A URL from a dApp reaches an address only through
//! [`EgressPolicy::check_url`] (literal addresses, and every redirect hop) or [`FilteringResolver`] (names):
//! for each generated URL, one of the two must refuse it.
//!
//! A short run (256 cases, about 5 s: each case resolves names) is part of the test command. A longer one
//! (20 000 cases took 8 minutes here): `PROPTEST_CASES=20000 cargo test -p enreach-gateway --test egress_fuzz`.

use std::{net::Ipv4Addr, str::FromStr};

use enreach_gateway::egress::{EgressPolicy, FilteringResolver};
use proptest::prelude::*;
use reqwest::dns::{Name, Resolve};
use url::Url;

/// Blocks no public origin may reach: (first address, prefix length).
const BLOCKED_V4: [([u8; 4], u32); 8] = [
    ([127, 0, 0, 0], 8),
    ([10, 0, 0, 0], 8),
    ([172, 16, 0, 0], 12),
    ([192, 168, 0, 0], 16),
    ([169, 254, 0, 0], 16),
    ([100, 64, 0, 0], 10),
    ([0, 0, 0, 0], 8),
    ([100, 100, 100, 200], 32),
];

fn blocked_v4() -> impl Strategy<Value = Ipv4Addr> {
    (0..BLOCKED_V4.len(), any::<u32>()).prop_map(|(i, host)| {
        let (base, prefix) = BLOCKED_V4[i];
        let mask = u32::MAX.checked_shr(prefix).unwrap_or(0);
        Ipv4Addr::from(u32::from_be_bytes(base) | (host & mask))
    })
}

/// `ip` written one of the ways URL parsers and resolvers accept.
fn spelled(ip: Ipv4Addr, form: u8) -> String {
    let [a, b, c, d] = ip.octets();
    let n = u32::from(ip);
    match form % 12 {
        0 => format!("{a}.{b}.{c}.{d}"),
        1 => format!("{n}"),
        2 => format!("0x{n:x}"),
        3 => format!("0{a:o}.0{b:o}.0{c:o}.0{d:o}"),
        4 => format!("0x{a:x}.0x{b:x}.0x{c:x}.0x{d:x}"),
        5 => format!("{a}.{b}.{}", n & 0xffff),
        6 => format!("{a}.{}", n & 0xff_ffff),
        7 => format!("{a}.{b}.{c}.{d}."),
        8 => format!("[::ffff:{a}.{b}.{c}.{d}]"),
        9 => format!("[::ffff:{:x}:{:x}]", n >> 16, n & 0xffff),
        10 => format!("[64:ff9b::{a}.{b}.{c}.{d}]"),
        _ => format!("[2002:{:x}:{:x}::1]", n >> 16, n & 0xffff),
    }
}

fn hostile_url() -> impl Strategy<Value = String> {
    prop_oneof![
        (blocked_v4(), any::<u8>()).prop_map(|(ip, form)| spelled(ip, form)),
        Just("[::1]".to_string()),
        Just("[fe80::1]".to_string()),
        Just("[fd00:ec2::254]".to_string()),
        Just("[fc00::1]".to_string()),
        Just("[::]".to_string()),
        Just("localhost".to_string()),
        Just("LOCALHOST.".to_string()),
    ]
    .prop_flat_map(|host| {
        (
            Just(host),
            prop_oneof![Just("http"), Just("https"), Just("HTTP")],
            prop::option::of(prop_oneof![Just("user@"), Just("a:b@"), Just("@")]),
            prop::option::of(1u16..),
            "[a-z0-9/._-]{0,12}",
        )
    })
    .prop_map(|(host, scheme, user, port, path)| {
        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
        format!("{scheme}://{}{host}{port}/{path}", user.unwrap_or(""))
    })
}

proptest! {
    #[test]
    fn no_spelling_of_an_internal_address_gets_past_the_fence(url in hostile_url()) {
        let Ok(parsed) = Url::parse(&url) else {
            return Ok(()); // reqwest cannot fetch what does not parse
        };
        let policy = EgressPolicy::new(false);
        if policy.check_url(&parsed).is_err() {
            return Ok(());
        }
        let host = parsed.host_str().expect("an http URL has a host");
        let Ok(name) = Name::from_str(host) else {
            return Ok(()); // nor a host name hyper refuses
        };
        let resolved = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(FilteringResolver::new(policy).resolve(name));
        prop_assert!(
            resolved.is_err(),
            "{url} (host {host}) resolved to {:?}",
            resolved.map(|addrs| addrs.collect::<Vec<_>>()).ok()
        );
    }
}
