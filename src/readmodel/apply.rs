//! Applying committed changes to the snapshot: the changed items are re-read and only the
//! touched kommuner's lists are rebuilt.
use super::snapshot::{eligible, offer, public_sl, strip, TilsynInfo};
use super::{Change, Offer, Offers, ReadModel, Snapshot};
use crate::store::{self, serviceleverance::Serviceleverance};
use sea_orm::{DatabaseConnection, DbErr};
use std::collections::HashMap;
use std::sync::Arc;

impl ReadModel {
    /// As `apply`, with the agreements already read (as written in the committing transaction).
    pub async fn apply_known(
        &self,
        db: &DatabaseConnection,
        changes: &[Change],
        rows: Vec<Serviceleverance>,
        version: i64,
    ) -> Result<(), DbErr> {
        let known: HashMap<String, Serviceleverance> =
            rows.into_iter().map(|r| (r.id.clone(), r)).collect();
        self.apply_with(db, changes, known, version).await
    }

    /// Re-reads the changed items and swaps in the new snapshot. The items are read as
    /// committed now, so applying changes late or out of order is harmless; the version is the
    /// highest seen.
    pub async fn apply(
        &self,
        db: &DatabaseConnection,
        changes: &[Change],
        version: i64,
    ) -> Result<(), DbErr> {
        self.apply_with(db, changes, HashMap::new(), version).await
    }

    async fn apply_with(
        &self,
        db: &DatabaseConnection,
        changes: &[Change],
        mut known: HashMap<String, Serviceleverance>,
        version: i64,
    ) -> Result<(), DbErr> {
        let _w = self.writer.lock().await;
        let mut next: Snapshot = (*self.snapshot()).clone();
        next.version = version.max(next.version);
        let mut changed_sl: std::collections::HashSet<String> = Default::default();
        let mut touched: std::collections::HashSet<String> = Default::default();
        let mut changed_enheder: std::collections::HashSet<String> = Default::default();
        for c in changes {
            match c {
                Change::Serviceleverance(id) => {
                    let row = match known.remove(id) {
                        Some(r) => Some(r),
                        None => store::serviceleverance::by_id(db, id).await?,
                    };
                    if let Some(old) = next.agreements.get(id).cloned() {
                        touched.insert(old.aftalepart_kode.clone());
                        next.unlink(&old);
                    }
                    changed_sl.insert(id.clone());
                    match row {
                        Some(s) if eligible(&s) => {
                            if let Some(e) = s.enhed_id.as_ref() {
                                if !next.enheder.contains_key(e) {
                                    if let Some(row) = store::enhed::by_id(db, e).await? {
                                        next.enheder.insert(row.id.clone(), Arc::new(row));
                                    }
                                }
                            }
                            touched.insert(s.aftalepart_kode.clone());
                            next.link(&s);
                            next.agreements.insert(s.id.clone(), public_sl(s));
                        }
                        _ => {
                            next.agreements.remove(id);
                        }
                    }
                }
                Change::Enhed(id) => {
                    // R32: its tilsyn change as an enhed change.
                    let info = TilsynInfo {
                        seneste: store::tilsyn::tilsyn_of(db, id)
                            .await?
                            .into_iter()
                            .next()
                            .map(Arc::new),
                        sanktioner: store::tilsyn::sanktioner_of(db, id)
                            .await?
                            .into_iter()
                            .map(Arc::new)
                            .collect(),
                    };
                    if info.seneste.is_none() && info.sanktioner.is_empty() {
                        next.tilsyn.remove(id);
                    } else {
                        next.tilsyn.insert(id.clone(), Arc::new(info));
                    }
                    match store::enhed::by_id(db, id).await? {
                        Some(e) => {
                            next.enheder.insert(e.id.clone(), Arc::new(e));
                        }
                        None => {
                            next.enheder.remove(id);
                        }
                    }
                    changed_enheder.insert(id.clone());
                }
                Change::Kommune(kode) => {
                    if let Some(k) = store::kommune::by_kode(db, kode).await? {
                        next.kommuner.insert(k.kode.clone(), Arc::new(strip(k)));
                    }
                }
            }
        }
        // Kommuner with an offer of a changed enhed (its name, place or kind).
        if !changed_enheder.is_empty() {
            for (kode, v) in next.by_kommune.iter() {
                if v.list.iter().any(|o| changed_enheder.contains(&o.enhed.id)) {
                    touched.insert(kode.clone());
                }
            }
            for s in next.agreements.values() {
                if s.enhed_id
                    .as_ref()
                    .is_some_and(|e| changed_enheder.contains(e))
                {
                    touched.insert(s.aftalepart_kode.clone());
                    changed_sl.insert(s.id.clone());
                }
            }
        }
        // Only the touched kommuner's lists are rebuilt: the offers of changed agreements and
        // enheder are taken out and made again.
        for kode in touched {
            let mut v: Vec<Offer> = next
                .by_kommune
                .get(&kode)
                .map(|a| a.list.clone())
                .unwrap_or_default();
            v.retain(|o| !changed_sl.contains(&o.sl.id) && !changed_enheder.contains(&o.enhed.id));
            let present: std::collections::HashSet<String> =
                v.iter().map(|o| o.sl.id.clone()).collect();
            for id in &changed_sl {
                let Some(s) = next.agreements.get(id) else {
                    continue;
                };
                if s.aftalepart_kode != kode || present.contains(id) {
                    continue;
                }
                if let Some(e) = s.enhed_id.as_ref().and_then(|e| next.enheder.get(e)) {
                    v.push(offer(s, e, &next.tilsyn));
                }
            }
            next.by_kommune.insert(kode, Arc::new(Offers::new(v)));
        }
        self.swap(next);
        Ok(())
    }
}
