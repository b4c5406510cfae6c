//! Files in the order they were last asked about, and the per-step budget of looks at files that only *may*
//! have changed (shared by lessons and traced scripts).

use std::collections::{BTreeMap, BTreeSet};

/// Files asked about again per step at most among those that only *may* have changed (untouched files last
/// seen dirty or under writeback, or every file after reclaim): the longest unasked first. A step's touched
/// files are asked beyond it. 32 `fstatat` + `cachestat` pairs cost well under a millisecond, and a lesson's
/// own files (a few, in every built-in lesson) all fit, so only lessons with many files carry some.
pub(crate) const LOOK_BUDGET: usize = 32;

/// Keys (file names) by the step of their last look, oldest first.
pub(super) struct ByAge<K: Ord + Clone> {
    at: BTreeMap<K, usize>,
    order: BTreeSet<(usize, K)>,
}

impl<K: Ord + Clone> Default for ByAge<K> {
    fn default() -> Self {
        ByAge {
            at: BTreeMap::new(),
            order: BTreeSet::new(),
        }
    }
}

impl<K: Ord + Clone> ByAge<K> {
    /// `key` was asked about at `step`.
    pub(super) fn set(&mut self, key: &K, step: usize) {
        if let Some(old) = self.at.insert(key.clone(), step) {
            self.order.remove(&(old, key.clone()));
        }
        self.order.insert((step, key.clone()));
    }

    pub(super) fn remove(&mut self, key: &K) {
        if let Some(old) = self.at.remove(key) {
            self.order.remove(&(old, key.clone()));
        }
    }

    pub(super) fn contains(&self, key: &K) -> bool {
        self.at.contains_key(key)
    }

    pub(super) fn len(&self) -> usize {
        self.at.len()
    }

    /// Oldest look first.
    pub(super) fn oldest(&self) -> impl Iterator<Item = &K> {
        self.order.iter().map(|(_, k)| k)
    }
}

/// Up to [`LOOK_BUDGET`] keys of `pool`, oldest look first, that are not in `must` and pass `keep`; the keys
/// that fail `keep` (met on the way); and how many keys of the pool were left for a later step.
pub(super) fn choose<K: Ord + Clone>(
    pool: &ByAge<K>,
    must: &BTreeSet<K>,
    keep: impl Fn(&K) -> bool,
) -> (Vec<K>, Vec<K>, usize) {
    let mut chosen = Vec::new();
    let mut stale = Vec::new();
    for key in pool.oldest() {
        if must.contains(key) {
            continue;
        }
        if !keep(key) {
            stale.push(key.clone());
        } else if chosen.len() < LOOK_BUDGET {
            chosen.push(key.clone());
        } else {
            // Counted, not walked: the rest of the pool, less the touched keys and stale ones in it.
            let touched_in_pool = must.iter().filter(|m| pool.contains(m)).count();
            let left = pool
                .len()
                .saturating_sub(touched_in_pool + chosen.len() + stale.len());
            return (chosen, stale, left);
        }
    }
    (chosen, stale, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_takes_the_oldest_looks_first_and_counts_the_rest() {
        let mut pool: ByAge<String> = ByAge::default();
        for k in 0..100 {
            pool.set(&format!("f{k}"), 100 - k);
        }
        let must = BTreeSet::from(["f99".to_string(), "f0".to_string()]);
        let (chosen, stale, left) = choose(&pool, &must, |k| k != "f98");
        assert_eq!(chosen.len(), LOOK_BUDGET);
        // f99 (oldest) is touched, f98 is stale: the budget starts at f97.
        assert_eq!(chosen[0], "f97");
        assert_eq!(stale, vec!["f98".to_string()]);
        assert_eq!(left, 100 - 2 - 1 - LOOK_BUDGET);
        // Asked again: now the newest, so a later choice reaches the others.
        for c in &chosen {
            pool.set(c, 200);
        }
        let (next, _, _) = choose(&pool, &must, |_| true);
        assert!(next.iter().all(|k| !chosen.contains(k)), "{next:?}");
        let (all, _, left) = choose(&pool, &BTreeSet::new(), |_| true);
        assert_eq!((all.len(), left), (LOOK_BUDGET, 100 - LOOK_BUDGET));
    }

    #[test]
    fn the_views_footnote_names_the_budget() {
        let says = format!("at most {LOOK_BUDGET} per step");
        assert!(crate::trace::CARRIED_RULE.contains(&says), "{says}");
    }
}
