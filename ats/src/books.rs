//! The books of this process: each (organization, asset)'s copy in memory (see
//! [`crate::exchange::Matcher`]) and the work waiting for it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use platform::ids::AssetId;

use crate::exchange::Slot;

type Key = (String, AssetId);

/// One book of this process: its state in memory, and the work waiting for it.
pub(crate) struct Entry<W> {
    pub(crate) slot: Arc<tokio::sync::Mutex<Slot>>,
    waiting: Mutex<Vec<W>>,
}

impl<W> Default for Entry<W> {
    fn default() -> Self {
        Self {
            slot: Arc::default(),
            waiting: Mutex::new(Vec::new()),
        }
    }
}

/// Every book this process has touched. `W` is the work that waits for a book (placements
/// approved by the BD), taken all at once by whoever holds the book next: under load one
/// matcher session, one commit, serves every placement that queued while the book was busy.
pub struct Books<W> {
    entries: Arc<Mutex<HashMap<Key, Arc<Entry<W>>>>>,
}

impl<W> Clone for Books<W> {
    fn clone(&self) -> Self {
        Self {
            entries: self.entries.clone(),
        }
    }
}

impl<W> Default for Books<W> {
    fn default() -> Self {
        Self {
            entries: Arc::default(),
        }
    }
}

impl<W> Books<W> {
    pub(crate) fn entry(&self, org: &str, asset: AssetId) -> Arc<Entry<W>> {
        let mut map = match self.entries.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.entry((org.to_owned(), asset)).or_default().clone()
    }

    /// Queues work for the book (see [`Books::take_waiting`]).
    pub fn enqueue(&self, org: &str, asset: AssetId, work: impl IntoIterator<Item = W>) {
        let entry = self.entry(org, asset);
        let mut waiting = match entry.waiting.lock() {
            Ok(w) => w,
            Err(poisoned) => poisoned.into_inner(),
        };
        waiting.extend(work);
    }

    /// Takes everything queued for the book. Call it holding the book (a [`crate::exchange::Matcher`]): whoever
    /// queued work then takes the book in turn, so no work is left behind.
    pub fn take_waiting(&self, org: &str, asset: AssetId) -> Vec<W> {
        let entry = self.entry(org, asset);
        let mut waiting = match entry.waiting.lock() {
            Ok(w) => w,
            Err(poisoned) => poisoned.into_inner(),
        };
        std::mem::take(&mut *waiting)
    }
}
