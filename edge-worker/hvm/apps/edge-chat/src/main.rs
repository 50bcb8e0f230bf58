//! Answers a prompt with a language model the edge node holds, through PeerHVM's `enreach:ai/inference`.
//!
//! `POST /generate?model=<collection id>&max=<tokens>` with the prompt as the body answers
//! `{"model": .., "tokens": [..], "text": ..}`. Its tokens are bytes, as for the tiny test model (a vocabulary of
//! 256); an app for a larger model would carry that model's tokenizer here, in its own metered sandbox.
use serde::Serialize;
use wstd::http::{Body, Error, Request, Response, StatusCode};

wit_bindgen::generate!({
    path: "../../wit",
    world: "enreach:ai/inference-app",
});

use enreach::ai::inference;

/// Most tokens one request asks for.
const MAX_NEW: u32 = 64;

#[wstd::http_server]
async fn main(request: Request<Body>) -> Result<Response<Body>, Error> {
    let query = request.uri().query().unwrap_or("").to_owned();
    if (request.method().as_str(), request.uri().path()) != ("POST", "/generate") {
        return problem(StatusCode::NOT_FOUND, "POST /generate?model=<id>&max=<n>".into());
    }
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
            .map(str::to_owned)
    };
    let Some(model) = param("model") else {
        return problem(StatusCode::BAD_REQUEST, "name a model: ?model=<collection id>".into());
    };
    let max_new = param("max")
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(16)
        .min(MAX_NEW);
    let prompt = request.into_body().contents().await?.to_vec();
    let tokens: Vec<u32> = prompt.iter().map(|b| u32::from(*b)).collect();
    match inference::generate(&model, &tokens, max_new) {
        Ok(tokens) => {
            let bytes: Vec<u8> = tokens.iter().map(|t| *t as u8).collect();
            let answer = Answer {
                model,
                text: String::from_utf8_lossy(&bytes).into_owned(),
                tokens,
            };
            let mut response = Response::new(Body::from_json(&answer)?);
            response
                .headers_mut()
                .insert("content-type", "application/json".parse()?);
            Ok(response)
        }
        Err(reason) => problem(StatusCode::UNPROCESSABLE_ENTITY, reason),
    }
}

#[derive(Serialize)]
struct Answer {
    model: String,
    tokens: Vec<u32>,
    text: String,
}

fn problem(status: StatusCode, error: String) -> Result<Response<Body>, Error> {
    #[derive(Serialize)]
    struct Problem {
        error: String,
    }
    let mut response = Response::new(Body::from_json(&Problem { error })?);
    *response.status_mut() = status;
    Ok(response)
}
