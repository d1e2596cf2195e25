//! The SMTP protocol engine: commands, replies, EHLO capabilities, AUTH encodings, message
//! data, and the session that drives them over a connection.

pub mod auth;
pub mod command;
pub mod data;
pub mod ehlo;
pub mod reply;
pub mod session;
