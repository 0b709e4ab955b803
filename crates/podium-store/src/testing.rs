//! Test databases: each test gets its own, copied from a migrated template, and removes it.
//!
//! SQLite: a template file is migrated once per process and copied per test into a temp dir.
//! PostgreSQL: a template database named after the migrations' fingerprint is created once and
//! each test runs `CREATE DATABASE … TEMPLATE …`, dropped (WITH FORCE) when the test ends.
//! The server is `PODIUM_TEST_DATABASE_URL`, else `postgres://postgres@127.0.0.1:5432/postgres`.
//! When no server answers, tests fail with a message saying how to provide one: never a skip.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use podium_app::Store;
use sqlx::{Connection, PgConnection};
use tokio::sync::OnceCell;

use crate::migrate;
use crate::SqlStore;

pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

static COUNTER: AtomicU32 = AtomicU32::new(0);
static SQLITE_TEMPLATE: OnceCell<PathBuf> = OnceCell::const_new();
static PG_TEMPLATE: OnceCell<String> = OnceCell::const_new();
static PG_CREATE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
static SQLITE_DEMO: OnceCell<PathBuf> = OnceCell::const_new();
static PG_DEMO: OnceCell<String> = OnceCell::const_new();

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database that exists for one test. Dropping it removes the database.
pub struct TestDb {
    pub store: Arc<SqlStore>,
    /// The URL `podium` itself would take to reach this database.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    /// One whole number from the database (`SELECT COUNT(*) …`), for tests that check what no
    /// port exposes, such as every authorisation the sandbox provider ever made.
    pub async fn count(&self, sql: &str) -> i64 {
        let n: Result<(i64,), _> = crate::macros::read!(self.store, |pool| sqlx::query_as(sql).fetch_one(pool).await);
        n.unwrap_or_else(|e| panic!("{sql}: {e}")).0
    }

    /// Changes rows behind the ports' backs, to stand for data written by an older release.
    pub async fn execute(&self, sql: &str) -> u64 {
        let done: Result<u64, sqlx::Error> = match &self.store.pools {
            crate::sql::Pools::Sqlite { writer, .. } => {
                sqlx::query(sql).execute(writer.pool()).await.map(|r| r.rows_affected())
            }
            crate::sql::Pools::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|r| r.rows_affected()),
        };
        // Such rows were there before this process started: it has kept nothing of them.
        self.store.kept.clear();
        done.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => sqlite().await,
            Backend::Postgres => postgres().await,
        }
    }

    /// A database holding the demo marketplace, copied from a template seeded once per process.
    pub async fn demo(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let template = SQLITE_DEMO
                    .get_or_init(|| async {
                        let db = sqlite().await;
                        seed_demo(&db).await;
                        if let crate::sql::Pools::Sqlite { writer, .. } = &db.store.pools {
                            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                                .execute(writer.pool())
                                .await
                                .expect("checkpoint");
                        }
                        db.store.close().await;
                        let path = std::env::temp_dir()
                            .join(format!("podium-test-tpl-{}", std::process::id()))
                            .join("demo.db");
                        std::fs::copy(db.url.trim_start_matches("sqlite://"), &path).expect("keep the demo template");
                        path
                    })
                    .await;
                sqlite_from(template).await
            }
            Backend::Postgres => {
                let template = PG_DEMO
                    .get_or_init(|| async {
                        let db = postgres().await;
                        seed_demo(&db).await;
                        db.store.close().await;
                        let Cleanup::Postgres { name, .. } = &db.cleanup else {
                            unreachable!("a PostgreSQL test database")
                        };
                        // Keep this database as the template; the orphan sweep and scripts/test remove it.
                        let name = name.clone();
                        std::mem::forget(db);
                        name
                    })
                    .await;
                postgres_from(template).await
            }
        }
    }

    pub fn dyn_store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs outside async; use a private runtime on its own thread.
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    rt.block_on(async {
                        if let Ok(mut c) = PgConnection::connect(&admin_url).await {
                            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                                .execute(&mut c)
                                .await;
                        }
                    });
                }
            })
            .join();
        }
    }
}

async fn seed_demo(db: &TestDb) {
    podium_app::demo::seed(db.store.as_ref(), time::OffsetDateTime::now_utc()).await.expect("the demo seeds");
}

async fn sqlite() -> TestDb {
    let template = SQLITE_TEMPLATE
        .get_or_init(|| async {
            let dir = std::env::temp_dir().join(format!("podium-test-tpl-{}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("temp dir for the SQLite template");
            let path = dir.join(format!("template-{}.db", migrate::fingerprint(migrate::SQLITE)));
            let _ = std::fs::remove_file(&path);
            let store = SqlStore::open_sqlite(path.to_str().expect("utf-8 temp path")).await.expect("open template");
            store.migrate().await.expect("migrate template");
            // Fold the WAL into the main file so a plain copy carries everything.
            if let crate::sql::Pools::Sqlite { writer, .. } = &store.pools {
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(writer.pool()).await.expect("checkpoint");
            }
            store.close().await;
            path
        })
        .await;
    sqlite_from(template).await
}

async fn sqlite_from(template: &std::path::Path) -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("podium.db");
    std::fs::copy(template, &path).expect("copy SQLite template");
    let path_str = path.to_str().expect("utf-8 temp path").to_string();
    let store = SqlStore::open_sqlite(&path_str).await.expect("open test database");
    TestDb { store: Arc::new(store), url: format!("sqlite://{path_str}"), cleanup: Cleanup::Sqlite(dir) }
}

pub fn pg_admin_url() -> String {
    std::env::var("PODIUM_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_string())
}

/// The same server as `admin_url`, another database.
pub fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (admin_url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    match base[scheme_end..].find('/') {
        Some(slash) => format!("{}/{name}{query}", &base[..scheme_end + slash]),
        None => format!("{base}/{name}{query}"),
    }
}

async fn admin_connection(admin_url: &str) -> PgConnection {
    match PgConnection::connect(admin_url).await {
        Ok(c) => c,
        Err(e) => panic!(
            "PostgreSQL is needed for the PostgreSQL half of the store tests, but {} did not answer: {e}.\n\
             Start a server and set PODIUM_TEST_DATABASE_URL=postgres://USER@HOST:PORT/postgres (the user needs CREATEDB),\n\
             or run scripts/test, which starts a throwaway server when none is running.",
            crate::redact(admin_url)
        ),
    }
}

async fn postgres() -> TestDb {
    let admin_url = pg_admin_url();
    let template = PG_TEMPLATE
        .get_or_init(|| async {
            let name = format!("podium_tpl_{}", migrate::fingerprint(migrate::POSTGRES));
            let mut admin = admin_connection(&admin_url).await;
            // Another test process may be building the same template right now.
            sqlx::query("SELECT pg_advisory_lock(730100002)").execute(&mut admin).await.expect("lock");
            let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(&name)
                .fetch_one(&mut admin)
                .await
                .expect("query pg_database");
            if !exists {
                sqlx::query(&format!("CREATE DATABASE \"{name}\"")).execute(&mut admin).await.expect("create template");
                let store = SqlStore::open_postgres(&with_database(&admin_url, &name)).await.expect("open template");
                store.migrate().await.expect("migrate template");
                store.close().await;
            }
            remove_orphans(&mut admin).await;
            sqlx::query("SELECT pg_advisory_unlock(730100002)").execute(&mut admin).await.expect("unlock");
            name
        })
        .await;
    postgres_from(template).await
}

async fn postgres_from(template: &str) -> TestDb {
    let admin_url = pg_admin_url();
    let name =
        format!("podium_test_{}_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed), rand_suffix());
    {
        // CREATE DATABASE … TEMPLATE refuses while another copy of the same template is running.
        let _guard = PG_CREATE.lock().await;
        let mut admin = admin_connection(&admin_url).await;
        let mut tries = 0;
        loop {
            match sqlx::query(&format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"")).execute(&mut admin).await
            {
                Ok(_) => break,
                Err(e) if tries < 20 && e.to_string().contains("being accessed by other users") => {
                    tries += 1;
                    // A closed pool's sessions can linger on the server; nothing but tests uses a
                    // template, so end them rather than wait.
                    let _ = sqlx::query(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                    )
                    .bind(template)
                    .execute(&mut admin)
                    .await;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cannot create test database {name}: {e}"),
            }
        }
    }
    let url = with_database(&admin_url, &name);
    let store = SqlStore::open_postgres(&url).await.expect("open test database");
    TestDb { store: Arc::new(store), url, cleanup: Cleanup::Postgres { admin_url, name } }
}

fn rand_suffix() -> u32 {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    t % 100_000
}

/// Drops test databases left by test processes that no longer run (a crash, a kill).
async fn remove_orphans(admin: &mut PgConnection) {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'podium\\_test\\_%'")
            .fetch_all(&mut *admin)
            .await
            .unwrap_or_default();
    for name in names {
        let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).execute(&mut *admin).await;
        }
    }
}

/// Runs each named `async fn case(store: Arc<dyn Store>)` of a test file on SQLite and on
/// PostgreSQL: generates `mod sqlite { #[tokio::test] fn case() }` and the same for postgres.
#[macro_export]
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let db = $crate::testing::TestDb::new($crate::testing::Backend::Sqlite).await;
                super::$case(db.dyn_store()).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let db = $crate::testing::TestDb::new($crate::testing::Backend::Postgres).await;
                super::$case(db.dyn_store()).await;
            })*
        }
    };
}
