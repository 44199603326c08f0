//! A map for the few entries one call holds (its running actions, the ids of its finished
//! ones): a vector searched in order, grown one slot at a time.
//!
//! A `BTreeMap` allocates a node of eleven slots for its first entry; with 10,000 calls of
//! one action each, that was most of the engine's memory per call.

use std::borrow::Borrow;

/// A vector of `(key, value)` pairs with map methods.
#[derive(Debug, Clone)]
pub(crate) struct SmallMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for SmallMap<K, V> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

impl<K: Eq, V> SmallMap<K, V> {
    fn position<Q>(&self, key: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        self.entries.iter().position(|(k, _)| k.borrow() == key)
    }

    pub(crate) fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        self.position(key).map(|i| &self.entries[i].1)
    }

    pub(crate) fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        self.position(key).map(|i| &mut self.entries[i].1)
    }

    /// The stored key with its value: the key is the map's own (a shared id, not a copy).
    pub(crate) fn get_key_value_mut<Q>(&mut self, key: &Q) -> Option<(&K, &mut V)>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let i = self.position(key)?;
        let (k, v) = &mut self.entries[i];
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
            return Some(std::mem::replace(&mut self.entries[i].1, value));
        }
        if self.entries.len() == self.entries.capacity() {
            // Exact growth: most calls never hold more than one or two entries.
            self.entries.reserve_exact(1);
        }
        self.entries.push((key, value));
        None
    }

    pub(crate) fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let i = self.position(key)?;
        Some(self.entries.swap_remove(i).1)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Drops the oldest entries beyond `max`.
    pub(crate) fn truncate_oldest(&mut self, max: usize) {
        if self.entries.len() > max {
            let excess = self.entries.len() - max;
            self.entries.drain(..excess);
        }
    }
}

impl<K, V> IntoIterator for SmallMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::SmallMap;

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

    #[test]
    fn grows_one_slot_at_a_time_and_forgets_the_oldest() {
        let mut map = SmallMap::default();
        map.insert(1, ());
        assert_eq!(map.entries.capacity(), 1);
        for i in 2..=5 {
            map.insert(i, ());
        }
        map.truncate_oldest(2);
        assert_eq!(
            map.into_iter().map(|(k, _)| k).collect::<Vec<_>>(),
            vec![4, 5]
        );
    }
}
