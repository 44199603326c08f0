//! Any bytes as server frames (one per line) into a connected engine: no panic, and every
//! output drained after each frame.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relay_rs_core::{Credentials, Engine, EngineConfig};
use std::time::{Duration, Instant};

fuzz_target!(|data: &[u8]| {
    let mut now = Instant::now();
    let mut engine = Engine::new(EngineConfig::new(Credentials::token("p", "t")));
    engine.open(now);
    while engine.poll_transmit().is_some() {}
    engine.handle_connected(now);
    while engine.poll_transmit().is_some() {}
    for line in data.split(|&b| b == b'\n') {
        engine.handle_frame(&String::from_utf8_lossy(line), now);
        while engine.poll_transmit().is_some() {}
        while engine.poll_event().is_some() {}
        now += Duration::from_secs(1);
        engine.handle_timeout(now);
    }
});
