//! `hvm-native <listen address>`: serves `GET /hello?name=..` and `POST /stats` exactly as the `json-api` edge
//! app does (edge-worker/hvm/apps/json-api), natively.
use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{body::Incoming, server::conn::http1, service::service_fn, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;

#[derive(Serialize)]
struct Greeting {
    greeting: String,
}

#[derive(Serialize)]
struct Stats {
    count: usize,
    mean: f64,
    min: f64,
    max: f64,
    stddev: f64,
}

fn json<T: Serialize>(status: StatusCode, value: &T) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(serde_json::to_vec(value).unwrap())));
    *response.status_mut() = status;
    response.headers_mut().insert("content-type", "application/json".parse().unwrap());
    response
}

async fn handle(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or("").to_owned();
    Ok(match (request.method().as_str(), path.as_str()) {
        ("GET", "/hello") => {
            let name = query
                .split('&')
                .find_map(|pair| pair.strip_prefix("name="))
                .filter(|name| !name.is_empty())
                .unwrap_or("world");
            json(StatusCode::OK, &Greeting { greeting: format!("hello, {name}") })
        }
        ("POST", "/stats") => {
            let body = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            match serde_json::from_slice::<Vec<f64>>(&body) {
                Ok(numbers) if !numbers.is_empty() => {
                    let count = numbers.len();
                    let mean = numbers.iter().sum::<f64>() / count as f64;
                    let variance = numbers.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / count as f64;
                    let stats = Stats {
                        count,
                        mean,
                        min: numbers.iter().copied().fold(f64::INFINITY, f64::min),
                        max: numbers.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                        stddev: variance.sqrt(),
                    };
                    json(StatusCode::OK, &stats)
                }
                _ => json(StatusCode::BAD_REQUEST, &Greeting { greeting: "expected numbers".into() }),
            }
        }
        _ => json(StatusCode::NOT_FOUND, &Greeting { greeting: format!("no route for {path}") }),
    })
}

#[tokio::main]
async fn main() {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:0".into());
    let listener = tokio::net::TcpListener::bind(&address).await.expect("binding");
    println!("{}", listener.local_addr().unwrap());
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        tokio::spawn(async move {
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service_fn(handle)).await;
        });
    }
}
