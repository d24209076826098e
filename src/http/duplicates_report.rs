//! The duplicate report of every entity, computed in the background.
//!
//! Scanning every entity of a million processes takes 10-20 s of CPU: too long for a
//! request, and the same answer for every request until the index changes. So a request
//! without `nit` is answered from a report of every entity (pairs from
//! [`REPORT_MIN_SCORE`](crate::dedup::REPORT_MIN_SCORE), both kinds), computed once per index
//! contents ([`crate::index::SecopIndex::contents_id`]) and time window on a thread of its
//! own, and filtered for the request ([`Scan::select`]). A request that finds no report for
//! the current contents starts one (one at a time) and waits a few seconds for it; if it is
//! not ready by then, the answer is a 503 whose `Retry-After` says when it should be. The
//! server starts the default report when it starts, so the first visitor usually finds it
//! ready.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::dedup::Scan;

/// Reports kept: one per time window asked for, of the newest index contents.
const MAX_KEPT: usize = 2;

/// What a finished computation hands its waiters: the report, or why it failed.
type Outcome = Option<Result<Arc<Scan>, String>>;

/// The reports of every entity, and the one being computed.
#[derive(Default)]
pub struct Reports {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Finished reports of the newest index contents seen, by time window.
    ready: Vec<(u64, u32, Arc<Scan>)>,
    /// The report being computed.
    running: Option<Running>,
    /// How long the last report took: the estimate for the next one.
    last_took: Option<Duration>,
    /// The index contents the newest request asked about: a report of other contents that
    /// finishes later answers its waiters but is not kept.
    latest: u64,
}

struct Running {
    contents: u64,
    window: u32,
    started: Instant,
    done: watch::Receiver<Outcome>,
}

/// What [`Reports::obtain`] found.
#[derive(Debug)]
pub enum Lookup {
    /// The report for the index contents and window asked for.
    Ready(Arc<Scan>),
    /// Not ready yet: a report has been computing for `running` (this one, or another
    /// window's, which goes first); retry after `retry_after`.
    Pending {
        /// How long the report being computed has been running.
        running: Duration,
        /// When it should be done (at least a second).
        retry_after: Duration,
    },
    /// The computation failed (logged); the next request starts it again.
    Failed(String),
}

impl Reports {
    /// The report for the index contents `contents` (their id) and `window`: ready, or
    /// started (unless another is computing) and awaited for at most `wait`. `compute` runs
    /// on a thread of its own; `estimate` is how long it should take when no report has been
    /// computed yet.
    pub async fn obtain(
        self: &Arc<Self>,
        contents: u64,
        window: u32,
        wait: Duration,
        estimate: Duration,
        compute: impl FnOnce() -> crate::Result<Scan> + Send + 'static,
    ) -> Lookup {
        let mut rx = {
            let mut inner = self.inner.lock().expect("reports lock");
            inner.latest = contents;
            if let Some(r) = inner.find(contents, window) {
                return Lookup::Ready(r);
            }
            match &inner.running {
                Some(r) if (r.contents, r.window) == (contents, window) => r.done.clone(),
                Some(r) => return inner.pending(r.started, estimate),
                None => match self.start(&mut inner, contents, window, compute) {
                    Ok(rx) => rx,
                    Err(e) => return Lookup::Failed(e),
                },
            }
        };
        let waited = tokio::time::timeout(wait, rx.wait_for(Option::is_some)).await;
        match waited {
            Ok(Ok(outcome)) => match outcome.clone().expect("waited for Some") {
                Ok(r) => Lookup::Ready(r),
                Err(e) => Lookup::Failed(e),
            },
            // The sender only goes away after sending, so a closed channel is a bug.
            Ok(Err(_)) => Lookup::Failed("the duplicate report stopped".into()),
            Err(_) => {
                let inner = self.inner.lock().expect("reports lock");
                match &inner.running {
                    Some(r) => inner.pending(r.started, estimate),
                    // It ended between the timeout and the lock.
                    None => match inner.find(contents, window) {
                        Some(r) => Lookup::Ready(r),
                        None => inner.pending(Instant::now(), estimate),
                    },
                }
            }
        }
    }

    /// Starts computing the report (nothing else is computing).
    fn start(
        self: &Arc<Self>,
        inner: &mut Inner,
        contents: u64,
        window: u32,
        compute: impl FnOnce() -> crate::Result<Scan> + Send + 'static,
    ) -> Result<watch::Receiver<Outcome>, String> {
        let (tx, rx) = watch::channel(None);
        let started = Instant::now();
        let reports = Arc::clone(self);
        let job = move || {
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(compute))
                .map_err(|_| "the duplicate report panicked".to_string())
                .and_then(|r| r.map_err(|e| e.to_string()))
                .map(Arc::new);
            reports.finish(contents, window, started, &outcome);
            let _ = tx.send(Some(outcome));
        };
        std::thread::Builder::new()
            .name("duplicates-report".into())
            .spawn(job)
            .map_err(|e| format!("cannot start the duplicate report: {e}"))?;
        inner.running = Some(Running {
            contents,
            window,
            started,
            done: rx.clone(),
        });
        Ok(rx)
    }

    /// Stores a finished report (unless requests have since asked about other index
    /// contents) and clears the running slot.
    fn finish(
        &self,
        contents: u64,
        window: u32,
        started: Instant,
        outcome: &Result<Arc<Scan>, String>,
    ) {
        let mut inner = self.inner.lock().expect("reports lock");
        inner.running = None;
        match outcome {
            Ok(r) => {
                let took = started.elapsed();
                inner.last_took = Some(took);
                tracing::info!(
                    contents,
                    window,
                    pairs = r.pairs.len(),
                    took_ms = took.as_millis() as u64,
                    "duplicate report ready"
                );
                if contents != inner.latest {
                    return;
                }
                inner
                    .ready
                    .retain(|(g, w, _)| *g == contents && *w != window);
                inner.ready.push((contents, window, Arc::clone(r)));
                if inner.ready.len() > MAX_KEPT {
                    inner.ready.remove(0);
                }
            }
            Err(e) => tracing::error!(contents, window, error = %e, "duplicate report failed"),
        }
    }

    /// Whether a report is being computed (for `/api/stats` and tests).
    pub fn computing(&self) -> bool {
        self.inner.lock().expect("reports lock").running.is_some()
    }
}

impl Inner {
    fn find(&self, contents: u64, window: u32) -> Option<Arc<Scan>> {
        self.ready
            .iter()
            .find(|(g, w, _)| (*g, *w) == (contents, window))
            .map(|(_, _, r)| Arc::clone(r))
    }

    fn pending(&self, started: Instant, estimate: Duration) -> Lookup {
        let running = started.elapsed();
        let total = self.last_took.unwrap_or(estimate);
        Lookup::Pending {
            running,
            retry_after: total
                .saturating_sub(running)
                .clamp(Duration::from_secs(1), Duration::from_secs(60)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::ScanStats;

    fn scan(found: u64) -> crate::Result<Scan> {
        Ok(Scan {
            pairs: Vec::new(),
            stats: ScanStats {
                found,
                ..ScanStats::default()
            },
            report: None,
        })
    }

    const WAIT: Duration = Duration::from_secs(5);
    const EST: Duration = Duration::from_secs(20);

    fn found(l: Lookup) -> u64 {
        match l {
            Lookup::Ready(s) => s.stats.found,
            other => panic!("not ready: {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_report_is_computed_once_per_generation_and_window() {
        let r = Arc::new(Reports::default());
        assert_eq!(found(r.obtain(1, 90, WAIT, EST, || scan(7)).await), 7);
        // Kept: the same generation and window does not compute again.
        let again = r
            .obtain(1, 90, WAIT, EST, || panic!("computed twice"))
            .await;
        assert_eq!(found(again), 7);
        // Another window, then a new generation: computed.
        assert_eq!(found(r.obtain(1, 30, WAIT, EST, || scan(3)).await), 3);
        assert_eq!(found(r.obtain(2, 90, WAIT, EST, || scan(8)).await), 8);
        // The older generation's reports are gone.
        assert_eq!(r.inner.lock().unwrap().ready.len(), 1);
    }

    #[tokio::test]
    async fn a_slow_report_answers_pending_then_ready() {
        let r = Arc::new(Reports::default());
        let (go, wait_go) = std::sync::mpsc::channel::<()>();
        let slow = move || {
            wait_go.recv().unwrap();
            scan(5)
        };
        let short = Duration::from_millis(50);
        match r.obtain(1, 90, short, EST, slow).await {
            Lookup::Pending { retry_after, .. } => {
                assert!(retry_after >= Duration::from_secs(19) && retry_after <= EST)
            }
            other => panic!("{other:?}"),
        }
        assert!(r.computing());
        // Another window waits for the running one and starts nothing.
        let other = r
            .obtain(1, 30, short, EST, || panic!("started a second report"))
            .await;
        assert!(matches!(other, Lookup::Pending { .. }), "{other:?}");
        // The same report: a later request waits for it.
        let r2 = Arc::clone(&r);
        let waiter = tokio::spawn(async move {
            r2.obtain(1, 90, WAIT, EST, || panic!("started twice"))
                .await
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        go.send(()).unwrap();
        assert_eq!(found(waiter.await.unwrap()), 5);
        assert!(!r.computing());
        // Its time is the estimate for the next one (at least a second).
        assert!(r.inner.lock().unwrap().last_took.unwrap() < EST);
    }

    #[tokio::test]
    async fn a_failed_or_panicking_report_is_reported_and_tried_again() {
        let r = Arc::new(Reports::default());
        let failed = r
            .obtain(1, 90, WAIT, EST, || {
                Err(crate::Error::Other("disk on fire".into()))
            })
            .await;
        assert!(
            matches!(&failed, Lookup::Failed(m) if m.contains("disk on fire")),
            "{failed:?}"
        );
        let panicked = r.obtain(1, 90, WAIT, EST, || panic!("boom")).await;
        assert!(
            matches!(&panicked, Lookup::Failed(m) if m.contains("panicked")),
            "{panicked:?}"
        );
        assert!(!r.computing());
        assert_eq!(found(r.obtain(1, 90, WAIT, EST, || scan(2)).await), 2);
    }
}
