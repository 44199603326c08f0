//! The exact request frames of the families whose options serialise straight from their
//! types, with every option set: the nested shapes (collect, prompt, detect, pay prompts, the
//! agent's prompts) that the schema oracle checks only by key and JSON type.
#![allow(clippy::unwrap_used)]

mod common;

use common::options::{digits, speech};
use common::Client;
use relay_rs_core::{
    ActionRequest, AgentConfig, AgentPrompt, AiHint, AiHold, AiLanguage, AiMessage, AiOptions,
    AiPronounce, AiReset, AiUnhold, AmazonBedrock, CallCommand, CallId, CollectOptions,
    CommandError, DetectOptions, Detector, DigitsOptions, EchoOptions, PayOptions, PayPrompt,
    PlayMedia, PromptOptions, SpeechOptions, Transmit,
};
use serde_json::{json, Value};
use std::time::Duration;

fn answered() -> Client {
    let mut client = Client::ready();
    client.incoming("c1");
    client
}

/// The one frame sent since the last call, as text.
fn sent_text(client: &mut Client) -> String {
    let texts: Vec<String> = client
        .transmits()
        .into_iter()
        .filter_map(|t| match t {
            Transmit::Send(text) => Some(text),
            _ => None,
        })
        .collect();
    assert_eq!(texts.len(), 1, "{texts:#?}");
    texts.into_iter().next().unwrap()
}

/// Starts `request` on `c1` and returns its frame as text, with the request id as `ID`.
fn start_text<R: ActionRequest>(client: &mut Client, request: &R) -> String {
    let start = client
        .engine
        .start(&CallId::new("c1"), request, client.now)
        .unwrap();
    sent_text(client).replace(start.request_id.as_str(), "ID")
}

/// Sends `command` on `c1` and returns its params without the call's ids.
fn command_params<C: CallCommand>(client: &mut Client, command: &C) -> Value {
    client
        .engine
        .command(&CallId::new("c1"), command, client.now)
        .unwrap();
    let mut frame = client.sent_one(command.method());
    let params = frame["params"].as_object_mut().unwrap();
    assert_eq!(params.remove("call_id"), Some(json!("c1")));
    assert_eq!(params.remove("node_id"), Some(json!("node-1")));
    frame["params"].take()
}

fn refused<C: CallCommand>(client: &mut Client, command: &C) -> CommandError {
    let error = client
        .engine
        .command(&CallId::new("c1"), command, client.now)
        .unwrap_err();
    assert!(client.sent().is_empty());
    error
}

#[test]
fn collect_with_every_option_is_written_byte_for_byte() {
    let mut client = answered();
    let options = CollectOptions::digits(digits())
        .and_speech(speech())
        .initial_timeout(Duration::from_secs(4))
        .partial_results(true)
        .continuous(true)
        .send_start_of_input(true)
        .start_input_timers(false)
        .status_url("https://example.com/c")
        .control_id("ctl");
    assert_eq!(
        start_text(&mut client, &options),
        concat!(
            r#"{"jsonrpc":"2.0","id":"ID","method":"calling.collect","params":{"#,
            r#""node_id":"node-1","call_id":"c1","control_id":"ctl","#,
            r##""digits":{"max":4,"terminators":"#","digit_timeout":5},"##,
            r#""speech":{"end_silence_timeout":1.5,"speech_timeout":60,"language":"en-US","#,
            r#""hints":["yes","no"],"engine":"Deepgram","model":"enhanced"},"#,
            r#""initial_timeout":4,"partial_results":true,"continuous":true,"#,
            r#""send_start_of_input":true,"start_input_timers":false,"#,
            r#""status_url":"https://example.com/c"}}"#
        )
    );
}

#[test]
fn a_prompt_nests_its_collect_after_the_play_list_byte_for_byte() {
    let mut client = answered();
    let collect = CollectOptions::speech(SpeechOptions::new().language("en-US"))
        .and_digits(DigitsOptions::new(1))
        .initial_timeout(Duration::from_millis(2500))
        .partial_results(false);
    let options = PromptOptions::new([PlayMedia::tts("Press one")], collect)
        .volume(-2.5)
        .status_url("https://example.com/p")
        .control_id("ctl");
    assert_eq!(
        start_text(&mut client, &options),
        concat!(
            r#"{"jsonrpc":"2.0","id":"ID","method":"calling.play_and_collect","params":{"#,
            r#""node_id":"node-1","call_id":"c1","control_id":"ctl","#,
            r#""play":[{"type":"tts","params":{"text":"Press one"}}],"volume":-2.5,"#,
            r#""collect":{"digits":{"max":1},"speech":{"language":"en-US"},"#,
            r#""initial_timeout":2.5,"partial_results":false},"#,
            r#""status_url":"https://example.com/p"}}"#
        )
    );
}

#[test]
fn a_machine_detector_writes_every_timing_in_seconds() {
    let mut client = answered();
    let detector = Detector::Machine {
        initial_timeout: Some(Duration::from_millis(4500)),
        end_silence_timeout: Some(Duration::from_secs(1)),
        machine_ready_timeout: Some(Duration::from_millis(250)),
        machine_voice_threshold: Some(Duration::from_millis(1250)),
        machine_words_threshold: Some(6),
        detect_interruptions: Some(false),
        detect_message_end: Some(true),
    };
    let options = DetectOptions::new(detector)
        .timeout(Duration::from_secs(30))
        .wait_for_beep(true)
        .status_url("https://example.com/d")
        .control_id("ctl");
    assert_eq!(
        start_text(&mut client, &options),
        concat!(
            r#"{"jsonrpc":"2.0","id":"ID","method":"calling.detect","params":{"#,
            r#""node_id":"node-1","call_id":"c1","control_id":"ctl","#,
            r#""detect":{"type":"machine","params":{"initial_timeout":4.5,"#,
            r#""end_silence_timeout":1,"machine_ready_timeout":0.25,"#,
            r#""machine_voice_threshold":1.25,"machine_words_threshold":6,"#,
            r#""detect_interruptions":false,"detect_message_end":true}},"#,
            r#""timeout":30,"status_url":"https://example.com/d"}}"#
        )
    );
}

#[test]
fn pay_prompts_and_parameters_are_written_as_the_schema_shapes_them() {
    let mut client = answered();
    let options = PayOptions::new("https://example.com/pay")
        .parameter("k", "v")
        .prompt(
            PayPrompt::new("payment-card-number")
                .say("Your card number")
                .play("https://example.com/beep.wav")
                .attempt(2)
                .card_type("visa amex")
                .error_type("timeout")
                .require_matching_inputs(false),
        )
        .prompt(PayPrompt::new("expiration-date").say("The expiry"))
        .control_id("ctl");
    let text = start_text(&mut client, &options);
    let frame: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        frame["params"],
        json!({"node_id": "node-1", "call_id": "c1", "control_id": "ctl",
               "payment_connector_url": "https://example.com/pay",
               "parameters": [{"name": "k", "value": "v"}],
               "prompts": [
                   {"for": "payment-card-number",
                    "actions": [{"type": "Say", "phrase": "Your card number"},
                                {"type": "Play", "phrase": "https://example.com/beep.wav"}],
                    "attempt": "2", "card_type": "visa amex", "error_type": "timeout",
                    "require_matching_inputs": "false"},
                   {"for": "expiration-date",
                    "actions": [{"type": "Say", "phrase": "The expiry"}]}]})
    );
    // A prompt that says nothing is refused before anything is sent.
    let silent = PayOptions::new("https://example.com/pay").prompt(PayPrompt::new("x"));
    let call = CallId::new("c1");
    let now = client.now;
    assert!(matches!(
        client.engine.start(&call, &silent, now),
        Err(CommandError::InvalidOption(_))
    ));
    assert!(client.sent().is_empty());
}

#[test]
fn an_agent_prompt_is_an_object_a_bare_string_or_a_tuned_object() {
    let mut client = answered();
    let options = AiOptions::new()
        .agent("agent-1")
        .prompt(
            AgentPrompt::new("Be nice")
                .temperature(0.3)
                .top_p(0.9)
                .confidence(0.6)
                .barge_confidence(0.1)
                .presence_penalty(0.2)
                .frequency_penalty(0.4)
                .model("gpt-4o-mini"),
        )
        .post_prompt(AgentPrompt::new("Summarise"))
        .post_prompt_url("https://example.com/post")
        .post_prompt_auth_user("user")
        .post_prompt_auth_password("pass")
        .swaig(json!({"functions": [{"function": "lookup"}]}))
        .ai_params(json!({"debug": true}))
        .global_data(json!({"tier": "gold"}))
        .control_id("ctl");
    let text = start_text(&mut client, &options);
    let frame: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        frame["params"],
        json!({"node_id": "node-1", "call_id": "c1", "control_id": "ctl",
               "agent": "agent-1",
               "prompt": {"text": "Be nice", "temperature": 0.3, "top_p": 0.9,
                          "confidence": 0.6, "barge_confidence": 0.1,
                          "presence_penalty": 0.2, "frequency_penalty": 0.4,
                          "model": "gpt-4o-mini"},
               "post_prompt": {"text": "Summarise"},
               "post_prompt_url": "https://example.com/post",
               "post_prompt_auth_user": "user", "post_prompt_auth_password": "pass",
               "SWAIG": {"functions": [{"function": "lookup"}]},
               "params": {"debug": true}, "global_data": {"tier": "gold"}})
    );
    // The same prompt type on amazon_bedrock: a bare string stays a string until tuned.
    let bedrock = AmazonBedrock::new()
        .prompt("Be brief")
        .post_prompt(AgentPrompt::plain("Sum up").temperature(0.5));
    assert_eq!(
        command_params(&mut client, &bedrock),
        json!({"prompt": "Be brief", "post_prompt": {"text": "Sum up", "temperature": 0.5}})
    );
}

#[test]
fn the_agents_pronunciation_hints_and_languages_are_typed_arrays_on_the_wire() {
    let mut client = answered();
    let options = AiOptions::new()
        .pronounce([
            AiPronounce::new("SQL", "sequel"),
            AiPronounce::new("API", "A P I").ignore_case(false),
        ])
        .hints([
            AiHint::from("SignalWire"),
            AiHint::pattern("signal wire", "signal\\s+wire", "SignalWire"),
        ])
        .languages([
            AiLanguage::new("English", "en-US", "gcloud.en-US-Neural2-F"),
            AiLanguage::new("French", "fr-FR", "gcloud.fr-FR-Neural2-B")
                .model("arcana")
                .speech_fillers(["euh"])
                .function_fillers(["un instant"]),
        ])
        .control_id("ctl");
    assert_eq!(
        start_text(&mut client, &options),
        concat!(
            r#"{"jsonrpc":"2.0","id":"ID","method":"calling.ai","params":{"node_id":"node-1","#,
            r#""call_id":"c1","control_id":"ctl","#,
            r#""pronounce":[{"replace":"SQL","with":"sequel"},"#,
            r#"{"replace":"API","with":"A P I","ignore_case":false}],"#,
            r#""hints":["SignalWire",{"hint":"signal wire","pattern":"signal\\s+wire","replace":"SignalWire"}],"#,
            r#""languages":[{"name":"English","code":"en-US","voice":"gcloud.en-US-Neural2-F"},"#,
            r#"{"name":"French","code":"fr-FR","voice":"gcloud.fr-FR-Neural2-B","model":"arcana","#,
            r#""speech_fillers":["euh"],"function_fillers":["un instant"]}]}}"#
        )
    );
    // What the service could not use is refused before sending.
    let call = CallId::new("c1");
    for bad in [
        AiOptions::new().pronounce([AiPronounce::new(" ", "x")]),
        AiOptions::new().hints([""]),
        AiOptions::new().hints([AiHint::pattern("a", "", "b")]),
        AiOptions::new().languages([AiLanguage::new("English", "en-US", "")]),
    ] {
        let now = client.now;
        assert!(matches!(
            client.engine.start(&call, &bad, now),
            Err(CommandError::InvalidOption(_))
        ));
    }
    assert!(client.sent().is_empty());
}

#[test]
fn agent_settings_the_service_would_refuse_are_refused_for_both_families() {
    let mut client = answered();
    for bedrock in [
        AmazonBedrock::new().prompt(" "),
        AmazonBedrock::new().post_prompt(AgentPrompt::new("")),
        AmazonBedrock::new().swaig(json!([])),
        AmazonBedrock::new().ai_params(json!("x")),
        AmazonBedrock::new().global_data(json!(1)),
        AmazonBedrock::new().post_prompt_url("ftp://x"),
    ] {
        refused(&mut client, &bedrock);
    }
    let call = CallId::new("c1");
    let now = client.now;
    let ai = AiOptions::new().swaig(json!("functions"));
    assert!(matches!(
        client.engine.start(&call, &ai, now),
        Err(CommandError::InvalidOption(_))
    ));
    assert!(client.sent().is_empty());
}

#[test]
fn the_agents_steering_commands_and_echo_are_typed_commands() {
    let mut client = answered();
    let mut message = AiMessage::new("system", "Be brief.");
    message.reset = Some(
        AiReset::new()
            .full_reset(true)
            .user_prompt("u")
            .system_prompt("s"),
    );
    message.global_data = Some(json!({"c": 3}));
    assert_eq!(
        command_params(&mut client, &message),
        json!({"message_text": "Be brief.", "role": "system",
               "reset": {"full_reset": true, "user_prompt": "u", "system_prompt": "s"},
               "global_data": {"c": 3}})
    );
    let hold = AiHold::new()
        .timeout(Duration::from_secs(30))
        .prompt("one moment");
    assert_eq!(
        command_params(&mut client, &hold),
        json!({"timeout": "30", "prompt": "one moment"})
    );
    assert_eq!(command_params(&mut client, &AiHold::new()), json!({}));
    assert_eq!(
        command_params(&mut client, &AiUnhold::new().prompt("back")),
        json!({"prompt": "back"})
    );
    let echo = EchoOptions::new()
        .timeout(Duration::from_millis(2500))
        .status_url("https://example.com/echo");
    assert_eq!(
        command_params(&mut client, &echo),
        json!({"timeout": 2.5, "status_url": "https://example.com/echo"})
    );
    assert_eq!(
        command_params(
            &mut client,
            &EchoOptions::new().timeout(Duration::from_secs(10))
        ),
        json!({"timeout": 10})
    );
    refused(&mut client, &EchoOptions::new().status_url("x"));
    let mut bad = AiMessage::new("user", "hi");
    bad.global_data = Some(json!([1]));
    refused(&mut client, &bad);
}

#[test]
fn one_agent_config_is_written_alike_by_ai_and_amazon_bedrock() {
    let mut client = answered();
    let mut config = AgentConfig::new();
    config.prompt = Some(AgentPrompt::new("Help").temperature(0.5));
    config.post_prompt = Some("Sum up".into());
    config.swaig = Some(json!({"functions": []}));
    config.global_data = Some(json!({"tier": 1}));
    let ai = AiOptions::new().config(config.clone()).control_id("ctl");
    let text = start_text(&mut client, &ai);
    let mut frame: Value = serde_json::from_str(&text).unwrap();
    let params = frame["params"].as_object_mut().unwrap();
    for id in ["node_id", "call_id", "control_id"] {
        params.remove(id);
    }
    let expected = json!({"prompt": {"text": "Help", "temperature": 0.5},
                          "post_prompt": "Sum up", "SWAIG": {"functions": []},
                          "global_data": {"tier": 1}});
    assert_eq!(frame["params"], expected);
    let bedrock = AmazonBedrock::new().config(config);
    assert_eq!(command_params(&mut client, &bedrock), expected);
}
