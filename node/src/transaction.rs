//! Signing transactions outside the runtime: for the `benchmark extrinsic` builders and for clients (the
//! integration tests) that talk to a node over JSON-RPC. The one place that knows the order and implicit
//! data of [`enreach_runtime::TxExtension`].

use codec::Encode;
use enreach_runtime::{
    Address, BlockNumber, Hash, Nonce, RuntimeCall, Signature, SignedPayload, TxExtension,
    UncheckedExtrinsic, VERSION,
};
use sp_core::{sr25519, Pair};
use sp_runtime::generic::Era;

/// How many blocks a signed transaction stays valid: long enough for a congested pool, short enough that a
/// leaked signature cannot be replayed much later. A power of two, as `Era::mortal` requires.
pub const MORTALITY_PERIOD: u64 = 256;

/// The chain state a signature commits to.
#[derive(Clone, Copy, Debug)]
pub struct SigningContext {
    /// Genesis hash: a signature for one chain is worthless on another.
    pub genesis_hash: Hash,
    /// A recent block the mortality era starts from, and its number.
    pub checkpoint: (Hash, BlockNumber),
}

/// `call` from `signer` with `nonce`, signed for the chain and checkpoint in `ctx`, tipping nothing and not
/// committing to a metadata hash.
pub fn sign(
    signer: &sr25519::Pair,
    call: RuntimeCall,
    nonce: Nonce,
    ctx: SigningContext,
) -> UncheckedExtrinsic {
    let (checkpoint_hash, checkpoint_number) = ctx.checkpoint;
    let era = Era::mortal(MORTALITY_PERIOD, checkpoint_number.into());
    let extension: TxExtension = (
        frame_system::AuthorizeCall::new(),
        frame_system::CheckNonZeroSender::new(),
        frame_system::CheckSpecVersion::new(),
        frame_system::CheckTxVersion::new(),
        frame_system::CheckGenesis::new(),
        frame_system::CheckEra::from(era),
        frame_system::CheckNonce::from(nonce),
        frame_system::CheckWeight::new(),
        pallet_transaction_payment::ChargeTransactionPayment::from(0),
        frame_metadata_hash_extension::CheckMetadataHash::new(false),
        frame_system::WeightReclaim::new(),
    );
    let implicit = (
        (),
        (),
        VERSION.spec_version,
        VERSION.transaction_version,
        ctx.genesis_hash,
        checkpoint_hash,
        (),
        (),
        (),
        None,
        (),
    );
    let payload = SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
    let signature = payload.using_encoded(|bytes| signer.sign(bytes));
    let address: Address = sp_runtime::AccountId32::from(signer.public()).into();
    UncheckedExtrinsic::new_signed(call, address, Signature::Sr25519(signature), extension)
}
