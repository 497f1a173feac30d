//! broadcast_test_message and realtime_health's service probe against the Realtime fake behind its Kong-like
//! gateway: 202 and the message delivered as sent, what a private subscriber needs (no SELECT policy: a
//! warning), the gateway's and Realtime's refusals of wrong keys read into fixes, a rate limit, and no key in
//! any reply.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use crate::realtime_fake::{FOREIGN_KEY, Fake, Received, SERVICE_KEY};
use crate::{mcp_client, support};
use serde_json::json;

#[tokio::test]
async fn a_test_message_reaches_the_topic_and_refusals_say_why() {
    let fake = Fake::start().await;
    let db = support::fresh_database("realtime_broadcast").await;
    let url = db.admin_url();
    let env = fake.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = mcp_client::start_with_env(&["--features", "realtime", "--database-url", &url], &env).await;

    let call = server
        .call("broadcast_test_message", json!({"topic": "room:1", "event": "greet", "payload": {"hello": "world"}}))
        .await;
    assert!(!mcp_client::text(&call).contains(SERVICE_KEY), "the key never appears in a reply");
    let sent = call.structured_content.unwrap();
    assert_eq!(sent["sent"]["status"], 202, "{sent}");
    assert!(sent["sent"]["url"].as_str().unwrap().ends_with("/realtime/v1/api/broadcast"));
    assert!(sent["subscriber_needs"].as_str().unwrap().contains("without private"), "{sent}");
    let delivered =
        Received { topic: "room:1".into(), event: "greet".into(), payload: json!({"hello": "world"}), private: false };
    assert_eq!(fake.state().messages, [delivered]);

    let private = server.ok("broadcast_test_message", json!({"topic": "room:9", "private": true})).await;
    assert_eq!(private["receive_policies"], 0, "{private}");
    assert!(private["warning"].as_str().unwrap().contains("no SELECT policy"), "{private}");
    assert!(private["subscriber_needs"].as_str().unwrap().contains("realtime.topic() = 'room:9'"));
    assert!(fake.state().messages[1].private);
    assert_eq!(fake.state().messages[1].event, "test", "the default event");

    fake.state().fail_next.push_back(429);
    let limited = server.err("broadcast_test_message", json!({"topic": "room:1"})).await;
    assert!(limited.contains("429") && limited.contains("max_events_per_second"), "{limited}");

    let health = server.ok("realtime_health", json!({})).await;
    assert_eq!(health["service"]["ok"], true, "{health}");
    assert_eq!(health["service"]["status"], 200);
    assert!(health["service"]["url"].as_str().unwrap().ends_with("/realtime/v1/api/ping"));
    server.stop().await;

    // A key Kong knows but Realtime's JWT secret did not sign, and one Kong does not know.
    for (key, said) in [(FOREIGN_KEY, "Unauthorized"), ("eyJhbGciOiJIUzI1NiJ9.e30.unknown", "Invalid authentication")] {
        let env = [("SUPABASE_URL", fake.url.as_str()), ("SUPABASE_SERVICE_ROLE_KEY", key)];
        let server = mcp_client::start_with_env(&["--features", "realtime", "--database-url", &url], &env).await;
        let refused = server.err("broadcast_test_message", json!({"topic": "room:1"})).await;
        assert!(refused.contains("HTTP 401") && refused.contains(said), "{refused}");
        assert!(refused.contains("JWT_SECRET") && !refused.contains(key), "{refused}");
        let health = server.ok("realtime_health", json!({})).await;
        assert_eq!(health["service"]["ok"], key == FOREIGN_KEY, "ping needs only a key Kong knows: {health}");
        server.stop().await;
    }
    assert_eq!(fake.state().messages.len(), 2, "nothing refused was delivered");
}
