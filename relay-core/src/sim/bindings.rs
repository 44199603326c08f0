//! Digit bindings ([§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) `calling.bind_digit` / `calling.clear_digit_bindings`): the service
//! remembers them per call, and when the scripted caller presses a bound sequence
//! ([`FakeRelay::caller_presses`]) it runs the bound method on the call with its params, as
//! if the call's session had sent it (with a new `control_id` when the params lack one).
//!
//! Choices where the spec is silent: `bind_method` must be a method this service models (a
//! call command, not `calling.dial`); `max_triggers` `0` or unset is unlimited, and a binding
//! is forgotten after its last trigger; one key can end several sequences, each fires. The
//! caller's last 64 keys are kept for matching.

use super::actions::Request;
use super::methods;
use super::relay::FakeRelay;
use super::ConnId;
use crate::control::is_dtmf;
use crate::ids::CallId;
use serde_json::{Map, Value};
use std::time::Instant;

const KEYS_KEPT: usize = 64;

/// One binding of a call.
#[derive(Debug, Clone)]
pub(super) struct Binding {
    digits: String,
    method: String,
    params: Map<String, Value>,
    realm: Option<String>,
    /// `0`: unlimited.
    max_triggers: u64,
    triggered: u64,
}

impl FakeRelay {
    pub(super) fn bind_digit(&mut self, req: &Request<'_>) {
        let text = |key: &str| req.params.get(key).and_then(Value::as_str);
        let digits = text("digits").filter(|d| is_dtmf(d));
        let method =
            text("bind_method").filter(|m| methods::is_modelled(m) && *m != "calling.dial");
        let params = match req.params.get("params") {
            None | Some(Value::Null) => Some(Map::new()),
            Some(Value::Object(map)) => Some(map.clone()),
            Some(_) => None,
        };
        let realm = match req.params.get("realm") {
            None | Some(Value::Null) => Some(None),
            Some(Value::String(r)) if !r.is_empty() => Some(Some(r.clone())),
            Some(_) => None,
        };
        let max_triggers = match req.params.get("max_triggers") {
            None | Some(Value::Null) => Some(0),
            Some(value) => value.as_u64(),
        };
        let (Some(digits), Some(method), Some(params), Some(realm), Some(max_triggers)) =
            (digits, method, params, realm, max_triggers)
        else {
            return self.bad_params(req, "Invalid binding");
        };
        let binding = Binding {
            digits: digits.to_owned(),
            method: method.to_owned(),
            params,
            realm,
            max_triggers,
            triggered: 0,
        };
        self.control_of_call(req.call_id).bindings.push(binding);
        self.reply_code(req.conn, req.id, "200", "Digit binding created", req.now);
    }

    pub(super) fn clear_digit_bindings(&mut self, req: &Request<'_>) {
        let realm = match req.params.get("realm") {
            None | Some(Value::Null) => None,
            Some(Value::String(r)) if !r.is_empty() => Some(r.clone()),
            Some(_) => return self.bad_params(req, "Invalid realm"),
        };
        let state = self.control_of_call(req.call_id);
        match realm {
            Some(realm) => state
                .bindings
                .retain(|b| b.realm.as_deref() != Some(realm.as_str())),
            None => state.bindings.clear(),
        }
        self.reply_code(req.conn, req.id, "200", "Digit bindings cleared", req.now);
    }

    /// The digit bindings of a call, as `(digits, bind_method)` (for tests).
    pub fn digit_bindings(&self, call_id: &CallId) -> Vec<(String, String)> {
        self.control
            .calls
            .get(call_id)
            .map(|c| {
                c.bindings
                    .iter()
                    .map(|b| (b.digits.clone(), b.method.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The caller presses `digits` on a call: each key that completes a bound sequence runs
    /// its method on the call (see the module docs). Keys that are not DTMF are ignored.
    pub fn caller_presses(&mut self, call_id: &CallId, digits: &str, now: Instant) {
        for key in digits.chars().filter(|c| is_dtmf(&c.to_string())) {
            if !self.calls.contains_key(call_id) {
                return;
            }
            let state = self.control_of_call(call_id);
            state.keys.push(key);
            if state.keys.len() > KEYS_KEPT {
                state.keys.remove(0);
            }
            let keys = state.keys.clone();
            let mut fired = Vec::new();
            state.bindings.retain_mut(|binding| {
                if !keys.ends_with(&binding.digits) {
                    return true;
                }
                binding.triggered += 1;
                fired.push((binding.method.clone(), binding.params.clone()));
                binding.max_triggers == 0 || binding.triggered < binding.max_triggers
            });
            for (method, params) in fired {
                self.run_bound(call_id, &method, params, now);
            }
        }
    }

    /// Runs a bound method as the call's own session would send it, with no reply.
    fn run_bound(
        &mut self,
        call_id: &CallId,
        method: &str,
        mut params: Map<String, Value>,
        now: Instant,
    ) {
        let Some(call) = self.calls.get(call_id) else {
            return;
        };
        let protocol = call.session.clone();
        params.insert("node_id".into(), call.node_id.as_str().into());
        params.insert("call_id".into(), call_id.as_str().into());
        if !params.contains_key("control_id") {
            let control_id = self.new_id();
            params.insert("control_id".into(), control_id.into());
        }
        let conn = self
            .sessions
            .get(&protocol)
            .and_then(|s| s.conn)
            .unwrap_or(ConnId(0));
        self.call_command(conn, &None, &protocol, method, &params, now);
    }
}
