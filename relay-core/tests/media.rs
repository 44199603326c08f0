//! The stream media path end to end, with no IO: test signal → sender script → wire JSON →
//! parser → assembler gives back exactly the codec round trip of the signal; and the parser
//! survives arbitrary and mutated input.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use relay_rs_core::media::{
    test_signal, Encoding, MediaChunk, MediaFormat, MediaScript, MediaTrack, StartInfo,
    StreamAssembler, StreamMessage,
};
use serde_json::Map;

fn start(format: MediaFormat, tracks: Vec<MediaTrack>) -> StartInfo {
    let mut custom = Map::new();
    custom.insert("app".into(), "media-test".into());
    StartInfo::new("stream-1", "project", "call-1", tracks, format).with_custom_parameters(custom)
}

fn through_the_wire(format: MediaFormat, tracks: Vec<MediaTrack>) -> (StreamAssembler, Vec<i16>) {
    let signal = test_signal(format.sample_rate, 1000);
    let script = MediaScript::new(start(format.clone(), tracks), &signal, 20);
    let mut assembler = None;
    for (_, message) in script.messages() {
        match StreamMessage::parse(&message.to_json()).unwrap() {
            StreamMessage::Start { start, .. } => {
                assembler = Some(StreamAssembler::new(start.media_format))
            }
            StreamMessage::Media { media, .. } => assembler.as_mut().unwrap().push(&media).unwrap(),
            _ => {}
        }
    }
    let expected = format.encoding.decode(&format.encoding.encode(&signal));
    (assembler.unwrap(), expected)
}

#[test]
fn pcmu_both_tracks_arrive_sample_for_sample() {
    let (assembler, expected) = through_the_wire(
        MediaFormat::pcmu(),
        vec![MediaTrack::Inbound, MediaTrack::Outbound],
    );
    assert_eq!(assembler.samples(MediaTrack::Inbound), expected.as_slice());
    // The script sends the outbound track at a quarter of the level (see `MediaScript`).
    let quieter: Vec<i16> = test_signal(8000, 1000).iter().map(|s| s / 4).collect();
    let expected_outbound = Encoding::Mulaw.decode(&Encoding::Mulaw.encode(&quieter));
    assert_eq!(
        assembler.samples(MediaTrack::Outbound),
        expected_outbound.as_slice()
    );
    assert_eq!(assembler.chunks(MediaTrack::Inbound), 50);
    assert_eq!(assembler.chunks(MediaTrack::Outbound), 50);
    assert!(assembler.gaps().is_empty());
}

#[test]
fn pcma_arrives_sample_for_sample_and_is_not_pcmu() {
    let (assembler, expected) = through_the_wire(MediaFormat::pcma(), vec![MediaTrack::Inbound]);
    assert_eq!(assembler.samples(MediaTrack::Inbound), expected.as_slice());
    // The classic mistake: decoding PCMA as PCMU gives something else entirely.
    let wrong = Encoding::Mulaw.decode(&Encoding::Alaw.encode(&test_signal(8000, 1000)));
    assert_ne!(wrong, expected);
}

#[test]
fn l16_arrives_losslessly() {
    let (assembler, expected) =
        through_the_wire(MediaFormat::l16(16_000), vec![MediaTrack::Inbound]);
    assert_eq!(expected, test_signal(16_000, 1000));
    assert_eq!(assembler.samples(MediaTrack::Inbound), expected.as_slice());
}

fn arb_message() -> impl Strategy<Value = StreamMessage> {
    let track = prop_oneof![Just(MediaTrack::Inbound), Just(MediaTrack::Outbound)];
    prop_oneof![
        ("[a-zA-Z]{1,8}", "[0-9.]{1,8}")
            .prop_map(|(protocol, version)| StreamMessage::Connected { protocol, version }),
        (
            any::<u64>(),
            track,
            any::<u64>(),
            any::<u64>(),
            prop::collection::vec(any::<u8>(), 0..400)
        )
            .prop_map(|(sequence_number, track, chunk, timestamp_ms, payload)| {
                StreamMessage::Media {
                    sequence_number,
                    media: MediaChunk::new(track, chunk, timestamp_ms, payload),
                }
            }),
        (any::<u64>(), "[0-9*#]", any::<u64>()).prop_map(
            |(sequence_number, digit, duration_ms)| {
                StreamMessage::Dtmf {
                    sequence_number,
                    digit,
                    duration_ms,
                }
            }
        ),
        any::<u64>().prop_map(|sequence_number| StreamMessage::Stop { sequence_number }),
        (any::<u64>(), ".{0,20}").prop_map(|(sequence_number, name)| StreamMessage::Mark {
            sequence_number,
            name,
        }),
        (
            any::<u64>(),
            ".{0,20}",
            prop::sample::select(vec![
                vec![MediaTrack::Inbound],
                vec![MediaTrack::Outbound],
                vec![MediaTrack::Inbound, MediaTrack::Outbound],
            ]),
            prop_oneof![
                Just(MediaFormat::pcmu()),
                Just(MediaFormat::pcma()),
                (1u32..200_000).prop_map(MediaFormat::l16),
            ],
            prop::collection::btree_map(".{0,8}", ".{0,8}", 0..4),
        )
            .prop_map(|(sequence_number, sid, tracks, format, custom)| {
                let mut start = start(format, tracks);
                start.stream_sid = sid;
                start.custom_parameters = custom
                    .into_iter()
                    .map(|(k, v)| (k, serde_json::Value::String(v)))
                    .collect();
                StreamMessage::Start {
                    sequence_number,
                    start,
                }
            }),
    ]
}

proptest! {
    #[test]
    fn written_messages_parse_back(message in arb_message()) {
        prop_assert_eq!(StreamMessage::parse(&message.to_json()), Ok(message));
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,300}") {
        let _ = StreamMessage::parse(&text);
    }

    #[test]
    fn mutated_messages_never_panic(
        message in arb_message(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<char>(), 0u8..3), 1..8),
    ) {
        let mut text: Vec<char> = message.to_json().chars().collect();
        for (at, c, op) in edits {
            if text.is_empty() {
                break;
            }
            let i = at.index(text.len());
            match op {
                0 => text[i] = c,
                1 => text.insert(i, c),
                _ => {
                    text.remove(i);
                }
            }
        }
        let text: String = text.into_iter().collect();
        if let Ok(parsed) = StreamMessage::parse(&text) {
            // Whatever parses must write and parse again.
            prop_assert!(StreamMessage::parse(&parsed.to_json()).is_ok());
        }
    }

    #[test]
    fn assembler_never_panics(
        sample_rate in prop_oneof![Just(8000u32), any::<u32>()],
        channels in 0u16..10,
        chunks in prop::collection::vec(
            (any::<bool>(), prop_oneof![0u64..3000, any::<u64>()], prop::collection::vec(any::<u8>(), 0..320)),
            0..20,
        ),
    ) {
        let mut format = MediaFormat::pcmu();
        format.sample_rate = sample_rate;
        format.channels = channels;
        let mut assembler = StreamAssembler::new(format).with_max_ms(2000);
        for (inbound, timestamp_ms, payload) in chunks {
            let track = if inbound { MediaTrack::Inbound } else { MediaTrack::Outbound };
            let _ = assembler.push(&MediaChunk::new(track, 1, timestamp_ms, payload));
        }
        for track in [MediaTrack::Inbound, MediaTrack::Outbound] {
            prop_assert!(assembler.duration_ms(track) <= 2000);
        }
        let _ = assembler.mixed();
    }

    #[test]
    fn read_wav_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let mut file = b"RIFF\0\0\0\0WAVE".to_vec();
        file.extend(bytes);
        let _ = relay_rs_core::media::read_wav(&file);
    }
}
