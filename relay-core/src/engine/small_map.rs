//! A map for the few entries one call holds (its running actions, the ids of its finished
//! ones): the first entry inline, more in a vector searched in order, grown one slot at a time.
//!
//! A `BTreeMap` allocates a node of eleven slots for its first entry, and a vector a block
//! of its own: with 10,000 calls of one action each, either was an allocation per call.

use std::borrow::Borrow;

/// `(key, value)` pairs with map methods, in insertion order until one is removed.
#[derive(Debug, Clone)]
pub(crate) struct SmallMap<K, V> {
    entries: Entries<K, V>,
}

/// One entry inline (a call running one action, the common case), more in a list.
#[derive(Debug, Clone)]
enum Entries<K, V> {
    None,
    One((K, V)),
    Many(Vec<(K, V)>),
}

impl<K, V> Default for SmallMap<K, V> {
    fn default() -> Self {
        Self {
            entries: Entries::None,
        }
    }
}

impl<K: Eq, V> SmallMap<K, V> {
    fn as_slice(&self) -> &[(K, V)] {
        match &self.entries {
            Entries::None => &[],
            Entries::One(entry) => std::slice::from_ref(entry),
            Entries::Many(all) => all,
        }
    }

    fn as_mut_slice(&mut self) -> &mut [(K, V)] {
        match &mut self.entries {
            Entries::None => &mut [],
            Entries::One(entry) => std::slice::from_mut(entry),
            Entries::Many(all) => all,
        }
    }

    fn position<Q>(&self, key: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        self.as_slice().iter().position(|(k, _)| k.borrow() == key)
    }

    pub(crate) fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        self.position(key).map(|i| &self.as_slice()[i].1)
    }

    pub(crate) fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        self.position(key).map(|i| &mut self.as_mut_slice()[i].1)
    }

    /// The stored key with its value: the key is the map's own (a shared id, not a copy).
    pub(crate) fn get_key_value_mut<Q>(&mut self, key: &Q) -> Option<(&K, &mut V)>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let i = self.position(key)?;
        let (k, v) = &mut self.as_mut_slice()[i];
        Some((&*k, v))
    }

    pub(crate) fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        self.position(key).is_some()
    }

    /// Inserts or replaces; returns the value replaced.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        if let Some(i) = self.position(&key) {
            return Some(std::mem::replace(&mut self.as_mut_slice()[i].1, value));
        }
        self.entries = match std::mem::replace(&mut self.entries, Entries::None) {
            Entries::None => Entries::One((key, value)),
            Entries::One(first) => {
                // Exact growth: most calls never hold more than one or two entries.
                let mut all = Vec::with_capacity(2);
                all.extend([first, (key, value)]);
                Entries::Many(all)
            }
            Entries::Many(mut all) => {
                all.reserve_exact(1);
                all.push((key, value));
                Entries::Many(all)
            }
        };
        None
    }

    pub(crate) fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let i = self.position(key)?;
        let removed = match std::mem::replace(&mut self.entries, Entries::None) {
            Entries::None => return None,
            Entries::One(entry) => entry,
            Entries::Many(mut all) => {
                let removed = all.swap_remove(i);
                self.entries = Self::from_vec(all);
                removed
            }
        };
        Some(removed.1)
    }

    pub(crate) fn is_empty(&self) -> bool {
        matches!(self.entries, Entries::None)
    }

    /// Whether its entries take no allocation of their own (none, or one).
    #[cfg(test)]
    pub(crate) fn is_inline(&self) -> bool {
        !matches!(self.entries, Entries::Many(_))
    }

    pub(crate) fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// Drops the oldest entries beyond `max`.
    pub(crate) fn truncate_oldest(&mut self, max: usize) {
        if self.len() <= max {
            return;
        }
        self.entries = match std::mem::replace(&mut self.entries, Entries::None) {
            Entries::Many(mut all) => {
                all.drain(..all.len() - max);
                Self::from_vec(all)
            }
            // One entry beyond `max` (zero): none left.
            _ => Entries::None,
        };
    }

    /// A list of one goes back inline (its block freed), an empty one goes.
    fn from_vec(mut all: Vec<(K, V)>) -> Entries<K, V> {
        match all.len() {
            0 => Entries::None,
            1 => all.pop().map_or(Entries::None, Entries::One),
            _ => Entries::Many(all),
        }
    }
}

impl<K, V> IntoIterator for SmallMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::iter::Chain<std::option::IntoIter<(K, V)>, std::vec::IntoIter<(K, V)>>;

    /// Every entry, without a list for the common single one.
    fn into_iter(self) -> Self::IntoIter {
        let (one, many) = match self.entries {
            Entries::None => (None, Vec::new()),
            Entries::One(entry) => (Some(entry), Vec::new()),
            Entries::Many(all) => (None, all),
        };
        one.into_iter().chain(many)
    }
}

#[cfg(test)]
mod tests {
    use super::{Entries, SmallMap};

    #[test]
    fn behaves_as_a_map() {
        let mut map = SmallMap::default();
        assert_eq!(map.insert("a".to_owned(), 1), None);
        assert_eq!(map.insert("b".to_owned(), 2), None);
        assert_eq!(map.insert("a".to_owned(), 3), Some(1));
        assert_eq!(map.get("a"), Some(&3));
        assert!(map.contains_key("b"));
        assert_eq!(map.remove("a"), Some(3));
        assert_eq!(map.remove("a"), None);
        assert_eq!(map.len(), 1);
        *map.get_mut("b").expect("b") += 1;
        assert_eq!(
            map.into_iter().collect::<Vec<_>>(),
            vec![("b".to_owned(), 3)]
        );
    }

    /// The first entry costs no allocation; a second makes a list of exactly two, and a
    /// list back to one entry goes back inline.
    #[test]
    fn one_entry_is_kept_inline() {
        let mut map = SmallMap::default();
        map.insert(1, "one");
        assert!(matches!(map.entries, Entries::One((1, "one"))));
        assert_eq!(map.get(&1), Some(&"one"));
        map.insert(2, "two");
        assert!(matches!(&map.entries, Entries::Many(all) if all.capacity() == 2));
        assert_eq!(map.remove(&1), Some("one"));
        assert!(matches!(map.entries, Entries::One((2, "two"))));
        assert_eq!(map.remove(&2), Some("two"));
        assert!(map.is_empty());
        assert_eq!(map.remove(&2), None);
    }

    #[test]
    fn grows_one_slot_at_a_time_and_forgets_the_oldest() {
        let mut map = SmallMap::default();
        for i in 1..=3 {
            map.insert(i, ());
        }
        assert!(matches!(&map.entries, Entries::Many(all) if all.capacity() == 3));
        for i in 4..=5 {
            map.insert(i, ());
        }
        map.truncate_oldest(2);
        assert_eq!(
            map.clone().into_iter().map(|(k, _)| k).collect::<Vec<_>>(),
            vec![4, 5]
        );
        map.truncate_oldest(1);
        assert!(matches!(map.entries, Entries::One((5, ()))));
        map.truncate_oldest(0);
        assert!(map.is_empty());
    }
}
