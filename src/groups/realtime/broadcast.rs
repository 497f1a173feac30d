//! `broadcast_test_message`: one message broadcast to a topic through Realtime's REST API (202), and what a
//! subscriber of that topic needs to receive it (a private channel: a SELECT policy on realtime.messages that
//! lets its role read the topic's broadcasts).

use crate::failure::Failure;
use crate::pg::catalog::policies::table_policies;
use crate::server::SupamcpServer;
use crate::server::output::{reply_of, schema_of};
use crate::supabase::gateway::Gateway;
use crate::supabase::realtime::broadcast::{Message, Realtime, Sent};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BroadcastParams {
    /// Instance to use; the default instance when omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// The channel topic subscribers joined, e.g. "room:1".
    pub topic: String,
    /// Event name subscribers listen for.
    #[serde(default = "default_event")]
    pub event: String,
    /// JSON object sent as the payload.
    #[serde(default)]
    #[schemars(schema_with = "object_schema")]
    pub payload: Map<String, Value>,
    /// Send to the private channel (subscribers authorized by RLS) instead of the public one.
    #[serde(default)]
    pub private: bool,
}

fn default_event() -> String {
    "test".to_owned()
}

fn object_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": "object"})
}

#[derive(Serialize, schemars::JsonSchema)]
struct BroadcastReply {
    sent: Sent,
    topic: String,
    event: String,
    private: bool,
    /// What a subscriber needs to receive this message.
    subscriber_needs: String,
    /// Private: SELECT policies on realtime.messages (null when the database was not read).
    receive_policies: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<String>,
}

impl SupamcpServer {
    /// The SELECT (or ALL) policies on realtime.messages, or why they could not be read.
    async fn receive_policies(&self, instance: Option<&str>) -> Result<usize, Failure> {
        let database = self.state.databases.get(instance)?;
        let client = database.client().await?;
        let policies = table_policies(&client, "realtime", "messages", None).await?;
        Ok(policies.iter().filter(|p| p.command == "SELECT" || p.command == "ALL").count())
    }
}

#[tool_router(router = realtime_broadcast_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Broadcast a test message to a Realtime topic through the REST API, and say what a subscriber needs to
    /// receive it. Use it to tell a delivery problem from a client or authorization problem.
    #[tool(
        annotations(title = "Broadcast test message", read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = true),
        output_schema = schema_of::<BroadcastReply>()
    )]
    async fn broadcast_test_message(
        &self,
        Parameters(params): Parameters<BroadcastParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            if params.topic.trim().is_empty() || params.event.trim().is_empty() {
                return Err(Failure::new(
                    "the message needs a topic and an event",
                    "subscribers receive broadcasts by topic (the channel name) and event",
                    "pass topic, e.g. \"room:1\", and event, e.g. \"test\"",
                ));
            }
            let realtime = Realtime::new(Gateway::for_instance(&self.state.settings, params.instance.as_deref())?);
            let message = Message {
                topic: params.topic.clone(),
                event: params.event.clone(),
                payload: Value::Object(params.payload.clone()),
                private: params.private,
            };
            let sent = realtime.broadcast(&message).await?;
            let topic = &params.topic;
            let (subscriber_needs, receive_policies, warning) = if params.private {
                let needs = format!(
                    "a channel '{topic}' joined with config {{private: true}} and a user JWT whose role passes a SELECT \
                     policy on realtime.messages for extension 'broadcast' and realtime.topic() = '{topic}', \
                     listening for event '{}'",
                    params.event
                );
                match self.receive_policies(params.instance.as_deref()).await {
                    Ok(0) => (
                        needs,
                        Some(0),
                        Some(
                            "realtime.messages has no SELECT policy: no subscriber may join a private channel \
                              (create_realtime_policy)"
                                .to_owned(),
                        ),
                    ),
                    Ok(count) => (needs, Some(count), None),
                    Err(failure) => (needs, None, Some(format!("the policies were not read: {}", failure.what))),
                }
            } else {
                let needs = format!(
                    "a channel '{topic}' joined without private (public channels need no policy; they are refused when \
                     the project is private_only), listening for broadcast event '{}'",
                    params.event
                );
                (needs, None, None)
            };
            Ok(BroadcastReply {
                sent,
                topic: params.topic.clone(),
                event: params.event.clone(),
                private: params.private,
                subscriber_needs,
                receive_policies,
                warning,
            })
        };
        reply_of(outcome.await)
    }
}
