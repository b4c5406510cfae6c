//! Fuzz target: arbitrary text through the index and value expression parsers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use memmap_tutor::expr::{index, value};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        // Printing back as Python is part of what a parsed expression is used for (codegen).
        if let Ok(ix) = index::parse_index(text) {
            let _ = ix.to_python("arr");
        }
        if let Ok(v) = value::parse_value_str(text) {
            let _ = v.to_python();
        }
    }
});
