//! Integration tests: one binary, one module per concern.
mod analysis_golden;
mod architecture;
mod durability;
mod engine_paths;
mod fragments;
mod fuzz_seeds;
mod hostile_input;
mod ingest_forms;
mod properties;
mod real_evtx;
mod scan_cli;
mod search;
mod support;
mod terminal_safety;
mod triage_cli;
mod tui;
mod tui_hunt;
