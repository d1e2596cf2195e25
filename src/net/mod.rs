//! The network layer: TCP connects, the stream type over plain and TLS, and the TLS backends.

pub mod cert;
pub mod connect;
pub mod stream;
pub mod tls;
