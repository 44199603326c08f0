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

/// Nanoseconds per call of `f` over `iters` calls (frames taken in turn).
fn per_call(iters: usize, f: &mut impl FnMut(usize)) -> f64 {
    let start = Instant::now();
    for i in 0..iters {
        f(i);
    }
    start.elapsed().as_nanos() as f64 / iters as f64
}

/// The engine's cost over the parse's, measured interleaved in one process: `ROUNDS`
/// rounds, each timing both on the same frames back to back, so that a slower moment of a
/// shared machine weighs on both sides of a round alike. Returns the median ratio, the
/// lowest and the highest, and the median nanoseconds of each side.
fn interleaved_ratio(
    parse: &mut impl FnMut(usize),
    engine: &mut impl FnMut(usize),
) -> (f64, f64, f64, f64, f64) {
    const ROUNDS: usize = 41;
    const ITERS: usize = 20_000;
    // Warm-up: caches, branch predictors, the allocator's free lists.
    per_call(ITERS * 5, parse);
    per_call(ITERS * 5, engine);
    let mut ratios = Vec::with_capacity(ROUNDS);
    let (mut parse_ns, mut engine_ns) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // Alternate which side goes first, so neither always runs on a warmer cache.
        let (p, e) = if round % 2 == 0 {
            let p = per_call(ITERS, parse);
            (p, per_call(ITERS, engine))
        } else {
            let e = per_call(ITERS, engine);
            (per_call(ITERS, parse), e)
        };
        ratios.push(e / p);
        parse_ns.push(p);
        engine_ns.push(e);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let m = median(&mut ratios);
    (
        m,
        ratios[0],
        ratios[ROUNDS - 1],
        median(&mut parse_ns),
        median(&mut engine_ns),
    )
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
    // `ENGINE_PROFILE=<frames>`: only the engine on that many stream frames (state frames,
    // with a device, when `ENGINE_PROFILE_FRAME=state`), then exit (for `valgrind
    // --tool=callgrind`, where the measured runs would take minutes).
    if let Some(n) = std::env::var("ENGINE_PROFILE")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        let make: FrameMaker = match std::env::var("ENGINE_PROFILE_FRAME").as_deref() {
            Ok("state") => state_event,
            _ => stream_event,
        };
        let frames: Vec<String> = (0..CALLS).map(make).collect();
        let mut engine = loaded_engine(now);
        per_call(n, &mut |i| handle(&mut engine, &frames[i % CALLS], now));
        return;
    }
    let kinds: [(&str, FrameMaker); 2] =
        [("stream_event", stream_event), ("state_event", state_event)];
    let mut group = c.benchmark_group("event_frame");
    // Long enough to be stable on a shared 2-core machine (the 3 s default was not).
    group
        .warm_up_time(Duration::from_secs(3))
        .measurement_time(Duration::from_secs(8))
        .sample_size(200);
    for (name, make) in kinds {
        let frames: Vec<String> = (0..CALLS).map(make).collect();
        let mut parse = |i: usize| {
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
        // The ratio, from both measured interleaved in this process.
        let mut run_engine = |i: usize| handle(&mut engine, &frames[i % CALLS], now);
        let (ratio, low, high, parse_ns, engine_ns) =
            interleaved_ratio(&mut parse, &mut run_engine);
        println!(
            "RATIO {name}: engine {engine_ns:.0} ns/frame vs parse-only {parse_ns:.0} ns/frame = {ratio:.3}x (median of 41 interleaved rounds; range {low:.3}x-{high:.3}x)"
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
