//! Replays what the fuzzers kept (`fuzz/corpus/<target>/` and any crash or slow input in
//! `fuzz/regressions/<target>/`) through the same bodies the fuzz targets run, so that every
//! input that ever found a problem stays fixed.

use std::path::PathBuf;

type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 4] = [
    ("ecb_rates", podium_app::fuzzing::ecb_rates),
    ("trade_rules", podium_app::fuzzing::trade_rules),
    ("catalogue_csv", podium_app::fuzzing::catalogue_csv),
    ("authenticity_code", podium_app::fuzzing::authenticity_code),
];

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join(kind).join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

#[test]
fn every_kept_fuzz_input_still_passes() {
    let mut replayed = 0;
    for (target, run) in TARGETS {
        let corpus = inputs("corpus", target);
        assert!(!corpus.is_empty(), "fuzz/corpus/{target} holds the seeds and what the fuzzer found");
        for path in corpus.iter().chain(inputs("regressions", target).iter()) {
            let data = std::fs::read(path).expect("read a kept input");
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "{target}: {} fails again", path.display());
            replayed += 1;
        }
    }
    assert!(replayed >= TARGETS.len());
}
