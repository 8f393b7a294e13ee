//! The integration tests: one binary (`cargo test --test it`), one module per area, one
//! support module. They start real servers (osmem-server from `.venv`, made by `make venv` on
//! first use) on free loopback ports and run the `logsift` binary against them.

mod support;

mod annotations;
mod api_http;
mod api_jobs_cancel;
mod api_openapi;
mod api_ranges;
mod api_schemathesis;
mod api_sidecar;
mod audit_events;
mod cluster_cli;
mod docker_stack;
mod header_loghub;
mod jobs_copy;
mod jobs_reindex;
mod jobs_remine;
mod jobs_schedule;
mod kibana_bundle;
mod kibana_install;
mod layering;
mod notify_webhook;
mod real_servers;
mod shipper_rsyslog;
mod sidecar_bad_input;
mod sidecar_crash;
mod sidecar_faults;
mod sidecar_follow;
mod sidecar_openssh;
mod sidecar_paging;
mod sidecar_tls;
mod sources_multi;
