//! The local RELAY simulator as a program: serves `ws://` (or `wss://` with `--cert` and
//! `--key`) on loopback, offers calls on an interval, streams real audio to stream urls.
//!
//! `relay_sim [--listen 127.0.0.1:8080] [--cert CERT.pem --key KEY.pem | --self-signed-ca CA.pem]
//! [--project P] [--token T] [--context office] [--offer-every SECS] [--offer-calls N]
//! [--auto-media MS] [--seconds N] [--wav FILE] [--fast]`
//!
//! `--self-signed-ca` makes a throwaway CA and a certificate for 127.0.0.1 and writes the CA
//! to the file, for clients told to trust it (`SIGNALWIRE_RELAY_CA_FILE`). `--offer-calls N`
//! offers N calls as soon as a client receives the context; `--auto-media MS` finishes each
//! stream after MS without opening media sockets (RELAY-only load).

use relay_tokio::media::read_wav;
use relay_tokio::testkit::{tls_server_config, AudioSource, Pacing, SimConfig, SimServerBuilder};
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
    self_signed_ca: Option<String>,
    offer_calls: u64,
    auto_media_ms: Option<u64>,
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
        self_signed_ca: None,
        offer_calls: 0,
        auto_media_ms: None,
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
            "--self-signed-ca" => args.self_signed_ca = Some(value()?),
            "--offer-calls" => {
                args.offer_calls = value()?
                    .parse()
                    .map_err(|e| format!("--offer-calls: {e}"))?
            }
            "--auto-media" => {
                args.auto_media_ms =
                    Some(value()?.parse().map_err(|e| format!("--auto-media: {e}"))?)
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let mut config = SimConfig::new().credentials(&args.project, &args.token);
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
        (None, None) => {
            if let Some(ca_file) = &args.self_signed_ca {
                let (ca, cert, key) = self_signed()?;
                std::fs::write(ca_file, ca)?;
                builder = builder.tls(tls_server_config(cert.as_bytes(), key.as_bytes())?);
            }
        }
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
    if args.offer_calls > 0 {
        let runtime = relay_tokio::runtime();
        let offered = sim
            .offer_calls(runtime.as_ref(), &args.context, args.offer_calls)
            .await;
        println!("offered {offered} calls");
    }
    tokio::signal::ctrl_c().await?;
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
