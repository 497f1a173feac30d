//! Realtime's REST API through the gateway (`<API URL>/realtime/v1/api/...`, service-role key): a broadcast
//! (`POST /api/broadcast` with `{messages: [...]}`, 202 with an empty body) and the ping Realtime answers for
//! the tenant named by the host (`GET /api/ping`). Kong refuses a request without a key it knows (401
//! `{"message": ...}`) and the tenant API paths (403); Realtime refuses a token its JWT secret did not sign
//! (401 `{"message": "Unauthorized"}`), an invalid body (422 `{"errors": ...}`) and a rate over the project's
//! limit (429).

use crate::failure::Failure;
use crate::supabase::gateway::{Gateway, GatewayReply};
use reqwest::Method;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Value, json};
use std::time::Instant;

/// The broadcast endpoint, relative to the API URL.
pub const BROADCAST_PATH: &str = "/realtime/v1/api/broadcast";
/// The ping endpoint, relative to the API URL.
pub const PING_PATH: &str = "/realtime/v1/api/ping";

/// One message to broadcast.
#[derive(Clone, Debug)]
pub struct Message {
    pub topic: String,
    pub event: String,
    pub payload: Value,
    pub private: bool,
}

/// What Realtime answered.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Sent {
    pub url: String,
    /// 202: accepted for delivery to the topic's subscribers.
    pub status: u16,
    pub millis: f64,
}

/// The Realtime service answering through the gateway.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Ping {
    pub url: String,
    pub status: Option<u16>,
    pub ok: bool,
    pub millis: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Realtime behind one instance's gateway.
#[derive(Clone, Debug)]
pub struct Realtime {
    gateway: Gateway,
}

impl Realtime {
    pub fn new(gateway: Gateway) -> Realtime {
        Realtime { gateway }
    }

    /// Broadcasts `message` to its topic.
    pub async fn broadcast(&self, message: &Message) -> Result<Sent, Failure> {
        let body = json!({ "messages": [{
            "topic": message.topic,
            "event": message.event,
            "payload": message.payload,
            "private": message.private,
        }] });
        let started = Instant::now();
        let request = self.gateway.request(Method::POST, BROADCAST_PATH)?.json(&body);
        let reply = self.gateway.send(request, "broadcast").await?;
        let url = self.gateway.url(BROADCAST_PATH)?.to_string();
        if reply.status.as_u16() == 202 || reply.status.is_success() {
            return Ok(Sent { url, status: reply.status.as_u16(), millis: started.elapsed().as_secs_f64() * 1000.0 });
        }
        Err(self.failure("broadcast", &reply))
    }

    /// `GET /api/ping` through the gateway: whether Realtime is up for this project.
    pub async fn ping(&self) -> Ping {
        let started = Instant::now();
        let url = self.gateway.url(PING_PATH).map(|u| u.to_string()).unwrap_or_else(|f| f.what.clone());
        let outcome = async {
            let request = self.gateway.request(Method::GET, PING_PATH)?;
            self.gateway.send(request, "ping Realtime").await
        }
        .await;
        let millis = started.elapsed().as_secs_f64() * 1000.0;
        match outcome {
            Ok(reply) if reply.status.is_success() => {
                Ping { url, status: Some(reply.status.as_u16()), ok: true, millis, error: None }
            }
            Ok(reply) => {
                let failure = self.failure("ping Realtime", &reply);
                Ping { url, status: Some(reply.status.as_u16()), ok: false, millis, error: Some(failure.text()) }
            }
            Err(failure) => Ping { url, status: None, ok: false, millis, error: Some(failure.text()) },
        }
    }

    /// A reply that is not a success, read with Kong's and Realtime's error bodies.
    fn failure(&self, what: &str, reply: &GatewayReply) -> Failure {
        let status = reply.status.as_u16();
        let body = reply.json().unwrap_or(Value::Null);
        let message = body
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| body.get("errors").map(Value::to_string))
            .unwrap_or_else(|| String::from_utf8_lossy(&reply.body).chars().take(200).collect());
        let instance = self.gateway.instance();
        let what = format!("{what} on instance '{instance}' failed");
        let why = format!("HTTP {status}: {message}");
        let fix = match status {
            401 => "the gateway or Realtime refused the service-role key: check SUPABASE_SERVICE_ROLE_KEY against the \
                    stack's JWT_SECRET (validate_config), or use the key of this project"
                .to_owned(),
            403 => "the gateway does not let this key reach that path: use the service-role key".to_owned(),
            404 => "the gateway has no Realtime route here: check that the realtime service is in the stack and \
                    Kong's realtime-v1-rest route exists, or update Realtime (the REST broadcast needs a recent one)"
                .to_owned(),
            422 => "the message was refused as invalid: give a topic, an event and a JSON object payload".to_owned(),
            429 => "the project's max_events_per_second was reached: wait a second and retry, or raise the limit \
                    (update_realtime_config)"
                .to_owned(),
            _ => "check the realtime service (realtime_health; its logs in get_logs or the container's)".to_owned(),
        };
        Failure::new(what, why, fix)
    }
}
