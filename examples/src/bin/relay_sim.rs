//! The local RELAY simulator as a program: serves `ws://` (or `wss://` with `--cert` and
//! `--key`) on loopback, offers calls on an interval, streams real audio to stream urls.
//!
//! `relay_sim [--listen 127.0.0.1:8080] [--cert CERT.pem --key KEY.pem] [--project P]
//! [--token T] [--context office] [--offer-every SECS] [--seconds N] [--wav FILE] [--fast]`

use relay_core::driver::{tls_server_config, AudioSource, Pacing, SimServerBuilder};
use relay_core::media::read_wav;
use relay_core::sim::SimConfig;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

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
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
        cert: None,
        key: None,
        project: "project".into(),
        token: "token".into(),
        context: "office".into(),
        offer_every: None,
        seconds: 10,
        wav: None,
        fast: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => args.listen = value()?.parse().map_err(|e| format!("--listen: {e}"))?,
            "--cert" => args.cert = Some(value()?),
            "--key" => args.key = Some(value()?),
            "--project" => args.project = value()?,
            "--token" => args.token = value()?,
            "--context" => args.context = value()?,
            "--offer-every" => {
                args.offer_every = Some(
                    value()?
                        .parse()
                        .map_err(|e| format!("--offer-every: {e}"))?,
                )
            }
            "--seconds" => {
                args.seconds = value()?.parse().map_err(|e| format!("--seconds: {e}"))?
            }
            "--wav" => args.wav = Some(value()?),
            "--fast" => args.fast = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let mut config = SimConfig::new().credentials(&args.project, &args.token);
    if let Some(secs) = args.offer_every {
        config = config.offer_every(Duration::from_secs(secs), &args.context);
    }
    let audio = match &args.wav {
        Some(path) => {
            let wav = read_wav(&std::fs::read(path)?)?;
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
    match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => {
            builder = builder.tls(tls_server_config(
                &std::fs::read(cert)?,
                &std::fs::read(key)?,
            )?)
        }
        (None, None) => {}
        _ => return Err("--cert and --key go together".into()),
    }
    let sim = builder.start(relay_tokio::runtime()).await?;
    println!(
        "RELAY simulator on {} (project {:?})",
        sim.url(),
        args.project
    );
    println!(
        "SIGNALWIRE_SPACE={} SIGNALWIRE_PROJECT_ID={}",
        sim.host(),
        args.project
    );
    tokio::signal::ctrl_c().await?;
    println!("stopping");
    Ok(())
}
