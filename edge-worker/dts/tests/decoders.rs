//! Fuzzing every PeerDTS decoder of what a remote peer sends: requests, and the answers to `HAVE`, `GET`,
//! `RECEIPT`, `STATUS` and `PREFETCH`.
//!
//! cargo-fuzz needs a nightly toolchain this project does not build with, so the fuzzer is proptest: random
//! byte strings, and valid encodings with bytes changed, cut off or appended. Every decoder runs on every
//! input. Each must answer with an error rather than panic, and what it accepts must be canonical: encoding the
//! decoded value gives back exactly the bytes it consumed, so that two peers never disagree on what a message
//! said (a receipt or an inventory read one way by the edge and another way by a router).
//!
//! A short run is part of the test command. A longer one:
//! `PROPTEST_CASES=200000 cargo test --release -p enreach-dts --test decoders`.

use enreach_dts::{bitfield::Bitfield, protocol::*, store::group_count};
use enreach_primitives::{ClientKey, ContentId, DeliveryReceipt, NodeId, SessionId};
use futures::executor::block_on;
use proptest::prelude::*;

/// Asserts that decoding `$input` with `$read` either fails or consumes a canonical encoding of its value.
macro_rules! assert_canonical {
    ($input:expr, |$r:ident| $read:expr, |$buf:ident, $value:ident| $write:expr) => {{
        let input: &[u8] = $input;
        let mut $r = input;
        if let Ok($value) = block_on($read) {
            let consumed = input.len() - $r.len();
            let mut $buf = Vec::new();
            block_on($write).expect("what was decoded encodes again");
            prop_assert_eq!(
                &$buf[..],
                &input[..consumed],
                "a non-canonical encoding was accepted as {:?}",
                $value
            );
        }
    }};
}

/// Valid encodings of every message kind, the starting points of the mutations.
fn seeds() -> Vec<Vec<u8>> {
    let id = blake3::hash(b"content");
    let receipt = DeliveryReceipt {
        genesis_hash: [1; 32],
        epoch: 7,
        node: NodeId([2; 32]),
        client: ClientKey([3; 32]),
        content: ContentId(*id.as_bytes()),
        session: SessionId([4; 16]),
        cumulative_bytes: 1 << 20,
        signature: [5; 64],
    };
    let terms = ReceiptTerms {
        genesis_hash: [6; 32],
        epoch: 9,
    };
    let size = 100_000;
    let mut present = Bitfield::new(group_count(size));
    present.set(1);
    let have = HaveAnswer {
        size,
        name: Some("model.safetensors".into()),
        present,
        terms: Some(terms),
    };
    let status = NodeStatus {
        load: 3,
        held: vec![id, blake3::hash(b"other")],
        round_trips: vec![(NodeId([8; 32]), 1500)],
    };
    block_on(async {
        let mut seeds = Vec::new();
        for request in [
            Request::Have(id),
            Request::Get(id, vec![0..3, 5..9]),
            Request::Receipt(Box::new(receipt)),
            Request::Status,
            Request::Prefetch(id),
        ] {
            let mut buf = Vec::new();
            request.write(&mut buf).await.unwrap();
            seeds.push(buf);
        }
        for answer in [None, Some(&have)] {
            let mut buf = Vec::new();
            write_have(&mut buf, answer).await.unwrap();
            seeds.push(buf);
        }
        let mut buf = Vec::new();
        write_status(&mut buf, &status).await.unwrap();
        seeds.push(buf);
        for answer in [
            ReceiptAnswer::Accepted,
            ReceiptAnswer::Stale(terms),
            ReceiptAnswer::Refused(Refusal::NotNewer),
        ] {
            let mut buf = Vec::new();
            write_receipt_answer(&mut buf, answer).await.unwrap();
            seeds.push(buf);
        }
        let mut buf = Vec::new();
        write_get_status(&mut buf, GetStatus::Unpaid).await.unwrap();
        seeds.push(buf);
        let mut buf = Vec::new();
        write_prefetch_answer(&mut buf, PrefetchAnswer::Busy)
            .await
            .unwrap();
        seeds.push(buf);
        seeds
    })
}

/// A valid encoding with some bytes changed, then cut short or extended.
fn mutated() -> impl Strategy<Value = Vec<u8>> {
    let seeds = seeds();
    (
        0..seeds.len(),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        prop::option::of(any::<prop::sample::Index>()),
        prop::collection::vec(any::<u8>(), 0..16),
    )
        .prop_map(move |(seed, changes, cut, tail)| {
            let mut bytes = seeds[seed].clone();
            for (at, byte) in changes {
                let at = at.index(bytes.len());
                bytes[at] = byte;
            }
            if let Some(cut) = cut {
                bytes.truncate(cut.index(bytes.len() + 1));
            }
            bytes.extend(tail);
            bytes
        })
}

fn input() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![prop::collection::vec(any::<u8>(), 0..512), mutated()]
}

proptest! {
    // Enough cases to reach every field of every message in the test command's short run (a lossy name
    // decoding took about a thousand); PROPTEST_CASES sets more.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(4096)
    ))]
    #[test]
    fn every_decoder_refuses_or_reads_a_canonical_message(input in input()) {
        assert_canonical!(&input, |r| Request::read(&mut r), |buf, v| v.write(&mut buf));
        assert_canonical!(&input, |r| read_have(&mut r), |buf, v| write_have(&mut buf, v.as_ref()));
        assert_canonical!(&input, |r| read_status(&mut r), |buf, v| write_status(&mut buf, &v));
        assert_canonical!(
            &input,
            |r| read_receipt_answer(&mut r),
            |buf, v| write_receipt_answer(&mut buf, v)
        );
        assert_canonical!(&input, |r| read_get_status(&mut r), |buf, v| write_get_status(&mut buf, v));
        assert_canonical!(
            &input,
            |r| read_prefetch_answer(&mut r),
            |buf, v| write_prefetch_answer(&mut buf, v)
        );
    }
}
