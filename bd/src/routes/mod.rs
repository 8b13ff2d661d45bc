//! The HTTP handlers: each takes its caller (`platform::Authorized<R>`, a role set of
//! [`crate::roles`]), its path, query and body through the platform's extractors, calls one
//! service function and shapes the answer. The OpenAPI document is written here.

pub mod accreditation;
pub mod compliance;
pub mod events;
pub mod extract;
pub mod history;
pub mod investors;
pub mod kyc;
pub mod reporting;
pub mod surveillance;
