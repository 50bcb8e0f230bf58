//! An edge application that misbehaves on request, for PeerHVM's sandboxing tests: every route tries something
//! the sandbox must stop without harm to the node or to other applications.
//!
//! - `/ok`: a normal answer, so that a test can show the node still serves after an attack;
//! - `/loop`: never returns (stopped by the compute-unit limit);
//! - `/memory`: allocates until it fails (stopped by the memory cap);
//! - `/file?path=/etc/passwd`: reads a host file (there is no filesystem);
//! - `/fetch?url=http://...`: an outgoing request (only the app's declared origins are reachable);
//! - `/sleep`: waits for an hour (stopped by the wall-time limit);
//! - `/trap`: panics (a trap);
//! - `/env`: lists its environment and arguments (both empty);
//! - `/remember?secret=...` keeps a secret in a static, `/recall` answers what the static holds: one request
//!   must never see what another left in the memory of the instance slot it reuses.
use std::sync::Mutex;

use wstd::http::{Body, Client, Error, Request, Response, StatusCode};

/// Zero-initialized, so it lives in memory the module's data does not initialize: only the reset of the
/// pooled memory between requests clears it.
static KEPT: Mutex<[u8; 64]> = Mutex::new([0; 64]);

#[wstd::http_server]
async fn main(request: Request<Body>) -> Result<Response<Body>, Error> {
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or("").to_owned();
    let param = |key: &str| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
            .unwrap_or("")
            .to_owned()
    };
    match path.as_str() {
        "/ok" => text(StatusCode::OK, "ok".into()),
        "/loop" => {
            let mut x: u64 = 1;
            loop {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
        }
        "/memory" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![1u8; 1 << 20]);
                std::hint::black_box(&hoard);
            }
        }
        "/file" => match std::fs::read_to_string(param("path")) {
            Ok(contents) => text(StatusCode::OK, contents),
            Err(e) => text(StatusCode::FORBIDDEN, format!("file refused: {e}")),
        },
        "/fetch" => {
            let outgoing = Request::get(param("url")).body(Body::empty())?;
            match Client::new().send(outgoing).await {
                Ok(mut answer) => {
                    let status = answer.status();
                    let body = answer.body_mut().str_contents().await?.to_owned();
                    text(StatusCode::OK, format!("fetched {status}: {body}"))
                }
                Err(e) => text(StatusCode::BAD_GATEWAY, format!("fetch refused: {e}")),
            }
        }
        "/sleep" => {
            wstd::task::sleep(wstd::time::Duration::from_secs(3600)).await;
            text(StatusCode::OK, "woke up".into())
        }
        "/trap" => panic!("the probe traps on purpose"),
        "/env" => {
            let env: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
            let args: Vec<String> = std::env::args().collect();
            text(StatusCode::OK, format!("env={env:?} args={args:?}"))
        }
        "/remember" => {
            let secret = param("secret");
            let mut kept = KEPT.lock().unwrap();
            let len = secret.len().min(kept.len());
            kept[..len].copy_from_slice(&secret.as_bytes()[..len]);
            text(StatusCode::OK, "kept".into())
        }
        "/recall" => {
            let kept = *KEPT.lock().unwrap();
            let end = kept.iter().position(|b| *b == 0).unwrap_or(kept.len());
            text(StatusCode::OK, String::from_utf8_lossy(&kept[..end]).into_owned())
        }
        _ => text(StatusCode::NOT_FOUND, format!("no route for {path}")),
    }
}

fn text(status: StatusCode, body: String) -> Result<Response<Body>, Error> {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    Ok(response)
}
