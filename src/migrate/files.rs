//! Migration files in the Supabase CLI's layout: `<dir>/<version>_<name>.sql` with a numeric version (a
//! 14-digit UTC timestamp when we create one), and our optional down file `<version>_<name>.down.sql`.

use crate::failure::Failure;
use crate::pg::sql_lex::split_for_history;
use std::path::{Path, PathBuf};

/// One local migration.
#[derive(Clone, Debug)]
pub struct MigrationFile {
    pub version: String,
    pub name: String,
    pub path: PathBuf,
    pub sql: String,
    /// As the CLI stores them in the history table.
    pub statements: Vec<String>,
    pub down_path: Option<PathBuf>,
}

impl MigrationFile {
    /// Reads the down SQL, if the migration has a down file.
    pub fn down_sql(&self) -> Result<Option<String>, Failure> {
        match &self.down_path {
            Some(path) => std::fs::read_to_string(path).map(Some).map_err(|e| read_failure(path, e)),
            None => Ok(None),
        }
    }
}

fn read_failure(path: &Path, e: std::io::Error) -> Failure {
    Failure::new(format!("cannot read {}", path.display()), e.to_string(), "check the path and its permissions")
}

/// `(version, name)` of an up migration file name; `None` for other files (down files included).
pub fn parse_file_name(file_name: &str) -> Option<(String, String)> {
    let stem = file_name.strip_suffix(".sql")?;
    if stem.ends_with(".down") {
        return None;
    }
    let digits = stem.bytes().take_while(u8::is_ascii_digit).count();
    let (version, rest) = stem.split_at(digits);
    let name = rest.strip_prefix('_')?;
    (!version.is_empty()).then(|| (version.to_owned(), name.to_owned()))
}

/// Statements of a migration's SQL as the history stores them.
pub fn history_statements(sql: &str, path: &Path) -> Result<Vec<String>, Failure> {
    split_for_history(sql).map(|pieces| pieces.into_iter().map(str::to_owned).collect()).map_err(|e| {
        Failure::new(
            format!("cannot split {}", path.display()),
            e.to_string(),
            "close the quote, comment or dollar quote",
        )
    })
}

/// The migrations in `dir`, ordered by version. A missing directory holds none.
pub fn list(dir: &Path) -> Result<Vec<MigrationFile>, Failure> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(read_failure(dir, e)),
    };
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some((version, name)) = parse_file_name(&file_name) else { continue };
        let path = entry.path();
        let sql = std::fs::read_to_string(&path).map_err(|e| read_failure(&path, e))?;
        let statements = history_statements(&sql, &path)?;
        let down = dir.join(format!("{version}_{name}.down.sql"));
        files.push(MigrationFile { version, name, statements, sql, path, down_path: down.exists().then_some(down) });
    }
    files.sort_by(|a, b| version_order(&a.version, &b.version).then_with(|| a.name.cmp(&b.name)));
    if let Some(pair) = files.windows(2).find(|pair| pair[0].version == pair[1].version) {
        return Err(Failure::new(
            format!("two migrations share version {}", pair[0].version),
            format!("{} and {}", pair[0].path.display(), pair[1].path.display()),
            "rename one of them to a new version (e.g. with create_migration)",
        ));
    }
    Ok(files)
}

/// Versions compare as numbers (the CLI's versions are digits of varying length).
pub fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    let trim = |v: &str| v.trim_start_matches('0').to_owned();
    let (a, b) = (trim(a), trim(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(&b))
}

/// A file name part from a free-form name: lowercase, `[a-z0-9_]`, words joined by `_`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_owned()
}

/// Writes a new migration (and its down file when given) with a version of the current UTC time, later
/// than every existing one. Refuses to overwrite.
pub fn create(dir: &Path, name: &str, sql: &str, down_sql: Option<&str>) -> Result<MigrationFile, Failure> {
    let slug = slug(name);
    if slug.is_empty() {
        return Err(Failure::new(
            "the migration needs a name",
            "the name has no letters or digits",
            "pass a name such as add_todos_table",
        ));
    }
    let existing = list(dir)?;
    let mut version = chrono::Utc::now().format("%Y%m%d%H%M%S").to_string();
    if let Some(last) = existing.last()
        && version_order(&version, &last.version) != std::cmp::Ordering::Greater
    {
        version = bump(&last.version);
    }
    std::fs::create_dir_all(dir).map_err(|e| read_failure(dir, e))?;
    let path = dir.join(format!("{version}_{slug}.sql"));
    write_new(&path, sql)?;
    let down_path = match down_sql {
        Some(down) => {
            let down_path = dir.join(format!("{version}_{slug}.down.sql"));
            write_new(&down_path, down)?;
            Some(down_path)
        }
        None => None,
    };
    let statements = history_statements(sql, &path)?;
    Ok(MigrationFile { version, name: slug, path, sql: sql.to_owned(), statements, down_path })
}

/// The next version after `version`: one second later for a 14-digit timestamp, else the number plus one.
fn bump(version: &str) -> String {
    if let Ok(stamp) = chrono::NaiveDateTime::parse_from_str(version, "%Y%m%d%H%M%S") {
        return (stamp + chrono::Duration::seconds(1)).format("%Y%m%d%H%M%S").to_string();
    }
    let mut digits: Vec<u8> = version.bytes().collect();
    for digit in digits.iter_mut().rev() {
        if *digit == b'9' {
            *digit = b'0';
        } else {
            *digit += 1;
            return String::from_utf8(digits).unwrap_or_default();
        }
    }
    format!("1{}", String::from_utf8(digits).unwrap_or_default())
}

fn write_new(path: &Path, text: &str) -> Result<(), Failure> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(path).map_err(|e| {
        Failure::new(
            format!("cannot create {}", path.display()),
            e.to_string(),
            "pick another name, or remove the old file",
        )
    })?;
    file.write_all(text.as_bytes()).map_err(|e| {
        // No half-written migration stays behind (a full disk, the file-size limit).
        let _ = std::fs::remove_file(path);
        crate::fsutil::io_failure(
            format!("cannot write {}", path.display()),
            path,
            &e,
            "the migrations directory",
            "check the migrations directory",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_follow_the_cli() {
        assert_eq!(
            parse_file_name("20240101120000_add_todos.sql"),
            Some(("20240101120000".into(), "add_todos".into()))
        );
        assert_eq!(parse_file_name("1_init.sql"), Some(("1".into(), "init".into())));
        for other in ["20240101120000_add_todos.down.sql", "readme.md", "_x.sql", "20240101.sql", "seed.sql"] {
            assert_eq!(parse_file_name(other), None, "{other}");
        }
    }

    #[test]
    fn versions_compare_numerically_and_bump() {
        assert!(version_order("9", "10").is_lt());
        assert!(version_order("20240101120000", "20240101120001").is_lt());
        assert_eq!(bump("20240101125959"), "20240101130000");
        assert_eq!(bump("0041"), "0042");
        assert_eq!(bump("99"), "100");
        assert_eq!(slug(" Add Todos-table! "), "add_todos_table");
    }

    #[test]
    fn create_list_and_refuse_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let first = create(dir.path(), "add todos", "create table t (id int);", Some("drop table t;")).unwrap();
        let second = create(dir.path(), "add index", "create index on t (id);", None).unwrap();
        assert!(version_order(&first.version, &second.version).is_lt());
        let listed = list(dir.path()).unwrap();
        assert_eq!(listed.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), vec!["add_todos", "add_index"]);
        assert!(listed[0].down_path.is_some() && listed[1].down_path.is_none());
        assert_eq!(listed[0].statements, vec!["create table t (id int)"]);
        std::fs::write(dir.path().join(format!("{}_clash.sql", first.version)), "select 1").unwrap();
        assert!(list(dir.path()).is_err());
    }
}
