//! `PUT /v1/clusters/{id}/annotation`: name, tag and note a cluster (see
//! [`crate::store::annotations`]); the answer is the annotation as stored. Needs the cluster
//! index (`logsift run`; 409 without one), 404 for an unknown cluster, 400 for a bad patch.

use super::classify::body_or_error;
use super::error::RequestError;
use super::routes::PathParam;
use super::state::ApiState;
use crate::store::annotations::{annotate, Annotation, AnnotationPatch};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::Json;
use serde::Serialize;

#[derive(Serialize)]
pub struct AnnotationView {
    pub cluster_id: String,
    pub annotation: Annotation,
}

pub async fn put(
    State(state): State<ApiState>,
    PathParam(id): PathParam,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<AnnotationView>, RequestError> {
    let body = body_or_error(body, state.config().max_body_bytes)?;
    let patch: AnnotationPatch = serde_json::from_slice(&body).map_err(|e| RequestError::InvalidJson(e.to_string()))?;
    patch.validate().map_err(|e| RequestError::InvalidDocument(e.to_string()))?;
    let Some(ci) = &state.inner.clusters else {
        return Err(RequestError::Conflict(
            "annotations are kept in the cluster index, which `logsift serve` has none of: use the API of `logsift run` or `logsift annotate`".into(),
        ));
    };
    match annotate(&ci.client, &ci.index, &id, &patch).await {
        Ok(Some(annotation)) => Ok(Json(AnnotationView { cluster_id: id, annotation })),
        Ok(None) => Err(RequestError::UnknownCluster(id)),
        Err(e) => Err(RequestError::Unavailable(format!("cluster index: {e}"))),
    }
}
