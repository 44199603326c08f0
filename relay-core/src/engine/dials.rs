//! The dials waiting for their call (`calling.dial`), by tag, with their deadlines in order.

use crate::ids::{DialTag, RequestId};
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
}
