//! `supamcp config print --client <name>`: the snippet that adds supamcp to an MCP client (Claude Desktop,
//! Claude Code, Cursor, VS Code, Windsurf), from one description of each client's file and shape. The launch
//! command carries the flags given with it (--features, --read-only, --env-file, ...); secrets are never
//! printed: a database URL becomes an environment entry with a placeholder to fill in.

use super::GlobalArgs;
use clap::{Args, ValueEnum};
use serde_json::{Map, Value, json};
use std::process::ExitCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Client {
    ClaudeDesktop,
    ClaudeCode,
    Cursor,
    Vscode,
    Windsurf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Launcher {
    /// `npx -y supamcp` (the npm package; nothing to install first).
    Npx,
    /// The absolute path of this supamcp binary.
    Binary,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub action: ConfigAction,
}

#[derive(Debug, clap::Subcommand)]
pub enum ConfigAction {
    /// Print the snippet that adds supamcp to an MCP client, with the flags given here.
    Print {
        /// The client: claude-desktop, claude-code, cursor, vscode or windsurf.
        #[arg(long, value_enum)]
        client: Client,
        /// The server's name in the client's configuration.
        #[arg(long, default_value = "supabase")]
        name: String,
        /// How the client starts supamcp.
        #[arg(long, value_enum, default_value = "npx")]
        launcher: Launcher,
    },
}

/// Where each client keeps its MCP servers.
fn location(client: Client) -> &'static str {
    match client {
        Client::ClaudeDesktop => {
            "add this to claude_desktop_config.json (macOS: ~/Library/Application Support/Claude/, Windows: \
             %APPDATA%\\Claude\\), then restart Claude Desktop"
        }
        Client::ClaudeCode => "run this in your project (add --scope user after `add` for every project)",
        Client::Cursor => "add this to .cursor/mcp.json in the project, or ~/.cursor/mcp.json for every project",
        Client::Vscode => "add this to .vscode/mcp.json in the workspace",
        Client::Windsurf => "add this to ~/.codeium/windsurf/mcp_config.json",
    }
}

/// The launch command (program and arguments) and the environment the client passes to supamcp.
pub fn launch(global: &GlobalArgs, launcher: Launcher) -> (String, Vec<String>, Map<String, Value>) {
    let (command, mut args) = match launcher {
        Launcher::Npx => ("npx".to_owned(), vec!["-y".to_owned(), "supamcp".to_owned()]),
        Launcher::Binary => {
            let path = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_else(|_| "supamcp".into());
            (path, Vec::new())
        }
    };
    let mut flag = |name: &str, value: Option<String>| {
        if let Some(value) = value {
            args.push(format!("--{name}"));
            args.push(value);
        }
    };
    let path = |p: &Option<std::path::PathBuf>| p.as_ref().map(|p| p.display().to_string());
    flag("config", path(&global.config));
    flag("env-file", path(&global.env_file));
    flag("features", global.features.clone());
    flag("instance", global.instance.clone());
    flag("data-dir", path(&global.data_dir));
    flag("backup-dir", path(&global.backup_dir));
    if global.read_only {
        args.push("--read-only".to_owned());
    }
    if global.allow_absolute_paths {
        args.push("--allow-absolute-paths".to_owned());
    }
    let mut env = Map::new();
    if global.database_url.is_some() {
        env.insert("SUPAMCP_DATABASE_URL".to_owned(), json!("<your database URL>"));
    }
    if global.read_only_database_url.is_some() {
        env.insert("SUPAMCP_READ_ONLY_DATABASE_URL".to_owned(), json!("<your read-only login's URL>"));
    }
    (command, args, env)
}

/// The snippet for `client`: JSON for the clients that read a file, a command line for Claude Code.
pub fn snippet(client: Client, name: &str, command: &str, args: &[String], env: &Map<String, Value>) -> String {
    let mut server = json!({"command": command, "args": args});
    if !env.is_empty() {
        server["env"] = Value::Object(env.clone());
    }
    let document = match client {
        Client::ClaudeCode => {
            let mut line = vec!["claude".to_owned(), "mcp".to_owned(), "add".to_owned(), quote(name)];
            for (key, value) in env {
                line.push("-e".to_owned());
                line.push(quote(&format!("{key}={}", value.as_str().unwrap_or_default())));
            }
            line.push("--".to_owned());
            line.push(quote(command));
            line.extend(args.iter().map(|a| quote(a)));
            return line.join(" ");
        }
        Client::Vscode => {
            server["type"] = json!("stdio");
            json!({"servers": {name: server}})
        }
        Client::ClaudeDesktop | Client::Cursor | Client::Windsurf => json!({"mcpServers": {name: server}}),
    };
    serde_json::to_string_pretty(&document).unwrap_or_default()
}

/// A word as a POSIX shell reads it back unchanged.
fn quote(word: &str) -> String {
    let plain = !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c));
    if plain { word.to_owned() } else { format!("'{}'", word.replace('\'', "'\\''")) }
}

pub fn run(global: &GlobalArgs, args: &ConfigArgs) -> ExitCode {
    match &args.action {
        ConfigAction::Print { client, name, launcher } => {
            let (command, launch_args, env) = launch(global, *launcher);
            println!("{}", snippet(*client, name, &command, &launch_args, &env));
            eprintln!("supamcp: {}", location(*client));
            if !env.is_empty() {
                eprintln!("supamcp: replace the <...> placeholders with your values (secrets are never printed)");
            }
            ExitCode::SUCCESS
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn each_client_gets_its_own_shape() {
        let launch = args(&["-y", "supamcp", "--read-only"]);
        let env = Map::new();
        let desktop: Value =
            serde_json::from_str(&snippet(Client::ClaudeDesktop, "supabase", "npx", &launch, &env)).unwrap();
        assert_eq!(desktop["mcpServers"]["supabase"]["args"], json!(["-y", "supamcp", "--read-only"]));
        let vscode: Value = serde_json::from_str(&snippet(Client::Vscode, "db", "npx", &launch, &env)).unwrap();
        assert_eq!(vscode["servers"]["db"]["type"], "stdio");
        let mut secret = Map::new();
        secret.insert("SUPAMCP_DATABASE_URL".into(), json!("<your database URL>"));
        let code = snippet(Client::ClaudeCode, "supabase", "npx", &launch, &secret);
        assert_eq!(
            code,
            "claude mcp add supabase -e 'SUPAMCP_DATABASE_URL=<your database URL>' -- npx -y supamcp --read-only"
        );
    }

    #[test]
    fn quoting_survives_the_shell() {
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote("/srv/supabase/.env"), "/srv/supabase/.env");
        assert_eq!(quote(""), "''");
    }
}
