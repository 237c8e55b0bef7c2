//! The public reads of the snapshot: the search's candidates and counts, the facets, which
//! kommuner offer an enhed, and an offer as a change event shows it.
use super::{traits, Key, Offer, Ref, Snapshot};
use crate::domain::day;
use crate::domain::geo::{BBox, Unit};
use crate::domain::search::{self, Candidate, Found, Invalid, Prefilter, Query};
use crate::domain::serviceleverance::beskrivelse_applies_to_kind;
use crate::domain::serviceleverance::{Boligtype, EnhedKind, SlType};
use crate::domain::text::fold;
use crate::store::enhed::Enhed;
use crate::store::serviceleverance::Serviceleverance;
use chrono::NaiveDate;
use std::sync::Arc;

impl Snapshot {
    /// R20/R21/R6 in memory: the kommune's offers that pass every filter; ranking is the
    /// domain's.
    /// With `except`, the filter of that facet's dimension is left out (facet counts show what
    /// choosing another value would give).
    pub fn candidates<'s, 'f>(
        &'s self,
        kommune: &str,
        filters: &'f Filters,
        except: Option<Facet>,
        on: NaiveDate,
        area: Prefilter,
        text: Option<&str>,
    ) -> Candidates<'s, 'f> {
        let offers = match area {
            Prefilter::Nothing => None,
            Prefilter::Within(_) => self.by_kommune.get(kommune),
        };
        let (keys, list, units): (&[Key], &[Offer], &[Option<Unit>]) =
            offers.map_or((&[], &[], &[]), |v| (&v.keys, &v.list, &v.units));
        Candidates {
            keys: keys.iter(),
            offers: list.iter(),
            units: units.iter(),
            bbox: match area {
                Prefilter::Within(b) => b,
                Prefilter::Nothing => None,
            },
            admit: Admit::new(filters, except, on, text),
        }
    }
}

impl Snapshot {
    /// The number of enheder of the kommune with an offer active on the day that passes the
    /// filters (R6, R20-R22), and with `placed` only those with a place (the hits of a search
    /// nearest first), from the day counts, when the search filters only on what they count
    /// (kind and boligtype); `None` when a filter on the agreement's type, the number of
    /// boliger or the name asks for the pass over the offers. A radius or a box is the
    /// domain's to filter ([`search::find`] counts those by the pass).
    ///
    /// [`search::find`]: crate::domain::search::find
    pub fn count(
        &self,
        kommune: &str,
        filters: &Filters,
        on: NaiveDate,
        text: Option<&str>,
        placed: bool,
    ) -> Option<usize> {
        if !filters.types.is_empty()
            || filters.min_boliger.is_some()
            || filters.reads_profile()
            || text.is_some_and(|t| !fold(t).is_empty())
        {
            return None;
        }
        let Some(offers) = self.by_kommune.get(kommune) else {
            return Some(0);
        };
        Some(
            offers
                .days
                .iter()
                .filter(|c| filters.pass_class(c.kind, c.boligtype) && (c.placed || !placed))
                .map(|c| c.on(on))
                .sum(),
        )
    }

    /// A search's page and `totalCount` (R20-R25): by name from the kommune's offers in name
    /// order, nearest first from the cells around the point when that needs no pass over them
    /// all ([`search::by_cells`]); the total from the day counts where they can give it.
    #[allow(clippy::too_many_arguments)]
    pub fn find<'s>(
        &'s self,
        kommune: &str,
        filters: &Filters,
        on: NaiveDate,
        text: Option<&str>,
        q: &Query,
        first: usize,
        after: Option<&str>,
    ) -> Result<Found<Ref<'s>>, Invalid> {
        let area = q.prefilter_box();
        // The domain leaves it aside where a box or a radius makes it wrong.
        let known = self.count(kommune, filters, on, text, q.near.is_some());
        if let (Some(near), Some(offers), Prefilter::Within(_)) =
            (q.near, self.by_kommune.get(kommune), area)
        {
            if search::by_cells(q, known) {
                let admit = Admit::new(filters, None, on, text);
                let cells = offers.grid.by_distance(near).map(|(bound, at)| {
                    let admit = &admit;
                    let cell = at.filter_map(move |at| {
                        let (key, unit) = (offers.grid_keys.get(at)?, offers.grid_units.get(at)?);
                        let i = *offers.grid.items().get(at)? as usize;
                        // The offer is read for a name filter alone, and then for the page.
                        let offer = offers.list.get(i)?;
                        let admitted = admit.admits(key, offer);
                        admitted.then_some(Candidate {
                            seq: key.seq,
                            startdato: key.startdato,
                            item: Ref { offer, key, unit },
                        })
                    });
                    (bound, cell)
                });
                return search::nearest_in_cells(cells, q, first, after, known);
            }
        }
        search::find(
            self.candidates(kommune, filters, None, on, area, text),
            q,
            first,
            after,
            known,
        )
    }
}

/// What a candidate must be, besides in the search's box: active on the day (R6, R20, R21),
/// through the filters (but the facet's own dimension, `except`) and the name filter.
struct Admit<'f> {
    on: NaiveDate,
    text: Option<String>,
    filters: &'f Filters,
    except: Option<Facet>,
}

impl<'f> Admit<'f> {
    fn new(filters: &'f Filters, except: Option<Facet>, on: NaiveDate, text: Option<&str>) -> Self {
        Admit {
            on,
            text: text.map(fold).filter(|t| !t.is_empty()),
            filters,
            except,
        }
    }

    /// The offer itself is read for a name filter (`navn_soeg`), a max husleje or a day's
    /// påbud/forbud alone.
    fn admits(&self, key: &Key, offer: &Offer) -> bool {
        day::is_active(key.startdato, key.slutdato, self.on)
            && self.filters.pass(key, self.except)
            && self.filters.pass_offer(key, offer, self.except, self.on)
            && self
                .text
                .as_deref()
                .is_none_or(|t| offer.navn_soeg.contains(t))
    }
}

/// The candidates of one search, in the kommune's name order ([`Snapshot::candidates`]): the
/// offers active on the day (R20, R21, R6) that pass the filters, the box and the name filter.
///
/// A loop by hand rather than a chain of iterator adapters, which cost a third of a large page
/// by name (`benches/README.md`).
pub struct Candidates<'s, 'f> {
    keys: std::slice::Iter<'s, Key>,
    offers: std::slice::Iter<'s, Offer>,
    units: std::slice::Iter<'s, Option<Unit>>,
    bbox: Option<BBox>,
    admit: Admit<'f>,
}

impl<'s> Iterator for Candidates<'s, '_> {
    type Item = Candidate<Ref<'s>>;

    fn next(&mut self) -> Option<Candidate<Ref<'s>>> {
        loop {
            // The offer is only pointed at here; it is read for a box or a name filter alone.
            let (key, offer, unit) = (self.keys.next()?, self.offers.next()?, self.units.next()?);
            if !self.admit.admits(key, offer) {
                continue;
            }
            if let Some(b) = self.bbox {
                if !offer.pos.is_some_and(|p| b.contains(p)) {
                    continue;
                }
            }
            return Some(Candidate {
                seq: key.seq,
                startdato: key.startdato,
                item: Ref { offer, key, unit },
            });
        }
    }
}

/// What citizens compare on, besides place and name. Empty lists mean "any".
#[derive(Clone, Debug, Default)]
pub struct Filters {
    /// Plejeenhed / helhedsplejeenhed.
    pub kinds: Vec<EnhedKind>,
    /// For plejeenheder (helhedspleje has none).
    pub boligtyper: Vec<Boligtype>,
    /// The agreement's type.
    pub types: Vec<SlType>,
    /// At least this many boliger (plejeenheder with a known number).
    pub min_boliger: Option<i32>,
    /// R31: only demensvenlige enheder (or with a demensafsnit).
    pub demens: bool,
    /// R31: only enheder with boliger for couples.
    pub parboliger: bool,
    /// R31: only enheder with animals (own or shared).
    pub dyr: bool,
    /// R32: only enheder without a påbud or forbud in force on the day.
    pub uden_sanktion: bool,
    /// R31: only enheder whose lowest husleje is at most this (kr. a month).
    pub max_husleje: Option<i32>,
}

/// A facet: which dimension to leave out when counting it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    Kind,
    Boligtype,
    Type,
    /// The max-husleje filter (its facet counts thresholds).
    Husleje,
}

fn any<T: PartialEq>(list: &[T], v: Option<T>) -> bool {
    list.is_empty() || v.is_some_and(|v| list.contains(&v))
}

impl Filters {
    /// The kind and boligtype filters, which read the enhed alone.
    pub(super) fn pass_class(&self, kind: Option<EnhedKind>, boligtype: Option<Boligtype>) -> bool {
        any(&self.kinds, kind) && any(&self.boligtyper, boligtype)
    }

    pub(super) fn pass(&self, o: &Key, except: Option<Facet>) -> bool {
        (except == Some(Facet::Kind) || any(&self.kinds, o.kind))
            && (except == Some(Facet::Boligtype) || any(&self.boligtyper, o.boligtype))
            && (except == Some(Facet::Type) || any(&self.types, o.sl_type))
            && self
                .min_boliger
                .is_none_or(|m| o.antal_boliger.is_some_and(|n| n >= m))
            && (o.traits & self.required_traits()) == self.required_traits()
    }

    /// The bits a hit must have (R31's yes/no filters).
    fn required_traits(&self) -> u8 {
        let bit = |on: bool, b: u8| if on { b } else { 0 };
        bit(self.demens, traits::DEMENS)
            | bit(self.parboliger, traits::PAR)
            | bit(self.dyr, traits::DYR)
    }

    /// Does any filter read the profile or tilsyn (so the day counts cannot answer)?
    pub(super) fn reads_profile(&self) -> bool {
        self.required_traits() != 0 || self.uden_sanktion || self.max_husleje.is_some()
    }

    /// The filters that read the offer's enhed or tilsyn, past the key's bits: the husleje
    /// (R31) and a påbud/forbud in force on the day (R32).
    pub(super) fn pass_offer(
        &self,
        k: &Key,
        o: &Offer,
        except: Option<Facet>,
        on: NaiveDate,
    ) -> bool {
        let husleje = except == Some(Facet::Husleje)
            || self.max_husleje.is_none_or(|max| {
                k.traits & traits::HUSLEJE != 0 && o.enhed.profil.husleje_within(max)
            });
        husleje && (!self.uden_sanktion || !sanktioned(k, o, on))
    }
}

/// R32: has the offer's enhed a påbud or forbud in force on the day?
fn sanktioned(k: &Key, o: &Offer, on: NaiveDate) -> bool {
    k.traits & traits::SANKTION != 0 && o.tilsyn.as_ref().is_some_and(|t| t.sanktioned_on(on))
}

/// The yes/no properties a citizen filters on (R31, R32), as the `egenskab` facet names them.
pub const EGENSKABER: [&str; 4] = ["DEMENSVENLIG", "PARBOLIGER", "DYR", "UDEN_PAABUD_FORBUD"];

/// The thresholds the husleje facet counts (kr. a month).
pub const HUSLEJE_TRIN: [i32; 5] = [6_000, 8_000, 10_000, 12_000, 15_000];

impl Snapshot {
    /// The value of a facet's dimension for an offer (its enhed and agreement).
    pub fn facet_value(o: &Key, facet: Facet) -> Option<&'static str> {
        match facet {
            Facet::Kind => o.kind.map(EnhedKind::as_str),
            Facet::Boligtype => o.boligtype.map(Boligtype::as_str),
            Facet::Type => o.sl_type.map(SlType::as_str),
            Facet::Husleje => None,
        }
    }

    /// The `egenskab` facet (R31, R32): of the search's hits (every filter as given), how many
    /// have each property: exactly the totalCount that adding that filter would give.
    #[allow(clippy::too_many_arguments)]
    pub fn egenskab_counts(
        &self,
        kommune: &str,
        filters: &Filters,
        on: NaiveDate,
        area: Prefilter,
        text: Option<&str>,
        q: &Query,
    ) -> Vec<(&'static str, usize)> {
        let mut n = [0usize; 4];
        let hits = self.candidates(kommune, filters, None, on, area, text);
        for h in search::in_order(hits, q) {
            let (k, o) = (h.candidate.item.key, h.candidate.item.offer);
            n[0] += usize::from(k.traits & traits::DEMENS != 0);
            n[1] += usize::from(k.traits & traits::PAR != 0);
            n[2] += usize::from(k.traits & traits::DYR != 0);
            n[3] += usize::from(!sanktioned(k, o, on));
        }
        EGENSKABER.into_iter().zip(n).collect()
    }

    /// The husleje facet (R31): for each threshold, the hits with a husleje at most that (the
    /// max-husleje filter left out): the totalCount of `maxHusleje` set to it.
    #[allow(clippy::too_many_arguments)]
    pub fn husleje_counts(
        &self,
        kommune: &str,
        filters: &Filters,
        on: NaiveDate,
        area: Prefilter,
        text: Option<&str>,
        q: &Query,
    ) -> Vec<(i32, usize)> {
        let mut n = [0usize; HUSLEJE_TRIN.len()];
        let hits = self.candidates(kommune, filters, Some(Facet::Husleje), on, area, text);
        for h in search::in_order(hits, q) {
            let p = &h.candidate.item.offer.enhed.profil;
            for (i, t) in HUSLEJE_TRIN.iter().enumerate() {
                n[i] += usize::from(p.husleje_within(*t));
            }
        }
        HUSLEJE_TRIN.into_iter().zip(n).collect()
    }

    /// A facet's counts: for each value, exactly the number of hits a search with that value
    /// as its filter (and every other filter as given) would have (issue 21). Kind and
    /// boligtype belong to the enhed, so one pass counts each hit under its one value; the
    /// type belongs to the agreement, and an enhed with agreements of two types is a hit of
    /// both filters, so each type present is counted by a pass of its own (at most four).
    #[allow(clippy::too_many_arguments)]
    pub fn facet_counts(
        &self,
        kommune: &str,
        filters: &Filters,
        facet: Facet,
        on: NaiveDate,
        area: Prefilter,
        text: Option<&str>,
        q: &Query,
    ) -> Vec<(&'static str, usize)> {
        let all = || self.candidates(kommune, filters, Some(facet), on, area, text);
        let mut counts: std::collections::BTreeMap<&'static str, usize> = Default::default();
        if facet == Facet::Type {
            let values: std::collections::BTreeSet<&'static str> = all()
                .filter_map(|c| Self::facet_value(c.item.key, facet))
                .collect();
            for v in values {
                let only_v = all().filter(|c| Self::facet_value(c.item.key, facet) == Some(v));
                let n = search::in_order(only_v, q).count();
                if n > 0 {
                    counts.insert(v, n);
                }
            }
        } else {
            for h in search::in_order(all(), q) {
                if let Some(v) = Self::facet_value(h.candidate.item.key, facet) {
                    *counts.entry(v).or_default() += 1;
                }
            }
        }
        counts.into_iter().collect()
    }
}

/// An offer as a change event shows it (R30): the agreement, its enhed, and the beskrivelse
/// R4 lets the public see.
pub struct PublicOffer {
    pub sl: Arc<Serviceleverance>,
    pub enhed: Arc<Enhed>,
    pub beskrivelse: Option<String>,
}

impl Snapshot {
    /// The offer of the agreement when it is public on the day (R6, R20), else `None`.
    pub fn public_offer(&self, sl_id: &str, on: NaiveDate) -> Option<PublicOffer> {
        let sl = self.agreements.get(sl_id)?;
        if !day::is_active(sl.startdato, sl.slutdato, on) {
            return None;
        }
        let enhed = self.enheder.get(sl.enhed_id.as_deref()?)?;
        let sl_type = sl.r#type.as_deref().and_then(SlType::parse);
        let kind = EnhedKind::parse(&enhed.kind);
        let beskrivelse = beskrivelse_applies_to_kind(sl_type, kind)
            .then(|| sl.beskrivelse.clone())
            .flatten();
        Some(PublicOffer {
            sl: sl.clone(),
            enhed: enhed.clone(),
            beskrivelse,
        })
    }
}

impl Snapshot {
    /// R33: the owners (CVR) of the enheder of the kommune's public helhedspleje offers on the
    /// day (the read model holds only what may be public; R6 decides the day).
    pub fn helhedspleje_providers(
        &self,
        kommune: &str,
        on: NaiveDate,
    ) -> std::collections::BTreeSet<String> {
        let Some(offers) = self.by_kommune.get(kommune) else {
            return Default::default();
        };
        offers
            .keys
            .iter()
            .zip(offers.list.iter())
            .filter(|(k, _)| {
                k.kind == Some(EnhedKind::Helhedsplejeenhed)
                    && day::is_active(k.startdato, k.slutdato, on)
            })
            .map(|(_, o)| o.enhed.ejer_cvr.clone())
            .collect()
    }
}

impl Snapshot {
    /// The offer of an enhed by a kommune on a day, as its search hit shows it (R22: of several
    /// agreements the most recently started, then the lowest id); `None` when the kommune does
    /// not offer the enhed that day.
    pub fn offer_by(&self, enhed_id: &str, kommune: &str, on: NaiveDate) -> Option<PublicOffer> {
        let best = self
            .by_enhed
            .get(enhed_id)?
            .iter()
            .filter_map(|id| self.agreements.get(id))
            .filter(|sl| {
                sl.aftalepart_kode == kommune && day::is_active(sl.startdato, sl.slutdato, on)
            })
            .max_by(|a, b| a.startdato.cmp(&b.startdato).then_with(|| b.id.cmp(&a.id)))?;
        self.public_offer(&best.id, on)
    }
}
