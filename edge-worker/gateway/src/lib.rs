//! # enreach-gateway: the CDN gateway
//!
//! HTTP over the PeerDTS store, built for the open internet: [`gateway`] serves verified content by id
//! (ranges streamed through [`body`], ETags) and, on a router, redirects `/r/<id>` through
//! [`gateway::ContentRouter`], and hands `/a/<app>/<path>` calls of edge applications to an [`apps::AppRunner`];
//! [`origin`] pulls a miss from the origin URL its dApp registered on chain,
//! through [`egress`]'s address checks, and stores it once verified; [`server`] serves a router with
//! connection caps and timeouts; [`metrics`] serves the Prometheus metrics on the operator's own address.
//! `hub` answers the Hugging Face Hub's download API over published collections.
//! Every limit is in [`limits`].

pub mod apps;
pub mod body;
pub mod egress;
pub mod gateway;
mod hub;
pub mod limits;
pub mod metrics;
pub mod origin;
mod quota;
mod recent;
pub mod server;
mod stall;

pub use apps::{AppCall, AppReply, AppRunner, TranscriptSource};
pub use gateway::{ContentRouter, Gateway};
