//! `supamcp setup read-only-role [--role NAME] [--yes]`: shows the plan, and with `--yes` creates (or gives a
//! password to) a login PostgreSQL restricts, checks it by logging in as it, and stores its password
//! owner-only in the data directory, where every later start picks it up for read-only SQL.

use super::GlobalArgs;
use crate::config::Settings;
use crate::pg::readonly_login::{self, LoginOrigin, ReadOnlyLogin};
use crate::pg::readonly_setup;
use clap::{Args, Subcommand};
use std::process::ExitCode;

#[derive(Clone, Debug, Args)]
pub struct SetupArgs {
    #[command(subcommand)]
    pub action: SetupAction,
}

#[derive(Clone, Debug, Subcommand)]
pub enum SetupAction {
    /// Make a read-only login for the instance (--instance, default the default instance).
    ReadOnlyRole(ReadOnlyRoleArgs),
}

#[derive(Clone, Debug, Args)]
pub struct ReadOnlyRoleArgs {
    /// The role: default supabase_read_only_user where it exists, else supamcp_read_only.
    #[arg(long)]
    pub role: Option<String>,
    /// Carry out the plan (without it, only the plan is printed).
    #[arg(long)]
    pub yes: bool,
}

pub async fn run(global: &GlobalArgs, args: &SetupArgs) -> ExitCode {
    let SetupAction::ReadOnlyRole(role_args) = &args.action;
    match read_only_role(global, role_args).await {
        Ok(code) => code,
        Err(message) => {
            eprintln!("supamcp setup read-only-role: {message}");
            ExitCode::from(2)
        }
    }
}

async fn read_only_role(global: &GlobalArgs, args: &ReadOnlyRoleArgs) -> Result<ExitCode, String> {
    let env = |key: &str| std::env::var(key).ok();
    let settings = Settings::load(&global.overrides(), &env).map_err(|e| e.to_string())?;
    let instance = settings.instance(None)?;
    let spec = instance
        .database
        .clone()
        .ok_or_else(|| format!("instance '{}' has no database: pass --database-url or --env-file", instance.name))?;
    let mut client = crate::pg::pool::connect_once(&spec).await.map_err(|f| f.text())?;
    let plan = readonly_setup::plan(&client, &settings.data_dir, &instance.name, args.role.as_deref())
        .await
        .map_err(|f| f.text())?;
    println!("Read-only login for instance '{}' ({}), as {}:", instance.name, spec.redacted(), plan.role);
    for step in &plan.steps {
        println!("  - {step}");
    }
    if !args.yes {
        println!("Nothing changed. Run again with --yes to do this.");
        return Ok(ExitCode::from(1));
    }
    let (password, notes) = readonly_setup::apply(&mut client, &plan).await.map_err(|f| f.text())?;
    let login = ReadOnlyLogin::Credentials {
        user: plan.role.clone(),
        password: password.clone(),
        origin: LoginOrigin::SetupReadOnlyRole,
    };
    let check = crate::pg::pool::connect_once(&login.spec(&spec))
        .await
        .map_err(|f| format!("the role was set up but logging in as it failed ({}); nothing was stored", f.text()))?;
    let (powers, _) = readonly_login::powers(&check).await.map_err(|e| e.to_string())?;
    if !powers.is_empty() {
        return Err(readonly_login::unrestricted_failure(&plan.role, LoginOrigin::SetupReadOnlyRole, &powers).text());
    }
    readonly_setup::store(&plan, &password).map_err(|f| f.text())?;
    for note in notes {
        println!("Note: {note}");
    }
    println!(
        "Done: {} logs in, PostgreSQL restricts it, and its password is stored in {} (owner-only). \
         Read-only SQL of instance '{}' now runs on it.",
        plan.role,
        plan.stored_at.display(),
        instance.name
    );
    Ok(ExitCode::SUCCESS)
}
