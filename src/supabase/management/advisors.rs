//! The platform's advisors through `GET /v1/projects/{ref}/advisors/{security|performance}`: the lints
//! Supabase runs on a cloud project (its splinter rules), turned into the same [`Finding`] rows our own
//! advisors give, so one reply shape serves both and an agent can read them side by side.

use super::{ManagementApi, segment};
use crate::failure::Failure;
use crate::pg::advisors::{Category, Finding, Level};
use crate::spill::bound::clip_text;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Longest text kept from one field of a platform lint (descriptions can be long; the reply is bounded).
const FIELD_BYTES: usize = 1000;

/// One lint of the API's reply (the fields we read; the rest is ignored).
#[derive(Debug, Deserialize)]
struct PlatformLint {
    name: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    detail: String,
    #[serde(default)]
    remediation: String,
    #[serde(default)]
    metadata: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
struct Lints {
    #[serde(default)]
    lints: Vec<PlatformLint>,
}

impl ManagementApi {
    /// The platform's findings of one kind, as [`Finding`]s (in the API's order; the caller ranks them).
    pub async fn advisors(&self, reference: &str, category: Category) -> Result<Vec<Finding>, Failure> {
        let kind = match category {
            Category::Security => "security",
            Category::Performance => "performance",
        };
        let path = format!("/v1/projects/{}/advisors/{kind}", segment(reference));
        let what = format!("read the {kind} advisors of project {reference}");
        let lints: Lints = self.get_json(&path, &[], &what).await?;
        Ok(lints.lints.into_iter().map(|lint| lint.into_finding(category)).collect())
    }
}

impl PlatformLint {
    fn into_finding(self, asked: Category) -> Finding {
        let level = match self.level.to_ascii_uppercase().as_str() {
            "ERROR" => Level::Error,
            "WARN" | "WARNING" => Level::Warn,
            _ => Level::Info,
        };
        let category = match self.categories.iter().map(|c| c.to_ascii_uppercase()).next().as_deref() {
            Some("SECURITY") => Category::Security,
            Some("PERFORMANCE") => Category::Performance,
            _ => asked,
        };
        let text = |key: &str| self.metadata.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
        let (schema, name) = (text("schema"), text("name"));
        let object = match (schema.is_empty(), name.is_empty()) {
            (false, false) => format!("{schema}.{name}"),
            (true, false) => name,
            (false, true) => schema,
            (true, true) => String::new(),
        };
        let description = if self.detail.is_empty() { self.description } else { self.detail };
        let knowledge = crate::knowledge::entry_for(&format!("advisor:{}", self.name));
        Finding {
            knowledge,
            title: Cow::Owned(clip(if self.title.is_empty() { self.name.clone() } else { self.title })),
            name: Cow::Owned(clip(self.name)),
            level,
            category,
            object,
            object_type: text("type"),
            description: clip(description),
            remediation: clip(self.remediation),
        }
    }
}

fn clip(text: String) -> String {
    clip_text(text, FIELD_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_platform_lint_becomes_a_finding() {
        let lint: PlatformLint = serde_json::from_value(json!({
            "name": "rls_disabled_in_public", "title": "RLS Disabled in Public", "level": "ERROR",
            "facing": "EXTERNAL", "categories": ["SECURITY"], "description": "Tables without RLS.",
            "detail": "Table `public.notes` has no RLS.", "remediation": "https://example.test/lint",
            "metadata": {"schema": "public", "name": "notes", "type": "table"}, "cache_key": "x"
        }))
        .unwrap();
        let finding = lint.into_finding(Category::Performance);
        assert_eq!(finding.name, "rls_disabled_in_public");
        assert_eq!(finding.level, Level::Error);
        assert_eq!(finding.category, Category::Security, "the lint's own category wins");
        assert_eq!(finding.object, "public.notes");
        assert_eq!(finding.object_type, "table");
        assert_eq!(finding.description, "Table `public.notes` has no RLS.");
    }

    #[test]
    fn sparse_lints_keep_what_they_have_and_long_text_is_cut() {
        let lint: PlatformLint = serde_json::from_value(
            json!({"name": "auth_otp_long_expiry", "level": "WARN", "description": "é".repeat(900)}),
        )
        .unwrap();
        let finding = lint.into_finding(Category::Security);
        assert_eq!(finding.title, "auth_otp_long_expiry");
        assert_eq!(finding.level, Level::Warn);
        assert_eq!(finding.category, Category::Security);
        assert_eq!(finding.object, "");
        assert!(finding.description.ends_with("[truncated: 1800 bytes in full]"), "{}", finding.description);
    }
}
