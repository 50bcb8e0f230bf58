//! BABE in the real runtime, on the four-validator `local_testnet` genesis: blocks carry VRF randomness, BABE
//! epochs end sessions, and a validator that signs two blocks for one slot is reported (the unsigned
//! report a node submits, with a key-ownership proof from `pallet-session`'s historical roots), goes
//! through `pallet-offences` to GPoS, which chills it and schedules a slash of its stake. Reports whose
//! headers are from different slots or different authors, or that repeat a known offence, are refused.

mod common;

use codec::Decode;
use common::{babe_pair, close_block, open_block, produce_block};
use enreach_runtime::{
    Babe, Executive, Header, Historical, Runtime, RuntimeEvent, RuntimeOrigin, System,
    UncheckedExtrinsic,
};
use frame_support::traits::{Get, KeyOwnerProofSystem};
use pallet_gpos::{SlashReason, SlashTarget};
use sp_consensus_babe::{
    digests::CompatibleDigestItem, AuthorityPair, EquivocationProof, Slot, KEY_TYPE,
};
use sp_core::{
    crypto::Pair,
    offchain::{testing::TestTransactionPoolExt, TransactionPoolExt},
    H256,
};
use sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET;
use sp_keyring::Sr25519Keyring;
use sp_runtime::{
    traits::Header as _, transaction_validity::TransactionSource, Digest, DigestItem,
    DispatchError, Perbill,
};
use sp_session::MembershipProof;

/// A header of block `number` that `author` authored and sealed for `slot`; `state` tells two of them apart.
fn sealed_header(author: &AuthorityPair, slot: Slot, number: u32, state: u8) -> Header {
    let mut header = Header::new(
        number,
        H256::zero(),
        H256::repeat_byte(state),
        System::parent_hash(),
        Digest {
            logs: vec![DigestItem::babe_pre_digest(common::pre_digest(
                author, slot,
            ))],
        },
    );
    // The seal signs the hash of the header without it, as BABE's import checks it.
    let seal = author.sign(header.hash().as_ref());
    header.digest_mut().push(DigestItem::babe_seal(seal));
    header
}

/// A proof that `offender` authored both headers (each sealed by its own signer).
fn proof(offender: &AuthorityPair, first: Header, second: Header) -> EquivocationProof<Header> {
    let slot = first
        .digest()
        .logs()
        .iter()
        .find_map(|log| log.as_babe_pre_digest())
        .expect("headers carry a BABE pre-digest")
        .slot();
    EquivocationProof {
        offender: offender.public(),
        slot,
        first_header: first,
        second_header: second,
    }
}

/// `offender`'s session key is theirs in the current session.
fn key_owner_proof(offender: &AuthorityPair) -> MembershipProof {
    Historical::prove((KEY_TYPE, offender.public())).expect("the offender is a validator")
}

/// Reports `proof` as the node's unsigned transaction would, dispatched directly.
fn report(proof: EquivocationProof<Header>, owner: MembershipProof) -> Result<(), DispatchError> {
    Babe::report_equivocation_unsigned(RuntimeOrigin::none(), Box::new(proof), owner)
        .map(|_| ())
        .map_err(|e| e.error)
}

/// The local testnet with blocks up to `n` produced, the validators taking turns.
fn local_chain_at(n: u32) -> sp_io::TestExternalities {
    let mut ext = common::preset_ext(LOCAL_TESTNET_RUNTIME_PRESET);
    ext.execute_with(|| {
        let validators = [
            Sr25519Keyring::Alice,
            Sr25519Keyring::Bob,
            Sr25519Keyring::Charlie,
            Sr25519Keyring::Dave,
        ]
        .map(babe_pair);
        while System::block_number() < n {
            produce_block(&validators[System::block_number() as usize % validators.len()]);
        }
    });
    ext
}

#[test]
fn blocks_carry_vrf_randomness_and_epochs_end_sessions() {
    local_chain_at(3).execute_with(|| {
        let first = pallet_babe::AuthorVrfRandomness::<Runtime>::get().expect("a VRF output");
        produce_block(&babe_pair(Sr25519Keyring::Alice));
        let second = pallet_babe::AuthorVrfRandomness::<Runtime>::get().expect("a VRF output");
        assert_ne!(first, second, "each block's VRF output differs");

        let epoch = <Runtime as pallet_babe::Config>::EpochDuration::get();
        assert_eq!(pallet_session::CurrentIndex::<Runtime>::get(), 0);
        while *Babe::current_slot() <= epoch {
            produce_block(&babe_pair(Sr25519Keyring::Bob));
        }
        // Slot `epoch + 1` is the first of epoch 1 (epoch 0 started at slot 1) and started session 1.
        assert_eq!(pallet_babe::EpochIndex::<Runtime>::get(), 1);
        assert_eq!(pallet_session::CurrentIndex::<Runtime>::get(), 1);
        assert_eq!(pallet_babe::Authorities::<Runtime>::get().len(), 4);
    });
}

#[test]
fn an_equivocating_author_is_reported_to_gpos_chilled_and_slashed() {
    let mut ext = local_chain_at(5);
    let (pool, pool_state) = TestTransactionPoolExt::new();
    ext.register_extension(TransactionPoolExt::new(pool));
    ext.execute_with(|| {
        let bob = Sr25519Keyring::Bob;
        let offender = babe_pair(bob);
        // Bob signs two different blocks #6 for slot 6.
        let slot = Babe::current_slot() + 1;
        let first = sealed_header(&offender, slot, 6, 1);
        let second = sealed_header(&offender, slot, 6, 2);
        let equivocation = proof(&offender, first, second);

        assert!(pallet_gpos::Candidates::<Runtime>::contains_key(
            bob.to_account_id()
        ));
        let slash_era = pallet_gpos::CurrentEra::<Runtime>::get()
            + <Runtime as pallet_gpos::Config>::SlashDeferDuration::get();
        assert!(pallet_gpos::UnappliedSlashes::<Runtime>::get(slash_era).is_empty());

        // A node that imports both submits the report through the runtime API: an unsigned transaction,
        // valid only from the local node, included by the next block's author.
        assert_eq!(
            Babe::submit_unsigned_equivocation_report(
                equivocation.clone(),
                key_owner_proof(&offender)
            ),
            Some(())
        );
        let submitted = pool_state.read().transactions.clone();
        assert_eq!(submitted.len(), 1);
        let xt = UncheckedExtrinsic::decode(&mut &submitted[0][..]).expect("an extrinsic");
        let call = pallet_babe::Call::<Runtime>::report_equivocation_unsigned {
            equivocation_proof: Box::new(equivocation.clone()),
            key_owner_proof: key_owner_proof(&offender),
        };
        assert!(Babe::validate_unsigned(TransactionSource::Local, &call).is_ok());
        assert!(Babe::validate_unsigned(TransactionSource::External, &call).is_err());

        open_block(&babe_pair(Sr25519Keyring::Charlie));
        assert_eq!(Executive::apply_extrinsic(xt), Ok(Ok(())));
        close_block();

        assert!(System::events().iter().any(|e| matches!(
            e.event,
            RuntimeEvent::Offences(pallet_offences::Event::Offence { kind, .. })
                if kind == *b"babe:equivocatio"
        )));
        assert!(System::events().iter().any(|e| e.event
            == RuntimeEvent::Gpos(pallet_gpos::Event::Chilled {
                keeper: bob.to_account_id()
            })));
        assert!(!pallet_gpos::Candidates::<Runtime>::contains_key(
            bob.to_account_id()
        ));
        let slashes = pallet_gpos::UnappliedSlashes::<Runtime>::get(slash_era);
        let slash = slashes
            .iter()
            .find(|s| s.target == SlashTarget::Keeper(bob.to_account_id()))
            .expect("GPoS scheduled a slash of Bob");
        assert_eq!(slash.reason, SlashReason::Equivocation);
        // One offender of four validators: (3 * 1/4)^2 of the stake.
        assert_eq!(slash.fraction, Perbill::from_rational(9u32, 16u32));

        // The same offence again is known: refused.
        assert_eq!(
            report(equivocation, key_owner_proof(&offender)),
            Err(pallet_babe::Error::<Runtime>::DuplicateOffenceReport.into())
        );
    });
}

#[test]
fn reports_of_different_slots_or_authors_are_refused() {
    local_chain_at(5).execute_with(|| {
        let bob = babe_pair(Sr25519Keyring::Bob);
        let charlie = babe_pair(Sr25519Keyring::Charlie);
        let slot = Babe::current_slot() + 1;
        let invalid = Err(pallet_babe::Error::<Runtime>::InvalidEquivocationProof.into());

        // Two blocks by Bob, in consecutive slots: no equivocation.
        let different_slots = proof(
            &bob,
            sealed_header(&bob, slot, 6, 1),
            sealed_header(&bob, slot + 1, 7, 2),
        );
        assert_eq!(report(different_slots, key_owner_proof(&bob)), invalid);

        // One block by Bob and one by Charlie in the same slot: a fork, not an equivocation, whichever of
        // the two the report names.
        for offender in [&bob, &charlie] {
            let different_authors = proof(
                offender,
                sealed_header(&bob, slot, 6, 1),
                sealed_header(&charlie, slot, 6, 2),
            );
            assert_eq!(
                report(different_authors, key_owner_proof(offender)),
                invalid
            );
        }

        // The same header twice.
        let header = sealed_header(&bob, slot, 6, 1);
        assert_eq!(
            report(proof(&bob, header.clone(), header), key_owner_proof(&bob)),
            invalid
        );

        // A real equivocation by Bob, with a key-ownership proof for another session than the slot's epoch:
        // refused too.
        let equivocation = proof(
            &bob,
            sealed_header(&bob, slot, 6, 1),
            sealed_header(&bob, slot, 6, 2),
        );
        let mut other_session = key_owner_proof(&bob);
        other_session.session += 1;
        assert_eq!(
            report(equivocation.clone(), other_session),
            Err(pallet_babe::Error::<Runtime>::InvalidKeyOwnershipProof.into())
        );

        // Nothing reached GPoS.
        assert!(pallet_gpos::Candidates::<Runtime>::contains_key(
            Sr25519Keyring::Bob.to_account_id()
        ));
        assert!(pallet_gpos::UnappliedSlashes::<Runtime>::iter()
            .next()
            .is_none());
        // While the valid report with Bob's proof is accepted.
        assert_eq!(report(equivocation, key_owner_proof(&bob)), Ok(()));
    });
}
