//! Arbitrary text to the quick reading of plain YAML: whatever it reads,
//! saphyr-parser must read to the same events at the same places (the
//! loader trusts it to stand in for saphyr on the files it reads).
#![no_main]

use libfuzzer_sys::fuzz_target;
use warren::load::quick_reading_disagreement;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(disagreement) = quick_reading_disagreement(text) {
            panic!("{disagreement}");
        }
    }
});
