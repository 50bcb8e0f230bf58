//! The CDN gateway: HTTP `GET` and `HEAD` of content by id (`/c/<hex id>`), with `Range` (single and
//! multiple ranges), `ETag` (the content id, which never changes for the same bytes), `If-None-Match`,
//! `Content-Type` from the published file name and exact `Content-Length`. Only verified groups are served;
//! with a chain connection, a miss is pulled from the content's registered origin ([`crate::origin`]) and
//! served once verified. `/metrics` serves the Prometheus metrics. On a router, `/r/<hex id>?region=<continent>`
//! answers `302 Found` to the gateway of the node the request is routed to (or to the content's origin).

use std::{io::SeekFrom, ops::RangeInclusive, sync::Arc};

use axum::{
    body::Body,
    extract::{Path, Query, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use enreach_dts::{
    metrics::Metrics,
    store::{parse_content_id, Blob, ContentHash, ContentStore, StoreError},
};
use futures::future::BoxFuture;

use crate::origin::OriginPull;

/// What `/r/<id>` asks: the router role (`edge_worker::roles::router::RouterService`) implements it, so the
/// gateway needs no routing engine or chain.
pub trait ContentRouter: Send + Sync {
    /// Where to send a client in `region` (a continent name; the router's own region if `None`) for `id`: the
    /// gateway URL of the node the request is routed to, else the content's origin; `Ok(None)` when neither
    /// exists; `Err` names what is wrong with the request.
    fn redirect(
        &self,
        id: ContentHash,
        region: Option<String>,
    ) -> BoxFuture<'_, Result<Option<String>, String>>;
}

/// What the gateway serves from.
#[derive(Clone)]
pub struct Gateway {
    store: Arc<ContentStore>,
    metrics: Arc<Metrics>,
    origin: Option<Arc<OriginPull>>,
    router: Option<Arc<dyn ContentRouter>>,
}

impl Gateway {
    /// A gateway over `store`.
    pub fn new(store: Arc<ContentStore>, metrics: Arc<Metrics>) -> Self {
        Self {
            store,
            metrics,
            origin: None,
            router: None,
        }
    }

    /// Pulls misses from their registered origins.
    pub fn with_origin_pull(mut self, origin: Arc<OriginPull>) -> Self {
        self.origin = Some(origin);
        self
    }

    /// Redirects `/r/<id>` to the node `router` routes the request to.
    pub fn with_router(mut self, router: Arc<dyn ContentRouter>) -> Self {
        self.router = Some(router);
        self
    }

    /// The HTTP routes.
    pub fn router(self) -> Router {
        let routes = Router::new()
            .route("/c/{id}", get(content).head(content))
            .route("/metrics", get(metrics));
        match self.router {
            Some(_) => routes.route("/r/{id}", get(redirect).head(redirect)),
            None => routes,
        }
        .with_state(self)
    }
}

/// Where a browser's request for content goes: `302` to the routed node's gateway, or to the origin.
async fn redirect(
    State(gateway): State<Gateway>,
    Path(id): Path<String>,
    Query(hint): Query<RegionQuery>,
) -> Response {
    let Some(hash) = parse_content_id(&id) else {
        return (StatusCode::BAD_REQUEST, "content id is 64 hex digits\n").into_response();
    };
    let router = gateway
        .router
        .as_ref()
        .expect("route only added with a router");
    let target = match router.redirect(hash, hint.region).await {
        Ok(target) => target,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
    };
    match target {
        Some(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "no node serves this content now and it has no origin\n",
        )
            .into_response(),
    }
}

/// The query of `/r/<id>`.
#[derive(serde::Deserialize)]
struct RegionQuery {
    /// The client's continent.
    region: Option<String>,
}

async fn metrics(State(gateway): State<Gateway>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        gateway.metrics.render(),
    )
}

const BOUNDARY: &str = "enreach-byteranges";

async fn content(
    State(gateway): State<Gateway>,
    method: Method,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(hash) = parse_content_id(&id) else {
        return (StatusCode::BAD_REQUEST, "content id is 64 hex digits\n").into_response();
    };
    let blob = match (
        gateway.store.get(&hash).filter(|b| b.is_complete()),
        &gateway.origin,
    ) {
        (Some(blob), _) => blob,
        (None, Some(origin)) => match origin.get(hash).await {
            Ok(blob) => blob,
            Err(e) if e.is_miss() => {
                return (StatusCode::NOT_FOUND, "unknown content\n").into_response()
            }
            Err(e) => return (StatusCode::BAD_GATEWAY, format!("{e}\n")).into_response(),
        },
        (None, None) => return (StatusCode::NOT_FOUND, "unknown content\n").into_response(),
    };
    let etag = format!("\"{}\"", hash.to_hex());
    let content_type = blob
        .name()
        .and_then(|n| mime_guess::from_path(n).first_raw())
        .unwrap_or("application/octet-stream");
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let size = blob.size();
    let data = blob.data_path();
    let head = method == Method::HEAD;
    let common = |builder: axum::http::response::Builder| {
        builder
            .header(header::ETAG, &etag)
            .header(header::ACCEPT_RANGES, "bytes")
            .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
    };

    let Some(range) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        let body = if head {
            Body::empty()
        } else {
            file_body(&data, 0..=size.saturating_sub(1), size).await
        };
        return common(Response::builder())
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::CONTENT_LENGTH, size)
            .body(body)
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
    };
    let ranges = match http_range_header::parse_range_header(range).and_then(|r| r.validate(size)) {
        Ok(ranges) => ranges,
        Err(_) => {
            return common(Response::builder())
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(header::CONTENT_RANGE, format!("bytes */{size}"))
                .body(Body::empty())
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
        }
    };
    if let [only] = ranges.as_slice() {
        let len = only.end() - only.start() + 1;
        let body = if head {
            Body::empty()
        } else {
            file_body(&data, only.clone(), size).await
        };
        return common(Response::builder())
            .status(StatusCode::PARTIAL_CONTENT)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::CONTENT_LENGTH, len)
            .header(
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{size}", only.start(), only.end()),
            )
            .body(body)
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
    }
    // Several ranges: multipart/byteranges, each part with its own headers.
    let mut parts = Vec::new();
    for r in &ranges {
        let mut part = format!(
            "\r\n--{BOUNDARY}\r\nContent-Type: {content_type}\r\nContent-Range: bytes {}-{}/{size}\r\n\r\n",
            r.start(),
            r.end()
        )
        .into_bytes();
        match read_verified(&blob, r.clone()) {
            Ok(bytes) => part.extend_from_slice(&bytes),
            Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
        }
        parts.extend_from_slice(&part);
    }
    parts.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let len = parts.len();
    common(Response::builder())
        .status(StatusCode::PARTIAL_CONTENT)
        .header(
            header::CONTENT_TYPE,
            HeaderValue::from_str(&format!("multipart/byteranges; boundary={BOUNDARY}"))
                .expect("static header value"),
        )
        .header(header::CONTENT_LENGTH, len)
        .body(if head {
            Body::empty()
        } else {
            Body::from(parts)
        })
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// Bytes of `range` read through the store, which refuses groups that are not verified.
fn read_verified(blob: &Blob, range: RangeInclusive<u64>) -> Result<Vec<u8>, StoreError> {
    let mut buf = vec![0u8; (range.end() - range.start() + 1) as usize];
    blob.read_at(*range.start(), &mut buf)?;
    Ok(buf)
}

/// Streams `range` of the (complete, verified) data file.
async fn file_body(path: &std::path::Path, range: RangeInclusive<u64>, size: u64) -> Body {
    if size == 0 {
        return Body::empty();
    }
    let len = range.end() - range.start() + 1;
    match tokio::fs::File::open(path).await {
        Ok(mut file) => {
            if file.seek(SeekFrom::Start(*range.start())).await.is_err() {
                return Body::empty();
            }
            let stream = ReaderStream::with_capacity(file.take(len), 256 * 1024);
            Body::from_stream(stream.map(|chunk| chunk.map_err(axum::Error::new)))
        }
        Err(_) => Body::empty(),
    }
}
