//! The `[email]` section of `costwise.toml`: who gets the weekly e-mail and
//! through which SMTP server.
//!
//! ```toml
//! [email]
//! from = "costwise <costwise@example.com>"
//! to = ["pm-team@example.com", "finops@example.com"]
//! smtp-host = "smtp.example.com"
//! smtp-port = 587                  # default: 587 starttls, 465 implicit, 25 none
//! tls = "starttls"                 # "starttls" (default) | "implicit" | "none" (loopback hosts only)
//! username = "costwise"            # optional; AUTH is used only with a username
//! password-env = "COSTWISE_SMTP_PASSWORD"   # or: password-file = "/run/secrets/smtp"
//! page-url = "https://intranet.example.com/costwise/{run}/index.html"   # optional; {run}: the run directory
//! ```
//!
//! The password never lives in the config file: a `password` key is an error.
//! It comes from the environment variable named by `password-env` or from the
//! file at `password-file` (relative paths are relative to the config file's
//! directory), and is read only when the e-mail is sent. Every problem in the
//! section is reported at once.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (required, never skipped); default port 587.
    StartTls,
    /// TLS from the first byte ("SMTPS"); default port 465.
    Implicit,
    /// No encryption; allowed only for loopback hosts (a local relay or a test server); default port 25.
    None,
}

impl SmtpTls {
    /// The config spelling: `starttls`, `implicit` or `none`.
    pub fn name(self) -> &'static str {
        match self {
            Self::StartTls => "starttls",
            Self::Implicit => "implicit",
            Self::None => "none",
        }
    }

    /// The port used when `smtp-port` is not set.
    pub fn default_port(self) -> u16 {
        match self {
            Self::StartTls => 587,
            Self::Implicit => 465,
            Self::None => 25,
        }
    }
}

/// Where the SMTP password comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// The environment variable of this name.
    Env(String),
    /// This file (its contents, without a trailing newline); resolved against the config file's directory.
    File(PathBuf),
}

/// SMTP AUTH credentials: a user name and where its password is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpAuth {
    /// The user name.
    pub username: String,
    /// Where the password is read from when sending.
    pub password: PasswordSource,
}

/// A validated `[email]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailConfig {
    /// Sender mailbox (`addr@example.com` or `Name <addr@example.com>`).
    pub from: String,
    /// Recipient mailboxes (at least one).
    pub to: Vec<String>,
    /// SMTP server host name or IP address.
    pub smtp_host: String,
    /// SMTP server port (defaults by `tls`, see [`SmtpTls::default_port`]).
    pub smtp_port: u16,
    /// Connection security.
    pub tls: SmtpTls,
    /// Credentials, when the server wants AUTH.
    pub auth: Option<SmtpAuth>,
    /// Where the full page is published; without it the page is attached to the e-mail.
    pub page_url: Option<String>,
}

const KEYS: [&str; 9] =
    ["from", "to", "smtp-host", "smtp-port", "tls", "username", "password-env", "password-file", "page-url"];

impl EmailConfig {
    /// Validates the `[email]` table; `config_path` is the config file (for relative `password-file` paths).
    /// On error returns every problem found, each naming its key.
    pub fn from_toml(table: &toml::Table, config_path: Option<&Path>) -> Result<Self, Vec<String>> {
        let mut problems = Vec::new();
        for key in table.keys() {
            if key == "password" {
                problems.push(
                    "`password` is not allowed: a config file is copied, committed and shared, so the SMTP \
                     password must come from `password-env` (an environment variable's name) or `password-file`"
                        .to_owned(),
                );
            } else if !KEYS.contains(&key.as_str()) {
                let kebab = key.replace('_', "-");
                let hint = if KEYS.contains(&kebab.as_str()) {
                    format!(" (did you mean `{kebab}`?)")
                } else {
                    format!(" (known keys: {})", KEYS.join(", "))
                };
                problems.push(format!("unknown key `{key}`{hint}"));
            }
        }
        let mut string = |key: &str, required: bool| -> Option<String> {
            match table.get(key) {
                None if required => {
                    problems.push(format!("`{key}` is missing"));
                    None
                }
                None => None,
                Some(toml::Value::String(s)) if s.trim().is_empty() => {
                    problems.push(format!("`{key}` is empty"));
                    None
                }
                Some(toml::Value::String(s)) => Some(s.trim().to_owned()),
                Some(_) => {
                    problems.push(format!("`{key}` must be a string"));
                    None
                }
            }
        };
        let from = string("from", true);
        let smtp_host = string("smtp-host", true);
        let tls_name = string("tls", false);
        let username = string("username", false);
        let password_env = string("password-env", false);
        let password_file = string("password-file", false);
        let page_url = string("page-url", false);

        if let Some(from) = &from
            && !is_mailbox(from)
        {
            problems.push(format!("`from`: `{from}` is not an e-mail address"));
        }
        let to = match table.get("to") {
            None => {
                problems.push("`to` is missing (a list of recipient addresses)".to_owned());
                Vec::new()
            }
            Some(toml::Value::Array(items)) => {
                let mut to = Vec::new();
                for item in items {
                    match item.as_str().map(str::trim) {
                        Some(addr) if is_mailbox(addr) => to.push(addr.to_owned()),
                        Some(addr) => problems.push(format!("`to`: `{addr}` is not an e-mail address")),
                        None => problems.push(format!("`to`: {item} is not a string")),
                    }
                }
                if items.is_empty() {
                    problems.push("`to` is empty: list at least one recipient".to_owned());
                }
                to
            }
            Some(_) => {
                problems.push("`to` must be a list of addresses, e.g. [\"pm@example.com\"]".to_owned());
                Vec::new()
            }
        };
        let tls = match tls_name.as_deref() {
            None | Some("starttls") => SmtpTls::StartTls,
            Some("implicit") => SmtpTls::Implicit,
            Some("none") => SmtpTls::None,
            Some(other) => {
                problems.push(format!("`tls` = \"{other}\" is not one of \"starttls\", \"implicit\", \"none\""));
                SmtpTls::StartTls
            }
        };
        if tls == SmtpTls::None
            && let Some(host) = &smtp_host
            && !is_loopback(host)
        {
            problems.push(format!(
                "`tls` = \"none\" is allowed only for a loopback host (localhost, 127.0.0.1, ::1), not `{host}`: \
                 the message and the password would cross the network unencrypted; use \"starttls\" or \"implicit\""
            ));
        }
        let smtp_port = match table.get("smtp-port") {
            None => tls.default_port(),
            Some(toml::Value::Integer(port)) if (1..=i64::from(u16::MAX)).contains(port) => *port as u16,
            Some(other) => {
                problems.push(format!("`smtp-port` = {other} is not a port number (1-65535)"));
                tls.default_port()
            }
        };
        let password = match (password_env, password_file) {
            (Some(_), Some(_)) => {
                problems.push("set either `password-env` or `password-file`, not both".to_owned());
                None
            }
            (Some(var), None) => Some(PasswordSource::Env(var)),
            (None, Some(file)) => {
                let file = PathBuf::from(file);
                let base = config_path.and_then(Path::parent).filter(|p| !p.as_os_str().is_empty());
                Some(PasswordSource::File(match base {
                    Some(base) if file.is_relative() => base.join(file),
                    _ => file,
                }))
            }
            (None, None) => None,
        };
        let auth = match (username, password) {
            (Some(username), Some(password)) => Some(SmtpAuth { username, password }),
            (Some(_), None) => {
                problems.push("`username` is set but neither `password-env` nor `password-file` is".to_owned());
                None
            }
            (None, Some(_)) => {
                problems.push("a password source is set but `username` is not".to_owned());
                None
            }
            (None, None) => None,
        };
        if let Some(url) = &page_url {
            let lower = url.to_ascii_lowercase();
            let scheme_ok = ["https://", "http://"].iter().any(|s| lower.starts_with(s) && lower.len() > s.len());
            if !scheme_ok || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
                problems.push(format!("`page-url` = `{url}` must be an http:// or https:// address without spaces"));
            }
        }
        match (from, smtp_host) {
            (Some(from), Some(smtp_host)) if problems.is_empty() => {
                Ok(Self { from, to, smtp_host, smtp_port, tls, auth, page_url })
            }
            _ => Err(problems),
        }
    }
}

/// True for `local@domain` or `Name <local@domain>` without spaces in the address.
fn is_mailbox(text: &str) -> bool {
    let addr = match (text.rfind('<'), text.strip_suffix('>')) {
        (Some(open), Some(rest)) => &rest[open + 1..],
        (None, None) => text,
        _ => return false,
    };
    match addr.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !addr.chars().any(|c| c.is_whitespace() || c.is_control() || "<>,;".contains(c))
        }
        None => false,
    }
}

/// True for `localhost` and loopback IP addresses (`127.0.0.0/8`, `::1`, also in brackets).
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<EmailConfig, Vec<String>> {
        let table: toml::Table = toml::from_str(text).unwrap();
        EmailConfig::from_toml(&table, Some(Path::new("/etc/costwise/costwise.toml")))
    }

    #[test]
    fn a_full_section_parses_with_defaults() {
        let config = parse(
            r#"
            from = "costwise <costwise@example.com>"
            to = ["pm@example.com"]
            smtp-host = "smtp.example.com"
            username = "costwise"
            password-file = "smtp-password"
            "#,
        )
        .unwrap();
        assert_eq!(config.tls, SmtpTls::StartTls);
        assert_eq!(config.smtp_port, 587);
        assert_eq!(config.auth.unwrap().password, PasswordSource::File(PathBuf::from("/etc/costwise/smtp-password")));
        let implicit = parse(
            "from = \"a@b.c\"\nto = [\"d@e.f\"]\nsmtp-host = \"h\"\ntls = \"implicit\"\npassword-env = \"P\"\nusername = \"u\"",
        )
        .unwrap();
        assert_eq!((implicit.tls, implicit.smtp_port), (SmtpTls::Implicit, 465));
        assert_eq!(implicit.auth.unwrap().password, PasswordSource::Env("P".into()));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let problems = parse(
            r#"
            from = "not an address"
            to = []
            smtp-host = "smtp.example.com"
            smtp_port = 25
            tls = "none"
            password = "hunter2"
            username = "u"
            page-url = "javascript:alert(1)"
            "#,
        )
        .unwrap_err();
        let all = problems.join("\n");
        for needle in [
            "`from`",
            "`to` is empty",
            "did you mean `smtp-port`",
            "loopback",
            "`password` is not allowed",
            "`username` is set",
            "page-url",
        ] {
            assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
        }
        assert!(!all.contains("hunter2"), "{all}");
        assert_eq!(problems.len(), 7, "{all}");
    }

    #[test]
    fn plain_smtp_is_allowed_on_loopback_only() {
        for host in ["localhost", "127.0.0.1", "127.3.4.5", "::1", "[::1]"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["smtp.example.com", "10.0.0.1", "localhost.example.com"] {
            assert!(!is_loopback(host), "{host}");
        }
        let config = parse("from = \"a@b.c\"\nto = [\"d@e.f\"]\nsmtp-host = \"127.0.0.1\"\ntls = \"none\"").unwrap();
        assert_eq!((config.smtp_port, config.auth), (25, None));
    }
}
