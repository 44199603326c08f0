//! A call centre written once against `relay_tokio::Call`: answer, ask by TTS which team the
//! caller wants (one key), connect them to that team's agent with a ringback, and hang up
//! when the bridge ends; when the agent is busy or does not answer, take a voicemail after
//! the beep instead.
//!
//! `call_centre` runs it against the real service; `examples/tests/call_centre.rs` runs it
//! offline against the simulator.

use crate::cli::Flag;
use relay_tokio::{
    Call, CollectOptions, ConnectPlan, Device, DigitsOptions, Error, PlayMedia, RecordFormat,
    RecordOptions, RecordResult,
};
use std::time::Duration;

/// What the caller hears first.
pub const WELCOME: &str = "Thanks for calling. Press 1 for sales, or 2 for support.";
/// Before the bridge, while the agent's phone rings.
pub const CONNECTING: &str = "Connecting you to an agent.";
/// When no agent could take the call.
pub const VOICEMAIL: &str =
    "Sorry, nobody can take your call right now. Please leave a message after the beep.";
/// The end of every path.
pub const GOODBYE: &str = "Thank you. Goodbye.";

/// Who answers for each team, and the number the agents see calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agents {
    /// The caller id shown to the agent (a number of your space).
    pub from: String,
    /// The sales agent (key 1).
    pub sales: String,
    /// The support agent (key 2, and the default).
    pub support: String,
    /// How long an agent's phone rings.
    pub ring_for: Duration,
}

impl Agents {
    /// The agent for a key: `1` sales, anything else support.
    pub fn for_key(&self, key: Option<&str>) -> &str {
        match key {
            Some("1") => &self.sales,
            _ => &self.support,
        }
    }

    /// The connect plan to `agent`: its phone rings for `ring_for` while the caller hears a
    /// US ringtone.
    pub fn plan(&self, agent: &str) -> ConnectPlan {
        ConnectPlan::single(
            Device::phone()
                .from(&self.from)
                .to(agent)
                .timeout(self.ring_for),
        )
        .ringback([PlayMedia::ringtone("us")])
    }
}

/// The menu's collect: one key, 5 s to press it.
pub fn menu_collect() -> CollectOptions {
    CollectOptions::digits(DigitsOptions::new(1).digit_timeout(Duration::from_secs(3)))
        .initial_timeout(Duration::from_secs(5))
}

/// The voicemail: a beep, WAV, ends on 3 s of silence or `#`.
pub fn voicemail_options() -> RecordOptions {
    RecordOptions::new()
        .beep(true)
        .format(RecordFormat::Wav)
        .end_silence_timeout(Duration::from_secs(3))
        .terminators("#")
}

/// How an inbound call went.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The caller talked to `agent`; the bridge ended (`by_caller`: the caller hung up).
    Talked {
        /// The agent's number.
        agent: String,
        /// The agent's leg.
        peer: relay_tokio::CallId,
        /// Whether the caller hung up first (else the agent did).
        by_caller: bool,
    },
    /// The agent could not be reached (the service's reason); the caller left a message.
    Voicemail {
        /// Why the connect failed (`busy`, `noAnswer`, …).
        reason: Option<String>,
        /// The recording.
        message: RecordResult,
    },
    /// The caller hung up before any bridge (during the menu, the ringback or the
    /// voicemail): a normal end of a call, not a failure.
    CallerLeft,
}

/// Answers, asks for the team, connects to its agent; on a failed connect records a
/// voicemail. Hangs up at the end. A caller who hangs up at any point is a normal end:
/// `Ok` ([`Outcome::Talked`] with `by_caller` during a bridge, else
/// [`Outcome::CallerLeft`]), never an error.
pub async fn handle_inbound(call: Call, agents: &Agents) -> Result<Outcome, Error> {
    match serve(&call, agents).await {
        // A command on a call the caller has left fails with `CallGone`: that is how a
        // call normally ends, so the app says so instead of reporting a failure.
        Err(e) if e.is_call_gone() => Ok(Outcome::CallerLeft),
        other => other,
    }
}

async fn serve(call: &Call, agents: &Agents) -> Result<Outcome, Error> {
    println!(
        "call {} from {}",
        call.id(),
        call.from_number().unwrap_or("?")
    );
    call.answer().await?;
    let choice = call
        .prompt_tts(WELCOME, menu_collect())
        .await?
        .wait()
        .await?;
    let agent = agents.for_key(choice.digits()).to_owned();
    say(call, CONNECTING).await?;
    let outcome = match call.connect(agents.plan(&agent)).await {
        Ok(peer) => {
            println!("call {} connected to {agent} ({})", call.id(), peer.id());
            // The bridge ends when the agent hangs up (`disconnected`) or the caller does.
            let by_caller = match call.wait_disconnected().await {
                Ok(()) => false,
                Err(e) if e.is_call_gone() => true,
                Err(e) => return Err(e),
            };
            Outcome::Talked {
                agent,
                peer: peer.id().clone(),
                by_caller,
            }
        }
        Err(Error::ConnectFailed { reason }) => {
            println!("call {}: agent unavailable ({reason:?})", call.id());
            say(call, VOICEMAIL).await?;
            let message = call.record(voicemail_options()).await?.wait().await?;
            say(call, GOODBYE).await?;
            Outcome::Voicemail { reason, message }
        }
        Err(e) => return Err(e),
    };
    call.hangup().await?;
    Ok(outcome)
}

/// Says `text` and waits until it has been said (or the call ended).
async fn say(call: &Call, text: &str) -> Result<(), Error> {
    call.play_tts(text).await?.wait().await.map(drop)
}

/// The flags of `call_centre`.
pub const FLAGS: &[Flag] = &[
    Flag::value(
        "--from",
        "NUMBER",
        "the caller id agents see (a number of your space; required)",
    ),
    Flag::value("--sales", "NUMBER", "the sales agent (key 1; required)"),
    Flag::value(
        "--support",
        "NUMBER",
        "the support agent (key 2 and the default; required)",
    ),
    Flag::value(
        "--ring",
        "SECONDS",
        "how long an agent's phone rings (default 20)",
    ),
];

/// The environment `call_centre` reads.
pub const ENV: &[(&str, &str)] = crate::live_env!();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_choose_the_agent() {
        let agents = Agents {
            from: "+1".into(),
            sales: "+2".into(),
            support: "+3".into(),
            ring_for: Duration::from_secs(20),
        };
        assert_eq!(agents.for_key(Some("1")), "+2");
        assert_eq!(agents.for_key(Some("2")), "+3");
        assert_eq!(agents.for_key(None), "+3");
    }
}
