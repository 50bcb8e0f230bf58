//! Real networks, built in network namespaces (needs root, as CI runs; see common/netns.rs): two edges each
//! behind its own NAT router reach each other through a relay on the "public" segment and hole-punch a direct
//! connection (DCUtR), AutoNAT telling each side what it is; and a fetch over a long lossy link.

mod common;

use std::{
    fs,
    process::{Command, Stdio},
    time::Duration,
};

use common::{netns::Lab, publish, random_file, Worker};
use serde_json::Value;

const MIB: usize = 1 << 20;

/// The "internet": a bridge in its own namespace joining the relay and both NAT routers' WAN sides. AutoNAT
/// ignores private ranges, so this segment uses global addresses (11.0.0.0/24); they never leave the namespaces.
const RELAY_IP: &str = "11.0.0.1";

/// A home network: `edge` (192.168.<n>.2) behind the router `nat` (192.168.<n>.1 inside, 11.0.0.<n+1> outside)
/// that masquerades its traffic and drops every connection attempt from outside, with no port mappings.
///
/// Linux masquerading keeps a connection's source port when it is free, so a port is mapped to the same
/// outside port whichever peer it talks to (endpoint-independent mapping, as DCUtR needs), while conntrack
/// lets in only replies to what went out (address- and port-dependent filtering).
fn home(lab: &mut Lab, internet: &str, n: u8) -> (String, String) {
    let nat = lab.namespace(&format!("nat{n}"));
    let edge = lab.namespace(&format!("edge{n}"));
    lab.veth(&nat, "wan", internet, &format!("n{n}"));
    lab.ip(internet, &format!("link set n{n} master br0"));
    lab.ip(&nat, &format!("addr add 11.0.0.{}/24 dev wan", n + 1));
    lab.veth(&edge, "eth0", &nat, "lan");
    lab.ip(&nat, &format!("addr add 192.168.{n}.1/24 dev lan"));
    lab.ip(&edge, &format!("addr add 192.168.{n}.2/24 dev eth0"));
    lab.ip(&edge, &format!("route add default via 192.168.{n}.1"));
    lab.exec(&nat, "sysctl -qw net.ipv4.ip_forward=1");
    lab.exec(&nat, "iptables -t nat -A POSTROUTING -o wan -j MASQUERADE");
    // Unsolicited packets from outside are dropped silently (no RST or ICMP that would abort a hole punch).
    lab.exec(
        &nat,
        "iptables -A INPUT -i wan -m conntrack --ctstate NEW,INVALID -j DROP",
    );
    lab.exec(
        &nat,
        "iptables -A FORWARD -i wan -m conntrack --ctstate NEW,INVALID -j DROP",
    );
    (nat, edge)
}

fn is_circuit(address: &str) -> bool {
    address.contains("/p2p-circuit")
}

#[test]
fn edges_behind_nats_fetch_through_the_relay_and_hole_punch_a_direct_connection() {
    let dir = tempfile::tempdir().unwrap();
    let mut lab = Lab::new("nat");
    let internet = lab.namespace("inet");
    lab.ip(&internet, "link add br0 type bridge");
    lab.ip(&internet, "link set br0 up");
    let relay_ns = lab.namespace("relay");
    lab.veth(&relay_ns, "eth0", &internet, "r");
    lab.ip(&internet, "link set r master br0");
    lab.ip(&relay_ns, &format!("addr add {RELAY_IP}/24 dev eth0"));
    let (_, edge1) = home(&mut lab, &internet, 1);
    let (_, edge2) = home(&mut lab, &internet, 2);

    let mut relay = Worker::spawn_in(
        &relay_ns,
        &dir.path().join("relay"),
        &[
            "run",
            "--listen",
            &format!("/ip4/{RELAY_IP}/tcp/4001"),
            "--relay-server",
        ],
    );
    let relay_addr = relay.address();

    // Edge 1 holds the content; both edges listen on their LAN address (a fixed port, which their outgoing
    // connections reuse, so the NAT maps it to the same outside port for every peer) and reserve a relay slot.
    let file = dir.path().join("site.tar");
    let bytes = random_file(&file, 4 * MIB, 23);
    let holder_dir = dir.path().join("edge1");
    let id = publish(&holder_dir, &file);
    // Capped at 512 KiB/s, so the fetch (8 s) is still running when the direct connection comes up.
    let mut holder = Worker::spawn_in(
        &edge1,
        &holder_dir,
        &[
            "run",
            "--listen",
            "/ip4/0.0.0.0/tcp/4001",
            "--relay",
            &relay_addr,
            "--rate-limit",
            "524288",
        ],
    );
    let holder_id = holder.peer_id();
    let mut other = Worker::spawn_in(
        &edge2,
        &dir.path().join("edge2"),
        &[
            "run",
            "--listen",
            "/ip4/0.0.0.0/tcp/4001",
            "--relay",
            &relay_addr,
        ],
    );
    holder.event("relayed", Duration::from_secs(30));
    other.event("relayed", Duration::from_secs(30));

    // A fetch from behind the second NAT, given only the holder's relayed address.
    let out = dir.path().join("out.tar");
    let out_arg = out.display().to_string();
    let via_relay = format!("{relay_addr}/p2p-circuit/p2p/{holder_id}");
    let mut fetcher = Worker::spawn_in(
        &edge2,
        &dir.path().join("fetcher"),
        &[
            "fetch",
            &id,
            "-o",
            &out_arg,
            "--json",
            "--listen",
            "/ip4/0.0.0.0/tcp/4002",
            "--peer",
            &relay_addr,
            "--peer",
            &via_relay,
        ],
    );
    let fetcher_id = fetcher.peer_id();

    // The fetch begins on the relay circuit...
    let to_holder = |e: &Value| e["peer"] == holder_id.as_str();
    let wait = Duration::from_secs(30);
    let relayed =
        fetcher.event_matching("connected", |e| to_holder(e) && e["relayed"] == true, wait);
    assert!(
        is_circuit(relayed["address"].as_str().unwrap()),
        "{relayed}"
    );
    // ...DCUtR upgrades it to a direct connection through both NATs: to the holder's router's outside address,
    // not a circuit...
    // DCUtR retries a failed attempt (simultaneous opens can lose the race on a loaded machine): one must win.
    let punched = fetcher.event_matching("hole_punch", |e| to_holder(e) && e["ok"] == true, wait);
    assert_eq!(punched["ok"], true, "{punched}");
    let direct =
        fetcher.event_matching("connected", |e| to_holder(e) && e["relayed"] == false, wait);
    let address = direct["address"].as_str().unwrap();
    assert!(
        !is_circuit(address) && address.starts_with("/ip4/11.0.0.2/tcp/"),
        "direct connection through the holder's NAT: {direct}"
    );
    // ...and the content arrives intact, all of it from the holder.
    let fetched = fetcher.event("fetched", Duration::from_secs(60));
    assert!(fetcher.wait(Duration::from_secs(10)).success());
    assert!(
        fs::read(&out).unwrap() == bytes,
        "the fetched file is byte-identical"
    );
    let by_peer = fetched["report"]["bytes_by_peer"].as_object().unwrap();
    assert_eq!(
        by_peer.keys().collect::<Vec<_>>(),
        vec![&holder_id],
        "{fetched}"
    );
    eprintln!("relayed: {relayed}\nhole punch: {punched}\ndirect: {direct}");
    // The holder saw it from the fetcher's router's outside address.
    holder.event_matching(
        "connected",
        |e| {
            e["peer"] == fetcher_id.as_str()
                && e["relayed"] == false
                && e["address"]
                    .as_str()
                    .is_some_and(|a| a.starts_with("/ip4/11.0.0.3/"))
        },
        Duration::from_secs(10),
    );

    // AutoNAT: the relay's dial-backs reach nobody behind the NATs; the edges' dial-backs reach the relay.
    // (First probe after 15 s; a dial-back into a NAT times out after 10 s.)
    let nat_status = |w: &mut Worker| w.event("nat_status", Duration::from_secs(60));
    for edge in [&mut holder, &mut other] {
        let status = nat_status(edge);
        eprintln!("edge: {status}");
        assert_eq!(status["status"], "private", "{status}");
    }
    let status = nat_status(&mut relay);
    eprintln!("relay: {status}");
    assert_eq!(status["status"], "public", "{status}");
    assert!(
        status["address"]
            .as_str()
            .unwrap()
            .starts_with(&format!("/ip4/{RELAY_IP}/tcp/4001")),
        "{status}"
    );
}

#[test]
fn a_fetch_over_a_long_lossy_link_arrives_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let mut lab = Lab::new("lossy");
    // Fail (not pass) without root, with the lab's message.
    drop(lab.namespace("probe"));
    let link = lab.prefix().to_string();
    for side in ["a", "b", "link"] {
        lab.adopt(format!("{link}-{side}"));
    }
    // The manifest directory at run time: a compiled-in one goes stale when cargo reuses a build of another
    // checkout sharing the target directory.
    let script = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap())
        .join("../scripts/lib/lossy-link.py");
    let emulator = lab.spawn(
        Command::new("python3")
            .arg(script)
            .args([&link, "25", "0.01"])
            .stdout(Stdio::piped()),
    );
    let mut ready = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(emulator.stdout.take().unwrap()),
        &mut ready,
    )
    .unwrap();
    assert_eq!(ready.trim(), "ready", "the lossy link came up");

    let file = dir.path().join("model.bin");
    let bytes = random_file(&file, 4 * MIB, 29);
    let provider_dir = dir.path().join("provider");
    let id = publish(&provider_dir, &file);
    let mut provider = Worker::spawn_in(
        &format!("{link}-a"),
        &provider_dir,
        &["run", "--listen", "/ip4/10.1.0.2/tcp/4001"],
    );
    let address = provider.address();

    let out = dir.path().join("out.bin");
    let out_arg = out.display().to_string();
    let started = std::time::Instant::now();
    let mut fetcher = Worker::spawn_in(
        &format!("{link}-b"),
        &dir.path().join("client"),
        &["fetch", &id, "-o", &out_arg, "--json", "--peer", &address],
    );
    let report = fetcher.event("fetched", Duration::from_secs(90));
    assert!(fetcher.wait(Duration::from_secs(10)).success());
    assert!(
        fs::read(&out).unwrap() == bytes,
        "byte-identical over the lossy link"
    );
    eprintln!(
        "4 MiB over 50 ms RTT, 1 % loss: {:.1} s ({report})",
        started.elapsed().as_secs_f64()
    );
}
