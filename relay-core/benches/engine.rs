//! Cost of handling one `signalwire.event` frame in the engine (routing, state, ack) against
//! the cost of only parsing the same frame with serde_json. Prints the ratio.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use relay_rs_core::{CallId, Credentials, Engine, EngineConfig, StreamOptions};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const CALLS: usize = 1_000;

/// An engine with `CALLS` answered calls, each with one stream (`ctl-<i>`).
fn loaded_engine(now: Instant) -> Engine {
    let mut engine = Engine::new(EngineConfig::new(Credentials::token("p", "t")));
    engine.open(now);
    engine.handle_connected(now);
    let connect = drain_sent(&mut engine).remove(0);
    engine.handle_frame(
        &json!({"jsonrpc": "2.0", "id": connect["id"], "result": {"protocol": "p"}}).to_string(),
        now,
    );
    for i in 0..CALLS {
        let receive = json!({"jsonrpc": "2.0", "id": format!("r{i}"), "method": "signalwire.event",
            "params": {"event_type": "calling.call.receive", "params": {"call_id": format!("c{i}"),
            "node_id": "n", "context": "office", "call_state": "ringing"}}});
        engine.handle_frame(&receive.to_string(), now);
        let options = StreamOptions::new().control_id(format!("ctl-{i}"));
        let start = engine
            .stream(&CallId::new(format!("c{i}")), "wss://h/a", &options, now)
            .expect("stream");
        engine.handle_frame(
            &json!({"jsonrpc": "2.0", "id": start.request_id.as_str(), "result": {"code": "200"}})
                .to_string(),
            now,
        );
    }
    drain_sent(&mut engine);
    while engine.poll_event().is_some() {}
    engine
}

fn drain_sent(engine: &mut Engine) -> Vec<Value> {
    let mut sent = Vec::new();
    while let Some(t) = engine.poll_transmit() {
        if let relay_rs_core::Transmit::Send(text) = t {
            sent.push(serde_json::from_str(&text).expect("json"));
        }
    }
    sent
}

fn stream_event(i: usize) -> String {
    json!({"jsonrpc": "2.0", "id": format!("ev-{i}"), "method": "signalwire.event",
        "params": {"event_type": "calling.call.stream", "timestamp": 1700000000.123,
        "event_channel": "signalwire_abc", "params": {"call_id": format!("c{i}"),
        "node_id": "node-1", "control_id": format!("ctl-{i}"), "state": "streaming",
        "url": "wss://example.com/audio", "name": "s", "segment_id": "seg-1"}}})
    .to_string()
}

fn state_event(i: usize) -> String {
    json!({"jsonrpc": "2.0", "id": format!("ev-{i}"), "method": "signalwire.event",
        "params": {"event_type": "calling.call.state", "timestamp": 1700000000.123,
        "event_channel": "signalwire_abc", "params": {"call_id": format!("c{i}"),
        "node_id": "node-1", "call_state": "answered", "direction": "inbound",
        "device": {"type": "phone", "params": {"from_number": "+15550001", "to_number": "+15550002"}}}}})
    .to_string()
}

/// Nanoseconds per call of `f`, over `iters` calls, after a warm-up.
fn per_call(iters: usize, mut f: impl FnMut(usize)) -> f64 {
    for i in 0..iters / 10 {
        f(i);
    }
    let start = Instant::now();
    for i in 0..iters {
        f(i);
    }
    start.elapsed().as_nanos() as f64 / iters as f64
}

fn handle(engine: &mut Engine, frame: &str, now: Instant) {
    engine.handle_frame(black_box(frame), now);
    while let Some(t) = engine.poll_transmit() {
        black_box(t);
    }
    while let Some(e) = engine.poll_event() {
        black_box(e);
    }
}

/// Builds the frame for call number `i`.
type FrameMaker = fn(usize) -> String;

fn bench(c: &mut Criterion) {
    let now = Instant::now();
    let kinds: [(&str, FrameMaker); 2] =
        [("stream_event", stream_event), ("state_event", state_event)];
    let mut group = c.benchmark_group("event_frame");
    group.measurement_time(Duration::from_secs(3));
    for (name, make) in kinds {
        let frames: Vec<String> = (0..CALLS).map(make).collect();
        let parse = |i: usize| {
            black_box(serde_json::from_str::<Value>(&frames[i % CALLS]).expect("json"));
        };
        group.bench_function(format!("{name}/serde_json_parse_only"), |b| {
            let mut i = 0;
            b.iter(|| {
                i += 1;
                parse(i)
            })
        });
        let mut engine = loaded_engine(now);
        group.bench_function(format!("{name}/engine_handle_frame"), |b| {
            let mut i = 0;
            b.iter(|| {
                i += 1;
                handle(&mut engine, &frames[i % CALLS], now)
            })
        });
        // The ratio, from both measured back to back in this run.
        let parse_ns = per_call(200_000, parse);
        let engine_ns = per_call(200_000, |i| handle(&mut engine, &frames[i % CALLS], now));
        println!(
            "RATIO {name}: engine {engine_ns:.0} ns/frame vs parse-only {parse_ns:.0} ns/frame = {:.2}x",
            engine_ns / parse_ns
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
