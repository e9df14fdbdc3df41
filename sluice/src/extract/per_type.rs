//! Values worked out once per type and kept for the life of the process.
//!
//! What a 422 needs to know about a model (its JSON Schema, a form's
//! fields) is the same on every request, and a client chooses how often
//! it is asked: it is made on first use and shared after.

use std::any::TypeId;
use std::collections::BTreeMap;
use std::sync::RwLock;

/// One `V` per type, made the first time it is asked for.
pub(crate) struct PerType<V>(RwLock<BTreeMap<TypeId, V>>);

impl<V: Clone> PerType<V> {
    /// An empty cache, for a `static`.
    pub(crate) const fn new() -> Self {
        PerType(RwLock::new(BTreeMap::new()))
    }

    /// `T`'s value, made by `make` when there is none yet. `make` runs
    /// outside the lock: a panic in it leaves the cache as it was, and two
    /// threads asking first at once both make one, the first kept.
    pub(crate) fn get_or_make<T: ?Sized + 'static>(&self, make: impl FnOnce() -> V) -> V {
        let id = TypeId::of::<T>();
        if let Some(known) = self.0.read().ok().and_then(|map| map.get(&id).cloned()) {
            return known;
        }
        let made = make();
        match self.0.write() {
            Ok(mut map) => map.entry(id).or_insert(made).clone(),
            Err(_) => made,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn a_value_is_made_once_per_type() {
        static CACHE: PerType<usize> = PerType::new();
        let made = AtomicUsize::new(0);
        let make = |n| {
            made.fetch_add(1, Ordering::Relaxed);
            n
        };
        assert_eq!(CACHE.get_or_make::<u8>(|| make(8)), 8);
        assert_eq!(CACHE.get_or_make::<u8>(|| make(80)), 8);
        assert_eq!(CACHE.get_or_make::<str>(|| make(3)), 3);
        assert_eq!(made.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn a_panic_while_making_leaves_the_cache_usable() {
        static CACHE: PerType<usize> = PerType::new();
        let failed = std::panic::catch_unwind(|| CACHE.get_or_make::<u8>(|| panic!("no value")));
        assert!(failed.is_err());
        assert_eq!(CACHE.get_or_make::<u8>(|| 1), 1);
    }
}
