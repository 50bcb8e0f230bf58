//! The Hugging Face Hub's download API over collections, so that unmodified model tools (`huggingface_hub`'s
//! `hf_hub_download` and `snapshot_download` with `HF_ENDPOINT=<gateway>`) fetch published models from the
//! edge. A model is named `<any org>/<collection id>` and its revisions are `main` or the collection id itself:
//! a collection never changes, so every revision of one name is the same files.
//!
//! - `GET /api/models/{org}/{name}` and `/api/models/{org}/{name}/revision/{revision}`: the model's info, with
//!   `sha` (the collection id, which clients use as the commit) and `siblings` (every file, with its size);
//! - `HEAD`/`GET /{org}/{name}/resolve/{revision}/{path}`: a file, with the headers the client relies on
//!   (`X-Repo-Commit`, `ETag`: the file's content id, `Content-Length`), ranges for resumed downloads.
//!
//! Files are served as content ([`crate::gateway`]): complete and verified against their content id, which the
//! manifest names, so a byte served is a byte of the collection.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, Method, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use enreach_dts::{
    collection::{self, CollectionFailure},
    store::{parse_content_id, ContentHash},
};
use enreach_primitives::Collection;

use crate::gateway::{serve_content, Gateway};

/// The routes, merged into the gateway's.
pub(crate) fn routes() -> Router<Gateway> {
    Router::new()
        .route("/api/models/{org}/{name}", get(info))
        .route("/api/models/{org}/{name}/revision/{revision}", get(info_at))
        .route(
            "/{org}/{name}/resolve/{revision}/{*path}",
            get(resolve).head(resolve),
        )
}

/// Manifests read, by collection id: a collection never changes, so each is read and decoded once, not at every
/// request (a `snapshot_download` of N files asks for it 2N times), and a stranger's requests for content that
/// is not a collection cost a 22-byte read.
#[derive(Default)]
pub(crate) struct Manifests(Mutex<HashMap<ContentHash, Arc<Collection>>>);

/// Manifests kept in memory: the models being pulled now.
const MANIFESTS_KEPT: usize = 256;

impl Manifests {
    fn get(&self, id: &ContentHash) -> Option<Arc<Collection>> {
        self.lock().get(id).cloned()
    }

    fn insert(&self, id: ContentHash, collection: Arc<Collection>) {
        let mut kept = self.lock();
        if kept.len() >= MANIFESTS_KEPT {
            // Any one goes: a model still in use is read again once.
            if let Some(old) = kept.keys().next().copied() {
                kept.remove(&old);
            }
        }
        kept.insert(id, collection);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ContentHash, Arc<Collection>>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The collection a model name and revision name, read from its verified manifest.
async fn collection(
    gateway: &Gateway,
    name: &str,
    revision: &str,
) -> Result<(ContentHash, Arc<Collection>), Response> {
    let not_found = |what: &str| {
        (
            StatusCode::NOT_FOUND,
            [("x-error-code", "RepoNotFound")],
            format!("{what}\n"),
        )
            .into_response()
    };
    let Some(id) = parse_content_id(name) else {
        return Err(not_found("models are named <org>/<collection id>"));
    };
    if revision != "main" && parse_content_id(revision) != Some(id) {
        return Err(not_found("a collection's revisions are main and its id"));
    }
    if let Some(collection) = gateway.manifests().get(&id) {
        return Ok((id, collection));
    }
    let manifest = gateway.held(id).await?;
    match tokio::task::spawn_blocking(move || collection::manifest_of(&manifest)).await {
        Ok(Ok(collection)) => {
            let collection = Arc::new(collection);
            gateway.manifests().insert(id, collection.clone());
            Ok((id, collection))
        }
        Ok(Err(CollectionFailure::Read(..))) | Err(_) => {
            Err((StatusCode::INTERNAL_SERVER_ERROR, "reading the manifest\n").into_response())
        }
        Ok(Err(_)) => Err(not_found("not a collection")),
    }
}

async fn info(
    State(gateway): State<Gateway>,
    Path((org, name)): Path<(String, String)>,
) -> Response {
    model_info(&gateway, &org, &name, "main").await
}

async fn info_at(
    State(gateway): State<Gateway>,
    Path((org, name, revision)): Path<(String, String, String)>,
) -> Response {
    model_info(&gateway, &org, &name, &revision).await
}

async fn model_info(gateway: &Gateway, org: &str, name: &str, revision: &str) -> Response {
    let (id, collection) = match collection(gateway, name, revision).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let siblings: Vec<serde_json::Value> = collection
        .files()
        .iter()
        .map(|f| serde_json::json!({"rfilename": f.path, "size": f.size}))
        .collect();
    let info = serde_json::json!({
        "_id": id.to_hex().as_str(),
        "id": format!("{org}/{name}"),
        "modelId": format!("{org}/{name}"),
        "sha": id.to_hex().as_str(),
        "siblings": siblings,
        "private": false,
        "gated": false,
        "disabled": false,
        "tags": [],
        "downloads": 0,
        "likes": 0,
        "usedStorage": collection.total_size().unwrap_or(u64::MAX),
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        info.to_string(),
    )
        .into_response()
}

async fn resolve(
    State(gateway): State<Gateway>,
    method: Method,
    headers: HeaderMap,
    Path((_org, name, revision, path)): Path<(String, String, String, String)>,
) -> Response {
    let (id, collection) = match collection(&gateway, &name, &revision).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some(file) = collection.file(&path) else {
        return (
            StatusCode::NOT_FOUND,
            [("x-error-code", "EntryNotFound")],
            "no such file in the collection\n",
        )
            .into_response();
    };
    let extra = [("x-repo-commit", id.to_hex().to_string())];
    serve_content(
        &gateway,
        ContentHash::from_bytes(file.content.0),
        &method,
        &headers,
        &extra,
    )
    .await
}
