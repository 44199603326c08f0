//! The local RELAY simulator as a program: serves `ws://` (or `wss://`) on loopback, offers
//! calls, streams real audio to stream urls, and prints the `export` lines a client needs.

use examples::cli::{self, init_tracing, Flag, Program, RUST_LOG};
use relay_tokio::media::read_wav;
use relay_tokio::testkit::{
    tls_server_config, AudioSource, CallerInput, CallerScript, Dialed, Pacing, SimConfig,
    SimServerBuilder, TwoWayScript,
};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const PROGRAM: Program = Program {
    name: "relay_sim",
    about: "The local RELAY simulator: a fake SignalWire RELAY service on loopback. It accepts
clients with the given project and token, offers inbound calls on a context, and for each
calling.stream opens a WebSocket to the stream url and sends real audio (the built-in test
signal, or a WAV file). It prints the variables a client needs as `export` lines; paste them
into another shell and run a client (stream_tokio, the README example). Ctrl-c stops it.",
    positional: &[],
    flags: &[
        Flag::value(
            "--listen",
            "ADDR",
            "address to serve on (default 127.0.0.1:8080; port 0 picks one)",
        ),
        Flag::value(
            "--cert",
            "CERT.pem",
            "serve wss:// with this certificate (with --key)",
        ),
        Flag::value("--key", "KEY.pem", "the certificate's private key"),
        // Two-way streams: what the caller of a connect to a stream device does.
        Flag::value(
            "--caller",
            "SCRIPT",
            "two-way streams: the caller, e.g. silence:500,speak:1200,silence:1500,digit:5,tail:1000",
        ),
        Flag::value(
            "--caller-out",
            "DIR",
            "two-way streams: write caller-N.wav per call (left the caller, right what it heard)",
        ),
        Flag::value(
            "--self-signed-ca",
            "CA.pem",
            "serve wss:// with a throwaway CA and certificate for 127.0.0.1; write the CA here",
        ),
        Flag::value(
            "--project",
            "P",
            "project id clients must give (default project)",
        ),
        Flag::value(
            "--token",
            "T",
            "API token clients must give (default token)",
        ),
        Flag::value(
            "--context",
            "NAME",
            "context calls are offered on (default office)",
        ),
        Flag::value("--offer-every", "SECS", "offer a call every SECS seconds"),
        Flag::value(
            "--offer-calls",
            "N",
            "offer N calls as soon as a client receives the context",
        ),
        Flag::value(
            "--auto-media",
            "MS",
            "finish each stream after MS without opening media sockets (RELAY-only load)",
        ),
        Flag::value(
            "--seconds",
            "N",
            "length of the test signal sent to each stream (default 10)",
        ),
        Flag::value(
            "--wav",
            "FILE",
            "send this WAV file instead of the test signal",
        ),
        Flag::switch(
            "--fast",
            "send media as fast as possible instead of every 20 ms",
        ),
        Flag::value(
            "--media-ca",
            "CA.pem",
            "trust this CA (PEM) for wss:// stream urls, besides the webpki roots",
        ),
        Flag::value(
            "--caller-digits",
            "KEYS",
            "the caller presses KEYS when the app collects input (default 1#)",
        ),
        Flag::value(
            "--caller-says",
            "TEXT",
            "the caller says TEXT when the app collects speech",
        ),
        Flag::switch(
            "--caller-silent",
            "the caller says nothing: collects end with no_input",
        ),
        Flag::value(
            "--caller-hangup-after",
            "SECS",
            "the caller hangs up SECS seconds after the app answers (default never)",
        ),
        Flag::value(
            "--dialed",
            "NUMBER=WHAT",
            "what a dialed (or connected) number does: answer, busy, no-answer or hangup:SECS \
(answers, hangs up SECS later); NUMBER * for every other number; repeat per number",
        ),
        Flag::value(
            "--message-every",
            "SECS",
            "deliver an inbound text (HELP, then hello, …) on the context every SECS seconds",
        ),
    ],
    env: &[RUST_LOG],
};

struct Args {
    listen: SocketAddr,
    cert: Option<String>,
    key: Option<String>,
    project: String,
    token: String,
    context: String,
    offer_every: Option<u64>,
    seconds: u32,
    wav: Option<String>,
    fast: bool,
    self_signed_ca: Option<String>,
    offer_calls: u64,
    auto_media_ms: Option<u64>,
    media_ca: Option<String>,
    message_every: Option<u64>,
    caller: CallerScript,
    dialed: Vec<(String, Dialed)>,
    two_way_caller: Option<TwoWayScript>,
    caller_out: Option<String>,
}

/// The caller's script from its flags.
fn caller_script(parsed: &cli::Parsed) -> Result<CallerScript, cli::CliError> {
    let usage = |m: String| cli::CliError::Usage(m);
    let mut caller = CallerScript::default();
    let inputs = ["--caller-digits", "--caller-says", "--caller-silent"];
    if inputs.iter().filter(|f| parsed.has(f)).count() > 1 {
        return Err(usage(format!("give one of {}", inputs.join(", "))));
    }
    if let Some(keys) = parsed.value("--caller-digits") {
        if keys.is_empty()
            || !keys
                .chars()
                .all(|c| c.is_ascii_digit() || c == '#' || c == '*')
        {
            return Err(usage(format!(
                "--caller-digits {keys:?}: keys are 0-9, # and *"
            )));
        }
        caller.input = CallerInput::Digits(keys.to_owned());
    }
    if let Some(text) = parsed.value("--caller-says") {
        caller.input = CallerInput::speech(text);
    }
    if parsed.has("--caller-silent") {
        caller.input = CallerInput::Silence;
    }
    if let Some(secs) = parsed.parsed::<f64>("--caller-hangup-after")? {
        let after = Duration::try_from_secs_f64(secs)
            .map_err(|e| usage(format!("--caller-hangup-after: {e}")))?;
        caller.hangup_after = Some(after);
    }
    Ok(caller)
}

/// `NUMBER=WHAT` pairs of `--dialed`.
fn dialed(parsed: &cli::Parsed) -> Result<Vec<(String, Dialed)>, cli::CliError> {
    parsed
        .values("--dialed")
        .into_iter()
        .map(|pair| {
            let (number, what) = pair.split_once('=').ok_or_else(|| {
                cli::CliError::Usage(format!("--dialed {pair:?}: expected NUMBER=WHAT"))
            })?;
            let what = what
                .parse()
                .map_err(|e| cli::CliError::Usage(format!("--dialed {number}: {e}")))?;
            Ok((number.to_owned(), what))
        })
        .collect()
}

fn parse_args() -> Args {
    let parsed = PROGRAM.parse_env_args();
    let read = || -> Result<Args, examples::cli::CliError> {
        let text = |name: &str, default: &str| parsed.value(name).unwrap_or(default).to_owned();
        Ok(Args {
            listen: parsed
                .parsed("--listen")?
                .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8080))),
            cert: parsed.value("--cert").map(str::to_owned),
            key: parsed.value("--key").map(str::to_owned),
            project: text("--project", "project"),
            token: text("--token", "token"),
            context: text("--context", "office"),
            offer_every: parsed.parsed("--offer-every")?,
            seconds: parsed.parsed("--seconds")?.unwrap_or(10),
            wav: parsed.value("--wav").map(str::to_owned),
            fast: parsed.has("--fast"),
            self_signed_ca: parsed.value("--self-signed-ca").map(str::to_owned),
            offer_calls: parsed.parsed("--offer-calls")?.unwrap_or(0),
            auto_media_ms: parsed.parsed("--auto-media")?,
            media_ca: parsed.value("--media-ca").map(str::to_owned),
            message_every: parsed.parsed("--message-every")?,
            caller: caller_script(&parsed)?,
            dialed: dialed(&parsed)?,
            two_way_caller: match parsed.value("--caller") {
                Some(text) => Some(
                    TwoWayScript::parse(text)
                        .map_err(|e| examples::cli::CliError::Usage(format!("--caller {e}")))?,
                ),
                None => None,
            },
            caller_out: parsed.value("--caller-out").map(str::to_owned),
        })
    };
    match read() {
        Ok(args) if args.cert.is_some() != args.key.is_some() => {
            PROGRAM.fail("--cert and --key go together")
        }
        Ok(args) if args.cert.is_some() && args.self_signed_ca.is_some() => {
            PROGRAM.fail("--self-signed-ca makes its own certificate: drop --cert/--key")
        }
        Ok(args) => args,
        Err(e) => PROGRAM.fail(&e.to_string()),
    }
}

/// `value` as one shell word: bare when it is plain, else single-quoted.
fn shell_word(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.,:/+@%=".contains(c));
    if plain {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args();
    init_tracing(cli::LOG_SESSIONS);
    let mut config = SimConfig::new()
        .credentials(&args.project, &args.token)
        .caller(args.caller.clone());
    for (number, what) in &args.dialed {
        config = config.dialed(number, *what);
    }
    if let Some(ms) = args.auto_media_ms {
        config = config
            .auto_media(Duration::from_millis(ms))
            .record_frames(false);
    }
    if let Some(secs) = args.offer_every {
        config = config.offer_every(Duration::from_secs(secs), &args.context);
    }
    let audio = match &args.wav {
        Some(path) => {
            let wav = read_wav(&std::fs::read(path).map_err(|e| format!("{path}: {e}"))?)?;
            AudioSource::Samples {
                sample_rate: wav.sample_rate,
                samples: Arc::new(wav.samples),
            }
        }
        None => AudioSource::TestSignal {
            duration_ms: args.seconds * 1000,
        },
    };
    let mut builder = SimServerBuilder::new(config)
        .addr(args.listen)
        .audio(audio)
        .pacing(if args.fast {
            Pacing::Fast
        } else {
            Pacing::RealTime
        });
    if let Some(path) = &args.media_ca {
        builder = builder.media_ca_pem(std::fs::read(path).map_err(|e| format!("{path}: {e}"))?);
    }
    let mut ca_file = None;
    if let (Some(cert), Some(key)) = (&args.cert, &args.key) {
        builder = builder.tls(tls_server_config(
            &std::fs::read(cert).map_err(|e| format!("{cert}: {e}"))?,
            &std::fs::read(key).map_err(|e| format!("{key}: {e}"))?,
        )?);
    } else if let Some(path) = &args.self_signed_ca {
        let (ca, cert, key) = self_signed()?;
        std::fs::write(path, ca).map_err(|e| format!("{path}: {e}"))?;
        // Absolute, so the export line works from any directory.
        ca_file = Some(std::fs::canonicalize(Path::new(path))?);
        builder = builder.tls(tls_server_config(cert.as_bytes(), key.as_bytes())?);
    }
    let tls = args.cert.is_some() || ca_file.is_some();
    let sim = builder.start(relay_tokio::runtime()).await?;
    // Two-way streams: the caller's script, and its recordings as each call ends.
    if let Some(script) = &args.two_way_caller {
        sim.two_way().set_script(script.clone());
    }
    if let Some(dir) = args.caller_out.clone() {
        let callers = sim.two_way().clone();
        tokio::spawn(async move {
            for n in 1.. {
                let Some(rec) = callers.wait_recordings(n).await.pop() else {
                    break;
                };
                let path = Path::new(&dir).join(format!("caller-{n}.wav"));
                match std::fs::write(&path, rec.stereo_wav()) {
                    Ok(()) => println!(
                        "caller {n}: {} (turn latencies {:?} ms)",
                        path.display(),
                        rec.reply_latencies_ms()
                    ),
                    Err(e) => eprintln!("{}: {e}", path.display()),
                }
            }
        });
    }
    // The first line is read by scripts/bench/run.py: keep the url in it.
    println!(
        "RELAY simulator on {} (project {:?}, context {:?})",
        sim.url(),
        args.project,
        args.context
    );
    println!("# paste into another shell, then run a client (e.g. stream_tokio):");
    let mut exports = vec![
        ("SIGNALWIRE_SPACE", sim.host()),
        ("SIGNALWIRE_PROJECT_ID", args.project.clone()),
        ("SIGNALWIRE_API_TOKEN", args.token.clone()),
    ];
    if !tls {
        exports.push(("SIGNALWIRE_RELAY_SCHEME", "ws".to_owned()));
    }
    if let Some(path) = &ca_file {
        exports.push(("SIGNALWIRE_RELAY_CA_FILE", path.display().to_string()));
    }
    exports.push(("SIGNALWIRE_CONTEXTS", args.context.clone()));
    for (name, value) in exports {
        println!("export {name}={}", shell_word(&value));
    }
    // A JWT from an earlier session would win over the project and token.
    println!("unset SIGNALWIRE_JWT_TOKEN");
    if args.offer_calls > 0 {
        let runtime = relay_tokio::runtime();
        let offered = sim
            .offer_calls(runtime.as_ref(), &args.context, args.offer_calls)
            .await;
        println!("offered {offered} calls");
    }
    let stop = tokio::signal::ctrl_c();
    match args.message_every {
        Some(secs) => {
            let mut stop = std::pin::pin!(stop);
            let every = Duration::from_secs(secs.max(1));
            for n in 0u64.. {
                tokio::select! {
                    done = &mut stop => { done?; break; }
                    _ = tokio::time::sleep(every) => {}
                }
                let body = if n % 2 == 0 { "HELP" } else { "hello" };
                let to = "+15552000000";
                let from = format!("+1555300{:04}", n % 10_000);
                if sim
                    .deliver_message(&args.context, &from, to, body)
                    .await
                    .is_some()
                {
                    println!("delivered {body:?} from {from}");
                }
            }
        }
        None => stop.await?,
    }
    println!("stopping");
    Ok(())
}

/// A throwaway CA and a server certificate for 127.0.0.1 and localhost: (CA, cert, key) PEM.
fn self_signed() -> Result<(String, String, String), rcgen::Error> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "relay_sim throwaway CA");
    let ca = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(vec!["localhost".to_owned()])?;
    params
        .subject_alt_names
        .push(SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])));
    let cert = params.signed_by(&key, &issuer)?;
    Ok((ca.pem(), cert.pem(), key.serialize_pem()))
}
