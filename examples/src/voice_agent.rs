//! A voice agent on a live call: it answers, connects the call to its own two-way media
//! session, hears the end of each caller utterance with an energy detector, replies with a
//! generated chirp, stops and `clear`s when the caller barges in, and knows from a mark when
//! its reply has played. Offline by default (simulator, app and media listener in one
//! process); with `SIGNALWIRE_*` set, against the real service.

use crate::cli::{Flag, Parsed, Program};
use relay_rs_core::driver::{Call, ClientBuilder};
use relay_rs_core::media::{MediaTrack, StreamEvent};
use relay_rs_core::receiver::{MediaListener, MediaSession, ServerRuntime};
use relay_rs_core::sim::SimConfig;
use relay_rs_core::testkit::{CallerRecording, SimServerBuilder, TwoWayScript};
use relay_rs_core::{Codec, ConnectPlan, Device};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

type AgentError = Box<dyn std::error::Error + Send + Sync>;

const PROJECT: &str = "voice-agent-project";
const TOKEN: &str = "voice-agent-token";
const MEDIA_TOKEN: &str = "voice-agent-media-secret";
const CONTEXT: &str = "office";

/// The `voice_agent` program's command line.
pub const PROGRAM: Program = Program {
    name: "voice_agent",
    about: "A voice agent on a two-way stream. Offline (the default): a local RELAY simulator
offers a call whose scripted caller speaks three times (barging in once); the agent answers,
connects the call to its own media listener, replies to each utterance with a chirp, clears
when interrupted, writes what the caller heard (stereo: left the caller, right the agent) and
prints `turns N, reply latency p50 X ms, p99 Y ms, barge-ins B`. With SIGNALWIRE_PROJECT_ID
(or SIGNALWIRE_JWT_TOKEN) set it answers calls on the real service and connects them to
--media-url (or VOICE_AGENT_MEDIA_URL), served by its listener on --listen.",
    positional: &[],
    flags: &[
        Flag::value(
            "--out",
            "FILE",
            "offline: where the WAV goes (default voice-agent.wav)",
        ),
        Flag::value(
            "--codec",
            "CODEC",
            "PCMU (default), PCMA, L16@16000h or L16@24000h",
        ),
        Flag::value(
            "--listen",
            "ADDR",
            "live: where the media listener binds (default 127.0.0.1:8089)",
        ),
        Flag::value(
            "--media-url",
            "URL",
            "live: the wss:// url the service reaches the listener at",
        ),
        Flag::switch("--quiet", "offline: no progress lines"),
        Flag::switch(
            "--insecure-loopback",
            "live: allow a ws:// media url on a loopback host (e.g. against relay_sim)",
        ),
    ],
    env: crate::live_env!(
        (
            "VOICE_AGENT_MEDIA_URL",
            "live: the media url when --media-url is not given",
        ),
        (
            "VOICE_AGENT_MEDIA_TOKEN",
            "live: bearer token the service sends to the listener",
        ),
    ),
};

/// How the agent listens and replies.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentSettings {
    /// RMS of a 20 ms frame above which the caller is speaking.
    pub threshold: f64,
    /// Speech shorter than this is noise, not an utterance.
    pub min_speech: Duration,
    /// Silence after speech that ends an utterance.
    pub end_silence: Duration,
    /// Speech while the reply plays that counts as a barge-in.
    pub barge_in: Duration,
    /// Length of each reply.
    pub reply: Duration,
}

impl Default for AgentSettings {
    fn default() -> Self {
        Self {
            threshold: 500.0,
            min_speech: Duration::from_millis(100),
            end_silence: Duration::from_millis(200),
            barge_in: Duration::from_millis(60),
            reply: Duration::from_millis(1500),
        }
    }
}

/// What the agent did on one stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AgentStats {
    /// Utterances answered.
    pub turns: u32,
    /// Replies cut short by the caller.
    pub barge_ins: u32,
    /// Replies that played to their end (their mark came back played).
    pub replies_finished: u32,
}

/// The reply: a chirp from 400 to 800 Hz with 10 ms fades, at `rate`.
pub fn reply_audio(rate: u32, length: Duration) -> Vec<i16> {
    let n = (u128::from(rate) * length.as_millis() / 1000) as usize;
    let fade = (rate / 100).max(1) as usize;
    let secs = length.as_secs_f64().max(1e-3);
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            // Phase of a linear sweep f(t) = 400 + 400 t / secs.
            let phase = std::f64::consts::TAU * (400.0 * t + 200.0 * t * t / secs);
            let gain = (i.min(n - i) as f64 / fade as f64).min(1.0);
            (phase.sin() * 7000.0 * gain) as i16
        })
        .collect()
}

fn rms(pcm: &[i16]) -> f64 {
    if pcm.is_empty() {
        return 0.0;
    }
    let sum: f64 = pcm.iter().map(|s| f64::from(*s).powi(2)).sum();
    (sum / pcm.len() as f64).sqrt()
}

/// Runs the agent on one media session until the stream stops.
pub async fn run_agent(
    mut session: MediaSession,
    settings: &AgentSettings,
) -> Result<AgentStats, AgentError> {
    let mut stats = AgentStats::default();
    let mut rate = 8000;
    let (mut speech, mut silence) = (Duration::ZERO, Duration::ZERO);
    // The mark that ends the reply playing now, if one is.
    let mut playing: Option<String> = None;
    while let Some(event) = session.next().await {
        match event? {
            StreamEvent::Started(info) => rate = info.media_format.sample_rate.max(1),
            StreamEvent::Audio {
                track: MediaTrack::Inbound,
                pcm,
                ..
            } => {
                let frame = Duration::from_micros(pcm.len() as u64 * 1_000_000 / u64::from(rate));
                if rms(&pcm) > settings.threshold {
                    speech += frame;
                    silence = Duration::ZERO;
                    if playing.is_some() && speech >= settings.barge_in {
                        // The caller talks over the reply: stop talking at once.
                        session.clear()?;
                        playing = None;
                        stats.barge_ins += 1;
                    }
                } else if speech >= settings.min_speech {
                    silence += frame;
                    if silence >= settings.end_silence {
                        stats.turns += 1;
                        speech = Duration::ZERO;
                        let sender = session.sender().clone();
                        sender
                            .send_audio_wait(&reply_audio(rate, settings.reply))
                            .await?;
                        sender.flush_audio()?;
                        let name = format!("reply-{}", stats.turns);
                        // The handle is not awaited: the mark's event says when it played.
                        drop(sender.mark(&name)?);
                        playing = Some(name);
                    }
                } else {
                    speech = Duration::ZERO;
                }
            }
            StreamEvent::MarkPlayed { name, .. } if playing.as_ref() == Some(&name) => {
                playing = None;
                stats.replies_finished += 1;
            }
            StreamEvent::Stopped => break,
            _ => {}
        }
    }
    Ok(stats)
}

/// Answers `call` and connects it to the media session at `device`; the peer leg is the
/// stream.
pub async fn connect_call(call: Call, device: Device) -> Result<(), AgentError> {
    call.answer().await?;
    call.connect(ConnectPlan::single(device)).await?;
    Ok(())
}

/// The stream device the agent connects calls to.
pub fn media_device(url: &str, token: Option<&str>, codec: Codec, loopback: bool) -> Device {
    let mut device = Device::stream(url)
        .codec(codec)
        .realtime(true)
        .custom_parameter("agent", "voice_agent")
        .allow_insecure_loopback(loopback);
    if let Some(token) = token {
        device = device.authorization_bearer_token(token);
    }
    device.into()
}

/// What the caller says offline: three utterances, the third while the second reply plays.
pub fn offline_script() -> TwoWayScript {
    TwoWayScript::new()
        .silence(400)
        .speak(1000)
        .silence(2500)
        .speak(800)
        .silence(600)
        .speak(600)
        .silence(2500)
        .tail(300)
}

/// The offline options.
#[derive(Debug, Clone, PartialEq)]
pub struct OfflineOptions {
    /// Where the WAV goes.
    pub out: PathBuf,
    /// The stream's codec.
    pub codec: Codec,
    /// Progress lines.
    pub progress: bool,
}

impl Default for OfflineOptions {
    fn default() -> Self {
        Self {
            out: PathBuf::from("voice-agent.wav"),
            codec: Codec::Pcmu,
            progress: true,
        }
    }
}

/// Reads a `--codec` value.
pub fn parse_codec(value: &str) -> Result<Codec, String> {
    match Codec::from_wire(value) {
        codec @ (Codec::Pcmu | Codec::Pcma | Codec::L16At16k | Codec::L16At24k) => Ok(codec),
        _ => Err(format!(
            "--codec {value}: give PCMU, PCMA, L16@16000h or L16@24000h"
        )),
    }
}

impl OfflineOptions {
    /// The options of arguments checked against [`PROGRAM`].
    pub fn from_parsed(parsed: &Parsed) -> Result<Self, String> {
        let mut options = Self {
            progress: !parsed.has("--quiet"),
            ..Self::default()
        };
        if let Some(out) = parsed.value("--out") {
            options.out = out.into();
        }
        if let Some(codec) = parsed.value("--codec") {
            options.codec = parse_codec(codec)?;
        }
        Ok(options)
    }
}

/// What an offline run saw.
#[derive(Debug, Clone)]
pub struct AgentReport {
    /// The agent's side.
    pub stats: AgentStats,
    /// The caller's side.
    pub recording: CallerRecording,
}

/// The `q` quantile (0..=1) of `values`, nearest rank; 0 when empty.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

impl AgentReport {
    /// Reply latencies as the caller heard them, ms.
    pub fn latencies_ms(&self) -> Vec<f64> {
        self.recording.reply_latencies_ms()
    }

    /// The one summary line.
    pub fn summary(&self) -> String {
        let latencies = self.latencies_ms();
        format!(
            "turns {}, reply latency p50 {:.0} ms, p99 {:.0} ms, barge-ins {}",
            self.stats.turns,
            quantile(&latencies, 0.5),
            quantile(&latencies, 0.99),
            self.stats.barge_ins
        )
    }
}

/// Simulator, app and media listener on `runtime`, on loopback; `script` is the caller.
pub async fn run_offline<R: ServerRuntime>(
    runtime: Arc<R>,
    options: &OfflineOptions,
    script: TwoWayScript,
    settings: &AgentSettings,
) -> Result<AgentReport, AgentError> {
    let began = Instant::now();
    let rt: Arc<dyn ServerRuntime> = runtime.clone();
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut listener = MediaListener::bind(
        runtime,
        loopback,
        None,
        Some(MEDIA_TOKEN.into()),
        MediaSession::builder(),
    )
    .await?;
    let url = listener.url()?;
    let sim = SimServerBuilder::new(SimConfig::new().credentials(PROJECT, TOKEN))
        .start(rt.clone())
        .await?;
    sim.two_way().set_script(script);
    say(
        options,
        &format!("simulator  {}\nmedia      {url}", sim.url()),
    );
    let client = ClientBuilder::new(rt.clone())
        .project_token(PROJECT, TOKEN)
        .host(sim.host())
        .allow_insecure_loopback(true)
        .contexts([CONTEXT])
        .build()?;
    let device = media_device(&url, Some(MEDIA_TOKEN), options.codec.clone(), true);
    client.on_call(move |call| {
        let device = device.clone();
        async move {
            if let Err(error) = connect_call(call, device).await {
                eprintln!("voice_agent: the call failed: {error}");
            }
        }
    });
    let running = client.clone();
    rt.spawn(Box::pin(async move {
        if let Err(error) = running.run().await {
            eprintln!("voice_agent: client stopped: {error}");
        }
    }));
    loop {
        if let Some(call_id) = sim
            .offer_call(CONTEXT, "+15551230001", "+15559870002")
            .await
        {
            say(options, &format!("call       {call_id}"));
            break;
        }
        if began.elapsed() > Duration::from_secs(10) {
            return Err("the app did not connect to the simulator within 10 s".into());
        }
        rt.sleep(Duration::from_millis(10)).await;
    }
    let (session, _) = listener.accept().await??;
    let stats = run_agent(session, settings).await?;
    let recording = sim
        .two_way()
        .wait_recordings(1)
        .await
        .into_iter()
        .next()
        .ok_or("the simulated caller left no recording")?;
    client.shutdown();
    std::fs::write(&options.out, recording.stereo_wav())
        .map_err(|e| format!("cannot write {}: {e}", options.out.display()))?;
    say(options, &format!("wav        {}", options.out.display()));
    Ok(AgentReport { stats, recording })
}

fn say(options: &OfflineOptions, line: &str) {
    if options.progress {
        println!("{line}");
    }
}

/// Against the real service: answers calls on the contexts of the environment and connects
/// each to the media url, served by a listener on `--listen`; one line per stream.
pub async fn run_live(parsed: &Parsed) -> Result<(), AgentError> {
    let media_url = parsed
        .value("--media-url")
        .map(str::to_owned)
        .or_else(|| std::env::var("VOICE_AGENT_MEDIA_URL").ok())
        .filter(|u| !u.is_empty())
        .ok_or("live mode needs --media-url or VOICE_AGENT_MEDIA_URL")?;
    let codec = parse_codec(parsed.value("--codec").unwrap_or("PCMU"))?;
    let token = std::env::var("VOICE_AGENT_MEDIA_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    let listen: SocketAddr = parsed
        .value("--listen")
        .unwrap_or("127.0.0.1:8089")
        .parse()
        .map_err(|e| format!("--listen: {e}"))?;
    let runtime = relay_tokio::runtime();
    let mut listener = MediaListener::bind(
        runtime,
        listen,
        None,
        token.clone(),
        MediaSession::builder(),
    )
    .await?;
    let client = crate::live::client_builder(relay_tokio::client())?.build()?;
    let loopback = parsed.has("--insecure-loopback");
    let device = media_device(&media_url, token.as_deref(), codec, loopback);
    client.on_call(move |call| {
        let device = device.clone();
        async move {
            if let Err(error) = connect_call(call, device).await {
                eprintln!("voice_agent: the call failed: {error}");
            }
        }
    });
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok(Ok((session, _))) => {
                    tokio::spawn(async move {
                        match run_agent(session, &AgentSettings::default()).await {
                            Ok(stats) => {
                                println!("turns {}, barge-ins {}", stats.turns, stats.barge_ins)
                            }
                            Err(error) => eprintln!("voice_agent: stream failed: {error}"),
                        }
                    });
                }
                Ok(Err(error)) => eprintln!("voice_agent: refused a stream: {error}"),
                Err(error) => {
                    eprintln!("voice_agent: the listener failed: {error}");
                    break;
                }
            }
        }
    });
    let stopper = client.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stopper.shutdown();
        }
    });
    client.run().await?;
    Ok(())
}
