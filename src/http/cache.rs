//! A cache of search responses, bounded in bytes.
//!
//! A broad search on a million documents (`servicios profesionales` matches two thirds of
//! them) costs tens of milliseconds of CPU however it is written, because the total and the
//! facets need every match. The same first pages are asked for again and again, so the
//! serialised answers are kept, keyed by the validated search and the index generation: a
//! commit (an import or a harvest) changes the generation, and older answers are never
//! served again; they age out of the LRU order.

use std::sync::Mutex;

use axum::body::Bytes;
use lru::LruCache;

/// Search responses by key, at most `limit` bytes in all.
pub struct ResponseCache {
    inner: Mutex<Inner>,
    limit: usize,
}

struct Inner {
    map: LruCache<String, Bytes>,
    bytes: usize,
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
        }
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
}
