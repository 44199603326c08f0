//! The event loop's table of live calls: each call's one record (the engine's, the client's
//! part inside it) with its running actions beside it, so an action event costs one lookup
//! by call id and no map of its own.
//!
//! The loop's maps hash with foldhash's keyed hasher rather than SipHash (see [`FastMap`]).

use super::action::ActionShared;
use crate::call::CallInfo;
use crate::ids::{CallId, ControlId};
use hashbrown::hash_table::{Entry, HashTable};
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Arc;

/// The loop's maps: ids (server-issued call ids, our own request ids) hashed with foldhash
/// instead of SipHash, a tenth of its cost per lookup on these short strings. The hasher is
/// still keyed (a random seed per map), so ids chosen to collide cannot be precomputed;
/// and the call ids come from the server over the authenticated session, which can only
/// add calls up to `max_tracked_calls`, so they are not an open door for flooding anyway.
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Capacity above which an emptied map gives its table back.
const RELEASED_MAP_CAPACITY: usize = 1024;

/// A `HashMap` keeps its largest table for ever: after a burst (10,000 calls answered at
/// once) an emptied map would hold tens of bytes per call of the burst. A large one gives
/// its table back once empty; small ones are left alone, so a steady trickle does not
/// reallocate.
pub(crate) fn release_if_emptied<K, V>(map: &mut FastMap<K, V>) {
    if map.is_empty() && map.capacity() > RELEASED_MAP_CAPACITY {
        *map = FastMap::default();
    }
}

/// One call as the loop keeps it.
pub(crate) struct LoopCall {
    /// The call's one record, the engine's (the client's part of the call inside it).
    pub(crate) info: Arc<CallInfo>,
    actions: Actions,
}

/// A call's running actions. Most calls run one at a time (a stream, a play), kept inline:
/// a list would be one more allocation per call. The rare list is boxed, so that the
/// table's slot is three words (see `loop_records_stay_small`).
#[derive(Default)]
enum Actions {
    #[default]
    None,
    One(Arc<ActionShared>),
    #[allow(clippy::box_collection)] // one word in every call's slot, where a `Vec` is three
    Many(Box<Vec<Arc<ActionShared>>>),
}

impl Actions {
    fn push(&mut self, action: Arc<ActionShared>) {
        *self = match std::mem::take(self) {
            Actions::None => Actions::One(action),
            Actions::One(first) => Actions::Many(Box::new(vec![first, action])),
            Actions::Many(mut all) => {
                all.push(action);
                Actions::Many(all)
            }
        };
    }

    fn get(&self, control_id: &ControlId) -> Option<&Arc<ActionShared>> {
        match self {
            Actions::None => None,
            Actions::One(action) => (action.control_id == *control_id).then_some(action),
            Actions::Many(all) => all.iter().find(|a| a.control_id == *control_id),
        }
    }

    fn remove(&mut self, control_id: &ControlId) -> Option<Arc<ActionShared>> {
        match self {
            Actions::None => None,
            Actions::One(action) if action.control_id == *control_id => {
                match std::mem::take(self) {
                    Actions::One(action) => Some(action),
                    _ => None,
                }
            }
            Actions::One(_) => None,
            Actions::Many(all) => {
                let at = all.iter().position(|a| a.control_id == *control_id)?;
                let action = all.swap_remove(at);
                if all.is_empty() {
                    *self = Actions::None;
                }
                Some(action)
            }
        }
    }

    /// Every action, without a list for the common single one.
    fn into_iter(self) -> impl Iterator<Item = Arc<ActionShared>> {
        let (one, many) = match self {
            Actions::None => (None, Vec::new()),
            Actions::One(action) => (Some(action), Vec::new()),
            Actions::Many(all) => (None, *all),
        };
        one.into_iter().chain(many)
    }
}

impl LoopCall {
    /// The call's record, and the actions still running when the call left the table.
    pub(crate) fn into_parts(self) -> (Arc<CallInfo>, impl Iterator<Item = Arc<ActionShared>>) {
        (self.info, self.actions.into_iter())
    }
}

/// The calls the loop tracks, by call id: a table of entries keyed by the id in each
/// entry's record, not a map (a key beside each entry would be two words more in every
/// slot, ~26 bytes a call at 10,000 calls).
#[derive(Default)]
pub(crate) struct LoopCalls {
    table: HashTable<LoopCall>,
    hasher: foldhash::fast::RandomState,
}

impl LoopCalls {
    fn find(&self, call_id: &CallId) -> Option<&LoopCall> {
        let hash = self.hasher.hash_one(call_id.as_str());
        self.table.find(hash, |call| call.info.call_id == *call_id)
    }

    fn find_mut(&mut self, call_id: &CallId) -> Option<&mut LoopCall> {
        let hash = self.hasher.hash_one(call_id.as_str());
        self.table
            .find_mut(hash, |call| call.info.call_id == *call_id)
    }

    pub(crate) fn get(&self, call_id: &CallId) -> Option<&Arc<CallInfo>> {
        self.find(call_id).map(|call| &call.info)
    }

    pub(crate) fn contains(&self, call_id: &CallId) -> bool {
        self.find(call_id).is_some()
    }

    /// Tracks the call of this record (the engine's) on its first sight; returns the
    /// record tracked.
    pub(crate) fn track(&mut self, info: Arc<CallInfo>) -> Arc<CallInfo> {
        let hasher = &self.hasher;
        let entry = self.table.entry(
            hasher.hash_one(info.call_id.as_str()),
            |call| call.info.call_id == info.call_id,
            |call| hasher.hash_one(call.info.call_id.as_str()),
        );
        match entry {
            Entry::Occupied(call) => call.get().info.clone(),
            Entry::Vacant(slot) => {
                slot.insert(LoopCall {
                    info: info.clone(),
                    actions: Actions::None,
                });
                info
            }
        }
    }

    pub(crate) fn remove(&mut self, call_id: &CallId) -> Option<LoopCall> {
        let hash = self.hasher.hash_one(call_id.as_str());
        let entry = self
            .table
            .find_entry(hash, |call| call.info.call_id == *call_id)
            .ok()?;
        Some(entry.remove().0)
    }

    /// Adds a running action to its call; gives it back when the call is not tracked.
    pub(crate) fn add_action(
        &mut self,
        action: Arc<ActionShared>,
    ) -> Result<(), Arc<ActionShared>> {
        match self.find_mut(&action.call_id) {
            Some(call) => {
                call.actions.push(action);
                Ok(())
            }
            None => Err(action),
        }
    }

    pub(crate) fn action(
        &self,
        call_id: &CallId,
        control_id: &ControlId,
    ) -> Option<&Arc<ActionShared>> {
        self.find(call_id)?.actions.get(control_id)
    }

    pub(crate) fn remove_action(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
    ) -> Option<Arc<ActionShared>> {
        self.find_mut(call_id)?.actions.remove(control_id)
    }

    /// Every call, emptying the table.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = LoopCall> + '_ {
        self.table.drain()
    }

    /// Gives a large emptied table back, as [`release_if_emptied`] does for a map.
    pub(crate) fn release_if_emptied(&mut self) {
        if self.table.is_empty() && self.table.capacity() > RELEASED_MAP_CAPACITY {
            self.table = HashTable::new();
        }
    }

    /// Calls tracked.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.table.len()
    }
}

#[cfg(test)]
mod tests {
    use super::{Actions, LoopCall, LoopCalls};
    use crate::action::ActionKind;
    use crate::call::CallInfo;
    use crate::driver::action::ActionShared;
    use crate::ids::{CallId, ControlId, NodeId};
    use std::sync::Arc;

    /// The loop's table holds, per call, the engine's record and the running actions, and
    /// nothing else: no key beside the entry (the record has the id), no list until a call
    /// runs two actions. At 10,000 calls the table is ~41 bytes a call (16,384 slots of three
    /// words and a control byte) where a map of id to record and list was 80.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn loop_records_stay_small() {
        assert_eq!(std::mem::size_of::<Actions>(), 16);
        assert_eq!(std::mem::size_of::<LoopCall>(), 24);
        let mut calls = LoopCalls::default();
        let records: Vec<Arc<CallInfo>> = (0..10_000)
            .map(|i| {
                let id = CallId::from(format!("c{i:05}"));
                Arc::new(CallInfo::new(id, NodeId::from("n1")))
            })
            .collect();
        for record in &records {
            let tracked = calls.track(record.clone());
            assert!(
                Arc::ptr_eq(&tracked, record),
                "the engine's record, not a copy"
            );
        }
        // Tracking again keeps the record first tracked.
        let again = Arc::new(CallInfo::new(CallId::from("c00007"), NodeId::from("n1")));
        assert!(Arc::ptr_eq(&calls.track(again), &records[7]));
        assert_eq!(calls.len(), 10_000);
        let per_call = calls.table.allocation_size() / 10_000;
        assert!(per_call <= 42, "{per_call} bytes a call");
        // Found by id, removed by id; an emptied large table is given back.
        assert!(Arc::ptr_eq(
            calls.get(&CallId::from("c09999")).expect("tracked"),
            &records[9_999]
        ));
        for record in &records {
            assert!(calls.remove(&record.call_id).is_some());
        }
        assert!(calls.remove(&records[0].call_id).is_none());
        calls.release_if_emptied();
        assert_eq!(calls.table.allocation_size(), 0);
    }

    fn action(control_id: &str) -> Arc<ActionShared> {
        Arc::new(ActionShared::new(
            CallId::from("call"),
            ControlId::from(control_id),
            ActionKind::Play,
        ))
    }

    /// One action inline, more in a list, each found and removed by its control id.
    #[test]
    fn a_calls_actions_are_found_by_control_id() {
        let mut actions = Actions::default();
        actions.push(action("a"));
        assert!(matches!(actions, Actions::One(_)));
        actions.push(action("b"));
        actions.push(action("c"));
        let id = |s: &str| ControlId::from(s);
        assert_eq!(
            actions.get(&id("b")).map(|a| a.control_id.as_str()),
            Some("b")
        );
        assert!(actions.get(&id("x")).is_none());
        assert!(actions.remove(&id("x")).is_none());
        assert_eq!(
            actions.remove(&id("a")).map(|a| a.control_id.clone()),
            Some(id("a"))
        );
        assert!(actions.get(&id("a")).is_none());
        let left: Vec<_> = actions
            .into_iter()
            .map(|a| a.control_id.as_str().to_owned())
            .collect();
        assert_eq!(left.len(), 2);
        let mut one = Actions::default();
        one.push(action("only"));
        assert!(one.remove(&id("other")).is_none());
        assert!(one.remove(&id("only")).is_some());
        assert!(matches!(one, Actions::None));
    }
}
