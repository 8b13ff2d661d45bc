pub mod accreditation;
pub mod compliance;
pub mod decisions;
pub mod events;
pub mod history;
pub mod investors;
pub mod kyc;
pub mod reporting;
pub mod surveillance;

/// Investors, KYC, accreditation, surveillance and reports: `admin` passes too.
pub const MANAGERS: &[&str] = &["compliance"];
/// Every authenticated caller of the organization, services included.
pub const ANYONE: &[&str] = &["admin", "compliance", "trader", "viewer", "internal"];
/// The platform's services only; a user token, even an admin's, is refused.
pub const INTERNAL: &[&str] = &["internal"];

/// Today's date in UTC.
pub fn today() -> time::Date {
    platform::time::now().date()
}
