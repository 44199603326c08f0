//! A stream receiver you can run on its own: point `calling.stream` (or `relay_sim`) at it,
//! and it writes one WAV per stream (one per track with both tracks) and prints a line per
//! stream. Run with `--help` for the flags.

use relay_tokio::media::DEFAULT_SILENCE_ALLOWANCE_MS;
use relay_tokio::media::{clip, write_wav, MediaTrack};
use relay_tokio::receiver::{
    tls_server_config, IncomingStream, ReceiveError, StreamEvent, StreamReceiver,
    DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MEMORY_BUDGET, DEFAULT_START_TIMEOUT,
};
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const USAGE: &str = "\
Usage: stream_receiver [OPTIONS]

Receives call audio streamed by `calling.stream` and writes it to WAV files: one per stream,
or one per track (<sid>-inbound.wav, <sid>-outbound.wav) when the stream has both tracks.
A stream that passes a bound (time-outs, silence allowance, memory budget, disk quota) is
closed with a close frame naming it, and one line on stderr says so.
Prints the url to stream to, then one line per finished stream:
  call=<call id> stream=<stream sid> tracks=<tracks> ms=<ms of audio per track>
  gaps=<holes left> stopped=<true|false> errors=<bad messages> params=<custom parameters>
  wav=<files>

Options:
  --listen ADDR              address to bind [default: 127.0.0.1:8089]
  --out DIR                  directory for the WAV files, created if needed [default: streams]
  --token TOKEN              refuse connections without `Authorization: Bearer TOKEN`
                             (or set STREAM_TOKEN); required unless --no-auth
  --no-auth                  accept streams from anyone (logged as a warning)
  --cert CERT.pem --key KEY.pem
                             serve wss:// with this certificate chain and private key
  --max-connections N        connections open at once [default: 1024]
  --handshake-timeout SECS   drop sockets that do not finish the handshake [default: 10]
  --start-timeout SECS       close streams that send no `start` within SECS [default: 5]
  --idle-timeout SECS        close streams silent (no message at all) for SECS [default: 20]
  --silence-allowance SECS   silence a stream may fill into its gaps beyond the audio it
                             sent, over all its tracks [default: 30]
  --memory-budget-mb MB      audio all open streams may hold together [default: 1024]
  --max-message-kb KB        the largest message a stream may send [default: 256]
  --disk-quota-mb MB         WAV bytes this run may write in total; a stream that would
                             pass it is closed [default: 4096]
  --streams N                exit after N streams have ended [default: run for ever]
  --quiet                    no progress on stderr
  -h, --help                 print this help
";

struct Args {
    listen: SocketAddr,
    out: PathBuf,
    token: Option<String>,
    cert: Option<String>,
    key: Option<String>,
    max_connections: usize,
    handshake_timeout: Duration,
    start_timeout: Duration,
    idle_timeout: Duration,
    silence_allowance_ms: u64,
    memory_budget: u64,
    max_message_bytes: usize,
    disk_quota: u64,
    no_auth: bool,
    streams: Option<u64>,
    quiet: bool,
}

/// Default disk quota: 4 GiB of WAV per run.
const DEFAULT_DISK_QUOTA: u64 = 4 << 30;

fn seconds(flag: &str, text: &str) -> Result<Duration, String> {
    let secs: f64 = text.parse().map_err(|e| format!("{flag}: {e}"))?;
    Duration::try_from_secs_f64(secs).map_err(|e| format!("{flag}: {e}"))
}

fn megabytes(flag: &str, text: &str) -> Result<u64, String> {
    let mb: u64 = text.parse().map_err(|e| format!("{flag}: {e}"))?;
    mb.checked_mul(1 << 20)
        .ok_or_else(|| format!("{flag}: too large"))
}

enum Parsed {
    Run(Box<Args>),
    Help,
}

fn parse_args() -> Result<Parsed, String> {
    let mut args = Args {
        listen: SocketAddr::from(([127, 0, 0, 1], 8089)),
        out: PathBuf::from("streams"),
        token: std::env::var("STREAM_TOKEN").ok().filter(|t| !t.is_empty()),
        cert: None,
        key: None,
        max_connections: DEFAULT_MAX_CONNECTIONS,
        handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
        start_timeout: DEFAULT_START_TIMEOUT,
        idle_timeout: DEFAULT_IDLE_TIMEOUT,
        silence_allowance_ms: DEFAULT_SILENCE_ALLOWANCE_MS,
        memory_budget: DEFAULT_MEMORY_BUDGET,
        max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
        disk_quota: DEFAULT_DISK_QUOTA,
        no_auth: false,
        streams: None,
        quiet: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "--listen" => args.listen = value()?.parse().map_err(|e| format!("--listen: {e}"))?,
            "--out" => args.out = PathBuf::from(value()?),
            "--token" => args.token = Some(value()?),
            "--cert" => args.cert = Some(value()?),
            "--key" => args.key = Some(value()?),
            "--max-connections" => {
                args.max_connections = value()?
                    .parse()
                    .map_err(|e| format!("--max-connections: {e}"))?
            }
            "--handshake-timeout" => args.handshake_timeout = seconds(&flag, &value()?)?,
            "--start-timeout" => args.start_timeout = seconds(&flag, &value()?)?,
            "--idle-timeout" => args.idle_timeout = seconds(&flag, &value()?)?,
            "--silence-allowance" => {
                args.silence_allowance_ms = seconds(&flag, &value()?)?.as_millis() as u64
            }
            "--memory-budget-mb" => args.memory_budget = megabytes(&flag, &value()?)?,
            "--disk-quota-mb" => args.disk_quota = megabytes(&flag, &value()?)?,
            "--max-message-kb" => {
                let kb: usize = value()?.parse().map_err(|e| format!("{flag}: {e}"))?;
                args.max_message_bytes = kb
                    .checked_mul(1024)
                    .ok_or_else(|| format!("{flag}: too large"))?;
            }
            "--no-auth" => args.no_auth = true,
            "--streams" => {
                args.streams = Some(value()?.parse().map_err(|e| format!("--streams: {e}"))?)
            }
            "--quiet" => args.quiet = true,
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
    }
    if args.token.is_none() && !args.no_auth {
        return Err(
            "no --token (or STREAM_TOKEN): anyone could stream to this receiver; \
             give a token, or --no-auth to accept that"
                .into(),
        );
    }
    Ok(Parsed::Run(Box::new(args)))
}

#[tokio::main]
async fn main() {
    let args = match parse_args() {
        Ok(Parsed::Run(args)) => args,
        Ok(Parsed::Help) => {
            print!("{USAGE}");
            return;
        }
        Err(e) => {
            eprintln!("stream_receiver: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(*args).await {
        eprintln!("stream_receiver: {e}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let mut builder = StreamReceiver::builder()
        .max_connections(args.max_connections)
        .handshake_timeout(args.handshake_timeout)
        .start_timeout(args.start_timeout)
        .idle_timeout(args.idle_timeout)
        .silence_allowance_ms(args.silence_allowance_ms)
        .memory_budget(args.memory_budget)
        .max_message_bytes(args.max_message_bytes);
    match &args.token {
        Some(token) => builder = builder.bearer_token(token.clone()),
        None => eprintln!(
            "stream_receiver: WARNING: --no-auth: accepting streams from anyone who can reach {}",
            args.listen
        ),
    }
    match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => {
            let read = |path: &str| std::fs::read(path).map_err(|e| format!("{path}: {e}"));
            builder = builder.tls(tls_server_config(&read(cert)?, &read(key)?)?);
        }
        (None, None) => {}
        _ => return Err("--cert and --key go together".into()),
    }
    let receiver = builder.bind(relay_tokio::runtime(), args.listen).await?;
    println!(
        "stream_receiver listening on {} ({}), WAV files into {}",
        receiver.url()?,
        if args.token.is_some() {
            "bearer token required"
        } else {
            "no token"
        },
        args.out.display()
    );
    std::io::stdout().flush()?;

    let (ended_tx, mut ended_rx) = tokio::sync::mpsc::unbounded_channel();
    let out = Arc::new(args.out);
    let quiet = args.quiet;
    let next_id = Arc::new(AtomicU64::new(1));
    let disk = Arc::new(DiskQuota {
        limit: args.disk_quota,
        used: AtomicU64::new(0),
    });
    tokio::spawn(receiver.serve(move |opened| {
        let out = out.clone();
        let ended_tx = ended_tx.clone();
        let disk = disk.clone();
        let id = next_id.fetch_add(1, Ordering::Relaxed);
        async move {
            match opened {
                Ok(stream) => {
                    let line = receive(stream, &out, id, quiet, &disk).await;
                    println!("{line}");
                    let _ = std::io::stdout().flush();
                    let _ = ended_tx.send(());
                }
                Err(e) if !quiet => eprintln!("connection {id} refused: {e}"),
                Err(_) => {}
            }
        }
    }));
    let mut ended = 0u64;
    while ended_rx.recv().await.is_some() {
        ended += 1;
        if args.streams.is_some_and(|wanted| ended >= wanted) {
            break;
        }
    }
    Ok(())
}

/// The bytes of WAV this run may write, shared by every stream: each reserves what its
/// files will take as its audio grows, so a stream that would pass it is closed in time.
struct DiskQuota {
    limit: u64,
    used: AtomicU64,
}

impl DiskQuota {
    fn try_reserve(&self, bytes: u64) -> bool {
        self.used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                used.checked_add(bytes).filter(|total| *total <= self.limit)
            })
            .is_ok()
    }
}

/// The bytes the stream's WAV files would take now (a 44-byte header per track).
fn wav_bytes(stream: &IncomingStream) -> u64 {
    let (Some(start), Some(assembler)) = (stream.start(), stream.assembler()) else {
        return 0;
    };
    start
        .tracks
        .iter()
        .map(|&track| 44 + 2 * assembler.samples(track).len() as u64)
        .sum()
}

/// Reads one stream to its end, writes its WAV file(s), returns its summary line.
async fn receive(
    mut stream: IncomingStream,
    out: &Path,
    id: u64,
    quiet: bool,
    disk: &DiskQuota,
) -> String {
    let mut reserved = 0u64;
    let peer = stream
        .handshake()
        .peer
        .map_or_else(|| "?".to_owned(), |p| p.to_string());
    let mut chunks = 0u64;
    let mut errors = 0u64;
    let mut stopped = false;
    while let Some(event) = stream.next().await {
        match event {
            Ok(StreamEvent::Started(start)) if !quiet => eprintln!(
                "stream {} started from {peer}: call {}, {} at {} Hz",
                clip(&start.stream_sid),
                clip(&start.call_sid),
                start.media_format.encoding.mime(),
                start.media_format.sample_rate
            ),
            Ok(StreamEvent::Audio { timestamp_ms, .. }) => {
                chunks += 1;
                let needed = wav_bytes(&stream);
                if needed > reserved {
                    if !disk.try_reserve(needed - reserved) {
                        let reason = format!("disk quota of {} bytes used up", disk.limit);
                        eprintln!("stream {id}: closed: {reason}");
                        stream.refuse(&reason).await;
                        errors += 1;
                        break;
                    }
                    reserved = needed;
                }
                // Progress about every 5 s of audio (250 chunks of 20 ms on one track).
                if !quiet && chunks % 250 == 0 {
                    eprintln!("stream {id}: {} s received", timestamp_ms / 1000);
                }
            }
            Ok(StreamEvent::Stopped) => {
                stopped = true;
                break;
            }
            Ok(_) => {}
            Err(e) => {
                errors += 1;
                if !quiet && errors <= 5 {
                    eprintln!("stream {id}: {e}");
                }
                if stream_closed(&e) {
                    if quiet || errors > 5 {
                        eprintln!("stream {id}: closed: {e}");
                    }
                    break;
                }
                if matches!(e, ReceiveError::Socket(_)) {
                    break;
                }
            }
        }
    }
    let (Some(start), Some(assembler)) = (stream.start(), stream.assembler()) else {
        return format!(
            "connection {id} from {peer} sent no usable start message (errors={errors})"
        );
    };
    let sid = file_stem(&start.stream_sid, id);
    let both = start.tracks.len() > 1;
    let rate = start.media_format.sample_rate;
    let mut files = Vec::new();
    let mut durations = Vec::new();
    for &track in &start.tracks {
        let stem = if both {
            format!("{sid}-{}", track.as_wire())
        } else {
            sid.clone()
        };
        durations.push(assembler.duration_ms(track).to_string());
        match write_track(out, &stem, rate, assembler.samples(track)) {
            Ok(path) => files.push(path.display().to_string()),
            Err(e) => files.push(format!("<{e}>")),
        }
    }
    let tracks: Vec<&str> = start
        .tracks
        .iter()
        .map(|t: &MediaTrack| t.as_wire())
        .collect();
    let params = serde_json::to_string(&start.custom_parameters).unwrap_or_default();
    format!(
        "call={} stream={} tracks={} ms={} gaps={} stopped={stopped} errors={errors} params={} wav={}",
        clip(&start.call_sid),
        clip(&start.stream_sid),
        tracks.join(","),
        durations.join(","),
        assembler.gap_count(),
        clip_long(&params),
        files.join(",")
    )
}

/// Whether the receiver closed the stream for this error (a bound or a time-out), so that
/// the one line naming it is printed even in `--quiet`.
fn stream_closed(error: &ReceiveError) -> bool {
    match error {
        ReceiveError::Assemble(e) => e.is_exhaustion(),
        ReceiveError::StartTimeout { .. }
        | ReceiveError::IdleTimeout { .. }
        | ReceiveError::TooManyBytes { .. } => true,
        _ => false,
    }
}

/// A file name from the peer's stream sid: letters, digits, `-` and `_` only, at most 64.
fn file_stem(stream_sid: &str, id: u64) -> String {
    let stem: String = stream_sid
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(64)
        .collect();
    if stem.is_empty() {
        format!("stream-{id}")
    } else {
        stem
    }
}

/// Writes `<stem>.wav`, or `<stem>-2.wav`, … if the name is taken (never overwrites).
fn write_track(dir: &Path, stem: &str, rate: u32, samples: &[i16]) -> std::io::Result<PathBuf> {
    for n in 1u32.. {
        let path = if n == 1 {
            dir.join(format!("{stem}.wav"))
        } else {
            dir.join(format!("{stem}-{n}.wav"))
        };
        let file = match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        };
        write_wav(std::io::BufWriter::new(file), rate, 1, samples)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        return Ok(path);
    }
    Err(std::io::Error::other("no free file name"))
}

/// Custom parameters are the app's own, but still peer-sent: at most 256 characters.
fn clip_long(text: &str) -> String {
    match text.char_indices().nth(256) {
        None => text.to_owned(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}
