//! `compare_instances` on two databases holding the Supabase layout and the sample app: one planted difference of
//! each kind (migration history, extension, publication membership, bucket and bucket setting, auth setting,
//! table) is found in its section (auth: two fake GoTrues, one configured differently); a side without the publication, the
//! history table, storage.buckets or a reachable auth API makes the section say so.

use crate::gotrue_fake::{Fake as GoTrue, SERVICE_KEY};
use crate::mcp_client;
use crate::support::{self, Slot, TestDb};
use serde_json::{Value, json};
use std::path::Path;

/// `dev` and `prod`, each with its database and its own fake GoTrue behind `supabase_url`.
fn config(dir: &Path, source: &TestDb, target: &TestDb, auth: [&GoTrue; 2]) -> String {
    let path = dir.join("supamcp.toml");
    let text = format!(
        "default_instance = \"dev\"\n\
         [instances.dev]\ndatabase_url = \"{}\"\nsupabase_url = \"{}\"\nservice_role_key = \"{SERVICE_KEY}\"\n\
         [instances.prod]\ndatabase_url = \"{}\"\nsupabase_url = \"{}\"\nservice_role_key = \"{SERVICE_KEY}\"\n",
        source.url(),
        auth[0].url,
        target.url(),
        auth[1].url
    );
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn strings(value: &Value) -> Vec<&str> {
    value.as_array().unwrap_or_else(|| panic!("not a list: {value}")).iter().map(|v| v.as_str().unwrap()).collect()
}

#[tokio::test]
async fn compare_instances_finds_a_planted_difference_of_each_kind() {
    let dev = support::fresh_database_in(Slot::A, "inst_cmp_dev", true).await;
    let prod = support::fresh_database_in(Slot::B, "inst_cmp_prod", true).await;
    let dir = tempfile::tempdir().unwrap();
    let (dev_auth, prod_auth) = (GoTrue::start().await, GoTrue::start().await);
    let server = mcp_client::start(&["--config", &config(dir.path(), &dev, &prod, [&dev_auth, &prod_auth])]).await;

    let same = server.ok("compare_instances", json!({"source": "dev", "target": "prod"})).await;
    assert_eq!(same["identical"], true, "{same}");
    assert_eq!(same["migrations"]["status"], "same", "{same}");
    assert_eq!(same["migrations"]["note"], Value::Null);
    assert_eq!(same["auth"]["status"], "same", "{same}");
    assert_eq!(strings(&same["not_compared"]).len(), 3);

    dev.admin()
        .await
        .batch_execute(
            "create extension pg_trgm with schema extensions;
             create table public.planted (id bigint primary key, note text);
             alter publication supabase_realtime add table public.planted;
             insert into storage.buckets (id, name, public) values ('planted', 'planted', false);
             insert into supabase_migrations.schema_migrations values ('20250101000000', '{create table public.planted (id bigint)}', 'planted');",
        )
        .await
        .unwrap();
    let flipped = prod.admin().await;
    let bucket: String =
        flipped.query_one("select id from storage.buckets order by id limit 1", &[]).await.unwrap().get(0);
    flipped.execute("update storage.buckets set public = not public where id = $1", &[&bucket]).await.unwrap();
    prod_auth.state().settings_changes.insert("mailer_autoconfirm".to_owned(), json!(true));

    let reply = server.ok("compare_instances", json!({"source": "dev", "target": "prod"})).await;
    assert_eq!(reply["identical"], false);
    assert_eq!(
        strings(&reply["differing_sections"]),
        vec!["migrations", "extensions", "realtime", "buckets", "auth", "schema"],
        "{reply}"
    );
    let migrations = &reply["migrations"];
    assert_eq!(strings(&migrations["only_in_source"]), vec!["20250101000000"]);
    assert_eq!(migrations["source_head"], "20250101000000");
    assert_eq!(migrations["target_head"], Value::Null);
    assert_eq!(strings(&reply["extensions"]["only_in_source"]), vec!["pg_trgm"], "{reply}");
    assert_eq!(strings(&reply["realtime"]["only_in_source"]), vec!["public.planted"]);
    assert_eq!(strings(&reply["buckets"]["only_in_source"]), vec!["planted"]);
    let changed = &reply["buckets"]["settings_differ"][0];
    assert_eq!((changed["id"].as_str(), strings(&changed["fields"])), (Some(bucket.as_str()), vec!["public"]));
    let auth = &reply["auth"]["settings_differ"][0];
    assert_eq!(
        (auth["setting"].as_str(), auth["source"].as_str(), auth["target"].as_str()),
        (Some("mailer_autoconfirm"), Some("false"), Some("true")),
        "{reply}"
    );
    let objects: Vec<&str> =
        reply["schema"]["changes"].as_array().unwrap().iter().map(|c| c["object"].as_str().unwrap()).collect();
    assert!(objects.iter().any(|o| o.contains("planted")), "{objects:?}");

    // A side without the publication or the buckets table: the sections say so, the rest still compares.
    prod.admin()
        .await
        .batch_execute(
            "drop publication supabase_realtime; drop table storage.objects; drop table storage.buckets cascade; \
             drop schema supabase_migrations cascade;",
        )
        .await
        .unwrap();
    drop(prod_auth);
    let degraded = server.ok("compare_instances", json!({"source": "dev", "target": "prod"})).await;
    let realtime = &degraded["realtime"];
    assert!(realtime["note"].as_str().unwrap().contains("target has no supabase_realtime"), "{realtime}");
    assert!(strings(&realtime["only_in_source"]).contains(&"public.planted"), "{realtime}");
    let buckets = &degraded["buckets"];
    assert!(buckets["note"].as_str().unwrap().contains("target has no storage.buckets"), "{buckets}");
    assert_eq!(buckets["status"], "different");
    assert_eq!(degraded["auth"]["status"], "unavailable");
    assert!(degraded["auth"]["note"].as_str().unwrap().contains("target:"), "{degraded}");
    let history = &degraded["migrations"];
    assert!(history["note"].as_str().unwrap().contains("target has no migration history"), "{history}");
    assert_eq!(strings(&history["only_in_source"]), vec!["20250101000000"]);

    let same_name = server.err("compare_instances", json!({"source": "dev", "target": "dev"})).await;
    assert!(same_name.contains("same instance"), "{same_name}");
    let unknown = server.err("compare_instances", json!({"source": "dev", "target": "qa"})).await;
    assert!(unknown.contains("not configured"), "{unknown}");
}
