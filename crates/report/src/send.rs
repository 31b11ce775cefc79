//! Sending the weekly e-mail over SMTP with lettre.
//!
//! The message is `multipart/mixed`: a `multipart/alternative` with the
//! plain-text part (`email.txt`) and the HTML part (`email.html`), then
//! `findings.csv` as an attachment, and the page (`index.html`, attached as `costwise-report.html`) as a second attachment
//! when the e-mail has no link to a published page. It is built from the
//! files of a written report directory ([`Outgoing::load`]), so
//! `costwise report --send` and a later `costwise send --run DIR` send the
//! same bytes. The subject and the page link the e-mail was rendered with are
//! recorded next to the parts in `email.json` ([`EmailMeta`]).
//!
//! Server, security and recipients come from the config's `[email]` section
//! ([`EmailConfig`]). The password is read from its environment variable or
//! file only here, just before connecting, and never appears in a message:
//! errors name the server, the port and the server's reply.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, anyhow, bail};
use costwise_analyzer::config::{EmailConfig, PasswordSource, SmtpTls};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport as _};
use serde::{Deserialize, Serialize};

use crate::output;

/// The file, next to `email.html` and `email.txt`, that records the e-mail's subject and page link.
pub const EMAIL_META_FILE: &str = "email.json";

/// How long to wait for the SMTP server on each step before giving up.
const SMTP_TIMEOUT: Duration = Duration::from_secs(60);

/// What `email.json` holds: what the parts alone do not say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailMeta {
    /// The subject line.
    pub subject: String,
    /// The page link the e-mail was rendered with; `null` means the e-mail says the page is attached.
    pub page_url: Option<String>,
}

impl EmailMeta {
    /// Writes `email.json` into `dir` (atomically).
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let json = serde_json::to_string_pretty(self).context("serializing email.json")?;
        output::write_atomic(dir, EMAIL_META_FILE, format!("{json}\n").as_bytes())?;
        Ok(())
    }
}

/// An e-mail ready to send: the rendered parts and the attachments, as written in a report directory.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Subject and page link.
    pub meta: EmailMeta,
    /// The HTML part.
    pub html: String,
    /// The plain-text part.
    pub text: String,
    /// `findings.csv`.
    pub findings_csv: Vec<u8>,
    /// `index.html`, attached when the e-mail has no page link.
    pub page: Option<Vec<u8>>,
}

impl Outgoing {
    /// Reads `email.json`, `email.txt`, `email.html`, `findings.csv` and (when the e-mail has no page link)
    /// `index.html` from a report directory written by `costwise report`.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path)
                .with_context(|| format!("{}: cannot read (is this a costwise report directory?)", path.display()))
        };
        let utf8 = |name: &str| {
            read(name).and_then(|bytes| {
                String::from_utf8(bytes).map_err(|_| anyhow!("{}: not UTF-8", dir.join(name).display()))
            })
        };
        let meta: EmailMeta = serde_json::from_str(&utf8(EMAIL_META_FILE)?)
            .with_context(|| format!("{}: not an email.json document", dir.join(EMAIL_META_FILE).display()))?;
        let page = if meta.page_url.is_none() { Some(read("index.html")?) } else { None };
        Ok(Self {
            html: utf8("email.html")?,
            text: utf8("email.txt")?,
            findings_csv: read("findings.csv")?,
            page,
            meta,
        })
    }
}

/// Builds the MIME message (see the module docs for its structure).
pub fn build_message(config: &EmailConfig, mail: &Outgoing) -> anyhow::Result<Message> {
    let from: Mailbox =
        config.from.parse().with_context(|| format!("[email] from: `{}` is not a mailbox", config.from))?;
    let mut builder =
        Message::builder().message_id(Some(message_id(&from))).from(from).subject(&mail.meta.subject).date_now();
    for to in &config.to {
        builder = builder.to(to.parse().with_context(|| format!("[email] to: `{to}` is not a mailbox"))?);
    }
    let csv_type = ContentType::parse("text/csv; charset=utf-8").expect("a valid content type");
    let mut body = MultiPart::mixed()
        .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))
        .singlepart(Attachment::new("findings.csv".to_owned()).body(mail.findings_csv.clone(), csv_type));
    if let Some(page) = &mail.page {
        body = body
            .singlepart(Attachment::new("costwise-report.html".to_owned()).body(page.clone(), ContentType::TEXT_HTML));
    }
    builder.multipart(body).context("building the e-mail")
}

/// A unique `Message-ID` in the sender's domain.
fn message_id(from: &Mailbox) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("<costwise.{nanos:x}.{:x}@{}>", std::process::id(), from.email.domain())
}

/// Sends `mail` to the configured recipients through the configured server.
pub fn send(config: &EmailConfig, mail: &Outgoing) -> anyhow::Result<()> {
    let message = build_message(config, mail)?;
    let server = format!("{}:{} ({})", config.smtp_host, config.smtp_port, config.tls.name());
    let smtp_error = |e: lettre::transport::smtp::Error| anyhow!("SMTP server {server}: {e}");
    let mut transport = match config.tls {
        SmtpTls::StartTls => SmtpTransport::starttls_relay(&config.smtp_host).map_err(smtp_error)?,
        SmtpTls::Implicit => SmtpTransport::relay(&config.smtp_host).map_err(smtp_error)?,
        SmtpTls::None => {
            // Config validation allows plain SMTP only to loopback hosts; check again where it matters.
            if !costwise_analyzer::config::is_loopback(&config.smtp_host) {
                bail!("SMTP server {server}: unencrypted SMTP is allowed only to a loopback host");
            }
            SmtpTransport::builder_dangerous(&config.smtp_host)
        }
    }
    .port(config.smtp_port)
    .timeout(Some(SMTP_TIMEOUT));
    if let Some(auth) = &config.auth {
        transport = transport.credentials(Credentials::new(auth.username.clone(), password(&auth.password)?));
    }
    tracing::info!(server = %server, recipients = config.to.len(), "sending the e-mail");
    let response = transport.build().send(&message).map_err(smtp_error)?;
    tracing::debug!(code = %response.code(), "SMTP server accepted the e-mail");
    Ok(())
}

/// Reads the SMTP password. Errors name the variable or file, never the contents.
fn password(source: &PasswordSource) -> anyhow::Result<String> {
    let password = match source {
        PasswordSource::Env(var) => std::env::var(var).map_err(|e| match e {
            std::env::VarError::NotPresent => anyhow!("[email] password-env: environment variable {var} is not set"),
            std::env::VarError::NotUnicode(_) => {
                anyhow!("[email] password-env: environment variable {var} is not UTF-8")
            }
        })?,
        PasswordSource::File(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("[email] password-file: cannot read {}", path.display()))?;
            text.strip_suffix('\n').map_or(&*text, |t| t.strip_suffix('\r').unwrap_or(t)).to_owned()
        }
    };
    if password.is_empty() {
        bail!(
            "[email] the SMTP password is empty ({})",
            match source {
                PasswordSource::Env(var) => format!("environment variable {var}"),
                PasswordSource::File(path) => format!("file {}", path.display()),
            }
        );
    }
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(tls: SmtpTls, host: &str) -> EmailConfig {
        EmailConfig {
            from: "costwise <costwise@example.com>".into(),
            to: vec!["pm@example.com".into(), "Fin Ops <finops@example.com>".into()],
            smtp_host: host.into(),
            smtp_port: 2525,
            tls,
            auth: None,
            page_url: None,
        }
    }

    fn outgoing(page: Option<&[u8]>) -> Outgoing {
        Outgoing {
            meta: EmailMeta { subject: "costwise: $1,912/month in savings found (38%)".into(), page_url: None },
            html: "<html><body>report</body></html>".into(),
            text: "report\n".into(),
            findings_csv: b"rule,resource_id\nx,vol-1\n".to_vec(),
            page: page.map(<[u8]>::to_vec),
        }
    }

    #[test]
    fn the_message_has_both_parts_and_the_attachments() {
        let raw = String::from_utf8(
            build_message(&config(SmtpTls::None, "127.0.0.1"), &outgoing(Some(b"<html>page</html>")))
                .unwrap()
                .formatted(),
        )
        .unwrap();
        for needle in [
            "Subject: costwise: $1,912/month in savings found (38%)",
            "To: pm@example.com, \"Fin Ops\" <finops@example.com>",
            "multipart/mixed",
            "multipart/alternative",
            "text/plain; charset=utf-8",
            "text/html; charset=utf-8",
            "filename=\"findings.csv\"",
            "filename=\"costwise-report.html\"",
            "@example.com>",
        ] {
            assert!(raw.contains(needle), "missing {needle:?} in\n{raw}");
        }
        let raw =
            String::from_utf8(build_message(&config(SmtpTls::None, "127.0.0.1"), &outgoing(None)).unwrap().formatted())
                .unwrap();
        assert!(!raw.contains("costwise-report.html"), "{raw}");
    }

    #[test]
    fn passwords_come_from_the_environment_or_a_file_and_errors_do_not_show_them() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("smtp-password");
        std::fs::write(&file, "s3cret-from-file\r\n").unwrap();
        assert_eq!(password(&PasswordSource::File(file.clone())).unwrap(), "s3cret-from-file");
        std::fs::write(&file, "\n").unwrap();
        let err = format!("{:#}", password(&PasswordSource::File(file)).unwrap_err());
        assert!(err.contains("empty") && err.contains("smtp-password"), "{err}");
        let err = format!("{:#}", password(&PasswordSource::Env("COSTWISE_TEST_SURELY_UNSET_VAR".into())).unwrap_err());
        assert!(err.contains("COSTWISE_TEST_SURELY_UNSET_VAR is not set"), "{err}");
    }

    #[test]
    fn a_refused_connection_names_the_server() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let mut config = config(SmtpTls::None, "127.0.0.1");
        config.smtp_port = port;
        let err = format!("{:#}", send(&config, &outgoing(None)).unwrap_err());
        assert!(err.contains(&format!("127.0.0.1:{port} (none)")), "{err}");
    }

    #[test]
    fn outgoing_mail_is_read_back_from_a_report_directory() {
        let dir = tempfile::tempdir().unwrap();
        let meta = EmailMeta { subject: "costwise: no savings found".into(), page_url: None };
        meta.write(dir.path()).unwrap();
        for (name, body) in [("email.html", "<p>h</p>"), ("email.txt", "t\n"), ("findings.csv", "a\n")] {
            std::fs::write(dir.path().join(name), body).unwrap();
        }
        let err = format!("{:#}", Outgoing::load(dir.path()).unwrap_err());
        assert!(err.contains("index.html"), "{err}");
        std::fs::write(dir.path().join("index.html"), "<html></html>").unwrap();
        let mail = Outgoing::load(dir.path()).unwrap();
        assert_eq!((mail.meta, mail.text.as_str(), mail.page.as_deref()), (meta, "t\n", Some(&b"<html></html>"[..])));
    }
}
