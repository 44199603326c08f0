//! Reading the client configuration from `SIGNALWIRE_*` variables.

use crate::config::{ConfigError, Credentials};

/// What the environment says, before building.
#[derive(Debug, Default)]
pub(crate) struct EnvSettings {
    pub(crate) credentials: Option<Credentials>,
    pub(crate) host: Option<String>,
    pub(crate) scheme: Option<String>,
    pub(crate) ca_file: Option<String>,
    pub(crate) contexts: Option<Vec<String>>,
}

/// Reads `SIGNALWIRE_PROJECT_ID`, `SIGNALWIRE_API_TOKEN` or `SIGNALWIRE_JWT_TOKEN`,
/// `SIGNALWIRE_SPACE`, `SIGNALWIRE_RELAY_SCHEME`, `SIGNALWIRE_RELAY_CA_FILE` and
/// `SIGNALWIRE_CONTEXTS` (comma list) through `lookup`. Missing credentials name the variable.
pub(crate) fn read(lookup: impl Fn(&str) -> Option<String>) -> Result<EnvSettings, ConfigError> {
    let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
    let credentials = match get("SIGNALWIRE_JWT_TOKEN") {
        Some(jwt) => Credentials::jwt(jwt),
        None => {
            let project = get("SIGNALWIRE_PROJECT_ID")
                .ok_or(ConfigError::Missing("SIGNALWIRE_PROJECT_ID"))?;
            let token = get("SIGNALWIRE_API_TOKEN").ok_or(ConfigError::Missing(
                "SIGNALWIRE_API_TOKEN (or SIGNALWIRE_JWT_TOKEN)",
            ))?;
            Credentials::token(project, token)
        }
    };
    Ok(EnvSettings {
        credentials: Some(credentials),
        host: get("SIGNALWIRE_SPACE"),
        scheme: get("SIGNALWIRE_RELAY_SCHEME"),
        ca_file: get("SIGNALWIRE_RELAY_CA_FILE"),
        contexts: get("SIGNALWIRE_CONTEXTS").map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect()
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn missing_variables_are_named() {
        assert_eq!(
            read(lookup(&[])).unwrap_err(),
            ConfigError::Missing("SIGNALWIRE_PROJECT_ID")
        );
        assert_eq!(
            read(lookup(&[("SIGNALWIRE_PROJECT_ID", "p")])).unwrap_err(),
            ConfigError::Missing("SIGNALWIRE_API_TOKEN (or SIGNALWIRE_JWT_TOKEN)")
        );
    }

    #[test]
    fn reads_everything() {
        let env = read(lookup(&[
            ("SIGNALWIRE_PROJECT_ID", "p"),
            ("SIGNALWIRE_API_TOKEN", "t"),
            ("SIGNALWIRE_SPACE", "example.signalwire.com"),
            ("SIGNALWIRE_RELAY_SCHEME", "ws"),
        ]))
        .unwrap();
        assert_eq!(env.credentials, Some(Credentials::token("p", "t")));
        assert_eq!(env.host.as_deref(), Some("example.signalwire.com"));
        assert_eq!(env.scheme.as_deref(), Some("ws"));
        assert_eq!(env.contexts, None);
        let jwt = read(lookup(&[("SIGNALWIRE_JWT_TOKEN", "j")])).unwrap();
        assert_eq!(jwt.credentials, Some(Credentials::jwt("j")));
    }

    #[test]
    fn contexts_are_a_comma_list() {
        let vars = |list| lookup(&[("SIGNALWIRE_JWT_TOKEN", "j"), ("SIGNALWIRE_CONTEXTS", list)]);
        let env = read(vars(" office, sales,,support ")).unwrap();
        assert_eq!(
            env.contexts,
            Some(vec!["office".into(), "sales".into(), "support".into()])
        );
        assert_eq!(read(vars("  ")).unwrap().contexts, None);
    }
}
