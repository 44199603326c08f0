//! The tracked calls, with the index of the legs announced under a pending dial's or a
//! connect's tag, so that no event has to scan every call (a forged flood made that quadratic).
//!
//! Every look-up and every entry an iteration yields is counted ([`CallTable::visits`]):
//! tests show with it that an event costs the same with 10 calls tracked as with 100,000.

use super::CallEntry;
use crate::ids::{CallId, DialTag};
use std::cell::Cell;
use std::collections::BTreeMap;

/// The calls of the engine by id, and their legs by tag.
#[derive(Debug, Default)]
pub(super) struct CallTable {
    calls: BTreeMap<CallId, CallEntry>,
    /// Calls first seen under the tag of a pending dial or of a connect in progress; an
    /// entry lives as long as its dial or connect does.
    legs: BTreeMap<DialTag, Vec<CallId>>,
    visits: Cell<u64>,
}

impl CallTable {
    fn visit(&self, n: usize) {
        self.visits.set(self.visits.get().saturating_add(n as u64));
    }

    /// Entries looked at so far (each look-up is one, each entry an iteration yields is one).
    pub(super) fn visits(&self) -> u64 {
        self.visits.get()
    }

    pub(super) fn len(&self) -> usize {
        self.calls.len()
    }

    pub(super) fn get(&self, id: &CallId) -> Option<&CallEntry> {
        self.visit(1);
        self.calls.get(id)
    }

    pub(super) fn get_by_str(&self, id: &str) -> Option<(&CallId, &CallEntry)> {
        self.visit(1);
        self.calls.get_key_value(id)
    }

    pub(super) fn get_mut(&mut self, id: &CallId) -> Option<&mut CallEntry> {
        self.visit(1);
        self.calls.get_mut(id)
    }

    pub(super) fn contains_key(&self, id: &CallId) -> bool {
        self.visit(1);
        self.calls.contains_key(id)
    }

    pub(super) fn insert(&mut self, id: CallId, entry: CallEntry) {
        self.visit(1);
        self.calls.insert(id, entry);
    }

    /// Tracks a leg of a pending dial or connect under its tag as well.
    pub(super) fn insert_leg(&mut self, tag: DialTag, id: CallId, entry: CallEntry) {
        self.legs.entry(tag).or_default().push(id.clone());
        self.insert(id, entry);
    }

    /// The legs tracked under `tag` (at most the devices its plan rings).
    pub(super) fn legs_of(&self, tag: &DialTag) -> &[CallId] {
        let legs = self.legs.get(tag).map(Vec::as_slice).unwrap_or_default();
        self.visit(1 + legs.len());
        legs
    }

    /// The dial or connect of `tag` is over: its legs stay tracked as calls, unindexed.
    pub(super) fn forget_legs(&mut self, tag: &DialTag) -> Vec<CallId> {
        self.visit(1);
        self.legs.remove(tag).unwrap_or_default()
    }

    pub(super) fn remove(&mut self, id: &CallId) -> Option<CallEntry> {
        self.visit(1);
        let entry = self.calls.remove(id)?;
        if let Some(tag) = &entry.info.tag {
            if let Some(legs) = self.legs.get_mut(tag) {
                self.visits.set(self.visits.get() + legs.len() as u64);
                legs.retain(|leg| leg != id);
                if legs.is_empty() {
                    self.legs.remove(tag);
                }
            }
        }
        Some(entry)
    }

    pub(super) fn keys(&self) -> impl Iterator<Item = &CallId> {
        self.calls.keys().inspect(|_| self.visit(1))
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &CallEntry> {
        self.calls.values().inspect(|_| self.visit(1))
    }
}
