//! The simulated caller of a two-way stream against the app's media session, in memory on
//! virtual time: scripted speech and digits arrive as 20 ms frames, the app's audio plays at
//! real-time pace, marks come back when their audio has played (at once when nothing is
//! queued), a clear flushes the queue and returns its marks, and the recording shows it all.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use relay_rs_core::media::{MediaFormat, MediaTrack, StartInfo, StreamEvent};
use relay_rs_core::receiver::{MarkOutcome, MediaSession};
use relay_rs_core::sim::SimConfig;
use relay_rs_core::testkit::{
    memory_websocket, run_two_way_caller, CallerRecording, MemoryRelay, TwoWayScript,
};
use std::time::Duration;

fn start(format: MediaFormat) -> StartInfo {
    StartInfo::new(
        "stream-1",
        "project",
        "call-1",
        vec![MediaTrack::Inbound],
        format,
    )
}

fn tone(rate: u32, ms: u32) -> Vec<i16> {
    let n = rate * ms / 1000;
    (0..n)
        .map(|i| {
            ((i as f64 * 1000.0 / f64::from(rate) * std::f64::consts::TAU).sin() * 8000.0) as i16
        })
        .collect()
}

/// Runs the caller and `app` together; the recording and the app's result.
fn with_caller<T, F>(
    format: MediaFormat,
    script: TwoWayScript,
    app: impl FnOnce(MediaSession, MemoryRelay) -> F,
) -> (CallerRecording, T)
where
    F: std::future::Future<Output = T>,
{
    let relay = MemoryRelay::new(SimConfig::new());
    let rt = relay.runtime();
    relay.clone().run(async move {
        let (client, server, bearer) = memory_websocket("ws://agent.test/media", Some("tok"))
            .await
            .unwrap();
        assert_eq!(bearer.as_deref(), Some("tok"));
        let session = MediaSession::accept(server, rt.clone());
        let caller = run_two_way_caller(client, rt, start(format), &script);
        futures_util::future::join(caller, app(session, relay)).await
    })
}

#[test]
fn audio_digits_and_marks_flow_at_real_time_pace() {
    let script = TwoWayScript::new()
        .speak(400)
        .silence(600)
        .digit('5')
        .tail(400);
    let (rec, (frames, digits, reply_acked_at)) = with_caller(
        MediaFormat::pcmu(),
        script,
        |mut session, relay| async move {
            assert!(matches!(
                session.next().await,
                Some(Ok(StreamEvent::Connected { .. }))
            ));
            let Some(Ok(StreamEvent::Started(info))) = session.next().await else {
                panic!("start")
            };
            assert_eq!(info.media_format, MediaFormat::pcmu());
            // Nothing queued: acknowledged at once.
            let empty = session.mark("empty").unwrap();
            session.send_audio(&tone(8000, 200)).unwrap();
            let reply = session.mark("reply").unwrap();
            let began = relay.elapsed();
            let waiter = {
                let relay = relay.clone();
                async move {
                    assert_eq!(empty.await, Ok(MarkOutcome::Played));
                    assert_eq!(reply.await, Ok(MarkOutcome::Played));
                    relay.elapsed() - began
                }
            };
            let reader = async {
                let (mut frames, mut digits) = (0, Vec::new());
                while let Some(event) = session.next().await {
                    match event.unwrap() {
                        StreamEvent::Audio { pcm, .. } => {
                            assert_eq!(pcm.len(), 160);
                            frames += 1;
                        }
                        StreamEvent::Dtmf { digit, .. } => digits.push(digit),
                        StreamEvent::Stopped => break,
                        _ => {}
                    }
                }
                (frames, digits)
            };
            let ((frames, digits), acked) = futures_util::future::join(reader, waiter).await;
            (frames, digits, acked)
        },
    );
    assert_eq!(frames, 80, "1.6 s of the caller in 20 ms frames");
    assert_eq!(digits, ["5"]);
    assert_eq!(rec.marks_played, ["empty", "reply"]);
    // The 200 ms reply plays in real time: its mark comes back once it has played.
    assert!(
        reply_acked_at >= Duration::from_millis(200)
            && reply_acked_at <= Duration::from_millis(240),
        "{reply_acked_at:?}"
    );
    assert!(rec.heard_rms(20.0, 200.0) > 4000.0);
    assert_eq!(rec.heard_rms(240.0, 1600.0), 0.0);
    assert!(rec.caller.len() == rec.heard.len() && rec.caller.len() == 8 * 1600);
    // The reply starts playing on the first tick after it arrives.
    assert_eq!(rec.reply_onsets_ms.len(), 1);
    assert!(rec.reply_onsets_ms[0] <= 21.0, "{:?}", rec.reply_onsets_ms);
    assert_eq!(rec.utterance_ends_ms, [400.0]);
    assert_eq!(rec.clears, 0);
    let wav = relay_rs_core::media::read_wav(&rec.stereo_wav()).unwrap();
    assert_eq!((wav.sample_rate, wav.channels), (8000, 2));
}

#[test]
fn clear_flushes_the_queue_and_returns_pending_marks() {
    let script = TwoWayScript::new().silence(1000).tail(1000);
    let (rec, outcome) = with_caller(
        MediaFormat::pcmu(),
        script,
        |mut session, relay| async move {
            while !matches!(session.next().await, Some(Ok(StreamEvent::Started(_)))) {}
            session.send_audio(&tone(8000, 1500)).unwrap();
            let long = session.mark("long").unwrap();
            relay.sleep(Duration::from_millis(500)).await;
            session.clear().unwrap();
            let outcome = long.await;
            while let Some(Ok(event)) = session.next().await {
                if event == StreamEvent::Stopped {
                    break;
                }
            }
            outcome
        },
    );
    assert_eq!(outcome, Ok(MarkOutcome::Cleared));
    assert_eq!(rec.clears, 1);
    assert_eq!(rec.marks_cleared, ["long"]);
    assert!(rec.marks_played.is_empty());
    assert!(rec.heard_rms(0.0, 480.0) > 4000.0);
    // Nothing plays after the clear (one tick of slack for where it landed).
    assert_eq!(rec.heard_rms(540.0, 2000.0), 0.0);
}

#[test]
fn l16_at_24_khz_runs_in_480_sample_frames() {
    let script = TwoWayScript::new().speak(100).tail(100);
    let (rec, sizes) = with_caller(
        MediaFormat::l16(24_000),
        script,
        |mut session, _| async move {
            let mut sizes = Vec::new();
            while let Some(Ok(event)) = session.next().await {
                match event {
                    StreamEvent::Started(_) => {
                        session.send_audio(&tone(24_000, 100)).unwrap();
                    }
                    StreamEvent::Audio { pcm, .. } => sizes.push(pcm.len()),
                    StreamEvent::Stopped => break,
                    _ => {}
                }
            }
            sizes
        },
    );
    assert_eq!(sizes, vec![480; 10]);
    assert_eq!(rec.sample_rate, 24_000);
    assert!(rec.heard_rms(0.0, 100.0) > 4000.0);
    assert_eq!(
        rec.reply_latencies_ms(),
        Vec::<f64>::new(),
        "the reply began before the utterance ended"
    );
}

/// The simulator end to end in memory: `Call::connect` to a stream device opens the
/// WebSocket to the app's listener (bearer token, L16 at 16 kHz, custom parameters in
/// `start`); the caller's script arrives, the app's reply is heard; hanging up the call
/// stops the caller early.
#[test]
fn a_connect_to_a_stream_device_reaches_the_app_in_memory() {
    use futures_util::StreamExt;
    use relay_rs_core::{Codec, ConnectPlan, Device};
    let relay = MemoryRelay::new(SimConfig::new());
    let url = "wss://agent.test/media";
    let mut listener = relay.two_way().listen(url);
    relay
        .two_way()
        .set_script(TwoWayScript::new().speak(300).silence(5000));
    let client = relay.client().contexts(["office"]).build().unwrap();
    let mut incoming = client.incoming().unwrap();
    relay.start(&client);
    let rt = relay.runtime();
    let recordings = relay.run(async {
        relay.wait_ready().await;
        relay
            .offer_call("office", "+15551110000", "+15552220000")
            .unwrap();
        let call = incoming.next().await.unwrap();
        call.answer().await.unwrap();
        let device = Device::stream(url)
            .codec(Codec::L16At16k)
            .authorization_bearer_token("tok")
            .custom_parameter("lang", "en");
        call.connect(ConnectPlan::single(device)).await.unwrap();
        let (ws, bearer) = listener.accept().await.unwrap();
        assert_eq!(bearer.as_deref(), Some("tok"));
        let mut session = MediaSession::accept(ws, rt);
        let mut frames = 0;
        while let Some(Ok(event)) = session.next().await {
            match event {
                StreamEvent::Started(info) => {
                    assert_eq!(info.media_format, MediaFormat::l16(16_000));
                    assert_eq!(info.call_sid, call.id().as_str());
                    assert_eq!(info.custom_parameters["lang"], "en");
                    session.send_audio(&tone(16_000, 100)).unwrap();
                }
                StreamEvent::Audio { .. } => {
                    frames += 1;
                    if frames == 50 {
                        // One second in: the caller hangs up with the call.
                        call.hangup().await.unwrap();
                    }
                }
                StreamEvent::Stopped => break,
                _ => {}
            }
        }
        relay.two_way().wait_recordings(1).await
    });
    let rec = &recordings[0];
    assert_eq!(rec.sample_rate, 16_000);
    assert!(rec.heard_rms(20.0, 100.0) > 4000.0);
    assert!(
        rec.caller.len() < 16 * 2000,
        "stopped at the hang-up, not after the 5.3 s script"
    );
    client.shutdown();
}

/// An app that sends audio far ahead of real time: the caller queues at most a minute of it
/// and counts what it dropped; the marks still come back in order.
#[test]
fn an_app_flooding_audio_is_bounded() {
    let script = TwoWayScript::new().silence(1000);
    let (rec, _) = with_caller(MediaFormat::pcmu(), script, |mut session, _| async move {
        while !matches!(session.next().await, Some(Ok(StreamEvent::Started(_)))) {}
        // 70 s of audio at once, in pieces the session's own queue takes.
        let sender = session.sender().clone();
        for _ in 0..70 {
            sender.send_audio_wait(&tone(8000, 1000)).await.unwrap();
        }
        while let Some(Ok(event)) = session.next().await {
            if event == StreamEvent::Stopped {
                break;
            }
        }
    });
    // Ten seconds of 20 ms frames over the minute (a few fewer if some played meanwhile).
    assert!(
        (450..=500).contains(&rec.dropped_media),
        "{}",
        rec.dropped_media
    );
    assert!(rec.heard_rms(20.0, 100.0) > 4000.0);
}
