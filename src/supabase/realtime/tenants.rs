//! A self-hosted stack's Realtime settings: the tenant rows Realtime keeps in `_realtime.tenants` of the stack's
//! database (the compose seeds one tenant, `realtime-dev`), read as JSON with every secret column left out
//! (the JWT secret, JWKS). Read only: Realtime caches its tenants and changes them through its own tenant API,
//! which the gateway does not expose.

use crate::failure::Failure;
use crate::pg::catalog::query_failure;
use serde_json::Value;

/// Column names whose values are secrets.
fn is_secret(column: &str) -> bool {
    ["jwt", "secret", "key", "password"].iter().any(|part| column.contains(part))
}

/// The tenant rows without their secrets; `None` when the database has no `_realtime.tenants`.
pub async fn tenants(client: &tokio_postgres::Client) -> Result<Option<Vec<Value>>, Failure> {
    let exists: bool = client
        .query_one("select to_regclass('_realtime.tenants') is not null", &[])
        .await
        .map_err(query_failure)?
        .get(0);
    if !exists {
        return Ok(None);
    }
    let rows = client
        .query("select to_jsonb(t) from _realtime.tenants t order by t.external_id limit 100", &[])
        .await
        .map_err(query_failure)?;
    let tenants = rows
        .iter()
        .map(|row| {
            let mut tenant: Value = row.try_get(0).map_err(query_failure)?;
            if let Some(fields) = tenant.as_object_mut() {
                fields.retain(|column, _| !is_secret(column));
            }
            Ok(tenant)
        })
        .collect::<Result<_, Failure>>()?;
    Ok(Some(tenants))
}

#[cfg(test)]
mod tests {
    #[test]
    fn secret_columns_are_recognised() {
        for column in ["jwt_secret", "jwt_jwks", "db_password", "api_key"] {
            assert!(super::is_secret(column), "{column}");
        }
        assert!(!super::is_secret("max_concurrent_users"));
    }
}
