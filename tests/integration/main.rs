//! Every integration test in one binary (one link of the crate instead of one per file): each former test
//! file is a module here. Real parts throughout: the built binary over stdio, throwaway PostgreSQL clusters
//! (`support`), the Dokploy fake, moto for S3. Run one area with `cargo test --test integration <module>::`.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

#[path = "../support/content_api_fake/mod.rs"]
mod content_api_fake;
#[path = "../support/dokploy_fake/mod.rs"]
mod dokploy_fake;
#[path = "../support/functions_fake/mod.rs"]
mod functions_fake;
#[path = "../support/gotrue_fake/mod.rs"]
mod gotrue_fake;
#[path = "../support/management_fake/mod.rs"]
mod management_fake;
#[path = "../mcp_client/mod.rs"]
mod mcp_client;
#[path = "../support/realtime_fake/mod.rs"]
mod realtime_fake;
#[path = "../support/s3_moto/mod.rs"]
mod s3_moto;
#[path = "../support/stack_fake/mod.rs"]
mod stack_fake;
#[path = "../support/storage_fake/mod.rs"]
mod storage_fake;
#[path = "../support/studio_fake/mod.rs"]
mod studio_fake;
#[path = "../support/mod.rs"]
mod support;

mod auth;
mod backup_faults;
mod backup_roles;
mod backups;
mod backups_s3;
mod cloud;
mod cluster_fixture;
mod compat;
mod copy_database;
mod demo_cli;
mod development_tools;
mod dokploy_client;
mod dokploy_tls;
mod dokploy_tools;
mod dokploy_wizard;
mod e2e_core;
mod env_doctor;
mod functions;
mod http;
mod inspector_cli;
mod instances;
mod knowledge;
mod local_cluster;
mod memory_bounds;
mod migrations;
mod monitoring;
mod packaging;
mod prompts;
mod readonly;
mod realtime;
mod s3_store;
mod schema_diff;
mod secret_leaks;
mod smoke;
mod storage;
mod surface;
mod tool_catalog;
mod toolsets;
mod typegen_parity;
mod typegen_tools;
