//! Who may call what: the BD's role sets, declared once and named in each handler's
//! `platform::Authorized<R>`. `admin` passes every set that names a user role; `internal` is
//! held by the platform's service tokens only.

platform::roles!(
    /// Investors, KYC, accreditation, surveillance and reports (API.md: compliance; `admin`
    /// passes too).
    Managers = ["compliance"]
);

platform::roles!(
    /// Reading investors and stored checks: compliance (and admins), and the platform's
    /// services.
    ComplianceOrInternal = ["compliance", "internal"]
);

platform::roles!(
    /// Every role of the organization, users and services ("any" in API.md). A token holding
    /// none of these roles is refused, so this is not `platform::Anyone`.
    AnyRole = ["admin", "compliance", "trader", "viewer", "internal"]
);

platform::roles!(
    /// The platform's services only; a user token, even an admin's, is refused.
    Internal = ["internal"]
);
