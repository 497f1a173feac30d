//! `generate_diff`: DDL that turns a target instance's schema into a source's (an instance, or a migrations
//! directory applied to a scratch database on the target's server).

use crate::diff::{self, Diff, DiffOptions, ExtractOptions, Statement};
use crate::failure::Failure;
use crate::server::SupamcpServer;
use crate::server::output::{fenced_reply_of, schema_of};
use crate::server::progress::heartbeat;
use crate::spill::{ColumnInfo, WrittenResult};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Statements kept in the reply when the statement list spills to a file.
const PREVIEW_STATEMENTS: usize = 50;

/// Where the wanted schema comes from, and which part of it to compare.
#[derive(Clone, Debug, Default)]
pub(crate) struct DiffSource {
    pub source: Option<String>,
    pub source_migrations_dir: Option<String>,
    pub target: Option<String>,
    pub schemas: Vec<String>,
    pub include_internal: bool,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateDiffParams {
    /// The instance whose schema is wanted.
    #[serde(default)]
    pub source: Option<String>,
    /// Or a migrations directory, applied to a scratch database on the target's server (needs CREATEDB).
    #[serde(default)]
    pub source_migrations_dir: Option<String>,
    /// The instance to change (only read); default instance when omitted.
    #[serde(default)]
    pub target: Option<String>,
    /// Schemas to compare (default: the app's).
    #[serde(default)]
    pub schemas: Vec<String>,
    /// Also compare Supabase's own schemas.
    #[serde(default)]
    pub include_internal: bool,
    /// Put drops that lose data into the script (default: returned apart in held_back).
    #[serde(default)]
    pub allow_destructive: bool,
}

impl GenerateDiffParams {
    /// Where from and how.
    pub(crate) fn split(self) -> (DiffSource, DiffOptions) {
        let source = DiffSource {
            source: self.source,
            source_migrations_dir: self.source_migrations_dir,
            target: self.target,
            schemas: self.schemas,
            include_internal: self.include_internal,
        };
        (source, DiffOptions { allow_destructive: self.allow_destructive })
    }
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DiffCounts {
    pub statements: usize,
    pub held_back: usize,
    pub destructive_in_script: usize,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DiffReply {
    /// What was compared, e.g. "instance dev -> instance prod".
    pub compared: String,
    /// True when the target already matches the source.
    pub empty: bool,
    pub counts: DiffCounts,
    /// The script's statements in order (all of them, or the first ones when `spilled`).
    pub statements: Vec<Statement>,
    /// Destructive statements left out of the script (allow_destructive: false).
    pub held_back: Vec<Statement>,
    /// The ready-to-run script; null when spilled (read script_file).
    pub script: Option<String>,
    /// The held-back statements as a script of their own, to run after review.
    pub held_back_script: Option<String>,
    pub warnings: Vec<String>,
    /// When the statements were too many for the reply: read_result handle (one row per statement) and the
    /// file holding the whole script.
    pub spilled: Option<DiffSpill>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DiffSpill {
    pub handle: String,
    /// The statements as an MCP resource (resources/read), page by page.
    pub uri: String,
    pub script_file: String,
}

/// The diff of `from`, and a description of what was compared.
pub(crate) async fn compute(
    server: &SupamcpServer,
    from: &DiffSource,
    options: DiffOptions,
) -> Result<(Diff, String), Failure> {
    let target = server.state.databases.get(from.target.as_deref())?;
    let target_client = target.client().await?;
    let extract_options = ExtractOptions { schemas: from.schemas.clone(), include_internal: from.include_internal };
    let mut warnings = Vec::new();
    let (source, compared) = match (&from.source, &from.source_migrations_dir) {
        (Some(name), None) => {
            if *name == target.instance.name {
                return Err(Failure::new(
                    "source and target are the same instance",
                    name.clone(),
                    "name two different instances",
                ));
            }
            let client = server.state.databases.get(Some(name))?.client().await?;
            (diff::extract(&client, &extract_options).await?, format!("instance {name}"))
        }
        (None, Some(dir)) => {
            if server.state.settings.read_only {
                return Err(Failure::new(
                    "cannot diff from a migrations directory in read-only mode",
                    "the migrations are applied to a scratch database created (and dropped) on the target's server",
                    "diff against an instance (source), or run supamcp without --read-only",
                ));
            }
            let (catalog, scratch) = diff::scratch::catalog_of_migrations(
                &target_client,
                &target.spec,
                &PathBuf::from(dir),
                &extract_options,
                &mut warnings,
            )
            .await?;
            (catalog, format!("migrations in {dir} (applied to the scratch database {scratch}, dropped)"))
        }
        _ => {
            return Err(Failure::new(
                "no single source to diff from",
                "give either source (an instance) or source_migrations_dir, not both and not neither",
                "pass source: \"dev\" or source_migrations_dir: \"supabase/migrations\"",
            ));
        }
    };
    let wanted = diff::extract(&target_client, &extract_options).await?;
    let mut result = diff::diff(&source, &wanted, options);
    warnings.append(&mut result.warnings);
    result.warnings = warnings;
    Ok((result, format!("{compared} -> instance {}", target.instance.name)))
}

#[tool_router(router = migrations_diff_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Generate the DDL that turns the target's schema into the source's (an instance or a migrations directory), in
    /// dependency order; drops that lose data are held back. The target is not changed.
    #[tool(
        annotations(title = "Generate schema diff", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<DiffReply>()
    )]
    async fn generate_diff(
        &self,
        Parameters(params): Parameters<GenerateDiffParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let (from, options) = params.split();
        let outcome = heartbeat(&context, "generate_diff", async {
            let (result, compared) = compute(self, &from, options).await?;
            self.diff_reply(result, compared)
        })
        .await;
        // Definitions, function bodies and comments come from the databases: fenced as untrusted data.
        fenced_reply_of("schema diff", outcome)
    }
}

impl SupamcpServer {
    /// The reply, with the statement list spilled to a file (and the script beside it) when it is large.
    fn diff_reply(&self, result: Diff, compared: String) -> Result<DiffReply, Failure> {
        let counts = DiffCounts {
            statements: result.statements.len(),
            held_back: result.held_back.len(),
            destructive_in_script: result.statements.iter().filter(|s| s.destructive).count(),
        };
        let mut writer = self.state.spill.writer(PREVIEW_STATEMENTS);
        let columns = ["sql", "kind", "object", "destructive", "held_back"];
        writer.start(columns.iter().map(|c| ColumnInfo { name: (*c).into(), type_name: "text".into() }).collect());
        for (statement, held) in
            result.statements.iter().map(|s| (s, false)).chain(result.held_back.iter().map(|s| (s, true)))
        {
            writer.push(vec![
                statement.sql.clone().into(),
                statement.kind.clone().into(),
                statement.object.clone().into(),
                statement.destructive.into(),
                held.into(),
            ])?;
        }
        let script = result.script();
        let held_back_script = (!result.held_back.is_empty()).then(|| result.held_back_script());
        let mut reply = DiffReply {
            compared,
            empty: result.is_empty(),
            counts,
            statements: Vec::new(),
            held_back: Vec::new(),
            script: None,
            held_back_script: None,
            warnings: result.warnings,
            spilled: None,
        };
        match writer.finish()? {
            WrittenResult::Inline { .. } => {
                reply.statements = result.statements;
                reply.held_back = result.held_back;
                reply.script = Some(script);
                reply.held_back_script = held_back_script;
            }
            WrittenResult::Spilled(spill) => {
                let script_file = spill.path.with_extension("sql");
                let mut text = script;
                if let Some(held) = held_back_script {
                    text.push_str("\n-- Held back (destructive): run after review.\n-- ");
                    text.push_str(&held.replace('\n', "\n-- "));
                }
                crate::fsutil::write_new(
                    &script_file,
                    text.as_bytes(),
                    "the data directory (--data-dir, SUPAMCP_DATA_DIR)",
                )?;
                reply.statements = result.statements.into_iter().take(PREVIEW_STATEMENTS).collect();
                reply.held_back = result.held_back.into_iter().take(PREVIEW_STATEMENTS).collect();
                let uri = crate::server::resources::result_uri(&spill.handle, 0);
                let script_file = script_file.display().to_string();
                reply.spilled = Some(DiffSpill { handle: spill.handle, uri, script_file });
            }
        }
        Ok(reply)
    }
}
