//! Every call and every named error of the registry.

use crate::{
    mock::*, pop_payload, Error, Event, HoldReason, NodeRegistry, NodeStatus, Nodes, OperatorNodes,
};
use enreach_primitives::{Capabilities, Continent, NatType, NodeId, Region, SoftwareVersion};
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold, BoundedVec};
use sp_core::{ed25519, Pair};
use sp_runtime::BuildStorage;
use sp_runtime::DispatchError;

fn node_key(seed: u8) -> ed25519::Pair {
    ed25519::Pair::from_seed(&[seed; 32])
}

fn node_id(seed: u8) -> NodeId {
    NodeId(node_key(seed).public().0)
}

fn pop(seed: u8, operator: u64) -> [u8; 64] {
    node_key(seed)
        .sign(&pop_payload(&operator, &System::block_hash(0)))
        .0
}

fn caps() -> Capabilities {
    Capabilities {
        bandwidth_up_mbps: 1000,
        bandwidth_down_mbps: 1000,
        storage_gib: 2000,
        cpu_cores: 8,
        memory_mib: 16384,
        gpu: None,
        region: Region {
            continent: Continent::Europe,
            country: *b"FR",
        },
        nat: NatType::Public,
        hvm: None,
        version: SoftwareVersion {
            major: 0,
            minor: 1,
            patch: 0,
        },
    }
}

fn endpoints() -> crate::EndpointsOf<Test> {
    BoundedVec::truncate_from(vec![BoundedVec::truncate_from(
        b"/ip4/203.0.113.7/tcp/4001".to_vec(),
    )])
}

fn register(operator: u64, seed: u8) -> sp_runtime::DispatchResult {
    EdgeNodes::register(
        RuntimeOrigin::signed(operator),
        node_id(seed),
        pop(seed, operator),
        caps(),
        endpoints(),
    )
}

fn held(who: u64) -> u64 {
    Balances::balance_on_hold(&RuntimeHoldReason::EdgeNodes(HoldReason::NodeDeposit), &who)
}

#[test]
fn register_holds_the_deposit_and_records_the_node() {
    new_test_ext().execute_with(|| {
        assert_ok!(register(1, 7));
        let info = Nodes::<Test>::get(node_id(7)).expect("stored");
        assert_eq!(info.operator, 1);
        assert_eq!(info.status, NodeStatus::Active);
        assert_eq!(info.capabilities, caps());
        assert_eq!(info.deposit, DEPOSIT);
        assert_eq!(held(1), DEPOSIT);
        assert_eq!(OperatorNodes::<Test>::get(1).into_inner(), vec![node_id(7)]);
        assert!(<EdgeNodes as NodeRegistry<u64>>::is_active(&node_id(7)));
        System::assert_last_event(
            Event::NodeRegistered {
                node: node_id(7),
                operator: 1,
                deposit: DEPOSIT,
            }
            .into(),
        );
    });
}

#[test]
fn proof_of_possession_must_be_the_node_keys_signature_for_this_operator() {
    new_test_ext().execute_with(|| {
        // Signed by another key.
        assert_noop!(
            EdgeNodes::register(
                RuntimeOrigin::signed(1),
                node_id(7),
                pop(8, 1),
                caps(),
                endpoints()
            ),
            Error::<Test>::InvalidProofOfPossession
        );
        // The right key, but for another operator: a stolen proof cannot be reused.
        assert_noop!(
            EdgeNodes::register(
                RuntimeOrigin::signed(1),
                node_id(7),
                pop(7, 2),
                caps(),
                endpoints()
            ),
            Error::<Test>::InvalidProofOfPossession
        );
    });
}

#[test]
fn a_node_registers_once() {
    new_test_ext().execute_with(|| {
        assert_ok!(register(1, 7));
        assert_noop!(register(2, 7), Error::<Test>::AlreadyRegistered);
    });
}

#[test]
fn capabilities_must_be_valid() {
    new_test_ext().execute_with(|| {
        let nothing = Capabilities {
            bandwidth_up_mbps: 0,
            storage_gib: 0,
            cpu_cores: 0,
            ..caps()
        };
        assert_noop!(
            EdgeNodes::register(
                RuntimeOrigin::signed(1),
                node_id(7),
                pop(7, 1),
                nothing.clone(),
                endpoints()
            ),
            Error::<Test>::InvalidCapabilities
        );
        assert_ok!(register(1, 7));
        assert_noop!(
            EdgeNodes::update_capabilities(
                RuntimeOrigin::signed(1),
                node_id(7),
                nothing,
                endpoints()
            ),
            Error::<Test>::InvalidCapabilities
        );
    });
}

#[test]
fn registry_and_operators_are_bounded() {
    new_test_ext().execute_with(|| {
        assert_ok!(register(1, 1));
        assert_ok!(register(1, 2));
        assert_noop!(register(1, 3), Error::<Test>::TooManyNodesForOperator);
        assert_ok!(register(2, 3));
        assert_ok!(register(2, 4));
        assert_noop!(register(3, 5), Error::<Test>::TooManyNodes);
    });
}

#[test]
fn registering_needs_the_deposit() {
    new_test_ext().execute_with(|| {
        assert_noop!(register(4, 7), Error::<Test>::InsufficientDeposit);
    });
}

#[test]
fn only_the_operator_updates_capabilities() {
    new_test_ext().execute_with(|| {
        assert_ok!(register(1, 7));
        let more = Capabilities {
            storage_gib: 4000,
            ..caps()
        };
        assert_noop!(
            EdgeNodes::update_capabilities(
                RuntimeOrigin::signed(2),
                node_id(7),
                more.clone(),
                endpoints()
            ),
            Error::<Test>::NotOperator
        );
        assert_noop!(
            EdgeNodes::update_capabilities(
                RuntimeOrigin::signed(1),
                node_id(9),
                more.clone(),
                endpoints()
            ),
            Error::<Test>::NotRegistered
        );
        assert_ok!(EdgeNodes::update_capabilities(
            RuntimeOrigin::signed(1),
            node_id(7),
            more.clone(),
            endpoints()
        ));
        assert_eq!(Nodes::<Test>::get(node_id(7)).unwrap().capabilities, more);
        System::assert_last_event(Event::CapabilitiesUpdated { node: node_id(7) }.into());
    });
}

#[test]
fn leaving_releases_the_deposit_only_after_unbonding() {
    new_test_ext().execute_with(|| {
        assert_ok!(register(1, 7));
        assert_noop!(
            EdgeNodes::withdraw_deposit(RuntimeOrigin::signed(1), node_id(7)),
            Error::<Test>::NotLeaving
        );
        assert_noop!(
            EdgeNodes::deregister(RuntimeOrigin::signed(2), node_id(7)),
            Error::<Test>::NotOperator
        );
        assert_noop!(
            EdgeNodes::deregister(RuntimeOrigin::signed(1), node_id(9)),
            Error::<Test>::NotRegistered
        );

        assert_ok!(EdgeNodes::deregister(RuntimeOrigin::signed(1), node_id(7)));
        let unlock_at = 1 + UNBONDING;
        assert_eq!(
            Nodes::<Test>::get(node_id(7)).unwrap().status,
            NodeStatus::Leaving { unlock_at }
        );
        assert!(!<EdgeNodes as NodeRegistry<u64>>::is_active(&node_id(7)));
        assert_noop!(
            EdgeNodes::deregister(RuntimeOrigin::signed(1), node_id(7)),
            Error::<Test>::AlreadyLeaving
        );

        System::set_block_number(unlock_at - 1);
        assert_noop!(
            EdgeNodes::withdraw_deposit(RuntimeOrigin::signed(1), node_id(7)),
            Error::<Test>::StillUnbonding
        );
        assert_noop!(
            EdgeNodes::withdraw_deposit(RuntimeOrigin::signed(2), node_id(7)),
            Error::<Test>::NotOperator
        );

        System::set_block_number(unlock_at);
        assert_ok!(EdgeNodes::withdraw_deposit(
            RuntimeOrigin::signed(1),
            node_id(7)
        ));
        assert_eq!(held(1), 0);
        assert!(Nodes::<Test>::get(node_id(7)).is_none());
        assert!(OperatorNodes::<Test>::get(1).is_empty());
        System::assert_last_event(
            Event::NodeRemoved {
                node: node_id(7),
                operator: 1,
                released: DEPOSIT,
            }
            .into(),
        );
        assert_noop!(
            EdgeNodes::withdraw_deposit(RuntimeOrigin::signed(1), node_id(7)),
            Error::<Test>::NotRegistered
        );
    });
}

#[test]
fn governance_suspends_jails_and_reactivates() {
    new_test_ext().execute_with(|| {
        assert_ok!(register(1, 7));
        assert_noop!(
            EdgeNodes::set_status(RuntimeOrigin::signed(1), node_id(7), NodeStatus::Active),
            DispatchError::BadOrigin
        );
        assert_ok!(EdgeNodes::set_status(
            RuntimeOrigin::root(),
            node_id(7),
            NodeStatus::Suspended
        ));
        assert!(!<EdgeNodes as NodeRegistry<u64>>::is_active(&node_id(7)));
        assert_ok!(EdgeNodes::set_status(
            RuntimeOrigin::root(),
            node_id(7),
            NodeStatus::Active
        ));
        assert!(<EdgeNodes as NodeRegistry<u64>>::is_active(&node_id(7)));

        <EdgeNodes as NodeRegistry<u64>>::jail(&node_id(7));
        assert_eq!(
            Nodes::<Test>::get(node_id(7)).unwrap().status,
            NodeStatus::Jailed
        );
        System::assert_last_event(
            Event::StatusChanged {
                node: node_id(7),
                status: NodeStatus::Jailed,
            }
            .into(),
        );

        assert_noop!(
            EdgeNodes::set_status(
                RuntimeOrigin::root(),
                node_id(7),
                NodeStatus::Leaving { unlock_at: 5 }
            ),
            Error::<Test>::CannotChangeLeavingNode
        );
        assert_noop!(
            EdgeNodes::set_status(RuntimeOrigin::root(), node_id(9), NodeStatus::Active),
            Error::<Test>::NotRegistered
        );
        assert_ok!(EdgeNodes::set_status(
            RuntimeOrigin::root(),
            node_id(7),
            NodeStatus::Active
        ));
        assert_ok!(EdgeNodes::deregister(RuntimeOrigin::signed(1), node_id(7)));
        assert_noop!(
            EdgeNodes::set_status(RuntimeOrigin::root(), node_id(7), NodeStatus::Active),
            Error::<Test>::CannotChangeLeavingNode
        );
    });
}

/// Attack class 5 (docs/PROTOCOL.md): a jailed node deregisters, waits out the unbonding period and registers
/// the same key again, active and with its deposit back before a deferred slash.
#[test]
fn a_jailed_node_cannot_leave_jail_by_leaving() {
    new_test_ext().execute_with(|| {
        assert_ok!(register(1, 7));
        <EdgeNodes as NodeRegistry<u64>>::jail(&node_id(7));
        assert_noop!(
            EdgeNodes::deregister(RuntimeOrigin::signed(1), node_id(7)),
            Error::<Test>::NodeJailed
        );
        assert_noop!(register(1, 7), Error::<Test>::AlreadyRegistered);
        assert_eq!(
            Nodes::<Test>::get(node_id(7)).unwrap().status,
            NodeStatus::Jailed
        );
    });
}

#[test]
fn operators_pin_and_unpin_content() {
    new_test_ext().execute_with(|| {
        use crate::{Pin, Pins};
        use enreach_primitives::ContentId;
        let (a, b, c) = (ContentId([1; 32]), ContentId([2; 32]), ContentId([3; 32]));
        assert_noop!(
            EdgeNodes::pin(RuntimeOrigin::signed(1), node_id(7), a, 10),
            Error::<Test>::NotRegistered
        );
        assert_ok!(register(1, 7));
        assert_noop!(
            EdgeNodes::pin(RuntimeOrigin::signed(2), node_id(7), a, 10),
            Error::<Test>::NotOperator
        );
        assert_noop!(
            EdgeNodes::pin(RuntimeOrigin::signed(1), node_id(7), a, 0),
            Error::<Test>::EmptyContent
        );
        assert_ok!(EdgeNodes::pin(RuntimeOrigin::signed(1), node_id(7), a, 10));
        System::assert_last_event(
            Event::Pinned {
                node: node_id(7),
                content: a,
                len: 10,
            }
            .into(),
        );
        assert_noop!(
            EdgeNodes::pin(RuntimeOrigin::signed(1), node_id(7), a, 10),
            Error::<Test>::AlreadyPinned
        );
        assert_ok!(EdgeNodes::pin(RuntimeOrigin::signed(1), node_id(7), b, 20));
        assert_noop!(
            EdgeNodes::pin(RuntimeOrigin::signed(1), node_id(7), c, 30),
            Error::<Test>::TooManyPins
        );
        assert_eq!(
            <EdgeNodes as NodeRegistry<u64>>::pins(&node_id(7)),
            vec![
                Pin {
                    content: a,
                    len: 10,
                    since: 0
                },
                Pin {
                    content: b,
                    len: 20,
                    since: 0
                }
            ]
        );
        assert_noop!(
            EdgeNodes::unpin(RuntimeOrigin::signed(1), node_id(7), c),
            Error::<Test>::NotPinned
        );
        assert_noop!(
            EdgeNodes::unpin(RuntimeOrigin::signed(2), node_id(7), a),
            Error::<Test>::NotOperator
        );
        assert_ok!(EdgeNodes::unpin(RuntimeOrigin::signed(1), node_id(7), a));
        System::assert_last_event(
            Event::Unpinned {
                node: node_id(7),
                content: a,
            }
            .into(),
        );
        assert_eq!(
            Pins::<Test>::get(node_id(7)).into_inner(),
            vec![Pin {
                content: b,
                len: 20,
                since: 0
            }]
        );

        // Leaving removes the pins with the node.
        assert_ok!(EdgeNodes::deregister(RuntimeOrigin::signed(1), node_id(7)));
        System::set_block_number(1 + UNBONDING);
        assert_ok!(EdgeNodes::withdraw_deposit(
            RuntimeOrigin::signed(1),
            node_id(7)
        ));
        assert!(Pins::<Test>::get(node_id(7)).is_empty());
    });
}

#[test]
fn genesis_nodes_are_active_with_their_deposit_held_and_pins_from_epoch_zero() {
    let mut storage = frame_system::GenesisConfig::<Test>::default()
        .build_storage()
        .unwrap();
    pallet_balances::GenesisConfig::<Test> {
        balances: vec![(1, 1000), (2, 1000)],
        ..Default::default()
    }
    .assimilate_storage(&mut storage)
    .unwrap();
    let content = enreach_primitives::ContentId([9; 32]);
    crate::GenesisConfig::<Test> {
        nodes: vec![
            (node_id(1), 1, caps(), vec![(content, 4096)]),
            (node_id(2), 1, caps(), vec![]),
        ],
        generated: Some(crate::GeneratedNodes {
            operators: vec![2],
            per_operator: 2,
            pin: Some((content, 4096)),
        }),
    }
    .assimilate_storage(&mut storage)
    .unwrap();
    sp_io::TestExternalities::new(storage).execute_with(|| {
        type Registry = EdgeNodes;
        assert!(
            <Registry as NodeRegistry<u64>>::is_active(&node_id(1))
                && <Registry as NodeRegistry<u64>>::is_active(&node_id(2))
        );
        assert_eq!(
            <Registry as NodeRegistry<u64>>::operator(&node_id(2)),
            Some(1)
        );
        assert_eq!(held(1), 2 * DEPOSIT);
        assert_eq!(
            <Registry as NodeRegistry<u64>>::pins(&node_id(1)),
            vec![crate::Pin {
                content,
                len: 4096,
                since: 0
            }]
        );
        assert_eq!(crate::OperatorNodes::<Test>::get(1).len(), 2);
        // Generated nodes 0 and 1 are operator 2's, each pinning the content.
        let generated: Vec<NodeId> = (0..2).map(NodeId::generated).collect();
        assert_eq!(crate::OperatorNodes::<Test>::get(2).to_vec(), generated);
        assert_eq!(held(2), 2 * DEPOSIT);
        assert_eq!(Nodes::<Test>::count(), 4);
        let second = Nodes::<Test>::get(generated[1]).unwrap();
        assert_eq!(second.capabilities, crate::generated_capabilities(1));
        assert_ne!(
            crate::generated_capabilities(0).region,
            crate::generated_capabilities(1).region
        );
        assert_eq!(
            <Registry as NodeRegistry<u64>>::pins(&generated[1])[0].content,
            content
        );
    });
}

#[test]
#[should_panic(expected = "genesis operator has the deposit")]
fn genesis_nodes_need_their_operators_deposit() {
    let mut storage = frame_system::GenesisConfig::<Test>::default()
        .build_storage()
        .unwrap();
    crate::GenesisConfig::<Test> {
        nodes: vec![(node_id(1), 4, caps(), vec![])],
        generated: None,
    }
    .assimilate_storage(&mut storage)
    .unwrap();
}
