//! FRAME v2 benchmarks of every registry call, each in its most expensive path.

use super::*;
use crate::Pallet as EdgeNodes;
use enreach_primitives::{Capabilities, ContentId, Continent, NatType, Region, SoftwareVersion};
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::Mutate;
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use sp_core::crypto::KeyTypeId;
use sp_runtime::traits::{Saturating, Zero};

/// Key type under which benchmark node keys are generated in the benchmark keystore.
const BENCH_KEY_TYPE: KeyTypeId = KeyTypeId(*b"edgb");

fn capabilities() -> Capabilities {
    Capabilities {
        bandwidth_up_mbps: 1000,
        bandwidth_down_mbps: 1000,
        storage_gib: 4000,
        cpu_cores: 16,
        memory_mib: 65536,
        gpu: Some(enreach_primitives::Gpu {
            vendor_id: 0x10de,
            device_id: 0x2684,
            count: 1,
            memory_mib: 24576,
        }),
        region: Region {
            continent: Continent::Asia,
            country: *b"SG",
        },
        nat: NatType::Public,
        hvm: None,
        version: SoftwareVersion {
            major: 1,
            minor: 0,
            patch: 0,
        },
    }
}

/// The largest endpoint list the pallet accepts.
fn endpoints<T: Config>() -> EndpointsOf<T> {
    let one = BoundedVec::truncate_from(alloc::vec![b'a'; T::MaxEndpointLen::get() as usize]);
    BoundedVec::truncate_from(alloc::vec![one; T::MaxEndpoints::get() as usize])
}

/// An operator funded well beyond the deposit.
fn funded_operator<T: Config>(index: u32) -> T::AccountId
where
    T::Currency: Mutate<T::AccountId>,
{
    let who: T::AccountId = account("operator", index, 0);
    let amount = T::RegistrationDeposit::get()
        .saturating_mul(100u32.into())
        .saturating_add(1_000_000u32.into());
    let _ = T::Currency::set_balance(&who, amount);
    who
}

/// Pins `count` distinct 1 GiB blobs on `node`.
fn pin_blobs<T: Config>(operator: &T::AccountId, node: NodeId, count: u32) {
    for i in 0..count {
        let mut id = [0u8; 32];
        id[..4].copy_from_slice(&i.to_le_bytes());
        EdgeNodes::<T>::pin(
            RawOrigin::Signed(operator.clone()).into(),
            node,
            ContentId(id),
            1 << 30,
        )
        .expect("room for it");
    }
}

/// A node key from the benchmark keystore and its proof of possession for `operator`.
fn node_with_proof<T: Config>(operator: &T::AccountId) -> (NodeId, [u8; 64]) {
    let public = sp_io::crypto::ed25519_generate(BENCH_KEY_TYPE, None);
    let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
    let signature =
        sp_io::crypto::ed25519_sign(BENCH_KEY_TYPE, &public, &pop_payload(operator, &genesis))
            .expect("the key was just generated in this keystore");
    (NodeId(public.0), signature.0)
}

fn registered_node<T: Config>(operator: &T::AccountId) -> NodeId
where
    T::Currency: Mutate<T::AccountId>,
{
    let (node, proof) = node_with_proof::<T>(operator);
    EdgeNodes::<T>::register(
        RawOrigin::Signed(operator.clone()).into(),
        node,
        proof,
        capabilities(),
        endpoints::<T>(),
    )
    .expect("registration of a fresh, funded node succeeds");
    node
}

#[benchmarks(where T::Currency: Mutate<T::AccountId>)]
mod benchmarks {
    use super::*;

    #[benchmark]
    fn register() {
        let operator = funded_operator::<T>(0);
        let (node, proof) = node_with_proof::<T>(&operator);

        #[extrinsic_call]
        _(
            RawOrigin::Signed(operator.clone()),
            node,
            proof,
            capabilities(),
            endpoints::<T>(),
        );

        assert!(Nodes::<T>::contains_key(node));
    }

    #[benchmark]
    fn update_capabilities() {
        let operator = funded_operator::<T>(0);
        let node = registered_node::<T>(&operator);
        let mut caps = capabilities();
        caps.storage_gib += 1;

        #[extrinsic_call]
        _(
            RawOrigin::Signed(operator),
            node,
            caps.clone(),
            endpoints::<T>(),
        );

        assert_eq!(Nodes::<T>::get(node).map(|n| n.capabilities), Some(caps));
    }

    #[benchmark]
    fn deregister() {
        let operator = funded_operator::<T>(0);
        let node = registered_node::<T>(&operator);

        #[extrinsic_call]
        _(RawOrigin::Signed(operator), node);

        assert!(matches!(
            Nodes::<T>::get(node).map(|n| n.status),
            Some(NodeStatus::Leaving { .. })
        ));
    }

    #[benchmark]
    fn withdraw_deposit() {
        let operator = funded_operator::<T>(0);
        // The operator's node list is full, so removing from it costs the most.
        let nodes: Vec<NodeId> = (0..T::MaxNodesPerOperator::get())
            .map(|_| registered_node::<T>(&operator))
            .collect();
        let node = nodes[0];
        EdgeNodes::<T>::deregister(RawOrigin::Signed(operator.clone()).into(), node)
            .expect("registered");
        frame_system::Pallet::<T>::set_block_number(
            frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingPeriod::get()),
        );

        #[extrinsic_call]
        _(RawOrigin::Signed(operator), node);

        assert!(!Nodes::<T>::contains_key(node));
    }

    #[benchmark]
    fn set_status() -> Result<(), BenchmarkError> {
        let operator = funded_operator::<T>(0);
        let node = registered_node::<T>(&operator);
        let origin =
            T::StatusOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, node, NodeStatus::Jailed);

        assert_eq!(
            Nodes::<T>::get(node).map(|n| n.status),
            Some(NodeStatus::Jailed)
        );
        Ok(())
    }

    #[benchmark]
    fn pin() {
        let operator = funded_operator::<T>(0);
        let node = registered_node::<T>(&operator);
        // All but one slot taken: the duplicate scan covers the longest list.
        pin_blobs::<T>(&operator, node, T::MaxPinsPerNode::get() - 1);

        #[extrinsic_call]
        _(
            RawOrigin::Signed(operator),
            node,
            ContentId([0xff; 32]),
            1 << 30,
        );

        assert_eq!(Pins::<T>::get(node).len() as u32, T::MaxPinsPerNode::get());
    }

    #[benchmark]
    fn unpin() {
        let operator = funded_operator::<T>(0);
        let node = registered_node::<T>(&operator);
        pin_blobs::<T>(&operator, node, T::MaxPinsPerNode::get());

        #[extrinsic_call]
        _(RawOrigin::Signed(operator), node, ContentId([0; 32]));

        assert_eq!(
            Pins::<T>::get(node).len() as u32,
            T::MaxPinsPerNode::get() - 1
        );
    }

    impl_benchmark_test_suite!(EdgeNodes, crate::mock::new_bench_ext(), crate::mock::Test);
}
