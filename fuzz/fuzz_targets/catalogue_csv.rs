#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| podium_app::fuzzing::catalogue_csv(data));
