//! `POST /v1/classify` and `POST /v1/classify/_bulk`: a message (or a log document) in, its
//! cluster out, from the live engine the sidecar labels documents with.
//!
//! By default a request *learns*: the message is added to the miner exactly as the sidecar adds
//! a document's message, so it gets the id the sidecar writes for that message (a new message
//! creates its cluster). `?learn=false` only classifies: an unseen message gets `cluster_id: null`.

use super::document::message_of;
use super::error::RequestError;
use super::live::Labelled;
use super::state::{ApiState, SourceEndpoint};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Query parameters of both classify endpoints.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifyQuery {
    /// Which source's engine and extraction to use (default: the first source).
    pub source: Option<String>,
    /// Learn from the message (default true) or only classify it.
    pub learn: Option<bool>,
}

/// The answer for one message.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct ClassifyResponse {
    /// The cluster id as the sidecar writes it into `logsift.cluster_id` (a decimal string);
    /// `null` only with `learn=false` for a message no cluster matches.
    pub cluster_id: Option<String>,
    pub template: Option<String>,
    pub params: Vec<String>,
}

impl ClassifyResponse {
    fn new(src: &SourceEndpoint, l: Option<Labelled>) -> Self {
        match l {
            Some(l) => ClassifyResponse {
                cluster_id: Some(src.format_id(l.cluster_id)),
                template: Some(l.template),
                params: l.params,
            },
            None => ClassifyResponse { cluster_id: None, template: None, params: Vec::new() },
        }
    }
}

/// Maps axum's body rejection onto our JSON errors (413 for an over-limit body).
pub(crate) fn body_or_error(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<Bytes, RequestError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            RequestError::BodyTooLarge { limit }
        } else {
            RequestError::BadBody(e.body_text())
        }
    })
}

pub(crate) fn query_or_error<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, RequestError> {
    q.map(|Query(t)| t).map_err(|e| RequestError::InvalidQuery(e.body_text()))
}

fn resolve<'a>(state: &'a ApiState, q: &ClassifyQuery) -> Result<&'a SourceEndpoint, RequestError> {
    state.source(q.source.as_deref()).ok_or_else(|| match &q.source {
        Some(n) => RequestError::UnknownSource(n.clone()),
        None => RequestError::Unavailable("no source is configured".into()),
    })
}

/// Parses one JSON body or NDJSON line and checks that it yields a message.
fn parse_message(bytes: &[u8], src: &SourceEndpoint) -> Result<Value, RequestError> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| RequestError::InvalidJson(e.to_string()))?;
    message_of(&doc, &src.extractor)?;
    Ok(doc)
}

fn not_ready() -> RequestError {
    RequestError::Unavailable("the engine is not loaded yet (restoring its state); try again shortly".into())
}

fn mode(learn: bool) -> &'static str {
    if learn {
        "learn"
    } else {
        "classify"
    }
}

pub async fn classify(
    State(state): State<ApiState>,
    query: Result<Query<ClassifyQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ClassifyResponse>, RequestError> {
    let q = query_or_error(query)?;
    let body = body_or_error(body, state.config().max_body_bytes)?;
    let src = resolve(&state, &q)?;
    let doc = parse_message(&body, src)?;
    let message = message_of(&doc, &src.extractor)?;
    let learn = q.learn.unwrap_or(true);
    let labelled = if learn { src.engine.learn(&message).map(Some) } else { src.engine.classify(&message) }
        .map_err(|_| not_ready())?;
    state.metrics().api_classified.with(&[&src.name, mode(learn)]).inc();
    Ok(Json(ClassifyResponse::new(src, labelled)))
}

/// One output line of the bulk endpoint: the answer, or the error of that input line.
#[derive(Serialize)]
#[serde(untagged)]
enum BulkLine {
    Ok(ClassifyResponse),
    Err { error: super::error::ErrorDetail, line: usize },
}

pub async fn classify_bulk(
    State(state): State<ApiState>,
    query: Result<Query<ClassifyQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, RequestError> {
    let q = query_or_error(query)?;
    let body = body_or_error(body, state.config().max_bulk_bytes)?;
    let src = resolve(&state, &q)?.clone();
    let learn = q.learn.unwrap_or(true);
    let metrics = state.metrics().clone();
    // Parsing and mining a large batch is CPU work: keep it off the async executor.
    let out = tokio::task::spawn_blocking(move || bulk_lines(&body, &src, learn, &metrics))
        .await
        .map_err(|e| RequestError::Internal(format!("bulk worker failed: {e}")))?
        .map_err(|_| not_ready())?;
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], out).into_response())
}

fn bulk_lines(
    body: &[u8],
    src: &SourceEndpoint,
    learn: bool,
    metrics: &crate::metrics::Metrics,
) -> Result<String, super::live::NotReady> {
    // Input lines (1-based numbers), skipping blank ones; each parsed or failed.
    let parsed: Vec<(usize, Result<Value, RequestError>)> = body
        .split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
        .map(|(i, l)| (i + 1, parse_message(l, src)))
        .collect();
    let messages: Vec<std::borrow::Cow<'_, str>> =
        parsed.iter().filter_map(|(_, r)| r.as_ref().ok()).filter_map(|d| message_of(d, &src.extractor).ok()).collect();
    let refs: Vec<&str> = messages.iter().map(|m| m.as_ref()).collect();
    let mut labelled = if learn {
        src.engine.learn_many(&refs)?.into_iter().map(Some).collect::<Vec<_>>()
    } else {
        refs.iter().map(|m| src.engine.classify(m)).collect::<Result<Vec<_>, _>>()?
    }
    .into_iter();
    metrics.api_classified.with(&[&src.name, mode(learn)]).add(refs.len() as u64);
    let mut out = String::with_capacity(parsed.len() * 96);
    for (line, r) in parsed {
        let item = match r {
            Ok(_) => BulkLine::Ok(ClassifyResponse::new(src, labelled.next().flatten())),
            Err(e) => BulkLine::Err { error: e.body().error, line },
        };
        // Serialising our own plain structs cannot fail.
        out.push_str(&serde_json::to_string(&item).unwrap_or_default());
        out.push('\n');
    }
    Ok(out)
}
