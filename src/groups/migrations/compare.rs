//! `compare_instances`: one read-only report of what differs between two instances: migration history,
//! extensions and versions, realtime publication membership, storage buckets and their settings, and a summary of
//! the schema diff (generate_diff's engine). The work is in `crate::migrate::instances::compare` and `crate::diff`.

use crate::diff::{self, DiffOptions, ExtractOptions};
use crate::failure::Failure;
use crate::migrate::instances::auth::{self, AuthSection};
use crate::migrate::instances::compare::{
    self, BucketsSection, ExtensionsSection, LISTED, MigrationsSection, RealtimeSection, Side,
};
use crate::server::SupamcpServer;
use crate::server::output::{fenced_reply_of, schema_of};
use crate::server::progress::heartbeat;
use crate::supabase::auth::AuthAdmin;
use crate::supabase::gateway::Gateway;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

/// What this report does not cover yet, said in every reply.
const NOT_COMPARED: &[&str] =
    &["auth config (GoTrue settings)", "edge functions (slugs, versions)", "function secrets (names, digests)"];

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompareInstancesParams {
    /// The reference instance (e.g. dev).
    pub source: String,
    /// The instance compared with it (e.g. staging).
    pub target: String,
    /// Schemas for the schema diff (default: the app's, not Supabase's own).
    #[serde(default)]
    pub schemas: Vec<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct SchemaChange {
    kind: String,
    object: String,
    destructive: bool,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct SchemaSection {
    status: String,
    /// Statements generate_diff would write to turn the target into the source.
    differences: usize,
    /// What each statement changes (at most 50 listed).
    changes: Vec<SchemaChange>,
    warnings: Vec<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct CompareReply {
    source: String,
    target: String,
    /// True when no section found a difference.
    identical: bool,
    /// Sections with a difference.
    differing_sections: Vec<String>,
    migrations: MigrationsSection,
    extensions: ExtensionsSection,
    realtime: RealtimeSection,
    buckets: BucketsSection,
    /// GoTrue's published settings (providers, signup, autoconfirm, SMS provider, SAML, version).
    auth: AuthSection,
    schema: SchemaSection,
    /// Parts of an instance this report does not compare.
    not_compared: Vec<String>,
}

impl SupamcpServer {
    /// One side's facts and schema catalog.
    async fn compared_side(
        &self,
        name: &str,
        options: &ExtractOptions,
    ) -> Result<(Side, diff::model::Catalog), Failure> {
        let client = self.state.databases.get(Some(name))?.client().await?;
        let side = compare::read_side(&**client).await?;
        let catalog = diff::extract(&client, options).await?;
        Ok((side, catalog))
    }

    /// The auth settings GoTrue publishes for instance `name`, or why they cannot be read.
    async fn published_auth(&self, name: &str) -> Result<crate::supabase::auth::settings::AuthSettings, Failure> {
        let admin = Gateway::for_instance(&self.state.settings, Some(name)).map(AuthAdmin::new)?;
        admin.auth_settings().await
    }

    async fn compare(&self, params: CompareInstancesParams) -> Result<CompareReply, Failure> {
        if params.source == params.target {
            return Err(Failure::new(
                "source and target are the same instance",
                params.source,
                "name two different instances (list_instances shows them)",
            ));
        }
        let options = ExtractOptions { schemas: params.schemas, include_internal: false };
        let (source, target) = tokio::try_join!(
            self.compared_side(&params.source, &options),
            self.compared_side(&params.target, &options)
        )?;
        let schema_diff = diff::diff(&source.1, &target.1, DiffOptions { allow_destructive: true });
        let differences = schema_diff.statements.len();
        let schema = SchemaSection {
            status: if differences == 0 { "same" } else { "different" }.to_owned(),
            differences,
            changes: schema_diff
                .statements
                .iter()
                .take(LISTED)
                .map(|s| SchemaChange { kind: s.kind.clone(), object: s.object.clone(), destructive: s.destructive })
                .collect(),
            warnings: schema_diff.warnings,
        };
        let (source_side, target_side) = (&source.0, &target.0);
        let migrations = compare::migrations(source_side, target_side);
        let extensions = compare::extensions(source_side, target_side);
        let realtime = compare::realtime(source_side, target_side);
        let buckets = compare::buckets(source_side, target_side);
        let (source_auth, target_auth) =
            tokio::join!(self.published_auth(&params.source), self.published_auth(&params.target));
        let auth = auth::compare(source_auth, target_auth);
        let differing_sections: Vec<String> = [
            ("migrations", migrations.status.as_str()),
            ("extensions", extensions.status.as_str()),
            ("realtime", realtime.status.as_str()),
            ("buckets", buckets.status.as_str()),
            ("auth", auth.status.as_str()),
            ("schema", schema.status.as_str()),
        ]
        .into_iter()
        .filter(|(_, status)| *status == "different")
        .map(|(name, _)| name.to_owned())
        .collect();
        Ok(CompareReply {
            source: params.source,
            target: params.target,
            identical: differing_sections.is_empty(),
            differing_sections,
            migrations,
            extensions,
            realtime,
            buckets,
            auth,
            schema,
            not_compared: NOT_COMPARED.iter().map(|s| (*s).to_owned()).collect(),
        })
    }
}

#[tool_router(router = migrations_compare_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Compare two instances (e.g. dev and prod) without changing either: migration history, extensions and
    /// versions, realtime publication membership, storage buckets and their settings, auth settings and a schema
    /// diff summary.
    /// Use it before promoting or syncing.
    #[tool(
        annotations(title = "Compare instances", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<CompareReply>()
    )]
    async fn compare_instances(
        &self,
        Parameters(params): Parameters<CompareInstancesParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = heartbeat(&context, "compare_instances", self.compare(params)).await;
        // Table, bucket, extension and migration names come from the databases: fenced as untrusted data.
        fenced_reply_of("instance comparison", outcome)
    }
}
