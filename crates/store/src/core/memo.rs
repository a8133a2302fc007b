//! A value kept in memory after its first read: for reference data read on nearly every
//! page (the picklists, the service catalogue) and changed only by the seeding a server
//! does when it starts, which forgets it. A newer server seeding new items on a shared
//! database reaches older servers when they restart, as with every upgrade.

use std::sync::{Arc, RwLock};

pub(crate) struct Memo<T>(Arc<RwLock<Option<Arc<T>>>>);

impl<T> Clone for Memo<T> {
    fn clone(&self) -> Self {
        Memo(self.0.clone())
    }
}

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Memo(Arc::new(RwLock::new(None)))
    }
}

impl<T> Memo<T> {
    pub(crate) fn get(&self) -> Option<Arc<T>> {
        self.0.read().ok().and_then(|g| g.clone())
    }

    pub(crate) fn set(&self, value: Arc<T>) {
        if let Ok(mut g) = self.0.write() {
            *g = Some(value);
        }
    }

    pub(crate) fn forget(&self) {
        if let Ok(mut g) = self.0.write() {
            *g = None;
        }
    }
}
