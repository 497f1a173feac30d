use super::*;

const SAMPLE: &str = "# Secrets\r\nPOSTGRES_PASSWORD=abc # inline\nexport JWT_SECRET='x y'\n\nSITE_URL=\"http://a\\\"b\"\nnot an assignment\nLAST=1";

fn parsed(text: &str) -> EnvFile {
    EnvFile::parse(text).unwrap_or_else(|e| panic!("parse failed: {e}"))
}

#[test]
fn untouched_file_round_trips_byte_for_byte() {
    assert_eq!(parsed(SAMPLE).to_string(), SAMPLE);
}

#[test]
fn values_are_read_as_compose_reads_them() {
    let file = parsed(SAMPLE);
    assert_eq!(file.get("POSTGRES_PASSWORD"), Some("abc"));
    assert_eq!(file.get("JWT_SECRET"), Some("x y"));
    assert_eq!(file.get("SITE_URL"), Some("http://a\"b"));
    assert_eq!(file.get("LAST"), Some("1"));
    assert_eq!(file.unparsed_lines(), vec![6]);
}

#[test]
fn set_changes_only_its_line() {
    let mut file = parsed(SAMPLE);
    assert!(file.set("JWT_SECRET", "new"));
    let expected = SAMPLE.replace("export JWT_SECRET='x y'", "export JWT_SECRET='new'");
    assert_eq!(file.to_string(), expected);
    assert!(!file.set("JWT_SECRET", "new"), "same value is no change");
}

#[test]
fn set_appends_missing_keys_and_unset_removes() {
    let mut file = parsed("A=1");
    file.set("B", "two words");
    assert_eq!(file.to_string(), "A=1\nB='two words'\n");
    assert!(file.unset("A"));
    assert_eq!(file.to_string(), "B='two words'\n");
}

#[test]
fn multiline_double_quotes_are_one_value() {
    let text = "K=\"a\nb\"\nN=2\n";
    let file = parsed(text);
    assert_eq!(file.get("K"), Some("a\nb"));
    assert_eq!(file.get("N"), Some("2"));
    assert_eq!(file.to_string(), text);
}

#[test]
fn duplicate_keys_name_every_line() {
    let file = parsed("A=1\nK=\"x\ny\"\nB=2\nA=3\n# A=4\nB=2\nA=5\n");
    let found = file.duplicate_keys();
    assert_eq!(
        found.iter().map(|d| (d.key.as_str(), d.lines.clone())).collect::<Vec<_>>(),
        [("A", vec![1, 5, 8]), ("B", vec![4, 7])]
    );
    assert_eq!(found[0].lines_text(), "lines 1, 5 and 8");
    assert_eq!(found[1].lines_text(), "lines 4 and 7");
    assert_eq!(found[0].winning_line(), 8);
}

#[test]
fn unterminated_quotes_are_errors_with_line_numbers() {
    let err = EnvFile::parse("A=1\nB='open\n").err();
    assert_eq!(err.map(|e| e.line), Some(2));
    assert!(EnvFile::parse("A=\"never closed\n").is_err());
}
