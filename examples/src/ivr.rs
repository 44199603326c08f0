//! An IVR written once against `relay_tokio::Call`: the inbound menu (answer, a spoken menu
//! that collects one key, a voicemail after a beep on `1`, the time on `2`, a goodbye
//! otherwise) and the outbound message (dial, detect an answering machine, speak after its
//! beep or to the person who answered).
//!
//! `ivr` runs it against the real service; `examples/tests/ivr.rs` runs it offline.

use crate::cli::Flag;
use relay_tokio::{
    Call, Client, CollectOptions, Detection, Device, DialPlan, DigitsOptions, Error, RecordFormat,
    RecordOptions, RecordResult,
};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What the caller hears first.
pub const MENU: &str = "Thanks for calling. Press 1 to leave a message, or 2 to hear the time.";
/// Before the beep of the voicemail.
pub const LEAVE_A_MESSAGE: &str =
    "Please leave your message after the beep. Press pound or stop talking when you are done.";
/// The end of every path.
pub const GOODBYE: &str = "Thank you. Goodbye.";
/// When the caller pressed nothing we know.
pub const NO_CHOICE: &str = "Sorry, we did not get a choice.";
/// What the outbound call says, to a person or to a machine after its beep.
pub const REMINDER: &str = "Hello, this is a reminder of your appointment tomorrow at ten.";

/// The menu's collect: one key, 5 s to press it once the menu has been said.
pub fn menu_collect() -> CollectOptions {
    CollectOptions::digits(DigitsOptions::new(1).digit_timeout(Duration::from_secs(3)))
        .initial_timeout(Duration::from_secs(5))
}

/// The voicemail: a beep, WAV, ends on 3 s of silence or `#`, at most 10 s of silence before
/// the caller starts.
pub fn voicemail_options() -> RecordOptions {
    RecordOptions::new()
        .beep(true)
        .format(RecordFormat::Wav)
        .initial_timeout(Duration::from_secs(10))
        .end_silence_timeout(Duration::from_secs(3))
        .terminators("#")
}

/// What happened on an inbound call.
#[derive(Debug, Clone, PartialEq)]
pub enum MenuOutcome {
    /// `1`: the caller left a message (or tried to; the result says how it ended).
    Message(RecordResult),
    /// `2`: the caller heard the time, as said.
    Time(String),
    /// No key, or a key the menu does not offer (`Some(key)`).
    NoChoice(Option<String>),
}

/// Answers, says the menu, and follows the caller's key; hangs up at the end.
pub async fn handle_inbound(call: Call) -> Result<MenuOutcome, Error> {
    println!(
        "call {} from {}",
        call.id(),
        call.from_number().unwrap_or("?")
    );
    call.answer().await?;
    let choice = call.prompt_tts(MENU, menu_collect()).await?.wait().await?;
    let outcome = match choice.digits() {
        Some("1") => {
            say(&call, LEAVE_A_MESSAGE).await?;
            let record = call.record(voicemail_options()).await?;
            let message = record.wait().await?;
            println!(
                "message: {} ({} s)",
                message.url.as_deref().unwrap_or("no file"),
                message.duration.unwrap_or_default()
            );
            MenuOutcome::Message(message)
        }
        Some("2") => {
            let time = format!("It is {} UTC.", utc_time(SystemTime::now()));
            say(&call, &time).await?;
            MenuOutcome::Time(time)
        }
        other => {
            say(&call, NO_CHOICE).await?;
            MenuOutcome::NoChoice(other.map(str::to_owned))
        }
    };
    say(&call, GOODBYE).await?;
    // `Ok` too when the caller hung up first.
    call.hangup().await?;
    Ok(outcome)
}

/// What the outbound call reached.
#[derive(Debug, Clone, PartialEq)]
pub enum Reached {
    /// A person: they heard the message.
    Human,
    /// A machine: the message was left after its greeting (and beep).
    Machine,
    /// The detector could not tell (or the call ended first); the message was said anyway.
    Unknown,
}

/// Dials `to` from `from`, detects who answered (waiting for a machine's beep), says
/// [`REMINDER`] then hangs up.
pub async fn leave_reminder(client: &Client, from: &str, to: &str) -> Result<Reached, Error> {
    let call = client
        .dial(DialPlan::single(Device::phone().from(from).to(to)))
        .await?;
    println!("dialled {to}: call {}", call.id());
    let detected = call.detect_answering_machine(true).await?.wait().await?;
    let reached = match detected.detection {
        Some(Detection::Human) => Reached::Human,
        Some(Detection::Machine { .. }) => Reached::Machine,
        _ => Reached::Unknown,
    };
    println!("reached: {reached:?}");
    say(&call, REMINDER).await?;
    call.hangup().await?;
    Ok(reached)
}

/// Says `text` and waits until it has been said (or the call ended).
async fn say(call: &Call, text: &str) -> Result<(), Error> {
    call.play_tts(text).await?.wait().await.map(drop)
}

/// `HH:MM` in UTC.
pub fn utc_time(at: SystemTime) -> String {
    let secs = at.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    format!("{:02}:{:02}", secs / 3600 % 24, secs / 60 % 60)
}

/// The flags of `ivr`.
pub const FLAGS: &[Flag] = &[
    Flag::value(
        "--dial",
        "NUMBER",
        "call NUMBER and leave the reminder instead of answering calls",
    ),
    Flag::value(
        "--from",
        "NUMBER",
        "the caller id of --dial (required with it)",
    ),
];

/// The environment `ivr` reads.
pub const ENV: &[(&str, &str)] = crate::live_env!();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_time_is_hours_and_minutes() {
        let at = UNIX_EPOCH + Duration::from_secs(86_400 * 3 + 13 * 3600 + 7 * 60 + 59);
        assert_eq!(utc_time(at), "13:07");
    }
}
