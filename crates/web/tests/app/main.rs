//! The web application's integration tests, in one binary: the real server on 127.0.0.1:0
//! over a private database per test (SQLite, or PostgreSQL when GUGUS_TEST_DATABASE_URL is
//! set), driven as a browser or an API client would. The region reference and the fixture
//! units and accounts are built once per run (see `common`), not once per test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

mod access_log;
mod admin_users;
mod after_save;
mod api_evidence;
mod api_recovery;
mod api_tokens;
mod audit_checkpoint;
mod browser;
mod case_list;
mod case_parts;
mod cases;
mod clearing;
mod complaints;
mod home;
mod job_leases;
mod mail;
mod many_writers;
mod midnight;
mod news;
mod notifications_list;
mod observability;
mod perpetrator_pairs;
mod perpetrators_scope;
mod public;
mod recovery;
mod referral_followup;
mod referral_lists;
mod referral_reach;
mod region_fields;
mod review_chain;
mod review_queue;
mod security;
mod serve_limits;
mod site;
mod site_more;
mod statistics;
mod survivor_status;
mod sweep;
mod synthetic;
mod vulnerability;
mod words;
