//! Memory: the server's budget (`--max-memory-mb`) and tenants' quotas (`--tenant-max-vectors`,
//! `--tenant-max-mb`), checked before a request allocates, so that one client's large request is
//! refused with a clear error instead of taking the memory every tenant shares.
//!
//! The budget compares the process's resident memory plus what admitted requests are about to
//! allocate with the limit. Resident memory is what the kernel charges and what operators see;
//! sampling it (every few ms) keeps the per-request cost at a few atomics.

use crate::protocol::{ErrorKind, WireError};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Limits on memory; `None` is unlimited.
#[derive(Debug, Clone, Default)]
pub struct Quotas {
    /// The whole server's memory, resident plus what admitted requests are about to allocate.
    pub max_memory_bytes: Option<u64>,
    /// Vectors one tenant's indexes may hold together.
    pub tenant_max_vectors: Option<u64>,
    /// Bytes of stored vectors (codes) one tenant's indexes may hold together.
    pub tenant_max_bytes: Option<u64>,
}

/// Requests smaller than this skip the budget check: a 1-query search must not pay for it,
/// and refusing it would free nothing.
const SMALL_REQUEST_BYTES: u64 = 1 << 20;

/// How long a sample of resident memory is trusted.
const SAMPLE_NANOS: u64 = 5_000_000;

pub struct Budget {
    max_bytes: Option<u64>,
    /// Bytes admitted requests may still allocate.
    reserved: AtomicU64,
    resident: AtomicU64,
    sampled_at: AtomicU64,
    started: Instant,
}

/// Memory a request may allocate, given back when the request is done.
pub struct Reservation<'a> {
    budget: &'a Budget,
    bytes: u64,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.budget.reserved.fetch_sub(self.bytes, Ordering::SeqCst);
    }
}

impl Budget {
    pub fn new(max_bytes: Option<u64>) -> Self {
        Budget {
            max_bytes,
            reserved: AtomicU64::new(0),
            resident: AtomicU64::new(0),
            sampled_at: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    /// Admits a request that will allocate about `bytes` for `what`, or refuses it with a
    /// Limit error that says how much was asked and how much is left.
    pub fn reserve(&self, bytes: u64, what: &str) -> Result<Option<Reservation<'_>>, WireError> {
        let Some(max) = self.max_bytes else {
            return Ok(None);
        };
        if bytes < SMALL_REQUEST_BYTES {
            return Ok(None);
        }
        let reserved = self.reserved.fetch_add(bytes, Ordering::SeqCst) + bytes;
        let reservation = Reservation {
            budget: self,
            bytes,
        };
        let in_use = self.resident().saturating_add(reserved);
        if in_use > max {
            return Err(WireError::new(
                ErrorKind::Limit,
                format!(
                    "{what} needs about {} MB; the server's memory budget (--max-memory-mb {}) has {} MB left",
                    mb(bytes),
                    mb(max),
                    mb(max.saturating_sub(in_use - bytes))
                ),
            ));
        }
        Ok(Some(reservation))
    }

    /// Resident memory of the process, sampled at most every few ms.
    pub fn resident(&self) -> u64 {
        let now = self.started.elapsed().as_nanos() as u64;
        let at = self.sampled_at.load(Ordering::Relaxed);
        if at == 0 || now.saturating_sub(at) > SAMPLE_NANOS {
            self.sampled_at.store(now.max(1), Ordering::Relaxed);
            self.resident.store(resident_bytes(), Ordering::Relaxed);
        }
        self.resident.load(Ordering::Relaxed)
    }
}

fn mb(bytes: u64) -> u64 {
    bytes.div_ceil(1 << 20)
}

/// Resident set size from /proc/self/statm (pages), 0 where it cannot be read.
pub fn resident_bytes() -> u64 {
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages.saturating_mul(u64::try_from(page).unwrap_or(4096))
}

/// A tenant's use of its quotas, and what a request would add.
pub struct TenantUse {
    pub vectors: u64,
    pub bytes: u64,
}

impl Quotas {
    /// Refuses a request that would take the tenant past a quota.
    pub fn check(
        &self,
        tenant: &str,
        used: &TenantUse,
        adding: &TenantUse,
    ) -> Result<(), WireError> {
        let over = |what: &str, used: u64, adding: u64, max: Option<u64>, flag: &str| {
            match max {
                Some(max) if used.saturating_add(adding) > max => Err(WireError::new(
                    ErrorKind::Limit,
                    format!(
                        "tenant '{tenant}' holds {used} {what} and this request adds {adding}: over its quota of {max} ({flag})"
                    ),
                )),
                _ => Ok(()),
            }
        };
        over(
            "vectors",
            used.vectors,
            adding.vectors,
            self.tenant_max_vectors,
            "--tenant-max-vectors",
        )?;
        over(
            "bytes of vectors",
            used.bytes,
            adding.bytes,
            self.tenant_max_bytes,
            "--tenant-max-mb",
        )
    }
}

/// Tunes the allocator so that memory freed after a burst goes back to the system without
/// every request paying for fresh pages.
///
/// Buffers up to 32 MB (FAISS's 16 MB distance block for a search of 20 queries or more, the
/// row-split scan's tables, result arrays, request frames) are reused from the heap from one
/// request to the next: a fresh mapping is zeroed and faulted in page by page on first touch,
/// which cost a 1000-query search on 10k vectors ~3 ms (15% of it) when the threshold was
/// 1 MB. Larger buffers (index storage, large adds) get mappings of their own, returned when
/// freed; what the heap keeps goes back when the server goes idle ([`trim`]). glibc would move
/// its threshold up to 32 MB by itself, but only after freeing such a mapping, and fixed values
/// keep what the server holds between bursts the same from run to run. The per-thread arenas
/// are bounded.
pub fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's tuning; the values are glibc's documented ones.
    unsafe {
        const M_TRIM_THRESHOLD: libc::c_int = -1;
        const M_MMAP_THRESHOLD: libc::c_int = -3;
        const M_ARENA_MAX: libc::c_int = -8;
        // glibc's largest: half a per-thread heap.
        libc::mallopt(M_MMAP_THRESHOLD, 32 << 20);
        // Above the threshold, so that freeing one such buffer does not shrink the heap it
        // is about to be taken from again.
        libc::mallopt(M_TRIM_THRESHOLD, 64 << 20);
        libc::mallopt(M_ARENA_MAX, 4);
    }
}

/// Returns free heap pages to the system; called when the server goes idle.
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_requests_pass_and_large_ones_are_refused_with_the_numbers() {
        let budget = Budget::new(Some(resident_bytes() + (64 << 20)));
        assert!(budget.reserve(1000, "a search").unwrap().is_none());
        let held = budget.reserve(32 << 20, "an add").unwrap();
        assert!(held.is_some());
        let error = budget
            .reserve(48 << 20, "a search of 100 queries")
            .err()
            .expect("over the budget with the first reservation held");
        assert_eq!(error.kind, ErrorKind::Limit);
        assert!(error.message.contains("a search of 100 queries"));
        assert!(error.message.contains("--max-memory-mb"));
        drop(held);
        assert!(budget.reserve(48 << 20, "again").is_ok());
    }

    #[test]
    fn quotas_name_the_tenant_and_the_flag() {
        let quotas = Quotas {
            tenant_max_vectors: Some(100),
            ..Default::default()
        };
        let used = TenantUse {
            vectors: 90,
            bytes: 0,
        };
        let fits = TenantUse {
            vectors: 10,
            bytes: 0,
        };
        assert!(quotas.check("t", &used, &fits).is_ok());
        let over = TenantUse {
            vectors: 11,
            bytes: 0,
        };
        let error = quotas.check("t", &used, &over).unwrap_err();
        assert!(error.message.contains("'t'") && error.message.contains("--tenant-max-vectors"));
    }
}
