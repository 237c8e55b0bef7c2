//! The access policy (DOMAIN.md's access table and R26), in one place. Resolver guards ask
//! `allows`/`decide`; list queries ask `sl_scope` which rows a viewer may see.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Driftsoverenskomstansvarlig,
    Redaktoer,
    Administrator,
    /// R32: an ældretilsyn (by CVR), writing tilsyn for the kommuner assigned to it.
    Aeldretilsyn,
}

impl Role {
    /// Parses a role name case-insensitively; accepts the Danish spellings with and without ø.
    pub fn parse(s: &str) -> Option<Role> {
        let f = crate::domain::text::fold(s.trim()).replace(['_', '-', ' '], "");
        match f.as_str() {
            "driftsoverenskomstansvarlig" => Some(Role::Driftsoverenskomstansvarlig),
            "redaktoer" | "redaktor" => Some(Role::Redaktoer),
            "administrator" | "admin" => Some(Role::Administrator),
            "aeldretilsyn" | "aldretilsyn" | "tilsyn" => Some(Role::Aeldretilsyn),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Driftsoverenskomstansvarlig => "DRIFTSOVERENSKOMSTANSVARLIG",
            Role::Redaktoer => "REDAKTOER",
            Role::Administrator => "ADMINISTRATOR",
            Role::Aeldretilsyn => "AELDRETILSYN",
        }
    }
}

/// Who is calling: from a verified token (SEB), or anonymous.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Viewer {
    pub subject: Option<String>,
    pub name: Option<String>,
    pub cvr: Option<String>,
    pub roles: Vec<Role>,
}

impl Viewer {
    pub fn anonymous() -> Self {
        Self::default()
    }

    pub fn is_authenticated(&self) -> bool {
        self.subject.is_some()
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn is_admin(&self) -> bool {
        self.has(Role::Administrator)
    }

    fn cvr_is(&self, cvr: Option<&str>) -> bool {
        matches!((self.cvr.as_deref(), cvr), (Some(a), Some(b)) if a == b)
    }

    pub fn roles_text(&self) -> String {
        self.roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// What a serviceleverance is, for deciding access: its aftalepart's CVR and its enhed's owner.
#[derive(Clone, Debug, PartialEq)]
pub struct SlFacts {
    pub aftalepart_cvr: String,
    pub enhed_ejer_cvr: Option<String>,
}

/// Operations on serviceleverancer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SlAction {
    Read,
    Create,
    Lock,
    Update,
    SetBeskrivelse,
    CheckIn,
    Delete,
    Restore,
    ForceUnlock,
}

impl SlAction {
    pub const ALL: [SlAction; 9] = [
        SlAction::Read,
        SlAction::Create,
        SlAction::Lock,
        SlAction::Update,
        SlAction::SetBeskrivelse,
        SlAction::CheckIn,
        SlAction::Delete,
        SlAction::Restore,
        SlAction::ForceUnlock,
    ];
}

/// The outcome of asking the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// No token where one is needed.
    Unauthenticated,
    /// The item does not exist for this viewer (R26).
    NotFound,
    /// The viewer sees the item but may not do this to it.
    Forbidden,
}

/// The kommune side: a driftsoverenskomstansvarlig of the aftalepart.
fn is_aftalepart_user(v: &Viewer, f: &SlFacts) -> bool {
    v.has(Role::Driftsoverenskomstansvarlig) && v.cvr_is(Some(&f.aftalepart_cvr))
}

/// The provider side: a redaktør of the enhed's owner.
fn is_enhed_redaktoer(v: &Viewer, f: &SlFacts) -> bool {
    v.has(Role::Redaktoer) && v.cvr_is(f.enhed_ejer_cvr.as_deref())
}

/// May `v` see the serviceleverance at all? (access table, row "list/read").
pub fn can_see(v: &Viewer, f: &SlFacts) -> bool {
    v.is_admin() || is_aftalepart_user(v, f) || is_enhed_redaktoer(v, f)
}

/// The whole decision for one action on one existing serviceleverance.
pub fn decide(v: &Viewer, action: SlAction, f: &SlFacts) -> Decision {
    if !v.is_authenticated() {
        return Decision::Unauthenticated;
    }
    if !can_see(v, f) {
        return Decision::NotFound;
    }
    if v.is_admin() {
        return Decision::Allow;
    }
    let kommune = is_aftalepart_user(v, f);
    let redaktoer = is_enhed_redaktoer(v, f);
    let allowed = match action {
        SlAction::Read => true,
        SlAction::Create | SlAction::Update | SlAction::Delete | SlAction::Restore => kommune,
        SlAction::Lock | SlAction::CheckIn => kommune || redaktoer,
        SlAction::SetBeskrivelse => redaktoer,
        SlAction::ForceUnlock => false,
    };
    if allowed {
        Decision::Allow
    } else {
        Decision::Forbidden
    }
}

/// The fields of an agreement `v` may write (R3, R4); only meaningful where `decide` allows a
/// write.
pub fn sl_field_rights(v: &Viewer, f: &SlFacts) -> crate::domain::serviceleverance::FieldRights {
    crate::domain::serviceleverance::FieldRights {
        agreement: v.is_admin() || is_aftalepart_user(v, f),
        beskrivelse: v.is_admin() || is_enhed_redaktoer(v, f),
    }
}

/// R14: may `v` take over a live lock held by a colleague? The same organisation (CVR) and a
/// role the holder had; taking over one's own lock is just locking again. Administrators
/// release any lock with force-unlock instead.
pub fn may_take_over(
    v: &Viewer,
    holder: &str,
    holder_cvr: Option<&str>,
    holder_roles: &str,
) -> bool {
    let same_org = v.cvr_is(holder_cvr);
    let shared_role = holder_roles
        .split(',')
        .filter_map(Role::parse)
        .any(|r| v.has(r));
    v.subject.as_deref().is_some_and(|s| s != holder) && same_org && shared_role
}

/// R1: the aftalepart of a new agreement. Others get their own kommune (`own`, the kommune
/// behind their CVR); naming it explicitly is fine. Only an administrator may name another.
/// `Err(None)`: a kode is needed but missing (administrators without a kommune).
pub fn choose_aftalepart<'a>(
    v: &Viewer,
    requested: Option<&'a str>,
    own: Option<&'a str>,
) -> Result<&'a str, Option<Decision>> {
    match (requested, own) {
        (Some(r), _) if v.is_admin() => Ok(r),
        (Some(r), Some(o)) if r == o => Ok(o),
        (Some(_), _) => Err(Some(Decision::Forbidden)),
        (None, Some(o)) => Ok(o),
        (None, None) if v.is_admin() => Err(None),
        (None, None) => Err(Some(Decision::Forbidden)),
    }
}

/// May `v` create a serviceleverance with the kommune whose CVR is `aftalepart_cvr`?
pub fn decide_create(v: &Viewer, aftalepart_cvr: &str) -> Decision {
    if !v.is_authenticated() {
        Decision::Unauthenticated
    } else if v.is_admin()
        || (v.has(Role::Driftsoverenskomstansvarlig) && v.cvr_is(Some(aftalepart_cvr)))
    {
        Decision::Allow
    } else {
        Decision::Forbidden
    }
}

/// May `v` preview the issues of an agreement with the kommune whose CVR is `aftalepart_cvr`
/// (the form's `previewIssues`)? The same as creating one: the preview tells whether the kommune
/// has other agreements with the enhed (R9), which only its own users may know (R26). Previewing
/// a change of a saved agreement is `decide(v, SlAction::Update, ..)`.
pub fn decide_preview(v: &Viewer, aftalepart_cvr: &str) -> Decision {
    decide_create(v, aftalepart_cvr)
}

/// Administrator-only operations: FRIPLEJEBOLIG (R3), enheder and kommune admin, import,
/// audit log (R16, R19), force-unlock (R14).
pub fn decide_admin(v: &Viewer) -> Decision {
    if !v.is_authenticated() {
        Decision::Unauthenticated
    } else if v.is_admin() {
        Decision::Allow
    } else {
        Decision::Forbidden
    }
}

/// May `v` edit an enhed owned by `ejer_cvr` (R19)? Administrators may change everything; the
/// owner's redaktør only the general description and contact data, so a change that touches
/// the register fields (kind, navn, owner, address, location, boligtype, ...) is refused.
pub fn decide_enhed_edit(v: &Viewer, ejer_cvr: &str, touches_register_fields: bool) -> Decision {
    let own_redaktoer =
        v.has(Role::Redaktoer) && v.cvr_is(Some(ejer_cvr)) && !touches_register_fields;
    if !v.is_authenticated() {
        Decision::Unauthenticated
    } else if v.is_admin() || own_redaktoer {
        Decision::Allow
    } else {
        Decision::Forbidden
    }
}

/// May `v` search enheder for the agreement form (R18)? Any editor role.
pub fn decide_find_enheder(v: &Viewer) -> Decision {
    if !v.is_authenticated() {
        Decision::Unauthenticated
    } else if v.roles.is_empty() {
        Decision::Forbidden
    } else {
        Decision::Allow
    }
}

/// Which serviceleverancer a list or a read by id may return to `v` (R26): the union of these.
/// The store turns it into SQL (`store::serviceleverance::visible`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SlScope {
    pub all: bool,
    /// Those whose aftalepart has this CVR.
    pub aftalepart_cvr: Option<String>,
    /// Those whose enhed is owned by this CVR.
    pub enhed_ejer_cvr: Option<String>,
}

impl SlScope {
    pub fn is_empty(&self) -> bool {
        !self.all && self.aftalepart_cvr.is_none() && self.enhed_ejer_cvr.is_none()
    }
}

pub fn sl_scope(v: &Viewer) -> SlScope {
    if !v.is_authenticated() {
        return SlScope::default();
    }
    if v.is_admin() {
        return SlScope {
            all: true,
            ..Default::default()
        };
    }
    SlScope {
        all: false,
        aftalepart_cvr: v
            .has(Role::Driftsoverenskomstansvarlig)
            .then(|| v.cvr.clone())
            .flatten(),
        enhed_ejer_cvr: v.has(Role::Redaktoer).then(|| v.cvr.clone()).flatten(),
    }
}

/// R32: may `v` see which kommuner the ældretilsyn with CVR `cvr` covers? Administrators, and
/// that ældretilsyn itself.
pub fn may_see_tilsyn_area(v: &Viewer, cvr: &str) -> bool {
    v.is_admin() || (v.has(Role::Aeldretilsyn) && v.cvr_is(Some(cvr)))
}

/// R32: may `v` register tilsyn and påbud/forbud for an enhed in kommune `kommune`, given the
/// kommuner `covered` that the administrator assigned to the viewer's ældretilsyn (by CVR)?
/// Administrators may for any enhed; an ældretilsyn only in its area; nobody else (the enhed's
/// own redaktør and the kommune included).
pub fn decide_tilsyn(v: &Viewer, kommune: Option<&str>, covered: &[String]) -> Decision {
    if !v.is_authenticated() {
        return Decision::Unauthenticated;
    }
    if v.is_admin() {
        return Decision::Allow;
    }
    if !v.has(Role::Aeldretilsyn) || v.cvr.is_none() {
        return Decision::Forbidden;
    }
    match kommune {
        Some(k) if covered.iter().any(|c| c == k) => Decision::Allow,
        _ => Decision::Forbidden,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r1_own_kommune_may_be_named_r14_colleagues_take_over() {
        let k = Viewer {
            subject: Some("a".into()),
            name: None,
            cvr: Some("29189404".into()),
            roles: vec![Role::Driftsoverenskomstansvarlig],
        };
        assert_eq!(
            choose_aftalepart(&k, Some("0265"), Some("0265")),
            Ok("0265")
        );
        assert_eq!(choose_aftalepart(&k, None, Some("0265")), Ok("0265"));
        assert_eq!(
            choose_aftalepart(&k, Some("0350"), Some("0265")),
            Err(Some(Decision::Forbidden))
        );
        assert!(may_take_over(
            &k,
            "b",
            Some("29189404"),
            "driftsoverenskomstansvarlig"
        ));
        assert!(!may_take_over(
            &k,
            "a",
            Some("29189404"),
            "driftsoverenskomstansvarlig"
        ));
        assert!(!may_take_over(
            &k,
            "b",
            Some("11111111"),
            "driftsoverenskomstansvarlig"
        ));
        assert!(!may_take_over(&k, "b", Some("29189404"), "redaktoer"));
    }

    fn viewer(role: Option<Role>, cvr: &str) -> Viewer {
        Viewer {
            subject: role.map(|_| "u".to_string()),
            name: None,
            cvr: Some(cvr.to_string()),
            roles: role.into_iter().collect(),
        }
    }

    const KOMMUNE: &str = "11111111";
    const EJER: &str = "22222222";
    const OTHER: &str = "33333333";

    fn facts() -> SlFacts {
        SlFacts {
            aftalepart_cvr: KOMMUNE.into(),
            enhed_ejer_cvr: Some(EJER.into()),
        }
    }

    /// The access table of DOMAIN.md, walked in full: every action x every role x own/foreign CVR
    /// x anonymous (R26: foreign items are NOT_FOUND, not FORBIDDEN).
    #[test]
    fn access_matrix_r26() {
        use Decision::*;
        use SlAction::*;
        let f = facts();
        for action in SlAction::ALL {
            assert_eq!(
                decide(&Viewer::anonymous(), action, &f),
                Unauthenticated,
                "{action:?}"
            );
            let expect_kommune = match action {
                Read | Create | Lock | Update | CheckIn | Delete | Restore => Allow,
                SetBeskrivelse | ForceUnlock => Forbidden,
            };
            let d = Role::Driftsoverenskomstansvarlig;
            assert_eq!(
                decide(&viewer(Some(d), KOMMUNE), action, &f),
                expect_kommune,
                "kommune {action:?}"
            );
            assert_eq!(
                decide(&viewer(Some(d), OTHER), action, &f),
                NotFound,
                "foreign kommune {action:?}"
            );
            // A kommune user whose CVR happens to own the enhed still is no redaktør.
            assert_eq!(
                decide(&viewer(Some(d), EJER), action, &f),
                NotFound,
                "kommune as owner {action:?}"
            );
            let expect_red = match action {
                Read | Lock | SetBeskrivelse | CheckIn => Allow,
                _ => Forbidden,
            };
            let r = Role::Redaktoer;
            assert_eq!(
                decide(&viewer(Some(r), EJER), action, &f),
                expect_red,
                "redaktør {action:?}"
            );
            assert_eq!(
                decide(&viewer(Some(r), OTHER), action, &f),
                NotFound,
                "foreign redaktør {action:?}"
            );
            assert_eq!(
                decide(&viewer(Some(r), KOMMUNE), action, &f),
                NotFound,
                "redaktør of kommune {action:?}"
            );
            let a = Role::Administrator;
            assert_eq!(
                decide(&viewer(Some(a), OTHER), action, &f),
                Allow,
                "admin {action:?}"
            );
        }
    }

    #[test]
    fn admin_only_operations() {
        assert_eq!(
            decide_admin(&Viewer::anonymous()),
            Decision::Unauthenticated
        );
        assert_eq!(
            decide_admin(&viewer(Some(Role::Driftsoverenskomstansvarlig), KOMMUNE)),
            Decision::Forbidden
        );
        assert_eq!(
            decide_admin(&viewer(Some(Role::Redaktoer), EJER)),
            Decision::Forbidden
        );
        assert_eq!(
            decide_admin(&viewer(Some(Role::Administrator), OTHER)),
            Decision::Allow
        );
    }

    #[test]
    fn create_only_for_own_kommune() {
        let d = Role::Driftsoverenskomstansvarlig;
        assert_eq!(
            decide_create(&viewer(Some(d), KOMMUNE), KOMMUNE),
            Decision::Allow
        );
        assert_eq!(
            decide_create(&viewer(Some(d), OTHER), KOMMUNE),
            Decision::Forbidden
        );
        assert_eq!(
            decide_create(&viewer(Some(Role::Redaktoer), KOMMUNE), KOMMUNE),
            Decision::Forbidden
        );
        assert_eq!(
            decide_create(&Viewer::anonymous(), KOMMUNE),
            Decision::Unauthenticated
        );
    }

    #[test]
    fn preview_only_for_those_who_may_save() {
        let d = Role::Driftsoverenskomstansvarlig;
        assert_eq!(
            decide_preview(&Viewer::anonymous(), KOMMUNE),
            Decision::Unauthenticated
        );
        assert_eq!(
            decide_preview(&Viewer::anonymous(), ""),
            Decision::Unauthenticated
        );
        assert_eq!(
            decide_preview(&viewer(Some(d), KOMMUNE), KOMMUNE),
            Decision::Allow
        );
        assert_eq!(
            decide_preview(&viewer(Some(d), OTHER), KOMMUNE),
            Decision::Forbidden
        );
        assert_eq!(
            decide_preview(&viewer(Some(Role::Redaktoer), EJER), KOMMUNE),
            Decision::Forbidden
        );
        assert_eq!(
            decide_preview(&viewer(Some(Role::Administrator), OTHER), KOMMUNE),
            Decision::Allow
        );
    }

    #[test]
    fn scopes_follow_roles() {
        assert!(sl_scope(&Viewer::anonymous()).is_empty());
        let s = sl_scope(&viewer(Some(Role::Driftsoverenskomstansvarlig), KOMMUNE));
        assert_eq!(s.aftalepart_cvr.as_deref(), Some(KOMMUNE));
        assert_eq!(s.enhed_ejer_cvr, None);
        let s = sl_scope(&viewer(Some(Role::Redaktoer), EJER));
        assert_eq!(s.enhed_ejer_cvr.as_deref(), Some(EJER));
        assert!(sl_scope(&viewer(Some(Role::Administrator), OTHER)).all);
    }

    #[test]
    fn r19_redaktoer_edits_only_description_and_contact_of_own_enheder() {
        let r = viewer(Some(Role::Redaktoer), EJER);
        assert_eq!(decide_enhed_edit(&r, EJER, false), Decision::Allow);
        assert_eq!(decide_enhed_edit(&r, EJER, true), Decision::Forbidden);
        assert_eq!(decide_enhed_edit(&r, OTHER, false), Decision::Forbidden);
        assert_eq!(
            decide_enhed_edit(
                &viewer(Some(Role::Driftsoverenskomstansvarlig), EJER),
                EJER,
                false
            ),
            Decision::Forbidden
        );
        assert_eq!(
            decide_enhed_edit(&viewer(Some(Role::Administrator), OTHER), EJER, true),
            Decision::Allow
        );
        assert_eq!(
            decide_enhed_edit(&Viewer::anonymous(), EJER, false),
            Decision::Unauthenticated
        );
    }

    #[test]
    fn role_names_are_case_insensitive() {
        assert_eq!(Role::parse("redaktør"), Some(Role::Redaktoer));
        assert_eq!(Role::parse("REDAKTOER"), Some(Role::Redaktoer));
        assert_eq!(
            Role::parse("DriftsOverenskomstAnsvarlig"),
            Some(Role::Driftsoverenskomstansvarlig)
        );
        assert_eq!(Role::parse("administrator"), Some(Role::Administrator));
        assert_eq!(Role::parse("borger"), None);
    }
}
