//! A cache of search responses, bounded in bytes, with concurrent misses coalesced.
//!
//! A broad search on a million documents (`servicios profesionales` matches two thirds of
//! them) costs tens of milliseconds of CPU however it is written, because the total and the
//! facets need every match. The same first pages are asked for again and again, so the
//! serialised answers are kept, keyed by the validated search and the index generation: a
//! commit (an import or a harvest) changes the generation, and older answers are never
//! served again; they age out of the LRU order.
//!
//! When a popular search is not cached (the server just started, or a commit changed the
//! generation), the requests that ask for it at the same time wait for the first one's
//! answer instead of each computing it: 64 connections asking for the same broad search
//! cost one search, not 64.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use lru::LruCache;
use tokio::sync::OnceCell;

/// Search responses by key, at most `limit` bytes in all.
pub struct ResponseCache {
    inner: Mutex<Inner>,
    limit: usize,
    /// Answers being computed, by key: later requests for the same key wait on the cell.
    inflight: Mutex<HashMap<String, Arc<OnceCell<Bytes>>>>,
    hits: AtomicU64,
    misses: AtomicU64,
    shared: AtomicU64,
}

struct Inner {
    map: LruCache<String, Bytes>,
    bytes: usize,
}

/// Where an answer came from (the `x-cache` header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Stored earlier.
    Hit,
    /// Computed for this request.
    Miss,
    /// Computed for another request that asked for the same search at the same time.
    Shared,
}

impl Source {
    /// The header value: `hit`, `miss` or `shared`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Hit => "hit",
            Source::Miss => "miss",
            Source::Shared => "shared",
        }
    }
}

/// What the cache holds and how it has served (for `/api/stats`).
#[derive(Debug, Clone, Copy, serde::Serialize, PartialEq, Eq)]
pub struct CacheStats {
    /// Answers held.
    pub entries: usize,
    /// Bytes held (keys and answers).
    pub bytes: usize,
    /// The limit in bytes (0: the cache is off).
    pub limit_bytes: usize,
    /// Requests answered from the cache.
    pub hits: u64,
    /// Requests that ran their search.
    pub misses: u64,
    /// Requests that waited for the same search run by another request.
    pub shared: u64,
}

/// Takes a key's in-flight entry out when its computation ends or is abandoned (the client
/// went away, the request timed out), so the map never keeps dead entries.
struct InflightGuard<'a> {
    cache: &'a ResponseCache,
    key: &'a str,
    cell: Arc<OnceCell<Bytes>>,
}

impl Drop for InflightGuard<'_> {
    fn drop(&mut self) {
        let mut m = self.cache.lock_inflight();
        if m.get(self.key).is_some_and(|c| Arc::ptr_eq(c, &self.cell)) {
            m.remove(self.key);
        }
    }
}

impl ResponseCache {
    /// A cache of at most `limit` bytes; 0 disables it.
    pub fn new(limit: usize) -> ResponseCache {
        ResponseCache {
            inner: Mutex::new(Inner {
                map: LruCache::unbounded(),
                bytes: 0,
            }),
            limit,
            inflight: Mutex::new(HashMap::new()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            shared: AtomicU64::new(0),
        }
    }

    /// The answer for `key`: the stored one, the one another request is computing (waited
    /// for), or the result of `compute`, stored. Errors are not stored: the next request
    /// tries again.
    pub async fn get_or_compute<E, F, Fut>(
        &self,
        key: String,
        compute: F,
    ) -> Result<(Bytes, Source), E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Bytes, E>>,
    {
        if self.limit == 0 {
            self.misses.fetch_add(1, Ordering::Relaxed);
            return compute().await.map(|b| (b, Source::Miss));
        }
        if let Some(b) = self.get(&key) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok((b, Source::Hit));
        }
        let cell = self.lock_inflight().entry(key.clone()).or_default().clone();
        let guard = InflightGuard {
            cache: self,
            key: &key,
            cell: cell.clone(),
        };
        let mut ran = false;
        let r = cell
            .get_or_try_init(|| {
                ran = true;
                compute()
            })
            .await
            .cloned();
        let source = if ran { Source::Miss } else { Source::Shared };
        match source {
            Source::Shared => self.shared.fetch_add(1, Ordering::Relaxed),
            _ => self.misses.fetch_add(1, Ordering::Relaxed),
        };
        if let (Ok(b), Source::Miss) = (&r, source) {
            // Stored before the in-flight entry goes, so that no request in between
            // finds neither and computes again.
            self.put(key.clone(), b.clone());
        }
        drop(guard);
        r.map(|b| (b, source))
    }

    /// The answer stored for a key, marking it recently used.
    pub fn get(&self, key: &str) -> Option<Bytes> {
        if self.limit == 0 {
            return None;
        }
        self.lock().map.get(key).cloned()
    }

    /// Stores an answer, evicting the least recently used ones beyond the limit. An answer
    /// larger than an eighth of the cache is not kept.
    pub fn put(&self, key: String, body: Bytes) {
        let size = key.len() + body.len();
        if self.limit == 0 || size > self.limit / 8 {
            return;
        }
        let mut inner = self.lock();
        if let Some(old) = inner.map.put(key.clone(), body) {
            inner.bytes -= key.len() + old.len();
        }
        inner.bytes += size;
        while inner.bytes > self.limit {
            match inner.map.pop_lru() {
                Some((k, v)) => inner.bytes -= k.len() + v.len(),
                None => break,
            }
        }
    }

    /// Entries and bytes held.
    pub fn usage(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.map.len(), inner.bytes)
    }

    /// What the cache holds and how it has served.
    pub fn stats(&self) -> CacheStats {
        let (entries, bytes) = self.usage();
        CacheStats {
            entries,
            bytes,
            limit_bytes: self.limit,
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            shared: self.shared.load(Ordering::Relaxed),
        }
    }

    fn lock_inflight(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<OnceCell<Bytes>>>> {
        self.inflight.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent data (every update is whole).
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_in_bytes_and_least_recent_goes_first() {
        let c = ResponseCache::new(8 * 100);
        c.put("a".into(), Bytes::from(vec![0u8; 90]));
        c.put("b".into(), Bytes::from(vec![0u8; 90]));
        assert!(c.get("a").is_some()); // a is now the most recent
        for k in 0..7 {
            c.put(format!("k{k}"), Bytes::from(vec![0u8; 90]));
        }
        let (n, bytes) = c.usage();
        assert!(bytes <= 800, "{bytes}");
        assert_eq!(n, 8);
        assert!(c.get("b").is_none(), "the least recent was evicted");
        // Too large for the cache: not kept.
        c.put("big".into(), Bytes::from(vec![0u8; 200]));
        assert!(c.get("big").is_none());
        // Disabled.
        let off = ResponseCache::new(0);
        off.put("a".into(), Bytes::from_static(b"x"));
        assert!(off.get("a").is_none());
    }

    #[tokio::test]
    async fn concurrent_misses_run_the_search_once() {
        use std::sync::atomic::AtomicUsize;
        let c = Arc::new(ResponseCache::new(1 << 20));
        let runs = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (c, runs) = (c.clone(), runs.clone());
                tokio::spawn(async move {
                    c.get_or_compute("q".into(), || async {
                        runs.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        Ok::<_, ()>(Bytes::from_static(b"answer"))
                    })
                    .await
                    .unwrap()
                })
            })
            .collect();
        let mut sources = Vec::new();
        for t in tasks {
            let (body, source) = t.await.unwrap();
            assert_eq!(&body[..], b"answer");
            sources.push(source);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1, "one search for 16 requests");
        assert_eq!(sources.iter().filter(|s| **s == Source::Miss).count(), 1);
        let st = c.stats();
        assert_eq!((st.misses, st.shared + st.hits), (1, 15), "{st:?}");
        assert!(c.lock_inflight().is_empty());
        // Now stored.
        let (_, s) = c
            .get_or_compute("q".into(), || async { Err::<Bytes, ()>(()) })
            .await
            .unwrap();
        assert_eq!(s, Source::Hit);
    }

    #[tokio::test]
    async fn errors_and_abandoned_searches_are_not_kept() {
        let c = ResponseCache::new(1 << 20);
        let r = c
            .get_or_compute("q".into(), || async { Err::<Bytes, &str>("bad") })
            .await;
        assert_eq!(r, Err("bad"));
        assert!(c.get("q").is_none());
        // A request dropped while its search runs (client gone, timeout).
        let slow = c.get_or_compute("slow".into(), || async {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            Ok::<_, ()>(Bytes::new())
        });
        let _ = tokio::time::timeout(std::time::Duration::from_millis(20), slow).await;
        assert!(c.lock_inflight().is_empty(), "no dead in-flight entry");
        let (b, s) = c
            .get_or_compute("slow".into(), || async {
                Ok::<_, ()>(Bytes::from_static(b"x"))
            })
            .await
            .unwrap();
        assert_eq!((&b[..], s), (&b"x"[..], Source::Miss));
    }
}
