//! Starts the HTTP API on a free loopback port for a test, over a miner the test can also see.

use logsift::api::{ApiConfig, ApiServer, ApiState, SearchProbe, SourceEndpoint};
use logsift::engine::{EngineConfig, Miner};
use logsift::message::{ExtractConfig, Extractor, MessageSpec};
use logsift::metrics::Metrics;
use std::sync::{Arc, RwLock};

pub struct TestApi {
    pub base: String,
    pub miner: Arc<RwLock<Miner>>,
    pub metrics: Arc<Metrics>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

pub struct Options {
    pub token: Option<String>,
    pub max_body_bytes: usize,
    pub max_bulk_bytes: usize,
    pub message_field: String,
    pub probe: Option<SearchProbe>,
}

impl Default for Options {
    fn default() -> Self {
        let d = ApiConfig::default();
        Options {
            token: None,
            max_body_bytes: d.max_body_bytes,
            max_bulk_bytes: d.max_bulk_bytes,
            message_field: "message".into(),
            probe: None,
        }
    }
}

impl TestApi {
    pub async fn start(opts: Options) -> TestApi {
        let config = ApiConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            token: opts.token,
            max_body_bytes: opts.max_body_bytes,
            max_bulk_bytes: opts.max_bulk_bytes,
            ..ApiConfig::default()
        };
        let miner = Arc::new(RwLock::new(Miner::new(EngineConfig::default()).unwrap()));
        let metrics = Metrics::new();
        let extract = ExtractConfig { message: MessageSpec::Field(opts.message_field), ..ExtractConfig::default() };
        let extractor = Arc::new(Extractor::new(&extract).unwrap());
        let mut b =
            ApiState::builder(config, metrics.clone()).source(SourceEndpoint::new("ssh", miner.clone(), extractor));
        if let Some(p) = opts.probe {
            b = b.search_probe(p);
        }
        let server = ApiServer::bind(b.build()).await.unwrap();
        let base = format!("http://{}", server.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server
                .run(async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
        });
        TestApi { base, miner, metrics, stop: Some(tx), task: Some(task) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap();
        }
    }
}

/// The error code of a JSON error response.
pub async fn error_code(resp: reqwest::Response) -> String {
    let v: serde_json::Value = resp.json().await.expect("error bodies are JSON");
    v["error"]["code"].as_str().expect("error has a code").to_owned()
}
