//! One shutdown mechanism for every task logsift starts (after mini-redis's `Shutdown`).
//!
//! A [`ShutdownController`] hands out [`Shutdown`] listeners. Each task holds one: it checks
//! [`Shutdown::is_shutdown`] or awaits [`Shutdown::recv`] in its loop, and dropping it (the task
//! ending) tells the controller that the task is done. [`ShutdownController::shutdown`] signals
//! every listener and waits until all of them are dropped, so nothing the controller's owner
//! started is left running (a reader's scroll is closed before the process exits).

use tokio::sync::{mpsc, watch};

/// A task's view of the shutdown signal; dropping it reports the task as finished.
#[derive(Clone, Debug)]
pub struct Shutdown {
    signal: watch::Receiver<bool>,
    _done: mpsc::Sender<()>,
}

impl Shutdown {
    /// Whether shutdown has been signalled.
    pub fn is_shutdown(&self) -> bool {
        *self.signal.borrow()
    }

    /// Completes once shutdown is signalled (at once if it already was).
    pub async fn recv(&mut self) {
        // An error means the controller is gone, which also means: stop.
        let _ = self.signal.wait_for(|stop| *stop).await;
    }
}

/// Signals shutdown and waits for every [`Shutdown`] it handed out to be dropped.
#[derive(Debug)]
pub struct ShutdownController {
    signal: watch::Sender<bool>,
    done_tx: mpsc::Sender<()>,
    done_rx: mpsc::Receiver<()>,
}

impl Default for ShutdownController {
    fn default() -> Self {
        ShutdownController::new()
    }
}

impl ShutdownController {
    pub fn new() -> ShutdownController {
        let (signal, _) = watch::channel(false);
        let (done_tx, done_rx) = mpsc::channel(1);
        ShutdownController { signal, done_tx, done_rx }
    }

    /// A listener for one more task.
    pub fn listener(&self) -> Shutdown {
        Shutdown { signal: self.signal.subscribe(), _done: self.done_tx.clone() }
    }

    /// Signals shutdown to every listener without waiting (e.g. from a signal handler task
    /// that holds a [`ShutdownTrigger`]).
    pub fn trigger(&self) -> ShutdownTrigger {
        ShutdownTrigger(self.signal.clone())
    }

    /// Signals shutdown and waits until every listener has been dropped.
    pub async fn shutdown(self) {
        let ShutdownController { signal, done_tx, mut done_rx } = self;
        let _ = signal.send(true);
        drop(done_tx);
        // `None` once every sender (one per listener) is gone.
        let _ = done_rx.recv().await;
    }
}

/// Signals shutdown from elsewhere (cloneable, holds no listener).
#[derive(Clone, Debug)]
pub struct ShutdownTrigger(watch::Sender<bool>);

impl ShutdownTrigger {
    pub fn fire(&self) {
        let _ = self.0.send(true);
    }
}

/// Completes on SIGINT or SIGTERM (Ctrl-C only where there are no Unix signals).
pub async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn shutdown_waits_for_every_listener() {
        let controller = ShutdownController::new();
        let finished = Arc::new(AtomicBool::new(false));
        let mut l = controller.listener();
        let f = finished.clone();
        tokio::spawn(async move {
            l.recv().await;
            tokio::time::sleep(Duration::from_millis(50)).await; // cleaning up
            f.store(true, Ordering::SeqCst);
            drop(l);
        });
        assert!(!controller.listener().is_shutdown());
        controller.shutdown().await;
        assert!(finished.load(Ordering::SeqCst), "shutdown returned before the task finished");
    }

    #[tokio::test]
    async fn a_trigger_signals_listeners() {
        let controller = ShutdownController::new();
        let mut l = controller.listener();
        controller.trigger().fire();
        tokio::time::timeout(Duration::from_secs(1), l.recv()).await.expect("listener woken");
        assert!(l.is_shutdown());
    }
}
