//! The CDN gateway: HTTP `GET` and `HEAD` of content by id (`/c/<hex id>`), with `Range` (single and up to
//! [`MAX_RANGES`] ranges, streamed), `ETag` (the content id, which never changes for the same bytes),
//! `If-None-Match`, `Content-Type` from the content's dApp publication (never from a name a peer chose) with
//! `nosniff`, `Content-Security-Policy: sandbox` (no dApp's HTML runs on the origin all dApps share; no
//! service worker script is served), and exact `Content-Length`. Only complete, verified contents are served; with a chain
//! connection, a miss is pulled from the content's registered origin ([`crate::origin`]) and served once
//! verified. On a router, `/r/<hex id>?region=<continent>` answers `302 Found` to the gateway of the node the
//! request is routed to (or to the content's origin). Metrics are not here: they name peers, and are served
//! on the operator's own address ([`crate::metrics`]). Connection limits and timeouts are [`crate::server`]'s.

use std::{ops::RangeInclusive, sync::Arc};

use axum::{
    body::Body,
    extract::{Path, Query, RawQuery, State},
    http::{header, HeaderMap, Method, StatusCode},
    response::{IntoResponse, Response},
    routing::{self, get},
    Router,
};
use futures::future::BoxFuture;
use tracing::warn;

use enreach_dts::store::{parse_content_id, Blob, ContentHash, ContentStore};

use crate::{
    apps::{self, AppRunner, TranscriptSource},
    body::{self, Multipart},
    hub,
    limits::{MAX_RANGES, RETRY_AFTER},
    origin::{OriginPull, PullError},
};

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

    /// Where to send a client in `region` calling the app named `app` at `path_and_query`: that URL on the
    /// gateway of the node the call is routed to; `Ok(None)` when no node runs the app now; `Err` names what
    /// is wrong with the request (no such app).
    fn redirect_app(
        &self,
        app: String,
        path_and_query: String,
        region: Option<String>,
    ) -> BoxFuture<'_, Result<Option<String>, String>>;
}

/// What the gateway serves from.
#[derive(Clone)]
pub struct Gateway {
    store: Arc<ContentStore>,
    origin: Option<Arc<OriginPull>>,
    router: Option<Arc<dyn ContentRouter>>,
    apps: Option<Arc<dyn AppRunner>>,
    transcripts: Option<Arc<dyn TranscriptSource>>,
    manifests: Arc<hub::Manifests>,
}

impl Gateway {
    /// A gateway over `store`.
    pub fn new(store: Arc<ContentStore>) -> Self {
        Self {
            store,
            origin: None,
            router: None,
            apps: None,
            transcripts: None,
            manifests: Arc::default(),
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

    /// Runs edge applications at `/a/<app>/<path>` through `runner`.
    pub fn with_apps(mut self, runner: Arc<dyn AppRunner>) -> Self {
        self.apps = Some(runner);
        self
    }

    /// Answers the node's keepers at `POST /gpow/transcripts` through `source`.
    pub fn with_transcripts(mut self, source: Arc<dyn TranscriptSource>) -> Self {
        self.transcripts = Some(source);
        self
    }

    /// The complete, verified blob `hash`: from the store, or pulled from its registered origin; a response
    /// saying why not.
    pub(crate) async fn held(&self, hash: ContentHash) -> Result<Arc<Blob>, Response> {
        match (
            self.store.get(&hash).filter(|b| b.is_complete()),
            &self.origin,
        ) {
            (Some(blob), _) => Ok(blob),
            (None, Some(origin)) => origin.get(hash).await.map_err(|e| pull_failed(hash, &e)),
            (None, None) => Err((StatusCode::NOT_FOUND, "unknown content\n").into_response()),
        }
    }

    pub(crate) fn manifests(&self) -> &hub::Manifests {
        &self.manifests
    }

    pub(crate) fn transcripts(&self) -> Option<Arc<dyn TranscriptSource>> {
        self.transcripts.clone()
    }

    pub(crate) fn apps(&self) -> Option<Arc<dyn AppRunner>> {
        self.apps.clone()
    }

    /// The HTTP routes.
    pub fn router(self) -> Router {
        let mut routes = Router::new().route("/c/{id}", get(content).head(content));
        if self.router.is_some() {
            routes = routes
                .route("/r/{id}", get(redirect).head(redirect))
                .route("/r/a/{app}", routing::any(redirect_app_root))
                .route("/r/a/{app}/{*path}", routing::any(redirect_app));
        }
        if self.apps.is_some() {
            routes = routes
                .route("/a/{app}", routing::any(apps::call_root))
                .route("/a/{app}/", routing::any(apps::call_root))
                .route("/a/{app}/{*path}", routing::any(apps::call));
        }
        if self.transcripts.is_some() {
            routes = routes.route("/gpow/transcripts", routing::post(apps::transcripts));
        }
        routes.merge(hub::routes()).with_state(self)
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

/// `/r/a/<app>/<path>`: a `307` to the app's path on the node the call is routed to, so a `POST` and its
/// body are sent again as they were; the query goes along unchanged.
async fn redirect_app(
    State(gateway): State<Gateway>,
    Path((app, path)): Path<(String, String)>,
    query: RawQuery,
    Query(hint): Query<RegionQuery>,
) -> Response {
    let router = gateway
        .router
        .as_ref()
        .expect("route only added with a router");
    let path_and_query = match query.0 {
        Some(query) => format!("{path}?{query}"),
        None => path,
    };
    match router.redirect_app(app, path_and_query, hint.region).await {
        Ok(Some(location)) => (
            StatusCode::TEMPORARY_REDIRECT,
            [(header::LOCATION, location)],
        )
            .into_response(),
        Ok(None) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "no node runs this app now\n",
        )
            .into_response(),
        Err(e) => (StatusCode::NOT_FOUND, format!("{e}\n")).into_response(),
    }
}

/// `/r/a/<app>`: the app's root.
async fn redirect_app_root(
    state: State<Gateway>,
    Path(app): Path<String>,
    query: RawQuery,
    hint: Query<RegionQuery>,
) -> Response {
    redirect_app(state, Path((app, String::new())), query, hint).await
}

/// The query of `/r/<id>`.
#[derive(serde::Deserialize)]
struct RegionQuery {
    /// The client's continent.
    region: Option<String>,
}

async fn content(
    State(gateway): State<Gateway>,
    method: Method,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(hash) = parse_content_id(&id) else {
        return (StatusCode::BAD_REQUEST, "content id is 64 hex digits\n").into_response();
    };
    serve_content(&gateway, hash, &method, &headers, &[]).await
}

/// Content `hash` as `method` and `headers` ask (see the module's documentation), with `extra` headers.
pub(crate) async fn serve_content(
    gateway: &Gateway,
    hash: ContentHash,
    method: &Method,
    headers: &HeaderMap,
    extra: &[(&'static str, String)],
) -> Response {
    // A browser registering a service worker asks for its script with this header: a content registered as
    // one would answer every later request to the gateway's origin, for every dApp's content.
    if headers.contains_key(SERVICE_WORKER) {
        return (
            StatusCode::FORBIDDEN,
            "content is never served as a service worker\n",
        )
            .into_response();
    }
    let blob = match gateway.held(hash).await {
        Ok(blob) => blob,
        Err(response) => return response,
    };
    let etag = format!("\"{}\"", hash.to_hex());
    // Never from the blob's name, which a peer may have chosen: only what the content's dApp published.
    let content_type = match &gateway.origin {
        Some(origin) => origin.content_type(hash).await,
        None => DEFAULT_CONTENT_TYPE,
    };
    let mut response = Response::builder();
    for (name, value) in extra {
        response = response.header(*name, value);
    }
    let response = response
        .header(header::ETAG, &etag)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
        // The type is declared, not to be guessed: no HTML or script sniffed out of a content's bytes.
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        // Every dApp's content shares the gateway's origin: a dApp's HTML is shown in a sandbox, an opaque
        // origin without scripts, so it cannot read other dApps' contents or cookies through this one.
        .header(header::CONTENT_SECURITY_POLICY, "sandbox");
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        return finish(response.status(StatusCode::NOT_MODIFIED), Body::empty());
    }
    let size = blob.size();
    let data = blob.data_path();
    let head = *method == Method::HEAD;
    // Bodies open their file only when polled, so a HEAD's is dropped without reading anything.
    let body = |full: Body| if head { Body::empty() } else { full };
    match requested_ranges(headers, size) {
        Requested::Whole => finish(
            response
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, content_type)
                .header(header::CONTENT_LENGTH, size),
            match size {
                0 => Body::empty(),
                _ => body(body::range(data, 0..=size - 1)),
            },
        ),
        Requested::Unsatisfiable => finish(
            response
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(header::CONTENT_RANGE, format!("bytes */{size}")),
            Body::empty(),
        ),
        Requested::One(only) => finish(
            response
                .status(StatusCode::PARTIAL_CONTENT)
                .header(header::CONTENT_TYPE, content_type)
                .header(header::CONTENT_LENGTH, only.end() - only.start() + 1)
                .header(
                    header::CONTENT_RANGE,
                    format!("bytes {}-{}/{size}", only.start(), only.end()),
                ),
            body(body::range(data, only)),
        ),
        Requested::Many(ranges) => {
            let multipart = Multipart::new(ranges, content_type, size);
            let response = response
                .status(StatusCode::PARTIAL_CONTENT)
                .header(header::CONTENT_TYPE, Multipart::content_type())
                .header(header::CONTENT_LENGTH, multipart.byte_len());
            finish(response, body(multipart.body(data)))
        }
    }
}

/// The answer to a miss whose origin pull failed with `e`.
fn pull_failed(id: ContentHash, e: &PullError) -> Response {
    match e {
        e if e.is_miss() => (StatusCode::NOT_FOUND, "unknown content\n").into_response(),
        // The gateway is busy, not the origin failing: the client may come back soon.
        PullError::Busy(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, RETRY_AFTER.as_secs().to_string())],
            format!("{e}\n"),
        )
            .into_response(),
        // Logged when the pull failed; not again for every request that finds it remembered.
        PullError::RecentlyFailed => (StatusCode::BAD_GATEWAY, PULL_FAILED).into_response(),
        // The reason stays in the log: told to the client, it would map the edge's network for anyone who
        // publishes a URL (connection refused here, timed out there).
        e => {
            warn!(id = %id.to_hex(), %e, "origin pull failed");
            (StatusCode::BAD_GATEWAY, PULL_FAILED).into_response()
        }
    }
}

/// The body of every failed origin pull, whatever the reason.
const PULL_FAILED: &str = "origin pull failed\n";

/// The request header of a browser fetching a service worker's script.
const SERVICE_WORKER: &str = "service-worker";

/// The type of a content whose dApp published none.
pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// What a request's `Range` header asks of a content.
enum Requested {
    /// No ranges (or more than [`MAX_RANGES`], which are ignored): the whole content.
    Whole,
    /// Ranges outside the content, reversed or overlapping.
    Unsatisfiable,
    /// One range.
    One(RangeInclusive<u64>),
    /// Several ranges, in the order asked.
    Many(Vec<RangeInclusive<u64>>),
}

/// The ranges `headers` ask of a content of `size` bytes.
fn requested_ranges(headers: &HeaderMap, size: u64) -> Requested {
    let Some(range) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Requested::Whole;
    };
    // The parser checks every pair of ranges for overlap: a header of tens of thousands of ranges would cost
    // seconds of CPU before the count below applies. More than MAX_RANGES are ignored without parsing.
    if range.bytes().filter(|&b| b == b',').count() >= MAX_RANGES {
        return Requested::Whole;
    }
    if size == 0 {
        // No byte of an empty content can be asked for (the parser would grant `0-0`): ignored, as RFC 9110
        // lets a server do.
        return Requested::Whole;
    }
    match http_range_header::parse_range_header(range).and_then(|r| r.validate(size)) {
        Ok(ranges) if ranges.len() > MAX_RANGES => Requested::Whole,
        Ok(mut ranges) if ranges.len() == 1 => Requested::One(ranges.remove(0)),
        Ok(ranges) => Requested::Many(ranges),
        Err(_) => Requested::Unsatisfiable,
    }
}

/// The response `builder` describes, with `body`.
fn finish(builder: axum::http::response::Builder, body: Body) -> Response {
    builder
        .body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A `Range` header close to valid ones: numbers, dashes, commas, spaces and the `bytes=` unit, in any order.
    fn range_header() -> impl Strategy<Value = String> {
        prop_oneof![
            "bytes=[0-9, ,-]{0,40}",
            "[a-z= 0-9,-]{0,40}",
            prop::collection::vec((any::<Option<u64>>(), any::<Option<u64>>()), 0..40).prop_map(
                |ranges| {
                    let specs: Vec<String> = ranges
                        .iter()
                        .map(|(a, b)| {
                            let show =
                                |n: &Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
                            format!("{}-{}", show(a), show(b))
                        })
                        .collect();
                    format!("bytes={}", specs.join(","))
                }
            ),
        ]
    }

    proptest! {
        // Fuzzing the one parser of a client's `Range`: whatever it is sent, the gateway serves the whole
        // content, refuses, or serves at most MAX_RANGES ranges that lie inside the content.
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(4096)
        ))]
        #[test]
        fn any_range_header_yields_ranges_inside_the_content(
            header in range_header(),
            size in prop_oneof![Just(0u64), 1u64..100, any::<u64>()],
        ) {
            let Ok(value) = header.parse() else {
                return Ok(()); // not a header value a client can send
            };
            let mut headers = HeaderMap::new();
            headers.insert(header::RANGE, value);
            let ranges = match requested_ranges(&headers, size) {
                Requested::Whole | Requested::Unsatisfiable => return Ok(()),
                Requested::One(range) => vec![range],
                Requested::Many(ranges) => ranges,
            };
            prop_assert!(!ranges.is_empty() && ranges.len() <= MAX_RANGES, "{} ranges", ranges.len());
            for range in ranges {
                prop_assert!(range.start() <= range.end() && *range.end() < size, "{range:?} of {size}");
            }
        }
    }

    /// A gateway over a store holding one HTML content; its id.
    fn html_gateway() -> (tempfile::TempDir, Router, ContentHash) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("page.html");
        std::fs::write(&file, "<script>steal(document.cookie)</script>").unwrap();
        let store = Arc::new(ContentStore::open(dir.path().join("store")).unwrap());
        let id = store.import(&file).unwrap();
        (dir, Gateway::new(store).router(), id)
    }

    async fn get(app: Router, id: ContentHash, extra: Option<(&str, &str)>) -> Response {
        use tower::ServiceExt;
        let mut request = axum::http::Request::get(format!("/c/{}", id.to_hex()));
        if let Some((name, value)) = extra {
            request = request.header(name, value);
        }
        app.oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn content_is_never_active_on_the_gateways_origin() {
        // One dApp's HTML or script, run on the gateway's origin, could read every other dApp's content and
        // register a service worker over all of them.
        let (_dir, app, id) = html_gateway();
        let response = get(app.clone(), id, None).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[header::CONTENT_SECURITY_POLICY],
            "sandbox"
        );
        assert_eq!(
            response.headers()[header::X_CONTENT_TYPE_OPTIONS],
            "nosniff"
        );
        let worker = get(app, id, Some(("service-worker", "script"))).await;
        assert_eq!(worker.status(), StatusCode::FORBIDDEN);
    }

    #[test]
    fn a_busy_gateway_answers_503_with_retry_after_and_a_failed_pull_502() {
        let id = ContentHash::from_bytes([7; 32]);
        let busy = pull_failed(id, &PullError::Busy("the origin pull slots"));
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            busy.headers()[header::RETRY_AFTER],
            RETRY_AFTER.as_secs().to_string()
        );
        let failed = pull_failed(id, &PullError::Origin("refused".into()));
        assert_eq!(failed.status(), StatusCode::BAD_GATEWAY);
        assert_eq!(
            pull_failed(id, &PullError::NotPublished).status(),
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn a_huge_range_list_is_ignored_without_parsing_it() {
        // ~32 000 ranges, which fit hyper's header buffer: parsed, the overlap check took 9 s of CPU (found by an
        // attacker review).
        let ranges: Vec<String> = (0..32_000u64)
            .map(|i| format!("{}-{}", 2 * i, 2 * i))
            .collect();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::RANGE,
            format!("bytes={}", ranges.join(",")).parse().unwrap(),
        );
        // The whole content, as for any list longer than MAX_RANGES; what this saves (a parse of seconds of
        // CPU) is a cost, not a behaviour, so it is not timed here.
        assert!(matches!(
            requested_ranges(&headers, 1 << 20),
            Requested::Whole
        ));
    }
}
