//! `/a/<app>/<path>`: calls of PeerHVM edge applications. The gateway only reads the request (bounded), hands it
//! to an [`AppRunner`] (the apps role of `edge-worker`, on top of `enreach-hvm`, the chain and the store) and
//! writes the answer; it knows nothing of WebAssembly, receipts or the chain.

use std::sync::Arc;

use axum::{
    body::{to_bytes, Body, Bytes},
    extract::{Path, Request, State},
    http::{header, HeaderName, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use futures::future::BoxFuture;

use crate::{gateway::Gateway, limits::MAX_APP_REQUEST_BYTES};

/// A call of an app as the gateway received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppCall {
    /// The app's registered name.
    pub app: String,
    pub method: String,
    /// The path below `/a/<app>` (at least `/`) and the query.
    pub path_and_query: String,
    /// Every request header but the connection's own (`host`, hop-by-hop) and the origin's (`cookie`), in the
    /// order received.
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Bytes,
}

/// An answer to an [`AppCall`]: the app's, or the node's reason for not running it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppReply {
    pub status: u16,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Bytes,
}

impl AppReply {
    /// A plain-text answer of the node's own.
    pub fn text(status: u16, message: impl Into<String>) -> Self {
        let headers = vec![(
            "content-type".to_owned(),
            b"text/plain; charset=utf-8".to_vec(),
        )];
        Self {
            status,
            headers,
            body: Bytes::from(message.into() + "\n"),
        }
    }
}

/// What runs `/a/<app>` calls: `edge_worker::roles::apps::AppService` implements it.
pub trait AppRunner: Send + Sync {
    fn call(&self, call: AppCall) -> BoxFuture<'_, AppReply>;
}

/// What answers the keepers' signed queries about the node's compute at `POST /gpow/transcripts`
/// (`enreach_gpow::transcripts`): the SCALE answer, or a status and the reason.
pub trait TranscriptSource: Send + Sync {
    fn answer(&self, query: Bytes) -> BoxFuture<'_, Result<Vec<u8>, (u16, String)>>;
}

/// Longest keeper query the gateway reads (a signed query is a few hundred bytes).
const MAX_TRANSCRIPT_QUERY_BYTES: usize = 1024;

pub(crate) async fn transcripts(State(gateway): State<Gateway>, request: Request) -> Response {
    let source = gateway
        .transcripts()
        .expect("route only added with a transcript source");
    let Ok(query) = to_bytes(request.into_body(), MAX_TRANSCRIPT_QUERY_BYTES).await else {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            "a keeper query is at most 1 KiB\n",
        )
            .into_response();
    };
    match source.answer(query).await {
        Ok(answer) => {
            ([(header::CONTENT_TYPE, "application/octet-stream")], answer).into_response()
        }
        Err((status, reason)) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            reason + "\n",
        )
            .into_response(),
    }
}

/// Headers that describe the client's connection to the gateway, not the request: never handed to an app.
const CONNECTION_HEADERS: [HeaderName; 7] = [
    header::HOST,
    header::CONNECTION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
    header::PROXY_AUTHORIZATION,
];

/// Request headers that carry the state of the gateway's origin, which every app and all content share, so
/// they are no app's to read: a cookie there was set by whatever else the browser visited on the origin.
/// `Authorization` is handed on: a browser attaches it by itself only after a `WWW-Authenticate` challenge,
/// which apps cannot send ([`APP_RESPONSE_HEADERS`]), so it is one the app's own client chose to send.
const ORIGIN_STATE_HEADERS: [HeaderName; 1] = [header::COOKIE];

/// The headers of an app's answer that reach the client, besides the compute session's (`enreach-*`, added by
/// the apps role to the same list) and `Location` ([`in_app_location`]). Each acts only on the response it
/// comes with: how to read the body and how long to keep it. Everything else is dropped, since a header the
/// gateway does not know may act on the origin every app and all content share (`Set-Cookie`,
/// `Clear-Site-Data`, `Service-Worker-Allowed`, `Strict-Transport-Security`, `Alt-Svc`, `Accept-CH`), ask the
/// browser for the origin's credentials (`WWW-Authenticate`), send it elsewhere (`Refresh`), or direct a proxy
/// in front of the gateway (`X-Accel-Redirect`, `X-Sendfile`); an app's own data belongs in its body. The
/// framing headers (`Content-Length`, `Transfer-Encoding`) are the gateway's, which frames the body itself.
const APP_RESPONSE_HEADERS: [HeaderName; 12] = [
    header::CONTENT_TYPE,
    header::CONTENT_LANGUAGE,
    header::CONTENT_ENCODING,
    header::CONTENT_DISPOSITION,
    header::CONTENT_RANGE,
    header::CACHE_CONTROL,
    header::ETAG,
    header::LAST_MODIFIED,
    header::EXPIRES,
    header::VARY,
    header::RETRY_AFTER,
    header::ALLOW,
];

/// The prefix of the compute session's response headers (`enreach_gpow::compute_wire`), which the apps role
/// adds after the app ran and the client needs to sign its next receipt.
const SESSION_HEADER_PREFIX: &str = "enreach-";

/// The host the gateway resolves an app's `Location` against: any name does, as only the path of the result
/// is kept, and `.invalid` never names a real one.
const LOCATION_BASE: &str = "http://gateway.invalid/";

/// `/a/<app>` without a path is the app's `/`.
pub(crate) async fn call_root(
    state: State<Gateway>,
    Path(app): Path<String>,
    request: Request,
) -> Response {
    call(state, Path((app, String::new())), request).await
}

pub(crate) async fn call(
    State(gateway): State<Gateway>,
    Path((app, path)): Path<(String, String)>,
    request: Request,
) -> Response {
    let runner: Arc<dyn AppRunner> = gateway.apps().expect("route only added with an app runner");
    let (parts, body) = request.into_parts();
    let request_path = parts.uri.path().to_owned();
    let body = match to_bytes(body, MAX_APP_REQUEST_BYTES).await {
        Ok(body) => body,
        Err(_) => {
            let message =
                format!("a request to an app carries at most {MAX_APP_REQUEST_BYTES} bytes\n");
            return (StatusCode::PAYLOAD_TOO_LARGE, message).into_response();
        }
    };
    let query = parts
        .uri
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let headers = parts
        .headers
        .iter()
        .filter(|(name, _)| {
            !CONNECTION_HEADERS.contains(name) && !ORIGIN_STATE_HEADERS.contains(name)
        })
        .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
        .collect();
    let call = AppCall {
        app,
        method: parts.method.as_str().to_owned(),
        path_and_query: format!("/{path}{query}"),
        headers,
        body,
    };
    reply(runner.call(call).await, &request_path)
}

/// The response to a call of `request_path` that `answer` makes.
fn reply(answer: AppReply, request_path: &str) -> Response {
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let headers = response.headers_mut();
    for (name, value) in answer.headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(&value),
        ) else {
            continue;
        };
        if name == header::LOCATION {
            if let Some(location) = in_app_location(request_path, &value) {
                headers.append(name, location);
            }
        } else if APP_RESPONSE_HEADERS.contains(&name)
            || name.as_str().starts_with(SESSION_HEADER_PREFIX)
        {
            headers.append(name, value);
        }
    }
    // Every app shares the gateway's origin with every other app and all content: what an app answers is never
    // active there (the same rule as content's), and never sniffed into something else.
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox"),
    );
    response
}

/// An app's `Location` as the path (with query and fragment) it leads to, resolved as the browser will against
/// the called `request_path`, if that is within the app (`/a/<app>` and below): a redirect out of it would make
/// the gateway's origin an open redirect, or lend the app's URL to another app or to content.
fn in_app_location(request_path: &str, location: &HeaderValue) -> Option<HeaderValue> {
    let app = request_path.strip_prefix("/a/")?.split('/').next()?;
    let called = url::Url::parse(LOCATION_BASE)
        .ok()?
        .join(request_path)
        .ok()?;
    let location = location.to_str().ok()?;
    let target = called.join(location).ok()?;
    // An absolute URL names another host, whatever it says: the gateway's own name is not known here.
    if url::Url::parse(location).is_ok() || target.origin() != called.origin() {
        return None;
    }
    let path = target.path();
    let root = format!("/a/{app}");
    let within = path == root || path.starts_with(&(root + "/"));
    within
        .then(|| HeaderValue::from_str(&target[url::Position::BeforePath..]).ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use axum::http::Request;
    use enreach_dts::store::ContentStore;
    use tower::ServiceExt;

    use super::*;

    /// Records the calls it gets and answers with a fixed reply.
    struct Recorder {
        calls: Mutex<Vec<AppCall>>,
        reply: AppReply,
    }

    impl AppRunner for Recorder {
        fn call(&self, call: AppCall) -> BoxFuture<'_, AppReply> {
            self.calls.lock().unwrap().push(call);
            Box::pin(async { self.reply.clone() })
        }
    }

    fn gateway(reply: AppReply) -> (axum::Router, Arc<Recorder>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(ContentStore::open(dir.path()).unwrap());
        let recorder = Arc::new(Recorder {
            calls: Mutex::new(Vec::new()),
            reply,
        });
        (
            Gateway::new(store).with_apps(recorder.clone()).router(),
            recorder,
            dir,
        )
    }

    #[tokio::test]
    async fn a_call_reaches_the_app_with_its_path_query_headers_and_body() {
        let answer = AppReply {
            status: 201,
            headers: vec![
                ("content-type".into(), b"text/html".to_vec()),
                ("content-length".into(), b"999".to_vec()),
                ("content-security-policy".into(), b"script-src *".to_vec()),
            ],
            body: Bytes::from_static(b"<script>steal()</script>"),
        };
        let (router, recorder, _dir) = gateway(answer);
        let request = Request::post("/a/shop/cart/items?sort=price&x=1")
            .header("content-type", "application/json")
            .header("connection", "keep-alive")
            .header("x-app", "1")
            .body(Body::from("{\"id\":7}"))
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), 201);
        // The app's own policy cannot make its answer active on the origin every app and content share.
        assert_eq!(
            response.headers()[header::CONTENT_SECURITY_POLICY],
            "sandbox"
        );
        assert_eq!(
            response
                .headers()
                .get_all(header::CONTENT_SECURITY_POLICY)
                .iter()
                .count(),
            1
        );
        assert_eq!(
            response.headers()[header::X_CONTENT_TYPE_OPTIONS],
            "nosniff"
        );
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        assert_eq!(
            &body[..],
            b"<script>steal()</script>",
            "the gateway frames the body, whatever length the app said"
        );
        let call = recorder.calls.lock().unwrap()[0].clone();
        assert_eq!(call.app, "shop");
        assert_eq!(call.method, "POST");
        assert_eq!(call.path_and_query, "/cart/items?sort=price&x=1");
        assert_eq!(&call.body[..], b"{\"id\":7}");
        let names: Vec<&str> = call.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert!(
            names.contains(&"content-type") && names.contains(&"x-app"),
            "{names:?}"
        );
        assert!(
            !names.contains(&"connection"),
            "connection headers are the gateway's: {names:?}"
        );

        for (uri, path) in [
            ("/a/shop", "/"),
            ("/a/shop/", "/"),
            ("/a/shop?q=1", "/?q=1"),
        ] {
            router
                .clone()
                .oneshot(Request::get(uri).body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(
                recorder
                    .calls
                    .lock()
                    .unwrap()
                    .last()
                    .unwrap()
                    .path_and_query,
                path,
                "{uri}"
            );
        }
    }

    #[tokio::test]
    async fn an_app_cannot_set_state_on_the_origin_every_app_and_content_share() {
        // Second attacker review: the sandbox keeps an app's answer from running, but its headers still act on
        // the gateway's origin. `Set-Cookie` with `Path=/` plants a cookie every other app is then sent (the
        // gateway forwards `Cookie` to apps: session fixation, tracking across dApps), and `Clear-Site-Data`
        // wipes the cookies, storage and cache of every dApp on the origin for the user's browser.
        let answer = AppReply {
            status: 200,
            headers: vec![
                ("set-cookie".into(), b"session=attacker; Path=/".to_vec()),
                ("clear-site-data".into(), b"\"*\"".to_vec()),
                ("service-worker-allowed".into(), b"/".to_vec()),
            ],
            body: Bytes::from_static(b"ok"),
        };
        let (router, _recorder, _dir) = gateway(answer);
        let response = router
            .oneshot(Request::get("/a/evil/").body(Body::empty()).unwrap())
            .await
            .unwrap();
        for name in ["set-cookie", "clear-site-data", "service-worker-allowed"] {
            assert!(
                !response.headers().contains_key(name),
                "an app's {name} reaches the shared origin: {:?}",
                response.headers().get(name)
            );
        }
    }

    #[tokio::test]
    async fn an_answer_keeps_the_session_headers_and_what_describes_its_body() {
        let answer = AppReply {
            status: 200,
            headers: vec![
                ("content-type".into(), b"application/json".to_vec()),
                ("cache-control".into(), b"no-store".to_vec()),
                ("etag".into(), b"\"v1\"".to_vec()),
                ("enreach-step".into(), b"aa.bb.7".to_vec()),
                ("enreach-totals".into(), b"1.7.cc".to_vec()),
                ("x-accel-redirect".into(), b"/internal/secrets".to_vec()),
                (
                    "www-authenticate".into(),
                    b"Basic realm=\"gateway\"".to_vec(),
                ),
            ],
            body: Bytes::from_static(b"{}"),
        };
        let (router, _recorder, _dir) = gateway(answer);
        let response = router
            .oneshot(Request::get("/a/shop/").body(Body::empty()).unwrap())
            .await
            .unwrap();
        let headers = response.headers();
        for (name, value) in [
            ("content-type", "application/json"),
            ("cache-control", "no-store"),
            ("etag", "\"v1\""),
            ("enreach-step", "aa.bb.7"),
            ("enreach-totals", "1.7.cc"),
        ] {
            assert_eq!(
                headers.get(name).map(|v| v.as_bytes()),
                Some(value.as_bytes()),
                "{name}"
            );
        }
        for name in ["x-accel-redirect", "www-authenticate"] {
            assert!(!headers.contains_key(name), "{name} passed");
        }
    }

    #[tokio::test]
    async fn an_app_redirects_within_itself_only() {
        for (location, expected) in [
            ("/a/shop/cart?x=1", Some("/a/shop/cart?x=1")),
            ("done", Some("/a/shop/orders/done")),
            ("../cart#top", Some("/a/shop/cart#top")),
            ("/a/shop", Some("/a/shop")),
            ("http://gateway.invalid/a/shop/x", None),
            ("https://evil.example/login", None),
            ("//evil.example/login", None),
            ("/a/shopping/x", None),
            ("/a/other/x", None),
            ("/c/0123", None),
            ("/a/shop/../../c/0123", None),
            ("/a/shop/%2e%2e/other/", None),
            ("/a/shop\\..\\other/", None),
        ] {
            let answer = AppReply {
                status: 303,
                headers: vec![("location".into(), location.as_bytes().to_vec())],
                body: Bytes::new(),
            };
            let (router, _recorder, _dir) = gateway(answer);
            let response = router
                .oneshot(
                    Request::post("/a/shop/orders/new")
                        .body(Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            let got = response.headers().get(header::LOCATION);
            assert_eq!(got.map(|v| v.to_str().unwrap()), expected, "{location}");
        }
    }

    #[tokio::test]
    async fn the_cookies_of_the_shared_origin_never_reach_an_app() {
        let (router, recorder, _dir) = gateway(AppReply::text(200, "ok"));
        let request = Request::get("/a/shop/")
            .header("cookie", "session=another-apps")
            .header("authorization", "Bearer the-apps-own")
            .body(Body::empty())
            .unwrap();
        router.oneshot(request).await.unwrap();
        let call = recorder.calls.lock().unwrap()[0].clone();
        let names: Vec<&str> = call.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert!(!names.contains(&"cookie"), "{names:?}");
        assert!(names.contains(&"authorization"), "{names:?}");
    }

    #[tokio::test]
    async fn a_body_over_the_limit_never_reaches_the_app() {
        let (router, recorder, _dir) = gateway(AppReply::text(200, "ok"));
        let request = Request::post("/a/shop/upload")
            .body(Body::from(vec![0u8; MAX_APP_REQUEST_BYTES + 1]))
            .unwrap();
        let response = router.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(recorder.calls.lock().unwrap().is_empty());
    }
}
