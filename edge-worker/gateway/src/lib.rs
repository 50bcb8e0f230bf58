//! # enreach-gateway: the CDN gateway
//!
//! HTTP over the PeerDTS store: [`gateway`] serves verified content by id (ranges, ETags, `/metrics`) and,
//! on a router, redirects `/r/<id>` through [`gateway::ContentRouter`]; [`origin`] pulls a miss from the origin
//! URL its dApp registered on chain and stores it once verified.

pub mod gateway;
pub mod origin;

pub use gateway::{ContentRouter, Gateway};
