//! blogbot-server: the HTTP API, background jobs, state and CLI around the generator and classifier crates.

pub mod auth;
pub mod cli;
pub mod config;
pub mod datasets;
pub mod db;
pub mod dev_eval;
pub mod error;
pub mod jobs;
pub mod jobs_kinds;
pub mod limits;
pub mod metrics;
pub mod middleware;
pub mod promotion;
pub mod registry;
pub mod routes;
pub mod server;
pub mod serving;
pub mod state;
pub mod training;
pub mod weights;
