//! Why a fleet round trip failed. No message carries the `--limits` URL: it may hold the
//! Redis password.

/// What went wrong talking to the shared limits.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// The `--limits` value is not a URL this build can use.
    #[error("--limits must be redis://HOST[:PORT]/[DB] ({0})")]
    Url(String),
    /// No connection, a connection that broke, or no answer in time.
    #[error("the limits server (Redis) cannot be reached: {0}")]
    Unreachable(String),
    /// Redis answered with an error (out of memory, read-only replica, a script error).
    #[error("the limits server (Redis) answered with an error: {0}")]
    Server(String),
    /// Redis answered something of the wrong shape.
    #[error("the limits server (Redis) answered something unexpected: {0}")]
    Reply(String),
    /// The caller's arguments cannot be sent (an invalid limit, a cost over the maximum).
    #[error("{0}")]
    Invalid(String),
}

impl FleetError {
    /// Whether the connection itself is in doubt (then it is dropped and made again). An
    /// answer of the wrong shape is not: it came whole, and a new connection reaches the same
    /// server.
    pub fn is_connection(&self) -> bool {
        matches!(self, FleetError::Unreachable(_))
    }
}

impl From<redis::RedisError> for FleetError {
    fn from(e: redis::RedisError) -> FleetError {
        if e.is_io_error()
            || e.is_timeout()
            || e.is_connection_dropped()
            || e.is_connection_refusal()
            || e.is_unrecoverable_error()
        {
            FleetError::Unreachable(e.to_string())
        } else {
            FleetError::Server(e.to_string())
        }
    }
}
