//! The triggers on `auth.users` and the risk each one's function carries: a failing user trigger (such as a
//! `handle_new_user` that copies new users into a profiles table) is the top cause of GoTrue's 500 "Database
//! error creating new user" / "Database error saving new user". One catalog query; the function bodies are
//! read by PostgreSQL's own regular expressions and never returned.

use crate::failure::Failure;
use crate::pg::catalog::query_failure;
use schemars::JsonSchema;
use serde::Serialize;
use tokio_postgres::GenericClient;

/// One trigger on auth.users.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AuthTrigger {
    pub name: String,
    /// The CREATE TRIGGER statement.
    pub definition: String,
    /// The trigger function (schema.name(args)).
    pub function: String,
    pub language: String,
    pub security_definer: bool,
    /// The function's `SET search_path`, if any.
    pub search_path: Option<String>,
    pub enabled: bool,
    /// What can make GoTrue's user writes fail, with the fix.
    pub risks: Vec<String>,
}

/// Every trigger on auth.users.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AuthTriggerReport {
    pub triggers: Vec<AuthTrigger>,
    pub summary: String,
}

const QUERY: &str = "\
SELECT t.tgname::text, pg_get_triggerdef(t.oid), p.oid::regprocedure::text, l.lanname::text, p.prosecdef,
       (SELECT substr(c, 13) FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%' LIMIT 1),
       t.tgenabled <> 'D',
       p.prosrc ~* '\\mexception\\M',
       p.prosrc ~* '\\m(insert\\s+into|update|delete\\s+from)\\M'
FROM pg_trigger t
JOIN pg_proc p ON p.oid = t.tgfoid
JOIN pg_language l ON l.oid = p.prolang
WHERE t.tgrelid = to_regclass('auth.users') AND NOT t.tgisinternal
ORDER BY t.tgname";

/// Reads the triggers on auth.users and judges their functions.
pub async fn auth_triggers(client: &impl GenericClient) -> Result<AuthTriggerReport, Failure> {
    let rows = client.query(QUERY, &[]).await.map_err(query_failure)?;
    let triggers: Vec<AuthTrigger> = rows
        .iter()
        .map(|row| {
            let language: String = row.get(3);
            let security_definer: bool = row.get(4);
            let search_path: Option<String> = row.get(5);
            let (handles_errors, writes): (bool, bool) = (row.get(7), row.get(8));
            let mut risks = Vec::new();
            if language == "plpgsql" && !handles_errors {
                risks.push(
                    "no EXCEPTION block: any error in it aborts GoTrue's transaction (500 \"Database error saving new \
                     user\"); catch errors and RAISE WARNING instead, or make every statement safe"
                        .to_owned(),
                );
            }
            if security_definer && search_path.is_none() {
                risks.push(
                    "SECURITY DEFINER without a fixed search_path: unqualified names resolve through the caller's \
                     path; add SET search_path = '' and qualify every name"
                        .to_owned(),
                );
            }
            if !security_definer && writes {
                risks.push(
                    "writes to tables as the invoking role: GoTrue connects as supabase_auth_admin, which cannot \
                     write to public tables; make the function SECURITY DEFINER (owned by postgres) with SET \
                     search_path = ''"
                        .to_owned(),
                );
            }
            AuthTrigger {
                name: row.get(0),
                definition: row.get(1),
                function: row.get(2),
                language,
                security_definer,
                search_path,
                enabled: row.get(6),
                risks,
            }
        })
        .collect();
    let risky = triggers.iter().filter(|t| t.enabled && !t.risks.is_empty()).count();
    let summary = match (triggers.len(), risky) {
        (0, _) => "no triggers on auth.users: they cannot be why user writes fail".to_owned(),
        (n, 0) => format!("{n} trigger(s) on auth.users, none with a known risk"),
        (n, r) => format!(
            "{n} trigger(s) on auth.users, {r} with risks: one of them failing makes GoTrue answer 500 \"Database \
             error saving new user\"; GoTrue's log names the SQL error"
        ),
    };
    Ok(AuthTriggerReport { triggers, summary })
}
