//! The command line of every program here, written once: a usage text that lists each flag and
//! environment variable, `--help`/`-h`, and exit code 2 with a clear message on a bad flag.
//! Also the `tracing` subscriber the programs share (`RUST_LOG`).

use std::fmt::Write as _;
use std::str::FromStr;

/// One flag: `--name` alone, or `--name VALUE` when `value` names the value.
#[derive(Debug, Clone, Copy)]
pub struct Flag {
    /// The flag as typed, with its dashes.
    pub name: &'static str,
    /// What the value is (`N`, `FILE`, …); `None` for a switch.
    pub value: Option<&'static str>,
    /// One line of help.
    pub help: &'static str,
}

impl Flag {
    /// A switch such as `--fast`.
    pub const fn switch(name: &'static str, help: &'static str) -> Self {
        Self {
            name,
            value: None,
            help,
        }
    }

    /// A flag that takes a value, such as `--seconds N`.
    pub const fn value(name: &'static str, value: &'static str, help: &'static str) -> Self {
        Self {
            name,
            value: Some(value),
            help,
        }
    }
}

/// What a program accepts, and the text `--help` prints.
#[derive(Debug, Clone, Copy)]
pub struct Program {
    /// The binary's name.
    pub name: &'static str,
    /// What it does, a few lines.
    pub about: &'static str,
    /// Positional arguments, as (name, help); each is optional.
    pub positional: &'static [(&'static str, &'static str)],
    /// Its flags (`--help` is added).
    pub flags: &'static [Flag],
    /// Environment variables it reads, as (name, help).
    pub env: &'static [(&'static str, &'static str)],
}

/// Why parsing stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    /// `--help` or `-h` was given.
    Help,
    /// A flag or value was wrong; the message says which.
    Usage(String),
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Help => f.write_str("help was asked for"),
            Self::Usage(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for CliError {}

/// The arguments given, checked against a [`Program`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    flags: Vec<(&'static str, Option<String>)>,
    positional: Vec<String>,
}

/// The help lines of what a program that talks to a RELAY service reads: the `SIGNALWIRE_*`
/// connection variables, then the program's own (`$extra`), then `RUST_LOG`.
#[macro_export]
macro_rules! live_env {
    ($($extra:expr),* $(,)?) => {
        &[
            ("SIGNALWIRE_PROJECT_ID", "project id (with SIGNALWIRE_API_TOKEN)"),
            ("SIGNALWIRE_API_TOKEN", "API token"),
            ("SIGNALWIRE_JWT_TOKEN", "a JWT instead of project id and token"),
            ("SIGNALWIRE_SPACE", "space host or host:port (default relay.signalwire.com)"),
            ("SIGNALWIRE_RELAY_SCHEME", "ws for a plain-WebSocket server on loopback (default wss)"),
            ("SIGNALWIRE_RELAY_CA_FILE", "extra CA (PEM) to trust, e.g. relay_sim's self-signed one"),
            ("SIGNALWIRE_CONTEXTS", "contexts to receive on, comma list (default: default)"),
            $($extra,)*
            $crate::cli::RUST_LOG,
        ]
    };
}

/// `RUST_LOG` variable, shared by every program's help.
pub const RUST_LOG: (&str, &str) = (
    "RUST_LOG",
    "log filter, e.g. relay_rs_core=debug (logs go to stderr)",
);

impl Program {
    /// The usage text: synopsis, description, arguments, flags, environment.
    pub fn usage(&self) -> String {
        let mut out = format!("usage: {}", self.name);
        if !self.flags.is_empty() {
            out.push_str(" [FLAGS]");
        }
        for (name, _) in self.positional {
            let _ = write!(out, " [{name}]");
        }
        let _ = write!(out, "\n\n{}\n", self.about.trim_end());
        if !self.positional.is_empty() {
            out.push_str("\narguments:\n");
            for (name, help) in self.positional {
                let _ = writeln!(out, "  {name:<24} {help}");
            }
        }
        out.push_str("\nflags:\n");
        let help = Flag::switch("-h, --help", "print this text and exit");
        for flag in self.flags.iter().chain([&help]) {
            let left = match flag.value {
                Some(value) => format!("{} {value}", flag.name),
                None => flag.name.to_owned(),
            };
            let _ = writeln!(out, "  {left:<24} {}", flag.help);
        }
        if !self.env.is_empty() {
            out.push_str("\nenvironment:\n");
            for (name, help) in self.env {
                let _ = writeln!(out, "  {name:<24} {help}");
            }
        }
        out
    }

    /// Checks `args` (without the program name). `--flag=value` works too.
    pub fn parse(&self, args: impl IntoIterator<Item = String>) -> Result<Parsed, CliError> {
        let mut parsed = Parsed::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if arg == "--help" || arg == "-h" {
                return Err(CliError::Help);
            }
            if !arg.starts_with('-') || arg == "-" {
                if parsed.positional.len() >= self.positional.len() {
                    return Err(CliError::Usage(format!("unexpected argument {arg:?}")));
                }
                parsed.positional.push(arg);
                continue;
            }
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (arg.as_str(), None),
            };
            let flag = self
                .flags
                .iter()
                .find(|f| f.name == name)
                .ok_or_else(|| CliError::Usage(format!("unknown flag {name:?}")))?;
            let value = match (flag.value, inline) {
                (None, None) => None,
                (None, Some(_)) => {
                    return Err(CliError::Usage(format!("{name} takes no value")));
                }
                (Some(_), Some(value)) => Some(value),
                (Some(what), None) => Some(
                    args.next()
                        .ok_or_else(|| CliError::Usage(format!("{name} needs a value ({what})")))?,
                ),
            };
            parsed.flags.push((flag.name, value));
        }
        Ok(parsed)
    }

    /// [`Program::parse`] on the process's arguments: prints the usage and exits 0 on
    /// `--help`, prints the problem and exits 2 on a bad flag.
    pub fn parse_env_args(&self) -> Parsed {
        match self.parse(std::env::args().skip(1)) {
            Ok(parsed) => parsed,
            Err(CliError::Help) => {
                print!("{}", self.usage());
                std::process::exit(0);
            }
            Err(CliError::Usage(message)) => self.fail(&message),
        }
    }

    /// Prints `message` with a pointer to `--help` and exits with code 2 (bad usage).
    pub fn fail(&self, message: &str) -> ! {
        eprintln!("{}: {message}\ntry `{} --help`", self.name, self.name);
        std::process::exit(2);
    }
}

impl Parsed {
    /// Whether the switch (or flag) was given.
    pub fn has(&self, name: &str) -> bool {
        self.flags.iter().any(|(n, _)| *n == name)
    }

    /// The last value given for `name`.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    /// Every value given for `name`, in order (for a flag that may be repeated).
    pub fn values(&self, name: &str) -> Vec<&str> {
        self.flags
            .iter()
            .filter(|(n, _)| *n == name)
            .filter_map(|(_, v)| v.as_deref())
            .collect()
    }

    /// The value of `name` parsed as `T`; a value that does not parse is a usage error.
    pub fn parsed<T: FromStr>(&self, name: &str) -> Result<Option<T>, CliError>
    where
        T::Err: std::fmt::Display,
    {
        self.value(name)
            .map(|v| {
                v.parse()
                    .map_err(|e| CliError::Usage(format!("{name} {v:?}: {e}")))
            })
            .transpose()
    }

    /// The `index`th positional argument.
    pub fn positional(&self, index: usize) -> Option<&str> {
        self.positional.get(index).map(String::as_str)
    }
}

/// Default log filter of the long-running programs: the client's connects and reconnects.
pub const LOG_SESSIONS: &str = "warn,relay_rs_core=info";
/// Default log filter of the programs that print a report: warnings only.
pub const LOG_QUIET: &str = "warn";

/// Sends `tracing` output to stderr, filtered by `RUST_LOG` or else `default`, so
/// `RUST_LOG=relay_rs_core=debug` shows the library's logs. Stdout stays for the program's own
/// output, which scripts and tests parse.
pub fn init_tracing(default: &str) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROGRAM: Program = Program {
        name: "prog",
        about: "Does a thing.",
        positional: &[("RUNTIME", "tokio or smol")],
        flags: &[
            Flag::switch("--fast", "go fast"),
            Flag::value("--seconds", "N", "how long"),
        ],
        env: &[RUST_LOG],
    };

    fn parse(args: &[&str]) -> Result<Parsed, CliError> {
        PROGRAM.parse(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn reads_switches_values_and_positionals() {
        let parsed = parse(&["smol", "--fast", "--seconds", "5"]).unwrap();
        assert!(parsed.has("--fast"));
        assert_eq!(parsed.parsed::<u32>("--seconds"), Ok(Some(5)));
        assert_eq!(parsed.positional(0), Some("smol"));
        let inline = parse(&["--seconds=7"]).unwrap();
        assert_eq!(inline.value("--seconds"), Some("7"));
        assert!(!inline.has("--fast"));
    }

    #[test]
    fn rejects_what_it_does_not_know() {
        assert_eq!(parse(&["-h"]), Err(CliError::Help));
        assert_eq!(parse(&["--fast", "--help"]), Err(CliError::Help));
        for bad in [&["--bogus"][..], &["--seconds"], &["--fast=1"], &["a", "b"]] {
            assert!(matches!(parse(bad), Err(CliError::Usage(_))), "{bad:?}");
        }
        let parsed = parse(&["--seconds", "x"]).unwrap();
        assert!(matches!(
            parsed.parsed::<u32>("--seconds"),
            Err(CliError::Usage(_))
        ));
    }

    #[test]
    fn usage_lists_every_flag_and_variable() {
        let usage = PROGRAM.usage();
        for word in ["--fast", "--seconds N", "--help", "RUNTIME", "RUST_LOG"] {
            assert!(usage.contains(word), "{word} missing from\n{usage}");
        }
    }
}
