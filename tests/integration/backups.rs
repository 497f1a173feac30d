//! Backups end to end on throwaway clusters through the real binary: full (zstd + AES-256-GCM), gzip and
//! unencrypted round trips with data of every common type, schema-only, data-only and selected tables, row counts
//! and checksums identical after restore; the decrypted archive read by pg_restore alone; verification; retention.

use crate::mcp_client;
use crate::support;

use serde_json::{Value, json};

pub const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/// A table with a column of every common type, rows with NULLs, Unicode, extremes and arrays.
pub const TYPED: &str = r#"
CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN public.positive AS int CHECK (VALUE > 0);
CREATE TABLE public.kinds (
  id bigserial PRIMARY KEY, i2 smallint, i4 int, i8 bigint, n numeric(20,6), f4 real, f8 double precision,
  b boolean, t text, vc varchar(12), ch char(3), by bytea, d date, ts timestamp, tstz timestamptz, tm time,
  iv interval, u uuid, j json, jb jsonb, ia int[], ta text[], ip inet, cid cidr, mac macaddr, pt point,
  r int4range, tsv tsvector, m public.mood, pos public.positive, money_col money, bits bit varying(8),
  x xml, gen int GENERATED ALWAYS AS (i4 * 2) STORED
);
INSERT INTO public.kinds (i2, i4, i8, n, f4, f8, b, t, vc, ch, by, d, ts, tstz, tm, iv, u, j, jb, ia, ta, ip, cid,
  mac, pt, r, tsv, m, pos, money_col, bits, x)
SELECT g::int2, g, g::int8 * 1000000007, g / 7.0, g / 3.0, g / 9.0, g % 2 = 0, 'ligne ' || g || ' ✓ 日本',
  left('v' || g, 12), 'c' || (g % 10), decode(md5(g::text), 'hex'), date '2024-01-01' + g,
  timestamp '2024-01-01 00:00' + g * interval '1 minute', timestamptz '2024-01-01 00:00+00' + g * interval '1 hour',
  time '00:00' + g * interval '1 second', g * interval '1 day 1 second', md5(g::text)::uuid,
  json_build_object('g', g), jsonb_build_object('g', g, 'nested', jsonb_build_array(g, 'x')), ARRAY[g, g + 1],
  ARRAY['a' || g, NULL], ('10.0.' || (g % 250) || '.1')::inet, '10.0.0.0/8', '08:00:2b:01:02:03',
  point(g, -g), int4range(g, g + 10), to_tsvector('simple', 'word' || g), (ARRAY['sad','ok','happy'])[1 + g % 3]::public.mood,
  g + 1, g * 1.5, B'1010', ('<r n="' || g || '"/>')::xml
FROM generate_series(1, 500) g;
INSERT INTO public.kinds (t) VALUES (NULL), (E'tab\there\nnewline \\ backslash'), ('');
CREATE TABLE public.standalone (k text PRIMARY KEY, v jsonb);
INSERT INTO public.standalone SELECT 'k' || g, jsonb_build_object('v', g) FROM generate_series(1, 50) g;
"#;

pub const TABLES: [&str; 6] =
    ["public.kinds", "public.standalone", "public.profiles", "public.projects", "public.todos", "auth.users"];

/// Row count and an md5 over the sorted text of every row, per table; absent tables give "absent".
pub async fn fingerprint(client: &tokio_postgres::Client, tables: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for table in tables {
        let exists: bool = client.query_one("select to_regclass($1) is not null", &[table]).await.unwrap().get(0);
        if !exists {
            out.push(format!("{table}: absent"));
            continue;
        }
        let sql = format!(
            "set timezone = 'UTC'; select count(*)::text || ':' || coalesce(md5(string_agg(t::text, ',' order by t::text)), '') from {table} t"
        );
        let rows = client.simple_query(&sql).await.unwrap();
        let value = rows
            .iter()
            .find_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
                _ => None,
            })
            .unwrap();
        out.push(format!("{table}: {value}"));
    }
    out
}

/// A client to another database of the same cluster, as the superuser.
pub async fn connect_to(db: &support::TestDb, name: &str) -> tokio_postgres::Client {
    db.cluster.connect(name, "supabase_admin").await.unwrap_or_else(|f| panic!("{f}"))
}

pub async fn typed_source(hint: &str) -> support::TestDb {
    let db = support::fresh_sample_database(hint).await;
    db.admin().await.batch_execute(TYPED).await.unwrap();
    db
}

pub fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| entries.map(|e| e.unwrap().file_name().into_string().unwrap()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

fn id_of(reply: &Value) -> String {
    reply["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn full_backups_round_trip_in_every_compression_and_pg_restore_reads_them_alone() {
    let source = typed_source("bk_full").await;
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path().join("backups");
    let url = source.url_as("supabase_admin");
    let server = mcp_client::start_with_env(
        &["--database-url", &url, "--backup-dir", backups.to_str().unwrap()],
        &[("SUPAMCP_BACKUP_KEY", KEY)],
    )
    .await;
    let expected = fingerprint(&source.admin().await, &TABLES).await;

    for (compression, encrypt) in [("zstd", true), ("gzip", true), ("none", false)] {
        let created = server
            .ok("create_backup", json!({"compression": compression, "encrypt": encrypt, "tags": {"case": compression}}))
            .await;
        let id = id_of(&created);
        let manifest = &created["manifest"];
        assert_eq!(manifest["archive"]["encryption"], if encrypt { "aes-256-gcm" } else { "none" });
        let tables: Vec<&str> =
            manifest["tables"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert!(tables.contains(&"kinds") && tables.contains(&"users"), "{tables:?}");
        let schemas = manifest["schemas"].as_array().unwrap();
        assert!(schemas.contains(&json!("auth")) && !schemas.contains(&json!("realtime")), "{schemas:?}");
        assert!(manifest["roles"].as_array().unwrap().contains(&json!("supabase_auth_admin")));

        let verified = server.ok("verify_backup", json!({"backup_id": id})).await;
        assert!(verified["tables_with_data"].as_u64().unwrap() >= 6, "{verified}");

        let restored_name = format!("{}_r_{compression}", source.name);
        // The gzip case restores with two pg_restore jobs from a decrypted temporary file.
        let jobs = if compression == "gzip" { 2 } else { 1 };
        let restored = server
            .ok(
                "restore_backup",
                json!({"backup_id": id, "target": {"new_database": {"name": restored_name}}, "jobs": jobs}),
            )
            .await;
        assert_eq!(restored["mode"], "new_database");
        assert_eq!(restored["tables_verified"].as_u64(), Some(manifest["tables"].as_array().unwrap().len() as u64));
        let restored_client = connect_to(&source, &restored_name).await;
        assert_eq!(fingerprint(&restored_client, &TABLES).await, expected, "{compression}");
        let generated: i32 =
            restored_client.query_one("select gen from public.kinds where id = 3", &[]).await.unwrap().get(0);
        assert_eq!(generated, 6, "generated columns are computed again");
    }
    let data_dir = server.data_dir.as_ref().unwrap().path().join("restore-tmp");
    assert!(files_in(&data_dir).is_empty(), "the decrypted temporary file is gone: {:?}", files_in(&data_dir));
    let listed = server.ok("list_backups", json!({})).await;
    assert_eq!(listed["backups"].as_array().unwrap().len(), 3);
    assert!(listed["incomplete"].as_array().unwrap().is_empty());

    // The decrypted archive is a plain pg_dump custom archive: pg_restore alone restores it.
    let zstd_id = listed["backups"].as_array().unwrap().iter().find(|b| b["compression"] == "zstd").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let archive = backups.join(format!("{zstd_id}.archive"));
    let plain = dir.path().join("plain.dump");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_supamcp"))
        .args(["backup", "decrypt"])
        .arg(&archive)
        .arg(&plain)
        .env("SUPAMCP_BACKUP_KEY", KEY)
        .status()
        .unwrap();
    assert!(status.success());
    let listing = std::process::Command::new("pg_restore").arg("--list").arg(&plain).output().unwrap();
    assert!(listing.status.success(), "{}", String::from_utf8_lossy(&listing.stderr));
    assert!(String::from_utf8_lossy(&listing.stdout).contains("TABLE DATA public kinds"));
    let by_hand = format!("{}_by_hand", source.name);
    source.admin().await.batch_execute(&format!("CREATE DATABASE {by_hand}")).await.unwrap();
    let spec = source.cluster.conn_spec(&by_hand, "supabase_admin");
    let host = match &spec.host {
        supamcp::pg::conninfo::Host::Socket(dir) => dir.display().to_string(),
        supamcp::pg::conninfo::Host::Tcp(host) => host.clone(),
    };
    let restore = std::process::Command::new("pg_restore")
        .args(["--exit-on-error", "--host", &host, "--port", &spec.port.to_string(), "--username", "supabase_admin"])
        .args(["--dbname", &by_hand])
        .arg(&plain)
        .output()
        .unwrap();
    assert!(restore.status.success(), "{}", String::from_utf8_lossy(&restore.stderr));
    assert_eq!(fingerprint(&connect_to(&source, &by_hand).await, &TABLES).await, expected);

    // Retention: keep the newest one; dry run first.
    let planned = server.ok("cleanup_backups", json!({"keep_last": 1})).await;
    assert_eq!(planned["deleted"].as_array().unwrap().len(), 2);
    assert_eq!(server.ok("list_backups", json!({})).await["backups"].as_array().unwrap().len(), 3, "dry run");
    server.ok("cleanup_backups", json!({"keep_last": 1, "dry_run": false})).await;
    let left = server.ok("list_backups", json!({})).await;
    assert_eq!(left["backups"].as_array().unwrap().len(), 1);
    assert_eq!(files_in(&backups).len(), 2, "one archive and its manifest: {:?}", files_in(&backups));
    server.stop().await;
}

#[tokio::test]
async fn schema_only_data_only_and_selected_tables_round_trip() {
    let source = typed_source("bk_parts").await;
    let target = support::fresh_database("bk_parts_target").await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("supamcp.toml");
    std::fs::write(
        &config,
        format!(
            "default_instance = \"src\"\nbackup_dir = \"{}\"\n[instances.src]\ndatabase_url = \"{}\"\n[instances.dst]\ndatabase_url = \"{}\"\n",
            dir.path().join("b").display(),
            source.url_as("supabase_admin"),
            target.url_as("supabase_admin")
        ),
    )
    .unwrap();
    let server =
        mcp_client::start_with_env(&["--config", config.to_str().unwrap()], &[("SUPAMCP_BACKUP_KEY", KEY)]).await;
    let expected = fingerprint(&source.admin().await, &TABLES[..2]).await;

    let schema = server.ok("create_backup", json!({"type": "schema_only"})).await;
    assert!(schema["manifest"]["tables"].as_array().unwrap().is_empty());
    let schema_db = format!("{}_schema", source.name);
    server
        .ok("restore_backup", json!({"backup_id": id_of(&schema), "target": {"new_database": {"name": schema_db}}}))
        .await;
    let schema_client = connect_to(&source, &schema_db).await;
    let empty = fingerprint(&schema_client, &["public.kinds", "auth.users"]).await;
    assert_eq!(empty, ["public.kinds: 0:", "auth.users: 0:"]);

    // Data only into the target instance's database, which gets the public schema first.
    let data =
        server.ok("create_backup", json!({"type": "data_only", "tables": ["public.kinds", "public.standalone"]})).await;
    let refused = server.err("restore_backup", json!({"backup_id": id_of(&data)})).await;
    assert!(refused.contains("data-only"), "{refused}");
    let missing_schema = server
        .err("restore_backup", json!({"backup_id": id_of(&schema), "instance": "dst", "target": {"schema": {"name": "app"}}, "confirm": true}))
        .await;
    assert!(missing_schema.contains("has no schema app"), "{missing_schema}");
    let target_admin = target.admin().await;
    target_admin.batch_execute(TYPED).await.unwrap();
    target_admin.batch_execute("TRUNCATE public.kinds, public.standalone RESTART IDENTITY").await.unwrap();
    let unconfirmed = server
        .err("restore_backup", json!({"backup_id": id_of(&data), "instance": "dst", "target": "existing_database"}))
        .await;
    assert!(unconfirmed.contains("confirm"), "{unconfirmed}");
    let filled = server
        .ok(
            "restore_backup",
            json!({"backup_id": id_of(&data), "instance": "dst", "target": "existing_database", "confirm": true}),
        )
        .await;
    assert_eq!(filled["mode"], "data_into_existing");
    assert!(filled["safety_backup"].is_string());
    assert_eq!(fingerprint(&target.admin().await, &TABLES[..2]).await, expected);

    // One schema of a backup into an existing database, in one transaction.
    source
        .admin()
        .await
        .batch_execute(
            "CREATE SCHEMA app; CREATE TABLE app.notes (id int PRIMARY KEY, body text); \
        INSERT INTO app.notes SELECT g, 'note ' || g FROM generate_series(1, 20) g",
        )
        .await
        .unwrap();
    let with_app = server.ok("create_backup", json!({"schemas": ["app", "public"]})).await;
    let into_schema = server
        .ok("restore_backup", json!({"backup_id": id_of(&with_app), "instance": "dst", "target": {"schema": {"name": "app"}}, "confirm": true}))
        .await;
    assert_eq!(into_schema["mode"], "schema_into_existing");
    assert_eq!(into_schema["tables_verified"], 1);
    assert_eq!(
        fingerprint(&target.admin().await, &["app.notes"]).await,
        fingerprint(&source.admin().await, &["app.notes"]).await
    );

    // Selected tables into a new database.
    let selected = server.ok("create_backup", json!({"tables": ["public.standalone"]})).await;
    assert_eq!(selected["manifest"]["tables"].as_array().unwrap().len(), 1);
    let selected_db = format!("{}_sel", source.name);
    server
        .ok("restore_backup", json!({"backup_id": id_of(&selected), "target": {"new_database": {"name": selected_db}}}))
        .await;
    let selected_client = connect_to(&source, &selected_db).await;
    assert_eq!(
        fingerprint(&selected_client, &["public.standalone", "public.kinds"]).await,
        [expected[1].clone(), "public.kinds: absent".to_owned()]
    );
    server.stop().await;
}

#[tokio::test]
async fn replacing_an_existing_database_takes_a_safety_backup_and_swaps_in_a_verified_copy() {
    let db = typed_source("bk_replace").await;
    let dir = tempfile::tempdir().unwrap();
    let url = db.url_as("supabase_admin");
    let backups = dir.path().join("b");
    let server = mcp_client::start_with_env(
        &["--database-url", &url, "--backup-dir", backups.to_str().unwrap()],
        &[("SUPAMCP_BACKUP_KEY", KEY)],
    )
    .await;
    let original = fingerprint(&db.admin().await, &TABLES).await;
    let backup = id_of(&server.ok("create_backup", json!({})).await);
    db.admin()
        .await
        .batch_execute("DELETE FROM public.todos; UPDATE public.standalone SET v = '{}'; DELETE FROM auth.users WHERE email LIKE '%1%'")
        .await
        .unwrap();
    let changed = fingerprint(&db.admin().await, &TABLES).await;
    assert_ne!(changed, original);

    db.admin()
        .await
        .batch_execute(&format!(
            "ALTER DATABASE {0} SET statement_timeout = '17s'; ALTER ROLE anon IN DATABASE {0} SET search_path = 'public'",
            db.name
        ))
        .await
        .unwrap();
    let unconfirmed = server.err("restore_backup", json!({"backup_id": backup, "target": "existing_database"})).await;
    assert!(unconfirmed.contains("confirm"), "{unconfirmed}");
    let other_session = db.admin().await;
    let busy = server
        .err("restore_backup", json!({"backup_id": backup, "target": "existing_database", "confirm": true}))
        .await;
    assert!(busy.contains("other sessions use it") && busy.contains("terminate_connections"), "{busy}");
    let replaced = server
        .ok(
            "restore_backup",
            json!({"backup_id": backup, "target": "existing_database", "confirm": true, "terminate_connections": true}),
        )
        .await;
    assert_eq!(replaced["mode"], "replaced_database");
    assert!(replaced["previous_database"].is_null(), "the replaced database is dropped by default");
    assert!(other_session.simple_query("select 1").await.is_err(), "the other session was ended");
    assert_eq!(fingerprint(&db.admin().await, &TABLES).await, original);
    let as_postgres = db.client().await;
    let carried: (String, bool) = {
        let row = as_postgres
            .query_one(
                "select current_setting('statement_timeout'), has_database_privilege('postgres', current_database(), 'CREATE')",
                &[],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(carried, ("17s".to_owned(), true), "database settings and grants are carried to the new database");

    // The safety backup holds the state before the restore; restoring it (keeping the previous) brings it back.
    let safety = replaced["safety_backup"].as_str().unwrap().to_owned();
    let listed = server.ok("list_backups", json!({})).await;
    let tagged = listed["backups"].as_array().unwrap().iter().find(|b| b["id"] == safety.as_str()).unwrap();
    assert_eq!(tagged["tags"]["safety_backup_before_restoring"], backup.as_str());
    let back = server
        .ok(
            "restore_backup",
            json!({"backup_id": safety, "target": "existing_database", "confirm": true, "terminate_connections": true, "keep_previous": true}),
        )
        .await;
    assert_eq!(fingerprint(&db.admin().await, &TABLES).await, changed);
    let previous = back["previous_database"].as_str().unwrap().to_owned();
    assert_eq!(fingerprint(&connect_to(&db, &previous).await, &TABLES).await, original);
    assert!(files_in(&backups).iter().all(|f| !f.ends_with(".partial")));
    let ready = server.ok("backup_readiness", json!({})).await;
    assert!(ready["missing"].is_array() && ready["wal_level"].is_string(), "{ready}");
    server.stop().await;
}
