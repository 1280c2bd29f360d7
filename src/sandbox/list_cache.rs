//! A short-lived, single-flight cache of the engine's container list.
//!
//! `GET /api/v1/sandboxes` is the hottest read of the REST API, and Podman's container list
//! call alone tops out below the 10,000 requests/s lasso promises. The list changes rarely
//! and every lasso process reads labels (not this cache) for its decisions, so one answer can
//! serve a burst of readers:
//!
//! * an answer is reused for `ttl` (`[api].list_cache_ms`, 0 turns the cache off);
//! * once it is half that old, the first caller starts a refresh in the background and
//!   still gets the cached answer, so steady load never waits for the engine;
//! * concurrent callers with nothing usable share one engine call (single flight): they
//!   queue on one async lock and the followers take the answer stored while they waited,
//!   however old its fetch (a slow engine call is not followed by a second one);
//! * this process's own creates, stops, removes and restarts [`ListCache::invalidate`] it,
//!   and a fetch that started before an invalidation is never stored (a generation counter),
//!   so the process's own changes show in its very next list;
//! * errors are never stored or handed to another caller: each waiter then tries itself;
//! * a caller dropped mid-fetch releases the lock, and the next waiter fetches.
//!
//! It is generic over the value and the fetch so that the rules above are unit-tested with
//! a counting fetch and a manual clock instead of an engine.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A boxed fetch that may outlive its caller (background refreshes run in a task).
pub(crate) type Fetch<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'static>>;

/// Where "now" comes from; tests move it by hand.
pub(crate) type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

struct Stored<T> {
    value: T,
    /// When the fetch that produced it *started*: its age is never understated.
    fetched_at: Instant,
}

struct State<T> {
    stored: Option<Stored<T>>,
    /// Bumped by every invalidation; a fetch stores its answer only if it is unchanged.
    generation: u64,
    /// A background refresh is under way (at most one).
    refreshing: bool,
    /// Counts stored answers: a caller that waited for the lock knows whether one arrived.
    stores: u64,
}

/// The cache; share it behind an `Arc`.
pub(crate) struct ListCache<T> {
    ttl: Duration,
    clock: Clock,
    state: Mutex<State<T>>,
    /// Held by whoever is fetching; the single-flight point.
    fetching: Arc<tokio::sync::Mutex<()>>,
}

impl<T: Clone + Send + 'static> ListCache<T> {
    /// A cache reusing answers for `ttl` (zero: never reused).
    pub(crate) fn new(ttl: Duration) -> ListCache<T> {
        ListCache::with_clock(ttl, Arc::new(Instant::now))
    }

    pub(crate) fn with_clock(ttl: Duration, clock: Clock) -> ListCache<T> {
        ListCache {
            ttl,
            clock,
            state: Mutex::new(State {
                stored: None,
                generation: 0,
                refreshing: false,
                stores: 0,
            }),
            fetching: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<T>> {
        // Every update below is a single assignment, so a poisoned lock is consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets the stored answer and disowns fetches under way: the next caller asks anew.
    pub(crate) fn invalidate(&self) {
        let mut s = self.lock();
        s.stored = None;
        s.generation = s.generation.wrapping_add(1);
    }

    /// The stored answer if it is younger than the ttl, and whether it is past half of it.
    fn usable(&self, s: &State<T>) -> Option<(T, bool)> {
        let stored = s.stored.as_ref()?;
        let age = (self.clock)().saturating_duration_since(stored.fetched_at);
        (age < self.ttl).then(|| (stored.value.clone(), age >= self.ttl / 2))
    }

    /// Stores `value` fetched from `started` if no invalidation happened since `generation`.
    fn store(&self, generation: u64, started: Instant, value: &T) {
        let mut s = self.lock();
        if s.generation == generation {
            s.stored = Some(Stored {
                value: value.clone(),
                fetched_at: started,
            });
            s.stores = s.stores.wrapping_add(1);
        }
    }

    /// The list: cached when fresh enough, else from `fetch` (called at most once per call).
    pub(crate) async fn get<E, F>(self: &Arc<Self>, fetch: F) -> Result<T, E>
    where
        E: Send + 'static,
        F: FnOnce() -> Fetch<T, E>,
    {
        if self.ttl.is_zero() {
            return fetch().await;
        }
        // Fast path: a fresh answer; past half its life, the first caller also starts a
        // background refresh (only if no one is fetching right now).
        {
            let mut s = self.lock();
            if let Some((value, stale_soon)) = self.usable(&s) {
                if stale_soon
                    && !s.refreshing
                    && let Ok(guard) = self.fetching.clone().try_lock_owned()
                {
                    s.refreshing = true;
                    let generation = s.generation;
                    drop(s);
                    let started = (self.clock)();
                    let this = Arc::clone(self);
                    let fut = fetch();
                    tokio::spawn(async move {
                        if let Ok(v) = fut.await {
                            this.store(generation, started, &v);
                        }
                        this.lock().refreshing = false;
                        drop(guard);
                    });
                }
                return Ok(value);
            }
        }
        // Slow path: one fetch at a time; a follower takes what was stored while it waited.
        let stores_before = self.lock().stores;
        let _guard = self.fetching.lock().await;
        let generation = {
            let s = self.lock();
            if let Some((value, _)) = self.usable(&s) {
                return Ok(value);
            }
            // Stored since this caller arrived (an invalidation would have cleared it): the
            // engine call it waited for, shared even if that call took longer than the ttl.
            if s.stores != stores_before
                && let Some(stored) = &s.stored
            {
                return Ok(stored.value.clone());
            }
            s.generation
        };
        let started = (self.clock)();
        let value = fetch().await?;
        self.store(generation, started, &value);
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A clock the test moves by hand.
    #[derive(Clone)]
    struct ManualClock(Arc<Mutex<Instant>>);

    impl ManualClock {
        fn new() -> ManualClock {
            ManualClock(Arc::new(Mutex::new(Instant::now())))
        }
        fn advance(&self, by: Duration) {
            let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
            *t += by;
        }
        fn clock(&self) -> Clock {
            let inner = self.0.clone();
            Arc::new(move || *inner.lock().unwrap_or_else(|e| e.into_inner()))
        }
    }

    /// A fetch that counts its calls and answers with the call number.
    #[derive(Clone, Default)]
    struct Counter(Arc<AtomicUsize>);

    impl Counter {
        fn calls(&self) -> usize {
            self.0.load(Ordering::SeqCst)
        }
        fn fetch(&self) -> impl FnOnce() -> Fetch<usize, String> + use<> {
            let n = self.0.clone();
            move || Box::pin(async move { Ok(n.fetch_add(1, Ordering::SeqCst) + 1) })
        }
        /// Counts, then waits for `gate` before answering.
        fn gated(
            &self,
            gate: Arc<tokio::sync::Notify>,
        ) -> impl FnOnce() -> Fetch<usize, String> + use<> {
            let n = self.0.clone();
            move || {
                Box::pin(async move {
                    let v = n.fetch_add(1, Ordering::SeqCst) + 1;
                    gate.notified().await;
                    Ok(v)
                })
            }
        }
    }

    fn cache(ttl_ms: u64, clock: &ManualClock) -> Arc<ListCache<usize>> {
        Arc::new(ListCache::with_clock(
            Duration::from_millis(ttl_ms),
            clock.clock(),
        ))
    }

    /// Polls `cond` (yielding to other tasks) for up to 60 s.
    async fn until(mut cond: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !cond() {
            assert!(Instant::now() < deadline, "condition never became true");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    #[tokio::test]
    async fn answers_are_reused_until_they_expire() {
        let clock = ManualClock::new();
        let c = cache(1000, &clock);
        let n = Counter::default();
        assert_eq!(c.get(n.fetch()).await, Ok(1));
        clock.advance(Duration::from_millis(400));
        assert_eq!(c.get(n.fetch()).await, Ok(1));
        assert_eq!(n.calls(), 1, "a 400 ms old answer of a 1 s cache is reused");
        clock.advance(Duration::from_millis(700));
        // 1.1 s old: expired, fetched again in the caller.
        assert_eq!(c.get(n.fetch()).await, Ok(2));
        assert_eq!(n.calls(), 2);
    }

    #[tokio::test]
    async fn zero_ttl_always_fetches() {
        let clock = ManualClock::new();
        let c = cache(0, &clock);
        let n = Counter::default();
        assert_eq!(c.get(n.fetch()).await, Ok(1));
        assert_eq!(c.get(n.fetch()).await, Ok(2));
    }

    #[tokio::test]
    async fn past_half_life_the_first_caller_refreshes_in_the_background() {
        let clock = ManualClock::new();
        let c = cache(1000, &clock);
        let n = Counter::default();
        assert_eq!(c.get(n.fetch()).await, Ok(1));
        clock.advance(Duration::from_millis(600));
        let gate = Arc::new(tokio::sync::Notify::new());
        // The caller gets the cached answer at once while the refresh waits on `gate`.
        assert_eq!(c.get(n.gated(gate.clone())).await, Ok(1));
        until(|| n.calls() == 2).await;
        // A second caller meanwhile does not start another refresh.
        assert_eq!(c.get(n.fetch()).await, Ok(1));
        assert_eq!(n.calls(), 2);
        gate.notify_one();
        until(|| c.lock().stored.as_ref().is_some_and(|s| s.value == 2)).await;
        // The refreshed answer counts its age from when its fetch started.
        assert_eq!(c.get(n.fetch()).await, Ok(2));
        assert_eq!(n.calls(), 2);
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_fetch() {
        let clock = ManualClock::new();
        let c = cache(1000, &clock);
        let n = Counter::default();
        let gate = Arc::new(tokio::sync::Notify::new());
        let leader = tokio::spawn({
            let (c, f) = (c.clone(), n.gated(gate.clone()));
            async move { c.get(f).await }
        });
        until(|| n.calls() == 1).await;
        let followers: Vec<_> = (0..8)
            .map(|_| {
                let (c, f) = (c.clone(), n.fetch());
                tokio::spawn(async move { c.get(f).await })
            })
            .collect();
        gate.notify_one();
        assert!(matches!(leader.await, Ok(Ok(1))));
        for f in followers {
            assert!(matches!(f.await, Ok(Ok(1))));
        }
        assert_eq!(n.calls(), 1, "nine concurrent callers, one engine call");
    }

    #[tokio::test]
    async fn waiters_share_a_fetch_that_took_longer_than_the_ttl() {
        let clock = ManualClock::new();
        let c = cache(1000, &clock);
        let n = Counter::default();
        let gate = Arc::new(tokio::sync::Notify::new());
        let leader = tokio::spawn({
            let (c, f) = (c.clone(), n.gated(gate.clone()));
            async move { c.get(f).await }
        });
        until(|| n.calls() == 1).await;
        let waiter = tokio::spawn({
            let (c, f) = (c.clone(), n.fetch());
            async move { c.get(f).await }
        });
        tokio::task::yield_now().await;
        // The engine call takes 3 s: its answer is "old" when it arrives, yet the waiter
        // that queued behind it takes it rather than asking the engine again.
        clock.advance(Duration::from_secs(3));
        gate.notify_one();
        assert!(matches!(leader.await, Ok(Ok(1))));
        assert!(matches!(waiter.await, Ok(Ok(1))));
        assert_eq!(n.calls(), 1);
        // A caller arriving now finds it expired and asks again.
        assert_eq!(c.get(n.fetch()).await, Ok(2));
    }

    #[tokio::test]
    async fn a_fetch_that_started_before_an_invalidation_is_not_stored() {
        let clock = ManualClock::new();
        let c = cache(1000, &clock);
        let n = Counter::default();
        let gate = Arc::new(tokio::sync::Notify::new());
        let early = tokio::spawn({
            let (c, f) = (c.clone(), n.gated(gate.clone()));
            async move { c.get(f).await }
        });
        until(|| n.calls() == 1).await;
        c.invalidate();
        gate.notify_one();
        assert!(matches!(early.await, Ok(Ok(1))));
        // The early answer may predate this process's own change: it must not be reused.
        assert_eq!(c.get(n.fetch()).await, Ok(2));
        assert_eq!(c.get(n.fetch()).await, Ok(2));
        // And an invalidation drops a stored answer.
        c.invalidate();
        assert_eq!(c.get(n.fetch()).await, Ok(3));
    }

    #[tokio::test]
    async fn errors_are_neither_stored_nor_shared() {
        let clock = ManualClock::new();
        let c = cache(1000, &clock);
        let calls = Arc::new(AtomicUsize::new(0));
        let failing = |calls: Arc<AtomicUsize>, gate: Option<Arc<tokio::sync::Notify>>| {
            move || -> Fetch<usize, String> {
                Box::pin(async move {
                    let k = calls.fetch_add(1, Ordering::SeqCst);
                    if let Some(g) = gate {
                        g.notified().await;
                    }
                    Err(format!("engine down {k}"))
                })
            }
        };
        let gate = Arc::new(tokio::sync::Notify::new());
        let leader = tokio::spawn({
            let (c, f) = (c.clone(), failing(calls.clone(), Some(gate.clone())));
            async move { c.get(f).await }
        });
        until(|| calls.load(Ordering::SeqCst) == 1).await;
        let follower = tokio::spawn({
            let (c, f) = (c.clone(), failing(calls.clone(), None));
            async move { c.get(f).await }
        });
        gate.notify_one();
        assert_eq!(leader.await.ok(), Some(Err("engine down 0".to_string())));
        // The follower did not get the leader's error: it asked the engine itself.
        assert_eq!(follower.await.ok(), Some(Err("engine down 1".to_string())));
        let n = Counter::default();
        assert_eq!(c.get(n.fetch()).await, Ok(1), "no error was stored");
    }

    #[tokio::test]
    async fn a_cancelled_caller_does_not_strand_the_others() {
        let clock = ManualClock::new();
        let c = cache(1000, &clock);
        let n = Counter::default();
        let never = Arc::new(tokio::sync::Notify::new());
        let stuck = tokio::spawn({
            let (c, f) = (c.clone(), n.gated(never));
            async move { c.get(f).await }
        });
        until(|| n.calls() == 1).await;
        let waiter = tokio::spawn({
            let (c, f) = (c.clone(), n.fetch());
            async move { c.get(f).await }
        });
        stuck.abort();
        assert!(stuck.await.is_err_and(|e| e.is_cancelled()));
        let got = tokio::time::timeout(Duration::from_secs(60), waiter).await;
        assert!(matches!(got, Ok(Ok(Ok(2)))), "{got:?}");
        assert_eq!(c.get(n.fetch()).await, Ok(2));
    }
}
