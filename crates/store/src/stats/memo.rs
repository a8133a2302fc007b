//! Computed figures kept by key and statistics generation. A figure whose generation moved
//! is recomputed on the request — unless computing it took longer than [`SLOW_MS`] last
//! time (national figures on a large database): then the last figure is served at once,
//! marked with when it was computed, while one background task computes the new one
//! (stale-while-revalidate, one task per key). On a small database every figure is fresh.

use crate::Result;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};

/// Above this, a stale figure is served while the new one is computed behind it.
pub const SLOW_MS: i64 = 1000;
/// At most this many figures are kept (then all are dropped).
const MAX: usize = 256;

struct Entry<T> {
    generation: i64,
    took_ms: i64,
    value: T,
}

pub(crate) struct Memo<T> {
    map: Mutex<HashMap<String, Entry<T>>>,
    running: Mutex<HashSet<String>>,
}

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Memo {
            map: Mutex::new(HashMap::new()),
            running: Mutex::new(HashSet::new()),
        }
    }
}

impl<T: Clone + Send + Sync + 'static> Memo<T> {
    /// The figure for `key` at `generation`, computed by `compute` when needed.
    pub(crate) async fn get<Fut>(
        self: &Arc<Self>,
        key: String,
        generation: i64,
        compute: impl Fn() -> Fut,
    ) -> Result<T>
    where
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        let known = self.map.lock().ok().and_then(|m| {
            m.get(&key)
                .map(|e| (e.generation == generation, e.took_ms, e.value.clone()))
        });
        tracing::debug!(
            key = key.as_str(),
            generation,
            known = ?known.as_ref().map(|k| (k.0, k.1)),
            "statistics memo"
        );
        match known {
            Some((true, _, v)) => return Ok(v),
            Some((false, took, v)) if took > SLOW_MS => {
                let first = self.running.lock().is_ok_and(|mut r| r.insert(key.clone()));
                if first {
                    let me = self.clone();
                    let fut = compute();
                    tokio::spawn(async move {
                        let started = std::time::Instant::now();
                        match fut.await {
                            Ok(v) => me.put(key.clone(), generation, started, v),
                            Err(e) => tracing::warn!(error = %e, "statistics refresh failed"),
                        }
                        if let Ok(mut r) = me.running.lock() {
                            r.remove(&key);
                        }
                    });
                }
                return Ok(v);
            }
            _ => {}
        }
        let started = std::time::Instant::now();
        let v = compute().await?;
        self.put(key, generation, started, v.clone());
        Ok(v)
    }

    fn put(&self, key: String, generation: i64, started: std::time::Instant, value: T) {
        if let Ok(mut m) = self.map.lock() {
            if m.len() >= MAX {
                m.clear();
            }
            m.insert(
                key,
                Entry {
                    generation,
                    took_ms: started.elapsed().as_millis() as i64,
                    value,
                },
            );
        }
    }
}
