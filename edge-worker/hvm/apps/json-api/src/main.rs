//! A small JSON API run at the edge by PeerHVM: any `wasi:http/proxy` component works the same way; this one is
//! the README's example (write, build, deploy, call).
//!
//! - `GET /hello?name=Ada` answers `{"greeting":"hello, Ada"}`;
//! - `POST /stats` with a JSON array of numbers answers their count, mean, minimum, maximum and standard
//!   deviation;
//! - `GET /now` answers the time and a random number as the sandbox gives them: seeded per request, so that a
//!   keeper replaying the request sees the same answer.
use serde::Serialize;
use wstd::http::{Body, Error, Request, Response, StatusCode};

#[wstd::http_server]
async fn main(request: Request<Body>) -> Result<Response<Body>, Error> {
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or("").to_owned();
    match (request.method().as_str(), path.as_str()) {
        ("GET", "/hello") => hello(&query),
        ("POST", "/stats") => stats(request).await,
        ("GET", "/now") => now(),
        _ => reply(
            StatusCode::NOT_FOUND,
            &Problem {
                error: format!("no route for {path}"),
            },
        ),
    }
}

#[derive(Serialize)]
struct Problem {
    error: String,
}

fn reply<T: Serialize>(status: StatusCode, value: &T) -> Result<Response<Body>, Error> {
    let mut response = Response::new(Body::from_json(value)?);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", "application/json".parse()?);
    Ok(response)
}

fn hello(query: &str) -> Result<Response<Body>, Error> {
    let name = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("name="))
        .filter(|name| !name.is_empty())
        .unwrap_or("world");
    #[derive(Serialize)]
    struct Greeting {
        greeting: String,
    }
    reply(
        StatusCode::OK,
        &Greeting {
            greeting: format!("hello, {name}"),
        },
    )
}

#[derive(Serialize)]
struct Stats {
    count: usize,
    mean: f64,
    min: f64,
    max: f64,
    stddev: f64,
}

async fn stats(request: Request<Body>) -> Result<Response<Body>, Error> {
    let mut body = request.into_body();
    let numbers: Vec<f64> = match body.json().await {
        Ok(numbers) => numbers,
        Err(e) => {
            let problem = Problem {
                error: format!("expected a JSON array of numbers: {e}"),
            };
            return reply(StatusCode::BAD_REQUEST, &problem);
        }
    };
    if numbers.is_empty() {
        let problem = Problem {
            error: "expected at least one number".into(),
        };
        return reply(StatusCode::BAD_REQUEST, &problem);
    }
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
    reply(StatusCode::OK, &stats)
}

fn now() -> Result<Response<Body>, Error> {
    let unix_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let mut random = [0u8; 8];
    wstd::rand::get_random_bytes(&mut random);
    #[derive(Serialize)]
    struct Now {
        unix_ms: u64,
        random: u64,
    }
    reply(
        StatusCode::OK,
        &Now {
            unix_ms,
            random: u64::from_le_bytes(random),
        },
    )
}
