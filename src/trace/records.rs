//! Per-name records shared between the steps of a trace, so its memory grows with what steps change.

use std::sync::Arc;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// Entries per chunk after a split (a chunk holds at most twice this).
const CHUNK: usize = 32;

type Chunk<T> = Vec<(Arc<str>, Arc<T>)>;

/// A map from name to record, in name order, whose clones share everything.
///
/// Every step of a trace holds the state of every variable, but a step changes only a few of them. Cloning
/// this map is O(1); changing one entry copies one chunk (at most `2 * CHUNK` pointers) and the list of
/// chunk pointers (names / `CHUNK`), never a record. So a trace of S steps over V variables holds one record
/// per change, not S × V records; the JSON view still writes every entry of every step.
pub struct Records<T> {
    chunks: Arc<Vec<Arc<Chunk<T>>>>,
    len: usize,
}

impl<T> Clone for Records<T> {
    fn clone(&self) -> Self {
        Records {
            chunks: self.chunks.clone(),
            len: self.len,
        }
    }
}

impl<T> Default for Records<T> {
    fn default() -> Self {
        Records {
            chunks: Arc::new(Vec::new()),
            len: 0,
        }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Records<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<T> Records<T> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there is no entry.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The chunk that holds (or would hold) `key`, and the key's place in it.
    fn locate(&self, key: &str) -> Option<(usize, Result<usize, usize>)> {
        if self.chunks.is_empty() {
            return None;
        }
        let after = self.chunks.partition_point(|c| &*c[0].0 <= key);
        let ci = after.saturating_sub(1);
        Some((
            ci,
            self.chunks[ci].binary_search_by(|(k, _)| (**k).cmp(key)),
        ))
    }

    /// The record of `key`.
    pub fn get(&self, key: &str) -> Option<&T> {
        self.get_shared(key).map(|v| &**v)
    }

    /// The record of `key` as the shared pointer (cloning it shares the record).
    pub fn get_shared(&self, key: &str) -> Option<&Arc<T>> {
        match self.locate(key)? {
            (ci, Ok(i)) => Some(&self.chunks[ci][i].1),
            (_, Err(_)) => None,
        }
    }

    /// True when `key` has a record.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get_shared(key).is_some()
    }

    /// Every entry in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.chunks
            .iter()
            .flat_map(|c| c.iter().map(|(k, v)| (&**k, &**v)))
    }

    /// Every name in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.iter().map(|(k, _)| k)
    }

    /// Every record in name order.
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.iter().map(|(_, v)| v)
    }

    /// Set `key` to `value`.
    pub fn insert(&mut self, key: &str, value: T) {
        self.insert_shared(key, Arc::new(value));
    }

    /// Set `key` to a record that may be shared with other maps.
    pub fn insert_shared(&mut self, key: &str, value: Arc<T>) {
        let Some((ci, at)) = self.locate(key) else {
            Arc::make_mut(&mut self.chunks).push(Arc::new(vec![(Arc::from(key), value)]));
            self.len = 1;
            return;
        };
        let chunks = Arc::make_mut(&mut self.chunks);
        let chunk = Arc::make_mut(&mut chunks[ci]);
        match at {
            Ok(i) => chunk[i].1 = value,
            Err(i) => {
                chunk.insert(i, (Arc::from(key), value));
                self.len += 1;
                if chunk.len() > 2 * CHUNK {
                    let tail = chunk.split_off(CHUNK);
                    chunks.insert(ci + 1, Arc::new(tail));
                }
            }
        }
    }

    /// Remove `key`; true when it had a record.
    pub fn remove(&mut self, key: &str) -> bool {
        let Some((ci, Ok(i))) = self.locate(key) else {
            return false;
        };
        let chunks = Arc::make_mut(&mut self.chunks);
        let chunk = Arc::make_mut(&mut chunks[ci]);
        chunk.remove(i);
        if chunk.is_empty() {
            chunks.remove(ci);
        }
        self.len -= 1;
        true
    }
}

/// `records["name"]`, as for a `BTreeMap`: panics when there is no such entry (tests; code uses `get`).
impl<T> std::ops::Index<&str> for Records<T> {
    type Output = T;
    fn index(&self, key: &str) -> &T {
        match self.get(key) {
            Some(v) => v,
            None => panic!("no record named {key:?}"),
        }
    }
}

impl<'a, T> IntoIterator for &'a Records<T> {
    type Item = (&'a str, &'a T);
    type IntoIter = Box<dyn Iterator<Item = (&'a str, &'a T)> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl<T, K: AsRef<str>> FromIterator<(K, T)> for Records<T> {
    fn from_iter<I: IntoIterator<Item = (K, T)>>(items: I) -> Self {
        let mut out = Records::new();
        for (k, v) in items {
            out.insert(k.as_ref(), v);
        }
        out
    }
}

impl<T> From<std::collections::BTreeMap<String, T>> for Records<T> {
    fn from(map: std::collections::BTreeMap<String, T>) -> Self {
        map.into_iter().collect()
    }
}

impl<T: PartialEq> PartialEq for Records<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

/// Written as the JSON object `{name: record, …}`, every entry, exactly as a `BTreeMap` would be.
impl<T: Serialize> Serialize for Records<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.len))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Random inserts and removes agree with a BTreeMap, and an old clone never sees a later change.
    #[test]
    fn behaves_like_a_btreemap_and_clones_are_snapshots() {
        let mut model: BTreeMap<String, u32> = BTreeMap::new();
        let mut records: Records<u32> = Records::new();
        let mut history: Vec<(BTreeMap<String, u32>, Records<u32>)> = Vec::new();
        let mut x: u64 = 12345;
        for step in 0..5000u32 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let key = format!("v{}", (x >> 33) % 300);
            if (x >> 20).is_multiple_of(5) {
                assert_eq!(records.remove(&key), model.remove(&key).is_some());
            } else {
                records.insert(&key, step);
                model.insert(key, step);
            }
            assert_eq!(records.len(), model.len());
            if step.is_multiple_of(97) {
                history.push((model.clone(), records.clone()));
            }
        }
        history.push((model, records));
        for (m, r) in &history {
            let got: Vec<(String, u32)> = r.iter().map(|(k, v)| (k.to_string(), *v)).collect();
            let want: Vec<(String, u32)> = m.iter().map(|(k, v)| (k.clone(), *v)).collect();
            assert_eq!(got, want);
            for k in m.keys() {
                assert_eq!(r.get(k), m.get(k));
            }
            assert_eq!(r.get("absent"), None);
            assert_eq!(
                serde_json::to_string(r).unwrap(),
                serde_json::to_string(m).unwrap()
            );
        }
    }

    #[test]
    fn an_unchanged_record_is_shared_not_copied() {
        let mut a: Records<String> = (0..100)
            .map(|i| (format!("v{i:03}"), i.to_string()))
            .collect();
        let b = a.clone();
        a.insert("v050", "changed".to_string());
        assert_eq!(b.get("v050").map(String::as_str), Some("50"));
        assert_eq!(a.get("v050").map(String::as_str), Some("changed"));
        let (pa, pb) = (a.get_shared("v010").unwrap(), b.get_shared("v010").unwrap());
        assert!(Arc::ptr_eq(pa, pb));
    }
}
