//! Client sessions: who owns the indexes clients create, and when those owners are gone.
//!
//! A client names its session in every request ([`SessionHello`]); an index a session creates
//! belongs to it until shared ([`Op::Persist`](crate::protocol::Op::Persist)). A session ends
//! when the client says so ([`Op::EndSession`](crate::protocol::Op::EndSession)) or sends
//! nothing for its timeout: a process that crashed, was killed or lost its network cannot
//! free what it created, so the server does, instead of keeping orphans forever.
//!
//! Liveness is recorded when a request is admitted (on the I/O thread), not when it is served:
//! a client whose requests wait behind others' long trains is alive.

use crate::protocol::SessionHello;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The longest session id accepted: libfaissx sends 32 hex digits.
pub(super) const MAX_SESSION_ID: usize = 128;

/// A session promising heartbeats further apart than this is held to this: a client cannot
/// make the server keep its indexes for days after it died.
const MAX_HEARTBEAT_MS: u64 = 3_600_000;

/// The most sessions tracked at once. Ids are the clients' own: a client naming a new session
/// in every request would otherwise grow the table for as long as their timeouts (an hour
/// each at most), while a process needs one per server it talks to.
const MAX_LIVE_SESSIONS: usize = 100_000;

pub(super) struct Session {
    pub(super) tenant: String,
    pub(super) id: String,
    /// Milliseconds after the table's epoch.
    last_seen_ms: AtomicU64,
    timeout_ms: AtomicU64,
    /// Set once the session was ended: a request admitted before that (still queued) cannot
    /// give it new indexes, which nothing would free (see [`Sessions::current`]).
    ended: AtomicBool,
    /// Whether an index was ever given to the session: the end of one that never owned any
    /// (a client that only searches) needs no look through the indexes.
    owned_any: AtomicBool,
}

impl Session {
    pub(super) fn ended(&self) -> bool {
        self.ended.load(Ordering::SeqCst)
    }

    /// Called before the index is looked at for `ended` (see `State::insert`), so that an end
    /// that does not see this mark is seen by the index.
    pub(super) fn owns_indexes(&self) {
        self.owned_any.store(true, Ordering::SeqCst);
    }

    pub(super) fn owned_any(&self) -> bool {
        self.owned_any.load(Ordering::SeqCst)
    }
}

pub(super) struct Sessions {
    epoch: Instant,
    /// `--session-timeout-ms`: the least silence after which a session ends.
    timeout: Duration,
    table: Mutex<HashMap<(String, String), Arc<Session>>>,
    max_live: usize,
    /// For the metrics: sessions ended, and the indexes their end freed.
    pub(super) ended: AtomicU64,
    pub(super) freed: AtomicU64,
    /// The last indexes freed by a session's end, and why it ended, oldest first.
    recently_freed: Mutex<VecDeque<(String, String, String)>>,
}

/// How many freed indexes [`Sessions::freed_why`] remembers.
const REMEMBERED_FREED: usize = 1024;

impl Sessions {
    pub(super) fn new(timeout: Duration) -> Self {
        Sessions {
            epoch: Instant::now(),
            timeout,
            table: Mutex::new(HashMap::new()),
            max_live: MAX_LIVE_SESSIONS,
            ended: AtomicU64::new(0),
            freed: AtomicU64::new(0),
            recently_freed: Mutex::new(VecDeque::new()),
        }
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// How long a session that promised heartbeats every `heartbeat_ms` may stay silent.
    fn timeout_ms(&self, heartbeat_ms: u32) -> u64 {
        let promised = u64::from(heartbeat_ms).min(MAX_HEARTBEAT_MS);
        (self.timeout.as_millis() as u64).max(promised.saturating_mul(2))
    }

    /// A request's session: [`Sessions::touch`], refused when it would start a session past
    /// the most the server tracks.
    pub(super) fn admit(&self, tenant: &str, hello: &SessionHello) -> Result<Arc<Session>, String> {
        {
            let table = self.table.lock().unwrap();
            let key = (tenant.to_string(), hello.id.clone());
            if table.len() >= self.max_live && !table.contains_key(&key) {
                return Err(format!(
                    "the server tracks {} live sessions, its most: a new one waits until \
                     others end or time out",
                    self.max_live
                ));
            }
        }
        Ok(self.touch(tenant, hello))
    }

    /// Records a sign of life of the tenant's session, starting it if it is new.
    pub(super) fn touch(&self, tenant: &str, hello: &SessionHello) -> Arc<Session> {
        let now = self.now_ms();
        let timeout = self.timeout_ms(hello.heartbeat_ms);
        let mut table = self.table.lock().unwrap();
        let session = table
            .entry((tenant.to_string(), hello.id.clone()))
            .or_insert_with(|| {
                Arc::new(Session {
                    tenant: tenant.to_string(),
                    id: hello.id.clone(),
                    last_seen_ms: AtomicU64::new(now),
                    timeout_ms: AtomicU64::new(timeout),
                    ended: AtomicBool::new(false),
                    owned_any: AtomicBool::new(false),
                })
            });
        session.last_seen_ms.store(now, Ordering::SeqCst);
        session.timeout_ms.store(timeout, Ordering::SeqCst);
        session.clone()
    }

    /// The live session `session` stands for: itself, or, if it ended after its request was
    /// admitted, the session its client is in now (the request shows the client is alive).
    pub(super) fn current(&self, session: &Arc<Session>) -> Arc<Session> {
        if !session.ended() {
            return session.clone();
        }
        let hello = SessionHello {
            id: session.id.clone(),
            heartbeat_ms: 0,
        };
        let current = self.touch(&session.tenant, &hello);
        current
            .timeout_ms
            .store(session.timeout_ms.load(Ordering::SeqCst), Ordering::SeqCst);
        current
    }

    /// Ends the tenant's session `id` now, if it exists.
    pub(super) fn end(&self, tenant: &str, id: &str) -> Option<Arc<Session>> {
        let removed = self
            .table
            .lock()
            .unwrap()
            .remove(&(tenant.to_string(), id.to_string()));
        if let Some(session) = &removed {
            session.ended.store(true, Ordering::SeqCst);
        }
        removed
    }

    /// Ends every session silent for longer than its timeout, and returns them.
    pub(super) fn expire(&self) -> Vec<Arc<Session>> {
        let now = self.now_ms();
        let mut expired = Vec::new();
        self.table.lock().unwrap().retain(|_, session| {
            let silent = now.saturating_sub(session.last_seen_ms.load(Ordering::SeqCst));
            if silent > session.timeout_ms.load(Ordering::SeqCst) {
                session.ended.store(true, Ordering::SeqCst);
                expired.push(session.clone());
                false
            } else {
                true
            }
        });
        expired
    }

    /// Remembers that the tenant's indexes `names` were freed because their session ended.
    pub(super) fn remember_freed(&self, tenant: &str, names: &[String], why: &str) {
        let mut freed = self.recently_freed.lock().unwrap();
        for name in names {
            if freed.len() == REMEMBERED_FREED {
                freed.pop_front();
            }
            freed.push_back((tenant.to_string(), name.clone(), why.to_string()));
        }
    }

    /// Why the tenant's index `name` was freed, if a session's end freed it lately.
    pub(super) fn freed_why(&self, tenant: &str, name: &str) -> Option<String> {
        let freed = self.recently_freed.lock().unwrap();
        freed
            .iter()
            .rev()
            .find(|(t, n, _)| t == tenant && n == name)
            .map(|(_, _, why)| why.clone())
    }

    /// How long the sweeper may sleep: a session ends at most a fraction of the shortest
    /// timeout late.
    pub(super) fn sweep_interval(&self) -> Duration {
        (self.timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(1))
    }

    /// How long the session may stay silent, as a log line says it.
    pub(super) fn timeout_of(session: &Session) -> u64 {
        session.timeout_ms.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello(id: &str, heartbeat_ms: u32) -> SessionHello {
        SessionHello {
            id: id.into(),
            heartbeat_ms,
        }
    }

    #[test]
    fn silent_sessions_end_and_come_back_as_new_ones() {
        let sessions = Sessions::new(Duration::ZERO);
        let quiet = sessions.touch("t", &hello("a", 0));
        // A promised heartbeat stretches the timeout past the server's own.
        let slow = sessions.touch("t", &hello("b", 60_000));
        std::thread::sleep(Duration::from_millis(5));
        let expired = sessions.expire();
        assert_eq!(expired.len(), 1);
        assert!(Arc::ptr_eq(&expired[0], &quiet));
        assert!(quiet.ended() && !slow.ended());
        // A request admitted before the end still comes from a live client.
        let again = sessions.current(&quiet);
        assert!(!again.ended() && !Arc::ptr_eq(&again, &quiet));
        assert!(Arc::ptr_eq(&sessions.touch("t", &hello("a", 0)), &again));
    }

    #[test]
    fn new_sessions_past_the_most_tracked_are_refused() {
        let mut sessions = Sessions::new(Duration::from_secs(60));
        sessions.max_live = 2;
        assert!(sessions.admit("t", &hello("a", 0)).is_ok());
        assert!(sessions.admit("u", &hello("a", 0)).is_ok());
        let Err(refused) = sessions.admit("t", &hello("b", 0)) else {
            panic!("a third session was admitted");
        };
        assert!(refused.contains("2 live sessions"), "{refused}");
        // Known sessions go on; an ended one makes room.
        assert!(sessions.admit("t", &hello("a", 0)).is_ok());
        sessions.end("u", "a");
        assert!(sessions.admit("t", &hello("b", 0)).is_ok());
    }

    #[test]
    fn sessions_are_per_tenant() {
        let sessions = Sessions::new(Duration::from_secs(60));
        let one = sessions.touch("one", &hello("same", 100));
        let two = sessions.touch("two", &hello("same", 100));
        assert!(!Arc::ptr_eq(&one, &two));
        assert!(sessions
            .end("two", "same")
            .is_some_and(|s| Arc::ptr_eq(&s, &two)));
        assert!(two.ended() && !one.ended());
        assert!(sessions.end("two", "same").is_none());
    }

    #[test]
    fn freed_indexes_are_remembered_with_why() {
        let sessions = Sessions::new(Duration::from_secs(1));
        sessions.remember_freed("t", &["x".to_string()], "no request for 1000 ms");
        assert_eq!(
            sessions.freed_why("t", "x").as_deref(),
            Some("no request for 1000 ms")
        );
        assert_eq!(sessions.freed_why("u", "x"), None);
        let many: Vec<String> = (0..REMEMBERED_FREED).map(|i| i.to_string()).collect();
        sessions.remember_freed("t", &many, "ended");
        assert_eq!(
            sessions.freed_why("t", "x"),
            None,
            "the oldest are forgotten"
        );
    }
}
