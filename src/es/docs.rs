//! Single documents, bulk bodies built by the caller, whole-index scans, `_reindex` and `_tasks`:
//! the endpoints the jobs and the API need beside paging and the sidecar's bulk updates.

use super::reader::{spawn_readers, ReadEvent};
use super::search::{Hit, PagingMode, SearchSpec};
use super::{path_part, Body, EsClient, EsError, Idempotent};
use crate::shutdown::ShutdownController;
use elasticsearch::http::Method;
use serde_json::Value;

/// How a single-document write is guarded and made visible.
#[derive(Clone, Copy, Debug, Default)]
pub struct DocWrite {
    /// Fail with 409 if the document exists (`op_type=create`).
    pub create: bool,
    /// Fail with 409 unless the document is at this `(_seq_no, _primary_term)`.
    pub guard: Option<(i64, i64)>,
    /// Answer only once the write is searchable (`refresh=wait_for`).
    pub wait_for_refresh: bool,
}

impl DocWrite {
    fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if self.create {
            q.push(("op_type", "create".to_string()));
        }
        if let Some((seq, term)) = self.guard {
            q.push(("if_seq_no", seq.to_string()));
            q.push(("if_primary_term", term.to_string()));
        }
        if self.wait_for_refresh {
            q.push(("refresh", "wait_for".to_string()));
        }
        q
    }
}

fn doc_path(index: &str, id: &str) -> String {
    format!("/{}/_doc/{}", path_part(index), path_part(id))
}

const LENIENT: [(&str, &str); 2] = [("ignore_unavailable", "true"), ("allow_no_indices", "true")];

fn lenient() -> Vec<(&'static str, String)> {
    LENIENT.iter().map(|(k, v)| (*k, v.to_string())).collect()
}

impl EsClient {
    /// Writes `doc` whole as `index/_doc/id`; the answer carries `_seq_no`/`_primary_term`.
    /// Not resent after a failure that may have reached the server when guarded or `create`.
    pub async fn write_doc(&self, index: &str, id: &str, doc: &Value, how: DocWrite) -> Result<Value, EsError> {
        let idempotent = if how.create || how.guard.is_some() { Idempotent::No } else { Idempotent::Yes };
        self.request(Method::Put, &doc_path(index, id), &how.query(), Some(Body::Json(doc.clone())), idempotent).await
    }

    /// The whole `GET index/_doc/id` answer (`_source`, `_seq_no`, ...); 404 is an error.
    pub async fn get_doc(&self, index: &str, id: &str) -> Result<Value, EsError> {
        self.request(Method::Get, &doc_path(index, id), &[], None, Idempotent::Yes).await
    }

    /// Deletes `index/_doc/id` (guarded like [`EsClient::write_doc`]).
    pub async fn delete_doc(&self, index: &str, id: &str, how: DocWrite) -> Result<(), EsError> {
        self.request(Method::Delete, &doc_path(index, id), &how.query(), None, Idempotent::No).await.map(drop)
    }

    /// Sends an NDJSON bulk body the caller built; the whole answer (`items`, `errors`).
    pub async fn bulk_ndjson(&self, body: Vec<u8>, wait_for_refresh: bool) -> Result<Value, EsError> {
        let q: Vec<(&str, String)> =
            if wait_for_refresh { vec![("refresh", "wait_for".to_string())] } else { Vec::new() };
        self.request(Method::Post, "/_bulk", &q, Some(Body::NdJson(body)), Idempotent::Yes).await
    }

    /// One page of hits of a search body (size, sort, query set by the caller), as raw JSON
    /// hits; a missing index gives no hits.
    pub async fn search_hits(&self, index: &str, body: &Value) -> Result<Vec<Value>, EsError> {
        let path = format!("/{}/_search", path_part(index));
        let r = self.request(Method::Post, &path, &lenient(), Some(Body::Json(body.clone())), Idempotent::Yes).await?;
        Ok(r.pointer("/hits/hits").and_then(Value::as_array).cloned().unwrap_or_default())
    }

    /// Every document of `index` matching `query` (any number: scrolled through the one
    /// paging reader, not capped by `max_result_window`), with `source_fields` of `_source`
    /// (all when empty). A missing index gives none.
    pub async fn scan_all(&self, index: &str, query: Value, source_fields: Vec<String>) -> Result<Vec<Hit>, EsError> {
        if !self.index_exists(index).await? {
            return Ok(Vec::new());
        }
        let info = self.server_info().await?;
        let spec = SearchSpec { indices: index.to_string(), query, source_fields, page_size: 1000, slice: None };
        let stop = ShutdownController::new();
        let mut pages = spawn_readers(self, &info, spec, PagingMode::Scroll, 1, 1, stop.listener());
        let mut out = Vec::new();
        let mut failure = None;
        while let Some(ev) = pages.recv().await {
            match ev {
                ReadEvent::Page(p) => out.extend(p),
                ReadEvent::Failed { error, .. } => failure = Some(error),
            }
        }
        drop(pages);
        stop.shutdown().await;
        failure.map_or(Ok(out), Err)
    }

    /// Whether `index` (a name, alias or pattern) matches anything.
    pub async fn index_exists(&self, index: &str) -> Result<bool, EsError> {
        match self.request(Method::Head, &format!("/{}", path_part(index)), &[], None, Idempotent::Yes).await {
            Ok(_) => Ok(true),
            Err(e) if e.status() == Some(404) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `GET index/_mapping`: mappings per concrete index; `None` for a missing index.
    pub async fn get_mapping(&self, index: &str) -> Result<Option<Value>, EsError> {
        match self.request(Method::Get, &format!("/{}/_mapping", path_part(index)), &[], None, Idempotent::Yes).await {
            Ok(r) => Ok(Some(r)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST _reindex` with `body`: as a task (`wait = false`: the answer names the task, or is
    /// the finished copy on a server that ignores it) or synchronously (refreshing the destination).
    pub async fn reindex(&self, body: &Value, requests_per_second: &str, wait: bool) -> Result<Value, EsError> {
        let mut q =
            vec![("wait_for_completion", wait.to_string()), ("requests_per_second", requests_per_second.to_string())];
        if wait {
            q.push(("refresh", "true".to_string()));
        }
        self.request(Method::Post, "/_reindex", &q, Some(Body::Json(body.clone())), Idempotent::Yes).await
    }

    /// `GET _tasks/{id}`.
    pub async fn task(&self, id: &str) -> Result<Value, EsError> {
        self.request(Method::Get, &format!("/_tasks/{}", path_part(id)), &[], None, Idempotent::Yes).await
    }

    /// `POST _tasks/{id}/_cancel`.
    pub async fn cancel_task(&self, id: &str) -> Result<(), EsError> {
        self.request(Method::Post, &format!("/_tasks/{}/_cancel", path_part(id)), &[], None, Idempotent::Yes)
            .await
            .map(drop)
    }
}
