//! The route table (the single list the router is built from and the OpenAPI test checks),
//! bearer-token authentication, request counting, and JSON answers for unknown routes/methods.

use super::classify::{classify, classify_bulk};
use super::error::RequestError;
use super::health::{health, live, metrics};
use super::state::ApiState;
use super::{annotations, audit, clusters, compare, jobs};
use axum::extract::{DefaultBodyLimit, FromRequestParts, MatchedPath, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{header, Method, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put, MethodRouter};
use axum::Router;

/// One documented route.
pub struct Route {
    pub method: Method,
    /// The path in axum / OpenAPI template syntax (`/v1/jobs/{name}`).
    pub path: &'static str,
    /// Whether the bearer token (when configured) is required.
    pub auth: bool,
    pub handler: MethodRouter<ApiState>,
}

fn route(method: Method, path: &'static str, auth: bool, handler: MethodRouter<ApiState>) -> Route {
    Route { method, path, auth, handler }
}

/// A body limit: [`DefaultBodyLimit`] for bodies sent without a length, and a check of the
/// `Content-Length` header before any of the body is read, so an announced over-limit body gets
/// its 413 at once instead of the server waiting for bytes it will refuse.
fn limited(handler: MethodRouter<ApiState>, limit: usize) -> MethodRouter<ApiState> {
    handler.layer(DefaultBodyLimit::max(limit)).layer(middleware::from_fn(move |req: Request, next: Next| async move {
        let announced = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        match announced {
            Some(n) if n > limit as u64 => RequestError::BodyTooLarge { limit }.into_response(),
            _ => next.run(req).await,
        }
    }))
}

/// Every route the API serves. Adding a route here without documenting it in
/// `api/openapi.json` fails the `api_openapi` test.
pub fn route_table(state: &ApiState) -> Vec<Route> {
    let cfg = state.config();
    vec![
        route(Method::GET, "/health", false, get(health)),
        route(Method::GET, "/health/live", false, get(live)),
        route(Method::GET, "/metrics", true, get(metrics)),
        route(Method::POST, "/v1/classify", true, limited(post(classify), cfg.max_body_bytes)),
        route(Method::GET, "/v1/clusters", true, get(clusters::list)),
        route(Method::GET, "/v1/clusters/{id}", true, get(clusters::get_cluster)),
        route(Method::PUT, "/v1/clusters/{id}/annotation", true, limited(put(annotations::put), cfg.max_body_bytes)),
        route(Method::GET, "/v1/compare", true, get(compare::compare)),
        route(Method::GET, "/v1/audit/rare", true, get(audit::rare)),
        route(Method::GET, "/v1/jobs", true, get(jobs::list)),
        route(Method::GET, "/v1/jobs/{name}", true, get(jobs::get_job)),
        route(Method::POST, "/v1/jobs/{name}/run", true, limited(post(jobs::run), cfg.max_body_bytes)),
        route(Method::POST, "/v1/jobs/{name}/cancel", true, limited(post(jobs::cancel), cfg.max_body_bytes)),
        route(Method::POST, "/v1/classify/_bulk", true, limited(post(classify_bulk), cfg.max_bulk_bytes)),
    ]
}

/// The `(method, path)` pairs of [`route_table`], for documentation checks.
pub fn route_list(state: &ApiState) -> Vec<(Method, &'static str)> {
    route_table(state).into_iter().map(|r| (r.method, r.path)).collect()
}

/// The complete router: routes, auth, request metrics, JSON fallbacks.
pub fn router(state: ApiState) -> Router {
    let mut open = Router::new();
    let mut protected = Router::new();
    for r in route_table(&state) {
        if r.auth {
            protected = protected.route(r.path, r.handler);
        } else {
            open = open.route(r.path, r.handler);
        }
    }
    let protected = protected.route_layer(middleware::from_fn_with_state(state.clone(), require_token));
    open.merge(protected)
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), count_requests))
        .with_state(state)
}

/// Compares without an early exit, so response time does not reveal a prefix of the token.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn require_token(State(state): State<ApiState>, req: Request, next: Next) -> Response {
    let Some(expected) = state.config().token.as_deref() else {
        return next.run(req).await;
    };
    let given = req.headers().get(header::AUTHORIZATION).map(|v| v.as_bytes());
    let Some(given) = given else {
        return RequestError::MissingToken.into_response();
    };
    let token = given.strip_prefix(b"Bearer ").or_else(|| given.strip_prefix(b"bearer ")).map(|t| t.trim_ascii());
    match token {
        Some(t) if same_secret(t, expected.as_bytes()) => next.run(req).await,
        _ => RequestError::InvalidToken.into_response(),
    }
}

async fn count_requests(State(state): State<ApiState>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let resp = next.run(req).await;
    let route = route.as_deref().unwrap_or("unmatched");
    state.metrics().api_requests.with(&[route, resp.status().as_str()]).inc();
    resp
}

async fn unknown_route(method: Method, uri: Uri) -> RequestError {
    RequestError::UnknownRoute { method: method.to_string(), path: uri.path().to_owned() }
}

async fn method_not_allowed(method: Method, uri: Uri) -> RequestError {
    RequestError::MethodNotAllowed { method: method.to_string(), path: uri.path().to_owned() }
}

/// A route's one path parameter (`{name}`, `{id}`) as text. A segment that is not UTF-8 once
/// percent-decoded (`/v1/jobs/%FF`) names nothing that exists: it is kept, lossily decoded, so the
/// handler answers its own JSON 404 (`unknown_job`, `unknown_cluster`) instead of axum's
/// plain-text 400.
pub struct PathParam(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathParam {
    type Rejection = RequestError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Ok(Path(s)) = Path::<String>::from_request_parts(parts, state).await {
            return Ok(PathParam(s));
        }
        let unknown =
            || RequestError::UnknownRoute { method: parts.method.to_string(), path: parts.uri.path().to_owned() };
        let matched = parts.extensions.get::<MatchedPath>().ok_or_else(unknown)?;
        let at = matched.as_str().split('/').position(|seg| seg.starts_with('{')).ok_or_else(unknown)?;
        let raw = parts.uri.path().split('/').nth(at).ok_or_else(unknown)?;
        Ok(PathParam(percent_decode_lossy(raw)))
    }
}

/// `%XX` escapes decoded, bytes that are not UTF-8 replaced by U+FFFD.
fn percent_decode_lossy(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (b[i], b.get(i + 1).copied().and_then(hex), b.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn path_segments_decode_lossily() {
        assert_eq!(super::percent_decode_lossy("remine%2Dall"), "remine-all");
        assert_eq!(super::percent_decode_lossy("%FFx%"), "\u{FFFD}x%");
        assert_eq!(super::percent_decode_lossy("%e2%82%ac%zz"), "€%zz");
    }
}
