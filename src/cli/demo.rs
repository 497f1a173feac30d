//! `supamcp demo`: a throwaway local PostgreSQL cluster with the Supabase roles, layout and sample app,
//! served over MCP exactly like `serve`. Everything it says goes to stderr (stdout carries MCP); the
//! cluster stops when the client closes stdin, on Ctrl-C or SIGTERM, and (tied to the process) when we
//! are killed.

use super::{GlobalArgs, serve_until, startup_error};
use crate::failure::Failure;
use crate::pg::local_cluster::{ClusterOptions, LocalCluster};
use crate::pg::supabase_fixture;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// The database the demo serves, named like Supabase's.
const DATABASE: &str = "postgres";

#[derive(Clone, Debug, Args)]
pub struct DemoArgs {
    /// Load everything, run one query, print a one-line summary to stderr and exit (a smoke test).
    #[arg(long)]
    pub check: bool,
    /// Leave the cluster directory on disk after exit, for inspection.
    #[arg(long)]
    pub keep: bool,
    /// Directory with initdb, pg_ctl and postgres (default: PATH, pg_config, /usr/lib/postgresql/*/bin).
    #[arg(long, env = "SUPAMCP_PG_BINDIR")]
    pub pg_bindir: Option<PathBuf>,
}

/// Runs `supamcp demo`.
pub async fn run(global: &GlobalArgs, args: &DemoArgs) -> ExitCode {
    let started = Instant::now();
    // Caught from the start: a signal while the cluster starts ends the demo with 0 (the server processes
    // are tied to ours and end with it).
    let stop = crate::server::shutdown::on_signal();
    let prepared = tokio::select! {
        prepared = prepare(args) => prepared,
        () = stop.cancelled() => {
            eprintln!("supamcp demo: stopped by a signal while starting");
            return ExitCode::SUCCESS;
        }
    };
    let (cluster, cluster_ms) = match prepared {
        Ok(prepared) => prepared,
        Err(failure) => return startup_error(&format!("demo: {failure}")),
    };
    let url = cluster.url(DATABASE, "postgres");
    let code = if args.check {
        match check(&cluster).await {
            Ok(summary) => {
                eprintln!(
                    "supamcp demo: ok in {} ms (cluster {cluster_ms} ms): {summary}",
                    started.elapsed().as_millis()
                );
                ExitCode::SUCCESS
            }
            Err(failure) => startup_error(&format!("demo check: {failure}")),
        }
    } else {
        eprintln!(
            "supamcp demo: a throwaway PostgreSQL with the Supabase roles, auth/storage tables and a sample app \
             (ready in {} ms). It is deleted when this server exits.\n  connect: psql '{url}'\n  \
             cluster:  {}",
            started.elapsed().as_millis(),
            cluster.path().display()
        );
        let demo_global = GlobalArgs { database_url: Some(url), ..global.clone() };
        let code = serve_until(&demo_global, &stop).await;
        if stop.is_cancelled() {
            eprintln!("supamcp demo: stopped by a signal; stopping the cluster");
        }
        code
    };
    finish(cluster, args.keep);
    code
}

/// Starts the cluster and loads roles, layout, sample app and pg_stat_statements; also says how many
/// milliseconds the cluster alone took to start.
async fn prepare(args: &DemoArgs) -> Result<(LocalCluster, u128), Failure> {
    let started = Instant::now();
    let options =
        ClusterOptions { bindir: args.pg_bindir.clone(), pg_stat_statements: true, ..ClusterOptions::default() };
    let cluster = tokio::task::spawn_blocking(move || LocalCluster::start(&options))
        .await
        .map_err(|e| Failure::new("cannot start the demo cluster", e.to_string(), "report this as a supamcp bug"))??;
    let cluster_ms = started.elapsed().as_millis();
    supabase_fixture::load_roles(&cluster).await?;
    supabase_fixture::load_database(&cluster, DATABASE, true).await?;
    cluster.run_sql(DATABASE, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements WITH SCHEMA extensions").await?;
    Ok((cluster, cluster_ms))
}

/// One query as postgres over the socket, summarised.
async fn check(cluster: &LocalCluster) -> Result<String, Failure> {
    let client = cluster.connect(DATABASE, "postgres").await?;
    let row = client
        .query_one(
            "select current_user::text, current_setting('server_version'), \
             (select count(*) from auth.users), (select count(*) from public.todos), \
             (select count(*) from storage.objects)",
            &[],
        )
        .await
        .map_err(|e| {
            Failure::new("the demo query failed", e.to_string(), "run supamcp demo --keep and read postgres.log")
        })?;
    drop(client);
    // Let the connection task send its Terminate before the cluster goes down, so the shutdown is quiet.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    Ok(format!(
        "connected as {} to PostgreSQL {}; {} users, {} todos, {} storage objects",
        row.get::<_, String>(0),
        row.get::<_, String>(1),
        row.get::<_, i64>(2),
        row.get::<_, i64>(3),
        row.get::<_, i64>(4)
    ))
}

fn finish(cluster: LocalCluster, keep: bool) {
    if keep {
        let mut cluster = cluster;
        if let Err(failure) = cluster.stop() {
            eprintln!("supamcp demo: {failure}");
        }
        eprintln!("supamcp demo: kept {} (start it with pg_ctl -D <dir>/data start)", cluster.keep().display());
    }
}
