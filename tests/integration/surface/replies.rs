//! Replies bounded by bytes whatever the rows' shape, measured as they cross the wire: one 5 MB value (wide)
//! and many small rows (narrow) both give an execute_sql reply and read_result pages under the bound, long
//! values cut with a marker naming their full length, and the data carried once (structuredContent, a short
//! fenced summary as text) for clients that read structured content; older clients and Claude Desktop get the
//! fenced JSON.

use super::raw::{Raw, fenced_json};
use crate::mcp_client::{self, text};
use crate::support;
use serde_json::json;

/// The bound a reply must stay under: the 64 KiB page budget plus the envelope (columns, counts, summary).
const BOUND: usize = 80 * 1024;

fn wire_size(result: &rmcp::model::CallToolResult) -> usize {
    serde_json::to_vec(result).unwrap().len()
}

#[tokio::test]
async fn a_five_megabyte_value_gives_a_small_reply_and_small_pages() {
    let db = support::fresh_database("wide_reply").await;
    let server = mcp_client::start(&["--database-url", &db.url()]).await;
    let sql = "select g as n, repeat('x', 5 * 1024 * 1024) as big from generate_series(1, 3) g";
    let result = server.call("execute_sql", json!({"sql": sql})).await;
    let size = wire_size(&result);
    eprintln!("wide execute_sql reply: {size} bytes");
    assert!(size < BOUND, "the reply is {size} bytes");
    let reply = result.structured_content.clone().unwrap();
    assert_eq!(reply["row_count"], json!(3));
    let big = reply["rows"][0]["big"].as_str().unwrap();
    assert!(big.ends_with(&format!("…[truncated: {} bytes in full]", 5 * 1024 * 1024)), "{}", &big[big.len() - 50..]);
    assert!(reply["truncated_values"].as_u64().unwrap() >= 1, "{}", reply["truncated_values"]);
    let summary = text(&result);
    assert!(summary.len() < 2048 && !summary.contains("xxxxxxxx"), "the text is a summary: {summary}");
    assert!(summary.contains("<untrusted-data-") && summary.contains("structuredContent"), "{summary}");

    let handle = reply["spilled"]["handle"].as_str().unwrap();
    let page = server.call("read_result", json!({"handle": handle, "limit": 1000})).await;
    let size = wire_size(&page);
    eprintln!("wide read_result page: {size} bytes");
    assert!(size < BOUND, "the page is {size} bytes");
    let page = page.structured_content.unwrap();
    assert!(!page["rows"].as_array().unwrap().is_empty(), "a page always moves on");
    assert!(page["truncated_values"].as_u64().unwrap() >= 1);
    server.stop().await;
}

#[tokio::test]
async fn many_small_rows_give_a_small_reply_and_pages_cut_by_bytes() {
    let db = support::fresh_database("narrow_reply").await;
    let server = mcp_client::start(&["--database-url", &db.url()]).await;
    let sql = "select g as n, md5(g::text) as h from generate_series(1, 200000) g";
    let result = server.call("execute_sql", json!({"sql": sql})).await;
    let size = wire_size(&result);
    eprintln!("narrow execute_sql reply: {size} bytes");
    assert!(size < BOUND, "the reply is {size} bytes");
    let reply = result.structured_content.unwrap();
    assert_eq!(reply["spilled"]["rows"], json!(200000));
    let handle = reply["spilled"]["handle"].as_str().unwrap().to_owned();
    let mut offset = Some(0);
    let (mut seen, mut pages) = (0, 0);
    while let Some(from) = offset {
        let page = server.call("read_result", json!({"handle": handle, "offset": from, "limit": 100000})).await;
        let size = wire_size(&page);
        assert!(size < BOUND, "page at {from} is {size} bytes");
        let page = page.structured_content.unwrap();
        let rows = page["rows"].as_array().unwrap();
        assert_eq!(rows[0]["n"], json!(from + 1));
        seen += rows.len() as u64;
        pages += 1;
        offset = page["next_offset"].as_u64();
        if pages == 3 {
            eprintln!("narrow read_result page: {size} bytes, {} rows", rows.len());
            break;
        }
    }
    assert!(seen > 1000 && seen < 200000, "pages are cut by bytes, not by the 100000-row limit: {seen}");
    server.stop().await;
}

#[tokio::test]
async fn clients_without_structured_content_get_the_fenced_data_as_text() {
    let db = support::fresh_database("old_client").await;
    let mut raw = Raw::spawn(&["--database-url", &db.url()]);
    let init = raw.initialize("2024-11-05").await;
    assert_eq!(init["result"]["protocolVersion"], json!("2024-11-05"));
    let (reply, _) = raw.call(1, "execute_sql", json!({"sql": "select 'planted' as word"}), None).await;
    let text = reply["result"]["content"][0]["text"].as_str().unwrap();
    assert_eq!(fenced_json(text)["rows"][0]["word"], json!("planted"), "{text}");

    let mut current = Raw::spawn(&["--database-url", &db.url()]);
    current.initialize("2025-06-18").await;
    let (reply, _) = current.call(1, "execute_sql", json!({"sql": "select 'planted' as word"}), None).await;
    let text = reply["result"]["content"][0]["text"].as_str().unwrap();
    assert!(!text.contains("planted"), "carried once, in structuredContent: {text}");
    assert_eq!(reply["result"]["structuredContent"]["rows"][0]["word"], json!("planted"));

    // Claude Desktop shows the model only `content`, whatever its protocol version.
    let mut desktop = Raw::spawn(&["--database-url", &db.url()]);
    desktop.initialize_as("2025-06-18", "claude-ai").await;
    let (reply, _) = desktop.call(1, "execute_sql", json!({"sql": "select 'planted' as word"}), None).await;
    let text = reply["result"]["content"][0]["text"].as_str().unwrap();
    assert_eq!(fenced_json(text)["rows"][0]["word"], json!("planted"), "{text}");
}
