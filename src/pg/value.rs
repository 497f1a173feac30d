//! Decodes any PostgreSQL value in binary format into JSON without collecting more than the value itself:
//! numbers stay numbers, json stays json, numeric stays exact (as a string), arrays and composites
//! nest, enums and domains follow their base type, and a type with no decoder says how to read it.

use chrono::{Duration, NaiveDate, NaiveTime};
use postgres_protocol::types as wire;
use serde_json::{Map, Number, Value};
use std::error::Error;
use tokio_postgres::types::{FromSql, Kind, Type};

type DecodeError = Box<dyn Error + Sync + Send>;

/// A column value as JSON; accepts every type.
pub struct JsonCell(pub Value);

impl<'a> FromSql<'a> for JsonCell {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, DecodeError> {
        decode(ty, raw).map(JsonCell)
    }

    fn from_sql_null(_: &Type) -> Result<Self, DecodeError> {
        Ok(JsonCell(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default()
}

fn float(value: f64) -> Value {
    Number::from_f64(value).map(Value::Number).unwrap_or_else(|| Value::String(value.to_string()))
}

/// Days from 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar, and back.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Days from 1970-01-01 to 2000-01-01, PostgreSQL's epoch.
const PG_EPOCH_DAYS: i64 = 10_957;
const MICROS_PER_DAY: i64 = 86_400_000_000;

fn push_fraction(out: &mut String, micros: i64) {
    if micros != 0 {
        let digits = format!("{micros:06}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
}

/// ISO 8601 text of a timestamp (microseconds since 2000-01-01); `Z` for timestamptz, which the server sends
/// in UTC. Fractions keep their significant digits, as PostgreSQL prints them.
pub fn timestamp_text(micros: i64, with_zone: bool) -> String {
    match micros {
        i64::MAX => return "infinity".to_owned(),
        i64::MIN => return "-infinity".to_owned(),
        _ => {}
    }
    let (year, month, day) = civil_from_days(micros.div_euclid(MICROS_PER_DAY) + PG_EPOCH_DAYS);
    let in_day = micros.rem_euclid(MICROS_PER_DAY);
    let seconds = in_day / 1_000_000;
    let mut out = String::with_capacity(32);
    if (0..=9999).contains(&year) {
        out.push_str(&format!("{year:04}"));
    } else {
        out.push_str(&format!("{year}"));
    }
    out.push_str(&format!("-{month:02}-{day:02}T{:02}:{:02}:{:02}", seconds / 3600, (seconds / 60) % 60, seconds % 60));
    push_fraction(&mut out, in_day % 1_000_000);
    if with_zone {
        out.push('Z');
    }
    out
}

fn time_text(micros: i64) -> String {
    let time = NaiveTime::MIN + Duration::microseconds(micros);
    time.format("%H:%M:%S%.f").to_string()
}

fn interval_text(mut raw: &[u8]) -> Result<String, DecodeError> {
    let micros = read_i64(&mut raw)?;
    let days = read_i32(&mut raw)?;
    let months = read_i32(&mut raw)?;
    let mut parts = Vec::new();
    let (years, months) = (months / 12, months % 12);
    for (count, unit) in [(years, "year"), (months, "mon"), (days, "day")] {
        if count != 0 {
            parts.push(format!("{count} {unit}{}", if count.abs() == 1 { "" } else { "s" }));
        }
    }
    if micros != 0 || parts.is_empty() {
        let sign = if micros < 0 { "-" } else { "" };
        let total = micros.unsigned_abs();
        let (hours, rest) = (total / 3_600_000_000, total % 3_600_000_000);
        let (minutes, rest) = (rest / 60_000_000, rest % 60_000_000);
        let (seconds, fraction) = (rest / 1_000_000, rest % 1_000_000);
        let mut clock = format!("{sign}{hours:02}:{minutes:02}:{seconds:02}");
        if fraction != 0 {
            clock.push_str(format!(".{fraction:06}").trim_end_matches('0'));
        }
        parts.push(clock);
    }
    Ok(parts.join(" "))
}

fn read_i16(raw: &mut &[u8]) -> Result<i16, DecodeError> {
    let (head, rest) = raw.split_at_checked(2).ok_or("value too short")?;
    *raw = rest;
    Ok(i16::from_be_bytes([head[0], head[1]]))
}

fn read_i32(raw: &mut &[u8]) -> Result<i32, DecodeError> {
    let (head, rest) = raw.split_at_checked(4).ok_or("value too short")?;
    *raw = rest;
    Ok(i32::from_be_bytes([head[0], head[1], head[2], head[3]]))
}

fn read_i64(raw: &mut &[u8]) -> Result<i64, DecodeError> {
    let (head, rest) = raw.split_at_checked(8).ok_or("value too short")?;
    *raw = rest;
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(head);
    Ok(i64::from_be_bytes(bytes))
}

/// Exact decimal text of a binary `numeric` (base-10000 digits with weight and display scale).
pub fn numeric_text(mut raw: &[u8]) -> Result<String, DecodeError> {
    let ndigits = read_i16(&mut raw)?;
    let weight = read_i16(&mut raw)?;
    let sign = read_i16(&mut raw)? as u16;
    let dscale = read_i16(&mut raw)?.max(0) as usize;
    match sign {
        0xC000 => return Ok("NaN".to_owned()),
        0xD000 => return Ok("Infinity".to_owned()),
        0xF000 => return Ok("-Infinity".to_owned()),
        _ => {}
    }
    let mut digits = Vec::with_capacity(ndigits.max(0) as usize);
    for _ in 0..ndigits {
        digits.push(read_i16(&mut raw)?);
    }
    let mut integer = String::new();
    for position in 0..=weight.max(-1) {
        let group = digits.get(position as usize).copied().unwrap_or(0);
        if integer.is_empty() {
            if group != 0 || position == weight {
                integer.push_str(&group.to_string());
            }
        } else {
            integer.push_str(&format!("{group:04}"));
        }
    }
    if integer.is_empty() {
        integer.push('0');
    }
    let mut fraction = String::new();
    let mut position = weight as i32 + 1;
    while fraction.len() < dscale {
        let group = if position < 0 { 0 } else { digits.get(position as usize).copied().unwrap_or(0) };
        fraction.push_str(&format!("{group:04}"));
        position += 1;
    }
    fraction.truncate(dscale);
    let sign = if sign == 0x4000 { "-" } else { "" };
    Ok(if fraction.is_empty() { format!("{sign}{integer}") } else { format!("{sign}{integer}.{fraction}") })
}

fn array(elem: &Type, raw: &[u8]) -> Result<Value, DecodeError> {
    let parsed = wire::array_from_sql(raw)?;
    let dims: Vec<usize> = {
        use postgres_protocol::types::ArrayDimension;
        let mut dims = Vec::new();
        let mut iter = parsed.dimensions();
        while let Some(ArrayDimension { len, .. }) = fallible(&mut iter)? {
            dims.push(len.max(0) as usize);
        }
        dims
    };
    let mut values = Vec::new();
    let mut iter = parsed.values();
    while let Some(item) = fallible(&mut iter)? {
        values.push(match item {
            Some(bytes) => decode(elem, bytes)?,
            None => Value::Null,
        });
    }
    Ok(nest(&dims, &mut values.into_iter()))
}

fn fallible<I>(iter: &mut I) -> Result<Option<I::Item>, DecodeError>
where
    I: fallible_iterator::FallibleIterator<Error = DecodeError>,
{
    iter.next()
}

fn nest(dims: &[usize], values: &mut impl Iterator<Item = Value>) -> Value {
    match dims.split_first() {
        None => Value::Array(Vec::new()),
        Some((len, [])) => Value::Array(values.take(*len).collect()),
        Some((len, rest)) => Value::Array((0..*len).map(|_| nest(rest, values)).collect()),
    }
}

fn composite(fields: &[tokio_postgres::types::Field], mut raw: &[u8]) -> Result<Value, DecodeError> {
    let count = read_i32(&mut raw)?;
    let mut object = Map::new();
    for index in 0..count.max(0) as usize {
        let _oid = read_i32(&mut raw)?;
        let len = read_i32(&mut raw)?;
        let field = fields.get(index).ok_or("composite has more fields than its type")?;
        let value = if len < 0 {
            Value::Null
        } else {
            let (bytes, rest) = raw.split_at_checked(len as usize).ok_or("composite field too short")?;
            raw = rest;
            decode(field.type_(), bytes)?
        };
        object.insert(field.name().to_owned(), value);
    }
    Ok(Value::Object(object))
}

fn range(sub: &Type, raw: &[u8]) -> Result<Value, DecodeError> {
    use postgres_protocol::types::{Range, RangeBound};
    let bound_text = |bound: RangeBound<Option<&[u8]>>| -> Result<(String, bool), DecodeError> {
        Ok(match bound {
            RangeBound::Inclusive(Some(b)) => (scalar_text(&decode(sub, b)?), true),
            RangeBound::Exclusive(Some(b)) => (scalar_text(&decode(sub, b)?), false),
            _ => (String::new(), false),
        })
    };
    Ok(Value::String(match wire::range_from_sql(raw)? {
        Range::Empty => "empty".to_owned(),
        Range::Nonempty(lower, upper) => {
            let (low, low_inc) = bound_text(lower)?;
            let (high, high_inc) = bound_text(upper)?;
            format!("{}{low},{high}{}", if low_inc { '[' } else { '(' }, if high_inc { ']' } else { ')' })
        }
    }))
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Decodes one non-null value of type `ty`.
pub fn decode(ty: &Type, raw: &[u8]) -> Result<Value, DecodeError> {
    let text = |raw: &[u8]| -> Result<Value, DecodeError> { Ok(Value::String(std::str::from_utf8(raw)?.to_owned())) };
    Ok(match *ty {
        Type::BOOL => Value::Bool(wire::bool_from_sql(raw)?),
        Type::INT2 => Value::from(wire::int2_from_sql(raw)?),
        Type::INT4 => Value::from(wire::int4_from_sql(raw)?),
        Type::INT8 => Value::from(wire::int8_from_sql(raw)?),
        Type::OID
        | Type::XID
        | Type::CID
        | Type::REGCLASS
        | Type::REGPROC
        | Type::REGTYPE
        | Type::REGNAMESPACE
        | Type::REGROLE => Value::from(wire::oid_from_sql(raw)?),
        Type::FLOAT4 => float(f64::from(wire::float4_from_sql(raw)?)),
        Type::FLOAT8 => float(wire::float8_from_sql(raw)?),
        Type::NUMERIC => Value::String(numeric_text(raw)?),
        Type::MONEY => {
            let cents = wire::int8_from_sql(raw)?;
            Value::String(format!(
                "{}{}.{:02}",
                if cents < 0 { "-" } else { "" },
                (cents / 100).abs(),
                (cents % 100).abs()
            ))
        }
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN | Type::XML | Type::JSONPATH => {
            text(raw)?
        }
        Type::CHAR => Value::String(char::from(raw.first().copied().unwrap_or(b' ')).to_string()),
        Type::JSON => serde_json::from_slice(raw)?,
        Type::JSONB => match raw.split_first() {
            Some((1, body)) => serde_json::from_slice(body)?,
            _ => return Err("unsupported jsonb version".into()),
        },
        Type::UUID => Value::String(uuid::Uuid::from_slice(raw)?.to_string()),
        Type::BYTEA => Value::String(format!("\\x{}", hex::encode(raw))),
        Type::DATE => Value::String(match wire::date_from_sql(raw)? {
            i32::MAX => "infinity".to_owned(),
            i32::MIN => "-infinity".to_owned(),
            days => (epoch() + Duration::days(i64::from(days))).to_string(),
        }),
        Type::TIMESTAMP => Value::String(timestamp_text(wire::timestamp_from_sql(raw)?, false)),
        Type::TIMESTAMPTZ => Value::String(timestamp_text(wire::timestamp_from_sql(raw)?, true)),
        Type::TIME => Value::String(time_text(wire::time_from_sql(raw)?)),
        Type::TIMETZ => {
            let mut rest = raw;
            let micros = read_i64(&mut rest)?;
            let offset_west = read_i32(&mut rest)?;
            let east = -offset_west;
            let sign = if east < 0 { '-' } else { '+' };
            let east = east.abs();
            Value::String(format!("{}{sign}{:02}:{:02}", time_text(micros), east / 3600, (east % 3600) / 60))
        }
        Type::INTERVAL => Value::String(interval_text(raw)?),
        Type::INET | Type::CIDR => {
            let inet = wire::inet_from_sql(raw)?;
            let full = if inet.addr().is_ipv4() { 32 } else { 128 };
            if inet.netmask() == full && *ty == Type::INET {
                Value::String(inet.addr().to_string())
            } else {
                Value::String(format!("{}/{}", inet.addr(), inet.netmask()))
            }
        }
        Type::MACADDR => Value::String(raw.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")),
        Type::POINT => {
            let mut rest = raw;
            let x = f64::from_bits(read_i64(&mut rest)? as u64);
            let y = f64::from_bits(read_i64(&mut rest)? as u64);
            Value::String(format!("({x},{y})"))
        }
        Type::PG_LSN => {
            let lsn = wire::lsn_from_sql(raw)?;
            Value::String(format!("{:X}/{:X}", lsn >> 32, lsn & 0xFFFF_FFFF))
        }
        _ => match ty.kind() {
            Kind::Enum(_) => text(raw)?,
            Kind::Domain(base) => decode(base, raw)?,
            Kind::Array(elem) => array(elem, raw)?,
            Kind::Composite(fields) => composite(fields, raw)?,
            Kind::Range(sub) => range(sub, raw)?,
            _ if ty.name() == "citext" => text(raw)?,
            _ => Value::String(format!("<{} value: cast it with ::text to read it>", ty.name())),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(ndigits: i16, weight: i16, sign: u16, dscale: i16, digits: &[i16]) -> Vec<u8> {
        let mut out = Vec::new();
        for v in [ndigits, weight, sign as i16, dscale] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        for d in digits {
            out.extend_from_slice(&d.to_be_bytes());
        }
        out
    }

    #[test]
    fn numeric_is_exact() {
        let cases: &[(Vec<u8>, &str)] = &[
            (numeric(2, 0, 0, 2, &[12, 5000]), "12.50"),
            (numeric(1, 1, 0x4000, 0, &[1]), "-10000"),
            (numeric(1, -1, 0, 4, &[5]), "0.0005"),
            (numeric(0, 0, 0, 0, &[]), "0"),
            (numeric(3, 2, 0, 0, &[1, 2, 3]), "100020003"),
            (numeric(0, 0, 0xC000, 0, &[]), "NaN"),
        ];
        for (raw, expected) in cases {
            assert_eq!(numeric_text(raw).ok().as_deref(), Some(*expected));
        }
    }

    #[test]
    fn intervals_read_like_postgres() {
        let mut raw = Vec::new();
        raw.extend_from_slice(&(3_723_500_000i64).to_be_bytes());
        raw.extend_from_slice(&2i32.to_be_bytes());
        raw.extend_from_slice(&14i32.to_be_bytes());
        assert_eq!(interval_text(&raw).ok().as_deref(), Some("1 year 2 mons 2 days 01:02:03.5"));
    }

    #[test]
    fn timestamps_and_infinity() {
        assert_eq!(timestamp_text(0, true), "2000-01-01T00:00:00Z");
        assert_eq!(timestamp_text(1_500_000, false), "2000-01-01T00:00:01.5");
        assert_eq!(timestamp_text(-1, true), "1999-12-31T23:59:59.999999Z");
        // 2026-11-22 23:05:06.000123 UTC, and a leap day
        assert_eq!(timestamp_text(848_703_906_000_123, true), "2026-11-22T23:05:06.000123Z");
        assert_eq!(timestamp_text(131_328_000_000_000, false), "2004-02-29T00:00:00");
        assert_eq!(timestamp_text(i64::MAX, true), "infinity");
    }
}
