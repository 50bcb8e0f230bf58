//! # Edge nodes pallet
//!
//! The resource-layer registry: which PeerNodes exist, who operates them, what they offer and whether they may
//! be paid. Anyone who can hold the registration deposit may join (permissionless).
//!
//! ## For operators
//! - [`Pallet::register`] a node with its ed25519 key ([`NodeId`]), a *proof of possession* (the node key's
//!   signature over [`pop_payload`]: the operator account and the chain's genesis hash, so a node key cannot be
//!   claimed by someone who does not hold it, nor replayed on another chain), its [`Capabilities`] and the
//!   multiaddresses it is reached at. [`Config::RegistrationDeposit`] is held from the operator.
//! - [`Pallet::update_capabilities`] when the machine or its addresses change.
//! - [`Pallet::pin`] / [`Pallet::unpin`] content the node stores; GPoW challenges it to prove it still holds
//!   a random chunk of it every epoch.
//! - [`Pallet::deregister`] to leave: the node stops being active at once, and after
//!   [`Config::UnbondingPeriod`] [`Pallet::withdraw_deposit`] releases the deposit. The delay keeps the deposit
//!   slashable for offences of the node's last epochs.
//!
//! ## For other pallets
//! [`Pallet::set_status`] (governance, [`Config::StatusOrigin`]) and [`NodeRegistry`] let GPoW and GPoS
//! suspend or jail a node and read who operates it.

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(feature = "std")]
pub mod testing;
#[cfg(test)]
mod tests;
pub mod weights;
pub use weights::WeightInfo;

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use enreach_primitives::{Capabilities, ContentId, EpochIndex, NodeId};
use frame_support::{pallet_prelude::*, BoundedVec};
use scale_info::TypeInfo;

/// The proof-of-possession format, shared with edge-worker, which signs it.
pub use enreach_primitives::node::{pop_payload, POP_CONTEXT};

/// Whether a node may work and be paid.
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
pub enum NodeStatus<BlockNumber> {
    /// Serving, reporting work and being challenged.
    Active,
    /// Temporarily out of service by governance decision (e.g. a software recall); may be reactivated.
    Suspended,
    /// Punished for an offence; earns nothing until governance reactivates it.
    Jailed,
    /// Deregistered by its operator; the deposit is released at the given block.
    Leaving {
        /// Block at which the deposit unlocks.
        unlock_at: BlockNumber,
    },
}

/// A registered node, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
#[scale_info(skip_type_params(MaxEndpoints, MaxEndpointLen))]
pub struct NodeInfo<
    AccountId,
    Balance,
    BlockNumber,
    MaxEndpoints: Get<u32>,
    MaxEndpointLen: Get<u32>,
> {
    /// The account that registered the node, holds its deposit and receives its earnings.
    pub operator: AccountId,
    /// What the node offers.
    pub capabilities: Capabilities,
    /// libp2p multiaddresses (as text) the node is reached at.
    pub endpoints: BoundedVec<BoundedVec<u8, MaxEndpointLen>, MaxEndpoints>,
    /// Deposit held from the operator.
    pub deposit: Balance,
    /// Whether it may work.
    pub status: NodeStatus<BlockNumber>,
    /// When it registered.
    pub registered_at: BlockNumber,
}

/// A blob a node declares it stores: its BLAKE3 hash, length in bytes, and the first epoch it counts in.
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
pub struct Pin {
    /// BLAKE3 hash of the blob.
    pub content: ContentId,
    /// Its length in bytes, as published.
    pub len: u64,
    /// The first epoch the node is challenged on this pin and paid for it: the one after it was pinned, so a
    /// node cannot pin content after seeing an epoch's seed (or after proving its other pins) and be paid for
    /// that epoch.
    pub since: EpochIndex,
}

/// A node registered at genesis: its id, operator, capabilities, and the content it pins from epoch 0 on (BLAKE3
/// hash and length).
pub type GenesisNode<AccountId> = (NodeId, AccountId, Capabilities, Vec<(ContentId, u64)>);

/// Nodes a benchmark network generates at genesis instead of listing them: a chain spec listing 100 000 nodes is
/// more than the runtime may allocate to read it. Node `i` has the id [`NodeId::generated`]`(i)`, operator
/// `operators[i / per_operator]`, capabilities [`generated_capabilities`]`(i)` and pins `pin` from epoch 0.
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo, serde::Serialize, serde::Deserialize,
)]
pub struct GeneratedNodes<AccountId> {
    /// The operators, each running `per_operator` nodes.
    pub operators: Vec<AccountId>,
    /// Nodes per operator.
    pub per_operator: u32,
    /// The content every node pins, if any: BLAKE3 hash and length.
    pub pin: Option<(ContentId, u64)>,
}

/// What generated node `i` offers: the inhabited continents in turn, 100 to 1 000 Mbit/s up.
pub fn generated_capabilities(i: u32) -> Capabilities {
    use enreach_primitives::{Continent, NatType, Region, SoftwareVersion};
    const REGIONS: [(Continent, [u8; 2]); 6] = [
        (Continent::Europe, *b"DE"),
        (Continent::NorthAmerica, *b"US"),
        (Continent::Asia, *b"JP"),
        (Continent::SouthAmerica, *b"BR"),
        (Continent::Africa, *b"ZA"),
        (Continent::Oceania, *b"AU"),
    ];
    let (continent, country) = REGIONS[i as usize % REGIONS.len()];
    Capabilities {
        bandwidth_up_mbps: 100 + (i % 10) * 100,
        bandwidth_down_mbps: 1000,
        storage_gib: 100,
        cpu_cores: 4,
        memory_mib: 8192,
        gpu: None,
        hvm: None,
        region: Region { continent, country },
        nat: NatType::Public,
        version: SoftwareVersion {
            major: 0,
            minor: 1,
            patch: 0,
        },
    }
}

/// What other pallets (GPoW, GPoS, settlement) need from the registry.
pub trait NodeRegistry<AccountId> {
    /// The operator of `node` if it is registered.
    fn operator(node: &NodeId) -> Option<AccountId>;
    /// Whether `node` is registered and active.
    fn is_active(node: &NodeId) -> bool;
    /// What `node` offers (its declared region and capacity), if it is registered.
    fn capabilities(node: &NodeId) -> Option<Capabilities>;
    /// The content `node` pins.
    fn pins(node: &NodeId) -> Vec<Pin>;
    /// Every registered node, in storage order. Reads the whole registry: for runtime API queries, never for
    /// extrinsics.
    fn node_ids() -> Vec<NodeId>;
    /// Jails `node` after an offence; no effect if it is not registered or already leaving.
    fn jail(node: &NodeId);
    /// Moves `fraction` of `node`'s held deposit to `beneficiary` (the treasury) after an offence, also while it
    /// is leaving; no effect if the node is gone.
    fn slash_deposit(node: &NodeId, fraction: sp_runtime::Perbill, beneficiary: &AccountId);
    /// Registers `node` as active for `operator` without deposit or proof, for other pallets' benchmarks.
    #[cfg(feature = "runtime-benchmarks")]
    fn register_for_benchmark(
        node: NodeId,
        operator: AccountId,
        region: enreach_primitives::Region,
    );
    /// Pins `content` of `len` bytes on `node`, for other pallets' benchmarks.
    #[cfg(feature = "runtime-benchmarks")]
    fn pin_for_benchmark(node: NodeId, content: ContentId, len: u64);
    /// Most pins a node may hold, for other pallets' worst-case benchmarks.
    #[cfg(feature = "runtime-benchmarks")]
    fn max_pins() -> u32;
}

/// Told about every change of a node's registration, so that GPoW can judge an epoch's work by what the node
/// was at the epoch's start (its status and claimed capacity) whatever it changes afterwards.
pub trait NodeChangeObserver {
    /// `node`'s registration (or its absence) is about to change: capabilities, status, or a first
    /// registration.
    fn before_change(node: &NodeId);
    /// `node` left the registry for good.
    fn on_removed(node: &NodeId);
    /// The first epoch whose start a change made now is part of: the one after the current epoch.
    fn next_epoch() -> EpochIndex;
}

impl NodeChangeObserver for () {
    fn before_change(_: &NodeId) {}
    fn on_removed(_: &NodeId) {}
    fn next_epoch() -> EpochIndex {
        0
    }
}

#[frame_support::pallet]
pub mod pallet {
    use super::*;
    use frame_support::traits::{
        fungible::{Inspect, MutateHold},
        tokens::Precision,
    };
    use frame_system::pallet_prelude::*;
    use sp_runtime::traits::{Saturating, Zero};

    /// Balance type of the currency deposits are held in.
    pub type BalanceOf<T> =
        <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

    /// A list of endpoints as extrinsics take it.
    pub type EndpointsOf<T> =
        BoundedVec<BoundedVec<u8, <T as Config>::MaxEndpointLen>, <T as Config>::MaxEndpoints>;

    /// A stored node record.
    pub type NodeInfoOf<T> = NodeInfo<
        <T as frame_system::Config>::AccountId,
        BalanceOf<T>,
        BlockNumberFor<T>,
        <T as Config>::MaxEndpoints,
        <T as Config>::MaxEndpointLen,
    >;

    #[pallet::pallet]
    pub struct Pallet<T>(_);

    #[pallet::config]
    pub trait Config: frame_system::Config {
        /// Holds registration deposits.
        type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;
        /// The runtime's hold reasons, which include this pallet's.
        type RuntimeHoldReason: From<HoldReason>;
        /// Held from the operator for as long as the node is registered: the stake a node loses if it cheats.
        #[pallet::constant]
        type RegistrationDeposit: Get<BalanceOf<Self>>;
        /// Blocks between `deregister` and `withdraw_deposit`, so offences of the last epochs can still be punished.
        #[pallet::constant]
        type UnbondingPeriod: Get<BlockNumberFor<Self>>;
        /// Most nodes the registry holds; bounds per-epoch processing.
        #[pallet::constant]
        type MaxNodes: Get<u32>;
        /// Most nodes one operator account may register.
        #[pallet::constant]
        type MaxNodesPerOperator: Get<u32>;
        /// Most endpoints per node.
        #[pallet::constant]
        type MaxEndpoints: Get<u32>;
        /// Longest endpoint (multiaddress text), bytes.
        #[pallet::constant]
        type MaxEndpointLen: Get<u32>;
        /// Most blobs one node may pin.
        #[pallet::constant]
        type MaxPinsPerNode: Get<u32>;
        /// Who may suspend, jail and reactivate nodes (governance).
        type StatusOrigin: EnsureOrigin<Self::RuntimeOrigin>;
        /// Told before any registration changes (GPoW's per-epoch snapshots).
        type OnChange: NodeChangeObserver;
        /// Weights of this pallet's calls.
        type WeightInfo: WeightInfo;
    }

    /// Why this pallet holds funds.
    #[pallet::composite_enum]
    pub enum HoldReason {
        /// A node's registration deposit.
        NodeDeposit,
    }

    /// Every registered node.
    #[pallet::storage]
    pub type Nodes<T: Config> = CountedStorageMap<_, Blake2_128Concat, NodeId, NodeInfoOf<T>>;

    /// The nodes each operator runs.
    #[pallet::storage]
    pub type OperatorNodes<T: Config> = StorageMap<
        _,
        Blake2_128Concat,
        T::AccountId,
        BoundedVec<NodeId, T::MaxNodesPerOperator>,
        ValueQuery,
    >;

    /// The content each node pins.
    #[pallet::storage]
    pub type Pins<T: Config> =
        StorageMap<_, Blake2_128Concat, NodeId, BoundedVec<Pin, T::MaxPinsPerNode>, ValueQuery>;

    /// Nodes registered from genesis, for test and benchmark networks (`scripts/bench/epoch-capacity` starts a
    /// chain with 100 000 of them): no proof of possession is asked, since whoever writes the genesis is
    /// trusted, but each operator's deposit is held as at registration and every bound is kept.
    #[pallet::genesis_config]
    #[derive(frame_support::DefaultNoBound)]
    pub struct GenesisConfig<T: Config> {
        /// Node, operator, capabilities, and the content it pins from epoch 0 on.
        pub nodes: Vec<GenesisNode<T::AccountId>>,
        /// More nodes, generated rather than listed.
        pub generated: Option<GeneratedNodes<T::AccountId>>,
    }

    #[pallet::genesis_build]
    impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
        fn build(&self) {
            let generated = self.generated.iter().flat_map(|g| {
                let count = g.operators.len() as u32 * g.per_operator;
                (0..count).map(move |i| {
                    (
                        NodeId::generated(i),
                        g.operators[(i / g.per_operator) as usize].clone(),
                        generated_capabilities(i),
                        g.pin.into_iter().collect::<Vec<_>>(),
                    )
                })
            });
            for (node, operator, capabilities, pins) in self.nodes.iter().cloned().chain(generated)
            {
                Pallet::<T>::register_at_genesis(node, operator, capabilities, pins);
            }
        }
    }

    impl<T: Config> Pallet<T> {
        /// Registers `node` for `operator` as genesis does: deposit held, active, pinning `pins` from epoch 0.
        fn register_at_genesis(
            node: NodeId,
            operator: T::AccountId,
            capabilities: Capabilities,
            pins: Vec<(ContentId, u64)>,
        ) {
            let deposit = T::RegistrationDeposit::get();
            assert!(
                !Nodes::<T>::contains_key(node),
                "genesis node registered twice"
            );
            assert!(
                Nodes::<T>::count() < T::MaxNodes::get(),
                "more genesis nodes than MaxNodes"
            );
            assert!(
                capabilities.validate().is_ok(),
                "invalid genesis node capabilities"
            );
            OperatorNodes::<T>::try_mutate(&operator, |nodes| nodes.try_push(node))
                .expect("at most MaxNodesPerOperator genesis nodes per operator");
            T::Currency::hold(&HoldReason::NodeDeposit.into(), &operator, deposit)
                .expect("genesis operator has the deposit");
            let pins: Vec<Pin> = pins
                .into_iter()
                .map(|(content, len)| Pin {
                    content,
                    len,
                    since: 0,
                })
                .collect();
            Pins::<T>::insert(
                node,
                BoundedVec::<_, T::MaxPinsPerNode>::try_from(pins)
                    .expect("at most MaxPinsPerNode genesis pins per node"),
            );
            Nodes::<T>::insert(
                node,
                NodeInfo {
                    operator,
                    capabilities,
                    endpoints: Default::default(),
                    deposit,
                    status: NodeStatus::Active,
                    registered_at: Zero::zero(),
                },
            );
        }
    }

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// A node pinned content.
        Pinned {
            /// The edge node.
            node: NodeId,
            /// BLAKE3 hash of the content.
            content: ContentId,
            /// Length of the content in bytes.
            len: u64,
        },
        /// A node unpinned content.
        Unpinned {
            /// The edge node.
            node: NodeId,
            /// BLAKE3 hash of the content.
            content: ContentId,
        },
        /// A node joined.
        NodeRegistered {
            /// The edge node.
            node: NodeId,
            /// The operator account.
            operator: T::AccountId,
            /// The deposit held.
            deposit: BalanceOf<T>,
        },
        /// A node's capabilities or endpoints changed.
        CapabilitiesUpdated {
            /// The edge node.
            node: NodeId,
        },
        /// A node's status changed.
        StatusChanged {
            /// The edge node.
            node: NodeId,
            /// The new status.
            status: NodeStatus<BlockNumberFor<T>>,
        },
        /// A node left and its deposit was released.
        NodeRemoved {
            /// The edge node.
            node: NodeId,
            /// The operator account.
            operator: T::AccountId,
            /// The deposit released (less any slashes).
            released: BalanceOf<T>,
        },
        /// Part of a node's deposit was slashed for an offence.
        DepositSlashed {
            /// The edge node.
            node: NodeId,
            /// The amount taken from the deposit.
            amount: BalanceOf<T>,
        },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// The proof of possession is not the node key's signature over this operator and chain.
        InvalidProofOfPossession,
        /// This node key is already registered.
        AlreadyRegistered,
        /// No node is registered under this key.
        NotRegistered,
        /// Only the node's operator may do this.
        NotOperator,
        /// The capabilities offer nothing, or name an invalid country or GPU.
        InvalidCapabilities,
        /// The registry is full.
        TooManyNodes,
        /// This operator already runs the most nodes allowed.
        TooManyNodesForOperator,
        /// The operator cannot hold the registration deposit.
        InsufficientDeposit,
        /// The node is already leaving.
        AlreadyLeaving,
        /// A jailed node cannot leave (nor so register again as active) until governance releases it.
        NodeJailed,
        /// The node has not deregistered.
        NotLeaving,
        /// The unbonding period has not passed yet.
        StillUnbonding,
        /// A node that is leaving cannot be given another status.
        CannotChangeLeavingNode,
        /// The node already pins this content.
        AlreadyPinned,
        /// The node does not pin this content.
        NotPinned,
        /// The node pins the most content allowed.
        TooManyPins,
        /// Content must have at least one byte.
        EmptyContent,
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Registers `node`, operated by the signer, holding [`Config::RegistrationDeposit`].
        ///
        /// `proof` is the node key's ed25519 signature over [`pop_payload`] of the signer and genesis hash.
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::register())]
        pub fn register(
            origin: OriginFor<T>,
            node: NodeId,
            proof: [u8; 64],
            capabilities: Capabilities,
            endpoints: EndpointsOf<T>,
        ) -> DispatchResult {
            let operator = ensure_signed(origin)?;
            ensure!(
                !Nodes::<T>::contains_key(node),
                Error::<T>::AlreadyRegistered
            );
            ensure!(
                Nodes::<T>::count() < T::MaxNodes::get(),
                Error::<T>::TooManyNodes
            );
            let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
            let payload = pop_payload(&operator, &genesis);
            ensure!(
                sp_io::crypto::ed25519_verify(
                    &sp_core::ed25519::Signature::from_raw(proof),
                    &payload,
                    &sp_core::ed25519::Public::from_raw(node.0),
                ),
                Error::<T>::InvalidProofOfPossession
            );
            capabilities
                .validate()
                .map_err(|_| Error::<T>::InvalidCapabilities)?;
            OperatorNodes::<T>::try_mutate(&operator, |nodes| nodes.try_push(node))
                .map_err(|_| Error::<T>::TooManyNodesForOperator)?;
            let deposit = T::RegistrationDeposit::get();
            T::Currency::hold(&HoldReason::NodeDeposit.into(), &operator, deposit)
                .map_err(|_| Error::<T>::InsufficientDeposit)?;
            T::OnChange::before_change(&node);
            Nodes::<T>::insert(
                node,
                NodeInfo {
                    operator: operator.clone(),
                    capabilities,
                    endpoints,
                    deposit,
                    status: NodeStatus::Active,
                    registered_at: frame_system::Pallet::<T>::block_number(),
                },
            );
            Self::deposit_event(Event::NodeRegistered {
                node,
                operator,
                deposit,
            });
            Ok(())
        }

        /// Replaces a node's capabilities and endpoints. Only its operator may.
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::update_capabilities())]
        pub fn update_capabilities(
            origin: OriginFor<T>,
            node: NodeId,
            capabilities: Capabilities,
            endpoints: EndpointsOf<T>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            capabilities
                .validate()
                .map_err(|_| Error::<T>::InvalidCapabilities)?;
            Nodes::<T>::try_mutate(node, |info| {
                let info = info.as_mut().ok_or(Error::<T>::NotRegistered)?;
                ensure!(info.operator == who, Error::<T>::NotOperator);
                T::OnChange::before_change(&node);
                info.capabilities = capabilities;
                info.endpoints = endpoints;
                Ok::<_, DispatchError>(())
            })?;
            Self::deposit_event(Event::CapabilitiesUpdated { node });
            Ok(())
        }

        /// Starts leaving: the node is no longer active and its deposit unlocks after the unbonding period. A
        /// jailed node cannot leave.
        #[pallet::call_index(2)]
        #[pallet::weight(T::WeightInfo::deregister())]
        pub fn deregister(origin: OriginFor<T>, node: NodeId) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let unlock_at =
                frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingPeriod::get());
            let status = NodeStatus::Leaving { unlock_at };
            Nodes::<T>::try_mutate(node, |info| {
                let info = info.as_mut().ok_or(Error::<T>::NotRegistered)?;
                ensure!(info.operator == who, Error::<T>::NotOperator);
                ensure!(
                    !matches!(info.status, NodeStatus::Leaving { .. }),
                    Error::<T>::AlreadyLeaving
                );
                // Leaving would end the jail: the key could register again as active, and the deposit
                // would leave before a deferred slash lands. Only governance lets a jailed node go.
                ensure!(info.status != NodeStatus::Jailed, Error::<T>::NodeJailed);
                T::OnChange::before_change(&node);
                info.status = status;
                Ok::<_, DispatchError>(())
            })?;
            Self::deposit_event(Event::StatusChanged { node, status });
            Ok(())
        }

        /// Removes a node whose unbonding period has passed and releases its deposit.
        #[pallet::call_index(3)]
        #[pallet::weight(T::WeightInfo::withdraw_deposit())]
        pub fn withdraw_deposit(origin: OriginFor<T>, node: NodeId) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let info = Nodes::<T>::get(node).ok_or(Error::<T>::NotRegistered)?;
            ensure!(info.operator == who, Error::<T>::NotOperator);
            let NodeStatus::Leaving { unlock_at } = info.status else {
                return Err(Error::<T>::NotLeaving.into());
            };
            ensure!(
                frame_system::Pallet::<T>::block_number() >= unlock_at,
                Error::<T>::StillUnbonding
            );
            // Release what is still held: slashes may have taken part of the deposit.
            let released = T::Currency::release(
                &HoldReason::NodeDeposit.into(),
                &who,
                info.deposit,
                Precision::BestEffort,
            )?;
            Nodes::<T>::remove(node);
            Pins::<T>::remove(node);
            T::OnChange::on_removed(&node);
            OperatorNodes::<T>::mutate(&who, |nodes| nodes.retain(|n| *n != node));
            Self::deposit_event(Event::NodeRemoved {
                node,
                operator: who,
                released,
            });
            Ok(())
        }

        /// Sets a node's status (activate, suspend, jail). Governance only; a leaving node cannot be changed.
        #[pallet::call_index(4)]
        #[pallet::weight(T::WeightInfo::set_status())]
        pub fn set_status(
            origin: OriginFor<T>,
            node: NodeId,
            status: NodeStatus<BlockNumberFor<T>>,
        ) -> DispatchResult {
            T::StatusOrigin::ensure_origin(origin)?;
            ensure!(
                !matches!(status, NodeStatus::Leaving { .. }),
                Error::<T>::CannotChangeLeavingNode
            );
            Self::change_status(&node, status)
        }

        /// Declares that `node` stores the blob with BLAKE3 hash `content` and length `len`. Operator only; the
        /// node is challenged on it from the next epoch.
        #[pallet::call_index(5)]
        #[pallet::weight(T::WeightInfo::pin())]
        pub fn pin(
            origin: OriginFor<T>,
            node: NodeId,
            content: ContentId,
            len: u64,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            ensure!(len > 0, Error::<T>::EmptyContent);
            Self::ensure_operator(&node, &who)?;
            Pins::<T>::try_mutate(node, |pins| {
                ensure!(
                    !pins.iter().any(|p| p.content == content),
                    Error::<T>::AlreadyPinned
                );
                pins.try_push(Pin {
                    content,
                    len,
                    since: T::OnChange::next_epoch(),
                })
                .map_err(|_| Error::<T>::TooManyPins)
            })?;
            Self::deposit_event(Event::Pinned { node, content, len });
            Ok(())
        }

        /// Stops pinning `content` on `node`. Operator only.
        #[pallet::call_index(6)]
        #[pallet::weight(T::WeightInfo::unpin())]
        pub fn unpin(origin: OriginFor<T>, node: NodeId, content: ContentId) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::ensure_operator(&node, &who)?;
            Pins::<T>::try_mutate(node, |pins| {
                let before = pins.len();
                pins.retain(|p| p.content != content);
                ensure!(pins.len() < before, Error::<T>::NotPinned);
                Ok::<_, Error<T>>(())
            })?;
            Self::deposit_event(Event::Unpinned { node, content });
            Ok(())
        }
    }

    impl<T: Config> Pallet<T> {
        fn ensure_operator(node: &NodeId, who: &T::AccountId) -> DispatchResult {
            let info = Nodes::<T>::get(node).ok_or(Error::<T>::NotRegistered)?;
            ensure!(info.operator == *who, Error::<T>::NotOperator);
            Ok(())
        }

        fn change_status(node: &NodeId, status: NodeStatus<BlockNumberFor<T>>) -> DispatchResult {
            Nodes::<T>::try_mutate(node, |info| {
                let info = info.as_mut().ok_or(Error::<T>::NotRegistered)?;
                ensure!(
                    !matches!(info.status, NodeStatus::Leaving { .. }),
                    Error::<T>::CannotChangeLeavingNode
                );
                T::OnChange::before_change(node);
                info.status = status;
                Ok::<_, DispatchError>(())
            })?;
            Self::deposit_event(Event::StatusChanged {
                node: *node,
                status,
            });
            Ok(())
        }
    }

    impl<T: Config> Pallet<T> {
        /// `node`'s registration as the runtime API returns it.
        pub fn node_view(
            node: &NodeId,
        ) -> Option<runtime_api::NodeView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>> {
            Nodes::<T>::get(node).map(|info| runtime_api::NodeView {
                operator: info.operator,
                capabilities: info.capabilities,
                endpoints: info.endpoints.into_iter().map(|e| e.into_inner()).collect(),
                deposit: info.deposit,
                status: info.status,
            })
        }
    }

    impl<T: Config> NodeRegistry<T::AccountId> for Pallet<T> {
        fn operator(node: &NodeId) -> Option<T::AccountId> {
            Nodes::<T>::get(node).map(|info| info.operator)
        }

        fn is_active(node: &NodeId) -> bool {
            Nodes::<T>::get(node).is_some_and(|info| info.status == NodeStatus::Active)
        }

        fn capabilities(node: &NodeId) -> Option<Capabilities> {
            Nodes::<T>::get(node).map(|info| info.capabilities)
        }

        fn node_ids() -> Vec<NodeId> {
            Nodes::<T>::iter_keys().collect()
        }

        fn pins(node: &NodeId) -> Vec<Pin> {
            Pins::<T>::get(node).into_inner()
        }

        fn jail(node: &NodeId) {
            // A node that is gone or leaving has nothing left to jail; its deposit is still slashable.
            let _ = Self::change_status(node, NodeStatus::Jailed);
        }

        fn slash_deposit(node: &NodeId, fraction: sp_runtime::Perbill, beneficiary: &T::AccountId) {
            use frame_support::traits::tokens::{Fortitude, Restriction};
            Nodes::<T>::mutate(node, |info| {
                let Some(info) = info else { return };
                let amount = fraction.mul_floor(info.deposit);
                // Best effort: what is still held is what can be taken.
                let slashed = T::Currency::transfer_on_hold(
                    &HoldReason::NodeDeposit.into(),
                    &info.operator,
                    beneficiary,
                    amount,
                    Precision::BestEffort,
                    Restriction::Free,
                    Fortitude::Force,
                )
                .unwrap_or_default();
                info.deposit = info.deposit.saturating_sub(slashed);
                Self::deposit_event(Event::DepositSlashed {
                    node: *node,
                    amount: slashed,
                });
            });
        }

        #[cfg(feature = "runtime-benchmarks")]
        fn register_for_benchmark(
            node: NodeId,
            operator: T::AccountId,
            region: enreach_primitives::Region,
        ) {
            let capabilities = Capabilities {
                bandwidth_up_mbps: 100,
                bandwidth_down_mbps: 100,
                storage_gib: 100,
                cpu_cores: 1,
                memory_mib: 1024,
                gpu: None,
                region,
                nat: enreach_primitives::NatType::Public,
                hvm: None,
                version: enreach_primitives::SoftwareVersion {
                    major: 0,
                    minor: 1,
                    patch: 0,
                },
            };
            let info = NodeInfo {
                operator: operator.clone(),
                capabilities,
                endpoints: Default::default(),
                deposit: Default::default(),
                status: NodeStatus::Active,
                registered_at: frame_system::Pallet::<T>::block_number(),
            };
            Nodes::<T>::insert(node, info);
            OperatorNodes::<T>::mutate(&operator, |nodes| {
                let _ = nodes.try_push(node);
            });
        }

        #[cfg(feature = "runtime-benchmarks")]
        fn pin_for_benchmark(node: NodeId, content: ContentId, len: u64) {
            Pins::<T>::mutate(node, |pins| {
                let _ = pins.try_push(Pin {
                    content,
                    len,
                    since: 0,
                });
            });
        }

        #[cfg(feature = "runtime-benchmarks")]
        fn max_pins() -> u32 {
            T::MaxPinsPerNode::get()
        }
    }
}
