//! What waits for legs under a tag: the dials waiting for their call (`calling.dial`), with
//! their deadlines in order, and the `calling.connect`s in progress, by tag and by the call
//! each bridges.

use crate::ids::{CallId, DialTag, RequestId};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

/// One dial waiting for its call.
#[derive(Debug, Clone)]
pub(super) struct DialEntry {
    pub(super) request_id: RequestId,
    pub(super) deadline: Instant,
    /// The devices its plan rings: more legs under its tag than that are forged.
    pub(super) max_legs: usize,
}

/// The pending dials; a dial and its deadline come and go together.
#[derive(Debug, Default)]
pub(super) struct Dials {
    map: BTreeMap<DialTag, DialEntry>,
    deadlines: BTreeSet<(Instant, DialTag)>,
}

impl Dials {
    pub(super) fn len(&self) -> usize {
        self.map.len()
    }

    /// Deadlines tracked (one a dial).
    pub(super) fn deadlines(&self) -> usize {
        self.deadlines.len()
    }

    pub(super) fn get(&self, tag: &DialTag) -> Option<&DialEntry> {
        self.map.get(tag)
    }

    pub(super) fn contains_key(&self, tag: &DialTag) -> bool {
        self.map.contains_key(tag)
    }

    pub(super) fn keys(&self) -> impl Iterator<Item = &DialTag> {
        self.map.keys()
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (&DialTag, &DialEntry)> {
        self.map.iter()
    }

    /// Tracks a dial until its `deadline`; a dial of the same tag is replaced.
    pub(super) fn insert(&mut self, tag: DialTag, dial: DialEntry) {
        self.deadlines.insert((dial.deadline, tag.clone()));
        if let Some(old) = self.map.insert(tag.clone(), dial) {
            self.deadlines.remove(&(old.deadline, tag));
        }
    }

    /// Forgets a dial and its deadline.
    pub(super) fn remove(&mut self, tag: &DialTag) -> Option<DialEntry> {
        let dial = self.map.remove(tag)?;
        self.deadlines.remove(&(dial.deadline, tag.clone()));
        Some(dial)
    }

    /// The earliest deadline.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.first().map(|(at, _)| *at)
    }

    /// The earliest deadline and its dial's tag, when it is at or before `now`.
    pub(super) fn first_due(&self, now: Instant) -> Option<(Instant, DialTag)> {
        self.deadlines.first().filter(|(at, _)| *at <= now).cloned()
    }

    /// Forgets a deadline by itself (normally gone with its dial already).
    pub(super) fn forget_deadline(&mut self, deadline: &(Instant, DialTag)) {
        self.deadlines.remove(deadline);
    }
}

/// One `calling.connect` in progress ([§2.1](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)).
#[derive(Debug, Clone)]
pub(super) struct ConnectEntry {
    /// The call being bridged.
    owner: CallId,
    /// The devices its plan rings: more legs or peers than that are forged.
    pub(super) max_legs: usize,
    /// Peers tracked for it so far.
    peers: usize,
}

/// The `calling.connect`s in progress, by tag and by the call each bridges: a state event
/// with one of the tags announces a peer leg, and a call's `connected` event finds its legs
/// at once through the call.
#[derive(Debug, Default)]
pub(super) struct Connects {
    tags: BTreeMap<DialTag, ConnectEntry>,
    of: BTreeMap<CallId, Vec<DialTag>>,
}

impl Connects {
    pub(super) fn len(&self) -> usize {
        self.tags.len()
    }

    pub(super) fn get(&self, tag: &DialTag) -> Option<&ConnectEntry> {
        self.tags.get(tag)
    }

    pub(super) fn contains_key(&self, tag: &DialTag) -> bool {
        self.tags.contains_key(tag)
    }

    /// Tracks a connect of `owner` under `tag`, ringing `max_legs` devices. A tag reused
    /// while its connect is in progress replaces it.
    pub(super) fn insert(&mut self, tag: DialTag, owner: CallId, max_legs: usize) {
        let entry = ConnectEntry {
            owner: owner.clone(),
            max_legs,
            peers: 0,
        };
        if let Some(old) = self.tags.insert(tag.clone(), entry) {
            if let Some(tags) = self.of.get_mut(&old.owner) {
                tags.retain(|t| *t != tag);
            }
        }
        self.of.entry(owner).or_default().push(tag);
    }

    /// The tags of the connects of `owner`.
    pub(super) fn tags_of(&self, owner: &CallId) -> &[DialTag] {
        self.of.get(owner).map(Vec::as_slice).unwrap_or_default()
    }

    /// A connect of `owner` whose plan rings more devices than it has peers; otherwise why
    /// a peer of `owner` cannot be tracked.
    pub(super) fn free_slot(&self, owner: &CallId) -> Result<DialTag, &'static str> {
        let Some(tags) = self.of.get(owner) else {
            return Err("no calling.connect was asked for on this call");
        };
        tags.iter()
            .find(|tag| self.tags.get(*tag).is_some_and(|c| c.peers < c.max_legs))
            .cloned()
            .ok_or("more peers than its plan rings")
    }

    /// Counts a peer tracked for the connect of `tag`.
    pub(super) fn add_peer(&mut self, tag: &DialTag) {
        if let Some(entry) = self.tags.get_mut(tag) {
            entry.peers += 1;
        }
    }

    /// Forgets every connect (the session closed with their calls).
    pub(super) fn clear(&mut self) {
        self.tags.clear();
        self.of.clear();
    }

    /// Forgets the connects of `owner`; returns their tags.
    pub(super) fn remove_of(&mut self, owner: &CallId) -> Vec<DialTag> {
        let tags = self.of.remove(owner).unwrap_or_default();
        for tag in &tags {
            self.tags.remove(tag);
        }
        tags
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn dial(request: &str, deadline: Instant) -> DialEntry {
        DialEntry {
            request_id: RequestId::from(request),
            deadline,
            max_legs: 1,
        }
    }

    #[test]
    fn a_dial_and_its_deadline_come_and_go_together() {
        let t0 = Instant::now();
        let second = Duration::from_secs(1);
        let mut dials = Dials::default();
        dials.insert(DialTag::new("late"), dial("r1", t0 + 2 * second));
        dials.insert(DialTag::new("early"), dial("r2", t0 + second));
        assert_eq!(dials.next_deadline(), Some(t0 + second));
        assert_eq!(dials.first_due(t0), None);
        assert_eq!(
            dials.first_due(t0 + second),
            Some((t0 + second, DialTag::new("early")))
        );
        // Replaced: the old deadline goes with the old dial.
        dials.insert(DialTag::new("early"), dial("r3", t0 + 3 * second));
        assert_eq!((dials.len(), dials.deadlines()), (2, 2));
        assert_eq!(dials.next_deadline(), Some(t0 + 2 * second));
        let removed = dials.remove(&DialTag::new("late")).expect("tracked");
        assert_eq!(removed.request_id, RequestId::from("r1"));
        assert_eq!((dials.len(), dials.deadlines()), (1, 1));
        assert!(dials.remove(&DialTag::new("late")).is_none());
        assert_eq!(dials.next_deadline(), Some(t0 + 3 * second));
    }

    #[test]
    fn peers_are_counted_against_the_plan_and_a_reused_tag_moves_to_its_new_call() {
        let (a, b) = (CallId::new("a"), CallId::new("b"));
        let tag = DialTag::new("t");
        let mut connects = Connects::default();
        assert_eq!(
            connects.free_slot(&a),
            Err("no calling.connect was asked for on this call")
        );
        connects.insert(tag.clone(), a.clone(), 1);
        assert_eq!(connects.free_slot(&a), Ok(tag.clone()));
        connects.add_peer(&tag);
        assert_eq!(
            connects.free_slot(&a),
            Err("more peers than its plan rings")
        );

        connects.insert(tag.clone(), b.clone(), 2);
        assert!(connects.tags_of(&a).is_empty());
        assert_eq!(connects.tags_of(&b), std::slice::from_ref(&tag));
        assert_eq!(
            (connects.len(), connects.get(&tag).map(|c| c.max_legs)),
            (1, Some(2))
        );
        assert_eq!(connects.remove_of(&b), vec![tag.clone()]);
        assert!(!connects.contains_key(&tag));
        assert_eq!(connects.len(), 0);
    }
}
