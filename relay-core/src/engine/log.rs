//! Logging shim: the engine's log lines go to `tracing` when the `tracing` feature is on and
//! compile to nothing when it is off. Secrets (tokens, JWTs, authorization states) are never
//! passed to these macros.

macro_rules! event {
    ($level:ident, $($arg:tt)*) => {{
        #[cfg(feature = "tracing")]
        ::tracing::$level!(target: "relay_rs_core::engine", $($arg)*);
    }};
}

macro_rules! debug {
    ($($arg:tt)*) => { $crate::engine::log::event!(debug, $($arg)*) };
}

macro_rules! info {
    ($($arg:tt)*) => { $crate::engine::log::event!(info, $($arg)*) };
}

macro_rules! warning {
    ($($arg:tt)*) => { $crate::engine::log::event!(warn, $($arg)*) };
}

pub(crate) use {debug, event, info, warning};
