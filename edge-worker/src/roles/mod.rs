//! [`apps`] runs PeerHVM edge applications behind the gateway's `/a/<app>/<path>`.
//!
//! The PeerRouting roles, on top of the `enreach-routing` engine: [`router`] runs the engine for the router
//! role (JSON-RPC `routing_route`, the gateway's `/r/<id>`), [`routed`] is an edge's side of it (answers
//! `STATUS`, runs `PREFETCH`es). They wire the engine, PeerDTS and the chain client together, so they live
//! with the binary rather than in the engine crate, which stays pure.

pub mod apps;
pub mod routed;
pub mod router;
