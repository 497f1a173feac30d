//! Test support shared by the integration tests (`mod support;`): throwaway PostgreSQL clusters, one
//! per slot per test binary, and one fresh database per test.
//!
//! Each cluster starts on first use, with the Supabase roles loaded and two template databases: the
//! Supabase layout, and the layout plus the sample app. `fresh_database` clones a template (a file copy,
//! milliseconds) into a database with a unique name. Databases stay behind for inspection until the
//! process ends.
//!
//! Cleanup: the clusters live in statics, whose `Drop` never runs. Instead the postmaster is tied to the
//! test process (it gets SIGQUIT when the process exits, see `supamcp::pg::server_programs`) and the
//! next cluster start removes directories whose owner process is gone, so nothing accumulates.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};
use supamcp::pg::conninfo::ConnSpec;
use supamcp::pg::local_cluster::{BOOTSTRAP_USER, ClusterOptions, LocalCluster};
use supamcp::pg::supabase_fixture;
use tokio::sync::OnceCell;

const LAYOUT_TEMPLATE: &str = "tpl_supabase";
const SAMPLE_TEMPLATE: &str = "tpl_supabase_sample";
const GRANT_DATABASE_TO_POSTGRES: &str =
    "DO $$ BEGIN EXECUTE format('GRANT ALL ON DATABASE %I TO postgres', current_database()); END $$";

/// Which shared cluster: `A` for ordinary tests, `B` as a second instance for cross-instance tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    A,
    B,
}

static CLUSTER_A: OnceCell<LocalCluster> = OnceCell::const_new();
static CLUSTER_B: OnceCell<LocalCluster> = OnceCell::const_new();
static DATABASES: AtomicUsize = AtomicUsize::new(0);

/// The shared cluster of `slot`, started with roles and templates on first use.
pub async fn cluster(slot: Slot) -> &'static LocalCluster {
    let cell = match slot {
        Slot::A => &CLUSTER_A,
        Slot::B => &CLUSTER_B,
    };
    cell.get_or_init(start_cluster).await
}

async fn start_cluster() -> LocalCluster {
    let cluster = tokio::task::spawn_blocking(|| LocalCluster::start(&ClusterOptions::default()))
        .await
        .expect("cluster start task")
        .unwrap_or_else(|failure| panic!("{failure}"));
    supabase_fixture::load_roles(&cluster).await.unwrap_or_else(|failure| panic!("{failure}"));
    for (template, sample) in [(LAYOUT_TEMPLATE, false), (SAMPLE_TEMPLATE, true)] {
        cluster.create_database(template, None).await.unwrap_or_else(|failure| panic!("{failure}"));
        supabase_fixture::load_database(&cluster, template, sample).await.unwrap_or_else(|failure| panic!("{failure}"));
    }
    cluster
}

/// A database of its own for one test, holding the Supabase layout (no app data).
pub async fn fresh_database(name_hint: &str) -> TestDb {
    fresh_database_in(Slot::A, name_hint, false).await
}

/// A database of its own for one test, holding the Supabase layout and the sample app
/// (`fixtures/sql/sample_data.sql`).
pub async fn fresh_sample_database(name_hint: &str) -> TestDb {
    fresh_database_in(Slot::A, name_hint, true).await
}

/// A fresh database on the cluster of `slot`, with or without the sample app.
pub async fn fresh_database_in(slot: Slot, name_hint: &str, sample_data: bool) -> TestDb {
    let cluster = cluster(slot).await;
    let name = database_name(name_hint);
    let template = if sample_data { SAMPLE_TEMPLATE } else { LAYOUT_TEMPLATE };
    cluster.create_database(&name, Some(template)).await.unwrap_or_else(|failure| panic!("{failure}"));
    // Database privileges are not copied from a template; postgres has them on a Supabase stack.
    cluster.run_sql(&name, GRANT_DATABASE_TO_POSTGRES).await.unwrap_or_else(|failure| panic!("{failure}"));
    TestDb { cluster, name }
}

/// `t<n>_<hint>`: lower-case ASCII letters, digits and underscores, short enough for an identifier.
fn database_name(hint: &str) -> String {
    let number = DATABASES.fetch_add(1, Ordering::Relaxed);
    let clean: String =
        hint.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).take(40).collect();
    format!("t{number}_{clean}")
}

/// One test's database on a shared cluster.
pub struct TestDb {
    pub cluster: &'static LocalCluster,
    pub name: String,
}

impl TestDb {
    /// Connection to this database as `postgres`, the role Supabase users hold.
    pub fn spec(&self) -> ConnSpec {
        self.cluster.conn_spec(&self.name, "postgres")
    }

    /// The same as a URL, e.g. for `--database-url` of the binary under test.
    pub fn url(&self) -> String {
        self.cluster.url(&self.name, "postgres")
    }

    /// A URL for another role (trust authentication: no password).
    pub fn url_as(&self, user: &str) -> String {
        self.cluster.url(&self.name, user)
    }

    /// A URL for the bootstrap superuser, supabase_admin.
    pub fn admin_url(&self) -> String {
        self.url_as(BOOTSTRAP_USER)
    }

    /// A client as `postgres`.
    pub async fn client(&self) -> tokio_postgres::Client {
        self.client_as("postgres").await
    }

    /// A client as the bootstrap superuser, supabase_admin.
    pub async fn admin(&self) -> tokio_postgres::Client {
        self.client_as(BOOTSTRAP_USER).await
    }

    /// A client as any role that may log in.
    pub async fn client_as(&self, user: &str) -> tokio_postgres::Client {
        self.cluster.connect(&self.name, user).await.unwrap_or_else(|failure| panic!("{failure}"))
    }
}

static PLAIN_CLUSTER: OnceCell<LocalCluster> = OnceCell::const_new();

/// A database of its own on a plain cluster of this test binary: no Supabase roles, only the bootstrap
/// superuser (named supabase_admin, as in Supabase's image).
pub async fn fresh_database_on_plain_cluster(name_hint: &str) -> TestDb {
    let cluster = PLAIN_CLUSTER
        .get_or_init(|| async {
            tokio::task::spawn_blocking(|| LocalCluster::start(&ClusterOptions::default()))
                .await
                .expect("cluster start task")
                .unwrap_or_else(|failure| panic!("{failure}"))
        })
        .await;
    let name = database_name(name_hint);
    cluster.create_database(&name, None).await.unwrap_or_else(|failure| panic!("{failure}"));
    TestDb { cluster, name }
}

/// A cluster of the caller's own (not shared with other tests) started with `options`, holding database `app`
/// with the Supabase layout and the sample app.
pub async fn own_cluster_with_sample_app(options: ClusterOptions) -> LocalCluster {
    let cluster = tokio::task::spawn_blocking(move || LocalCluster::start(&options))
        .await
        .expect("cluster start task")
        .unwrap_or_else(|failure| panic!("{failure}"));
    supabase_fixture::load_roles(&cluster).await.unwrap_or_else(|failure| panic!("{failure}"));
    cluster.create_database("app", None).await.unwrap_or_else(|failure| panic!("{failure}"));
    supabase_fixture::load_database(&cluster, "app", true).await.unwrap_or_else(|failure| panic!("{failure}"));
    cluster
}
