//! The two-way media session without sockets: codecs and 20 ms framing to the exact byte,
//! the exact messages written, marks, clear, and every bound a hostile far end can push on.

use relay_rs_core::media::{
    g711, FrameEncoder, L16Order, MarkId, MediaFormat, MediaSessionCore, MediaTrack,
    OutgoingMessage, SendError, ServiceMessage, SessionConfig, SessionError, StreamEvent,
    StreamMessage,
};

const SID: &str = "7d56cc11-536d-4a45-b4fb-ed3d55be843b";

fn start_json(encoding: &str, rate: u32) -> String {
    format!(
        r#"{{"event":"start","sequenceNumber":"1","start":{{"streamSid":"{SID}","accountSid":"a","callSid":"c-1","tracks":["inbound"],"customParameters":{{"agent":"demo"}},"mediaFormat":{{"encoding":"{encoding}","sampleRate":{rate},"channels":1}}}}}}"#
    )
}

fn started(config: SessionConfig, encoding: &str, rate: u32) -> MediaSessionCore {
    let mut core = MediaSessionCore::new(config);
    let event = core.handle_text(&start_json(encoding, rate));
    assert!(matches!(event, Ok(StreamEvent::Started(_))), "{event:?}");
    core
}

fn pcmu() -> MediaSessionCore {
    started(SessionConfig::default(), "audio/x-mulaw", 8000)
}

fn drain(core: &mut MediaSessionCore) -> Vec<OutgoingMessage> {
    std::iter::from_fn(|| core.poll_transmit())
        .map(|text| OutgoingMessage::parse(&text).expect("we write what we read"))
        .collect()
}

fn mark_ack(name: &str) -> String {
    format!(
        r#"{{"event":"mark","sequenceNumber":"9","streamSid":"{SID}","mark":{{"name":"{name}"}}}}"#
    )
}

fn ramp(n: usize) -> Vec<i16> {
    (0..n).map(|i| (i as i16).wrapping_mul(97)).collect()
}

#[test]
fn pcm_encodes_to_the_exact_bytes_of_each_codec_and_back() {
    let pcm = [0i16, 1000, -1000, i16::MAX, i16::MIN, 0x1234];
    let ulaw = FrameEncoder::new(&MediaFormat::pcmu(), L16Order::Little);
    let alaw = FrameEncoder::new(&MediaFormat::pcma(), L16Order::Little);
    let le = FrameEncoder::new(&MediaFormat::l16(16_000), L16Order::Little);
    let be = FrameEncoder::new(&MediaFormat::l16(24_000), L16Order::Big);
    assert_eq!(ulaw.encode(&pcm), [0xFF, 0xCE, 0x4E, 0x80, 0x00, 0xAD]);
    assert_eq!(alaw.encode(&pcm), [0xD5, 0xFA, 0x7A, 0xAA, 0x2A, 0x87]);
    assert_eq!(
        le.encode(&pcm),
        [0, 0, 0xE8, 0x03, 0x18, 0xFC, 0xFF, 0x7F, 0x00, 0x80, 0x34, 0x12]
    );
    assert_eq!(
        be.encode(&pcm),
        [0, 0, 0x03, 0xE8, 0xFC, 0x18, 0x7F, 0xFF, 0x80, 0x00, 0x12, 0x34]
    );
    // L16 is lossless both ways; G.711 decodes to its own quantised values.
    assert_eq!(le.decode(&le.encode(&pcm)), pcm);
    assert_eq!(be.decode(&be.encode(&pcm)), pcm);
    let ulaw_back: Vec<i16> = ulaw
        .encode(&pcm)
        .iter()
        .map(|&b| g711::ulaw_decode(b))
        .collect();
    assert_eq!(ulaw.decode(&ulaw.encode(&pcm)), ulaw_back);
    assert_eq!(ulaw_back[..3], [0, 988, -988]);
    let alaw_back: Vec<i16> = alaw
        .encode(&pcm)
        .iter()
        .map(|&b| g711::alaw_decode(b))
        .collect();
    assert_eq!(alaw.decode(&alaw.encode(&pcm)), alaw_back);
    assert_eq!(alaw_back[..3], [8, 1008, -1008]);
}

#[test]
fn every_codec_frames_20_ms_as_documented() {
    for (format, samples, bytes) in [
        (MediaFormat::pcmu(), 160, 160),
        (MediaFormat::pcma(), 160, 160),
        (MediaFormat::l16(16_000), 320, 640),
        (MediaFormat::l16(24_000), 480, 960),
    ] {
        let mut encoder = FrameEncoder::new(&format, L16Order::Little);
        assert_eq!(encoder.samples_per_frame(), samples);
        assert_eq!(encoder.frame_bytes(), bytes);
        let mut frames = Vec::new();
        // Two and a half frames: two go out, half a frame is kept.
        encoder.push(&ramp(samples * 5 / 2), |f| frames.push(f.to_vec()));
        assert_eq!(frames.len(), 2);
        assert!(frames.iter().all(|f| f.len() == bytes), "{format:?}");
        assert_eq!(encoder.pending_samples(), samples / 2);
        // Flush pads the half frame with silence.
        assert!(encoder.flush(|f| frames.push(f.to_vec())));
        assert_eq!(frames[2].len(), bytes);
        let silence = encoder.encode(&vec![0; samples / 2]);
        assert_eq!(frames[2][bytes / 2..], silence[..]);
        assert!(!encoder.flush(|_| panic!("nothing kept")));
    }
}

#[test]
fn audio_goes_out_as_exact_media_messages_with_the_stream_sid() {
    let mut core = pcmu();
    // 50 ms: two frames now, 10 ms kept.
    assert_eq!(core.send_audio(&[0; 400]), Ok(2));
    let text = core.poll_transmit().expect("a frame");
    let silence = "/".repeat(213) + "w=="; // 160 bytes of 0xFF in base64
    assert_eq!(
        text,
        format!(r#"{{"event":"media","streamSid":"{SID}","media":{{"payload":"{silence}"}}}}"#)
    );
    assert!(core.poll_transmit().is_some());
    assert_eq!(core.poll_transmit(), None);
    // The kept 10 ms and 10 ms more make one whole frame, continuing the same samples.
    let pcm = ramp(240);
    let mut expected = FrameEncoder::new(&MediaFormat::pcmu(), L16Order::Little);
    let mut whole = vec![0i16; 80];
    whole.extend_from_slice(&pcm[..80]);
    assert_eq!(core.send_audio(&pcm[..80]), Ok(1));
    assert_eq!(
        drain(&mut core),
        [OutgoingMessage::Media {
            stream_sid: SID.into(),
            payload: expected.encode(&whole).into(),
        }]
    );
    assert_eq!(core.flush_audio(), Ok(false));
    expected.discard();
    assert_eq!(core.stats().frames_out, 3);
}

#[test]
fn a_mark_flushes_the_remainder_first_and_resolves_when_played() {
    let mut core = pcmu();
    core.send_audio(&[0; 100]).expect("room");
    let id = core.mark("reply-1").expect("room");
    let sent = drain(&mut core);
    assert_eq!(sent.len(), 2);
    assert!(matches!(&sent[0], OutgoingMessage::Media { payload, .. } if payload.len() == 160));
    assert_eq!(core.poll_transmit(), None, "the mark was the last message");
    assert_eq!(
        sent[1],
        OutgoingMessage::Mark {
            stream_sid: SID.into(),
            name: "reply-1".into()
        }
    );
    assert_eq!(
        OutgoingMessage::Mark {
            stream_sid: "s".into(),
            name: "n".into()
        }
        .to_json(),
        r#"{"event":"mark","streamSid":"s","mark":{"name":"n"}}"#
    );
    assert_eq!(
        core.handle_text(&mark_ack("reply-1")),
        Ok(StreamEvent::MarkPlayed {
            id,
            name: "reply-1".into()
        })
    );
    assert_eq!(core.pending_marks(), 0);
    assert_eq!(core.stats().marks_played, 1);
}

#[test]
fn clear_drops_what_is_unsent_and_marks_on_the_wire_come_back_cleared() {
    let mut core = pcmu();
    core.send_audio(&[0; 320]).expect("room");
    let on_wire = core.mark("a").expect("room");
    drain(&mut core);
    core.send_audio(&[0; 800]).expect("room");
    let unsent = core.mark("b").expect("room");
    core.send_audio(&[0; 10]).expect("room");
    let dropped = core.clear().expect("started");
    assert_eq!(dropped, [(unsent, "b".to_owned())]);
    assert_eq!(core.clear().expect("started"), []);
    assert_eq!(
        drain(&mut core),
        [OutgoingMessage::Clear {
            stream_sid: SID.into()
        }],
        "one clear however often called, no audio, the remainder dropped"
    );
    assert_eq!(
        OutgoingMessage::Clear {
            stream_sid: "s".into()
        }
        .to_json(),
        r#"{"event":"clear","streamSid":"s"}"#
    );
    assert_eq!(
        core.handle_text(&mark_ack("a")),
        Ok(StreamEvent::MarkCleared {
            id: on_wire,
            name: "a".into()
        })
    );
    let clear_ack = format!(
        r#"{{"timestamp":"t","direction":"outbound","eventType":"clear","streamSid":"{SID}","rawEvent":{{"event":"clear","streamSid":"{SID}"}}}}"#
    );
    assert_eq!(
        core.handle_text(&clear_ack),
        Ok(StreamEvent::ClearAcknowledged)
    );
    assert_eq!(core.stats().marks_cleared, 2);
    // A mark after the clear plays normally.
    let later = core.mark("a").expect("room");
    drain(&mut core);
    assert_eq!(
        core.handle_text(&mark_ack("a")),
        Ok(StreamEvent::MarkPlayed {
            id: later,
            name: "a".into()
        })
    );
}

#[test]
fn a_full_queue_refuses_all_or_nothing_and_drains_at_the_socket_pace() {
    let mut core = started(
        SessionConfig::default().max_queued_messages(3),
        "audio/x-mulaw",
        8000,
    );
    assert_eq!(core.send_audio(&[0; 480]), Ok(3));
    let full = core.send_audio(&[0; 160]);
    assert!(
        matches!(
            full,
            Err(SendError::QueueFull {
                queued_messages: 3,
                ..
            })
        ),
        "{full:?}"
    );
    // Even a part frame is refused whole: nothing kept for later.
    assert_eq!(core.send_audio(&[0; 100]), Ok(0));
    assert!(matches!(core.mark("m"), Err(SendError::QueueFull { .. })));
    assert_eq!(core.encoder().map(FrameEncoder::pending_samples), Some(100));
    assert_eq!(core.stats().queue_full, 2);
    core.poll_transmit();
    assert_eq!(core.send_audio(&[0; 60]), Ok(1));
    let bytes = core.queued_bytes();
    let mut by_bytes = started(
        SessionConfig::default().max_queued_bytes(bytes / 3 * 2),
        "audio/x-mulaw",
        8000,
    );
    assert_eq!(by_bytes.send_audio(&[0; 320]), Ok(2));
    assert!(matches!(
        by_bytes.send_audio(&[0; 160]),
        Err(SendError::QueueFull { .. })
    ));
}

#[test]
fn pending_marks_are_bounded_and_abandoned_ones_go_first() {
    let mut core = started(
        SessionConfig::default().max_pending_marks(2),
        "audio/x-mulaw",
        8000,
    );
    let first = core.mark("1").expect("room");
    core.mark("2").expect("room");
    assert_eq!(core.mark("3"), Err(SendError::TooManyMarks { limit: 2 }));
    core.abandon_mark(first);
    let third = core.mark("3").expect("the abandoned mark made room");
    assert_eq!(third, MarkId(2));
    drain(&mut core);
    // The evicted mark's late acknowledgement is now unknown, never a panic.
    assert_eq!(
        core.handle_text(&mark_ack("1")),
        Err(SessionError::UnknownMark("1".into()))
    );
}

#[test]
fn marks_never_sent_are_typed_counted_and_ignored() {
    let mut core = pcmu();
    let queued = core.mark("mine").expect("room");
    // Not yet written: the far end cannot have it.
    assert_eq!(
        core.handle_text(&mark_ack("mine")),
        Err(SessionError::UnknownMark("mine".into()))
    );
    let long = "x".repeat(10_000);
    let clipped = format!("{}…", "x".repeat(64));
    assert_eq!(
        core.handle_text(&mark_ack(&long)),
        Err(SessionError::UnknownMark(clipped))
    );
    assert_eq!(core.stats().unknown_marks, 2);
    drain(&mut core);
    assert_eq!(
        core.handle_text(&mark_ack("mine")),
        Ok(StreamEvent::MarkPlayed {
            id: queued,
            name: "mine".into()
        })
    );
}

#[test]
fn nothing_goes_out_before_start_or_after_stop() {
    let mut core = MediaSessionCore::new(SessionConfig::default());
    assert_eq!(core.send_audio(&[0; 160]), Err(SendError::NotStarted));
    assert_eq!(core.mark("m"), Err(SendError::NotStarted));
    assert!(matches!(core.clear(), Err(SendError::NotStarted)));
    let mut core = pcmu();
    assert_eq!(
        core.handle_text(r#"{"event":"stop","sequenceNumber":"5"}"#),
        Ok(StreamEvent::Stopped)
    );
    assert_eq!(core.send_audio(&[0; 160]), Err(SendError::Stopped));
    assert_eq!(
        core.handle_text(&mark_ack("x")),
        Err(SessionError::AfterStop)
    );
}

#[test]
fn hostile_input_is_refused_typed_and_the_session_goes_on() {
    let mut core = MediaSessionCore::new(SessionConfig::default().max_message_bytes(2048));
    let media = r#"{"event":"media","sequenceNumber":"2","media":{"track":"inbound","chunk":"1","timestamp":"0","payload":"//8="}}"#;
    assert_eq!(core.handle_text(media), Err(SessionError::MediaBeforeStart));
    let huge = format!(r#"{{"event":"media","pad":"{}"}}"#, "x".repeat(5000));
    assert_eq!(
        core.handle_text(&huge),
        Err(SessionError::MessageTooLarge {
            len: huge.len(),
            limit: 2048
        })
    );
    assert!(matches!(
        core.handle_text("{not json"),
        Err(SessionError::Message(_))
    ));
    assert!(matches!(
        core.handle_text(&start_json("audio/x-L16", 11_025)),
        Err(SessionError::UnsupportedFormat(_))
    ));
    assert!(matches!(
        core.handle_text(&start_json("audio/x-L16", 16_000)),
        Ok(StreamEvent::Started(_))
    ));
    assert_eq!(
        core.handle_text(&start_json("audio/x-L16", 16_000)),
        Err(SessionError::DuplicateStart)
    );
    let outbound = media.replace("inbound", "outbound");
    assert_eq!(
        core.handle_text(&outbound),
        Err(SessionError::UnexpectedTrack(MediaTrack::Outbound))
    );
    assert_eq!(
        core.handle_text(media),
        Ok(StreamEvent::Audio {
            track: MediaTrack::Inbound,
            chunk: 1,
            timestamp_ms: 0,
            pcm: vec![-1]
        })
    );
    assert_eq!(core.stats().bad_messages, 6);
    assert_eq!(core.stats().messages_in, 8);
}

#[test]
fn start_gives_call_stream_format_tracks_and_parameters_and_audio_is_decoded_once() {
    let mut core = MediaSessionCore::new(SessionConfig::default().l16_order(L16Order::Big));
    let Ok(StreamEvent::Started(start)) = core.handle_text(&start_json("audio/x-L16", 24_000))
    else {
        panic!("start");
    };
    assert_eq!(
        (start.call_sid.as_str(), start.stream_sid.as_str()),
        ("c-1", SID)
    );
    assert_eq!(start.media_format, MediaFormat::l16(24_000));
    assert_eq!(start.tracks, [MediaTrack::Inbound]);
    assert_eq!(start.custom_parameters["agent"], "demo");
    // 0x1234 big-endian, then 0x0001.
    let media = r#"{"event":"media","sequenceNumber":"2","media":{"track":"inbound","chunk":"1","timestamp":"20","payload":"EjQAAQ=="}}"#;
    assert_eq!(
        core.handle_text(media),
        Ok(StreamEvent::Audio {
            track: MediaTrack::Inbound,
            chunk: 1,
            timestamp_ms: 20,
            pcm: vec![0x1234, 1]
        })
    );
    let dtmf = r#"{"event":"dtmf","sequenceNumber":"3","dtmf":{"digit":"8","duration":2700}}"#;
    assert_eq!(
        core.handle_text(dtmf),
        Ok(StreamEvent::Dtmf {
            digit: "8".into(),
            duration_ms: 2700
        })
    );
    assert_eq!(core.send_audio(&[0; 480]), Ok(1));
    let sent = drain(&mut core);
    assert!(matches!(&sent[0], OutgoingMessage::Media { payload, .. } if payload.len() == 960));
}

/// The documented examples of the newest docs (envelope) and the plain form read the same.
#[test]
fn both_documented_forms_read_the_same() {
    let envelopes = [
        r#"{"timestamp":"2025-09-26T16:25:04.792Z","direction":"inbound","eventType":"connected","rawEvent":{"event":"connected","protocol":"Call","version":"0.2.0"}}"#,
        r#"{"timestamp":"2025-09-26T16:25:04.794Z","direction":"inbound","eventType":"start","streamSid":"S","callSid":"C","sequenceNumber":"1","rawEvent":{"event":"start","sequenceNumber":"1","start":{"streamSid":"S","accountSid":"A","callSid":"C","tracks":["inbound"],"mediaFormat":{"encoding":"audio/x-L16","sampleRate":24000,"channels":1}}}}"#,
        r#"{"timestamp":"2025-09-26T16:25:24.821Z","direction":"inbound","eventType":"media","streamSid":"S","sequenceNumber":"1002","rawEvent":{"event":"media","sequenceNumber":"1002","media":{"track":"inbound","chunk":"1001","timestamp":"20041","payload":"AAE="}}}"#,
        r#"{"timestamp":"2025-09-26T16:25:15.123Z","direction":"inbound","eventType":"dtmf","streamSid":"S","sequenceNumber":"25","rawEvent":{"event":"dtmf","streamSid":"S","dtmf":{"duration":2700,"digit":"8"}}}"#,
        r#"{"timestamp":"2025-09-26T16:25:24.740Z","direction":"inbound","eventType":"mark","streamSid":"S","rawEvent":{"event":"mark","streamSid":"S","mark":{"name":"item:43500"}}}"#,
        r#"{"timestamp":"2025-09-26T16:25:24.863Z","direction":"inbound","eventType":"stop","streamSid":"S","sequenceNumber":"1002","rawEvent":{"event":"stop","sequenceNumber":"1002"}}"#,
    ];
    let plain = [
        r#"{"event":"connected","protocol":"Call","version":"0.2.0"}"#,
        r#"{"event":"start","sequenceNumber":"1","start":{"streamSid":"S","accountSid":"A","callSid":"C","tracks":["inbound"],"mediaFormat":{"encoding":"audio/x-L16","sampleRate":24000,"channels":1}}}"#,
        r#"{"event":"media","sequenceNumber":"1002","media":{"track":"inbound","chunk":"1001","timestamp":"20041","payload":"AAE="}}"#,
        r#"{"event":"dtmf","sequenceNumber":"25","dtmf":{"duration":2700,"digit":"8"}}"#,
        r#"{"event":"mark","sequenceNumber":"0","mark":{"name":"item:43500"}}"#,
        r#"{"event":"stop","sequenceNumber":"1002"}"#,
    ];
    for (envelope, plain) in envelopes.iter().zip(plain) {
        let read = StreamMessage::parse(envelope);
        assert!(read.is_ok(), "{envelope}: {read:?}");
        assert_eq!(read, StreamMessage::parse(plain), "{envelope}");
    }
    // The envelope's sequence number stands in for one missing from rawEvent.
    assert!(matches!(
        StreamMessage::parse(envelopes[3]),
        Ok(StreamMessage::Dtmf {
            sequence_number: 25,
            ..
        })
    ));
    assert_eq!(
        ServiceMessage::parse(r#"{"event":"clear","streamSid":"S"}"#),
        Ok(ServiceMessage::Cleared)
    );
    assert!(StreamMessage::parse(r#"{"eventType":"x","rawEvent":7}"#).is_err());
    // What we send reads back in either form too (the simulator's side).
    let sent =
        r#"{"eventType":"mark","rawEvent":{"event":"mark","streamSid":"S","mark":{"name":"n"}}}"#;
    assert_eq!(
        OutgoingMessage::parse(sent),
        Ok(OutgoingMessage::Mark {
            stream_sid: "S".into(),
            name: "n".into()
        })
    );
}
