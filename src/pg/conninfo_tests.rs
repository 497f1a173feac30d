use super::*;

fn spec(raw: &str) -> ConnSpec {
    ConnSpec::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"))
}

#[test]
fn url_with_everything() {
    let s = spec("postgresql://postgres.tenant1:p%40ss:w@db.example.com:6543/app?sslmode=require&application_name=x");
    assert_eq!(s.host, Host::Tcp("db.example.com".into()));
    assert_eq!((s.port, s.user.as_str(), s.dbname.as_str()), (6543, "postgres.tenant1", "app"));
    assert_eq!(s.password.as_ref().map(Secret::expose), Some("p@ss:w"));
    assert_eq!(s.sslmode, SslMode::Require);
    assert!(s.is_transaction_pooler());
    assert_eq!(s.pooler_tenant(), Some("tenant1"));
    assert_eq!(s.redacted(), "postgres://postgres.tenant1:[redacted]@db.example.com:6543/app");
}

#[test]
fn unescaped_at_in_password_uses_the_last_at() {
    let s = spec("postgres://postgres:se@cret@localhost/postgres");
    assert_eq!(s.password.as_ref().map(Secret::expose), Some("se@cret"));
    assert_eq!(s.host, Host::Tcp("localhost".into()));
}

#[test]
fn ipv6_and_socket_hosts() {
    assert_eq!(spec("postgres://u@[::1]:5433/d").host, Host::Tcp("::1".into()));
    let s = spec("postgres://u@%2Ftmp%2Fpg/d");
    assert_eq!(s.host, Host::Socket("/tmp/pg".into()));
    let s = spec("host=/var/run/postgresql port=5544 user=me dbname='my db'");
    assert_eq!((s.host, s.port, s.dbname.as_str()), (Host::Socket("/var/run/postgresql".into()), 5544, "my db"));
}

#[test]
fn keyword_value_with_quotes_and_escapes() {
    let s = spec("host=localhost password='it\\'s secret' user = admin");
    assert_eq!(s.password.as_ref().map(Secret::expose), Some("it's secret"));
    assert_eq!(s.user, "admin");
}

#[test]
fn defaults_follow_libpq() {
    let s = spec("postgres://");
    assert_eq!((s.port, s.user.as_str(), s.dbname.as_str()), (5432, "postgres", "postgres"));
    assert_eq!(s.host, Host::Tcp("localhost".into()));
}

#[test]
fn errors_name_the_problem() {
    let cases = [
        ("", "empty"),
        ("mysql://x", "not PostgreSQL"),
        ("postgres://h:99999/d", "port '99999'"),
        ("postgres://h/d?sslmode=always", "sslmode 'always'"),
        ("postgres://u:50%@h/d", "%25"),
        ("host=a user", "no '=value'"),
        ("postgres://h/d?colour=red", "unknown parameter 'colour'"),
    ];
    for (raw, needle) in cases {
        let err = ConnSpec::parse(raw).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains(needle), "{raw:?} gave {err:?}, wanted {needle:?}");
    }
}

#[test]
fn components_from_a_supabase_env() {
    let vars =
        [("POSTGRES_HOST", "db"), ("POSTGRES_PORT", "5432"), ("POSTGRES_DB", "postgres"), ("POSTGRES_PASSWORD", "pw")];
    let lookup = |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string());
    let s = ConnSpec::from_components(lookup).ok().flatten();
    let s = s.unwrap_or_else(|| panic!("components should give a spec"));
    assert_eq!(s.user, "postgres");
    assert!(s.docker_internal_hint().is_some_and(|h| h.contains("inside the Docker network")));
    assert_eq!(ConnSpec::from_components(|_| None), Ok(None));
}

#[test]
fn ordinary_hosts_get_no_docker_hint() {
    for raw in ["postgres://localhost/x", "postgres://db.example.com/x", "postgres://10.0.0.5/x"] {
        assert_eq!(spec(raw).docker_internal_hint(), None, "{raw}");
    }
    assert!(spec("postgres://supabase-db/x").docker_internal_hint().is_some());
    assert!(spec("postgres://host.docker.internal/x").docker_internal_hint().is_some());
}

#[test]
fn empty_values_follow_libpq() {
    // libpq skips the blanks after '=', so `host= port=5432` would make the host 'port=5432': refused with the fix.
    for raw in ["host= port=5432", "host= port=", "user=me password=\tdbname=x"] {
        let err = ConnSpec::parse(raw).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("=''") && err.contains("libpq"), "{raw:?} gave {err:?}");
    }
    // Quoted empty values are empty; empty host and port take the defaults.
    let s = spec("host='' port='' user=me password='' application_name=''");
    assert_eq!((s.host, s.port, s.user.as_str()), (Host::Tcp("localhost".into()), 5432, "me"));
    assert_eq!((s.password, s.application_name), (None, None), "libpq treats empty as not given");
    // A trailing `key=` is empty too, and `password=a=b` (no blank) is the password 'a=b', as in libpq.
    assert_eq!(spec("user=me host=").host, Host::Tcp("localhost".into()));
    assert_eq!(spec("password=user=x").password.as_ref().map(Secret::expose), Some("user=x"));
    assert_eq!(spec("postgres://u:@h/d").password, None);
}

#[test]
fn keyword_value_blanks_and_quotes_follow_libpq() {
    // Vertical tab and form feed separate pairs (C's isspace); a non-breaking space does not.
    let s = spec("host=a\x0Bport=5433\x0Cuser=me");
    assert_eq!((s.host, s.port, s.user.as_str()), (Host::Tcp("a".into()), 5433, "me"));
    assert_eq!(spec("host=a\u{a0}b").host, Host::Tcp("a\u{a0}b".into()));
    // No blank is needed after a closing quote; escapes work in and out of quotes; a later keyword wins.
    let s = spec("host='a b'port=6000 dbname=my\\ db user=x user=y");
    assert_eq!((s.host, s.port, s.dbname.as_str(), s.user.as_str()), (Host::Tcp("a b".into()), 6000, "my db", "y"));
    let err = ConnSpec::parse("host=a =b").err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("no keyword"), "{err}");
}
