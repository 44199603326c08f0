//! An SMS auto-reply written against `relay_tokio::Client`: for each inbound message it
//! answers the sender with a text chosen by the message's first word (HELP, STOP, anything
//! else), then follows the reply to its final state and logs it.
//!
//! `sms_autoreply` runs it against the real service; `examples/tests/sms_autoreply.rs` runs
//! it offline.

use relay_tokio::{Client, Error, Message, MessageState, SendMessage};
use std::time::Duration;

/// The answer to `HELP`.
pub const HELP_TEXT: &str = "Reply STOP to stop these messages. Anything else reaches our team.";
/// The answer to `STOP`: the last message the sender gets from us.
pub const STOP_TEXT: &str = "You are unsubscribed and will get no more messages.";
/// How long a reply is followed before giving up on its final state: carriers report
/// delivery late, sometimes never.
pub const REPLY_FOLLOW_TIME: Duration = Duration::from_secs(120);
/// Characters of the inbound text quoted back in the default answer.
const QUOTE_LIMIT: usize = 40;

/// The keyword of an inbound text: its first word, upper-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keyword {
    /// `HELP` (or `INFO`).
    Help,
    /// `STOP` (or `UNSUBSCRIBE`, `CANCEL`, `END`, `QUIT`: the usual opt-out words).
    Stop,
    /// Anything else, or no text at all (a picture).
    Other,
}

impl Keyword {
    /// Reads the first word of `body`.
    pub fn of(body: Option<&str>) -> Self {
        let word = body
            .and_then(|b| b.split_whitespace().next())
            .map(str::to_uppercase)
            .unwrap_or_default();
        match word.trim_matches(|c: char| !c.is_alphanumeric()) {
            "HELP" | "INFO" => Keyword::Help,
            "STOP" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" => Keyword::Stop,
            _ => Keyword::Other,
        }
    }
}

/// The reply to an inbound text.
pub fn reply_text(body: Option<&str>) -> String {
    match Keyword::of(body) {
        Keyword::Help => HELP_TEXT.to_owned(),
        Keyword::Stop => STOP_TEXT.to_owned(),
        Keyword::Other => match body.map(str::trim).filter(|b| !b.is_empty()) {
            Some(text) => {
                let mut quote: String = text.chars().take(QUOTE_LIMIT).collect();
                if text.chars().count() > QUOTE_LIMIT {
                    quote.push('…');
                }
                format!("Thanks, we got \"{quote}\" and will answer soon. Reply HELP for help.")
            }
            None => "Thanks, we got your message and will answer soon.".to_owned(),
        },
    }
}

/// What became of one auto-reply.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoReply {
    /// The inbound message's keyword.
    pub keyword: Keyword,
    /// The text sent back.
    pub text: String,
    /// The reply once delivered, or why it was not (refused, undelivered or failed with the
    /// carrier's reason, or no final state within [`REPLY_FOLLOW_TIME`]).
    pub result: Result<Message, Error>,
}

/// Answers `inbound` from the number it was sent to, and follows the answer to its final
/// state. Every step is logged on stdout.
pub async fn auto_reply(client: &Client, inbound: Message) -> AutoReply {
    println!(
        "message {} from {}: {:?}",
        inbound.id,
        inbound.from,
        inbound.body.as_deref().unwrap_or("")
    );
    let keyword = Keyword::of(inbound.body.as_deref());
    let text = reply_text(inbound.body.as_deref());
    let reply = SendMessage::new(&inbound.to, &inbound.from)
        .body(&text)
        .tags(["autoreply"]);
    let result = match client.send_message(reply).await {
        Ok(handle) => {
            println!("reply {} to {} accepted", handle.id(), inbound.from);
            handle.wait_timeout(REPLY_FOLLOW_TIME).await
        }
        Err(e) => Err(e),
    };
    match &result {
        Ok(message) if message.state == MessageState::Delivered => {
            println!("reply {} delivered", message.id)
        }
        Ok(message) => println!("reply {} ended {}", message.id, message.state),
        Err(Error::Message(e)) => println!("reply to {} not delivered: {e}", inbound.from),
        Err(e) => println!("reply to {} failed: {e}", inbound.from),
    }
    AutoReply {
        keyword,
        text,
        result,
    }
}

/// The environment `sms_autoreply` reads.
pub const ENV: &[(&str, &str)] = crate::live_env!();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_the_first_word_in_any_case() {
        assert_eq!(Keyword::of(Some("help")), Keyword::Help);
        assert_eq!(Keyword::of(Some("  Stop please")), Keyword::Stop);
        assert_eq!(Keyword::of(Some("STOP!")), Keyword::Stop);
        assert_eq!(Keyword::of(Some("helpful")), Keyword::Other);
        assert_eq!(Keyword::of(None), Keyword::Other);
    }

    #[test]
    fn other_texts_are_quoted_back_shortened() {
        assert_eq!(
            reply_text(Some("Hi there")),
            "Thanks, we got \"Hi there\" and will answer soon. Reply HELP for help."
        );
        let long = "x".repeat(100);
        assert!(reply_text(Some(&long)).contains(&format!("\"{}…\"", "x".repeat(40))));
        assert_eq!(
            reply_text(None),
            "Thanks, we got your message and will answer soon."
        );
    }
}
