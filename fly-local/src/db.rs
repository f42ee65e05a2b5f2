//! The live state: an in-memory view of the store, changed only through
//! [`Write`] transactions that persist before they are visible. A write that
//! fails to persist (or is abandoned half-way) reloads the view from the
//! store, so memory never holds what the disk does not.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard};

use tokio::sync::watch;

use crate::error::{ApiError, ApiResult};
use crate::model::{App, Machine, Volume};
use crate::store::{Change, Key, Store, StoreError, encode};

#[derive(Debug, Default)]
pub struct Db {
    pub apps: BTreeMap<String, App>,
    pub machines: BTreeMap<String, Machine>,
    pub volumes: BTreeMap<String, Volume>,
}

impl Db {
    pub fn app(&self, name: &str) -> ApiResult<&App> {
        self.apps
            .get(name)
            .ok_or_else(|| ApiError::not_found("app"))
    }

    pub fn machine(&self, app: &str, id: &str) -> ApiResult<&Machine> {
        self.app(app)?;
        self.machines
            .get(id)
            .filter(|m| m.app == app)
            .ok_or_else(|| ApiError::not_found("machine"))
    }

    pub fn volume(&self, app: &str, id: &str) -> ApiResult<&Volume> {
        self.app(app)?;
        self.volumes
            .get(id)
            .filter(|v| v.app == app && !v.is_destroyed())
            .ok_or_else(|| ApiError::not_found("volume"))
    }

    pub fn machines_of<'a>(&'a self, app: &'a str) -> impl Iterator<Item = &'a Machine> + 'a {
        self.machines.values().filter(move |m| m.app == app)
    }

    pub fn volumes_of<'a>(&'a self, app: &'a str) -> impl Iterator<Item = &'a Volume> + 'a {
        self.volumes.values().filter(move |v| v.app == app)
    }

    fn from_store(store: &Store) -> Result<Self, StoreError> {
        let snapshot = store.load()?;
        Ok(Self {
            apps: snapshot
                .apps
                .into_iter()
                .map(|a| (a.name.clone(), a))
                .collect(),
            machines: snapshot
                .machines
                .into_iter()
                .map(|m| (m.id.clone(), m))
                .collect(),
            volumes: snapshot
                .volumes
                .into_iter()
                .map(|v| (v.id.clone(), v))
                .collect(),
        })
    }

    fn change_for(&self, key: &Key) -> Result<Change, StoreError> {
        let body = match key {
            Key::App(id) => self.apps.get(id).map(|d| encode(key, d)),
            Key::Machine(id) => self.machines.get(id).map(|d| encode(key, d)),
            Key::Volume(id) => self.volumes.get(id).map(|d| encode(key, d)),
        };
        Ok(match body {
            Some(body) => Change::Put(key.clone(), body?),
            None => Change::Delete(key.clone()),
        })
    }
}

/// The state shared by the API, the admin API and the machine supervisors.
pub struct Shared {
    db: Mutex<Db>,
    store: Store,
    changes: watch::Sender<u64>,
}

impl Shared {
    pub fn open(store: Store) -> Result<Self, StoreError> {
        let db = Db::from_store(&store)?;
        Ok(Self {
            db: Mutex::new(db),
            store,
            changes: watch::channel(0).0,
        })
    }

    /// A read-only view (held briefly; never across an await).
    pub fn read(&self) -> MutexGuard<'_, Db> {
        self.db.lock().expect("db lock")
    }

    /// Starts a write transaction. Mark what you change with [`Write::touch`].
    pub fn write(&self) -> Write<'_> {
        Write {
            shared: self,
            db: self.db.lock().expect("db lock"),
            dirty: BTreeSet::new(),
            done: false,
        }
    }

    /// Fires after every committed write: waiters re-check their condition.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }
}

pub struct Write<'a> {
    shared: &'a Shared,
    db: MutexGuard<'a, Db>,
    dirty: BTreeSet<Key>,
    done: bool,
}

impl std::ops::Deref for Write<'_> {
    type Target = Db;
    fn deref(&self) -> &Db {
        &self.db
    }
}

impl std::ops::DerefMut for Write<'_> {
    fn deref_mut(&mut self) -> &mut Db {
        &mut self.db
    }
}

impl Write<'_> {
    pub fn touch(&mut self, key: Key) {
        self.dirty.insert(key);
    }

    pub fn touch_machine(&mut self, id: &str) {
        self.touch(Key::Machine(id.to_owned()));
    }

    pub fn touch_app(&mut self, name: &str) {
        self.touch(Key::App(name.to_owned()));
    }

    pub fn touch_volume(&mut self, id: &str) {
        self.touch(Key::Volume(id.to_owned()));
    }

    /// Persists every touched document in one transaction, then notifies waiters.
    pub fn commit(mut self) -> Result<(), StoreError> {
        self.done = true;
        if self.dirty.is_empty() {
            return Ok(());
        }
        let result = self
            .dirty
            .iter()
            .map(|k| self.db.change_for(k))
            .collect::<Result<Vec<_>, _>>()
            .and_then(|changes| self.shared.store.apply(&changes));
        if let Err(err) = result {
            self.rollback();
            return Err(err);
        }
        self.shared.changes.send_modify(|n| *n += 1);
        Ok(())
    }

    fn rollback(&mut self) {
        match Db::from_store(&self.shared.store) {
            Ok(db) => *self.db = db,
            Err(err) => tracing::error!(error = %err, "cannot reload state after a failed write"),
        }
    }
}

impl Drop for Write<'_> {
    fn drop(&mut self) {
        if !self.done && !self.dirty.is_empty() {
            tracing::warn!("a write was abandoned half-way; reloading state from the store");
            self.rollback();
        }
    }
}
