//! The rows the service keeps in PostgreSQL: with a database, the fake writes its buckets and objects to the
//! fixture's storage.buckets and storage.objects after every change (metadata as the service writes it:
//! eTag, size, mimetype, cacheControl, lastModified, contentLength, httpStatusCode), in order, through one task
//! (rows it did not write are left alone),
//! so SQL-side reads (bucket usage, policies) agree with the API. `Fake::synced` waits for the writes.

use super::State;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use tokio::sync::{mpsc, oneshot};

/// One message to the writer task.
pub enum Mirror {
    Snapshot { buckets: Vec<Value>, objects: Vec<Value> },
    Marker(oneshot::Sender<()>),
}

/// What the tables should hold now.
pub fn snapshot(state: &State) -> Mirror {
    let buckets = state.buckets.values().cloned().collect();
    let objects = state
        .objects
        .iter()
        .map(|((bucket, name), object)| {
            json!({
                "id": object.id, "bucket_id": bucket, "name": name, "version": object.id,
                "metadata": {
                    "eTag": format!("\"{}\"", object.etag), "size": object.size, "mimetype": object.mimetype,
                    "cacheControl": object.cache_control, "lastModified": object.updated_at,
                    "contentLength": object.size, "httpStatusCode": 200,
                },
                "user_metadata": object.user_metadata,
            })
        })
        .collect();
    Mirror::Snapshot { buckets, objects }
}

/// Starts the writer task on `url` (a login that bypasses RLS, such as supabase_admin).
pub async fn start(url: &str) -> mpsc::UnboundedSender<Mirror> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.expect("fake mirror connects");
    tokio::spawn(connection);
    let (sender, mut receiver) = mpsc::unbounded_channel::<Mirror>();
    tokio::spawn(async move {
        // What the fake wrote before: only those rows are deleted when they go (rows others wrote stay).
        let mut written_buckets: BTreeSet<String> = BTreeSet::new();
        let mut written_objects: BTreeSet<(String, String)> = BTreeSet::new();
        while let Some(message) = receiver.recv().await {
            match message {
                Mirror::Marker(done) => {
                    let _ = done.send(());
                }
                Mirror::Snapshot { buckets, objects } => {
                    let now_buckets: BTreeSet<String> =
                        buckets.iter().filter_map(|b| b["id"].as_str()).map(str::to_owned).collect();
                    let now_objects: BTreeSet<(String, String)> = objects
                        .iter()
                        .map(|o| {
                            (
                                o["bucket_id"].as_str().unwrap_or_default().to_owned(),
                                o["name"].as_str().unwrap_or_default().to_owned(),
                            )
                        })
                        .collect();
                    let gone_objects: Vec<Value> = written_objects
                        .difference(&now_objects)
                        .map(|(bucket, name)| json!({ "bucket_id": bucket, "name": name }))
                        .collect();
                    let gone_buckets: Vec<Value> =
                        written_buckets.difference(&now_buckets).map(|id| json!({ "id": id })).collect();
                    written_buckets = now_buckets;
                    written_objects = now_objects;
                    let (gone_objects, gone_buckets) = (Value::Array(gone_objects), Value::Array(gone_buckets));
                    let buckets = Value::Array(buckets);
                    let objects = Value::Array(objects);
                    // (statement, its rows), in one transaction.
                    let statements: [(&str, &Value); 4] = [
                        (
                            "delete from storage.objects o using jsonb_array_elements($1::jsonb) e \
                             where e->>'bucket_id' = o.bucket_id and e->>'name' = o.name",
                            &gone_objects,
                        ),
                        (
                            "delete from storage.buckets b using jsonb_array_elements($1::jsonb) e where e->>'id' = b.id",
                            &gone_buckets,
                        ),
                        (
                            "insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types) \
                             select e->>'id', e->>'name', (e->>'public')::bool, (e->>'file_size_limit')::int8, \
                                    case when jsonb_typeof(e->'allowed_mime_types') = 'array' \
                                         then array(select jsonb_array_elements_text(e->'allowed_mime_types')) end \
                             from jsonb_array_elements($1::jsonb) e \
                             on conflict (id) do update set public = excluded.public, \
                             file_size_limit = excluded.file_size_limit, allowed_mime_types = excluded.allowed_mime_types, \
                             updated_at = now()",
                            &buckets,
                        ),
                        (
                            "insert into storage.objects (id, bucket_id, name, version, metadata, user_metadata) \
                             select (e->>'id')::uuid, e->>'bucket_id', e->>'name', e->>'version', e->'metadata', \
                                    nullif(e->'user_metadata', 'null'::jsonb) \
                             from jsonb_array_elements($1::jsonb) e \
                             on conflict (bucket_id, name) do update set metadata = excluded.metadata, \
                             version = excluded.version, user_metadata = excluded.user_metadata, updated_at = now()",
                            &objects,
                        ),
                    ];
                    client.batch_execute("begin").await.expect("mirror begin");
                    for (statement, rows) in statements {
                        client
                            .execute(statement, &[rows])
                            .await
                            .unwrap_or_else(|e| panic!("fake mirror: {e}: {statement}"));
                    }
                    client.batch_execute("commit").await.expect("mirror commit");
                }
            }
        }
    });
    sender
}
