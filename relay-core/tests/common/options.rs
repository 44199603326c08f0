//! Options with every setting set, shared by the tests that write them byte for byte
//! (`engine_requests`) and the schema oracle that checks their keys (`schema_oracle`).

use relay_rs_core::{DigitsOptions, SpeechOptions};
use std::time::Duration;

/// Speech input with every option.
pub fn speech() -> SpeechOptions {
    SpeechOptions::new()
        .end_silence_timeout(Duration::from_millis(1500))
        .speech_timeout(Duration::from_secs(60))
        .language("en-US")
        .hint("yes")
        .hint("no")
        .engine("Deepgram")
        .model("enhanced")
}

/// Digit input with every option.
pub fn digits() -> DigitsOptions {
    DigitsOptions::new(4)
        .terminators("#")
        .digit_timeout(Duration::from_secs(5))
}
