//! What differs between two instances, in the units a dump leaves out or a promotion moves one by one: the
//! migration history, extensions and their versions, `supabase_realtime` publication membership and storage
//! buckets with their settings. Each side is read once ([`read_side`]); a side without the history table, the
//! publication or `storage.buckets` makes its section say so instead of failing the comparison.

use super::history::{self, AppliedMigration};
use crate::failure::Failure;
use crate::pg::catalog::query_failure;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use tokio_postgres::GenericClient;

/// Names kept in each list of a section (the section's `differences` count stays exact).
pub const LISTED: usize = 50;

/// A bucket's settings, as storage.buckets holds them (columns an older Storage lacks read as null).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Bucket {
    pub public: bool,
    pub file_size_limit: Option<i64>,
    pub allowed_mime_types: Option<Vec<String>>,
}

/// One instance's side of the comparison.
#[derive(Clone, Debug, Default)]
pub struct Side {
    pub applied: Option<Vec<AppliedMigration>>,
    pub extensions: BTreeMap<String, String>,
    pub publication: Option<BTreeSet<String>>,
    pub buckets: Option<BTreeMap<String, Bucket>>,
}

const PRESENT: &str = "select to_regclass('supabase_migrations.schema_migrations') is not null, \
     exists (select 1 from pg_catalog.pg_publication where pubname = 'supabase_realtime'), \
     to_regclass('storage.buckets') is not null";
const EXTENSIONS: &str = "select extname::text, extversion from pg_catalog.pg_extension";
const PUBLISHED: &str = "select format('%I.%I', schemaname, tablename) from pg_catalog.pg_publication_tables \
     where pubname = 'supabase_realtime'";
/// Through to_jsonb so a Storage version without file_size_limit or allowed_mime_types still reads.
const BUCKETS: &str = "select b.id::text, coalesce((j->>'public')::boolean, false), (j->>'file_size_limit')::bigint, \
     case when jsonb_typeof(j->'allowed_mime_types') = 'array' \
          then array(select jsonb_array_elements_text(j->'allowed_mime_types')) end \
     from storage.buckets b, lateral to_jsonb(b) j";

/// Reads one side: what is missing is recorded as missing, not as an error.
pub async fn read_side(client: &impl GenericClient) -> Result<Side, Failure> {
    let present = client.query_typed_one(PRESENT, &[]).await.map_err(query_failure)?;
    let (has_history, has_publication, has_buckets): (bool, bool, bool) =
        (present.get(0), present.get(1), present.get(2));
    let mut side = Side::default();
    if has_history {
        side.applied = Some(history::read(client).await?);
    }
    for row in client.query_typed(EXTENSIONS, &[]).await.map_err(query_failure)? {
        side.extensions.insert(row.get(0), row.get(1));
    }
    if has_publication {
        let rows = client.query_typed(PUBLISHED, &[]).await.map_err(query_failure)?;
        side.publication = Some(rows.iter().map(|r| r.get(0)).collect());
    }
    if has_buckets {
        let rows = client.query_typed(BUCKETS, &[]).await.map_err(query_failure)?;
        let buckets = rows
            .iter()
            .map(|r| (r.get(0), Bucket { public: r.get(1), file_size_limit: r.get(2), allowed_mime_types: r.get(3) }));
        side.buckets = Some(buckets.collect());
    }
    Ok(side)
}

/// A section's verdict: `same`, `different`, or `unavailable` (neither side has it).
fn status(differences: usize) -> String {
    if differences == 0 { "same" } else { "different" }.to_owned()
}

/// Names on one side only, both ways, cut to [`LISTED`].
#[derive(Clone, Debug, Default, Serialize, schemars::JsonSchema)]
pub struct OneSided {
    pub only_in_source: Vec<String>,
    pub only_in_target: Vec<String>,
}

fn one_sided<'a>(
    source: impl Iterator<Item = &'a String>,
    target: impl Iterator<Item = &'a String>,
) -> (OneSided, usize) {
    let source: BTreeSet<&String> = source.collect();
    let target: BTreeSet<&String> = target.collect();
    let only_in_source: Vec<String> = source.difference(&target).map(|s| (*s).clone()).collect();
    let only_in_target: Vec<String> = target.difference(&source).map(|s| (*s).clone()).collect();
    let count = only_in_source.len() + only_in_target.len();
    let cut = |v: Vec<String>| v.into_iter().take(LISTED).collect();
    (OneSided { only_in_source: cut(only_in_source), only_in_target: cut(only_in_target) }, count)
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct MigrationsSection {
    pub status: String,
    pub note: Option<String>,
    pub differences: usize,
    pub source_head: Option<String>,
    pub target_head: Option<String>,
    #[serde(flatten)]
    pub versions: OneSided,
    /// Versions both applied with different statements.
    pub statements_differ: Vec<String>,
}

pub fn migrations(source: &Side, target: &Side) -> MigrationsSection {
    let empty = Vec::new();
    let (s, t) = (source.applied.as_ref().unwrap_or(&empty), target.applied.as_ref().unwrap_or(&empty));
    let (versions, mut differences) = one_sided(s.iter().map(|a| &a.version), t.iter().map(|a| &a.version));
    let statements_differ: Vec<String> = s
        .iter()
        .filter(|a| t.iter().any(|b| b.version == a.version && b.statements != a.statements))
        .map(|a| a.version.clone())
        .collect();
    differences += statements_differ.len();
    let note = match (&source.applied, &target.applied) {
        (None, None) => Some("neither instance has supabase_migrations.schema_migrations".to_owned()),
        (None, Some(_)) => Some("the source has no migration history table: its versions count as none".to_owned()),
        (Some(_), None) => Some("the target has no migration history table: its versions count as none".to_owned()),
        _ => None,
    };
    MigrationsSection {
        status: if source.applied.is_none() && target.applied.is_none() {
            "unavailable".to_owned()
        } else {
            status(differences)
        },
        note,
        differences,
        source_head: s.last().map(|a| a.version.clone()),
        target_head: t.last().map(|a| a.version.clone()),
        versions,
        statements_differ: statements_differ.into_iter().take(LISTED).collect(),
    }
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct VersionChange {
    pub name: String,
    pub source: String,
    pub target: String,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ExtensionsSection {
    pub status: String,
    pub differences: usize,
    #[serde(flatten)]
    pub names: OneSided,
    pub version_differs: Vec<VersionChange>,
}

pub fn extensions(source: &Side, target: &Side) -> ExtensionsSection {
    let (names, mut differences) = one_sided(source.extensions.keys(), target.extensions.keys());
    let version_differs: Vec<VersionChange> = source
        .extensions
        .iter()
        .filter_map(|(name, version)| {
            let other = target.extensions.get(name).filter(|other| *other != version)?;
            Some(VersionChange { name: name.clone(), source: version.clone(), target: other.clone() })
        })
        .collect();
    differences += version_differs.len();
    ExtensionsSection {
        status: status(differences),
        differences,
        names,
        version_differs: version_differs.into_iter().take(LISTED).collect(),
    }
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct RealtimeSection {
    pub status: String,
    pub note: Option<String>,
    pub differences: usize,
    /// Tables (schema.table) in one side's supabase_realtime publication only.
    #[serde(flatten)]
    pub tables: OneSided,
}

pub fn realtime(source: &Side, target: &Side) -> RealtimeSection {
    let empty = BTreeSet::new();
    let (s, t) = (source.publication.as_ref().unwrap_or(&empty), target.publication.as_ref().unwrap_or(&empty));
    let (tables, differences) = one_sided(s.iter(), t.iter());
    let missing =
        |side: &str| format!("the {side} has no supabase_realtime publication (create it before adding tables)");
    let (status_text, note) = match (&source.publication, &target.publication) {
        (None, None) => {
            ("unavailable".to_owned(), Some("neither instance has a supabase_realtime publication".to_owned()))
        }
        (None, Some(_)) => (status(differences), Some(missing("source"))),
        (Some(_), None) => (status(differences.max(1)), Some(missing("target"))),
        _ => (status(differences), None),
    };
    RealtimeSection { status: status_text, note, differences, tables }
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct BucketChange {
    pub id: String,
    /// The settings that differ: public, file_size_limit, allowed_mime_types.
    pub fields: Vec<String>,
    pub source: Bucket,
    pub target: Bucket,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct BucketsSection {
    pub status: String,
    pub note: Option<String>,
    pub differences: usize,
    /// Bucket ids on one side only.
    #[serde(flatten)]
    pub ids: OneSided,
    pub settings_differ: Vec<BucketChange>,
}

pub fn buckets(source: &Side, target: &Side) -> BucketsSection {
    let empty = BTreeMap::new();
    let (s, t) = (source.buckets.as_ref().unwrap_or(&empty), target.buckets.as_ref().unwrap_or(&empty));
    let (ids, mut differences) = one_sided(s.keys(), t.keys());
    let settings_differ: Vec<BucketChange> = s
        .iter()
        .filter_map(|(id, a)| {
            let b = t.get(id).filter(|b| *b != a)?;
            let mut fields = Vec::new();
            if a.public != b.public {
                fields.push("public".to_owned());
            }
            if a.file_size_limit != b.file_size_limit {
                fields.push("file_size_limit".to_owned());
            }
            if a.allowed_mime_types != b.allowed_mime_types {
                fields.push("allowed_mime_types".to_owned());
            }
            Some(BucketChange { id: id.clone(), fields, source: a.clone(), target: b.clone() })
        })
        .collect();
    differences += settings_differ.len();
    let missing = |side: &str| format!("the {side} has no storage.buckets table (Storage not installed there)");
    let (status_text, note) = match (&source.buckets, &target.buckets) {
        (None, None) => ("unavailable".to_owned(), Some("neither instance has storage.buckets".to_owned())),
        (None, Some(_)) => (status(differences), Some(missing("source"))),
        (Some(_), None) => (status(differences), Some(missing("target"))),
        _ => (status(differences), None),
    };
    BucketsSection {
        status: status_text,
        note,
        differences,
        ids,
        settings_differ: settings_differ.into_iter().take(LISTED).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(version: &str, sql: &str) -> AppliedMigration {
        AppliedMigration { version: version.to_owned(), name: "m".to_owned(), statements: vec![sql.to_owned()] }
    }

    #[test]
    fn migration_history_differences_both_ways_and_edited_statements() {
        let source = Side { applied: Some(vec![applied("1", "a"), applied("2", "b")]), ..Side::default() };
        let target = Side { applied: Some(vec![applied("1", "a2"), applied("3", "c")]), ..Side::default() };
        let section = migrations(&source, &target);
        assert_eq!(section.versions.only_in_source, vec!["2"]);
        assert_eq!(section.versions.only_in_target, vec!["3"]);
        assert_eq!(section.statements_differ, vec!["1"]);
        assert_eq!((section.status.as_str(), section.differences), ("different", 3));
        assert_eq!(section.target_head.as_deref(), Some("3"));
    }

    #[test]
    fn a_missing_side_is_said_not_failed() {
        let source = Side { publication: Some(["public.todos".to_owned()].into()), ..Side::default() };
        let section = realtime(&source, &Side::default());
        assert_eq!(section.status, "different");
        assert!(section.note.as_deref().unwrap_or_default().contains("target has no supabase_realtime"));
        let neither = buckets(&Side::default(), &Side::default());
        assert_eq!(neither.status, "unavailable");
        let history = migrations(&Side::default(), &Side { applied: Some(Vec::new()), ..Side::default() });
        assert_eq!(history.status, "same");
        assert!(history.note.is_some());
    }

    #[test]
    fn bucket_settings_name_the_fields_that_differ() {
        let bucket = |public, limit| Bucket { public, file_size_limit: limit, allowed_mime_types: None };
        let source = Side { buckets: Some([("avatars".to_owned(), bucket(true, Some(10)))].into()), ..Side::default() };
        let target =
            Side { buckets: Some([("avatars".to_owned(), bucket(false, Some(10)))].into()), ..Side::default() };
        let section = buckets(&source, &target);
        assert_eq!(section.settings_differ.len(), 1);
        assert_eq!(section.settings_differ[0].fields, vec!["public"]);
    }

    #[test]
    fn extension_versions_compare() {
        let source = Side { extensions: [("pg_trgm".to_owned(), "1.6".to_owned())].into(), ..Side::default() };
        let target = Side { extensions: [("pg_trgm".to_owned(), "1.5".to_owned())].into(), ..Side::default() };
        let section = extensions(&source, &target);
        assert_eq!(section.version_differs.len(), 1);
        assert_eq!(section.differences, 1);
    }
}
