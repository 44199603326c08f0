//! The voice agent: in memory on virtual time (the whole app against the simulator's caller:
//! turns, barge-ins, and what the caller heard), and over loopback sockets on tokio and smol.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use examples::voice_agent::{
    connect_call, media_device, offline_script, run_agent, run_offline, AgentSettings,
    OfflineOptions,
};
use futures_util::StreamExt;
use relay_rs_core::media::read_wav;
use relay_rs_core::receiver::MediaSession;
use relay_rs_core::sim::SimConfig;
use relay_rs_core::testkit::{MemoryRelay, TwoWayScript};
use relay_rs_core::Codec;
use std::time::Duration;

#[test]
fn in_memory_the_agent_replies_to_each_utterance_and_clears_on_barge_in() {
    let relay = MemoryRelay::new(SimConfig::new());
    let url = "wss://agent.test/media";
    let mut listener = relay.two_way().listen(url);
    relay.two_way().set_script(offline_script());
    let client = relay.client().contexts(["office"]).build().unwrap();
    let mut incoming = client.incoming().unwrap();
    relay.start(&client);
    let rt = relay.runtime();
    let (stats, rec) = relay.run(async {
        relay.wait_ready().await;
        relay
            .offer_call("office", "+15551110000", "+15552220000")
            .unwrap();
        let call = incoming.next().await.unwrap();
        let device = media_device(url, Some("media-secret"), Codec::Pcmu, false);
        let app = async {
            let (ws, bearer) = listener.accept().await.unwrap();
            assert_eq!(bearer.as_deref(), Some("media-secret"));
            run_agent(MediaSession::accept(ws, rt), &AgentSettings::default())
                .await
                .unwrap()
        };
        let (connected, stats) = futures_util::future::join(connect_call(call, device), app).await;
        connected.unwrap();
        let rec = relay.two_way().wait_recordings(1).await.remove(0);
        (stats, rec)
    });
    assert_eq!(stats.turns, 3);
    assert_eq!(stats.barge_ins, 1);
    assert_eq!(
        stats.replies_finished, 2,
        "the interrupted reply never finished"
    );
    assert_eq!(rec.clears, 1);
    assert_eq!(rec.marks_cleared, ["reply-2"]);
    // The caller's utterances end at 1.4 s, 4.7 s and 5.9 s; each reply starts 200 ms later
    // (the detector's end silence), on the next 20 ms tick.
    assert_eq!(rec.utterance_ends_ms, [1400.0, 4700.0, 5900.0]);
    let latencies = rec.reply_latencies_ms();
    assert_eq!(latencies.len(), 3);
    assert!(
        latencies.iter().all(|l| (200.0..=220.0).contains(l)),
        "{latencies:?}"
    );
    // What the caller heard: the reply after each utterance ...
    for end in &rec.utterance_ends_ms {
        assert!(
            rec.heard_rms(end + 220.0, end + 500.0) > 2000.0,
            "reply after {end}"
        );
    }
    // ... silence before the first one, and silence from the barge-in (the caller speaks
    // again at 5.3 s; 60 ms later the agent clears) until the third reply.
    assert_eq!(rec.heard_rms(0.0, 1600.0), 0.0);
    assert!(
        rec.heard_rms(5100.0, 5300.0) > 2000.0,
        "the second reply was playing"
    );
    assert_eq!(rec.heard_rms(5400.0, 6100.0), 0.0);
    // The WAV: stereo, the caller left, what was played right.
    let wav = read_wav(&rec.stereo_wav()).unwrap();
    assert_eq!((wav.sample_rate, wav.channels), (8000, 2));
    client.shutdown();
}

/// A short conversation for the socket tests: three utterances, the third a barge-in.
fn short_script() -> TwoWayScript {
    TwoWayScript::new()
        .silence(200)
        .speak(400)
        .silence(900)
        .speak(400)
        .silence(300)
        .speak(300)
        .silence(900)
        .tail(100)
}

fn short_settings() -> AgentSettings {
    AgentSettings {
        reply: Duration::from_millis(500),
        ..AgentSettings::default()
    }
}

fn options(name: &str) -> OfflineOptions {
    OfflineOptions {
        out: std::env::temp_dir().join(format!("voice-agent-{name}-{}.wav", std::process::id())),
        codec: Codec::L16At16k,
        progress: false,
    }
}

fn check(report: &examples::voice_agent::AgentReport, options: &OfflineOptions) {
    assert_eq!(report.stats.turns, 3, "{}", report.summary());
    assert_eq!(report.stats.barge_ins, 1, "{}", report.summary());
    assert_eq!(report.latencies_ms().len(), 3);
    let wav = read_wav(&std::fs::read(&options.out).unwrap()).unwrap();
    assert_eq!((wav.sample_rate, wav.channels), (16_000, 2));
    std::fs::remove_file(&options.out).unwrap();
    assert!(report.summary().starts_with("turns 3, reply latency p50 "));
    assert!(report.summary().ends_with(" ms, barge-ins 1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_loopback_sockets_on_tokio() {
    let options = options("tokio");
    let report = run_offline(
        relay_tokio::runtime(),
        &options,
        short_script(),
        &short_settings(),
    )
    .await
    .unwrap();
    check(&report, &options);
}

#[test]
fn over_loopback_sockets_on_smol() {
    let options = options("smol");
    let report = smol::block_on(run_offline(
        relay_smol::runtime(),
        &options,
        short_script(),
        &short_settings(),
    ))
    .unwrap();
    check(&report, &options);
}
