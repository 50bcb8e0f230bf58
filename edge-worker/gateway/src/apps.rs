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
    /// Every request header but the connection's own (`host`, hop-by-hop), in the order received.
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
        .filter(|(name, _)| !CONNECTION_HEADERS.contains(name))
        .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
        .collect();
    let call = AppCall {
        app,
        method: parts.method.as_str().to_owned(),
        path_and_query: format!("/{path}{query}"),
        headers,
        body,
    };
    reply(runner.call(call).await)
}

fn reply(answer: AppReply) -> Response {
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
        // The gateway frames the body itself.
        if name != header::CONTENT_LENGTH && name != header::TRANSFER_ENCODING {
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
