//! Channel authorization: the RLS policies on realtime.messages that decide who may join private channels
//! (SELECT: receive broadcast and presence; INSERT: send broadcast or track presence), read from pg_policies
//! and written from templates as a migration with its down file. Realtime sets `realtime.topic` before it runs
//! the check at join, so the templates test `realtime.topic()`, the message `extension` and `auth.uid()`.

use crate::failure::Failure;
use crate::pg::ident::{quote_ident, quote_literal};
use serde::Deserialize;

/// A policy template.
#[derive(Clone, Copy, Debug, Deserialize, schemars::JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Template {
    // Users listed in a membership table for the topic receive its broadcast and presence.
    TopicMembersRead,
    // Signed-in users send broadcast on (and receive from) their own topic, `<topic_prefix><user id>`.
    OwnTopicSend,
    // Signed-in users (members of the topic, when a membership table is given) track and see presence.
    Presence,
}

/// Where topic membership is recorded: a table with a user-id column and a topic column.
#[derive(Clone, Debug)]
pub struct Membership {
    /// `schema.table` (public when no schema is given).
    pub table: String,
    pub user_column: String,
    pub topic_column: String,
}

pub use crate::pg::catalog::policies::PolicyMigration;
use crate::pg::catalog::policies::{NewPolicy, policy_migration};

const TOPIC: &str = "(select realtime.topic())";
const USER: &str = "(select auth.uid())";

fn member_check(membership: &Membership) -> String {
    let (schema, table) = membership.table.split_once('.').unwrap_or(("public", membership.table.as_str()));
    format!(
        "exists (select 1 from {}.{} m where m.{} = {USER} and m.{} = {TOPIC})",
        quote_ident(schema),
        quote_ident(table),
        quote_ident(&membership.user_column),
        quote_ident(&membership.topic_column)
    )
}

/// The SQL that creates the template's policies on realtime.messages (names start with `prefix`).
pub fn migration(
    template: Template,
    prefix: &str,
    membership: Option<&Membership>,
    topic_prefix: &str,
) -> Result<PolicyMigration, Failure> {
    let policy = |suffix: &str, command: &str, using: Option<String>, with_check: Option<String>| NewPolicy {
        name: format!("{prefix} {suffix}"),
        command: command.to_owned(),
        roles: "authenticated".to_owned(),
        using,
        with_check,
    };
    let policies = match template {
        Template::TopicMembersRead => {
            let membership = membership.ok_or_else(|| {
                Failure::new(
                    "topic_members_read needs the membership table",
                    "members are the users a table lists for a topic",
                    "pass membership_table (e.g. \"public.room_members\") with its user and topic columns",
                )
            })?;
            let using = format!("extension in ('broadcast', 'presence') and {}", member_check(membership));
            vec![policy("members read", "select", Some(using), None)]
        }
        Template::OwnTopicSend => {
            let own = format!("{TOPIC} = {} || {USER}::text", quote_literal(topic_prefix));
            vec![
                policy("own topic send", "insert", None, Some(format!("extension = 'broadcast' and {own}"))),
                policy("own topic read", "select", Some(format!("extension = 'broadcast' and {own}")), None),
            ]
        }
        Template::Presence => {
            let scope = match membership {
                Some(membership) => format!("extension = 'presence' and {}", member_check(membership)),
                None => "extension = 'presence'".to_owned(),
            };
            vec![
                policy("presence track", "insert", None, Some(scope.clone())),
                policy("presence read", "select", Some(scope), None),
            ]
        }
    };
    Ok(policy_migration("realtime.messages", policies))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_test_the_topic_and_quote_what_they_are_given() {
        let members =
            Membership { table: "rooms.members".into(), user_column: "user_id".into(), topic_column: "Topic".into() };
        let read = migration(Template::TopicMembersRead, "chat", Some(&members), "user:").unwrap();
        assert!(read.up.contains(r#"from "rooms"."members" m where m."user_id" = (select auth.uid()) and m."Topic""#));
        assert_eq!(read.down, "drop policy if exists \"chat members read\" on realtime.messages;\n");
        assert!(migration(Template::TopicMembersRead, "chat", None, "user:").is_err());
        let own = migration(Template::OwnTopicSend, "p", None, "it's:").unwrap();
        assert!(own.up.contains("'it''s:' || (select auth.uid())::text"), "{}", own.up);
        assert_eq!(own.names, ["p own topic send", "p own topic read"]);
    }
}
