//! Fuzz target: see `pstriage::fuzz_checks::esql` for the property it checks.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| pstriage::fuzz_checks::esql(data));
