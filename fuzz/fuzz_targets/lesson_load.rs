//! Fuzz target: arbitrary text through lesson parsing and validation (`lesson::load_str`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Lessons are UTF-8 text (resolve_source rejects anything else before parsing).
    if let Ok(text) = std::str::from_utf8(data) {
        match memmap_tutor::lesson::load_str("fuzz.yaml", text) {
            // A lesson that validates must also export as a NumPy script without panicking.
            Ok(lesson) => drop(lesson.numpy_script()),
            Err(e) => drop(e.to_string()),
        }
    }
});
