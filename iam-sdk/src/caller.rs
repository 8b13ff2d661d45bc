//! Who is calling, for which organization, with which roles.

use crate::error::AuthError;

/// The role that may do everything inside its own organization.
pub const ADMIN_ROLE: &str = "admin";
/// The role of the platform's own services. Only a [`CallerKind::Service`] holds it.
pub const INTERNAL_ROLE: &str = "internal";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallerKind {
    /// A person, through a user token or the trusted gateway.
    User,
    /// One of the platform's services, through a client-credentials token with scope `internal`.
    Service,
}

/// An authenticated caller. Every read and write is scoped to `org_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The organization (tenant) the request acts for.
    pub org_id: String,
    /// The stable identifier of the caller: a user's `sub` (or the gateway's `X-IAM-User`),
    /// a service's client id.
    pub subject: String,
    /// A readable name for logs and audit trails: the user's `name`, the service's client id.
    pub name: String,
    /// Role names as granted by the IAM, for users. Empty for services, whose only role is
    /// the implicit `internal`.
    pub roles: Vec<String>,
    pub kind: CallerKind,
}

impl Caller {
    /// A user of `org_id`. A role named `internal` is dropped: that role belongs to services,
    /// and a tenant able to create roles in the IAM must not be able to grant it.
    pub fn user(
        org_id: impl Into<String>,
        subject: impl Into<String>,
        name: impl Into<String>,
        roles: Vec<String>,
    ) -> Self {
        Self {
            org_id: org_id.into(),
            subject: subject.into(),
            name: name.into(),
            roles: roles.into_iter().filter(|r| r != INTERNAL_ROLE).collect(),
            kind: CallerKind::User,
        }
    }

    /// A platform service acting for `org_id`.
    pub fn service(org_id: impl Into<String>, client_id: impl Into<String>) -> Self {
        let client_id = client_id.into();
        Self {
            org_id: org_id.into(),
            subject: client_id.clone(),
            name: client_id,
            roles: Vec::new(),
            kind: CallerKind::Service,
        }
    }

    pub fn is_service(&self) -> bool {
        self.kind == CallerKind::Service
    }

    pub fn is_admin(&self) -> bool {
        self.kind == CallerKind::User && self.roles.iter().any(|r| r == ADMIN_ROLE)
    }

    /// Whether the caller holds `role` itself, without the admin shortcut.
    /// `internal` is held by services and only by them.
    pub fn has_role(&self, role: &str) -> bool {
        match self.kind {
            CallerKind::Service => role == INTERNAL_ROLE,
            CallerKind::User => role != INTERNAL_ROLE && self.roles.iter().any(|r| r == role),
        }
    }

    /// Whether the caller may do what needs one of `roles`.
    ///
    /// An admin passes for anything its organization's users can do, that is whenever `roles`
    /// names at least one role other than `internal`; endpoints reserved to services
    /// (`&["internal"]`) stay closed to admins too. A service passes when `internal` is listed.
    pub fn has_any_role(&self, roles: &[&str]) -> bool {
        if roles.iter().any(|r| self.has_role(r)) {
            return true;
        }
        self.is_admin() && roles.iter().any(|r| *r != INTERNAL_ROLE)
    }

    /// [`Caller::has_any_role`], answering 403 `FORBIDDEN` when it does not hold.
    pub fn require_any_role(&self, roles: &[&str]) -> Result<(), AuthError> {
        if self.has_any_role(roles) {
            Ok(())
        } else {
            Err(AuthError::missing_role(roles))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(roles: &[&str]) -> Caller {
        Caller::user(
            "acme",
            "u1",
            "alice",
            roles.iter().map(|r| (*r).to_owned()).collect(),
        )
    }

    #[test]
    fn plain_roles() {
        let trader = user(&["trader"]);
        assert!(trader.has_role("trader"));
        assert!(!trader.has_role("admin"));
        assert!(trader.require_any_role(&["trader", "compliance"]).is_ok());
        let e = trader.require_any_role(&["compliance"]).unwrap_err();
        assert_eq!(e.status(), 403);
        assert_eq!(e.code(), "FORBIDDEN");
    }

    #[test]
    fn admin_passes_user_roles_but_not_internal_only() {
        let admin = user(&["admin"]);
        assert!(admin.is_admin());
        assert!(!admin.has_role("trader"));
        assert!(admin.has_any_role(&["trader"]));
        assert!(admin.has_any_role(&["compliance", "internal"]));
        assert!(!admin.has_any_role(&["internal"]));
        assert!(!admin.has_any_role(&[]));
    }

    #[test]
    fn service_counts_as_internal_only() {
        let svc = Caller::service("acme", "bd");
        assert!(svc.has_role("internal"));
        assert!(!svc.has_role("admin"));
        assert!(svc.has_any_role(&["trader", "internal"]));
        assert!(!svc.has_any_role(&["trader"]));
        assert!(!svc.is_admin());
    }

    #[test]
    fn users_cannot_hold_internal() {
        let sneaky = user(&["internal", "viewer"]);
        assert_eq!(sneaky.roles, vec!["viewer"]);
        assert!(!sneaky.has_role("internal"));
        assert!(!sneaky.has_any_role(&["internal"]));
        let mut forged = sneaky.clone();
        forged.roles.push("internal".into());
        assert!(!forged.has_role("internal"));
    }
}
