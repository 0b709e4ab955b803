//! Group commit on SQLite: the writes that queue for the one writer connection while another
//! runs share a transaction, and one commit (one fsync) makes them all durable.
//!
//! Each write runs its statements in a savepoint of the shared transaction, in the order the
//! writes arrived (the lock is fair). A write that fails, or returns early to roll back, rolls
//! back its savepoint only: the others in the batch are untouched. The write that finishes
//! with nobody queued behind it, even after letting the runtime's other tasks run once,
//! commits the batch (or the one that makes it
//! [`MAX_MEMBERS`] long, or [`MAX_AGE`] old); every member waits for that commit before it
//! answers, so nothing is acknowledged before it is on disk, and a crash loses only writes
//! nobody was told about. If the commit fails, every member gets the error; so does every
//! member of a batch that an error ending the whole transaction (a full disk, an I/O error)
//! cut short, since SQLite then rolls back the batch, not a savepoint.
//!
//! Alone, a write costs what a transaction of its own did (BEGIN, SAVEPOINT, RELEASE, COMMIT
//! in place of BEGIN, COMMIT); under load, N queued writes cost one fsync instead of N.
//! PostgreSQL needs none of this: its server already flushes concurrent commits' WAL together.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use podium_app::{StoreError, StoreResult};
use sqlx::{Sqlite, SqlitePool, Transaction};
use tokio::sync::{watch, Mutex, OwnedMutexGuard};

/// A batch commits once it holds this many writes, even with more queued.
const MAX_MEMBERS: usize = 64;
/// … or once its first write is this old.
const MAX_AGE: Duration = Duration::from_millis(10);
/// How long a write waits for the writer before it is refused (a write inside a write would
/// otherwise wait forever; the pool of one connection used to refuse it the same way).
const WAIT_FOR_WRITER: Duration = Duration::from_secs(30);

type Outcome = Option<Result<(), String>>;

struct Open {
    tx: Option<Transaction<'static, Sqlite>>,
    /// Told the batch's outcome when it commits.
    outcome: watch::Sender<Outcome>,
    members: usize,
    started: Instant,
}

pub(crate) struct GroupWriter {
    pool: SqlitePool,
    open: Arc<Mutex<Open>>,
    /// Writes waiting for the writer now.
    waiting: Arc<AtomicUsize>,
}

impl GroupWriter {
    pub(crate) fn new(pool: SqlitePool) -> Self {
        let open = Open { tx: None, outcome: watch::channel(None).0, members: 0, started: Instant::now() };
        GroupWriter { pool, open: Arc::new(Mutex::new(open)), waiting: Arc::new(AtomicUsize::new(0)) }
    }

    /// The writer connection's pool (tests and maintenance reach it directly; their statements
    /// run between batches).
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Waits for the writer and opens the batch's transaction if none is open.
    pub(crate) async fn enter(&self) -> StoreResult<Slot> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let mut queued = Queued { writer: self, admitted: false };
        let guard = tokio::time::timeout(WAIT_FOR_WRITER, self.open.clone().lock_owned())
            .await
            .map_err(|_| StoreError::Backend("the database writer stayed busy for 30 s".into()))?;
        queued.admitted = true;
        drop(queued);
        let mut slot =
            Slot { guard: Some(guard), open: self.open.clone(), waiting: self.waiting.clone(), finished: false };
        let open = slot.open_mut()?;
        if open.tx.is_none() {
            open.tx = Some(self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(crate::sql::backend)?);
            open.started = Instant::now();
        }
        Ok(slot)
    }
}

/// A write waiting for the writer; if it gives up (its request went away), a batch whose last
/// member counted on it to commit is committed by a task of its own.
struct Queued<'w> {
    writer: &'w GroupWriter,
    admitted: bool,
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        if self.writer.waiting.fetch_sub(1, Ordering::SeqCst) == 1 && !self.admitted {
            flush_later(self.writer.open.clone());
        }
    }
}

/// One write's turn at the writer.
pub(crate) struct Slot {
    guard: Option<OwnedMutexGuard<Open>>,
    open: Arc<Mutex<Open>>,
    waiting: Arc<AtomicUsize>,
    finished: bool,
}

impl Slot {
    fn open_mut(&mut self) -> StoreResult<&mut Open> {
        self.guard.as_deref_mut().ok_or_else(|| StoreError::Backend("the writer's turn has ended".into()))
    }

    /// The batch's transaction: a write opens its savepoint in it.
    pub(crate) fn tx(&mut self) -> StoreResult<&mut Transaction<'static, Sqlite>> {
        self.open_mut()?.tx.as_mut().ok_or_else(|| StoreError::Backend("no write transaction is open".into()))
    }

    /// The write's savepoint was released: it joins the batch, and returns once the batch is
    /// committed (by this write, when nobody is queued behind it).
    pub(crate) async fn done(mut self) -> StoreResult<()> {
        if self.waiting.load(Ordering::SeqCst) == 0 {
            // Once round the runtime's queue before committing alone: a write about to begin
            // joins this batch and its fsync instead of waiting to start the next. (Dropped
            // here, the slot commits the batch as it goes: see `Drop`.)
            #[cfg(test)]
            tests::AT_YIELD.set(true);
            tokio::task::yield_now().await;
        }
        self.finished = true;
        let Some(mut open) = self.guard.take() else {
            return Err(StoreError::Backend("the writer's turn has ended".into()));
        };
        open.members += 1;
        let queued = self.waiting.load(Ordering::SeqCst);
        if queued == 0 || open.members >= MAX_MEMBERS || open.started.elapsed() >= MAX_AGE {
            return commit(&mut open).await.map_err(StoreError::Backend);
        }
        let mut outcome = open.outcome.subscribe();
        drop(open);
        let told = outcome.wait_for(Option::is_some).await;
        match told.as_deref() {
            Ok(Some(Ok(()))) => Ok(()),
            Ok(Some(Err(e))) => Err(StoreError::Backend(e.clone())),
            _ => Err(StoreError::Backend("the write's batch ended without committing".into())),
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        // Left without `done` (rolled back, or its request went away): its savepoint is rolled
        // back by the driver before the next statement; the batch goes on, and is committed
        // here if nobody is queued to do it. (Dropped in `done`'s yield, its savepoint was
        // released: it is committed with the batch, never having answered.)
        if let Some(open) = self.guard.take() {
            let pending = open.tx.is_some();
            drop(open);
            if !self.finished && pending && self.waiting.load(Ordering::SeqCst) == 0 {
                flush_later(self.open.clone());
            }
        }
    }
}

/// Commits the open batch and tells its members.
async fn commit(open: &mut Open) -> Result<(), String> {
    let Some(tx) = open.tx.take() else { return Ok(()) };
    let done = tx.commit().await.map_err(|e| e.to_string());
    open.members = 0;
    let outcome = std::mem::replace(&mut open.outcome, watch::channel(None).0);
    outcome.send_replace(Some(done.clone()));
    done
}

fn flush_later(open: Arc<Mutex<Open>>) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(async move {
            let mut open = open.lock_owned().await;
            if let Err(e) = commit(&mut open).await {
                tracing::error!(error = %e, "committing a batch of writes failed");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use podium_app::ports::{NewOrg, Store};
    use podium_app::StoreError;
    use podium_domain::role::OrgKind;

    use crate::SqlStore;

    thread_local! {
        /// Set on this thread when a write reaches the yield before committing alone.
        pub(super) static AT_YIELD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    fn org(slug: &str) -> NewOrg {
        NewOrg {
            kind: OrgKind::Licensor,
            slug: slug.into(),
            name: slug.into(),
            country: "KE".into(),
            currency: "KES".into(),
        }
    }

    /// Writes from many tasks at once share batches; those that fail (a slug already taken)
    /// undo only their own part, and every write that answered Ok is in the database, also
    /// after the store is opened again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_write_in_a_batch_undoes_only_itself() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("group.db");
        let path = path.to_str().expect("utf-8 path").to_string();
        let store = std::sync::Arc::new(SqlStore::open_sqlite(&path).await.expect("open"));
        store.migrate().await.expect("migrate");
        let mut tasks = Vec::new();
        for i in 0..120 {
            let store = store.clone();
            // Every third write takes a slug another write also takes.
            let slug = if i % 3 == 0 { format!("taken-{}", i / 6) } else { format!("org-{i}") };
            tasks.push(tokio::spawn(async move { (slug.clone(), store.create_org(org(&slug)).await) }));
        }
        let mut created = Vec::new();
        let mut refused = 0;
        for task in tasks {
            match task.await.expect("task") {
                (slug, Ok(_)) => created.push(slug),
                (_, Err(StoreError::Conflict { .. })) => refused += 1,
                (slug, Err(e)) => panic!("{slug}: {e}"),
            }
        }
        assert_eq!(refused, 20, "each duplicated slug is refused once");
        assert_eq!(created.len(), 100);
        store.close().await;
        let again = SqlStore::open_sqlite(&path).await.expect("open again");
        let orgs = again.orgs_of_kind(OrgKind::Licensor).await.expect("orgs");
        let mut slugs: Vec<String> = orgs.into_iter().map(|o| o.slug).collect();
        slugs.sort();
        created.sort();
        assert_eq!(slugs, created);
        // The writer is usable afterwards: no savepoint was left open.
        again.create_org(org("after")).await.expect("a write after the batch");
        assert!(again.org_by_slug("after").await.expect("read").is_some());
    }

    /// A write whose request goes away while it waits to commit alone (its savepoint released,
    /// letting the runtime run once) is committed with its batch without answering: no batch
    /// is left open for the writes before it to wait on, and the writer goes on.
    #[tokio::test]
    async fn a_write_dropped_while_it_waits_to_commit_is_committed_with_its_batch() {
        use std::future::Future;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("dropped.db");
        let store = SqlStore::open_sqlite(path.to_str().expect("utf-8 path")).await.expect("open");
        store.migrate().await.expect("migrate");
        let crate::sql::Pools::Sqlite { writer, .. } = &store.pools else { panic!("a SQLite store") };
        let writer = writer.clone();
        let mut write = Box::pin(store.create_org(org("dropped")));
        // Polled until it waits at the yield before its commit.
        AT_YIELD.set(false);
        while !AT_YIELD.get() {
            let step = std::future::poll_fn(|cx| std::task::Poll::Ready(write.as_mut().poll(cx))).await;
            assert!(step.is_pending(), "the write finished without waiting to commit");
            if !AT_YIELD.get() {
                // What it waits for (the pool's own tasks) runs meanwhile.
                tokio::task::yield_now().await;
            }
        }
        assert!(writer.open.try_lock().is_err(), "the write holds the writer");
        drop(write);
        let open = tokio::time::timeout(std::time::Duration::from_secs(5), async {
            loop {
                tokio::task::yield_now().await;
                if let Ok(open) = writer.open.try_lock() {
                    if open.tx.is_none() {
                        return;
                    }
                }
            }
        })
        .await;
        assert!(open.is_ok(), "the batch was committed");
        assert!(store.org_by_slug("dropped").await.expect("read").is_some(), "committed without answering");
        store.create_org(org("after")).await.expect("a write after it");
        assert!(store.org_by_slug("after").await.expect("read").is_some());
    }
}
