use super::*;
use std::io::Write;

fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    let mut file = std::fs::File::create(&path).unwrap_or_else(|e| panic!("{e}"));
    file.write_all(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    path
}

#[test]
fn cli_beats_env_beats_env_file_beats_config_file() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = write(dir.path(), "supamcp.toml", "[instances.dev]\ndatabase_url = \"postgres://file@h/d\"\n");
    let env_file =
        write(dir.path(), ".env", "POSTGRES_HOST=envfilehost\nPOSTGRES_PASSWORD=pw\nANON_KEY=anon-from-file\n");
    let mut overrides = Overrides { config_path: Some(config), ..Default::default() };

    let only_file = Settings::load(&overrides, &lookup(&[])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(only_file.default_instance, "dev");
    assert_eq!(only_file.instance(None).ok().and_then(|i| i.database.as_ref()).map(|d| d.user.as_str()), Some("file"));

    overrides.env_file = Some(env_file);
    let with_env_file = Settings::load(&overrides, &lookup(&[])).unwrap_or_else(|e| panic!("{e}"));
    let inst = with_env_file.instance(None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        inst.database.as_ref().map(|d| d.redacted()),
        Some("postgres://postgres:[redacted]@envfilehost:5432/postgres".into())
    );
    assert_eq!(inst.anon_key.as_ref().map(Secret::expose), Some("anon-from-file"));

    let env = [("DATABASE_URL", "postgres://fromenv@h2/d")];
    let with_env = Settings::load(&overrides, &lookup(&env)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        with_env.instance(None).ok().and_then(|i| i.database.as_ref()).map(|d| d.user.clone()),
        Some("fromenv".into())
    );

    overrides.database_url = Some(Secret::new("postgres://fromcli@h3/d"));
    let with_cli = Settings::load(&overrides, &lookup(&env)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        with_cli.instance(None).ok().and_then(|i| i.database.as_ref()).map(|d| d.user.clone()),
        Some("fromcli".into())
    );
}

#[test]
fn unknown_instance_lists_the_configured_ones() {
    let overrides = Overrides { database_url: Some(Secret::new("postgres://u@h/d")), ..Default::default() };
    let settings = Settings::load(&overrides, &lookup(&[])).unwrap_or_else(|e| panic!("{e}"));
    let err = settings.instance(Some("prod")).err().unwrap_or_default();
    assert!(err.contains("'prod'") && err.contains("default"), "{err}");
}

#[test]
fn no_database_gives_instructions() {
    let settings = Settings::load(&Overrides::default(), &lookup(&[])).unwrap_or_else(|e| panic!("{e}"));
    assert!(!settings.has_database());
    let err = settings.instance(None).err().unwrap_or_default();
    assert!(err.contains("--database-url"), "{err}");
}

#[test]
fn bad_values_are_named() {
    let bad_features = Overrides { features: Some("core,nope".into()), ..Default::default() };
    let err = Settings::load(&bad_features, &lookup(&[])).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("'nope'"), "{err}");

    let bad_url = Overrides { database_url: Some(Secret::new("postgres://h:notaport/d")), ..Default::default() };
    let err = Settings::load(&bad_url, &lookup(&[])).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.starts_with("--database-url") && err.contains("notaport"), "{err}");

    let bad_pool =
        Overrides { database_url: Some(Secret::new("postgres://h/d")), pool_size: Some(0), ..Default::default() };
    assert!(Settings::load(&bad_pool, &lookup(&[])).is_err());

    for ms in [0, 1 << 31] {
        let bad_timeout = Overrides {
            database_url: Some(Secret::new("postgres://h/d")),
            statement_timeout_ms: Some(ms),
            ..Default::default()
        };
        let err = Settings::load(&bad_timeout, &lookup(&[])).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.starts_with("--statement-timeout-ms") && err.contains("1 to 2147483647"), "{err}");
    }
}

#[test]
fn dokploy_from_environment() {
    let env = [("DOKPLOY_URL", "https://dk.example.com"), ("DOKPLOY_API_KEY", "key")];
    let settings = Settings::load(&Overrides::default(), &lookup(&env)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(settings.dokploy.get("default").map(|d| d.url.as_str()), Some("https://dk.example.com"));
}

#[test]
fn backup_directory_and_key_follow_the_layers() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config =
        write(dir.path(), "supamcp.toml", "backup_dir = \"/srv/file-backups\"\nbackup_key = \"file passphrase 123\"\n");
    let data = Overrides { data_dir: Some(dir.path().join("data")), ..Default::default() };
    let defaults = Settings::load(&data, &lookup(&[])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(defaults.backup_dir, dir.path().join("data/backups"));
    assert!(defaults.backup_key.is_none());

    let mut overrides = Overrides { config_path: Some(config), ..Default::default() };
    let from_file = Settings::load(&overrides, &lookup(&[])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(from_file.backup_dir, PathBuf::from("/srv/file-backups"));
    assert_eq!(from_file.backup_key.as_ref().map(Secret::expose), Some("file passphrase 123"));

    overrides.backup_dir = Some(PathBuf::from("/cli/backups"));
    let env = [("SUPAMCP_BACKUP_KEY", "env passphrase 456")];
    let layered = Settings::load(&overrides, &lookup(&env)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(layered.backup_dir, PathBuf::from("/cli/backups"));
    assert_eq!(layered.backup_key.as_ref().map(Secret::expose), Some("env passphrase 456"));
    assert!(!format!("{layered:?}").contains("passphrase 456"), "the key is redacted in Debug");
}

fn login_of(settings: &Settings, name: &str) -> Option<(String, LoginOrigin)> {
    let instance = settings.instances.get(name)?;
    let main = instance.database.as_ref()?;
    let login = instance.read_only_login.as_ref()?;
    Some((login.spec(main).user, login.origin()))
}

#[test]
fn read_only_logins_layer_and_the_stored_one_is_picked_up() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = write(
        dir.path(),
        "supamcp.toml",
        "[instances.a]\ndatabase_url = \"postgres://postgres@h/d\"\nread_only_database_url = \"postgres://reader@h/d\"\n\
         [instances.b]\ndatabase_url = \"postgres://postgres.tenant@h:6543/d\"\nread_only_password = \"pw\"\n\
         [instances.c]\ndatabase_url = \"postgres://postgres@h/d\"\n",
    );
    let data_dir = dir.path().join("data");
    std::fs::create_dir_all(data_dir.join("read-only")).unwrap_or_else(|e| panic!("{e}"));
    let stored = write(&data_dir.join("read-only"), "c.json", r#"{"user":"supamcp_read_only","password":"x"}"#);
    std::fs::set_permissions(&stored, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut overrides = Overrides {
        config_path: Some(config),
        data_dir: Some(data_dir),
        instance: Some("a".into()),
        ..Default::default()
    };
    let settings = Settings::load(&overrides, &lookup(&[])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(login_of(&settings, "a"), Some(("reader".into(), LoginOrigin::ReadOnlyDatabaseUrl)));
    assert_eq!(
        login_of(&settings, "b"),
        Some(("supabase_read_only_user.tenant".into(), LoginOrigin::SupabaseReadOnlyUser))
    );
    assert_eq!(login_of(&settings, "c"), Some(("supamcp_read_only".into(), LoginOrigin::SetupReadOnlyRole)));

    // The environment gives the default instance supabase_read_only_user; the command line's URL beats it.
    let env = [("SUPAMCP_READ_ONLY_PASSWORD", "pw")];
    overrides.instance = Some("c".into());
    let settings = Settings::load(&overrides, &lookup(&env)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(login_of(&settings, "c"), Some(("supabase_read_only_user".into(), LoginOrigin::SupabaseReadOnlyUser)));
    overrides.read_only_database_url = Some(Secret::new("postgres://cli_reader@h/d"));
    let settings = Settings::load(&overrides, &lookup(&env)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(login_of(&settings, "c"), Some(("cli_reader".into(), LoginOrigin::ReadOnlyDatabaseUrl)));

    // A stored login others may read is refused, not used.
    std::fs::set_permissions(&stored, std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .unwrap_or_else(|e| panic!("{e}"));
    overrides.read_only_database_url = None;
    let error = Settings::load(&overrides, &lookup(&[])).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains("chmod 600"), "{error}");
}

#[test]
fn absolute_paths_are_allowed_by_the_file_or_the_command_line() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let defaults = Settings::load(&Overrides::default(), &lookup(&[])).unwrap_or_else(|e| panic!("{e}"));
    assert!(!defaults.allow_absolute_paths, "off by default");
    let config = write(dir.path(), "supamcp.toml", "allow_absolute_paths = true\n");
    let overrides = Overrides { config_path: Some(config), ..Default::default() };
    assert!(Settings::load(&overrides, &lookup(&[])).is_ok_and(|s| s.allow_absolute_paths));
    let flag = Overrides { allow_absolute_paths: true, ..Default::default() };
    assert!(Settings::load(&flag, &lookup(&[])).is_ok_and(|s| s.allow_absolute_paths));
}

#[test]
fn an_env_file_without_database_settings_is_named_with_what_to_set() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let empty = write(dir.path(), ".env", "");
    let overrides = Overrides { env_file: Some(empty.clone()), ..Default::default() };
    let settings = Settings::load(&overrides, &lookup(&[])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(settings.env_file_without_database.as_deref(), Some(empty.as_path()));
    let reason = settings.instance(None).err().unwrap_or_default();
    assert!(reason.contains(&empty.display().to_string()) && reason.contains("no database settings"), "{reason}");
    assert!(reason.contains("POSTGRES_PASSWORD") && reason.contains("DATABASE_URL"), "{reason}");
    assert!(settings.warnings.iter().any(|w| w.contains("no database settings")), "{:?}", settings.warnings);

    let with_url = Overrides { database_url: Some(Secret::new("postgres://u@h/d")), ..overrides };
    let settings = Settings::load(&with_url, &lookup(&[])).unwrap_or_else(|e| panic!("{e}"));
    assert!(settings.env_file_without_database.is_none() && settings.warnings.is_empty(), "{:?}", settings.warnings);
}

#[test]
fn duplicate_env_keys_are_warned_about_with_both_lines() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let env_file = write(dir.path(), ".env", "POSTGRES_PASSWORD=first\nPOSTGRES_HOST=h\nPOSTGRES_PASSWORD=second\n");
    let overrides = Overrides { env_file: Some(env_file), ..Default::default() };
    let settings = Settings::load(&overrides, &lookup(&[])).unwrap_or_else(|e| panic!("{e}"));
    let password = settings.instance(None).ok().and_then(|i| i.database.as_ref()).and_then(|d| d.password.clone());
    assert_eq!(password.as_ref().map(Secret::expose), Some("second"), "the last assignment wins, as in compose");
    assert_eq!(settings.warnings.len(), 1, "{:?}", settings.warnings);
    let warning = &settings.warnings[0];
    assert!(
        warning.contains("POSTGRES_PASSWORD is assigned on lines 1 and 3") && warning.contains("line 3"),
        "{warning}"
    );
    assert!(!warning.contains("first") && !warning.contains("second"), "values stay out: {warning}");
}

#[test]
fn cloud_flags_come_before_their_variables() {
    let env = [("SUPABASE_ACCESS_TOKEN", "sbp_from_env"), ("SUPAMCP_MANAGEMENT_API_URL", "http://env.example")];
    let from_env = Settings::load(&Overrides::default(), &lookup(&env)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(from_env.access_token.as_ref().map(|t| t.expose().to_owned()).as_deref(), Some("sbp_from_env"));
    assert_eq!(from_env.management_api_url, "http://env.example");
    assert_eq!(from_env.project_ref, None);
    let flags = Overrides {
        access_token: Some(Secret::new("sbp_from_flag")),
        api_url: Some("http://flag.example".into()),
        project_ref: Some("abcdefghijklmnopqrst".into()),
        ..Default::default()
    };
    let from_flags = Settings::load(&flags, &lookup(&env)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(from_flags.access_token.as_ref().map(|t| t.expose().to_owned()).as_deref(), Some("sbp_from_flag"));
    assert_eq!(from_flags.management_api_url, "http://flag.example");
    assert_eq!(from_flags.project_ref.as_deref(), Some("abcdefghijklmnopqrst"));
    let url = Overrides { project_ref: Some("https://abc.supabase.co".into()), ..Default::default() };
    let err = Settings::load(&url, &lookup(&[])).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("--project-ref") && err.contains("ref alone"), "{err}");
}

#[test]
fn environment_tags_are_lower_cased_and_checked() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let text = "[instances.dev]\ndatabase_url = \"postgres://u@h/d\"\nenvironment = \" Staging \"\n\
                [instances.other]\ndatabase_url = \"postgres://u@h/d\"\n";
    let overrides = Overrides { config_path: Some(write(dir.path(), "ok.toml", text)), ..Default::default() };
    let settings = Settings::load(&overrides, &lookup(&[])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(settings.instances["dev"].environment.as_deref(), Some("staging"));
    assert_eq!(settings.instances["other"].environment, None);
    let bad = "[instances.dev]\ndatabase_url = \"postgres://u@h/d\"\nenvironment = \"pro d\"\n";
    let overrides = Overrides { config_path: Some(write(dir.path(), "bad.toml", bad)), ..Default::default() };
    let error = Settings::load(&overrides, &lookup(&[])).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains("[instances.dev] environment"), "{error}");
}
