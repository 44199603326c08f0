//! Any bytes into the stream-message parser: no panic, and whatever parses writes back into
//! something that parses again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relay_rs_core::media::StreamMessage;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(message) = StreamMessage::parse(&text) {
        assert!(StreamMessage::parse(&message.to_json()).is_ok());
    }
});
