//! The calls part of the engine: the tracked calls and their actions, the legs announced
//! under a pending dial's or a connect's tag (so that no event scans every call), the calls
//! that ended recently and those with digit bindings.
//!
//! Each call's record is one `Arc<CallInfo>` made here when the call is first read, and
//! shared with the events and the driver. Every look-up and every entry an iteration yields
//! is counted ([`Calls::visits`]): tests show with it that an event costs the same with 10
//! calls tracked as with 100,000.

use super::small_map::SmallMap;
use super::FastSet;
use crate::action::descriptor::{ActionDescriptor, Progress};
use crate::action::ActionKind;
use crate::call::CallInfo;
use crate::calling::BUILT_IN;
use crate::ids::{CallId, ControlId, DialTag, NodeId};
use hashbrown::hash_table::{Entry, HashTable};
use std::cell::Cell;
use std::collections::{BTreeMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::Arc;

/// Ended call ids remembered, as the service does, so a late command learns the call is gone.
const RECENTLY_ENDED: usize = 10_000;

/// Distinct nodes whose id strings new calls share: a service spreads calls over a few
/// media nodes, and a call's node id would otherwise be a string of its own.
const NODES_SHARED: usize = 8;

/// Finished actions remembered per call: a late event of an older one is reported as an
/// unknown action, which is harmless.
const DONE_ACTIONS_KEPT: usize = 32;

/// One active action on a call, in three words: each call keeps its first one inline in
/// its entry of the calls table (see [`SmallMap`]).
#[derive(Debug, Clone)]
pub(super) struct ActionEntry {
    /// Shared by every running action of a built-in kind.
    pub(super) descriptor: Arc<ActionDescriptor>,
    /// Its kind when not built in; boxed, since an `ActionKind` inline is three words and
    /// nearly every action is of a built-in kind.
    other_kind: Option<Box<ActionKind>>,
    /// A built-in kind's place in the registry ([`BUILT_IN`]).
    built_in: u8,
    pub(super) stop_requested: bool,
    /// What its events so far said (a stream's `streaming`, a detect's `MACHINE`).
    pub(super) progress: Progress,
}

impl ActionEntry {
    pub(super) fn new(kind: ActionKind, descriptor: Arc<ActionDescriptor>) -> Self {
        let built_in = BUILT_IN.iter().position(|k| *k == kind);
        let (other_kind, built_in) = match built_in.and_then(|i| u8::try_from(i).ok()) {
            Some(index) => (None, index),
            None => (Some(Box::new(kind)), 0),
        };
        Self {
            descriptor,
            other_kind,
            built_in,
            stop_requested: false,
            progress: Default::default(),
        }
    }

    /// Its kind.
    pub(super) fn kind(&self) -> ActionKind {
        match &self.other_kind {
            Some(kind) => (**kind).clone(),
            None => BUILT_IN[usize::from(self.built_in)].clone(),
        }
    }

    /// Its kind, the entry given up (a kind not built in moves out of its box).
    pub(super) fn into_kind(self) -> ActionKind {
        match self.other_kind {
            Some(kind) => *kind,
            None => BUILT_IN[usize::from(self.built_in)].clone(),
        }
    }
}

/// One active call and its actions.
#[derive(Debug)]
pub(super) struct CallEntry {
    /// The record shared with the events and the driver's `Call`.
    pub(super) info: Arc<CallInfo>,
    pub(super) actions: SmallMap<ControlId, ActionEntry>,
    /// The actions that ended and whether every event is delivered: a pointer until used.
    pub(super) seldom: Seldom,
}

impl CallEntry {
    fn new(info: Arc<CallInfo>) -> Self {
        Self {
            info,
            actions: SmallMap::default(),
            seldom: Seldom::default(),
        }
    }

    /// Marks an action finished: it is no longer running, and its late events are expected.
    pub(super) fn finish_action(&mut self, control_id: &ControlId) -> Option<ActionEntry> {
        let action = self.actions.remove(control_id)?;
        self.seldom.insert_done(control_id.clone());
        Some(action)
    }
}

/// What few calls use, allocated when first needed: the ids of the actions that ended
/// (most calls are tracked while their first action still runs) and the flag of a call
/// whose every event is delivered. Inline they would be four words of each of 10,000
/// entries for nothing; behind one pointer the entry stays 56 bytes.
#[derive(Debug, Default)]
pub(super) struct Seldom(Option<Box<SeldomParts>>);

#[derive(Debug, Default)]
pub(super) struct SeldomParts {
    /// Actions that ended (the last [`DONE_ACTIONS_KEPT`]), so that their late events are
    /// not taken for errors.
    done: SmallMap<ControlId, ()>,
    /// Every `calling.call.*` event of this call is delivered as an `Event::CallEvent`
    /// (set by `Engine::watch_call_events`), as `every_call_event` does for all calls.
    every_event: bool,
}

impl Seldom {
    fn parts(&mut self) -> &mut SeldomParts {
        self.0.get_or_insert_with(Default::default)
    }

    fn insert_done(&mut self, control_id: ControlId) {
        let done = &mut self.parts().done;
        done.insert(control_id, ());
        done.truncate_oldest(DONE_ACTIONS_KEPT);
    }

    /// Whether this action finished recently.
    pub(super) fn is_done<Q>(&self, control_id: &Q) -> bool
    where
        ControlId: std::borrow::Borrow<Q>,
        Q: Eq + ?Sized,
    {
        self.0
            .as_ref()
            .is_some_and(|parts| parts.done.contains_key(control_id))
    }

    /// Whether every event of the call is delivered.
    pub(super) fn every_event(&self) -> bool {
        self.0.as_ref().is_some_and(|parts| parts.every_event)
    }

    /// From now on every event of the call is delivered.
    pub(super) fn watch_every_event(&mut self) {
        self.parts().every_event = true;
    }
}

/// The calls of the engine by id, their legs by tag, and what is remembered of ended ones.
#[derive(Debug, Default)]
pub(super) struct Calls {
    /// Hashed: every call event looks its call up here, and a B-tree of 10,000 string ids
    /// costs a dozen string comparisons per look-up. Iterated only in id order (see
    /// [`Calls::keys`]), so that nothing depends on the hash order. Keyed by the id in each
    /// entry's record (a table of entries, not a map): a key beside each entry would be two
    /// words more in every slot, ~26 bytes a call at 10,000 calls.
    calls: HashTable<CallEntry>,
    /// Hashes the ids as the engine's other maps do (`FastMap`).
    hasher: foldhash::fast::RandomState,
    /// Calls first seen under the tag of a pending dial or of a connect in progress; an
    /// entry lives as long as its dial or connect does.
    legs: BTreeMap<DialTag, Vec<CallId>>,
    visits: Cell<u64>,
    /// Calls seen ending, oldest first, so that a late command on one is `CallGone`, not
    /// `UnknownCall`; the set answers the question, the queue says which to forget. Kept
    /// as fingerprints of their ids (see [`Calls::fingerprint`]), not the ids: 10,000 ids
    /// would keep their strings alive after their calls, ~110 bytes each with their slots,
    /// where a fingerprint costs ~30 (its slots in the set and the queue).
    ended: VecDeque<u64>,
    ended_set: FastSet<u64>,
    /// Keys the fingerprints: drawn per engine, so that sharing one cannot be planned from
    /// outside without the key.
    fingerprints: foldhash::quality::RandomState,
    /// Calls with digit bindings: the service may start actions on them by itself.
    digit_bound: FastSet<CallId>,
    /// The contexts calls arrive on: each call's record shares its context's string.
    contexts: Vec<Arc<str>>,
    /// The nodes of the last calls read (the last [`NODES_SHARED`] distinct ones, latest
    /// first, each with its hash, so that a new node costs a hash and no string compares):
    /// calls of one node share its id's string, also when calls of a few nodes
    /// arrive interleaved.
    nodes: VecDeque<(u64, NodeId)>,
}

impl Calls {
    /// A table whose records share the strings of these contexts.
    pub(super) fn new(contexts: &[String]) -> Self {
        Self {
            contexts: contexts.iter().map(|c| Arc::from(c.as_str())).collect(),
            ..Self::default()
        }
    }

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

    /// The hash of an id (its text's, as in the engine's other maps).
    fn hash(&self, id: &str) -> u64 {
        self.hasher.hash_one(id)
    }

    /// The table's entry of `id`, with its hash and the equality to find it by.
    fn find(&self, id: &str) -> Option<&CallEntry> {
        self.visit(1);
        self.calls
            .find(self.hash(id), |entry| entry.info.call_id.as_str() == id)
    }

    fn find_mut(&mut self, id: &str) -> Option<&mut CallEntry> {
        self.visit(1);
        let hash = self.hash(id);
        self.calls
            .find_mut(hash, |entry| entry.info.call_id.as_str() == id)
    }

    pub(super) fn get(&self, id: &CallId) -> Option<&CallEntry> {
        self.find(id.as_str())
    }

    pub(super) fn get_by_str(&self, id: &str) -> Option<(&CallId, &CallEntry)> {
        self.find(id).map(|entry| (&entry.info.call_id, entry))
    }

    /// The entry of a call named by an event's text (its record holds the shared id).
    pub(super) fn get_mut_by_str(&mut self, id: &str) -> Option<&mut CallEntry> {
        self.find_mut(id)
    }

    pub(super) fn get_mut(&mut self, id: &CallId) -> Option<&mut CallEntry> {
        self.find_mut(id.as_str())
    }

    pub(super) fn contains_key(&self, id: &CallId) -> bool {
        self.find(id.as_str()).is_some()
    }

    /// The table's slot for `info`'s call: its entry if tracked, else a place for one.
    fn entry(&mut self, info: &CallInfo) -> Entry<'_, CallEntry> {
        self.visit(1);
        let hasher = &self.hasher;
        let id = info.call_id.as_str();
        self.calls.entry(
            hasher.hash_one(id),
            |entry| entry.info.call_id.as_str() == id,
            |entry| hasher.hash_one(entry.info.call_id.as_str()),
        )
    }

    /// Makes the shared record of a call read from the wire, its node id and context
    /// sharing the strings of the calls before it, and tracks it (in place of a record of
    /// the same id). Returns the record.
    pub(super) fn insert(&mut self, info: CallInfo) -> Arc<CallInfo> {
        let info = Arc::new(self.share_strings(info));
        match self.entry(&info) {
            Entry::Occupied(mut slot) => *slot.get_mut() = CallEntry::new(info.clone()),
            Entry::Vacant(slot) => drop(slot.insert(CallEntry::new(info.clone()))),
        }
        info
    }

    /// [`Calls::insert`] for a call not tracked yet, in one look-up; `None` (and nothing
    /// changed) when it is tracked already.
    pub(super) fn insert_new(&mut self, info: CallInfo) -> Option<Arc<CallInfo>> {
        let info = self.share_strings(info);
        match self.entry(&info) {
            Entry::Occupied(_) => None,
            Entry::Vacant(slot) => {
                let info = Arc::new(info);
                slot.insert(CallEntry::new(info.clone()));
                Some(info)
            }
        }
    }

    /// The call's node id and context share the strings of the calls before it.
    fn share_strings(&mut self, mut info: CallInfo) -> CallInfo {
        let hash = self.hash(info.node_id.as_str());
        let known = self
            .nodes
            .iter()
            .find(|(h, node)| *h == hash && *node == info.node_id);
        match known {
            Some((_, node)) => info.node_id = node.clone(),
            None => {
                self.nodes.truncate(NODES_SHARED - 1);
                self.nodes.push_front((hash, info.node_id.clone()));
            }
        }
        if let Some(context) = &info.context {
            if let Some(known) = self.contexts.iter().find(|c| **c == *context) {
                info.context = Some(known.clone());
            }
        }
        info
    }

    /// Tracks a leg of a pending dial or connect under its tag as well.
    pub(super) fn insert_leg(&mut self, tag: DialTag, info: CallInfo) -> Arc<CallInfo> {
        let info = self.insert(info);
        self.legs.entry(tag).or_default().push(info.call_id.clone());
        info
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

    /// Stops tracking a call that is over, and remembers it ended; returns its entry.
    pub(super) fn end(&mut self, id: &CallId) -> Option<CallEntry> {
        self.visit(1);
        let hash = self.hash(id.as_str());
        let (entry, _) = self
            .calls
            .find_entry(hash, |entry| entry.info.call_id == *id)
            .ok()?
            .remove();
        if let Some(tag) = &entry.info.tag {
            if let Some(legs) = self.legs.get_mut(tag) {
                self.visits.set(self.visits.get() + legs.len() as u64);
                legs.retain(|leg| leg != id);
                if legs.is_empty() {
                    self.legs.remove(tag);
                }
            }
        }
        self.digit_bound.remove(id);
        self.remember_ended(id);
        // A table that held a burst of calls gives its memory back as they end; only a large
        // one, and only when mostly empty, so that a load going up and down does not make it
        // rehash back and forth.
        if self.calls.capacity() >= 1024 && self.calls.len() * 8 < self.calls.capacity() {
            let hasher = &self.hasher;
            self.calls.shrink_to(self.calls.len() * 2, |entry| {
                hasher.hash_one(entry.info.call_id.as_str())
            });
        }
        if self.calls.is_empty() {
            // Nothing left to share with: a node id kept would outlive its calls.
            self.nodes = VecDeque::new();
        }
        Some(entry)
    }

    /// Stops tracking every call at once (the session closed), as [`Calls::end`] on each
    /// would: returns the calls that have running actions, in id order (only those make
    /// events); remembers every id as ended (the last [`RECENTLY_ENDED`], in id order when
    /// some must be forgotten, as `end` would have); drops every leg and digit binding.
    pub(super) fn end_all(&mut self) -> Vec<(CallId, CallEntry)> {
        self.visit(self.calls.len());
        let calls = std::mem::take(&mut self.calls);
        let mut ended: Vec<CallId> = Vec::with_capacity(calls.len());
        let mut with_actions = Vec::new();
        for entry in calls {
            let id = entry.info.call_id.clone();
            if !entry.actions.is_empty() {
                with_actions.push((id.clone(), entry));
            }
            ended.push(id);
        }
        with_actions.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        self.legs.clear();
        self.digit_bound = FastSet::default();
        self.nodes = VecDeque::new();
        // The order of the remembered ids only decides which are forgotten first: it
        // matters only when some must be forgotten now (the session is over for good, so
        // none ends after these).
        if ended.len() + self.ended.len() > RECENTLY_ENDED {
            ended.sort_unstable();
        }
        let keep = ended.len().min(RECENTLY_ENDED);
        self.ended_set.reserve(keep);
        self.ended.reserve(keep);
        for id in &ended[ended.len() - keep..] {
            self.remember_ended(id);
        }
        with_actions
    }

    /// Whether a call ended recently (seen `ended`, or the server said it is gone). The
    /// last [`RECENTLY_ENDED`] such ids are remembered.
    pub(super) fn has_ended(&self, id: &CallId) -> bool {
        self.ended_set.contains(&self.fingerprint(id))
    }

    /// An id's fingerprint: a keyed 64-bit hash. Two ids share one with odds of one in
    /// 2^64, so with 10,000 remembered a new call is taken for an ended one about once in
    /// 10^15 calls (and then ignored as a repeat), a risk far below the network's.
    fn fingerprint(&self, id: &CallId) -> u64 {
        self.fingerprints.hash_one(id.as_str())
    }

    fn remember_ended(&mut self, id: &CallId) {
        let fingerprint = self.fingerprint(id);
        if self.ended_set.insert(fingerprint) {
            self.ended.push_back(fingerprint);
        }
        while self.ended.len() > RECENTLY_ENDED {
            if let Some(old) = self.ended.pop_front() {
                self.ended_set.remove(&old);
            }
        }
    }

    /// The call has digit bindings: the service may start actions on it by itself.
    pub(super) fn bind_digits(&mut self, id: &CallId) {
        let hash = self.hash(id.as_str());
        if self
            .calls
            .find(hash, |entry| entry.info.call_id == *id)
            .is_some()
        {
            self.digit_bound.insert(id.clone());
        }
    }

    /// Whether the call has digit bindings.
    pub(super) fn is_digit_bound<Q: std::hash::Hash + Eq + ?Sized>(&self, id: &Q) -> bool
    where
        CallId: std::borrow::Borrow<Q>,
    {
        self.digit_bound.contains(id)
    }

    /// The ids of the calls, in id order (events made for each come out in that order).
    pub(super) fn keys(&self) -> impl Iterator<Item = &CallId> {
        let mut ids: Vec<&CallId> = (self.calls.iter())
            .map(|entry| &entry.info.call_id)
            .inspect(|_| self.visit(1))
            .collect();
        ids.sort_unstable();
        ids.into_iter()
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &CallEntry> {
        self.calls.iter().inspect(|_| self.visit(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each active call holds one `CallEntry` in the engine's table and one `CallInfo`
    /// record shared with the driver; 10,000 streaming calls hold 10,000 of each, so a
    /// field added inline (an empty map, an unboxed rare variant) costs tens of KiB at
    /// once and the memory per call (issue 16: under 1.5 KiB) grows back unnoticed. The
    /// bounds are today's sizes on 64-bit targets: growing one is a decision, not an
    /// accident.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn call_records_stay_small() {
        use std::mem::size_of;
        // The record, its `Arc` counts included, fits a 160-byte allocation; with the
        // client's part of the call inside it (its end, a pointer for subscribers and a
        // bridge), a 200-byte one, where the client's own record was a second allocation
        // (168 and 96 bytes).
        #[cfg(not(feature = "driver"))]
        assert!(
            size_of::<CallInfo>() <= 144,
            "CallInfo: {}",
            size_of::<CallInfo>()
        );
        #[cfg(feature = "driver")]
        assert!(
            size_of::<CallInfo>() <= 184,
            "CallInfo: {}",
            size_of::<CallInfo>()
        );
        // A device unknown to this library is boxed: a `Device` is the size of a `String`.
        assert!(size_of::<crate::call::Device>() <= 32);
        // The table's entry: the record, the running actions (the first inline: 16 bytes
        // more in the table's slot, about 26 a call at the table's load, where a list of
        // its own was a 56-byte block and its malloc header), and behind one pointer the
        // finished ones and the every-event flag (a flag inline made the entry 64).
        assert!(
            size_of::<CallEntry>() <= 56,
            "CallEntry: {}",
            size_of::<CallEntry>()
        );
        assert_eq!(size_of::<Seldom>(), size_of::<usize>());
        // A descriptor, a kind in a word, flags.
        assert!(
            size_of::<ActionEntry>() <= 24,
            "ActionEntry: {}",
            size_of::<ActionEntry>()
        );
        assert!(size_of::<SmallMap<ControlId, ActionEntry>>() <= 40);
    }

    /// A call's first action costs its entry no allocation (10,000 streaming calls used to
    /// hold 10,000 one-slot lists); a kind not built in is kept whole.
    #[test]
    fn a_calls_first_action_is_kept_in_its_entry() {
        let info = Arc::new(CallInfo::new(CallId::from("c1"), NodeId::from("n1")));
        let mut entry = CallEntry::new(info);
        let stream = ActionEntry::new(ActionKind::Stream, ActionKind::Stream.shared_descriptor());
        assert!(stream.other_kind.is_none());
        assert_eq!(stream.kind(), ActionKind::Stream);
        entry.actions.insert(ControlId::from("a1"), stream);
        assert!(entry.actions.is_inline());
        let other = ActionKind::Other("hum".into());
        let hum = ActionEntry::new(other.clone(), other.shared_descriptor());
        assert_eq!(hum.kind(), other);
        assert_eq!(hum.into_kind(), other);
        for kind in BUILT_IN {
            let entry = ActionEntry::new(kind.clone(), kind.shared_descriptor());
            assert_eq!(entry.into_kind(), kind);
        }
    }

    #[test]
    fn finished_actions_are_remembered_up_to_the_limit() {
        let mut done = Seldom::default();
        assert!(!done.is_done("c0"));
        for i in 0..=DONE_ACTIONS_KEPT {
            done.insert_done(ControlId::from(format!("c{i}")));
        }
        // The oldest is forgotten, the latest kept; the flag is its own.
        assert!(!done.is_done("c0"));
        assert!(done.is_done("c1"));
        assert!(done.is_done(format!("c{DONE_ACTIONS_KEPT}").as_str()));
        assert!(!done.every_event());
        done.watch_every_event();
        assert!(done.every_event() && done.is_done("c1"));
    }

    #[test]
    fn ending_every_call_at_once_remembers_what_ending_each_would() {
        let table = |n: usize| {
            let mut calls = Calls::new(&[]);
            for i in 0..n {
                let id = CallId::from(format!("c{i:05}"));
                calls.insert(CallInfo::new(id, NodeId::from("n1")));
            }
            calls
        };
        // A few: every one is remembered, none has actions, so none is returned.
        let mut few = table(3);
        assert!(few.end_all().is_empty());
        assert_eq!(few.len(), 0);
        assert!((0..3).all(|i| few.has_ended(&CallId::from(format!("c{i:05}")))));
        // More than are remembered: the ones `end` in id order would have pushed out (the
        // smallest ids) are forgotten, the rest kept.
        let extra = 5;
        let mut many = table(RECENTLY_ENDED + extra);
        many.end_all();
        for i in 0..RECENTLY_ENDED + extra {
            let id = CallId::from(format!("c{i:05}"));
            assert_eq!(many.has_ended(&id), i >= extra, "{id}");
        }
        assert_eq!(many.ended.len(), RECENTLY_ENDED);
        assert_eq!(many.ended_set.len(), RECENTLY_ENDED);
    }

    /// Calls of a few nodes share each node's id string, interleaved or not; a node not
    /// seen lately gets a string of its own, and none is kept once no call is tracked.
    #[test]
    fn calls_of_a_few_nodes_share_their_node_ids() {
        let mut calls = Calls::new(&[]);
        let records: Vec<Arc<CallInfo>> = (0..40)
            .map(|i| {
                let id = CallId::from(format!("c{i:05}"));
                calls.insert(CallInfo::new(id, NodeId::from(format!("node-{}", i % 3))))
            })
            .collect();
        for (i, record) in records.iter().enumerate().skip(3) {
            let first = &records[i % 3].node_id;
            assert!(
                std::ptr::eq(record.node_id.as_str(), first.as_str()),
                "call {i}"
            );
        }
        // More distinct nodes than are kept: the oldest is forgotten.
        for n in 0..NODES_SHARED {
            let id = CallId::from(format!("d{n}"));
            calls.insert(CallInfo::new(id, NodeId::from(format!("other-{n}"))));
        }
        let late = calls.insert(CallInfo::new(CallId::from("late"), NodeId::from("node-0")));
        assert!(!std::ptr::eq(
            late.node_id.as_str(),
            records[0].node_id.as_str()
        ));
        assert_eq!(calls.nodes.len(), NODES_SHARED);
        let ids: Vec<CallId> = calls.keys().cloned().collect();
        for id in &ids {
            calls.end(id);
        }
        assert!(calls.nodes.is_empty());
    }

    fn table_of(n: usize) -> Calls {
        let mut calls = Calls::new(&[]);
        for i in 0..n {
            calls.insert(CallInfo::new(
                CallId::from(format!("c{i:05}")),
                NodeId::from("n1"),
            ));
        }
        calls
    }

    /// The table keeps each entry alone in its slot, found by the id in its record: at
    /// 10,000 calls its one allocation is ~93 bytes a call (16,384 slots of a 56-byte
    /// entry, which holds the call's first action inline, and a control byte). A map keyed
    /// by a copy of the id (two more words a slot) would be 119.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn the_table_holds_no_key_beside_each_entry() {
        let calls = table_of(10_000);
        let per_call = calls.calls.allocation_size() / 10_000;
        assert!(per_call <= 94, "{per_call} bytes a call");
        // Every entry is found by its id, as text or as an id.
        for i in [0, 4_999, 9_999] {
            let id = CallId::from(format!("c{i:05}"));
            assert!(calls.contains_key(&id));
            let (key, entry) = calls.get_by_str(id.as_str()).expect("tracked");
            assert!(std::ptr::eq(key, &entry.info.call_id));
        }
        assert!(calls.get_by_str("c10000").is_none());
    }

    /// An ended call is remembered without its id: once its record is gone, nothing holds
    /// the id's string (10,000 ended calls keep no strings), and it is still known as ended.
    #[test]
    fn ended_calls_are_remembered_without_their_ids() {
        let mut calls = table_of(3);
        let id = CallId::from("c00001");
        let record = calls.get(&id).expect("tracked").info.call_id.clone();
        let entry = calls.end(&id).expect("ended");
        drop(entry);
        assert_eq!(record.holders(), 1, "only this test holds the id");
        assert!(calls.has_ended(&id));
        assert!(calls.get(&id).is_none());
        assert!(!calls.has_ended(&CallId::from("c00002")));
        // All at once, too.
        let held: Vec<CallId> = calls.keys().cloned().collect();
        assert!(calls.end_all().is_empty());
        for id in &held {
            assert_eq!(id.holders(), 1, "{id}");
            assert!(calls.has_ended(id));
        }
        // Replacing a tracked record keeps one entry, the new record.
        let other = calls.insert(CallInfo::new(CallId::from("c00002"), NodeId::from("n1")));
        let again = calls.insert(CallInfo::new(CallId::from("c00002"), NodeId::from("n1")));
        assert_eq!(calls.len(), 1);
        let kept = &calls.get(&other.call_id).expect("new").info;
        assert!(Arc::ptr_eq(kept, &again) && !Arc::ptr_eq(kept, &other));
    }
}
