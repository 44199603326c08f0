#!/usr/bin/env python3
"""Writes relay-core/tests/data/relay_schema.json: a hand transcription of the *Params structs of
signalwire/signalwire-rust src/relay/protocol_types_generated.rs (8327d24) with the nested keys of
signalwire/signalwire-typescript src/relay/protocol.types.generated.ts (4a91ab8). Key names and
types only (facts); neither file is copied. Run: python3 scripts/schema/relay_schema_table.py > relay-core/tests/data/relay_schema.json"""
import json
S, B, I, N, A = "string", "boolean", "integer", "number", "any"
ids = {"call_id": S, "node_id": S}
ctl = {**ids, "control_id": S}
m = {}
m["calling.ai_hold"] = {"async": B, **ids, "prompt": S, "swml": B, "timeout": S}
m["calling.ai_message"] = {"async": B, **ids, "global_data": A, "message_text": S, "reset": A, "role": S, "swml": B}
m["calling.ai_unhold"] = {"async": B, **ids, "prompt": S, "swml": B}
m["calling.amazon_bedrock"] = {"SWAIG": A, "async": B, **ids, "global_data": A, "params": A, "post_prompt": A, "post_prompt_url": S, "prompt": A, "swml": B}
m["calling.answer"] = {**ids, "max_duration": I}
m["calling.begin"] = {"device": A, "max_duration": I, "node_id": S, "region": S, "tag": S}
m["calling.bind_digit"] = {"bind_method": S, **ids, "digits": S, "max_triggers": I, "params": A, "realm": S, "swml": B}
m["calling.clear_digit_bindings"] = {**ids, "realm": S, "swml": B}
m["calling.collect"] = {**ctl, "continue": B, "continuous": B, "digits": A, "initial_timeout": N, "partial_results": B, "send_start_of_input": B, "speech": A, "start_input_timers": B}
m["calling.collect.start_input_timers"] = dict(ctl)
m["calling.collect.stop"] = dict(ctl)
m["calling.connect"] = {**ids, "devices": A, "max_duration": I, "max_price_per_minute": N, "ringback": A, "tag": S}
m["calling.denoise"] = dict(ids)
m["calling.denoise.stop"] = dict(ids)
m["calling.detect"] = {**ctl, "detect": A, "timeout": N}
m["calling.detect.stop"] = dict(ctl)
m["calling.dial"] = {"devices": A, "max_price_per_minute": N, "node_id": S, "region": S, "tag": S}
m["calling.disconnect"] = dict(ids)
m["calling.echo"] = {**ids, "status_url": S, "swml": B, "timeout": N}
m["calling.end"] = {**ids, "reason": S}
m["calling.join_conference"] = {"acl": S, "beep": S, **ids, "coach": S, "end_on_exit": B, "max_participants": I, "muted": B, "name": S, "record": S,
  "recording_status_callback": S, "recording_status_callback_event": S, "recording_status_callback_event_type": S, "recording_status_callback_method": S,
  "region": S, "start_on_enter": B, "status_callback": S, "status_callback_event": S, "status_callback_event_type": S, "status_callback_method": S,
  "stream": A, "swml": B, "trim": S, "wait_url": S}
m["calling.join_room"] = {**ids, "hagrid_json_api_url": S, "hagrid_node_id": S, "name": S, "status_url": S, "swml": B}
m["calling.leave_conference"] = {"async": B, **ids, "conference_id": S}
m["calling.leave_room"] = {"async": B, **ids}
m["calling.live_transcribe"] = {"action": A, "async": B, **ids, "swml": B}
m["calling.live_translate"] = {"action": A, "async": B, **ids, "status_url": S, "swml": B}
m["calling.pass"] = dict(ids)
m["calling.pay"] = {"bank_account_type": A, **ctl, "charge_amount": S, "currency": S, "description": S, "input": A, "language": S, "max_attempts": S,
  "min_postal_code_length": S, "parameters": A, "payment_connector_url": S, "payment_method": A, "postal_code": S, "prompts": A, "security_code": S,
  "status_url": S, "timeout": S, "token_type": A, "valid_card_types": S, "voice": S}
m["calling.pay.stop"] = dict(ctl)
m["calling.play"] = {**ctl, "play": A, "volume": N}
for s in ("pause", "resume", "stop"):
    m["calling.play." + s] = dict(ctl)
m["calling.play.volume"] = {**ctl, "volume": N}
m["calling.play_and_collect"] = {**ctl, "collect": A, "play": A, "volume": N}
m["calling.play_and_collect.stop"] = dict(ctl)
m["calling.play_and_collect.volume"] = {**ctl, "volume": N}
m["calling.queue.enter"] = {**ctl, "queue_name": S, "status_url": S, "wait_url": S}
m["calling.queue.leave"] = {**ctl, "queue_id": S, "queue_name": S, "status_url": S}
m["calling.receive"] = {"context": S, "contexts": A}
m["calling.receive_fax"] = dict(ctl)
m["calling.receive_fax.stop"] = dict(ctl)
m["calling.record"] = {**ctl, "record": A}
m["calling.record.pause"] = {"behavior": S, **ctl}
m["calling.record.resume"] = dict(ctl)
m["calling.record.stop"] = dict(ctl)
m["calling.refer"] = {**ids, "device": A}
m["calling.send_digits"] = {**ctl, "digits": S}
m["calling.send_fax"] = {**ctl, "document": S, "header_info": S, "identity": S}
m["calling.send_fax.stop"] = dict(ctl)
m["calling.stream"] = {"async": B, "authorization_bearer_token": S, **ctl, "codec": S, "custom_parameters": A, "name": S, "status_url": S,
  "status_url_method": S, "swml": B, "track": S, "url": S}
m["calling.stream.stop"] = {"async": B, **ctl, "swml": B}
m["calling.tap"] = {**ctl, "device": A, "tap": A}
m["calling.tap.stop"] = dict(ctl)
m["calling.transfer"] = {**ids, "dest": S}
m["calling.user_event"] = {"async": B, **ids, "event": A, "swml": B}
m["messaging.send"] = {"body": S, "context": S, "from_number": S, "media": A, "region": S, "tags": A, "to_number": S}
m["signalwire.connect"] = {"agent": S, "authentication": A, "host": S, "identity": S, "params": A, "protocols": A, "version": A}
m["signalwire.disconnect"] = {"restart": B}
m["signalwire.execute"] = {"attempted": A, "method": S, "params": A, "protocol": S, "requester_identity": S, "requester_nodeid": S,
  "responder_identity": S, "responder_nodeid": S}
m["signalwire.ping"] = {"payload": S, "timestamp": N}
m["signalwire.reauthenticate"] = {"authentication": A, "dpop_token": S}

# Nested shapes: TS-Gen names them where the Rust file has serde_json::Value.
def obj(**keys): return {"type": "object", "keys": keys}
def arr(items): return {"type": "array", "items": items}
O = "object"
typed = obj(params=O, type=S)
digits = obj(digit_timeout=N, max=N, min=N, terminators=S)
speech = obj(end_silence_timeout=N, hints=arr(S), language=S, model=S, speech_timeout=N)
nested = {
 "calling.ai_message": {"global_data": O, "reset": O},
 "calling.amazon_bedrock": {"SWAIG": O, "global_data": O, "params": O, "post_prompt": O, "prompt": O},
 "calling.begin": {"device": typed},
 "calling.bind_digit": {"params": O},
 "calling.collect": {"digits": digits, "speech": speech},
 "calling.connect": {"devices": arr(arr(typed)), "ringback": arr(typed)},
 "calling.detect": {"detect": typed},
 "calling.dial": {"devices": arr(arr(typed))},
 "calling.join_conference": {"stream": O},
 "calling.live_transcribe": {"action": O},
 "calling.live_translate": {"action": O},
 # bank_account_type, input, payment_method, token_type and prompts[].for / actions[].type are
 # enums in the server (TS-Gen prints them as objects, Rust as Value): left "any".
 "calling.pay": {"parameters": arr(obj(name=S, value=S)),
                 "prompts": arr(obj(actions=arr(obj(phrase=S, type=A)), attempt=S, card_type=S, error_type=S, **{"for": A}, require_matching_inputs=S))},
 "calling.play": {"play": arr(typed)},
 "calling.play_and_collect": {"collect": obj(digits=digits, initial_timeout=N, speech=speech), "play": arr(typed)},
 "calling.receive": {"contexts": arr(S)},
 "calling.record": {"record": obj(audio=obj(direction=S))},
 "calling.refer": {"device": obj(params=obj(headers=O, to=S), type=S)},
 "calling.stream": {"custom_parameters": O},
 "calling.tap": {"device": typed, "tap": obj(params=O, type=A)},
 "calling.user_event": {"event": O},
 "messaging.send": {"media": arr(S), "tags": arr(S)},
 "signalwire.connect": {"authentication": O, "params": O, "protocols": arr(obj(protocol=S, rank=N)), "version": obj(major=N, minor=N, revision=N)},
 "signalwire.execute": {"attempted": arr(S), "params": O},
 "signalwire.reauthenticate": {"authentication": O},
}
for method, keys in nested.items():
    for k, spec in keys.items():
        assert m[method][k] == A, (method, k)
        m[method][k] = spec
out = {
 "source": {
  "repo": "signalwire/signalwire-rust", "path": "src/relay/protocol_types_generated.rs",
  "commit": "8327d249d0bb1b9e7e3e88fc45a516396050ddd7",
  "nested_shapes_from": {"repo": "signalwire/signalwire-typescript", "path": "src/relay/protocol.types.generated.ts",
                         "commit": "4a91ab8c56e0105f13bcda88f0dc21cc448341ff"},
  "how": "the *Params structs (request params only) of the Rust file, transcribed by hand: String -> string, bool -> boolean, i64 -> integer, f64 -> number, serde_json::Value -> any. The Rust file types every nested structure as serde_json::Value; its sibling TS-Gen file, generated from the same porting-sdk/relay-protocol schemas, names the nested keys, which are taken from it. Enum-valued keys that TS-Gen prints as objects stay any. Both files describe open shapes (extra keys accepted by the server).",
 },
 "types": "string | number (any JSON number) | integer | boolean | object (any keys) | array | any; or {type: object, keys: {...}} / {type: array, items: ...}",
 "methods": dict(sorted(m.items())),
}
print(json.dumps(out, indent=1))
