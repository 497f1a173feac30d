//! Writes a row as one JSON array line straight from the binary wire values, without building JSON values:
//! the hot path for results that stream to a spill file. Common types are written directly; every other
//! type goes through `value::decode`, so the meaning of each value is the same either way.

use super::value::{decode, numeric_text, timestamp_text};
use postgres_protocol::types as wire;
use std::error::Error;
use std::io::Write;
use tokio_postgres::Row;
use tokio_postgres::types::{FromSql, Type};

type EncodeError = Box<dyn Error + Sync + Send>;

/// A column's raw bytes, whatever its type (None for NULL).
struct RawCell<'a>(Option<&'a [u8]>);

impl<'a> FromSql<'a> for RawCell<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, EncodeError> {
        Ok(RawCell(Some(raw)))
    }

    fn from_sql_null(_: &Type) -> Result<Self, EncodeError> {
        Ok(RawCell(None))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// Appends `row` to `out` as `[v1,v2,...]\n`.
pub fn write_row(row: &Row, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    out.push(b'[');
    for (index, column) in row.columns().iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        match row.try_get::<_, RawCell>(index)?.0 {
            None => out.extend_from_slice(b"null"),
            Some(raw) => write_value(column.type_(), raw, out)?,
        }
    }
    out.extend_from_slice(b"]\n");
    Ok(())
}

fn write_string(text: &str, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    serde_json::to_writer(&mut *out, text)?;
    Ok(())
}

/// Appends one non-null value of type `ty`.
pub fn write_value(ty: &Type, raw: &[u8], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    match *ty {
        Type::BOOL => out.extend_from_slice(if wire::bool_from_sql(raw)? { b"true" } else { b"false" }),
        Type::INT2 => write!(out, "{}", wire::int2_from_sql(raw)?)?,
        Type::INT4 => write!(out, "{}", wire::int4_from_sql(raw)?)?,
        Type::INT8 => write!(out, "{}", wire::int8_from_sql(raw)?)?,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => write_string(std::str::from_utf8(raw)?, out)?,
        Type::NUMERIC => write_string(&numeric_text(raw)?, out)?,
        Type::TIMESTAMPTZ => write_string(&timestamp_text(wire::timestamp_from_sql(raw)?, true), out)?,
        Type::TIMESTAMP => write_string(&timestamp_text(wire::timestamp_from_sql(raw)?, false), out)?,
        Type::UUID => {
            let id = uuid::Uuid::from_slice(raw)?;
            out.push(b'"');
            out.extend_from_slice(id.hyphenated().encode_lower(&mut uuid::Uuid::encode_buffer()).as_bytes());
            out.push(b'"');
        }
        // jsonb's text never holds a raw newline; copying it keeps each row on one line.
        Type::JSONB if raw.first() == Some(&1) => out.extend_from_slice(&raw[1..]),
        _ => serde_json::to_writer(&mut *out, &decode(ty, raw)?)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn same_meaning(ty: Type, raw: &[u8]) {
        let mut fast = Vec::new();
        write_value(&ty, raw, &mut fast).unwrap();
        let fast: Value = serde_json::from_slice(&fast).unwrap();
        assert_eq!(fast, decode(&ty, raw).unwrap(), "{ty}");
    }

    #[test]
    fn the_fast_path_means_what_decode_means() {
        same_meaning(Type::BOOL, &[1]);
        same_meaning(Type::INT2, &(-7i16).to_be_bytes());
        same_meaning(Type::INT4, &123_456i32.to_be_bytes());
        same_meaning(Type::INT8, &i64::MIN.to_be_bytes());
        same_meaning(Type::TEXT, "quote \" backslash \\ newline \n tab \t é".as_bytes());
        same_meaning(Type::VARCHAR, b"");
        same_meaning(Type::TIMESTAMPTZ, &848_703_906_000_123i64.to_be_bytes());
        same_meaning(Type::TIMESTAMP, &(-1i64).to_be_bytes());
        same_meaning(Type::UUID, &[0xab; 16]);
        same_meaning(Type::JSONB, b"\x01{\"b\": [1, 2], \"a\": {\"x\": null}}");
        let mut numeric = Vec::new();
        for v in [2i16, 0, 0, 2, 12, 5000] {
            numeric.extend_from_slice(&v.to_be_bytes());
        }
        same_meaning(Type::NUMERIC, &numeric);
        same_meaning(Type::FLOAT8, &1.5f64.to_be_bytes());
    }
}
