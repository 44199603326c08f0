//! The event loop's table of live calls: each call's shared record with its running actions
//! beside it, so an action event costs one lookup by call id and no map of its own.
//!
//! The loop's maps hash with foldhash's keyed hasher rather than SipHash (see [`FastMap`]).

use super::action::ActionShared;
use super::call::CallShared;
use crate::call::CallInfo;
use crate::ids::{CallId, ControlId};
use std::collections::HashMap;
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
    pub(crate) shared: Arc<CallShared>,
    actions: Actions,
}

/// A call's running actions. Most calls run one at a time (a stream, a play), kept inline:
/// a list would be one more allocation per call.
#[derive(Default)]
enum Actions {
    #[default]
    None,
    One(Arc<ActionShared>),
    Many(Vec<Arc<ActionShared>>),
}

impl Actions {
    fn push(&mut self, action: Arc<ActionShared>) {
        *self = match std::mem::take(self) {
            Actions::None => Actions::One(action),
            Actions::One(first) => Actions::Many(vec![first, action]),
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
            Actions::Many(all) => (None, all),
        };
        one.into_iter().chain(many)
    }
}

impl LoopCall {
    /// The call's record, and the actions still running when the call left the table.
    pub(crate) fn into_parts(self) -> (Arc<CallShared>, impl Iterator<Item = Arc<ActionShared>>) {
        (self.shared, self.actions.into_iter())
    }
}

/// The calls the loop tracks, by call id.
#[derive(Default)]
pub(crate) struct LoopCalls {
    map: FastMap<CallId, LoopCall>,
}

impl LoopCalls {
    pub(crate) fn get(&self, call_id: &CallId) -> Option<&Arc<CallShared>> {
        self.map.get(call_id).map(|call| &call.shared)
    }

    pub(crate) fn contains(&self, call_id: &CallId) -> bool {
        self.map.contains_key(call_id)
    }

    /// The call's record, made on its first sight.
    pub(crate) fn track(&mut self, info: Arc<CallInfo>) -> Arc<CallShared> {
        self.map
            .entry(info.call_id.clone())
            .or_insert_with(|| LoopCall {
                shared: Arc::new(CallShared::new(info)),
                actions: Actions::None,
            })
            .shared
            .clone()
    }

    pub(crate) fn remove(&mut self, call_id: &CallId) -> Option<LoopCall> {
        self.map.remove(call_id)
    }

    /// Adds a running action to its call; gives it back when the call is not tracked.
    pub(crate) fn add_action(
        &mut self,
        action: Arc<ActionShared>,
    ) -> Result<(), Arc<ActionShared>> {
        match self.map.get_mut(&action.call_id) {
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
        self.map.get(call_id)?.actions.get(control_id)
    }

    pub(crate) fn remove_action(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
    ) -> Option<Arc<ActionShared>> {
        self.map.get_mut(call_id)?.actions.remove(control_id)
    }

    /// Every call, emptying the table.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = LoopCall> + '_ {
        self.map.drain().map(|(_, call)| call)
    }

    pub(crate) fn release_if_emptied(&mut self) {
        release_if_emptied(&mut self.map);
    }
}

#[cfg(test)]
mod tests {
    use super::Actions;
    use crate::action::ActionKind;
    use crate::driver::action::ActionShared;
    use crate::ids::{CallId, ControlId};
    use std::sync::Arc;

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
