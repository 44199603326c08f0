//! Cost of the two-way media session's sans-IO work per 20 ms frame: an incoming PCMU
//! `media` message read and decoded, and 20 ms of PCM encoded, framed and written as the
//! outgoing `media` message (what an echoing agent does per frame, without sockets).

use criterion::{criterion_group, criterion_main, Criterion};
use relay_rs_core::media::{MediaSessionCore, SessionConfig};
use std::hint::black_box;
use std::time::Duration;

const START: &str = r#"{"event":"start","sequenceNumber":"1","start":{"streamSid":"7d56cc11-536d-4a45-b4fb-ed3d55be843b","accountSid":"a","callSid":"c","tracks":["inbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}}"#;

fn started() -> MediaSessionCore {
    let mut core = MediaSessionCore::new(SessionConfig::default());
    let _ = core.handle_text(START);
    core
}

fn per_frame(c: &mut Criterion) {
    let mut group = c.benchmark_group("media session, one 20 ms PCMU frame");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    let incoming = format!(
        r#"{{"event":"media","sequenceNumber":"2","media":{{"track":"inbound","chunk":"1","timestamp":"0","payload":"{}"}}}}"#,
        "VVVV".repeat(53) + "VQ=="
    );
    let mut core = started();
    group.bench_function("read and decode", |b| {
        b.iter(|| black_box(core.handle_text(black_box(&incoming))))
    });
    let pcm = vec![1000i16; 160];
    let mut core = started();
    group.bench_function("encode, frame and write", |b| {
        b.iter(|| {
            let _ = core.send_audio(black_box(&pcm));
            black_box(core.poll_transmit())
        })
    });
    group.finish();
}

criterion_group!(benches, per_frame);
criterion_main!(benches);
