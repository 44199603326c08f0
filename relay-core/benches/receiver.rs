//! Cost of a `media` message (parse, decode, place) that fills one hole of a track holding
//! 20,000 or 200,000 holes: with a linear assembler the two cost about the same per message.

use criterion::{criterion_group, criterion_main, Criterion};
use relay_rs_core::media::{MediaChunk, MediaFormat, MediaTrack, StreamAssembler, StreamMessage};
use std::time::{Duration, Instant};

/// A 1 ms chunk of 8 kHz L16 at `timestamp_ms`, as the wire carries it.
fn message(timestamp_ms: u64) -> String {
    StreamMessage::Media {
        sequence_number: timestamp_ms + 2,
        media: MediaChunk::new(
            MediaTrack::Inbound,
            timestamp_ms + 1,
            timestamp_ms,
            vec![1u8; 16],
        ),
    }
    .to_json()
}

fn push(assembler: &mut StreamAssembler, text: &str) {
    if let Ok(StreamMessage::Media { media, .. }) = StreamMessage::parse(text) {
        let _ = assembler.push(&media);
    }
}

/// A track with `holes` holes of 1 ms: chunks at 0, 2, 4, … ms.
fn with_holes(holes: u64) -> StreamAssembler {
    let mut assembler = StreamAssembler::new(MediaFormat::l16(8000)).with_max_ms(u64::MAX);
    for n in 0..=holes {
        push(&mut assembler, &message(2 * n));
    }
    assembler
}

fn fill_holes(c: &mut Criterion) {
    let mut group = c.benchmark_group("fill one hole");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(4));
    for holes in [20_000u64, 200_000] {
        group.bench_function(format!("{holes} holes"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                let mut left = iters;
                while left > 0 {
                    let batch = left.min(holes);
                    let mut assembler = with_holes(holes);
                    // Last hole first: the costliest order for a list scanned from the front.
                    let texts: Vec<String> =
                        (0..batch).map(|i| message(2 * (holes - i) - 1)).collect();
                    let began = Instant::now();
                    for text in &texts {
                        push(&mut assembler, text);
                    }
                    total += began.elapsed();
                    left -= batch;
                }
                total
            });
        });
    }
    group.finish();
}

criterion_group!(benches, fill_holes);
criterion_main!(benches);
