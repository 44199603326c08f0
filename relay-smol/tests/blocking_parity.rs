//! The blocking facade cannot drift from the async API: every public method of the async
//! `Call`, `Client`, action handles, `MessageHandle` and `QueueEntry` (read from
//! relay-core's source) has a blocking twin of the same name, unless it is listed below
//! with the reason it cannot exist in blocking form.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Methods with no blocking twin, and why.
const EXCEPTIONS: &[(&str, &str, &str)] = &[
    ("Client", "run", "BlockingClient::start runs the client"),
    (
        "Client",
        "incoming",
        "BlockingClient::next_call / on_call take the calls",
    ),
    (
        "Client",
        "messages",
        "BlockingClient::next_message takes the messages",
    ),
    (
        "Client",
        "on_message",
        "async handler; use client().on_message or next_message",
    ),
    (
        "Client",
        "runtime",
        "the async runtime; blocking code has nothing to do with it",
    ),
    (
        "Call",
        "runtime",
        "the async runtime; blocking code has nothing to do with it",
    ),
    (
        "ActionHandle",
        "runtime",
        "the async runtime; blocking code has nothing to do with it",
    ),
    (
        "MessageHandle",
        "runtime",
        "the async runtime; blocking code has nothing to do with it",
    ),
    (
        "ActionHandle",
        "on_completed_async",
        "spawns a future: async only",
    ),
    (
        "*typed",
        "on_completed_async",
        "spawns a future: async only",
    ),
];

/// `impl Name { .. }` blocks of `source` (inherent impls only): their `pub fn` names.
fn methods(source: &str, into: &mut BTreeMap<String, BTreeSet<String>>) {
    let mut current: Option<String> = None;
    for line in source.lines() {
        if let Some(rest) = line.strip_prefix("impl ") {
            let rest = rest.trim_start_matches(|c| c != ' ' && rest.starts_with('<'));
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            current = (!line.contains(" for ") && line.ends_with('{')).then_some(name);
        } else if line == "}" {
            current = None;
        } else if let Some(name) = &current {
            if let Some(method) = pub_fn(line, "    ") {
                into.entry(name.clone()).or_default().insert(method);
            }
        }
    }
}

/// The name of a `pub fn` / `pub async fn` declared at `indent`.
fn pub_fn(line: &str, indent: &str) -> Option<String> {
    let rest = line.strip_prefix(indent)?;
    let rest = rest
        .strip_prefix("pub async fn ")
        .or_else(|| rest.strip_prefix("pub fn "))?;
    Some(
        rest.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect(),
    )
}

/// The `pub fn` names inside `macro_rules! name { .. }` of `source`.
fn macro_methods(source: &str, name: &str) -> BTreeSet<String> {
    let start = source
        .find(&format!("macro_rules! {name}"))
        .unwrap_or_else(|| panic!("macro {name} not found"));
    let body = &source[start..];
    let end = body.find("\n}\n").unwrap_or(body.len());
    body[..end]
        .lines()
        .filter_map(|l| pub_fn(l.trim_start(), ""))
        .collect()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_async_method_has_a_blocking_twin() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let driver = root.join("relay-core/src/driver");
    let mut async_api = BTreeMap::new();
    for entry in std::fs::read_dir(&driver).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            methods(&read(&path), &mut async_api);
        }
    }
    let action_source = read(&driver.join("action.rs"));
    let typed = macro_methods(&action_source, "typed_action");
    let blocking_source = read(&root.join("relay-smol/src/blocking.rs"));
    let mut blocking_api = BTreeMap::new();
    methods(&blocking_source, &mut blocking_api);
    let blocking_typed = macro_methods(&blocking_source, "blocking_action");

    // The twins: typed action handles from the `blocking_action!` invocations
    // (`BlockingStream(StreamAction) => ..`), the rest by name.
    let mut twins: Vec<(String, String)> = [
        ("Call", "BlockingCall"),
        ("Client", "BlockingClient"),
        ("ActionHandle", "BlockingAction"),
        ("MessageHandle", "BlockingMessage"),
        ("QueueEntry", "BlockingQueueEntry"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    for line in blocking_source.lines() {
        let line = line.trim();
        if let Some((blocking, rest)) = line.split_once('(') {
            if blocking.starts_with("Blocking") && rest.contains(") => ") {
                let inner = rest.split(')').next().unwrap_or_default();
                twins.push((inner.to_owned(), blocking.to_owned()));
            }
        }
    }
    assert!(twins.len() > 10, "the typed handles were found: {twins:?}");

    let excepted = |ty: &str, method: &str, typed: bool| {
        EXCEPTIONS
            .iter()
            .any(|(t, m, _)| *m == method && (*t == ty || (typed && *t == "*typed")))
    };
    let mut missing = Vec::new();
    for (async_ty, blocking_ty) in &twins {
        let is_typed = !async_api.contains_key(async_ty) || async_ty.ends_with("Action");
        let mut wanted: BTreeSet<String> = async_api.get(async_ty).cloned().unwrap_or_default();
        let mut have: BTreeSet<String> = blocking_api.get(blocking_ty).cloned().unwrap_or_default();
        if is_typed && async_ty != "ActionHandle" {
            wanted.extend(typed.iter().cloned());
            have.extend(blocking_typed.iter().cloned());
        }
        assert!(!wanted.is_empty(), "no async methods found for {async_ty}");
        for method in wanted {
            if !have.contains(&method) && !excepted(async_ty, &method, is_typed) {
                missing.push(format!(
                    "{blocking_ty}::{method} (twin of {async_ty}::{method})"
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "blocking twins missing:\n{}",
        missing.join("\n")
    );
}
