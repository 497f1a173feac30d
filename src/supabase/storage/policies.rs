//! Row-level security policies on storage.objects: read (pg_policies, optionally only those naming a bucket)
//! and written from templates as a migration (up: CREATE POLICY, down: DROP POLICY), so the migrations layer
//! records and can revert them. The templates follow Supabase's conventions: public read, authenticated upload
//! into the folder named after the user's id (`(storage.foldername(name))[1] = auth.uid()::text`), owner-only
//! update and delete (`owner_id = auth.uid()::text`), or a custom expression scoped to the bucket.

use crate::failure::Failure;
use crate::pg::ident::{quote_ident, quote_literal};
use serde::Deserialize;

/// A policy on storage.objects as PostgreSQL shows it.
pub use crate::pg::catalog::policies::TablePolicy as StoragePolicy;

/// The policies on storage.objects, only those whose expressions name `bucket` when given.
pub async fn list(client: &tokio_postgres::Client, bucket: Option<&str>) -> Result<Vec<StoragePolicy>, Failure> {
    let pattern = bucket.map(|b| format!("%{}%", quote_literal(b)));
    crate::pg::catalog::policies::table_policies(client, "storage", "objects", pattern.as_deref()).await
}

// A policy template: public_read (anyone reads), authenticated_upload_own_folder (signed-in users upload into
// the folder named after their id), owner_update_delete, custom (the given command, roles and expressions).
#[derive(Clone, Copy, Debug, Deserialize, schemars::JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Template {
    // Anyone (anon and authenticated) may read the bucket's objects.
    PublicRead,
    // Signed-in users may upload into the folder named after their user id.
    AuthenticatedUploadOwnFolder,
    // Users may update and delete the objects they own.
    OwnerUpdateDelete,
    // The given command, roles and expressions, scoped to the bucket.
    Custom,
}

/// The custom template's parts.
#[derive(Clone, Debug, Default)]
pub struct Custom {
    /// select, insert, update, delete or all.
    pub command: String,
    pub roles: Vec<String>,
    pub using: Option<String>,
    pub with_check: Option<String>,
}

pub use crate::pg::catalog::policies::PolicyMigration;
use crate::pg::catalog::policies::{NewPolicy, policy_migration};

const OWN_FOLDER: &str = "(storage.foldername(name))[1] = (select auth.uid()::text)";
const OWNER: &str = "owner_id = (select auth.uid()::text)";

/// The SQL that creates the template's policies for `bucket` (names prefixed with `prefix` when given).
pub fn migration(
    bucket: &str,
    template: Template,
    prefix: Option<&str>,
    custom: &Custom,
) -> Result<PolicyMigration, Failure> {
    let scope = format!("bucket_id = {}", quote_literal(bucket));
    let base = prefix.unwrap_or(bucket).to_owned();
    let policy =
        |suffix: &str, command: &str, roles: &str, using: Option<String>, with_check: Option<String>| NewPolicy {
            name: format!("{base} {suffix}"),
            command: command.to_owned(),
            roles: roles.to_owned(),
            using,
            with_check,
        };
    let policies = match template {
        Template::PublicRead => vec![policy("public read", "select", "public", Some(scope.clone()), None)],
        Template::AuthenticatedUploadOwnFolder => vec![policy(
            "upload to own folder",
            "insert",
            "authenticated",
            None,
            Some(format!("{scope} and {OWN_FOLDER}")),
        )],
        Template::OwnerUpdateDelete => vec![
            policy(
                "owner update",
                "update",
                "authenticated",
                Some(format!("{scope} and {OWNER}")),
                Some(format!("{scope} and {OWNER}")),
            ),
            policy("owner delete", "delete", "authenticated", Some(format!("{scope} and {OWNER}")), None),
        ],
        Template::Custom => {
            let command = custom.command.to_ascii_lowercase();
            if !matches!(command.as_str(), "select" | "insert" | "update" | "delete" | "all") {
                return Err(Failure::new(
                    format!("command '{}' is not a policy command", custom.command),
                    "policies apply to select, insert, update, delete or all",
                    "pass command as one of those",
                ));
            }
            let needs_check = matches!(command.as_str(), "insert");
            let using = custom.using.as_ref().filter(|_| !needs_check).map(|e| format!("{scope} and ({e})"));
            let check = custom.with_check.as_ref().map(|e| format!("{scope} and ({e})"));
            if using.is_none() && check.is_none() {
                return Err(Failure::new(
                    "the custom policy has no expression",
                    "a custom policy needs `using` (select, update, delete, all) or `with_check` (insert, update, all)",
                    "pass the expression, e.g. using: \"owner_id = (select auth.uid()::text)\"",
                ));
            }
            let roles = if custom.roles.is_empty() {
                "public".to_owned()
            } else {
                custom.roles.iter().map(|r| quote_ident(r)).collect::<Vec<_>>().join(", ")
            };
            vec![policy(&format!("custom {command}"), &command, &roles, using, check)]
        }
    };
    Ok(policy_migration("storage.objects", policies))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_scope_to_the_bucket_and_quote_names() {
        let m = migration("ava'tars", Template::AuthenticatedUploadOwnFolder, None, &Custom::default()).unwrap();
        assert!(m.up.contains("bucket_id = 'ava''tars'"), "{}", m.up);
        assert!(m.up.contains("(storage.foldername(name))[1] = (select auth.uid()::text)"));
        assert!(m.up.contains(
            "create policy \"ava'tars upload to own folder\" on storage.objects for insert to authenticated"
        ));
        assert_eq!(m.down, "drop policy if exists \"ava'tars upload to own folder\" on storage.objects;\n");
        let owner = migration("b", Template::OwnerUpdateDelete, Some("docs"), &Custom::default()).unwrap();
        assert_eq!(owner.names, ["docs owner update", "docs owner delete"]);
        let bad = Custom { command: "drop".into(), ..Custom::default() };
        assert!(migration("b", Template::Custom, None, &bad).is_err());
        let empty = Custom { command: "select".into(), ..Custom::default() };
        assert!(migration("b", Template::Custom, None, &empty).is_err());
    }
}
