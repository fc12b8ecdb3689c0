//! The one way `serve` takes a mutex: shared by the snapshot, usage, high-water serials and
//! the connection registry.

use std::sync::{Mutex, MutexGuard};

/// A mutex that a panic elsewhere cannot make unusable.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
