//! The GraphQL enums of the domain's types. The domain's enums know nothing of the API
//! framework; these mirrors carry the GraphQL names and descriptions, and convert both ways.
use crate::domain::serviceleverance as d;

/// Mirrors a domain enum variant for variant, with `From` both ways.
macro_rules! mirror {
    ($t:ident, $d:path { $($v:ident),* $(,)? }) => {
        impl From<$t> for $d {
            fn from(x: $t) -> Self {
                match x { $($t::$v => Self::$v),* }
            }
        }
        impl From<$d> for $t {
            fn from(x: $d) -> Self {
                use $d as D;
                match x { $(D::$v => Self::$v),* }
            }
        }
    };
}

/// The type of a serviceleverance (glossary).
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "ServiceleveranceType")]
pub enum SlType {
    /// Any agreement with a private company's unit.
    Driftsoverenskomst,
    /// The kommune's own units.
    Myndighedsproduktion,
    /// A lokalplejehjem the kommune established (own private CVR).
    Lokalplejehjem,
    /// Reserved for friplejeboliger the kommune has no agreement with; set only by administrators.
    Friplejebolig,
}
mirror!(
    SlType,
    d::SlType {
        Driftsoverenskomst,
        Myndighedsproduktion,
        Lokalplejehjem,
        Friplejebolig
    }
);

/// The two kinds of enhed (R17).
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "EnhedKind")]
pub enum EnhedKind {
    /// A nursing-home unit (plejecenter, plejehjem, plejeboliger).
    Plejeenhed,
    /// A unit (location) of a provider of helhedspleje.
    Helhedsplejeenhed,
}
mirror!(
    EnhedKind,
    d::EnhedKind {
        Plejeenhed,
        Helhedsplejeenhed
    }
);

/// The boligtype of a plejeenhed (R17).
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "Boligtype")]
pub enum Boligtype {
    /// Ordinary plejeboliger.
    Plejebolig,
    /// Friplejeboliger.
    Friplejebolig,
    /// A lokalplejehjem.
    Lokalplejehjem,
}
mirror!(
    Boligtype,
    d::Boligtype {
        Plejebolig,
        Friplejebolig,
        Lokalplejehjem
    }
);

/// How serious an issue is (R10).
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "Severity")]
pub enum Severity {
    /// The agreement is not shown publicly until this is fixed.
    Error,
    /// Shown publicly, but worth a look.
    Warning,
}
mirror!(Severity, d::Severity { Error, Warning });

#[cfg(test)]
mod tests {
    use super::*;

    /// Every variant survives the round trip, and the GraphQL name is the domain's stored name.
    #[test]
    fn mirrors_round_trip_with_the_same_names() {
        use async_graphql::resolver_utils::EnumType;
        for x in [
            d::SlType::Driftsoverenskomst,
            d::SlType::Myndighedsproduktion,
            d::SlType::Lokalplejehjem,
            d::SlType::Friplejebolig,
        ] {
            let g = SlType::from(x);
            assert_eq!(d::SlType::from(g), x);
            let name = SlType::items()
                .iter()
                .find(|i| i.value == g)
                .map(|i| i.name);
            assert_eq!(name, Some(x.as_str()));
        }
        for x in [d::EnhedKind::Plejeenhed, d::EnhedKind::Helhedsplejeenhed] {
            let g = EnhedKind::from(x);
            assert_eq!(d::EnhedKind::from(g), x);
            let name = EnhedKind::items()
                .iter()
                .find(|i| i.value == g)
                .map(|i| i.name);
            assert_eq!(name, Some(x.as_str()));
        }
        for x in [
            d::Boligtype::Plejebolig,
            d::Boligtype::Friplejebolig,
            d::Boligtype::Lokalplejehjem,
        ] {
            let g = Boligtype::from(x);
            assert_eq!(d::Boligtype::from(g), x);
            let name = Boligtype::items()
                .iter()
                .find(|i| i.value == g)
                .map(|i| i.name);
            assert_eq!(name, Some(x.as_str()));
        }
        for x in [d::Severity::Error, d::Severity::Warning] {
            assert_eq!(d::Severity::from(Severity::from(x)), x);
        }
    }
}

use crate::domain::profil as p;

/// Dementia (R31): whether a plejeenhed suits residents with dementia.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Demens {
    /// No special arrangements.
    Nej,
    /// The whole home is arranged for residents with dementia.
    Demensvenlig,
    /// A separate unit (afsnit) for residents with dementia.
    Demensafsnit,
}
mirror!(
    Demens,
    p::Demens {
        Nej,
        Demensvenlig,
        Demensafsnit
    }
);

/// Animals (R31): own animals allowed, shared animals, or none.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dyr {
    /// Residents may bring their own animal.
    Egne,
    /// The home keeps animals the residents share.
    Faelles,
    /// No animals.
    Ingen,
}
mirror!(
    Dyr,
    p::Dyr {
        Egne,
        Faelles,
        Ingen
    }
);

/// A facility of a plejeenhed (R31).
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Facilitet {
    /// Own bathroom and toilet.
    EgetBad,
    /// A kitchenette in the bolig.
    Tekoekken,
    /// A balcony or terrace.
    AltanTerrasse,
    /// A garden.
    Have,
    /// A sensory garden.
    Sansehave,
    /// Internet access.
    Internet,
}
mirror!(
    Facilitet,
    p::Facilitet {
        EgetBad,
        Tekoekken,
        AltanTerrasse,
        Have,
        Sansehave,
        Internet
    }
);

/// A service a helhedsplejeenhed delivers (R31).
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ydelse {
    /// Personal care.
    PersonligPleje,
    /// Practical help in the home.
    PraktiskHjaelp,
    /// Meals.
    Madservice,
    /// Training and rehabilitation.
    Traening,
    /// Nursing.
    Sygepleje,
    /// Care at night.
    Nattepleje,
}
mirror!(
    Ydelse,
    p::Ydelse {
        PersonligPleje,
        PraktiskHjaelp,
        Madservice,
        Traening,
        Sygepleje,
        Nattepleje
    }
);
