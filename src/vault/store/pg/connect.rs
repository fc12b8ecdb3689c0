//! Connecting to a PostgreSQL server from a `postgres://` URL: TLS as `sslmode` asks (through
//! rustls, which always checks the certificate and the host name), a connect timeout (10 s
//! unless the URL says otherwise), and errors that name the server but never the password.
//!
//! A URL without `sslmode` means `require` for any host but this machine (127.0.0.0/8, `::1`,
//! `localhost`, a Unix socket): libpq's default, `prefer`, lets anyone on the path answer
//! "no TLS" and read or write the vault's rows. `prefer` and `disable` only when written out.

use std::str::FromStr;
use std::time::Duration;

use ::postgres::config::{Host, SslMode};
use ::postgres::error::SqlState;
use ::postgres::{Client, Config, NoTls};

use crate::vault::error::{Error, Result};
use crate::vault::location::redact;

/// How long connecting may take when the URL does not say (`connect_timeout=` seconds).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A parsed server location: the driver's configuration, and where it points (for messages).
#[derive(Clone)]
pub struct Target {
    pub config: Config,
    /// `host:port/db`, without user or password.
    pub place: String,
    /// Extra trusted root certificates (`sslrootcert=` in the URL).
    root_cert: Option<String>,
    /// TLS is required because the URL did not say `sslmode` (for the message if it fails).
    tls_by_default: bool,
}

impl Target {
    pub fn parse(url: &str) -> Result<Target> {
        let (url, root_cert, sslmode_written) = translate(url);
        let mut config = Config::from_str(&url).map_err(|e| {
            Error::bad_input(
                "location",
                format!("{} is not a usable PostgreSQL URL: {e}", redact(&url)),
            )
        })?;
        // As libpq: a URL without a password takes PGPASSWORD, which keeps it out of argv.
        if config.get_password().is_none()
            && let Ok(password) = std::env::var("PGPASSWORD")
        {
            config.password(password);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(DEFAULT_CONNECT_TIMEOUT);
        }
        // A server that vanishes mid-statement is noticed instead of waited on for ever.
        config
            .keepalives_idle(Duration::from_secs(10))
            .keepalives_interval(Duration::from_secs(5))
            .keepalives_retries(3)
            .tcp_user_timeout(Duration::from_secs(30));
        config.application_name("keyward");
        let tls_by_default = !sslmode_written && !is_this_machine(&config);
        if tls_by_default {
            config.ssl_mode(SslMode::Require);
        }
        let place = place_of(&config);
        Ok(Target {
            config,
            place,
            root_cert,
            tls_by_default,
        })
    }

    /// Connects, giving up after the connect timeout whatever the server does: the driver's
    /// own timeout covers opening the socket, not a server that accepts and then says nothing,
    /// so the whole handshake runs on a thread that is abandoned if it does not finish.
    pub fn connect(&self) -> Result<Client> {
        let timeout = self
            .config
            .get_connect_timeout()
            .copied()
            .unwrap_or(DEFAULT_CONNECT_TIMEOUT);
        let tls = match self.config.get_ssl_mode() {
            SslMode::Disable => None,
            _ => Some(self.tls()?),
        };
        let config = self.config.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("keyward-connect".into())
            .spawn(move || {
                let connected = match tls {
                    None => config.connect(NoTls),
                    Some(tls) => config.connect(tls),
                };
                let _ = tx.send(connected);
            })
            .map_err(|e| Error::Server(format!("cannot start connecting: {e}")))?;
        match rx.recv_timeout(timeout) {
            Ok(connected) => connected.map_err(|e| self.connect_error(&e)),
            Err(_) => Err(Error::Server(format!(
                "the PostgreSQL server at {} did not answer within {} s",
                self.place,
                timeout.as_secs()
            ))),
        }
    }

    fn tls(&self) -> Result<tokio_postgres_rustls::MakeRustlsConnect> {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(path) = &self.root_cert {
            let certs = CertificateDer::pem_file_iter(path).map_err(|e| {
                Error::bad_input(
                    "sslrootcert",
                    format!("sslrootcert {path} could not be read: {e}"),
                )
            })?;
            for cert in certs {
                let cert = cert.map_err(|e| {
                    Error::bad_input(
                        "sslrootcert",
                        format!("sslrootcert {path} is not a PEM certificate: {e}"),
                    )
                })?;
                roots.add(cert).map_err(|e| {
                    Error::bad_input(
                        "sslrootcert",
                        format!("sslrootcert {path} was refused: {e}"),
                    )
                })?;
            }
        }
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Server(format!("TLS is not available: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
    }

    fn connect_error(&self, e: &::postgres::Error) -> Error {
        let user = self.config.get_user().unwrap_or("(default user)");
        match e.code() {
            Some(code)
                if *code == SqlState::INVALID_PASSWORD
                    || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION =>
            {
                Error::Server(format!(
                    "the PostgreSQL server at {} refused the credentials of user {user} ({})",
                    self.place,
                    e.as_db_error().map_or("", |d| d.message())
                ))
            }
            Some(code) if *code == SqlState::INVALID_CATALOG_NAME => Error::Server(format!(
                "the PostgreSQL server at {} has no such database (create it first: createdb)",
                self.place
            )),
            Some(_) => Error::Server(format!(
                "the PostgreSQL server at {} refused the connection: {}",
                self.place,
                e.as_db_error()
                    .map_or_else(|| e.to_string(), |d| d.message().to_owned())
            )),
            None if cause_of(e).contains("password missing") => Error::Server(format!(
                "the PostgreSQL server at {} asks for the password of user {user}: set \
                 PGPASSWORD (or put it in the URL)",
                self.place
            )),
            None if self.tls_by_default && e.to_string().contains("TLS") => Error::Server(format!(
                "the PostgreSQL server at {} did not set up TLS ({}); a URL without sslmode \
                     requires TLS for any host but this machine: configure TLS on the server, or \
                     write sslmode=disable in the URL only on a network no one else can reach",
                self.place,
                cause_of(e)
            )),
            None if e.to_string().contains("TLS") => Error::Server(format!(
                "the TLS connection to the PostgreSQL server at {} failed ({}); for a private \
                 CA add sslrootcert=FILE to the URL",
                self.place,
                cause_of(e)
            )),
            None => Error::Server(format!(
                "cannot reach the PostgreSQL server at {} ({})",
                self.place,
                cause_of(e)
            )),
        }
    }
}

/// What went wrong, in the server's words where it said something.
pub fn describe(e: &::postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_owned(),
        None => cause_of(e),
    }
}

/// The innermost reason of a connection error (a timeout, a refused connection), which the
/// driver's own message wraps as "error connecting to server".
fn cause_of(e: &::postgres::Error) -> String {
    let mut reason = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        reason = inner.to_string();
        source = inner.source();
    }
    reason
}

/// `host:port/db` for messages.
fn place_of(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres");
    format!("{host}:{port}/{db}")
}

/// Whether every host the URL names is this machine: a loopback address (127.0.0.0/8, `::1`),
/// `localhost`, or a Unix socket (a host starting with `/`, or none: the driver's socket).
/// Decided on the text of the URL, never on a name lookup someone else could answer.
pub fn is_this_machine(config: &Config) -> bool {
    let names_local = config.get_hosts().iter().all(|h| match h {
        Host::Tcp(name) => is_loopback(name),
        #[cfg(unix)]
        Host::Unix(_) => true,
    });
    names_local && config.get_hostaddrs().iter().all(|a| a.is_loopback())
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.starts_with('/')
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Maps libpq's `sslmode` values the driver does not know onto ones it does (rustls always
/// verifies, so `verify-ca`/`verify-full` become `require`) and takes out `sslrootcert`;
/// also tells whether the URL wrote `sslmode` at all.
fn translate(url: &str) -> (String, Option<String>, bool) {
    let Some((head, query)) = url.split_once('?') else {
        return (url.to_owned(), None, false);
    };
    let mut root_cert = None;
    let mut kept = Vec::new();
    let mut sslmode = false;
    for pair in query.split('&') {
        sslmode |= pair.split_once('=').is_some_and(|(k, _)| k == "sslmode");
        match pair.split_once('=') {
            Some(("sslmode", "verify-ca" | "verify-full")) => kept.push("sslmode=require".into()),
            Some(("sslmode", "allow")) => kept.push("sslmode=prefer".into()),
            Some(("sslrootcert", path)) => root_cert = Some(path.to_owned()),
            _ => kept.push(pair.to_owned()),
        }
    }
    if kept.is_empty() {
        (head.to_owned(), root_cert, sslmode)
    } else {
        (format!("{head}?{}", kept.join("&")), root_cert, sslmode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_parsed_with_a_timeout_and_libpq_sslmodes() {
        let t = Target::parse("postgres://kw:pw@db.example:6543/team?sslmode=verify-full").unwrap();
        assert_eq!(t.place, "db.example:6543/team");
        assert_eq!(t.config.get_ssl_mode(), SslMode::Require);
        assert_eq!(
            t.config.get_connect_timeout(),
            Some(&DEFAULT_CONNECT_TIMEOUT)
        );
        let t = Target::parse("postgresql://h/db?connect_timeout=3&sslmode=disable").unwrap();
        assert_eq!(
            t.config.get_connect_timeout(),
            Some(&Duration::from_secs(3))
        );
        assert_eq!(t.config.get_ssl_mode(), SslMode::Disable);
        let (url, root, _) = translate("postgres://h/db?sslrootcert=/ca.pem&sslmode=require");
        assert_eq!(url, "postgres://h/db?sslmode=require");
        assert_eq!(root.as_deref(), Some("/ca.pem"));
        let bad = Target::parse("postgres://kw:s3cret@h/db?sslmode=bogus")
            .err()
            .unwrap()
            .to_string();
        assert!(!bad.contains("s3cret"), "{bad}");
    }

    /// A URL typed in the window or set in KEYWARD_VAULT is outside input: every malformed one
    /// is a message without its password, never a panic.
    #[test]
    fn malformed_urls_are_refused_without_their_password() {
        let huge = format!("postgres://kw:s3cret@h/{}", "d".repeat(100_000));
        for url in [
            "postgres://kw:s3cret@h:99999/db",
            "postgres://kw:s3cret@h/db?connect_timeout=-1",
            "postgres://kw:s3cret@h/db?connect_timeout=zz",
            "postgres://kw:s3cret@h/db?sslmode=",
            "postgres://kw:s3cret@[::1/db",
            "postgres://kw:s3cret@h/db?&&==&sslmode=verify-full&sslrootcert",
            "postgres://kw:s3cret@h/db?password=s3cret&port=x",
            "postgres://%zz:s3cret@h/db",
            "postgres://",
            "postgresql://kw:s3cret@h/db\u{0}",
            huge.as_str(),
        ] {
            match Target::parse(url) {
                Ok(t) => assert!(!t.place.contains("s3cret"), "{url}: {}", t.place),
                Err(e) => {
                    let text = e.to_string();
                    assert!(!text.contains("s3cret"), "{url}: {text}");
                }
            }
        }
    }

    #[test]
    fn no_sslmode_means_require_except_on_this_machine() {
        let mode = |url: &str| Target::parse(url).unwrap().config.get_ssl_mode();
        for remote in [
            "postgres://kw@db.example/team",
            "postgres://kw@10.0.0.5:5432/team",
            "postgres://kw@[2001:db8::1]/team",
            "postgres://kw@localhost.evil.example/team",
            "postgres://kw@127.0.0.1.nip.io/team",
            "postgres://kw@localhost,db.example/team",
            "postgres://kw@db.example/team?hostaddr=127.0.0.1",
            "postgres://kw@localhost/team?hostaddr=10.0.0.5",
        ] {
            assert_eq!(mode(remote), SslMode::Require, "{remote}");
        }
        for local in [
            "postgres://kw@localhost/team",
            "postgres://kw@LOCALHOST:5433/team",
            "postgres://kw@127.0.0.1/team",
            "postgres://kw@127.8.9.10/team",
            "postgres://kw@[::1]:5432/team",
            "postgres://kw@%2Fvar%2Frun%2Fpostgresql/team",
            "postgres:///team?host=/var/run/postgresql",
            "postgres:///team",
        ] {
            assert_eq!(mode(local), SslMode::Prefer, "{local}");
        }
        // Written out, it is taken as written.
        assert_eq!(
            mode("postgres://kw@db.example/team?sslmode=prefer"),
            SslMode::Prefer
        );
        assert_eq!(
            mode("postgres://kw@db.example/team?sslmode=disable"),
            SslMode::Disable
        );
        assert_eq!(
            mode("postgres://kw@localhost/team?sslmode=require"),
            SslMode::Require
        );
    }

    /// A server (or someone on the path) that answers "no TLS" to a URL without sslmode for a
    /// remote host is refused before the user name or anything else is sent in the clear. The
    /// remote host is only named: `hostaddr` sends the connection to a listener here.
    #[test]
    fn a_plaintext_server_is_refused_without_sslmode() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut request = [0u8; 8];
            conn.read_exact(&mut request).unwrap();
            // SSLRequest: length 8, code 80877103. Answer "no TLS", then see what follows.
            assert_eq!(request, [0, 0, 0, 8, 4, 210, 22, 47]);
            conn.write_all(b"N").unwrap();
            conn.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
            let mut rest = Vec::new();
            let _ = conn.read_to_end(&mut rest);
            rest
        });
        let url = format!(
            "postgres://keyward:s3cret@db.example:{port}/team?hostaddr=127.0.0.1&connect_timeout=5"
        );
        let target = Target::parse(&url).unwrap();
        let e = target.connect().err().expect("refused").to_string();
        assert!(e.contains("did not set up TLS"), "{e}");
        assert!(e.contains("sslmode=disable"), "{e}");
        assert!(!e.contains("s3cret"), "{e}");
        let sent_after = server.join().unwrap();
        assert!(
            sent_after.is_empty(),
            "nothing may follow in the clear: {sent_after:?}"
        );
    }
}
