//! The offline demo: simulator, seed app and stream receiver in one process, on any runtime.
//! It checks that the WAV it writes holds the simulator's audio sample for sample (after the
//! G.711 round trip) and reports frames, milliseconds, gaps and custom parameters.

use crate::cli::{Flag, Parsed, Program};
use crate::{handle_call, live, AppSettings};
use relay_tokio::media::{test_signal, write_wav, Encoding, MediaTrack};
use relay_tokio::receiver::{ServerRuntime, StreamEvent, StreamReceiver};
use relay_tokio::testkit::{AudioSource, Pacing, SimConfig, SimServerBuilder};
use relay_tokio::{ActionOutcome, ClientBuilder};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

type DemoError = Box<dyn std::error::Error + Send + Sync>;

const PROJECT: &str = "demo-project";
const TOKEN: &str = "demo-token";
const STREAM_TOKEN: &str = "demo-stream-secret";
const CONTEXT: &str = "office";

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoOptions {
    /// Length of the simulated caller's audio.
    pub seconds: u32,
    /// Send media as fast as possible instead of every 20 ms.
    pub fast: bool,
    /// Where the WAV goes.
    pub out: PathBuf,
    /// Print progress while audio arrives.
    pub progress: bool,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            seconds: 3,
            fast: false,
            out: PathBuf::from("stream-demo.wav"),
            progress: true,
        }
    }
}

/// The `demo` program's command line.
pub const PROGRAM: Program = Program {
    name: "demo",
    about: "The whole job on this machine, no account needed: a local RELAY simulator offers a
call, the seed's app answers it and streams its inbound audio (the simulator's built-in test
signal) as PCMU with custom parameters, and a stream receiver writes what arrives to a WAV
file and prints a summary. With SIGNALWIRE_PROJECT_ID (or SIGNALWIRE_JWT_TOKEN) set, the
same app runs against that RELAY service instead, as stream_tokio does.",
    positional: &[],
    flags: &[
        Flag::value(
            "--seconds",
            "N",
            "length of the caller's audio, 1 to 3600 (default 3)",
        ),
        Flag::switch(
            "--fast",
            "send media as fast as possible instead of every 20 ms",
        ),
        Flag::value(
            "--out",
            "FILE",
            "where the WAV goes (default stream-demo.wav)",
        ),
        Flag::switch("--quiet", "no progress lines while audio arrives"),
        Flag::switch(
            "--insecure-loopback",
            "live mode: allow a ws:// STREAM_URL on a loopback host",
        ),
    ],
    env: live::ENV,
};

impl DemoOptions {
    /// Reads `--seconds N`, `--fast`, `--out FILE`, `--quiet` (see [`PROGRAM`]).
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let parsed = PROGRAM.parse(args).map_err(|e| e.to_string())?;
        Self::from_parsed(&parsed)
    }

    /// The options of arguments already checked against [`PROGRAM`].
    pub fn from_parsed(parsed: &Parsed) -> Result<Self, String> {
        let mut options = Self {
            fast: parsed.has("--fast"),
            progress: !parsed.has("--quiet"),
            ..Self::default()
        };
        if let Some(value) = parsed.value("--seconds") {
            options.seconds = value
                .parse()
                .ok()
                .filter(|s| (1..=3600).contains(s))
                .ok_or_else(|| format!("--seconds {value}: give 1 to 3600"))?;
        }
        if let Some(out) = parsed.value("--out") {
            options.out = out.into();
        }
        Ok(options)
    }
}

/// What the demo saw.
#[derive(Debug, Clone)]
pub struct DemoReport {
    /// The WAV written.
    pub out: PathBuf,
    /// `media` frames received.
    pub frames: u64,
    /// Milliseconds of audio placed.
    pub audio_ms: u64,
    /// Gaps found, as (at ms, missing ms).
    pub gaps: Vec<(u64, u64)>,
    /// The start message's custom parameters.
    pub custom_parameters: serde_json::Map<String, serde_json::Value>,
    /// The start message's encoding.
    pub encoding: String,
    /// Whether the `stop` message arrived.
    pub stopped: bool,
    /// How the app's stream ended.
    pub outcome: Option<ActionOutcome>,
    /// Whether the WAV equals the simulator's source after the G.711 round trip.
    pub matches_source: bool,
    /// Wall time of the whole run.
    pub elapsed: Duration,
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "\n== stream demo summary")?;
        writeln!(f, "wav file           {}", self.out.display())?;
        writeln!(f, "media frames       {}", self.frames)?;
        writeln!(
            f,
            "audio              {} ms ({})",
            self.audio_ms, self.encoding
        )?;
        writeln!(f, "gaps               {}", self.gaps.len())?;
        for (at, missing) in &self.gaps {
            writeln!(f, "  at {at} ms: {missing} ms missing")?;
        }
        writeln!(
            f,
            "custom parameters  {}",
            serde_json::Value::Object(self.custom_parameters.clone())
        )?;
        writeln!(
            f,
            "stop message       {}",
            if self.stopped { "yes" } else { "no" }
        )?;
        if let Some(outcome) = &self.outcome {
            writeln!(f, "app saw            {}", crate::describe(outcome))?;
        }
        writeln!(
            f,
            "matches the source {}",
            if self.matches_source {
                "yes, sample for sample after G.711"
            } else {
                "NO"
            }
        )?;
        writeln!(f, "took               {:.2} s", self.elapsed.as_secs_f64())
    }
}

/// Runs simulator, app and receiver on `runtime` and writes the WAV.
pub async fn run_offline(
    runtime: Arc<dyn ServerRuntime>,
    options: &DemoOptions,
) -> Result<DemoReport, DemoError> {
    let began = Instant::now();
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut receiver = StreamReceiver::builder()
        .bearer_token(STREAM_TOKEN)
        .bind(runtime.clone(), loopback)
        .await?;
    let duration_ms = options.seconds * 1000;
    let sim = SimServerBuilder::new(SimConfig::new().credentials(PROJECT, TOKEN))
        .audio(AudioSource::TestSignal { duration_ms })
        .pacing(if options.fast {
            Pacing::Fast
        } else {
            Pacing::RealTime
        })
        .start(runtime.clone())
        .await?;
    say(options, &format!("simulator      {}", sim.url()));
    say(options, &format!("receiver       {}", receiver.url()?));

    let client = ClientBuilder::new(runtime.clone())
        .project_token(PROJECT, TOKEN)
        .host(sim.host())
        .allow_insecure_loopback(true)
        .contexts([CONTEXT])
        .build()?;
    let settings = Arc::new(AppSettings {
        stream_url: receiver.url()?,
        bearer_token: Some(STREAM_TOKEN.into()),
        stream_for: None,
        insecure_loopback: true,
    });
    let (outcome_tx, outcome_rx) = futures_channel::oneshot::channel();
    let outcome_tx = Arc::new(std::sync::Mutex::new(Some(outcome_tx)));
    client.on_call(move |call| {
        let settings = settings.clone();
        let outcome_tx = outcome_tx.clone();
        async move {
            let outcome = handle_call(call, &settings).await;
            let sender = outcome_tx.lock().ok().and_then(|mut slot| slot.take());
            if let Some(sender) = sender {
                let _ = sender.send(outcome);
            }
        }
    });
    let running = client.clone();
    runtime.spawn(Box::pin(async move {
        if let Err(e) = running.run().await {
            eprintln!("client stopped: {e}");
        }
    }));

    // The call can only be offered once the app's session receives the context.
    let call_id = loop {
        if let Some(call_id) = sim
            .offer_call(CONTEXT, "+15551230001", "+15559870002")
            .await
        {
            break call_id;
        }
        if began.elapsed() > Duration::from_secs(10) {
            return Err("the app did not connect to the simulator within 10 s".into());
        }
        runtime.sleep(Duration::from_millis(10)).await;
    };
    say(options, &format!("call offered   {call_id}"));

    let mut stream = receiver.accept().await?.open().await?;
    let mut frames = 0u64;
    let mut stopped = false;
    while let Some(event) = stream.next().await {
        match event? {
            StreamEvent::Started(start) => say(
                options,
                &format!(
                    "stream started {} tracks {:?}",
                    start.media_format.encoding.mime(),
                    start.tracks
                ),
            ),
            StreamEvent::Audio { .. } => {
                frames += 1;
                // Whole lines, one a second: other tasks (the app's `on_completed`) print
                // too, and a `\r` line of ours would run into theirs.
                if frames % 50 == 0 {
                    say(
                        options,
                        &format!("receiving      {:>5} frames, {:>4} s", frames, frames / 50),
                    );
                }
            }
            StreamEvent::Stopped => {
                stopped = true;
                break;
            }
            _ => {}
        }
    }
    let start = stream
        .start()
        .cloned()
        .ok_or("the stream sent no start message")?;
    let assembler = stream
        .assembler()
        .ok_or("the stream sent no start message")?;
    let samples = assembler.samples(MediaTrack::Inbound).to_vec();
    let gaps = assembler
        .gaps()
        .iter()
        .map(|gap| (gap.at_ms, gap.missing_ms))
        .collect();
    let rate = start.media_format.sample_rate;
    let file = std::fs::File::create(&options.out)
        .map_err(|e| format!("cannot write {}: {e}", options.out.display()))?;
    write_wav(std::io::BufWriter::new(file), rate, 1, &samples)?;

    let encoding = start.media_format.encoding;
    let expected = round_trip(encoding, &test_signal(rate, duration_ms));
    let outcome = match futures_util::future::select(
        outcome_rx,
        runtime.sleep(Duration::from_secs(10)),
    )
    .await
    {
        futures_util::future::Either::Left((Ok(Ok(outcome)), _)) => Some(outcome),
        futures_util::future::Either::Left((Ok(Err(e)), _)) => {
            return Err(format!("the app failed: {e}").into())
        }
        _ => None,
    };
    client.shutdown();
    Ok(DemoReport {
        out: options.out.clone(),
        frames,
        audio_ms: samples.len() as u64 * 1000 / u64::from(rate.max(1)),
        gaps,
        custom_parameters: start.custom_parameters.clone(),
        encoding: encoding.mime().to_owned(),
        stopped,
        outcome,
        matches_source: samples == expected,
        elapsed: began.elapsed(),
    })
}

/// What the source audio becomes after encoding and decoding with `encoding`.
fn round_trip(encoding: Encoding, samples: &[i16]) -> Vec<i16> {
    encoding.decode(&encoding.encode(samples))
}

fn say(options: &DemoOptions, line: &str) {
    if options.progress {
        println!("{line}");
    }
}
