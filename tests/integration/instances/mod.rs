//! Multi-instance tools through the real binary on throwaway databases of both clusters: `list_instances` (the
//! environment tag, reachability with a short timeout, PostgreSQL version, migration head, pending files and drift,
//! the newest backup, the tag filter) and `compare_instances` (a planted difference of each kind found, sections
//! that say what a side lacks, identical instances reported identical).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod compare;

use crate::gotrue_fake::{Fake as GoTrue, SERVICE_KEY};
use crate::mcp_client;
use crate::support::{self, Slot, TestDb};
use serde_json::{Value, json};
use std::net::TcpListener;
use std::path::Path;

/// A raw 32-byte backup key in hex (the tests' own).
const KEY: &str = "7f1c2d3e4f5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

/// A config naming `dev` (tagged dev, its auth API at `auth_url`), `prod` (tagged prod) and `staging` (tagged
/// staging, on a closed port).
fn config(dir: &Path, dev: &TestDb, prod: &TestDb, auth_url: &str) -> String {
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let path = dir.join("supamcp.toml");
    let text = format!(
        "default_instance = \"dev\"\n\
         [instances.dev]\ndatabase_url = \"{}\"\nenvironment = \"dev\"\n\
         supabase_url = \"{auth_url}\"\nservice_role_key = \"{SERVICE_KEY}\"\n\
         [instances.prod]\ndatabase_url = \"{}\"\nenvironment = \"PROD\"\n\
         [instances.staging]\ndatabase_url = \"postgres://postgres:pw@127.0.0.1:{closed}/postgres\"\nenvironment = \"staging\"\n",
        dev.url_as("supabase_admin"),
        prod.url()
    );
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn row<'a>(reply: &'a Value, name: &str) -> &'a Value {
    reply["instances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("{name}: {reply}"))
}

fn names(reply: &Value) -> Vec<&str> {
    reply["instances"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect()
}

/// Records `version` as applied with the statements of `sql`, as the CLI writes the history.
async fn record_applied(db: &TestDb, version: &str, sql: &str) {
    let client = db.admin().await;
    client
        .batch_execute(
            "create schema if not exists supabase_migrations; \
             create table if not exists supabase_migrations.schema_migrations \
             (version text primary key, statements text[], name text)",
        )
        .await
        .unwrap();
    client
        .execute(
            "insert into supabase_migrations.schema_migrations (version, statements, name) values ($1, $2, 'm')",
            &[&version, &vec![sql.to_owned()]],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn list_instances_reports_tags_reachability_versions_heads_drift_and_backups() {
    let dev = support::fresh_database_in(Slot::A, "inst_list_dev", false).await;
    let prod = support::fresh_database_in(Slot::B, "inst_list_prod", false).await;
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    std::fs::write(migrations.join("20250101000000_first.sql"), "create table public.first (id int);\n").unwrap();
    std::fs::write(migrations.join("20250102000000_second.sql"), "create table public.second (id int);\n").unwrap();
    record_applied(&dev, "20250101000000", "create table public.first (id int)").await;
    // Applied on prod with other statements than the file holds: drift.
    record_applied(&prod, "20250101000000", "create table public.other (id int)").await;

    let backups = dir.path().join("backups");
    let auth = GoTrue::start().await;
    let server = mcp_client::start_with_env(
        &["--config", &config(dir.path(), &dev, &prod, &auth.url), "--backup-dir", backups.to_str().unwrap()],
        &[("SUPAMCP_BACKUP_KEY", KEY)],
    )
    .await;
    let backup = server.ok("create_backup", json!({"instance": "dev", "type": "schema_only"})).await;
    let backup_id = backup["id"].as_str().unwrap().to_owned();

    let directory = migrations.to_str().unwrap();
    let reply = server.ok("list_instances", json!({"directory": directory, "connect_timeout_ms": 2000})).await;
    assert_eq!(names(&reply), vec!["dev", "prod", "staging"], "{reply}");
    assert_eq!(reply["truncated"], false);

    let dev_row = row(&reply, "dev");
    assert_eq!((dev_row["environment"].as_str(), dev_row["is_default"].as_bool()), (Some("dev"), Some(true)));
    assert_eq!(dev_row["source"], "config");
    assert_eq!(dev_row["database"]["reachable"], true, "{dev_row}");
    let version = dev_row["database"]["server_version"].as_str().unwrap();
    assert!(version.chars().next().unwrap().is_ascii_digit(), "{version}");
    let dev_migrations = &dev_row["database"]["migrations"];
    assert_eq!(dev_migrations["head"], "20250101000000");
    assert_eq!(dev_migrations["pending"], json!(["20250102000000"]));
    assert_eq!(dev_migrations["drift_count"], 0, "{dev_migrations}");
    assert_eq!(dev_row["last_backup"]["id"], backup_id.as_str(), "{dev_row}");
    assert_eq!(
        (dev_row["auth"]["reachable"].as_bool(), dev_row["auth"]["version"].as_str()),
        (Some(true), Some("v2.186.0"))
    );

    let prod_row = row(&reply, "prod");
    assert_eq!(prod_row["environment"], "prod", "tags are lower-cased");
    assert_eq!(prod_row["last_backup"], Value::Null);
    assert_eq!(prod_row["auth"], Value::Null, "no Supabase API configured");
    let drift = &prod_row["database"]["migrations"]["drift"];
    assert_eq!(drift[0]["kind"], "statements_differ", "{drift}");

    let staging = row(&reply, "staging");
    assert_eq!(staging["database"]["reachable"], false, "{staging}");
    assert!(staging["database"]["error"].as_str().unwrap().len() > 10, "{staging}");
    assert_eq!(staging["database"]["migrations"], Value::Null);

    let only_prod = server.ok("list_instances", json!({"environment": "prod", "directory": directory})).await;
    assert_eq!(names(&only_prod), vec!["prod"]);
    let none = server.ok("list_instances", json!({"environment": "qa", "backups": false})).await;
    assert_eq!(names(&none), Vec::<&str>::new());

    let refused = server.err("list_instances", json!({"connect_timeout_ms": 5})).await;
    assert!(refused.contains("connect_timeout_ms"), "{refused}");
}

#[tokio::test]
async fn list_instances_is_offered_in_read_only_mode_and_a_bad_tag_is_a_startup_error() {
    let dev = support::fresh_database_in(Slot::A, "inst_ro_dev", false).await;
    let prod = support::fresh_database_in(Slot::B, "inst_ro_prod", false).await;
    let dir = tempfile::tempdir().unwrap();
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port())
    };
    let server = mcp_client::start(&["--config", &config(dir.path(), &dev, &prod, &closed), "--read-only"]).await;
    let reply = server.ok("list_instances", json!({"backups": false, "environment": "dev"})).await;
    assert_eq!(row(&reply, "dev")["database"]["reachable"], true, "{reply}");
    let auth = &row(&reply, "dev")["auth"];
    assert_eq!(auth["reachable"], false, "{auth}");
    assert!(auth["error"].as_str().unwrap().len() > 10, "{auth}");
    assert_eq!(row(&reply, "dev")["database"]["migrations"]["head"], Value::Null);

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, format!("[instances.dev]\ndatabase_url = \"{}\"\nenvironment = \"pro d\"\n", dev.url()))
        .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_supamcp"))
        .args(["--config", bad.to_str().unwrap(), "tools"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("environment"), "{stderr}");
}

#[tokio::test]
async fn list_instances_merges_dokploy_composes_with_the_instances_that_name_them() {
    use crate::dokploy_fake::{API_KEY, Fake};
    let dokploy = Fake::start().await;
    let shop = dokploy.seed_supabase("shop", true);
    let blog = dokploy.seed_supabase("blog", false);
    let db = support::fresh_database_in(Slot::A, "inst_dokploy", false).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("supamcp.toml");
    let text = format!(
        "[dokploy.main]\nurl = \"{}\"\napi_key = \"{API_KEY}\"\n\
         [instances.shop]\ndatabase_url = \"{}\"\nenvironment = \"prod\"\ndokploy = \"main\"\ndokploy_compose_id = \"{shop}\"\n",
        dokploy.url,
        db.url()
    );
    std::fs::write(&path, text).unwrap();
    let server = mcp_client::start(&["--config", path.to_str().unwrap()]).await;
    let reply = server.ok("list_instances", json!({"backups": false})).await;
    assert_eq!(reply["instances"].as_array().unwrap().len(), 2, "{reply}");
    let configured = row(&reply, "shop");
    assert_eq!(configured["source"], "config+dokploy");
    assert_eq!(configured["environment"], "prod", "the config's tag wins over Dokploy's environment name");
    assert_eq!(configured["dokploy"]["compose_id"], shop.as_str());
    assert_eq!(configured["dokploy"]["verdict"], "healthy");
    assert!(configured["supabase_url"].as_str().unwrap().starts_with("http://shop-"), "{configured}");
    assert_eq!(configured["database"]["reachable"], true);
    let hosted = reply["instances"].as_array().unwrap().iter().find(|r| r["source"] == "dokploy").unwrap();
    assert_eq!(hosted["dokploy"]["compose_id"], blog.as_str());
    assert!(hosted["name"].as_str().unwrap().starts_with("main/"), "{hosted}");
    assert_eq!(hosted["database"]["configured"], false);
    assert_eq!(hosted["dokploy"]["verdict"], "not_deployed");

    let production = server.ok("list_instances", json!({"backups": false, "environment": "production"})).await;
    let listed: Vec<&Value> = production["instances"].as_array().unwrap().iter().collect();
    assert_eq!(listed.len(), 1, "{production}");
    assert_eq!(listed[0]["dokploy"]["compose_id"], blog.as_str());
    let prod = server.ok("list_instances", json!({"backups": false, "environment": "prod"})).await;
    assert_eq!(names(&prod), vec!["shop"]);

    // dokploy_list_instances is unchanged by the registry.
    let composes = server.ok("dokploy_list_instances", json!({})).await;
    assert_eq!(composes["instances"].as_array().unwrap().len(), 2);
}
