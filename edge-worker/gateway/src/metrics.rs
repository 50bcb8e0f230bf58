//! The Prometheus metrics on their own listener (`edge-worker run --metrics <addr>`), like a Substrate node's
//! Prometheus port: they name the peers the node talks to and what it serves, which is the operator's to
//! scrape, not the public's to read on the gateway port.

use std::sync::Arc;

use axum::{extract::State, http::header, response::IntoResponse, routing::get, Router};
use enreach_dts::metrics::Metrics;

/// `GET /metrics` over `metrics`.
pub fn router(metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route("/metrics", get(render))
        .with_state(metrics)
}

async fn render(State(metrics): State<Arc<Metrics>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        metrics.render(),
    )
}
