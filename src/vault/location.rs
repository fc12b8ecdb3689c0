//! Where a vault lives: a file path, or a `postgres://` / `postgresql://` URL naming a database
//! on a server (the `postgres` feature; without it a server URL is refused with a clear message
//! instead of being taken for a relative file path, which would create folders named after the
//! URL, password included). The URL is never repeated with its password.

/// Whether `location` is a PostgreSQL URL rather than a file path.
pub fn is_server_url(location: &str) -> bool {
    let lower = location.trim_start().to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// `location` with the password of its user info and any `password=` parameter replaced by
/// `***`, for messages and logs. A file path comes back as it is.
pub fn redact(location: &str) -> String {
    let Some(scheme_end) = location.find("://").map(|i| i + 3) else {
        return location.to_owned();
    };
    let (head, rest) = location.split_at(scheme_end);
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rfind('@') {
        Some(at) => {
            let (user_info, host) = authority.split_at(at);
            match user_info.find(':') {
                Some(colon) => format!("{}:***{host}", &user_info[..colon]),
                None => authority.to_owned(),
            }
        }
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{head}{authority}{tail}")
}

/// The refusal of a server URL by a build without PostgreSQL support.
#[cfg_attr(feature = "postgres", allow(dead_code))]
pub fn unsupported(location: &str) -> crate::vault::error::Error {
    crate::vault::error::Error::bad_input(
        "location",
        format!(
            "{} is a PostgreSQL location; this build keeps vaults in files only (pass a file path)",
            redact(location)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_and_paths_kept() {
        assert!(is_server_url("postgres://h/db"));
        assert!(is_server_url("PostgreSQL://h/db"));
        assert!(!is_server_url("/home/me/postgres://x"));
        assert!(!is_server_url("vault.keyward"));
        assert_eq!(
            redact("postgres://kw:s3cret@db.example:5432/team?sslmode=require"),
            "postgres://kw:***@db.example:5432/team?sslmode=require"
        );
        assert_eq!(
            redact("postgresql://kw:p%40ss:w@rd@host/db"),
            "postgresql://kw:***@host/db"
        );
        assert_eq!(
            redact("postgres://host/db?user=kw&password=s3cret"),
            "postgres://host/db?user=kw&password=***"
        );
        assert_eq!(redact("postgres://kw@host/db"), "postgres://kw@host/db");
        assert_eq!(redact("/srv/vault.keyward"), "/srv/vault.keyward");
    }
}
